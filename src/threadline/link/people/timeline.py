"""Person timelines and prior-contacts summaries (``threadline person show | prior-contacts``).

A person's **timeline** is every case, incident and partner record of one person, in time order,
with the agency and a common severity level of each. When person linkage has been run
(``person_identities``), every record of the same identity is folded in: the force's other
``persons`` records of that person and the partner agencies' records linked to them. Without
linkage a partner record cannot reach a person, so the timeline holds police records only.

**Prior contacts**: for every homicide and near-miss in a period, which agencies had contact with
the victim and each suspect in the years before, how often, how recently, and whether a police
contact involved both of them.

Nothing here returns names or dates of birth: only ids, the pseudonymous identity id, sex and age
at the event. :func:`person_header` with ``identifiable=True`` is the one way to get them, for an
identifiable export the user asked for. See docs/timeline.md.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd

from threadline.errors import InputError

TIMELINE_COLUMNS = [
    "when", "kind", "source", "id", "what", "role", "severity", "css_weight", "place", "age", "detail", "via",
]

#: Common severity level, 0 (not graded) to 5 (a death by homicide), so that cases, incidents and
#: partner records can be compared on one timeline. Cases by category:
CASE_SEVERITY = {
    "homicide": 5,
    "attempted_homicide": 4,
    "suspicious_death": 4,
    "drug_related_death": 3,
    "fatal_collision": 3,
    "suicide": 3,
    "unexplained_death": 2,
    "other_death": 2,
}

#: Incidents by their Crime Severity Score weight (``incidents.severity``): at least this weight
#: gives this level; an incident with no weight (ASB, missing person, concern for welfare) is 0.
INCIDENT_SEVERITY_BANDS = ((1000.0, 4), (250.0, 3), (50.0, 2), (0.0, 1))

#: Partner records by (agency, record_type); an unlisted record type is not graded (None).
PARTNER_SEVERITY = {
    ("nhs_ed", "assault_attendance"): 3,
    ("ambulance", "assault"): 3,
    ("ambulance", "overdose"): 3,
    ("ambulance", "cardiac_arrest"): 2,
    ("ambulance", "unconscious_person"): 2,
    ("ambulance", "fall_or_injury"): 2,
    ("ambulance", "road_traffic_collision"): 2,
    ("la_safeguarding", "marac_referral"): 3,
    ("la_safeguarding", "child_protection_referral"): 2,
    ("la_safeguarding", "section_42_enquiry"): 2,
    ("la_safeguarding", "adult_safeguarding_concern"): 2,
    ("la_safeguarding", "child_in_need_assessment"): 1,
    ("la_safeguarding", "care_act_assessment"): 1,
    ("la_safeguarding", "early_help_referral"): 1,
    ("probation", "licence"): 2,
    ("probation", "suspended_sentence_order"): 2,
    ("probation", "community_order"): 2,
    ("probation", "pre_sentence_report"): 1,
    ("youth_justice", "youth_rehabilitation_order"): 2,
    ("youth_justice", "referral_order"): 1,
    ("youth_justice", "youth_conditional_caution"): 1,
    ("youth_justice", "triage"): 1,
}

SEVERITY_WORDS = {0: "not graded", 1: "low", 2: "moderate", 3: "serious", 4: "very serious", 5: "homicide"}
AGENCY_WORDS = {
    "police": "police", "nhs_ed": "emergency department", "ambulance": "ambulance",
    "la_safeguarding": "local authority safeguarding", "youth_justice": "youth justice", "probation": "probation",
    "other": "other agency",
}


# ---------------------------------------------------------------- identities


def _has_table(con, name: str) -> bool:
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(con.execute(sql, [name]).fetchone()[0])


def link_run(con, run_id: int | None = None) -> int | None:
    """The person-linkage run whose identities are used: ``run_id`` if given (checked), else the latest
    run that stored identities; ``None`` when linkage has not been run."""
    if not _has_table(con, "person_identities"):
        if run_id is not None:
            raise InputError("this workspace has no person-linkage results (run `threadline link persons`)")
        return None
    if run_id is None:
        row = con.execute("SELECT max(run_id) FROM person_identities").fetchone()
        return None if row[0] is None else int(row[0])
    if not con.execute("SELECT count(*) FROM person_identities WHERE run_id = ?", [run_id]).fetchone()[0]:
        raise InputError(f"there is no person-linkage run {run_id} with identities")
    return int(run_id)


def _members(con, person_ids: list[str], run: int | None) -> pd.DataFrame:
    """For each of ``person_ids``: its identity and every record of that identity.

    Columns: person_id (asked), identity_id (None without linkage), source, record_id. A person always
    has at least its own ``persons`` row.
    """
    own = pd.DataFrame({"person_id": person_ids, "identity_id": None, "source": "persons", "record_id": person_ids})
    if run is None or not person_ids:
        return own
    asked = pd.DataFrame({"person_id": person_ids})
    con.register("_tl_asked", asked)
    try:
        linked = con.execute(
            """SELECT a.person_id, m.identity_id, m.source, m.record_id
               FROM _tl_asked a
               JOIN person_identities i ON i.run_id = ? AND i.source = 'persons' AND i.record_id = a.person_id
               JOIN person_identities m ON m.run_id = i.run_id AND m.identity_id = i.identity_id""",
            [run],
        ).df()
    finally:
        con.unregister("_tl_asked")
    ids = linked.drop_duplicates("person_id").set_index("person_id")["identity_id"]
    own["identity_id"] = own["person_id"].map(ids).astype(object)
    own = own.where(own.notna(), None)
    return pd.concat([own, linked], ignore_index=True).drop_duplicates(["person_id", "source", "record_id"])


def _require_person(con, person_id: str) -> None:
    if not con.execute("SELECT count(*) FROM persons WHERE person_id = ?", [person_id]).fetchone()[0]:
        raise InputError(f"there is no person {person_id!r} in the register")


# ---------------------------------------------------------------- severity and wording


def incident_severity(weight: float | None) -> int:
    """The common 0-5 level of an incident from its Crime Severity Score weight."""
    if weight is None or weight != weight:
        return 0
    for floor, level in INCIDENT_SEVERITY_BANDS:
        if weight >= floor and weight > 0:
            return level
    return 0


def _age_at(dob: Any, when: Any) -> int | None:
    if dob is None or when is None or pd.isna(dob) or pd.isna(when):
        return None
    dob, when = pd.Timestamp(dob), pd.Timestamp(when)
    return int(when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day)))


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _txt(label: str, value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value == "":
        return None
    return f"{label} {str(value).replace(';', ', ')}"


# ---------------------------------------------------------------- the timeline


def _events(con, members: pd.DataFrame) -> pd.DataFrame:
    """Every case, incident and partner record reached by the member records (no names, no dob): one row per
    event and member record (``via``) that reaches it."""
    persons = sorted(set(members.loc[members["source"] == "persons", "record_id"]))
    partner = sorted(set(members.loc[members["source"] == "partner_records", "record_id"]))
    con.register("_tl_p", pd.DataFrame({"pid": persons or [""]}))
    con.register("_tl_r", pd.DataFrame({"rkey": partner or [""]}))
    try:
        cases = con.execute(
            """WITH roles AS (
                   SELECT case_id, person_id, role FROM case_persons WHERE person_id IN (SELECT pid FROM _tl_p)
                   UNION SELECT case_id, victim_person_id, 'victim' FROM cases
                         WHERE victim_person_id IN (SELECT pid FROM _tl_p))
               SELECT c.case_id AS id, coalesce(c.occurred_from, c.reported_at) AS "when", c.category AS what,
                      string_agg(DISTINCT r.role, ', ' ORDER BY r.role) AS role, c.lsoa_code, c.location_type,
                      c.method, c.circumstance, c.suspect_relationship, c.status, c.flags,
                      r.person_id AS via, any_value(p.date_of_birth) AS dob
               FROM roles r JOIN cases c USING (case_id) LEFT JOIN persons p ON p.person_id = r.person_id
               GROUP BY ALL"""
        ).df()
        incidents = con.execute(
            """SELECT i.incident_id AS id, i.occurred_at AS "when", i.incident_type AS what,
                      string_agg(DISTINCT ip.role, ', ' ORDER BY ip.role) AS role, i.lsoa_code, i.severity,
                      i.outcome, i.flags, ip.person_id AS via, any_value(p.date_of_birth) AS dob
               FROM incident_persons ip JOIN incidents i USING (incident_id)
               LEFT JOIN persons p ON p.person_id = ip.person_id
               WHERE ip.person_id IN (SELECT pid FROM _tl_p)
               GROUP BY ALL"""
        ).df()
        records = con.execute(
            """SELECT agency || ':' || record_id AS via, record_id AS id, agency, occurred_at AS "when",
                      record_type AS what, lsoa_code, age, weapon, assailant_count
               FROM partner_records WHERE agency || ':' || record_id IN (SELECT rkey FROM _tl_r)"""
        ).df()
    finally:
        con.unregister("_tl_p")
        con.unregister("_tl_r")

    rows: list[dict] = []
    for c in cases.to_dict("records"):
        place = _join(c["lsoa_code"], c["location_type"]) if c["location_type"] else (c["lsoa_code"] or "")
        rows.append({
            "when": c["when"], "kind": "case", "source": "police", "id": c["id"], "what": c["what"],
            "role": c["role"], "severity": CASE_SEVERITY.get(c["what"], 2), "css_weight": None,
            "place": place.replace("; ", " "), "age": _age_at(c["dob"], c["when"]),
            "detail": _join(_txt("method", c["method"]), _txt("circumstance", c["circumstance"]),
                            _txt("relationship", c["suspect_relationship"]), _txt("status", c["status"]),
                            _txt("flags", c["flags"])),
            "via": c["via"],
        })
    for i in incidents.to_dict("records"):
        weight = None if pd.isna(i["severity"]) else float(i["severity"])
        rows.append({
            "when": i["when"], "kind": "incident", "source": "police", "id": i["id"], "what": i["what"],
            "role": i["role"], "severity": incident_severity(weight), "css_weight": weight,
            "place": i["lsoa_code"] or "", "age": _age_at(i["dob"], i["when"]),
            "detail": _join(_txt("outcome", i["outcome"]), _txt("flags", i["flags"])), "via": i["via"],
        })
    for r in records.to_dict("records"):
        assailants = r["assailant_count"]
        rows.append({
            "when": r["when"], "kind": "partner_record", "source": r["agency"], "id": r["id"], "what": r["what"],
            "role": "subject", "severity": PARTNER_SEVERITY.get((r["agency"], r["what"])),
            "css_weight": None, "place": r["lsoa_code"] or "",
            "age": None if pd.isna(r["age"]) else int(r["age"]),
            "detail": _join(_txt("weapon", r["weapon"]),
                            None if pd.isna(assailants) else f"{int(assailants)} assailant(s)"),
            "via": r["via"],
        })
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def _collapse(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event: when two records of one identity reach the same event, join their roles and vias."""
    if events.empty or not events.duplicated(["kind", "id"]).any():
        return events

    def join(values: pd.Series) -> str | None:
        vals = sorted({v for r in values.dropna() for v in str(r).split(", ")})
        return ", ".join(vals) or None

    first = events.drop_duplicates(["kind", "id"]).set_index(["kind", "id"])
    grouped = events.groupby(["kind", "id"])
    first["role"] = grouped["role"].agg(join)
    first["via"] = grouped["via"].agg(join)
    first["age"] = grouped["age"].first()
    return first.reset_index()[TIMELINE_COLUMNS]


