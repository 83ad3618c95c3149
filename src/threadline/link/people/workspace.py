"""Person linkage in the workspace: the records compared, reviewers' decisions, the stored run.

``threadline link persons`` is a thin layer over :func:`link_persons`. The records are the force's
people (``persons``) and every partner record that carries a name or a date of birth
(``partner_records``, identified as ``agency:record_id``). The engine
(:mod:`threadline.link.people.engine`, Splink) scores the pairs; this module then applies the
reviewers' decisions (a decision always wins over the model), forms identities as the connected
components of the accepted links, and stores the run in schema v4's tables in one atomic write.

Names and dates of birth are read here and passed to the engine; nothing in this module prints,
logs or stores them (the stored links hold ids, probabilities and the per-comparison weights only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from threadline import __version__
from threadline.errors import InputError, WorkspaceError
from threadline.workspace.transaction import atomic

#: Links stored for review and explanation: every scored pair at or above this probability.
STORE_FROM = 0.05
#: The review band's lower edge: pairs between this and the threshold are the uncertain ones.
REVIEW_FROM = 0.5

_RECORDS_SQL = """
SELECT person_id AS uid, 'persons' AS source, given_name, family_name, CAST(date_of_birth AS VARCHAR) AS date_of_birth,
       sex, postcode
FROM persons
UNION ALL
SELECT agency || ':' || record_id AS uid, 'partner_records' AS source, given_name, family_name,
       CAST(date_of_birth AS VARCHAR) AS date_of_birth, sex, postcode
FROM partner_records
WHERE given_name IS NOT NULL OR family_name IS NOT NULL OR date_of_birth IS NOT NULL
"""


def source_of(record_ids: pd.Series) -> np.ndarray:
    """``partner_records`` for an ``agency:record_id``, ``persons`` for a person_id."""
    return np.where(record_ids.str.contains(":", regex=False), "partner_records", "persons")


def person_records(con) -> pd.DataFrame:
    """The records a linkage run compares, in the engine's input columns."""
    return con.execute(_RECORDS_SQL).df()


def decisions(con) -> pd.DataFrame:
    """The latest decision for each pair (``uid_l < uid_r``), with who made it and when."""
    frame = con.execute(
        """SELECT least(id_a, id_b) AS uid_l, greatest(id_a, id_b) AS uid_r, decision, decided_by, decided_at, note
           FROM person_link_decisions
           QUALIFY row_number() OVER (PARTITION BY least(id_a, id_b), greatest(id_a, id_b)
                                      ORDER BY decided_at DESC) = 1"""
    ).df()
    return frame


