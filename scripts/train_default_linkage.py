"""Train the default pair model shipped in ``src/threadline/link/models/default-linkage.json``.

A force with no solved series to learn from gets this model. It is learned from synthetic forces
(``threadline synth``) with seeds 101-104, which no test, benchmark or documented figure evaluates
on (they use seeds 1-99). Run from the repository root: ``.venv/bin/python scripts/train_default_linkage.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.link import blocking as B
from threadline.link import features as F
from threadline.link import records as R
from threadline.link import train as T

SEEDS = (101, 102, 103, 104)
OUT = Path(__file__).resolve().parents[1] / "src" / "threadline" / "link" / "models" / "default-linkage.json"


def main() -> None:
    frames, labels = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SEEDS:
            t = time.perf_counter()
            ws, truth = T.synthetic_workspace(seed, Path(tmp) / str(seed))
            R.build(ws.con, "cases")
            B.candidate_pairs(ws.con, B.Blocking())
            frame = F.pair_features(ws.con)
            y = T.label_pairs(frame, T.truth_known(truth))
            ws.close()
            frames.append(frame)
            labels.append(y)
            print(f"seed {seed}: {len(frame):,} candidate pairs, {int(y.sum())} linked "
                  f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    cv = T.cross_validated(pd.concat(frames, ignore_index=True), np.concatenate(labels))
    model = T.fit(frames, labels)
    d = model.to_dict()
    d["trained_on"] = {"data": "threadline synth, 5 years, end 2024-12-31", "seeds": list(SEEDS),
                       "candidate_pairs": int(sum(len(f) for f in frames)),
                       "linked_pairs": int(sum(int(y.sum()) for y in labels)),
                       "series_kinds": list(T.PAIR_SERIES_KINDS), "cross_validated": cv}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(d, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}; 5-fold cross-validated on the training pairs: AUC {cv['auc']:.3f}, "
          f"average precision {cv['average_precision']:.3f}")


if __name__ == "__main__":
    main()
