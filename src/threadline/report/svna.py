"""The Serious Violence Duty strategic needs assessment: the findings behind ``threadline report svna``.

The Serious Violence Duty (Police, Crime, Sentencing and Courts Act 2022, Part 2; Home Office,
Serious Violence Duty: Statutory Guidance, December 2022, chapter 3) requires police, councils,
health, youth justice and probation to produce a strategic needs assessment together: the drivers,
volumes and patterns of serious violence in the area, who is affected, and where and when it
happens. This module computes its sections as plain data (a dict that becomes ``findings.json``);
:mod:`threadline.report.svna_html` renders them.

Every published count passes through :mod:`threadline.analyse.violence.disclosure`: counts below
the workspace's ``suppress_below`` are shown as ``[c]``, with secondary suppression so totals do
not reveal them, and the rates and ratios of suppressed cells are blanked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from threadline import __version__
from threadline.analyse.hotspots import getis_ord_hotspots
from threadline.analyse.rates import compare_counts
from threadline.analyse.violence import definitions as D
from threadline.analyse.violence import (
    disclosure,
    disproportionality,
    outcome22,
    places,
    population,
    recording,
    register,
)
from threadline.errors import InputError
from threadline.report.areas import lsoa_positions, lsoa_table
from threadline.workspace import Workspace

GROUPS = ("asian", "black", "mixed", "white", "other")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Scope:
    """What the assessment covers."""

    la_code: str | None
    la_name: str
    start: date
    end: date
    defs: D.Definitions
    suppress_below: int = 5
    training: date | None = None

    @property
    def label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"


def resolve_area(ws: Workspace, area: str | None) -> tuple[str | None, str]:
    """A local authority by code (E08000035) or name (Leeds); None for the whole force."""
    if not area:
        forces = ws.config.forces or [r[0] for r in ws.con.execute(
            "SELECT DISTINCT force FROM incidents ORDER BY 1 LIMIT 3").fetchall()]
        return None, ", ".join(forces) or "the force area"
    table = lsoa_table().drop_duplicates("la_code")
    hit = table[(table["la_code"].str.lower() == area.lower()) | (table["la_name"].str.lower() == area.lower())]
    if hit.empty:
        seen = ws.con.execute("SELECT DISTINCT lsoa_code FROM incidents WHERE lsoa_code IS NOT NULL").df()
        las = lsoa_table()[lsoa_table()["lsoa_code"].isin(seen["lsoa_code"])].drop_duplicates("la_code")
        raise InputError(f"--area {area!r} is not a local authority code or name; this register covers "
                         f"{', '.join(sorted(las['la_name']))}")
    return str(hit.iloc[0]["la_code"]), str(hit.iloc[0]["la_name"])


def in_area(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of ``frame`` (with ``la_code``) in the scope's local authority; all of them for the force."""
    return frame if scope.la_code is None else frame[frame["la_code"] == scope.la_code]


def _months(start: date, end: date) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(),
                         pd.Timestamp(end).to_period("M").to_timestamp(), freq="MS")


# --- sections -----------------------------------------------------------------------------------

#: The partner sources in the volumes: agency -> (label, the record types counted, None for all).
PARTNER_SOURCES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "nhs_ed": ("Emergency department assault attendances (ISTV)", None),
    "ambulance": ("Ambulance assault call-outs", ("assault",)),
    "youth_justice": ("Youth justice service records", None),
}


def place_gazetteer(con) -> places.Gazetteer:
    """The place names of every located police incident and partner record in the register
    (:func:`places.build_gazetteer`): what partner records' free-text places are matched against."""
    rows = con.execute("""
        SELECT location_text, lsoa_code FROM incidents WHERE location_text IS NOT NULL AND lsoa_code IS NOT NULL
        UNION ALL SELECT location_text, lsoa_code FROM partner_records
        WHERE location_text IS NOT NULL AND lsoa_code IS NOT NULL""").df()
    return places.build_gazetteer(rows)