def record_decision(con, id_a: str, id_b: str, decision: str, *, by: str | None = None, note: str | None = None
                    ) -> None:
    """Store a reviewer's decision on a pair (``match`` or ``non_match``); it wins over the model next run."""
    if decision not in ("match", "non_match"):
        raise InputError(f"a decision is match or non_match, not {decision!r}")
    if id_a == id_b:
        raise InputError("a record cannot be linked with itself")
    known = set(con.execute(
        f"SELECT uid FROM ({_RECORDS_SQL}) WHERE uid IN (?, ?)", [id_a, id_b]).df()["uid"])
    for rid in (id_a, id_b):
        if rid not in known:
            raise InputError(f"no person record {rid!r} (a person_id, or agency:record_id for a partner record "
                             "with a name or date of birth)")
    source_a, source_b = source_of(pd.Series([id_a, id_b]))
    with atomic(con):
        con.execute("INSERT INTO person_link_decisions VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                    [str(source_a), id_a, str(source_b), id_b, decision, by, note])


def apply_decisions(pairs: pd.DataFrame, decided: pd.DataFrame) -> pd.DataFrame:
    """Pairs (``uid_l, uid_r, match_probability, match_weight``) with reviewers' decisions applied.

    A ``match`` decision sets the pair's probability to 1 (adding the pair if the model never scored
    it); a ``non_match`` sets it to 0. The ``decision`` column says which pairs were decided.
    """
    out = pairs.copy()
    out["uid_l"], out["uid_r"] = np.minimum(out["uid_l"], out["uid_r"]), np.maximum(out["uid_l"], out["uid_r"])
    out["decision"] = None
    if decided.empty:
        return out
    merged = out.merge(decided[["uid_l", "uid_r", "decision"]], on=["uid_l", "uid_r"], how="outer",
                       suffixes=("_x", ""), indicator=True)
    merged = merged.drop(columns=["decision_x"])
    is_match = merged["decision"] == "match"
    is_non = merged["decision"] == "non_match"
    merged.loc[is_match, "match_probability"] = 1.0
    merged.loc[is_non, "match_probability"] = 0.0
    merged["match_weight"] = merged["match_weight"].astype(float)
    merged.loc[is_match & merged["match_weight"].isna(), "match_weight"] = np.inf
    merged.loc[is_non, "match_weight"] = -np.inf
    merged = merged[(merged["_merge"] != "right_only") | is_match].drop(columns="_merge")
    merged["decision"] = merged["decision"].astype(object).where(merged["decision"].notna(), None)
    return merged.reset_index(drop=True)


def identities(uids: pd.Series, pairs: pd.DataFrame, threshold: float,
               cannot_link: pd.DataFrame | None = None) -> pd.DataFrame:
    """One identity per connected component of the links at or above ``threshold``; every record has one.

    ``cannot_link``: pairs (``uid_l, uid_r``) a reviewer said are different people. Links are
    transitive, so rejecting A-B is not enough when A-C and C-B are both links: a component holding
    such a pair is split by raising the threshold inside it, a step at a time, until the two are
    apart (the weakest links go first; links a reviewer accepted, at probability 1, never go).
    Identity ids are ``I`` and a number, in the order of each identity's smallest record id, so they
    say nothing about the person.
    """
    ids = pd.Index(pd.unique(uids.astype(str)))
    links = pairs[(pairs["match_probability"] >= threshold) & pairs["uid_l"].isin(ids) & pairs["uid_r"].isin(ids)]
    labels = _components(ids, links)
    if cannot_link is not None and len(cannot_link):
        labels = _separate(ids, links, labels, cannot_link, threshold)
    frame = pd.DataFrame({"record_id": ids, "label": labels})
    first = frame.groupby("label")["record_id"].transform("min")
    order = {lab: n for n, lab in enumerate(frame.assign(first=first).sort_values("first")["label"].unique())}
    frame["identity_id"] = [f"I{order[lab] + 1:07d}" for lab in frame["label"]]
    frame["source"] = source_of(frame["record_id"])
    return frame[["identity_id", "source", "record_id"]]


def _components(ids: pd.Index, links: pd.DataFrame) -> np.ndarray:
    i, j = ids.get_indexer(links["uid_l"]), ids.get_indexer(links["uid_r"])
    graph = coo_matrix((np.ones(len(links)), (i, j)), shape=(len(ids), len(ids)))
    return connected_components(graph, directed=False)[1]


def _separate(ids: pd.Index, links: pd.DataFrame, labels: np.ndarray, cannot: pd.DataFrame, threshold: float
              ) -> np.ndarray:
    labels = labels.astype(np.int64).copy()
    position = pd.Series(np.arange(len(ids)), index=ids)
    next_label = int(labels.max()) + 1
    for lo, hi in zip(cannot["uid_l"], cannot["uid_r"], strict=True):
        if lo not in position.index or hi not in position.index:
            continue
        a, b = position[lo], position[hi]
        if labels[a] != labels[b]:
            continue
        members = np.flatnonzero(labels == labels[a])
        inside = ids[members]
        edges = links[links["uid_l"].isin(inside) & links["uid_r"].isin(inside)]
        cut = threshold
        ia, ib = inside.get_loc(lo), inside.get_loc(hi)
        while True:
            kept = edges[(edges["match_probability"] > cut) | (edges["match_probability"] >= 1.0)]
            sub = _components(inside, kept)
            droppable = kept[kept["match_probability"] < 1.0]
            if sub[ia] != sub[ib] or droppable.empty:
                break
            cut = float(droppable["match_probability"].min())  # drop the weakest remaining model links
        if sub[ia] == sub[ib]:
            continue  # joined by accepted (probability 1) links: the decisions disagree; keep them together
        for part in np.unique(sub):
            labels[members[sub == part]] = next_label
            next_label += 1
    return labels


@dataclass
class PersonLinkRun:
    """A stored person-linkage run."""

    run_id: int | None
    engine: str
    threshold: float
    n_records: int
    pairs: pd.DataFrame
    identities: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_links(self) -> int:
        return int((self.pairs["match_probability"] >= self.threshold).sum())

    @property
    def n_identities(self) -> int:
        return int(self.identities["identity_id"].nunique())


def link_persons(ws, *, threshold: float | None = None, engine: str = "duckdb", store: bool = True,
                 progress: Callable[[str], None] | None = None, spark=None) -> PersonLinkRun:
    """Link the workspace's people and identifiable partner records; store the run (the latest wins)."""
    from threadline.link.people import engine as E

    step = progress or (lambda _s: None)
    if engine not in ("duckdb", "spark"):
        raise InputError(f"the engine is duckdb or spark, not {engine!r}")
    threshold = E.DEFAULT_THRESHOLD if threshold is None else float(threshold)
    if not 0 < threshold < 1:
        raise InputError(f"the threshold is a probability between 0 and 1, not {threshold}")
    con = ws.con
    step("records")
    records = person_records(con)
    if len(records) < 2:
        raise WorkspaceError("fewer than two person records: import persons (and partner records) first")
    started = pd.Timestamp.now().floor("s")
    step("linking")
    result = E.link(records, mode="dedupe_and_link", threshold=threshold, engine=engine, spark=spark)
    step("decisions and identities")
    decided = decisions(con)
    pairs = apply_decisions(result.pairs[["uid_l", "uid_r", "match_probability", "match_weight"]], decided)
    ids = identities(records["uid"], pairs, threshold, cannot_link=decided[decided["decision"] == "non_match"])
    run = PersonLinkRun(None, engine, threshold, len(records), pairs, ids, dict(result.seconds))
    if store:
        step("storing")
        run.run_id = _store(con, run, started, getattr(result, "settings", None))
    return run


def _store(con, run: PersonLinkRun, started: pd.Timestamp, settings: dict | None) -> int:
    kept = run.pairs[(run.pairs["match_probability"] >= STORE_FROM) | run.pairs["decision"].notna()].copy()
    kept["source_a"], kept["source_b"] = source_of(kept["uid_l"]), source_of(kept["uid_r"])
    kept["match_weight"] = kept["match_weight"].replace([np.inf, -np.inf], [99.0, -99.0])
    with atomic(con):
        run_id = int(con.execute("SELECT nextval('person_link_run_seq')").fetchone()[0])
        con.execute(
            "INSERT INTO person_link_runs VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started.to_pydatetime(), run.engine, "dedupe_and_link", run.threshold,
             json.dumps(settings, default=str) if settings else None, run.n_records, len(run.pairs), run.n_links,
             run.n_identities, __version__])
        con.register("_pl_pairs", kept)
        con.execute(f"""INSERT INTO person_links SELECT {run_id}, source_a, uid_l, source_b, uid_r, match_probability,
                        match_weight, decision, NULL FROM _pl_pairs""")
        con.unregister("_pl_pairs")
        con.register("_pl_ids", run.identities)
        con.execute(f"INSERT INTO person_identities SELECT {run_id}, identity_id, source, record_id FROM _pl_ids")
        con.unregister("_pl_ids")
    return run_id


