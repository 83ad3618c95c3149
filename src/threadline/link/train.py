"""Learning the pair model from series a force has already solved.

A force's solved series (its major crime reviews, linked operations) are the best teacher: every
pair of cases in one known series is a linked pair; every other candidate pair is an unlinked one
(the crime-linkage design of Bennell & Canter 2002 and Tonkin et al. 2011, with unlinked pairs
drawn from the same candidate pairs the model will score, so the learned base rate is the right
one and no prior correction is needed). ``threadline series train --known KNOWN.csv`` writes the
model as JSON; ``threadline series detect --model FILE`` uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.errors import InputError
from threadline.link import features as F
from threadline.link.pairmodel import PairModel, evaluate


def read_known(path: Path | str) -> pd.DataFrame:
    """A CSV of known series: columns ``case_id`` and ``series_id`` (one row per case in a series)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    try:
        known = pd.read_csv(path, dtype=str)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV ({exc})", file=path) from None
    missing = [c for c in ("case_id", "series_id") if c not in known.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; a known-series file has case_id, series_id",
                         file=path, row=1)
    for i, (case, series) in enumerate(zip(known["case_id"], known["series_id"], strict=True)):
        if not isinstance(case, str) or not case.strip():
            raise InputError("empty case_id", file=path, row=i + 2, field="case_id")
        if not isinstance(series, str) or not series.strip():
            raise InputError("empty series_id", file=path, row=i + 2, field="series_id")
    return known[["case_id", "series_id"]].drop_duplicates()


def label_pairs(pairs: pd.DataFrame, known: pd.DataFrame) -> np.ndarray:
    """1 where both records of a pair (``a``, ``b``) are in one known series, else 0."""
    groups = known.groupby("case_id")["series_id"].agg(frozenset)
    ga = groups.reindex(pairs["a"]).to_numpy()
    gb = groups.reindex(pairs["b"]).to_numpy()
    return np.array([int(isinstance(x, frozenset) and isinstance(y, frozenset) and bool(x & y))
                     for x, y in zip(ga, gb, strict=True)], dtype=int)


def fit(frames: list[pd.DataFrame], labels: list[np.ndarray], *, kind: str = "logistic", seed: int = 1
        ) -> PairModel:
    """Fit the pair model on candidate pairs (features of :data:`FEATURES`) and their labels."""
    X = pd.concat([f[list(F.FEATURES)] for f in frames], ignore_index=True)
    y = np.concatenate(labels)
    if y.sum() < 5:
        raise InputError(f"only {int(y.sum())} linked pairs among the candidate pairs: too few to learn from "
                         "(at least 5 are needed; the default model is used otherwise)")
    return PairModel.fit(X, y, kind=kind, features=list(F.FEATURES), seed=seed)


def cross_validated(frame: pd.DataFrame, y: np.ndarray, *, kind: str = "logistic", folds: int = 5, seed: int = 1,
                    C: float | None = None) -> dict:
    """Out-of-fold ROC AUC and average precision of the pair model on one force's labelled pairs.

    ``C``: the logistic penalty to use in every fold (e.g. the one the full fit chose), which saves
    choosing it again inside each fold.
    """
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(y))
    n_folds = int(min(folds, y.sum(), (1 - y).sum()))
    if n_folds < 2:
        return {"auc": float("nan"), "average_precision": float("nan"), "folds": 0}
    for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(frame, y):
        extra = {"C": C} if C is not None and kind == "logistic" else {}
        model = PairModel.fit(frame.iloc[train][list(F.FEATURES)], y[train], kind=kind, features=list(F.FEATURES),
                              seed=seed, **extra)
        scores[test] = model.predict_proba(frame.iloc[test][list(F.FEATURES)])
    out = evaluate(y, scores)
    out["folds"] = n_folds
    return out


#: Series kinds of the synthetic force found by pair linkage; the planted professional is found by
#: surveillance instead (docs/series.md).
PAIR_SERIES_KINDS = ("shared_person", "drug_batch", "stranger", "robbery_elderly")


def synthetic_workspace(seed: int, folder: Path | str, *, years: int = 5, end=None):
    """Synthesise a force with ``seed`` into ``folder``/synth and import it into ``folder``/ws.

    Returns the open workspace and the truth folder. Used to train the default model (on seeds
    kept apart from every seed the tests and docs evaluate on) and by the validation tests.
    """
    from datetime import date

    from threadline.ingest.folder import import_folder
    from threadline.synth import synthesise
    from threadline.workspace import init_workspace

    folder = Path(folder)
    summary = synthesise(folder / "synth", years=years, seed=seed, end=end or date(2024, 12, 31))
    ws = init_workspace(folder / "ws", forces=["West Yorkshire"])
    import_folder(ws, summary.out_dir)
    return ws, Path(summary.out_dir) / "truth"


def truth_known(truth: Path | str, kinds: tuple[str, ...] = PAIR_SERIES_KINDS) -> pd.DataFrame:
    """The planted series of a synthetic force as a known-series table (members only, decoys left out)."""
    t = pd.read_csv(Path(truth) / "series.csv", dtype=str)
    t = t[(t["role_in_truth"] == "member") & t["kind"].isin(kinds)]
    return t[["case_id", "series_id"]]


@dataclass
class TrainResult:
    """A model learned from a force's solved series, with how well it separates them out of fold."""

    model: PairModel
    cross_validated: dict
    pairs: int
    linked: int
    not_in_register: int


def train_workspace(ws, known: pd.DataFrame, *, kind: str = "logistic", records: str = "cases", progress=None
                    ) -> TrainResult:
    """Learn the pair model from the workspace's cases (or incidents) and the force's known series (``read_known``;
    for incidents its ``case_id`` column holds incident ids).

    Candidate pairs come from the same blocking as detection; known pairs that blocking misses are
    added, so the model also learns from links that are far apart in space or time.
    """
    from threadline.link import blocking as B
    from threadline.link import records as R

    step = progress or (lambda _s: None)
    con = ws.con
    step("records")
    R.build(con, records)
    present = set(con.execute("SELECT rid FROM _lk_rec").df()["rid"])
    missing = int((~known["case_id"].isin(present)).sum())
    known = known[known["case_id"].isin(present)]
    step("candidate pairs")
    B.candidate_pairs(con, B.Blocking.for_incidents() if records == "incidents" else B.Blocking())
    _add_known_pairs(con, known)
    frame = F.pair_features(con)
    y = label_pairs(frame, known)
    step("fitting")
    model = fit([frame], [y], kind=kind)
    cv = cross_validated(frame, y, kind=kind, C=model.info.get("C") if kind == "logistic" else None)
    return TrainResult(model, cv, len(frame), int(y.sum()), missing)


def _add_known_pairs(con, known: pd.DataFrame) -> None:
    """Add every within-series pair of the known series to ``_lk_pairs`` (if blocking missed it)."""
    if known.empty:
        return
    con.register("_lk_known", known)
    con.execute(
        """INSERT INTO _lk_pairs
           SELECT DISTINCT least(x.case_id, y.case_id), greatest(x.case_id, y.case_id), 'known'
           FROM _lk_known x JOIN _lk_known y ON x.series_id = y.series_id AND x.case_id < y.case_id
           WHERE (least(x.case_id, y.case_id), greatest(x.case_id, y.case_id)) NOT IN (SELECT (a, b) FROM _lk_pairs)"""
    )
    con.unregister("_lk_known")