def locate_partners(partners: pd.DataFrame, gazetteer: places.Gazetteer, agencies=tuple(PARTNER_SOURCES),
                    lookup: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Partner records placed in an LSOA and a local authority, before anything is counted by area.

    A record keeps the LSOA it came with (``located`` "given"). A record of one of ``agencies``
    with no LSOA but a location text has the text matched to ``gazetteer`` (:func:`places.match_places`)
    and takes the matched LSOA (``located`` "matched"). ``la_code`` is the LSOA's local authority
    (``lookup``: ``lsoa_code, la_code``, default :func:`lsoa_table`); a record with no LSOA, or one the
    lookup does not know, has none: it is *not located* in any area, and :func:`volumes` counts it
    apart. Returns the records (a copy, index kept, an empty ``lsoa_code`` read as missing) and the
    match result of the records tried (index aligned with theirs).
    """
    lookup = lsoa_table() if lookup is None else lookup
    out = partners.drop(columns=[c for c in ("la_code", "located") if c in partners.columns]).copy()
    given = out["lsoa_code"].notna() & (out["lsoa_code"].astype(str).str.strip() != "")
    out["lsoa_code"] = out["lsoa_code"].where(given, None).astype(object)
    out["located"] = pd.Series(np.where(given, "given", None), index=out.index, dtype=object)
    tried = ~given & out["location_text"].notna() & out["agency"].isin(list(agencies))
    matched = places.match_places(out.loc[tried, "location_text"], gazetteer)
    hit = matched.index[matched["lsoa_code"].notna()]
    out.loc[hit, "lsoa_code"] = matched.loc[hit, "lsoa_code"]
    out.loc[hit, "located"] = "matched"
    la = lookup.drop_duplicates("lsoa_code").set_index("lsoa_code")["la_code"]
    out["la_code"] = out["lsoa_code"].map(la)
    return out, matched


def _monthly(records: pd.DataFrame, months: pd.DatetimeIndex) -> pd.Series:
    return records.groupby(records["occurred_at"].dt.to_period("M").dt.to_timestamp()).size().reindex(
        months, fill_value=0)


def _source(records: pd.DataFrame, agency: str, types: tuple[str, ...] | None) -> pd.DataFrame:
    part = records[records["agency"] == agency]
    return part if types is None else part[part["record_type"].isin(types)]


def volumes(inv: pd.DataFrame, partners: pd.DataFrame, scope: Scope) -> dict:
    """Police serious violence by category and month, and what the partners record, with the change
    between the last twelve months and the twelve before (exact Poisson test, :mod:`rates`).

    ``partners`` are the period's partner records placed by :func:`locate_partners` (``la_code``).
    With an area, a partner source counts only its records in the area's local authority, given or
    matched there; for the whole force every record counts. Records not located in any area are
    also counted on their own, per source (``not_located``, for the period; ``not_located`` and
    ``not_located_previous`` in each partner row of ``changes``, for its two windows), so the reader
    knows how much an area's partner figures may be short; ``not_located_counted`` says whether they
    are in the figures (whole force) or not (an area). These counts are published as the report
    publishes single counts: from 1 to ``suppress_below - 1`` they are None ([c]).
    """
    incidents = inv.drop_duplicates(["source", "record_id"])
    months = _months(scope.start, scope.end)
    t = scope.suppress_below
    series = {}
    series["Police: serious violence"] = _monthly(incidents, months)
    young = incidents[incidents["record_id"].isin(inv.loc[D.is_youth(inv["age"], scope.defs), "record_id"])]
    series[f"Police: involving people {scope.defs.youth_label}"] = _monthly(young, months)
    local, lost = in_area(partners, scope), partners[partners["la_code"].isna()]
    unplaced = {}
    for agency, (label, types) in PARTNER_SOURCES.items():
        series[label] = _monthly(_source(local, agency, types), months)
        unplaced[label] = _monthly(_source(lost, agency, types), months)
    by_category = (incidents.groupby("sv_category").size().rename("count").reset_index()
                   .assign(label=lambda f: f["sv_category"].map({c.name: c.label for c in scope.defs.categories})))
    changes = []
    for label, s in series.items():
        if len(s) >= 24:
            cur, base = int(s.iloc[-12:].sum()), int(s.iloc[-24:-12].sum())
            ch = compare_counts(cur, base)
            row = {"source": label, "last_12_months": cur, "previous_12_months": base,
                   "direction": ch.direction, "percent": ch.percent, "p_value": ch.p_value,
                   "significant": ch.significant}
        else:
            row = {"source": label, "last_12_months": int(s.iloc[-12:].sum()), "previous_12_months": None,
                   "direction": None, "percent": None, "p_value": None, "significant": False}
        if label in unplaced:
            lost_s = unplaced[label]
            row["not_located"] = disclosure.suppress_count(int(lost_s.iloc[-12:].sum()), t)
            row["not_located_previous"] = (disclosure.suppress_count(int(lost_s.iloc[-24:-12].sum()), t)
                                           if len(lost_s) >= 24 else None)
        changes.append(row)
    return {
        "monthly": {k: [int(v) for v in s.to_numpy()] for k, s in series.items()},
        "months": [m.strftime("%Y-%m") for m in months],
        "by_category": by_category[["label", "count"]].sort_values("count", ascending=False).to_dict("records"),
        "total_incidents": int(len(incidents)),
        "changes": changes,
        "not_located": {label: disclosure.suppress_count(int(s.sum()), t) for label, s in unplaced.items()},
        "not_located_counted": scope.la_code is None,
    }


def where_when(ws: Workspace, inv: pd.DataFrame, scope: Scope) -> dict:
    """Hot spots (Getis-Ord Gi* on LSOA rates, :mod:`hotspots`) and hot times (day and hour)."""
    incidents = inv.drop_duplicates(["source", "record_id"])
    lsoas = lsoa_table()
    if scope.la_code is not None:
        lsoas = lsoas[lsoas["la_code"] == scope.la_code]
    else:
        lsoas = lsoas[lsoas["la_code"].isin(inv["la_code"].dropna().unique())]
    positions = lsoa_positions(ws.con, lsoas.reset_index(drop=True))
    counts = incidents.groupby("lsoa_code").size().rename("count")
    areas = positions.merge(counts, left_on="lsoa_code", right_index=True, how="left").fillna({"count": 0})
    placed = areas.dropna(subset=["latitude"])
    hot = getis_ord_hotspots(placed.rename(columns={"lsoa_code": "area"})).hot if len(placed) else pd.DataFrame()
    t = incidents["occurred_at"]
    grid = pd.crosstab(t.dt.dayofweek, t.dt.hour).reindex(index=range(7), columns=range(24), fill_value=0)
    peak = grid.stack().sort_values(ascending=False)
    peaks = [f"{DAYS[d]} {h:02d}:00-{h:02d}:59" for (d, h) in peak.index[:3]] if peak.sum() else []
    night = int(t.dt.hour.isin([22, 23, 0, 1, 2, 3]).sum())
    weekend = int(t.dt.dayofweek.isin([4, 5]).sum() + ((t.dt.dayofweek == 6) & (t.dt.hour < 6)).sum())
    return {
        "hotspots": [{"lsoa_code": r.area, "lsoa_name": r.lsoa_name, "la_name": r.la_name, "count": int(r["count"]),
                      "rate_per_100k": float(r.rate), "p": float(r.p)} for _, r in hot.iterrows()][:15],
        "lsoas_assessed": int(len(placed)),
        "method": "Getis-Ord Gi* on LSOA rates per resident (esda), 8 nearest LSOAs, exact Poisson test of each "
                  "neighbourhood, Benjamini-Hochberg 5%",
        "day_hour": grid.to_numpy().tolist(),
        "peak_times": peaks,
        "night_share": night / len(t) if len(t) else None,
        "weekend_share": weekend / len(t) if len(t) else None,
    }


def who(inv: pd.DataFrame, scope: Scope) -> dict:
    """The victim and suspect cohorts: age, sex, ethnic group, repeat victims, victims who are also suspects."""
    from threadline.analyse.breakdowns import age_band

    t = scope.suppress_below
    out = {}
    for role in ("victim", "suspect"):
        part = inv[inv["role"] == role]
        people = part.sort_values("occurred_at").drop_duplicates("person_id")
        young = int(D.is_youth(people["age"], scope.defs).sum())
        repeat = part.groupby("person_id").size()
        split = disclosure.suppress_counts({"repeat": int((repeat >= 2).sum()), "once": int((repeat < 2).sum()),
                                            }, t)
        youth = disclosure.suppress_counts({"youth": young, "other": len(people) - young}, t)
        out[role] = {
            "involvements": int(len(part)), "people": int(len(people)), "youth": youth.get("youth"),
            "repeat_people": split.get("repeat"),
            "repeat_share": ((split["repeat"] / len(people)) if split.get("repeat") is not None and len(people)
                             else None),
            "age_bands": disclosure.suppress_counts(_in_band_order(age_band(people["age"]).fillna("not known")
                                                                   .value_counts()), t),
            "sex": disclosure.suppress_counts(people["sex"].fillna("not known").value_counts().to_dict(), t),
            "group5": disclosure.suppress_counts(people["group5"].fillna("not_stated").value_counts().to_dict(), t),
        }
    victims = set(inv.loc[inv["role"] == "victim", "person_id"])
    suspects = set(inv.loc[inv["role"] == "suspect", "person_id"])
    both = len(victims & suspects)
    out["victim_and_suspect"] = both if both == 0 or both >= t else None
    return out


def _in_band_order(counts: pd.Series) -> dict:
    from threadline.analyse.breakdowns import AGE_BANDS

    order = {label: i for i, (label, _lo, _hi) in enumerate(AGE_BANDS)}
    return dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))))


def partner_view(partners: pd.DataFrame, inv: pd.DataFrame, scope: Scope, matched: pd.DataFrame) -> dict:
    """The Cardiff Model: what emergency departments see that police data miss, including the ED
    records whose place is only free text. ``partners`` are placed by :func:`locate_partners` and
    ``matched`` is its match result (:mod:`places`), summarised for the ED records tried."""
    from threadline.analyse.cardiff import nhs_only_hotspots

    ed = partners[partners["agency"] == "nhs_ed"].copy()
    if ed.empty:
        return {"available": False, "note": "No emergency department (ISTV) records in this period."}
    summary = places.match_rate_summary(matched[matched.index.isin(ed.index)])
    lookup = lsoa_table()[["lsoa_code", "la_code", "la_name", "lsoa_name", "population"]]
    ed = in_area(ed, scope)
    ed = ed.drop(columns=[c for c in ("la_code", "la_name") if c in ed]).merge(lookup, on="lsoa_code", how="left")
    police = inv.drop_duplicates(["source", "record_id"]).groupby("lsoa_code").size().rename("police")
    lsoas = lookup if scope.la_code is None else lookup[lookup["la_code"] == scope.la_code]
    if scope.la_code is None:
        lsoas = lsoas[lsoas["la_code"].isin(inv["la_code"].dropna().unique())]
    areas = lsoas.merge(ed.groupby("lsoa_code").size().rename("nhs"), left_on="lsoa_code", right_index=True,
                        how="left").merge(police, left_on="lsoa_code", right_index=True, how="left")
    areas = areas.fillna({"nhs": 0, "police": 0})
    flagged = nhs_only_hotspots(areas) if areas["nhs"].sum() else areas.assign(nhs_only=False)
    only = flagged[flagged["nhs_only"]].sort_values("nhs", ascending=False)
    weapons = ed["weapon"].fillna("not recorded").value_counts().to_dict()
    return {
        "available": True, "ed_records": int(len(ed)), "located_as_given": int((ed["located"] == "given").sum()),
        "located_by_matching": int((ed["located"] == "matched").sum()), "matching": summary,
        "weapons": {str(k): int(v) for k, v in weapons.items()},
        "nhs_only_areas": [{"lsoa_code": r.lsoa_code, "lsoa_name": r.lsoa_name, "la_name": r.la_name,
                            "nhs": int(r.nhs), "police": int(r.police)} for r in only.itertuples()][:15],
        "method": "ED locations: given LSOA, else free text matched to places named in police and partner "
                  "records (exact, then Jaro-Winkler); NHS-only areas: NHS count against the police share "
                  "(Cardiff Model; Florence et al. 2011)",
    }


def _suppressed_records(table: pd.DataFrame, row: str, threshold: int) -> list[dict]:
    """A rate table as published: suppressed cells blanked (see :mod:`disclosure`)."""
    if table.empty:
        return []
    out = disclosure.suppress_rate_table(table, row=row, col="group5", threshold=threshold)
    return out.replace({np.nan: None}).to_dict("records")


def disproportionality_section(inv: pd.DataFrame, pop: pd.DataFrame, scope: Scope, method: str = "katz") -> dict:
    """Rates per 1,000 residents of the age and group, and relative rate indices against White,
    for victims and suspects, per area, and along the justice stages (YJB toolkit style)."""
    people = register.youth_people(inv, scope.defs)
    people = people[people["group5"].isin(GROUPS)]
    denom = population.population_for(pop, scope.defs.youth_min_age, scope.defs.youth_max_age)
    denom = denom[denom["la_code"].isin(inv["la_code"].dropna().unique())]
    force = denom.groupby("group5", as_index=False)["population"].sum().assign(area="force", area_name="Force")
    local = denom.rename(columns={"la_code": "area", "la_name": "area_name"})
    denom_all = pd.concat([force, local], ignore_index=True)[["area", "area_name", "group5", "population"]]
    areas = ["force"] + sorted(local["area"].unique()) if scope.la_code is None else [scope.la_code]
    denom_all = denom_all[denom_all["area"].isin(areas)]
    out: dict = {"youth": scope.defs.youth_label, "method": method, "areas": areas, "roles": {}}
    for role in ("victim", "suspect"):
        part = people[(people["role"] == role) & people["area"].isin(areas)]
        counts = part.groupby(["area", "group5"]).size().rename("count").reset_index()
        table = disproportionality.rate_table(counts, denom_all[["area", "group5", "population"]], by=["area"],
                                              method=method)
        table = table.merge(denom_all[["area", "area_name"]].drop_duplicates(), on="area", how="left")
        table = table.sort_values("area", key=lambda a: a.map({k: i for i, k in enumerate(areas)}), kind="stable")
        out["roles"][role] = _suppressed_records(table, "area", scope.suppress_below)
    suspects = people[(people["role"] == "suspect") & people["area"].isin(areas)]
    stage_area = areas[0]
    st = disproportionality.stage_table(suspects[suspects["area"] == stage_area],
                                        denom_all[denom_all["area"] == stage_area][["group5", "population"]],
                                        method=method)
    out["stage_area"] = stage_area
    out["stages"] = disclosure.suppress_rate_table(st, row="stage", col="group5",
                                                   threshold=scope.suppress_below).replace({np.nan: None}
                                                                                           ).to_dict("records")
    out["population_source"] = pop.attrs.get("source", "population table")
    return out


def recording_section(rows: pd.DataFrame, scope: Scope) -> dict:
    """Completeness and consistency of victims' and suspects' protected characteristics."""
    if rows.empty:
        return {"available": False}
    fields = [f for f in recording.FIELDS if f in rows.columns]
    comp = recording.completeness(rows, by=("role",), fields=fields)
    agreement = recording.ethnicity_agreement(rows) if {"ethnicity_self_defined", "ethnicity_observed"} <= set(
        rows.columns) else None
    by_unit = ("recording_unit",) if "recording_unit" in rows.columns else ()
    alerts = recording.completeness_alerts(rows, fields=fields, by=by_unit) if by_unit else pd.DataFrame()
    return {
        "available": True, "fields": fields,
        "completeness": comp.replace({np.nan: None}).to_dict("records"),
        "agreement": None if agreement is None else {
            "pct": agreement.pct_agree, "low": agreement.low, "high": agreement.high, "kappa": agreement.kappa,
            "n": agreement.n, "sentence": agreement.describe()},
        "alerts": (alerts[alerts["alert"]].replace({np.nan: None}).to_dict("records") if len(alerts) else []),
    }


def outcome22_section(rows: pd.DataFrame, scope: Scope) -> dict:
    """Outcome 22 use, the eligible crimes that did not get it, and the change after training."""
    elig = outcome22.with_eligibility(rows, scope.defs)
    elig = in_area(elig, scope)
    window = elig[elig["in_window"]]
    out = {
        "crimes_with_outcome": int(pd.to_numeric(window["outcome_code"], errors="coerce").between(1, 22).sum()),
        "outcome_22": int(window["o22"].sum()),
        "eligible": int(window["eligible"].sum()),
        **{f"eligible_{k}": v for k, v in disclosure.suppress_counts(
            {"given": int((window["eligible"] & window["o22"]).sum()),
             "not_given": int(len(outcome22.not_given(window)))}, scope.suppress_below).items()},
        "by": {b: disclosure.suppress_split(outcome22.use_by(window, b).drop(columns="share"), b, "outcome_22",
                                            "crimes", scope.suppress_below).to_dict("records")
               for b in ("incident_type", "age_band", "group5", "la_name")},
    }
    if scope.training is not None:
        try:
            change = outcome22.training_change(elig, scope.training)
            out["training"] = {"date": scope.training, "summary": change.summary(),
                               "level_change_rr": change.result.level_change_rr,
                               "low": change.result.level_low, "high": change.result.level_high,
                               "monthly": change.monthly.assign(month=change.monthly["month"].dt.strftime("%Y-%m"))
                               .to_dict("records")}
        except ValueError as exc:
            out["training"] = {"date": scope.training, "summary": f"Not estimated: {exc}"}
    return out


# --- the whole assessment -----------------------------------------------------------------------

def build_svna(ws: Workspace, scope: Scope, progress=None) -> dict:
    """All sections for ``scope``; the register in ``ws``."""
    step = progress or (lambda _s: None)
    step("reading serious violence")
    inv_all = register.involvements(ws.con, scope.defs, scope.start, scope.end)
    inv = in_area(inv_all, scope)
    partners = ws.con.execute(
        "SELECT * FROM partner_records WHERE occurred_at >= ? AND occurred_at < ?",
        [scope.start, pd.Timestamp(scope.end) + pd.Timedelta(days=1)]).df()
    partners["occurred_at"] = pd.to_datetime(partners["occurred_at"])
    step("placing partner records")
    # Before anything is counted by area: a record with no LSOA may be matched into one by its free text.
    partners, matched = locate_partners(partners, place_gazetteer(ws.con))
    findings: dict = {
        "threadline_version": __version__,
        "generated_at": datetime.now().replace(microsecond=0).isoformat(),
        "workspace": ws.config.name,
        "area": {"la_code": scope.la_code, "la_name": scope.la_name},
        "period": {"start": scope.start, "end": scope.end, "label": scope.label},
        "definitions": {"source": scope.defs.source, "youth": scope.defs.youth_label,
                        "categories": [c.label for c in scope.defs.categories]},
        "suppress_below": scope.suppress_below,
    }
    step("volumes and trends")
    findings["volumes"] = volumes(inv, partners, scope)
    step("where and when")
    findings["where_when"] = where_when(ws, inv, scope)
    step("who")
    findings["who"] = who(inv, scope)
    step("partner data (Cardiff Model)")
    findings["partners"] = partner_view(partners, inv, scope, matched)
    step("disproportionality")
    pop = population.workspace_population(ws.con)
    findings["disproportionality"] = disproportionality_section(inv_all if scope.la_code is None else inv, pop, scope)
    step("recording of protected characteristics")
    rows = in_area(register.characteristic_rows(ws.con, scope.start, scope.end), scope)
    findings["recording"] = recording_section(rows, scope)
    step("outcome 22")
    findings["outcome22"] = outcome22_section(register.suspect_rows(ws.con, scope.start, scope.end), scope)
    return findings


def make_scope(ws: Workspace, area: str | None, start: date, end: date, *, youth: str | None = None,
               definitions: str | None = None, training: date | None = None,
               suppress_below: int | None = None) -> Scope:
    """The scope of an analysis from command options and the workspace's ``[violence]`` settings.

    ``youth`` is ``MIN-MAX`` (e.g. ``10-17``); default the workspace's setting, else the definitions'.
    """
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    defs = D.load(definitions)
    cfg = ws.config
    lo, hi = getattr(cfg, "youth_min_age", None), getattr(cfg, "youth_max_age", None)
    if youth:
        try:
            lo_s, hi_s = youth.split("-")
            lo, hi = int(lo_s), int(hi_s)
        except ValueError:
            raise InputError(f"--youth {youth!r} must look like 10-17") from None
    defs = defs.with_youth(lo, hi)
    la_code, la_name = resolve_area(ws, area)
    threshold = suppress_below if suppress_below is not None else getattr(cfg, "suppress_below", 5)
    if int(threshold) < 1:
        raise InputError(f"the suppression threshold must be at least 1, not {threshold}")
    return Scope(la_code=la_code, la_name=la_name, start=start, end=end, defs=defs,
                 suppress_below=int(threshold), training=training)