def timeline(con, person_id: str, *, run_id: int | None = None) -> pd.DataFrame:
    """Every event of one person in time order, one row each.

    Columns: ``when`` (cases: ``occurred_from`` or else ``reported_at``; incidents and partner records:
    ``occurred_at``), ``kind`` (case / incident / partner_record / identity), ``source`` (``police`` or the
    partner agency), ``id``, ``what`` (category, incident type or record type), ``role``, ``severity``
    (common level 0-5, see :data:`CASE_SEVERITY`, :data:`INCIDENT_SEVERITY_BANDS`, :data:`PARTNER_SEVERITY`),
    ``css_weight`` (incidents: Crime Severity Score weight), ``place`` (LSOA and location type), ``age``
    (at the event), ``detail`` (structured fields only, never a name, a date of birth or a narrative) and
    ``via`` (the record of the identity through which the event was reached: a person_id or
    ``agency:record_id``).

    With person linkage (the latest run, or ``run_id``) every record of the person's identity is folded
    in, and each other ``persons`` record of the identity gets a row of kind ``identity`` (at the time of
    its first event). ``timeline(...).attrs`` holds ``person_id``, ``identity_id``, ``link_run`` and
    ``linked_records`` (how many records the identity has). Raises :class:`InputError` for an unknown
    person.
    """
    _require_person(con, person_id)
    run = link_run(con, run_id)
    members = _members(con, [person_id], run)
    events = _collapse(_events(con, members))
    others = members[(members["source"] == "persons") & (members["record_id"] != person_id)]
    ident = members["identity_id"].dropna()
    identity_id = ident.iloc[0] if len(ident) else None
    extra = []
    for other in sorted(others["record_id"]):
        first = events.loc[events["via"] == other, "when"].min()
        extra.append({"when": first, "kind": "identity", "source": "police", "id": other,
                      "what": "linked person record", "role": None, "severity": None, "css_weight": None,
                      "place": "", "age": None, "detail": f"same identity {identity_id} (link run {run})",
                      "via": other})
    if extra:
        events = pd.concat([events, pd.DataFrame(extra, columns=TIMELINE_COLUMNS)], ignore_index=True)
    order = {"identity": 0, "partner_record": 1, "incident": 2, "case": 3}
    events["_k"] = events["kind"].map(order)
    events = (events.sort_values(["when", "_k", "id"], na_position="last", kind="stable")
              .drop(columns="_k").reset_index(drop=True))
    events["when"] = pd.to_datetime(events["when"])
    events["severity"] = events["severity"].astype("Int64")
    events["age"] = events["age"].astype("Int64")
    events.attrs.update(person_id=person_id, identity_id=identity_id, link_run=run, linked_records=len(members))
    return events


