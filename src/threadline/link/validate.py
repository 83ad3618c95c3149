"""How well a detection run recovers the series planted in a synthetic force (``threadline synth``).

For each planted series: the best-matching candidate among the top ``top`` (the one holding most of
its members), its rank, how many members it holds, and how many of the planted decoys (cases that
share one attribute with the series, see docs/synth.md) it wrongly holds. For the pairs: ROC AUC
and average precision of the pair scores for pairs inside one planted pair-linked series against
every other candidate pair, decoy pairs included.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from threadline.link.pairmodel import evaluate
from threadline.link.train import PAIR_SERIES_KINDS, label_pairs, truth_known


def recovery(series: pd.DataFrame, members: pd.DataFrame, truth: Path | str, top: int = 25) -> pd.DataFrame:
    """One row per planted series: ``series_id, kind, n_members, rank, found, found_share, decoys, candidate``."""
    t = pd.read_csv(Path(truth) / "series.csv", dtype=str)
    ranked = series.sort_values("rank").head(top)
    groups = {sid: set(members.loc[members["series_id"] == sid, "case_id"]) for sid in ranked["series_id"]}
    rank_of = dict(zip(ranked["series_id"], ranked["rank"], strict=True))
    rows = []
    for sid, g in t.groupby("series_id"):
        planted = set(g.loc[g["role_in_truth"] == "member", "case_id"])
        decoys = set(g.loc[g["role_in_truth"] == "decoy", "case_id"])
        best, found = None, 0
        for cand, ids in groups.items():
            hit = len(planted & ids)
            if hit > found or (hit == found and hit and rank_of[cand] < rank_of[best]):
                best, found = cand, hit
        rows.append({"series_id": sid, "kind": g["kind"].iloc[0], "n_members": len(planted),
                     "rank": int(rank_of[best]) if best else None, "found": found,
                     "found_share": found / len(planted) if planted else 0.0,
                     "decoys": len(decoys & groups[best]) if best else 0, "candidate": best})
    return pd.DataFrame(rows)


def pair_accuracy(pairs: pd.DataFrame, truth: Path | str) -> dict:
    """AUC and average precision of ``pairs['score']`` (all candidate pairs, columns ``a``, ``b``, ``score``)
    against the planted pair-linked series (kinds :data:`PAIR_SERIES_KINDS`)."""
    y = label_pairs(pairs, truth_known(truth, PAIR_SERIES_KINDS))
    if y.sum() == 0 or y.sum() == len(y):
        return {"auc": float("nan"), "average_precision": float("nan"), "pairs": len(y), "linked": int(y.sum())}
    return evaluate(y, pairs["score"])
