"""Series detection against the planted truth of synthetic forces with seeds the model never saw.

The default model is trained on seeds 101-104 (``scripts/train_default_linkage.py``); this script
evaluates on other seeds (default 21-25) and prints, per seed, each planted series' rank, members
found and decoys wrongly included, and the pair AUC and average precision. The figures in
docs/series.md come from it. Usage: ``.venv/bin/python scripts/evaluate_series.py [SEED ...]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from threadline.link import detect as D
from threadline.link import train as T
from threadline.link import validate as V


def main(seeds: list[int]) -> None:
    rows, pair_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            ws, truth = T.synthetic_workspace(seed, Path(tmp) / str(seed))
            t = time.perf_counter()
            run = D.detect_series(ws, store=False)
            seconds = time.perf_counter() - t
            frame, _, _, _ = D.score_pairs(ws)
            ws.close()
            rec = V.recovery(run.series, run.members, truth).assign(seed=seed)
            rows.append(rec)
            acc = V.pair_accuracy(frame, truth)
            pair_rows.append({"seed": seed, "cases": run.n_records, "candidate_pairs": run.n_candidate_pairs,
                              "detect_s": round(seconds, 1), **acc})
            print(rec.to_string(index=False), file=sys.stderr)
    rec = pd.concat(rows, ignore_index=True)
    print(rec.to_string(index=False))
    print()
    print(pd.DataFrame(pair_rows).to_string(index=False))
    in_top = (rec["rank"].notna() & (rec["found_share"] > 0.5)).mean()
    print(f"\nplanted series in the top 25 with most of their members: {in_top:.0%} of {len(rec)}; "
          f"decoys inside the matching candidates: {int(rec['decoys'].sum())} in all")


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [21, 22, 23, 24, 25])