def person_header(con, person_id: str, *, identifiable: bool = False, run_id: int | None = None) -> dict:
    """Who the timeline is about: ``person_id``, ``identity_id``, ``sex``, ``ethnicity`` and ``link_run``;
    with ``identifiable=True`` also ``given_name``, ``family_name``, ``date_of_birth`` and ``aliases``
    (only for an identifiable export the user asked for)."""
    _require_person(con, person_id)
    row = con.execute(
        "SELECT sex, ethnicity, given_name, family_name, date_of_birth, aliases FROM persons WHERE person_id = ?",
        [person_id],
    ).fetchone()
    run = link_run(con, run_id)
    members = _members(con, [person_id], run)
    ident = members["identity_id"].dropna()
    head = {"person_id": person_id, "identity_id": ident.iloc[0] if len(ident) else None, "sex": row[0],
            "ethnicity": row[1], "link_run": run, "identifiable": identifiable,
            "linked_persons": int(((members["source"] == "persons") & (members["record_id"] != person_id)).sum()),
            "linked_partner_records": int((members["source"] == "partner_records").sum())}
    if identifiable:
        dob = row[4]
        head.update(given_name=row[2], family_name=row[3], aliases=row[5],
                    date_of_birth=None if dob is None else pd.Timestamp(dob).date().isoformat())
    return head


