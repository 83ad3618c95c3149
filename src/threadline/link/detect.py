"""A series detection run: records -> candidate pairs -> scores -> series (+ surveillance) -> workspace.

``threadline series detect`` is a thin layer over :func:`detect_series`. One run:

1. builds the records and their shared keys (:mod:`threadline.link.records`);
2. finds candidate pairs by blocking (:mod:`threadline.link.blocking`);
3. computes pair features (:mod:`threadline.link.features`) and scores each pair with the pair
   model (:mod:`threadline.link.pairmodel`; the packaged default unless a force trained its own);
4. groups pairs into candidate series (:mod:`threadline.link.series`);
5. adds the people and premises at more deaths than expected (:mod:`threadline.link.surveillance`)
   as series of their own;
6. stores the run, its pairs (score >= ``keep_pairs_at``), series and members in one atomic write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from threadline import __version__
from threadline.errors import InputError, WorkspaceError
from threadline.link import blocking as B
from threadline.link import features as F
from threadline.link import records as R
from threadline.link import series as S
from threadline.link.pairmodel import PairModel
from threadline.workspace import Workspace
from threadline.workspace.transaction import atomic

Progress = Callable[[str], None]

#: The packaged default pair model (see docs/series.md, "The default model").
DEFAULT_MODEL = "default-linkage.json"


def default_model() -> PairModel:
    """The pair model shipped with Threadline, for a force with no solved series to learn from."""
    return PairModel.from_dict(json.loads((files("threadline.link") / "models" / DEFAULT_MODEL).read_text("utf-8")))


def load_model(model: PairModel | str | Path | None) -> tuple[PairModel, str]:
    """A pair model and its name: the default, a :class:`PairModel`, or a JSON file made by ``series train``."""
    if model is None:
        return default_model(), f"default ({DEFAULT_MODEL})"
    if isinstance(model, PairModel):
        return model, "given"
    path = Path(model)
    if not path.exists():
        raise InputError("no such model file", file=path)
    try:
        return PairModel.load(path), str(path)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a Threadline pair model ({exc})", file=path) from None


@dataclass
class SeriesRun:
    """What a detection run found (also stored in the workspace under ``run_id``)."""

    run_id: int | None
    records: str
    model: str
    n_records: int
    n_candidate_pairs: int
    pairs: pd.DataFrame          # a, b, score, reasons (+ features), score >= keep_pairs_at
    series: pd.DataFrame         # series_id, rank, kind, score, evidence, n_members, summary, ...
    members: pd.DataFrame        # series_id, case_id, score, reason
    seconds: dict[str, float] = field(default_factory=dict)


def score_pairs(ws_or_con, *, model: PairModel | str | Path | None = None, records: str = "cases",
                blocking: B.Blocking | None = None, progress: Progress | None = None
                ) -> tuple[pd.DataFrame, int, str, dict]:
    """Candidate pairs with features, ``score`` and ``reasons``; also the record count, model name, timings."""
    con = ws_or_con.con if isinstance(ws_or_con, Workspace) else ws_or_con
    step = progress or (lambda _s: None)
    pair_model, name = load_model(model)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    step("records")
    n = R.build(con, records)
    seconds["records"] = time.perf_counter() - t
    t = time.perf_counter()
    step("candidate pairs")
    block = blocking or (B.Blocking.for_incidents() if records == "incidents" else B.Blocking())
    B.candidate_pairs(con, block)
    seconds["blocking"] = time.perf_counter() - t
    t = time.perf_counter()
    step("comparing")
    frame = F.pair_features(con)
    seconds["features"] = time.perf_counter() - t
    t = time.perf_counter()
    step("scoring")
    frame["score"] = pair_model.predict_proba(frame[pair_model.features]) if len(frame) else np.zeros(0)
    seconds["scoring"] = time.perf_counter() - t
    return frame, n, name, seconds


def _with_record_attributes(con, frame: pd.DataFrame) -> pd.DataFrame:
    attrs = con.execute("SELECT rid, method, circumstance, location_type, relationship, substance FROM _lk_rec").df()
    attrs = attrs.set_index("rid")
    out = frame.copy()
    for col in ("method", "circumstance", "location_type", "relationship", "substance"):
        out[f"{col}_a"] = attrs[col].reindex(out["a"]).to_numpy()
    return out


def explain(con, frame: pd.DataFrame, model: PairModel) -> pd.Series:
    """A one-line reason for each pair in ``frame`` (strongest evidence first)."""
    if frame.empty:
        return pd.Series([], dtype=object)
    contrib = model.contributions(frame[model.features])
    described = _with_record_attributes(con, frame)
    return pd.Series([S.describe_pair(row, contrib.iloc[i]) for i, (_, row) in enumerate(described.iterrows())],
                     index=frame.index, dtype=object)


def detect_series(ws: Workspace, *, model: PairModel | str | Path | None = None, records: str = "cases",
                  blocking: B.Blocking | None = None, link_at: float = 0.5, keep_pairs_at: float = 0.05,
                  surveillance: bool = True, store: bool = True, progress: Progress | None = None) -> SeriesRun:
    """Find candidate series among the workspace's cases (or incidents) and store them as a new run."""
    step = progress or (lambda _s: None)
    con = ws.con
    started = pd.Timestamp.now().floor("s")
    pair_model, name = load_model(model)
    frame, n, _, seconds = score_pairs(ws, model=pair_model, records=records, blocking=blocking, progress=progress)
    t = time.perf_counter()
    step("grouping")
    kept = frame[frame["score"] >= keep_pairs_at].reset_index(drop=True)
    kept["reasons"] = explain(con, kept, pair_model)
    grouped = S.group(kept[["a", "b", "score"]], link_at=link_at)
    series, members = _describe_series(con, grouped, kept)
    seconds["grouping"] = time.perf_counter() - t
    s2, m2 = pd.DataFrame(), pd.DataFrame()
    if surveillance and records == "cases":
        t = time.perf_counter()
        step("surveillance")
        s2, m2 = _surveillance_series(con)
        seconds["surveillance"] = time.perf_counter() - t
    series, members = _merge(series, members, s2, m2)
    run = SeriesRun(None, records, name, n, len(frame), kept, series, members, seconds)
    if store:
        step("storing")
        run.run_id = _store(con, run, started, {"link_at": link_at, "keep_pairs_at": keep_pairs_at,
                                                "blocking": repr(blocking or "default"),
                                                "surveillance": surveillance})
    return run


