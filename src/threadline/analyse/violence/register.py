"""Reading the register for the serious violence analyses: one DataFrame per question.

The SQL stays here, so the statistics modules are pure functions of frames and the same frames can
come from another engine (DuckDB SQL runs unchanged on Spark SQL for a national dataset).

Counting rules, shared with the synthetic force's truth (:mod:`threadline.synth.violence`):

- an **involvement** is a person's role (victim or suspect) in a serious violence incident or death
  investigation, per :mod:`definitions`; age is whole years at the incident (date of birth, else the
  age recorded on the crime);
- the **area** of an involvement is the local authority of the incident's LSOA (the register holds
  no home address), so a person counts once in each authority where they were involved and once in
  the force;
- the person's ethnic group is the register's (``persons.ethnicity``, the five ONS groups).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from threadline.analyse.violence import definitions as D
from threadline.report.areas import lsoa_table

_INVOLVEMENT_COLUMNS = ["person_id", "role", "source", "record_id", "occurred_at", "lsoa_code", "sv_category",
                        "age", "sex", "group5", "arrested", "outcome_code", "la_code", "la_name"]


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column]).fetchone()[0])


def _areas(frame: pd.DataFrame) -> pd.DataFrame:
    lookup = lsoa_table()[["lsoa_code", "la_code", "la_name"]]
    return frame.merge(lookup, on="lsoa_code", how="left")


def _window(frame: pd.DataFrame, column: str, start: date | None, end: date | None) -> pd.DataFrame:
    t = pd.to_datetime(frame[column])
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= t >= pd.Timestamp(start)
    if end is not None:
        keep &= t < pd.Timestamp(end) + pd.Timedelta(days=1)
    return frame[keep]


def involvements(con: duckdb.DuckDBPyConnection, defs: D.Definitions, start: date | None = None,
                 end: date | None = None) -> pd.DataFrame:
    """Every victim and suspect involvement in serious violence (all ages), incidents and cases."""
    arrested = "ip.arrested" if _has_column(con, "incident_persons", "arrested") else "NULL"
    rec_age = "ip.age" if _has_column(con, "incident_persons", "age") else "NULL"
    inc = con.execute(f"""
        SELECT ip.person_id, ip.role, 'incident' AS source, i.incident_id AS record_id, i.occurred_at,
               i.lsoa_code, i.incident_type, i.ho_offence_code, i.flags, p.date_of_birth, {rec_age} AS recorded_age,
               p.sex, p.ethnicity AS group5, {arrested} AS arrested, i.outcome_code
        FROM incident_persons ip JOIN incidents i USING (incident_id) JOIN persons p USING (person_id)
        WHERE ip.role IN ('victim', 'suspect')""").df()
    inc = _window(inc, "occurred_at", start, end)
    inc["sv_category"] = D.incident_categories(inc, defs)
    inc = inc[inc["sv_category"] != ""]
    cases = con.execute("""
        SELECT c.victim_person_id AS person_id, 'victim' AS role, c.case_id AS record_id,
               coalesce(c.occurred_from, c.reported_at) AS occurred_at, c.lsoa_code, c.category, c.status,
               p.date_of_birth, c.victim_age AS recorded_age, p.sex, p.ethnicity AS group5
        FROM cases c JOIN persons p ON p.person_id = c.victim_person_id
        UNION ALL
        SELECT cp.person_id, 'suspect', c.case_id, coalesce(c.occurred_from, c.reported_at), c.lsoa_code, c.category,
               c.status, p.date_of_birth, NULL, p.sex, p.ethnicity
        FROM case_persons cp JOIN cases c USING (case_id) JOIN persons p USING (person_id)
        WHERE cp.role = 'suspect'""").df()
    cases = _window(cases, "occurred_at", start, end)
    cases["sv_category"] = D.case_categories(cases, defs)
    cases = cases[cases["sv_category"] != ""].assign(source="case", arrested=None, outcome_code=None)
    both = pd.concat([f for f in (inc, cases) if len(f)] or [inc], ignore_index=True)
    both["age"] = D.age_at(both["date_of_birth"], both["occurred_at"], both["recorded_age"])
    both["occurred_at"] = pd.to_datetime(both["occurred_at"])
    both = _areas(both)
    return both[_INVOLVEMENT_COLUMNS].sort_values(["occurred_at", "record_id", "role", "person_id"],
                                                  kind="stable").reset_index(drop=True)


def youth_people(inv: pd.DataFrame, defs: D.Definitions) -> pd.DataFrame:
    """One row per person, role and area ("force" or a local authority code) among youth involvements.

    Columns: role, area, area_name, person_id, group5, and for suspects the stage flags ``arrested``,
    ``charged``, ``out_of_court``, ``outcome_22`` (reached on any youth serious violence incident in
    that area; ``suspect`` is always True).
    """
    young = inv[D.is_youth(inv["age"], defs)].copy()
    code = pd.to_numeric(young["outcome_code"], errors="coerce")
    stage_codes = defs.stage_outcomes
    young["arrested_"] = young["arrested"].astype(str).str.lower().eq("yes")
    for stage in ("charged", "out_of_court", "outcome_22"):
        young[stage + "_"] = code.isin(list(stage_codes.get(stage, ())))
    flags = ["arrested_", "charged_", "out_of_court_", "outcome_22_"]
    frames = []
    for area_col in (None, "la_code"):
        g = young.copy()
        g["area"] = "force" if area_col is None else g["la_code"]
        g["area_name"] = "Force" if area_col is None else g["la_name"]
        g = g[g["area"].notna()]
        agg = g.groupby(["role", "area", "area_name", "person_id"], as_index=False).agg(
            group5=("group5", "first"), **{f[:-1]: (f, "any") for f in flags})
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    out["suspect"] = out["role"].eq("suspect")
    victims = out["role"].eq("victim")
    out.loc[victims, ["arrested", "charged", "out_of_court", "outcome_22"]] = False
    return out


def suspect_rows(con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """One row per suspect on an incident, for outcome 22: dates, ages, severity, outcome, area, group.

    ``n_suspects`` is the number of suspects on the incident (outcome codes are per crime, so an
    incident with several suspects says nothing certain about each one).
    """
    rec_age = "ip.age" if _has_column(con, "incident_persons", "age") else "NULL"
    rows = con.execute(f"""
        SELECT ip.person_id, i.incident_id, i.occurred_at, i.incident_type, i.ho_offence_code, i.severity,
               i.outcome_code, i.lsoa_code, p.date_of_birth, {rec_age} AS recorded_age, p.sex,
               p.ethnicity AS group5,
               count(*) OVER (PARTITION BY i.incident_id) AS n_suspects
        FROM incident_persons ip JOIN incidents i USING (incident_id) JOIN persons p USING (person_id)
        WHERE ip.role = 'suspect'""").df()
    rows["age"] = D.age_at(rows["date_of_birth"], rows["occurred_at"], rows["recorded_age"])
    rows["occurred_at"] = pd.to_datetime(rows["occurred_at"])
    rows = _areas(rows).sort_values(["occurred_at", "incident_id", "person_id"], kind="stable")
    # Eligibility looks at the whole history, so the window only marks rows; the caller filters.
    rows["in_window"] = rows.index.isin(_window(rows, "occurred_at", start, end).index)
    return rows.reset_index(drop=True)


def characteristic_rows(con: duckdb.DuckDBPyConnection, start: date | None = None,
                        end: date | None = None) -> pd.DataFrame:
    """Victim and suspect rows with the protected characteristics as recorded on each crime."""
    fields = ["age", "sex", "ethnicity_self_defined", "ethnicity_observed", "disability", "religion",
              "sexual_orientation", "gender_identity"]
    present = [f for f in fields if _has_column(con, "incident_persons", f)]
    extra = [c for c in ("source_system", "recording_unit") if _has_column(con, "incidents", c)]
    cols = ", ".join([f"ip.{f}" for f in present] + [f"i.{c}" for c in extra])
    rows = con.execute(f"""
        SELECT ip.incident_id, ip.person_id, ip.role, i.occurred_at, i.incident_type, i.lsoa_code
               {', ' + cols if cols else ''}
        FROM incident_persons ip JOIN incidents i USING (incident_id)
        WHERE ip.role IN ('victim', 'suspect')""").df()
    rows = _window(rows, "occurred_at", start, end)
    rows["occurred_at"] = pd.to_datetime(rows["occurred_at"])
    return _areas(rows).reset_index(drop=True)


def person_events(con: duckdb.DuckDBPyConnection, defs: D.Definitions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For evaluation: every person-incident (role, date, serious violence or not) and the persons."""
    ev = con.execute("""
        SELECT ip.person_id, ip.role, i.occurred_at, i.incident_type, i.ho_offence_code, i.flags
        FROM incident_persons ip JOIN incidents i USING (incident_id)""").df()
    ev["serious_violence"] = D.incident_categories(ev, defs) != ""
    ev["occurred_at"] = pd.to_datetime(ev["occurred_at"])
    persons = con.execute("SELECT person_id, date_of_birth, sex, ethnicity FROM persons").df()
    return ev[["person_id", "role", "occurred_at", "serious_violence"]], persons


def case_people(con: duckdb.DuckDBPyConnection) -> set[str]:
    """People who were the victim (dead or gravely hurt) or a suspect of a death investigation or
    near miss: a programme could not take them, and their later records are not comparable."""
    rows = con.execute("""
        SELECT victim_person_id FROM cases WHERE victim_person_id IS NOT NULL
        UNION SELECT person_id FROM case_persons WHERE role IN ('victim', 'suspect')""").fetchall()
    return {r[0] for r in rows}