# ---------------------------------------------------------------- prior contacts


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InputError(f"not a date (YYYY-MM-DD): {value!r}") from None
    return value.date() if isinstance(value, datetime) else value


def _parties(con, start: date, end: date, categories: tuple[str, ...]) -> pd.DataFrame:
    cats = list(categories)
    return con.execute(
        f"""WITH c AS (
                SELECT case_id, category, reported_at, CAST(coalesce(occurred_from, reported_at) AS DATE) AS case_day,
                       victim_person_id FROM cases
                WHERE reported_at >= ? AND reported_at < ? AND category IN ({', '.join('?' * len(cats))})),
            p AS (
                SELECT case_id, victim_person_id AS person_id, 'victim' AS party FROM c
                WHERE victim_person_id IS NOT NULL
                UNION SELECT cp.case_id, cp.person_id, cp.role FROM case_persons cp JOIN c USING (case_id)
                      WHERE cp.role IN ('victim', 'suspect'))
            SELECT c.case_id, c.category, c.reported_at, c.case_day, p.party, p.person_id
            FROM c JOIN p USING (case_id) ORDER BY c.reported_at, c.case_id, p.party DESC, p.person_id""",
        [start, end, *cats],
    ).df()


def prior_contacts(con, start: date | str, end: date | str, *, years_before: int = 2,
                   categories: tuple[str, ...] = ("homicide", "attempted_homicide"),
                   run_id: int | None = None) -> pd.DataFrame:
    """Which agencies had contact with the victim and each suspect of every case in ``[start, end)``.

    One row per case, party (victim or suspect, with its person_id) and agency, for every agency: ``police``
    (the force's incidents and earlier cases) and, when person linkage has been run, each partner agency in
    ``partner_records`` (a partner record reaches a person only through linkage, so without it there are
    police rows only). Columns: ``case_id, category, reported_at, party, person_id, identity_id,
    agency, contacts`` (in the ``years_before`` years before the day of the case, that day left out),
    ``first_contact, last_contact, days_before`` (from the last contact to the day of the case) and
    ``with_other_party`` (police contacts in which the other party, the suspect for a victim and the
    victim for a suspect, also appears; 0 for partner agencies, whose records name one person; missing
    when there is no other party). ``.attrs``: ``link_run``, ``years_before``, ``start``, ``end``,
    ``agencies``.
    """
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        raise InputError(f"the period is empty: {start} to {end}")
    if years_before < 1:
        raise InputError(f"--years-before must be 1 or more, not {years_before}")
    run = link_run(con, run_id)
    agencies = ["police"]
    if run is not None:  # without linkage a partner record cannot reach a person: no rows rather than false zeros
        sql = "SELECT DISTINCT agency FROM partner_records ORDER BY agency"
        agencies += [a for (a,) in con.execute(sql).fetchall()]
    columns = ["case_id", "category", "reported_at", "party", "person_id", "identity_id", "agency", "contacts",
               "first_contact", "last_contact", "days_before", "with_other_party"]
    parties = _parties(con, start, end, tuple(categories))
    attrs = {"link_run": run, "years_before": years_before, "start": start.isoformat(), "end": end.isoformat(),
             "agencies": agencies, "categories": list(categories)}
    if parties.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs.update(attrs)
        return out
    members = _members(con, sorted(set(parties["person_id"])), run)
    # every event of every member record, then keep those in each party's window
    events = _events(con, members)
    events = events[events["kind"] != "identity"]
    events["agency"] = events["source"]
    events["day"] = pd.to_datetime(events["when"]).dt.normalize()
    reach = members[["person_id", "record_id"]].rename(columns={"record_id": "via"})
    person_events = reach.merge(events[["via", "kind", "id", "agency", "day"]], on="via")
    # who else is in each police incident and case (for the victim-suspect dyad)
    police_people = _police_people(con, members)

    rows = []
    for p in parties.to_dict("records"):
        case_day = pd.Timestamp(p["case_day"])
        since = case_day - pd.DateOffset(years=years_before)
        mine = person_events[(person_events["person_id"] == p["person_id"]) & (person_events["day"] < case_day)
                             & (person_events["day"] >= since)
                             & ~((person_events["kind"] == "case") & (person_events["id"] == p["case_id"]))]
        mine = mine.drop_duplicates(["kind", "id", "agency"])
        same = parties[parties["case_id"] == p["case_id"]]
        other_party = "suspect" if p["party"] == "victim" else "victim"
        others = set(same.loc[same["party"] == other_party, "person_id"])
        other_records = set(members.loc[members["person_id"].isin(others) & (members["source"] == "persons"),
                                        "record_id"])
        ident = members.loc[members["person_id"] == p["person_id"], "identity_id"].dropna()
        for agency in agencies:
            got = mine[mine["agency"] == agency]
            if agency == "police" and others:
                keys = set(zip(got["kind"], got["id"], strict=True))
                dyad = sum(1 for k in keys if police_people.get(k, set()) & other_records)
            else:
                dyad = 0 if others else None
            last = got["day"].max() if len(got) else None
            rows.append({
                "case_id": p["case_id"], "category": p["category"], "reported_at": p["reported_at"],
                "party": p["party"], "person_id": p["person_id"], "identity_id": ident.iloc[0] if len(ident) else None,
                "agency": agency, "contacts": len(got),
                "first_contact": got["day"].min().date() if len(got) else None,
                "last_contact": last.date() if last is not None else None,
                "days_before": int((case_day - last).days) if last is not None else None,
                "with_other_party": dyad,
            })
    out = pd.DataFrame(rows, columns=columns)
    out["days_before"] = out["days_before"].astype("Int64")
    out["with_other_party"] = out["with_other_party"].astype("Int64")
    out.attrs.update(attrs)
    return out