def _kind(edges: pd.DataFrame) -> str:
    """Name a series by its strongest kind of evidence."""
    if (edges["shared_person"] > 0).any():
        return "shared_person"
    if ((edges["shared_identifier"] > 0) | (edges["vehicle_sim"] > 0) | (edges["batch_sim"] > 0)).any():
        return "shared_thing"
    if edges["days_apart"].median() <= 31:
        return "space_time_cluster"
    return "similar_method"


#: Columns of a run's series table and members table, as :func:`detect_series` builds them.
SERIES_COLUMNS = ["series_id", "kind", "score", "evidence", "n_members", "summary", "first_at", "last_at",
                  "centre_latitude", "centre_longitude", "radius_km", "key_entity"]
MEMBER_COLUMNS = ["series_id", "case_id", "score", "reason"]


def _record_places(con) -> pd.DataFrame:
    """Category, time and position of every record of the run, by ``rid``."""
    return con.execute("SELECT rid, category, event_at, latitude, longitude FROM _lk_rec").df().set_index("rid")


def _extent(r: pd.DataFrame) -> tuple[float, float, float | None]:
    """Centre (mean position) of a series' located records and its radius in km (None if none is located)."""
    lat, lon = r["latitude"].mean(), r["longitude"].mean()
    radius = float(np.nanmax(_km(r["latitude"], r["longitude"], lat, lon))) if r["latitude"].notna().any() else None
    return lat, lon, radius


