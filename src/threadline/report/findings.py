"""Findings: every number the report shows, computed from the register, as one JSON document.

The commentary, tables and charts are all written from this document (``findings.json``), so
every sentence can be traced to a number and every number to a query here. The schema is in
``docs/report.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files

import numpy as np
import pandas as pd

from threadline import __version__, vocab
from threadline.analyse import breakdowns, cardiff, quality, rates, trends
from threadline.analyse.hotspots import getis_ord_hotspots
from threadline.quarters import quarter_sql
from threadline.report.areas import force_key, force_lsoas, lsoa_positions, register_areas
from threadline.report.period import Period, season_of
from threadline.workspace import Workspace

#: Categories whose place pattern is analysed for hot spots (violence and the deaths a series
#: can hide among); suicides, road deaths and other deaths follow where people live and travel.
HOTSPOT_CATEGORIES = ("homicide", "attempted_homicide", "suspicious_death", "drug_related_death")
#: Police incident types counted as violence against the person beside NHS assault data.
POLICE_VIOLENCE_TYPES = ("common_assault", "assault_with_injury", "wounding_gbh", "robbery",
                         "violence_and_sexual_offences", "domestic_abuse", "threats_to_kill")
#: Partner record types counted as assaults seen by the NHS.
NHS_ASSAULT = {"nhs_ed": None, "ambulance": ("assault",)}
SECTIONS = {
    "homicide": ("homicide",),
    "near_miss": vocab.NEAR_MISS_CATEGORIES,
    "drug_related_and_unexplained": ("drug_related_death", "unexplained_death", "suspicious_death"),
}


@dataclass
class Scope:
    """What the report covers."""

    period: Period
    forces: list[str]
    categories: tuple[str, ...]


def _clean(value):
    """Make a value JSON-safe (numpy scalars, NaN, dates)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if value is pd.NA:
        return None
    return value


def _cases(ws: Workspace, scope: Scope, start: date, end: date) -> pd.DataFrame:
    keys = [force_key(f) for f in scope.forces]
    cats = list(scope.categories)
    frame = ws.con.execute(
        f"""SELECT c.*, a.la_code, a.la_name, {quarter_sql('c.reported_at', scope.period.convention)} AS quarter
            FROM cases c LEFT JOIN _areas a ON a.lsoa_code = c.lsoa_code
            WHERE c.reported_at >= ? AND c.reported_at < ? AND list_contains(?, c.category)""",
        [start, end, cats],
    ).df()
    if keys:
        frame = frame[frame["force"].map(force_key).isin(keys)]
    return frame.reset_index(drop=True)