def _police_people(con, members: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    """(kind, id) -> every person_id in that incident or case, for the incidents and cases of ``members``."""
    persons = sorted(set(members.loc[members["source"] == "persons", "record_id"]))
    con.register("_tl_p", pd.DataFrame({"pid": persons or [""]}))
    try:
        inc = con.execute(
            """SELECT incident_id, person_id FROM incident_persons WHERE incident_id IN
               (SELECT incident_id FROM incident_persons WHERE person_id IN (SELECT pid FROM _tl_p))"""
        ).fetchall()
        cas = con.execute(
            """WITH r AS (SELECT case_id, person_id FROM case_persons
                          UNION SELECT case_id, victim_person_id FROM cases WHERE victim_person_id IS NOT NULL)
               SELECT case_id, person_id FROM r WHERE case_id IN
               (SELECT case_id FROM r WHERE person_id IN (SELECT pid FROM _tl_p))"""
        ).fetchall()
    finally:
        con.unregister("_tl_p")
    out: dict[tuple[str, str], set[str]] = {}
    for kind, pairs in (("incident", inc), ("case", cas)):
        for key, pid in pairs:
            out.setdefault((kind, key), set()).add(pid)
    return out


def prior_contacts_summary(detail: pd.DataFrame) -> pd.DataFrame:
    """The force-level summary of :func:`prior_contacts`: for victims and suspects, per agency, how many
    people (``people``), how many had contact in the years before (``known``), the ``share``, the median
    contacts of those known and the median days from the last contact to the case. One person who is a
    party to two cases counts twice (once per case)."""
    columns = ["party", "agency", "people", "known", "share", "median_contacts", "median_days_before",
               "known_with_other_party"]
    if detail.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (party, agency), g in detail.groupby(["party", "agency"], sort=False):
        known = g[g["contacts"] > 0]
        dyad = g["with_other_party"].dropna()
        rows.append({
            "party": party, "agency": agency, "people": len(g), "known": len(known),
            "share": round(len(known) / len(g), 3) if len(g) else None,
            "median_contacts": float(known["contacts"].median()) if len(known) else None,
            "median_days_before": float(known["days_before"].astype(float).median()) if len(known) else None,
            "known_with_other_party": int((dyad > 0).sum()),
        })
    out = pd.DataFrame(rows, columns=columns)
    out["_p"] = out["party"].map({"victim": 0, "suspect": 1})
    return out.sort_values(["_p"], kind="stable").drop(columns="_p").reset_index(drop=True)


def prior_contacts_findings(con, period: Any, *, years_before: int = 2,
                            categories: tuple[str, ...] = ("homicide", "attempted_homicide")) -> dict:
    """A JSON-serialisable section for the quarterly report: the prior contacts of the victims and
    suspects of the period's homicides and near-misses. ``period`` is a report
    :class:`~threadline.report.period.Period` (or anything with ``start``, ``end`` and optionally
    ``label``), or a ``(start, end)`` pair. No names, no dates of birth, no person ids: cases are named by
    their case_id."""
    if isinstance(period, tuple | list):
        start, end, label = _as_date(period[0]), _as_date(period[1]), None
    else:
        start, end, label = _as_date(period.start), _as_date(period.end), getattr(period, "label", None)
    detail = prior_contacts(con, start, end, years_before=years_before, categories=categories)
    summary = prior_contacts_summary(detail)
    run = detail.attrs["link_run"]

    def num(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        return v.item() if isinstance(v, np.generic) else v

    cases = []
    for case_id, g in detail.groupby("case_id", sort=False):
        first = g.iloc[0]
        parties = []
        for (party, _pid), h in g.groupby(["party", "person_id"], sort=False):
            known = h[h["contacts"] > 0]
            parties.append({
                "party": party,
                "agencies": {r["agency"]: {"contacts": int(r["contacts"]), "days_before": num(r["days_before"]),
                                           "with_other_party": num(r["with_other_party"])}
                             for r in known.to_dict("records")},
            })
        police = g[(g["agency"] == "police")]
        cases.append({
            "case_id": case_id, "category": first["category"], "reported": pd.Timestamp(first["reported_at"]).date()
            .isoformat(), "parties": parties,
            "police_contact_with_both": bool((police["with_other_party"].fillna(0) > 0).any()),
        })
    n_cases = len(cases)
    return {
        "period": {"label": label, "start": start.isoformat(), "end": end.isoformat()},
        "categories": list(categories),
        "years_before": years_before,
        "link_run": run,
        "linkage_note": None if run is not None else
        "Person linkage has not been run: partner agencies' contacts cannot be counted, only police contacts.",
        "cases": n_cases,
        "cases_with_police_contact_with_both": sum(c["police_contact_with_both"] for c in cases),
        "summary": [{k: num(v) for k, v in r.items()} for r in summary.to_dict("records")],
        "by_case": cases,
        "method": (f"Contacts are the force's incidents and earlier cases and, through person linkage, partner "
                   f"agencies' records of the victim and each suspect in the {years_before} years before the day "
                   "of the case (that day left out). 'With the other party': police contacts in which both the "
                   "victim and a suspect of the case appear."),
    }


# ---------------------------------------------------------------- HTML page


def timeline_chart(events: pd.DataFrame, title: str):
    """Events by agency over time, severity as marker size: a report ``Chart`` (PNG data URI), or None."""
    from threadline.report import charts

    plt = charts.plt
    dated = events[events["when"].notna() & (events["kind"] != "identity")]
    if dated.empty:
        return None
    lanes = ["police"] + sorted(s for s in dated["source"].unique() if s != "police")
    height = 0.6 * len(lanes) + 1.6
    fig, ax = plt.subplots(figsize=(9, height))
    fig.subplots_adjust(bottom=0.6 / height)  # room for the source line under the date axis
    styles = {"case": ("*", charts.PALETTE[1]), "incident": ("o", charts.PALETTE[0]),
              "partner_record": ("s", charts.PALETTE[3])}
    for kind, (marker, colour) in styles.items():
        k = dated[dated["kind"] == kind]
        if k.empty:
            continue
        sev = k["severity"].astype("Float64").fillna(1).astype(float)
        scale = 2.0 if marker == "*" else 1.0  # a star looks smaller than a disc of the same area
        ax.scatter(pd.to_datetime(k["when"]), [lanes.index(s) for s in k["source"]], s=scale * (18 + 28 * sev),
                   marker=marker, color=colour, alpha=0.75, edgecolors="white", linewidths=0.5,
                   label=kind.replace("_", " "))
    ax.set_yticks(range(len(lanes)), [AGENCY_WORDS.get(s, s) for s in lanes], fontsize=8)
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncols=3)
    ax.set_title(title, fontsize=9)
    counts = dated["source"].value_counts()
    alt = (f"Timeline of {len(dated)} events from {dated['when'].min():%d %b %Y} to {dated['when'].max():%d %b %Y}, "
           f"one row per agency ({', '.join(f'{AGENCY_WORDS.get(s, s)} {counts[s]}' for s in lanes)}); "
           "larger markers are more severe.")
    return charts._render(fig, title, alt, "Source: force register and linked partner records (Threadline)")


def render_person_html(con, person_id: str, *, identifiable: bool = False, run_id: int | None = None,
                       generated_at: datetime | None = None) -> str:
    """The person page: header, chart and the timeline table, self-contained HTML (CSS and chart inline).

    The default page carries no name and no date of birth: only the person_id, the pseudonymous
    identity id, sex and age at each event. ``identifiable=True`` adds name, aliases and date of birth and
    marks the page IDENTIFIABLE.
    """
    from jinja2 import Environment, select_autoescape

    from threadline import __version__

    events = timeline(con, person_id, run_id=run_id)
    head = person_header(con, person_id, identifiable=identifiable, run_id=run_id)
    chart = timeline_chart(events, f"Events of {person_id} by agency over time")
    templates = files("threadline.report") / "templates"
    env = Environment(autoescape=select_autoescape(["html", "j2"]))
    template = env.from_string((templates / "person.html.j2").read_text("utf-8"))
    css = (templates / "report.css").read_text("utf-8")
    from markupsafe import Markup

    rows = []
    for e in events.to_dict("records"):
        rows.append({**e, "when": "" if pd.isna(e["when"]) else f"{e['when']:%d %b %Y %H:%M}",
                     "severity": "" if pd.isna(e["severity"]) else int(e["severity"]),
                     "age": "" if pd.isna(e["age"]) else int(e["age"]),
                     "source": AGENCY_WORDS.get(e["source"], e["source"]),
                     "what": (e["what"] or "").replace("_", " "), "role": e["role"] or ""})
    by_source = events[events["kind"] != "identity"].groupby("source").size().to_dict()
    return template.render(
        css=Markup(css), head=head, rows=rows, chart=chart, severity_words=SEVERITY_WORDS,
        by_source={AGENCY_WORDS.get(k, k): v for k, v in by_source.items()},
        generated=(generated_at or datetime.now()).strftime("%Y-%m-%d %H:%M"), version=__version__,
        span=(None if events["when"].dropna().empty else
              (f"{events['when'].min():%d %b %Y}", f"{events['when'].max():%d %b %Y}")),
    )


def chart_image_bytes(chart) -> bytes:
    """The PNG bytes of a chart (for tests and exports)."""
    return base64.b64decode(chart.data_uri.split(",", 1)[1])


__all__ = [
    "CASE_SEVERITY", "INCIDENT_SEVERITY_BANDS", "PARTNER_SEVERITY", "chart_image_bytes", "incident_severity",
    "link_run", "person_header", "prior_contacts", "prior_contacts_findings", "prior_contacts_summary",
    "render_person_html", "timeline", "timeline_chart",
]