def _describe_series(con, grouped: pd.DataFrame, pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if grouped.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS), pd.DataFrame(columns=MEMBER_COLUMNS)
    rec = _record_places(con)
    reason_of = {(a, b): r for a, b, r in zip(pairs["a"], pairs["b"], pairs["reasons"], strict=True)}
    rows, member_rows = [], []
    for no, g in grouped.groupby("series_no", sort=True):
        ids = set(g["case_id"])
        edges = pairs[pairs["a"].isin(ids) & pairs["b"].isin(ids)]
        sid = f"S{no + 1:03d}"
        kind = _kind(edges[edges["score"] >= 0.5] if (edges["score"] >= 0.5).any() else edges)
        r = rec.reindex(sorted(ids))
        lat, lon, radius = _extent(r)
        cats = r["category"].value_counts()
        mix = ", ".join(f"{k.replace('_', ' ')} x{v}" for k, v in cats.items())
        shared = edges["shared_labels"].dropna()
        key = ""
        if len(shared):
            counts = pd.Series([x for s in shared for x in s.split("; ")]).value_counts()
            key = counts.index[0]
        first, last = r["event_at"].min(), r["event_at"].max()
        summary = (f"{len(ids)} cases ({mix}), {first:%d %b %Y} to {last:%d %b %Y}"
                   + (f", within {radius:.1f} km" if radius is not None else "")
                   + (f"; most often shared: {key}" if key else ""))
        rows.append((sid, kind, float(g["score"].iloc[0]), float(g["evidence"].iloc[0]), len(ids), summary, first,
                     last, lat, lon, radius, key or None))
        for case, strength, partner in zip(g["case_id"], g["strength"], g["partner"], strict=True):
            why = reason_of.get((case, partner)) or reason_of.get((partner, case)) or ""
            member_rows.append((sid, case, float(strength), f"linked to {partner} ({strength:.2f}): {why}"))
    return pd.DataFrame(rows, columns=SERIES_COLUMNS), pd.DataFrame(member_rows, columns=MEMBER_COLUMNS)


def _km(lat, lon, lat0, lon0) -> np.ndarray:
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    dy = (lat - lat0) * 110.57
    dx = (lon - lon0) * 111.32 * np.cos(np.deg2rad(lat0))
    return np.sqrt(dx * dx + dy * dy)


#: Watch list: professionals not flagged after the false-discovery control but unusual on their own
#: test (p below this, at least WATCH_MIN_CASES deaths, at least twice the expected), at most WATCH_TOP.
WATCH_P = 0.01
WATCH_MIN_CASES = 4
WATCH_TOP = 5