def _in(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    ts = pd.to_datetime(frame["reported_at"])
    return frame[(ts >= pd.Timestamp(period.start)) & (ts < pd.Timestamp(period.end))]


def resolve_scope(ws: Workspace, period: Period, forces: list[str] | None,
                  categories: list[str] | None) -> Scope:
    from threadline.errors import InputError

    if categories:
        bad = [c for c in categories if c not in vocab.CATEGORIES]
        if bad:
            raise InputError(f"unknown categor{'ies' if len(bad) > 1 else 'y'} {', '.join(bad)}; "
                             f"choose from {', '.join(vocab.CATEGORIES)}")
    if not forces:
        forces = ws.config.forces or [r[0] for r in ws.con.execute(
            "SELECT DISTINCT force FROM cases ORDER BY 1").fetchall()]
    return Scope(period, list(forces), tuple(categories or vocab.CATEGORIES))


def build_findings(ws: Workspace, period: Period, forces: list[str] | None = None,
                   categories: list[str] | None = None, progress=None) -> dict:
    """Compute the report's findings for ``period`` from the register in ``ws``."""
    step = progress or (lambda _s: None)
    scope = resolve_scope(ws, period, forces, categories)
    register_areas(ws.con)
    history_quarters = period.quarters(back=trends.MAX_BASELINE)
    history_start = min(history_quarters[0][1], period.year_ago.start, period.previous.start)
    step("reading cases")
    cases = _cases(ws, scope, history_start, period.end)
    lsoas = force_lsoas(scope.forces, ws.con)
    population = float(lsoas["population"].sum())
    current = _in(cases, period)
    notes: list[str] = []
    if lsoas.empty:
        notes.append("No residents could be found for these forces: rates are not shown.")
    findings: dict = {
        "threadline_version": __version__,
        "generated_at": datetime.now().replace(microsecond=0).isoformat(),
        "workspace": ws.config.name,
        "period": {"kind": period.kind, "label": period.label, "start": period.start, "end": period.end,
                   "convention": period.convention, "previous": period.previous.label,
                   "year_ago": period.year_ago.label if period.kind == "quarter" else None},
        "forces": scope.forces,
        "categories": list(scope.categories),
        "population": {"residents": population, "source": "ONS 2011 Census usual residents",
                       "lsoas": len(lsoas)},
        "total_cases": len(current),
    }
    step("volumes")
    findings["volumes"] = volumes(cases, period, population, scope.categories)
    findings["quarterly"] = quarterly(cases, period, scope.categories)
    step("emerging trends")
    findings["emerging"], findings["emerging_method"] = emerging(cases, period, scope.categories,
                                                                 data_start=_data_start(ws, scope.forces))
    step("breakdowns")
    findings["breakdowns"] = breakdowns.all_breakdowns(current) if len(current) else {}
    findings["sections"] = sections(cases, period, population)
    step("areas and hot spots")
    findings["areas"] = by_area(cases, period, lsoas)
    positions = lsoa_positions(ws.con, lsoas)  # one scan of every located record, used twice
    findings["hotspots"] = hotspots(cases, period, positions)
    # Positions and categories only (no case ids): the map needs no more, and findings.json travels.
    findings["cases_map"] = current[["category", "latitude", "longitude"]].dropna().to_dict("records")
    step("partner data")
    findings["partner"] = partner(ws, period, positions)
    findings["series"] = linked_series(ws, period, positions)
    findings["prior_contacts"] = prior_contacts_section(ws, period)
    step("escalating people and dyads")
    findings["escalation"] = escalation_section(ws, period)
    step("data quality")
    previous = _in(cases, period.previous)
    findings["data_quality"] = {
        "fields": list(quality.KEY_FIELDS),
        "by_source": quality.completeness_by_source(current, previous),
        "current": quality.completeness(current),
        "previous": quality.completeness(previous),
    }
    findings["collaboration"] = collaboration(cases, period, scope.forces)
    findings["context"] = context(findings["volumes"], scope.forces, population)
    findings["notes"] = notes
    from threadline.report.commentary import commentary

    findings["commentary"] = commentary(findings)
    return _clean(findings)


def volumes(cases: pd.DataFrame, period: Period, population: float, categories) -> dict:
    """Per category: this period, the previous, a year ago, the rolling year, its rate and tests."""
    out = {}
    current, previous, year_ago = _in(cases, period), _in(cases, period.previous), _in(cases, period.year_ago)
    rolling = _in(cases, period.rolling_year)
    rolling_months = period.rolling_year.months
    for category in [*categories, "all"]:
        def n(frame, c=category):
            return int(len(frame) if c == "all" else (frame["category"] == c).sum())
        cur, prev, ago, roll = n(current), n(previous), n(year_ago), n(rolling)
        vs_prev = rates.compare_counts(cur, prev)
        vs_year = rates.compare_counts(cur, ago)
        rate = rates.poisson_rate(roll * 12 / rolling_months, population) if population else None
        out[category] = {
            "current": cur, "previous": prev, "year_ago": ago, "rolling_year": roll,
            "rate": rate.rate if rate else None, "rate_lower": rate.lower if rate else None,
            "rate_upper": rate.upper if rate else None, "rate_basis": "per 100,000 residents a year, rolling year",
            "vs_previous": vs_prev.as_dict(), "vs_year_ago": vs_year.as_dict(),
            "p_value": vs_year.p_value if period.kind == "quarter" else vs_prev.p_value,
            "describe_previous": vs_prev.describe(), "describe_year_ago": vs_year.describe(),
        }
    return out


def quarterly(cases: pd.DataFrame, period: Period, categories, back: int = 7) -> dict:
    """Counts per category for the last eight quarters up to the period's end (for the chart)."""
    labels = [q[0] for q in period.quarters(back=back)][-(back + 1) - (period.months // 3 - 1):]
    counts = _series_counts(cases, labels, cases["category"])
    return {"quarters": labels,
            "counts": {c: [int(x) for x in (counts.loc[c] if c in counts.index else [0] * len(labels))]
                       for c in categories}}


def _series_counts(cases: pd.DataFrame, quarters: list[str], key: pd.Series) -> pd.DataFrame:
    counts = cases.assign(_k=key).groupby(["_k", "quarter"]).size().unstack(fill_value=0)
    return counts.reindex(columns=quarters, fill_value=0)


def _data_start(ws: Workspace, forces: list[str]) -> date | None:
    """Day of the earliest case of ``forces`` in the register (any category), or None."""
    keys = {force_key(f) for f in forces}
    rows = ws.con.execute("SELECT force, min(reported_at) FROM cases GROUP BY force").fetchall()
    firsts = [t for f, t in rows if t is not None and (not keys or force_key(f) in keys)]
    return pd.Timestamp(min(firsts)).date() if firsts else None


def emerging(cases: pd.DataFrame, period: Period, categories,
             data_start: date | None = None) -> tuple[list[dict], dict]:
    """Each category (force-wide and per local authority) and each flag against its seasonal
    expectation in the period's last quarter (Farrington; BH across all series).

    Quarters before ``data_start`` (the register's first case) hold no data rather than zero
    cases, so the baseline starts at the first quarter beginning on or after its month."""
    quarters = period.quarters(back=trends.MAX_BASELINE)
    if data_start is not None:
        first = date(data_start.year, data_start.month, 1)
        quarters = [q for q in quarters[:-1] if q[1] >= first] + quarters[-1:]
    labels = [q[0] for q in quarters]
    current_label = labels[-1]
    baseline = labels[:-1]
    seasons = np.array([season_of(q) for q in baseline])
    frame = cases[cases["quarter"].isin(labels)]
    series: list[tuple[dict, np.ndarray]] = []
    cat = _series_counts(frame, labels, frame["category"])
    for c in categories:
        row = cat.loc[c].to_numpy() if c in cat.index else np.zeros(len(labels), int)
        series.append(({"category": c, "area": "force", "area_code": None, "flags": []}, row))
    located = frame[frame["la_name"].notna()]
    by_la = _series_counts(located, labels, located["category"] + "|" + located["la_code"] + "|" + located["la_name"])
    for key in by_la.index:
        c, code, name = key.split("|", 2)
        series.append(({"category": c, "area": name, "area_code": code, "flags": []}, by_la.loc[key].to_numpy()))
    exploded = frame.assign(flag=frame["flags"].fillna("").str.split(";")).explode("flag")
    exploded = exploded[exploded["flag"].isin(vocab.FLAGS)]
    by_flag = _series_counts(exploded, labels, exploded["flag"])
    for flag in by_flag.index:
        series.append(({"category": "all", "area": "force", "area_code": None, "flags": [flag]},
                       by_flag.loc[flag].to_numpy()))
    results = [trends.expected_count(counts[:-1], seasons, season_of(current_label), int(counts[-1]))
               for _, counts in series]
    flagged = trends.flag_series(results)
    out = []
    for (meta, counts), result, flag in zip(series, results, flagged, strict=True):
        if not flag:
            continue
        what = ", ".join(meta["flags"]) + " cases" if meta["flags"] else meta["category"].replace("_", " ")
        where = "the force area" if meta["area"] == "force" else meta["area"]
        out.append({
            **meta, "quarter": current_label, "observed": result.observed, "expected": round(result.expected, 2),
            "threshold": result.threshold, "score": round(result.score, 2), "p_value": result.p_value,
            "history": [int(x) for x in counts[-9:]],
            "description": (f"{what} in {where}: {result.observed} in {current_label} against "
                            f"{result.expected:.1f} expected for the season (threshold {result.threshold:.0f}, "
                            + (f"exceedance score {result.score:.1f})" if math.isfinite(result.score)
                               else "none in its baseline quarters)")),
        })
    out.sort(key=lambda r: -r["score"])
    assessed = sum(r is not None for r in results)
    method = {
        "name": "improved Farrington (quasi-Poisson GLM with season and trend, negative binomial threshold)",
        "quarter": current_label, "baseline_quarters": trends.MAX_BASELINE, "alpha": trends.ALPHA,
        "false_discovery_rate": trends.FDR, "min_observed": trends.MIN_OBSERVED,
        "series_tested": assessed, "series_total": len(series),
    }
    return out, method


def sections(cases: pd.DataFrame, period: Period, population: float) -> dict:
    """Near-miss homicides and drug-related and unexplained deaths each get their own section."""
    current = _in(cases, period)
    out = {}
    for name, cats in SECTIONS.items():
        part = current[current["category"].isin(cats)]
        prev = _in(cases, period.previous)
        prev = prev[prev["category"].isin(cats)]
        sec = {"categories": list(cats), "current": len(part), "previous": len(prev),
               "change": rates.compare_counts(len(part), len(prev)).as_dict(),
               "breakdowns": breakdowns.all_breakdowns(part) if len(part) else {},
               "by_area": part.groupby("la_name").size().sort_values(ascending=False).to_dict()
               if len(part) else {}}
        if name == "drug_related_and_unexplained" and len(part):
            subs = part["substance"].dropna().str.strip().str.lower()
            sec["substances"] = subs.value_counts().head(10).to_dict()
        out[name] = sec
    return out


def by_area(cases: pd.DataFrame, period: Period, lsoas: pd.DataFrame) -> list[dict]:
    """Per local authority (Community Safety Partnership area): cases by category and rates."""
    current, rolling = _in(cases, period), _in(cases, period.rolling_year)
    pops = lsoas.groupby(["la_code", "la_name"])["population"].sum()
    rows = []
    for (code, name), pop in pops.items():
        here = current[current["la_code"] == code]
        year = rolling[rolling["la_code"] == code]
        counts = here["category"].value_counts().to_dict()
        rate = rates.poisson_rate(len(year) * 12 / period.rolling_year.months, pop)
        rows.append({"la_code": code, "la_name": name, "population": float(pop), "cases": len(here),
                     "by_category": {k: int(v) for k, v in counts.items()},
                     "rolling_year": len(year), "rate": rate.rate, "rate_lower": rate.lower,
                     "rate_upper": rate.upper})
    unplaced = int(current["la_code"].isna().sum())
    if unplaced:
        rows.append({"la_code": None, "la_name": "no LSOA recorded", "population": None, "cases": unplaced,
                     "by_category": current[current["la_code"].isna()]["category"].value_counts().to_dict(),
                     "rolling_year": int(rolling["la_code"].isna().sum()), "rate": None,
                     "rate_lower": None, "rate_upper": None})
    return rows


def hotspots(cases: pd.DataFrame, period: Period, positions: pd.DataFrame) -> dict:
    """Gi* hot spots of the hot-spot categories over the rolling year, on LSOA rates."""
    window = period.rolling_year if period.kind == "quarter" else period
    part = _in(cases, window)
    part = part[part["category"].isin(HOTSPOT_CATEGORIES)]
    areas = positions
    counts = part.groupby("lsoa_code").size().rename("count")
    areas = areas.merge(counts, left_on="lsoa_code", right_index=True, how="left").fillna({"count": 0})
    placed = areas.dropna(subset=["latitude"])
    result = getis_ord_hotspots(placed.rename(columns={"lsoa_code": "area"}))
    hot = result.hot
    return {
        "method": "Getis-Ord Gi* (esda, binary weights), 8 nearest LSOAs, exact Poisson test of each "
                  "neighbourhood's count, Benjamini-Hochberg 5%",
        "window": window.label, "categories": list(HOTSPOT_CATEGORIES), "cases": len(part),
        "lsoas_assessed": len(placed), "lsoas_without_position": int(areas["latitude"].isna().sum()),
        "hot": [{"lsoa_code": r.area, "lsoa_name": r.lsoa_name, "la_name": r.la_name, "count": int(r["count"]),
                 "rate": r.rate, "z": r.z, "p": r.p, "latitude": r.latitude, "longitude": r.longitude}
                for _, r in hot.iterrows()],
        "la_positions": {name: [g["latitude"].mean(), g["longitude"].mean()]
                         for name, g in placed.groupby("la_name")},
        "areas": placed[["lsoa_code", "latitude", "longitude"]].assign(
            hot=result.table["hot"].to_numpy()).to_dict("records"),
    }


def partner(ws: Workspace, period: Period, positions: pd.DataFrame) -> dict:
    """NHS assault data (ED ISTV attendances, ambulance assault call-outs) beside police violence."""
    window = period.rolling_year if period.kind == "quarter" else period
    con = ws.con
    nhs = con.execute(
        """SELECT agency, lsoa_code, count(*) AS n FROM partner_records
           WHERE occurred_at >= ? AND occurred_at < ?
             AND (agency = 'nhs_ed' OR (agency = 'ambulance' AND record_type = 'assault'))
           GROUP BY ALL""", [window.start, window.end]).df()
    # Police violence: violent incidents, and the homicides and attempts recorded as cases (their
    # ambulance and ED records must not look like violence the police never saw).
    police = con.execute(
        """SELECT lsoa_code, count(*) AS n FROM (
             SELECT lsoa_code FROM incidents
             WHERE occurred_at >= ? AND occurred_at < ? AND list_contains(?, incident_type)
             UNION ALL SELECT lsoa_code FROM cases
             WHERE reported_at >= ? AND reported_at < ? AND category IN ('homicide', 'attempted_homicide'))
           GROUP BY ALL""",
        [window.start, window.end, list(POLICE_VIOLENCE_TYPES), window.start, window.end]).df()
    total_nhs = int(nhs["n"].sum()) if len(nhs) else 0
    if total_nhs == 0:
        return {"available": False, "window": window.label,
                "note": "No emergency-department or ambulance assault records for this period."}
    placed_nhs = nhs[nhs["lsoa_code"].isin(positions["lsoa_code"])]
    areas = positions[["lsoa_code", "lsoa_name", "la_code", "la_name", "population"]].copy()
    areas = areas.merge(placed_nhs.groupby("lsoa_code")["n"].sum().rename("nhs"), left_on="lsoa_code",
                        right_index=True, how="left")
    areas = areas.merge(police.set_index("lsoa_code")["n"].rename("police"), left_on="lsoa_code",
                        right_index=True, how="left").fillna({"nhs": 0, "police": 0})
    flagged = cardiff.nhs_only_hotspots(areas)
    by_la = flagged.groupby("la_name")[["nhs", "police"]].sum().reset_index()
    by_agency = nhs.groupby("agency")["n"].sum().to_dict()
    positions = positions.set_index("lsoa_code")
    rows = flagged[flagged["nhs_only"]].sort_values("ratio", ascending=False)
    return {
        "available": True, "window": window.label, "nhs_records": total_nhs,
        "nhs_records_located": int(placed_nhs["n"].sum()),
        "by_agency": {k: int(v) for k, v in by_agency.items()},
        "police_violence": int(police["n"].sum()) if len(police) else 0,
        "by_area": by_la.to_dict("records"),
        "dispersion": flagged.attrs.get("dispersion"),
        "nhs_only_hotspots": [
            {"lsoa_code": r.lsoa_code, "lsoa_name": r.lsoa_name, "la_name": r.la_name, "nhs": int(r.nhs),
             "police": int(r.police), "expected_nhs": round(r.expected_nhs, 1), "ratio": round(r.ratio, 1),
             "p": r.p, "latitude": positions["latitude"].get(r.lsoa_code),
             "longitude": positions["longitude"].get(r.lsoa_code)}
            for r in rows.itertuples()],
        "method": "NHS count against the force's NHS total times the LSOA's share of police violence "
                  "(20% residents), negative binomial tail, Benjamini-Hochberg 5% (Cardiff Model)",
    }


def collaboration(cases: pd.DataFrame, period: Period, forces: list[str]) -> dict:
    """With several forces (a joint major crime unit): each force's volumes and rates."""
    if len(forces) < 2:
        return {"forces": forces, "per_force": []}
    rows = []
    current, rolling = _in(cases, period), _in(cases, period.rolling_year)
    for force in forces:
        mine = current[current["force"].map(force_key) == force_key(force)]
        year = rolling[rolling["force"].map(force_key) == force_key(force)]
        pop = float(force_lsoas([force])["population"].sum())
        rate = rates.poisson_rate(len(year) * 12 / period.rolling_year.months, pop)
        homicide_year = int((year["category"] == "homicide").sum())
        hrate = rates.poisson_rate(homicide_year * 12 / period.rolling_year.months, pop)
        rows.append({"force": force, "population": pop, "cases": len(mine),
                     "by_category": mine["category"].value_counts().to_dict(),
                     "rolling_year": len(year), "rate": rate.rate, "homicide_rate": hrate.rate})
    return {"forces": forces, "per_force": rows}


def context(vols: dict, forces: list[str], population: float) -> dict:
    """The force's homicide rate beside England and Wales and other forces (Home Office police
    recorded crime 2017/18, the year shipped; see reference/REFERENCE-LICENCE.md)."""
    with (files("threadline") / "reference" / "force-homicide-2017-18.csv").open("rb") as fh:
        table = pd.read_csv(fh)
    national = table[table["force"] == "England and Wales"].iloc[0]
    homicide = vols.get("homicide", {})
    keys = {force_key(f) for f in forces}
    return {
        "source": "Home Office police recorded crime by police force area, 2017/18 (HO codes 1, 4.1, 4.10, 4.2); "
                  "ONS 2011 Census residents",
        "national_rate_2017_18": float(national["homicide_rate_per_100k"]),
        "force_rate_rolling_year": homicide.get("rate"),
        "forces_2017_18": [
            {"force": r.force, "rate": float(r.homicide_rate_per_100k), "homicides": int(r.homicides),
             "ours": force_key(r.force) in keys}
            for r in table[table["force"] != "England and Wales"].itertuples()],
    }


def linked_series(ws: Workspace, period: Period, positions: pd.DataFrame | None = None, top: int = 10) -> dict:
    """The latest series detection run's top candidate series (``threadline series detect``).

    Each item carries its members with a reason per link. Case ids are included, unlike elsewhere in
    the findings: a reviewer must be able to pull the files. Person ids appear only inside reasons, as
    register references (no names). ``active`` marks a series with a member reported in the period.
    """
    none = {"linkage_run": False, "items": [],
            "note": "Series linkage has not been run on this workspace, so no linked series are reported. "
                    "This is not a finding that there are none. Run `threadline series detect`."}
    has_runs = ws.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'series_runs'").fetchone()[0]
    if not has_runs or not ws.con.execute("SELECT count(*) FROM series_runs").fetchone()[0]:
        return none
    from threadline.link import stored

    info = stored.run_info(ws.con)
    series = stored.series_table(ws.con, info["run_id"])
    members = stored.members_table(ws.con, info["run_id"])
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    members["in_period"] = (members["reported_at"] >= start) & (members["reported_at"] < end)
    active = set(members.loc[members["in_period"], "series_id"])
    items = []
    for _, s in series.head(top).iterrows():
        m = members[members["series_id"] == s["series_id"]]
        items.append({
            "series_id": s["series_id"], "rank": int(s["rank"]), "kind": s["kind"], "score": float(s["score"]),
            "evidence": float(s["evidence"]), "n_members": int(s["n_members"]), "description": s["summary"],
            "first": s["first_at"], "last": s["last_at"], "active": s["series_id"] in active,
            "centre_latitude": s["centre_latitude"], "centre_longitude": s["centre_longitude"],
            "radius_km": s["radius_km"],
            "members": [{"case_id": r.case_id, "category": r.category, "reported_at": r.reported_at,
                         "latitude": r.latitude, "longitude": r.longitude, "in_period": bool(r.in_period),
                         "reason": r.reason} for r in m.itertuples()],
        })
    return {"linkage_run": True, "run_id": int(info["run_id"]), "run_finished": info["finished_at"],
            "model": info["model"], "n_records": int(info["n_records"]),
            "n_candidate_pairs": int(info["n_candidate_pairs"]), "n_series": int(info["n_series"]),
            "active_in_period": len(active), "items": items,
            "note": "Candidate series are leads for an analyst to review, ranked by the evidence linking their "
                    "cases; they are not findings that the cases are connected."}


def escalation_section(ws: Workspace, period: Period) -> dict:
    """People and domestic-abuse dyads escalating at the period's end: counts and patterns, no ids
    (:func:`threadline.analyse.escalation.summary.escalation_findings`)."""
    from threadline.analyse.escalation.summary import escalation_findings

    return escalation_findings(ws.con, period.start, period.end)


def prior_contacts_section(ws: Workspace, period: Period) -> dict:
    """Which agencies knew the victims and suspects of the period's homicides and near-misses before
    (:func:`threadline.link.people.timeline.prior_contacts_findings`; no names, no person ids)."""
    from threadline.link.people.timeline import prior_contacts_findings

    found = prior_contacts_findings(ws.con, period)
    # findings.json travels: the per-case detail (case ids) stays in the workspace, where
    # `threadline person prior-contacts --out` exports it for the review team.
    found.pop("by_case", None)
    return found