def latest_person_run(con, run_id: int | None = None) -> int:
    """The latest person-linkage run (or check ``run_id`` exists)."""
    if run_id is None:
        row = con.execute("SELECT max(run_id) FROM person_link_runs").fetchone()
        if row[0] is None:
            raise WorkspaceError("person linkage has not been run in this workspace: run `threadline link persons`")
        return int(row[0])
    if not con.execute("SELECT count(*) FROM person_link_runs WHERE run_id = ?", [run_id]).fetchone()[0]:
        raise WorkspaceError(f"there is no person-linkage run {run_id}")
    return run_id


def review_band(con, *, low: float = REVIEW_FROM, run_id: int | None = None, limit: int = 50) -> pd.DataFrame:
    """The uncertain links of a run (probability in [low, threshold)), not yet decided, most uncertain first."""
    rid = latest_person_run(con, run_id)
    threshold = con.execute("SELECT threshold FROM person_link_runs WHERE run_id = ?", [rid]).fetchone()[0]
    return con.execute(
        """SELECT l.id_a, l.id_b, l.match_probability, l.match_weight FROM person_links l
           WHERE l.run_id = ? AND l.match_probability >= ? AND l.match_probability < ? AND l.decision IS NULL
             AND NOT EXISTS (SELECT 1 FROM person_link_decisions d
                             WHERE least(d.id_a, d.id_b) = l.id_a AND greatest(d.id_a, d.id_b) = l.id_b)
           ORDER BY abs(l.match_probability - 0.5 * (? + ?)), l.id_a, l.id_b LIMIT ?""",
        [rid, low, threshold, low, threshold, limit]).df()


def explain_pair(con, id_a: str, id_b: str, *, run_id: int | None = None) -> dict:
    """Why two records link or not, under the model the run trained: each comparison's level and weight.

    The trained model (m and u probabilities, no record values) is stored with the run; it is loaded
    over the workspace's current records, so term frequencies are the force's own. Returns the
    engine's explanation (see :meth:`threadline.link.people.engine.LinkResult.explain`) plus
    ``decision``, a reviewer's decision on the pair if there is one.
    """
    from threadline.link.people import engine as E

    rid = latest_person_run(con, run_id)
    row = con.execute("SELECT settings, threshold FROM person_link_runs WHERE run_id = ?", [rid]).fetchone()
    if not row[0]:
        raise WorkspaceError(f"person-linkage run {rid} kept no trained model to explain with; run it again")
    records = person_records(con)
    for rid_ in (id_a, id_b):
        if rid_ not in set(records["uid"]):
            raise InputError(f"no person record {rid_!r} (a person_id, or agency:record_id for a partner record "
                             "with a name or date of birth)")
    result = E.trained(records, json.loads(row[0]), mode="dedupe_and_link", threshold=float(row[1]))
    out = result.explain(id_a, id_b)
    decided = decisions(con)
    lo, hi = min(id_a, id_b), max(id_a, id_b)
    match = decided[(decided["uid_l"] == lo) & (decided["uid_r"] == hi)]
    out["decision"] = match["decision"].iloc[0] if len(match) else None
    return out