def _surveillance_series(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each flagged person or premises as a candidate series of the cases in its departing pattern, and a
    short watch list of professionals who are unusual on their own test but not flagged after allowing for
    the hundreds tested (a small hospital's night nurse at 12 deaths where 3 were expected may not survive
    the false-discovery control; an analyst should still see her). Watch entries rank by the same evidence,
    discounted by their q-value, and are labelled ``professional_watch``."""
    from threadline.link import surveillance as V

    result = V.surveil(con)
    frames = [f for f in (result.persons, result.premises) if f is not None and len(f)]
    rows, member_rows = [], []
    if not frames:
        return pd.DataFrame(), pd.DataFrame()
    every = pd.concat(frames, ignore_index=True)
    flagged = every[every["flagged"]].assign(watch=False)
    persons = result.persons if result.persons is not None else pd.DataFrame()
    if len(persons):
        watch = persons[~persons["flagged"] & (persons["role"] == "professional") & (persons["p_value"] < WATCH_P)
                        & (persons["observed"] >= WATCH_MIN_CASES) & (persons["ratio"] >= 2)]
        watch = watch.sort_values("p_value").head(WATCH_TOP).copy()
        watch["evidence"] = (watch["observed"] - watch["expected"]).clip(lower=0) * (1 - watch["q_value"])
        flagged = pd.concat([flagged, watch.assign(watch=True)], ignore_index=True)
    flagged = flagged.sort_values("evidence", ascending=False)
    rec = _record_places(con)
    for i, (_, f) in enumerate(flagged.iterrows()):
        ids = list(f.get("excess_case_ids") or []) or list(f["case_ids"])
        if len(ids) < 2:
            continue
        sid = f"V{i + 1:03d}"
        if f["entity_kind"] == "premises":
            kind = "premises"
        elif f.get("role") == "professional":
            kind = "professional_watch" if f["watch"] else "professional"
        else:
            kind = "repeated_person"
        r = rec.reindex(ids)
        lat, lon, radius = _extent(r)
        q = float(f.get("q_value", f.get("p_value", 1.0)))
        reason = str(f["reason"]) + (f"; watch list: not significant once all {len(persons):,} people tested "
                                     f"are allowed for (q={q:.2f})" if f["watch"] else "")
        rows.append((sid, kind, 1.0 - q, float(f["evidence"]), len(ids), reason, r["event_at"].min(),
                     r["event_at"].max(), lat, lon, radius, f"{f['entity_kind']} {f['entity_id']}"))
        for case in ids:
            member_rows.append((sid, case, 1.0 - q, f"{f['entity_kind']} {f['entity_id']} present: {reason}"))
    return pd.DataFrame(rows, columns=SERIES_COLUMNS), pd.DataFrame(member_rows, columns=MEMBER_COLUMNS)


def _merge(series: pd.DataFrame, members: pd.DataFrame, s2: pd.DataFrame, m2: pd.DataFrame
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One ranked list: pair-based and surveillance series together, by evidence; ids S001, S002, ..."""
    if not s2.empty and not series.empty:
        s2, m2, series = _fold_duplicates(series, members, s2, m2)
    if s2.empty:
        allseries, allmembers = series, members
    else:
        allseries = pd.concat([series, s2], ignore_index=True) if len(series) else s2
        allmembers = pd.concat([members, m2], ignore_index=True) if len(members) else m2
    if allseries.empty:
        return allseries.assign(rank=pd.Series(dtype=int)), allmembers
    allseries = allseries.sort_values(["evidence", "score"], ascending=False).reset_index(drop=True)
    rename = {old: f"S{i + 1:03d}" for i, old in enumerate(allseries["series_id"])}
    allseries["series_id"] = allseries["series_id"].map(rename)
    allseries["rank"] = np.arange(1, len(allseries) + 1)
    allmembers = allmembers.assign(series_id=allmembers["series_id"].map(rename))
    return allseries, allmembers


def _fold_duplicates(series: pd.DataFrame, members: pd.DataFrame, s2: pd.DataFrame, m2: pd.DataFrame
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A surveillance signal about (mostly) the same cases as a pair-linked series is one lead, not two:
    its reason is added to that series' summary, which keeps the higher evidence."""
    series = series.copy()
    by_pair = {sid: set(g["case_id"]) for sid, g in members.groupby("series_id")}
    drop = []
    for i, v in s2.iterrows():
        cases = set(m2.loc[m2["series_id"] == v["series_id"], "case_id"])
        best, overlap = None, 0.0
        for sid, ids in by_pair.items():
            o = len(cases & ids) / len(cases | ids)
            if o > overlap:
                best, overlap = sid, o
        if best is not None and overlap >= 0.5:
            j = series.index[series["series_id"] == best][0]
            series.at[j, "summary"] = f"{series.at[j, 'summary']}; also flagged by surveillance: {v['summary']}"
            series.at[j, "evidence"] = max(series.at[j, "evidence"], v["evidence"])
            drop.append(i)
    kept = s2.drop(index=drop)
    return kept, m2[m2["series_id"].isin(kept["series_id"])], series


def _store(con, run: SeriesRun, started: pd.Timestamp, parameters: dict) -> int:
    series = run.series if "rank" in run.series else run.series.assign(rank=np.arange(1, len(run.series) + 1))
    feature_cols = list(F.FEATURES)
    pairs = run.pairs[["a", "b", "score", "reasons", *feature_cols]].copy()
    with atomic(con):
        run_id = int(con.execute("SELECT nextval('series_run_seq')").fetchone()[0])
        con.execute(
            "INSERT INTO series_runs VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started.to_pydatetime(), run.records, run.model, json.dumps(parameters), run.n_records,
             run.n_candidate_pairs, len(pairs), len(series), __version__],
        )
        con.register("_lk_store_pairs", pairs)
        con.execute(
            f"""INSERT INTO series_pairs SELECT {run_id}, a, b, score, reasons,
                   to_json(struct_pack({', '.join(f'{c} := {c}' for c in feature_cols)}))
                FROM _lk_store_pairs"""
        )
        con.unregister("_lk_store_pairs")
        if len(series):
            con.register("_lk_store_series", series)
            con.execute(
                f"""INSERT INTO series SELECT {run_id}, series_id, rank, kind, score, evidence, n_members, summary,
                       first_at, last_at, centre_latitude, centre_longitude, radius_km, key_entity
                    FROM _lk_store_series"""
            )
            con.unregister("_lk_store_series")
            con.register("_lk_store_members", run.members)
            con.execute(f"INSERT INTO series_members SELECT {run_id}, series_id, case_id, score, reason "
                        "FROM _lk_store_members")
            con.unregister("_lk_store_members")
    return run_id


def latest_run(con, run_id: int | None = None) -> int:
    """The id of the latest series run (or check that ``run_id`` exists)."""
    if run_id is None:
        row = con.execute("SELECT max(run_id) FROM series_runs").fetchone()
        if row[0] is None:
            raise WorkspaceError("no series detection has been run in this workspace: run `threadline series detect`")
        return int(row[0])
    if not con.execute("SELECT count(*) FROM series_runs WHERE run_id = ?", [run_id]).fetchone()[0]:
        raise WorkspaceError(f"there is no series run {run_id} in this workspace")
    return run_id
