"""The Home Office homicide return: per homicide, the data the Homicide Index collects, from the register.

The Homicide Index is the Home Office's record of every homicide (murder, manslaughter, infanticide)
recorded by the police in England and Wales, with details of victims, suspects and court outcomes;
the Office for National Statistics publishes it as *Homicide in England and Wales*. It counts a
homicide in the year police recorded it as one (ONS user guide), one offence per victim (Home Office
Counting Rules for recorded crime, homicide), so the return holds the register's ``homicide`` cases
**reported** in the period, one row per case (a case is one victim). Attempted homicides, suspicious
and unexplained deaths and the other categories are not homicides and are not in the Index: the
reconciliation counts them as excluded, with the reason.

- :func:`build_return` reads the register into the return (:data:`RETURN_LAYOUT`) and its suspects
  sheet (:data:`SUSPECT_LAYOUT`), validates it (:mod:`threadline.returns.rules`) and reconciles its
  counts with the register (:mod:`threadline.returns.reconcile`);
- :func:`changes_since` compares it with the last return (:mod:`threadline.returns.changes`);
- :func:`write_return` writes CSV files or one XLSX workbook (:mod:`threadline.returns.writer`).

See docs/homicide-return.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

from threadline.errors import InputError
from threadline.returns.changes import changes_since
from threadline.returns.layout import (
    CHANGE_COLUMNS,
    COURT_OUTCOMES,
    RETURN_CATEGORIES,
    RETURN_COLUMNS,
    RETURN_LAYOUT,
    SUSPECT_COLUMNS,
    SUSPECT_LAYOUT,
    age_band,
    parse_band,
)
from threadline.returns.reconcile import reconcile
from threadline.returns.rules import RULES, Problem, problems_frame, validate
from threadline.returns.writer import write_return

__all__ = [
    "COURT_OUTCOMES",
    "RETURN_LAYOUT",
    "RULES",
    "SUSPECT_LAYOUT",
    "Problem",
    "ReturnResult",
    "age_at",
    "build_return",
    "changes_since",
    "court_outcome",
    "reconcile",
    "validate",
    "write_return",
]


@dataclass
class ReturnResult:
    """A built return: its rows and suspects, the problems found, the changes since the last return
    (empty until :func:`changes_since` is given one) and the reconciliation with the register."""

    start: date
    end: date
    rows: pd.DataFrame
    suspects: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CHANGE_COLUMNS)))

    @property
    def problems_frame(self) -> pd.DataFrame:
        return problems_frame(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def period(self) -> str:
        """The period as people write it: first and last day."""
        return f"{self.start} to {self.end - timedelta(days=1)}"


def _connection(con):
    """A DuckDB connection from a connection or a :class:`~threadline.workspace.Workspace`."""
    return getattr(con, "con", con)


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{value!r} is not a date like 2025-04-01") from None


def _blank(value: object) -> bool:
    return (
        value is None
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
        or value is pd.NA
        or str(value).strip() == ""
    )


def age_at(date_of_birth: date | None, on: date | None) -> int | None:
    """Age in whole years on a day (``None`` if either is missing or the birth is after the day)."""
    if _blank(date_of_birth) or _blank(on):
        return None
    dob, day = pd.Timestamp(date_of_birth).date(), pd.Timestamp(on).date()
    if dob > day:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def court_outcome(attributes: dict, status: str | None) -> tuple[str, str]:
    """``(court_outcome, source)``: the register's ``court_outcome`` attribute if recorded
    (``recorded``), else ``awaiting`` for a charged case (``derived``), else blank."""
    recorded = attributes.get("court_outcome")
    if not _blank(recorded):
        return str(recorded).strip(), "recorded"
    if status == "charged":
        return "awaiting", "derived"
    return "", ""


def _attributes(raw: object) -> dict:
    if _blank(raw):
        return {}
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _flags(raw: object) -> set[str]:
    return set() if _blank(raw) else {f.strip() for f in str(raw).split(";") if f.strip()}


def _first(*values: object) -> object:
    for v in values:
        if not _blank(v):
            return v
    return None


def _cases(con, start: date, end: date) -> pd.DataFrame:
    placeholders = ", ".join("?" for _ in RETURN_CATEGORIES)
    return con.execute(
        f"""SELECT c.case_id, c.force, c.reported_at, c.occurred_from, c.victim_age, c.victim_sex,
                  c.victim_ethnicity, c.method, c.circumstance, c.suspect_relationship, c.location_type, c.flags,
                  c.status, c.attributes::VARCHAR AS attributes, v.date_of_birth AS victim_dob,
                  v.sex AS victim_person_sex, v.ethnicity AS victim_person_ethnicity
           FROM cases c LEFT JOIN persons v ON v.person_id = c.victim_person_id
           WHERE c.category IN ({placeholders}) AND c.reported_at >= ?::TIMESTAMP AND c.reported_at < ?::TIMESTAMP
           ORDER BY c.reported_at, c.case_id""",
        [*RETURN_CATEGORIES, start, end],
    ).df()


def _suspects(con, start: date, end: date) -> pd.DataFrame:
    placeholders = ", ".join("?" for _ in RETURN_CATEGORIES)
    return con.execute(
        f"""SELECT cp.case_id, cp.person_id, p.sex, p.ethnicity, p.date_of_birth
           FROM case_persons cp JOIN cases c ON c.case_id = cp.case_id
           LEFT JOIN persons p ON p.person_id = cp.person_id
           WHERE cp.role = 'suspect' AND c.category IN ({placeholders})
             AND c.reported_at >= ?::TIMESTAMP AND c.reported_at < ?::TIMESTAMP
           ORDER BY cp.case_id, cp.import_id, cp.source_row, cp.person_id""",
        [*RETURN_CATEGORIES, start, end],
    ).df()


def _text(value: object) -> str:
    return "" if _blank(value) else str(value)


def _band_of_recorded(recorded: str) -> str:
    """The ONS band a recorded band falls within (``"30-34"`` is in ``"25 to 34"``), else as recorded."""
    parsed = parse_band(recorded)
    if parsed and age_band(parsed[0]) is not None and age_band(parsed[0]) == age_band(min(parsed[1], 120)):
        return age_band(parsed[0])
    return recorded


def return_rows(cases: pd.DataFrame, suspects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The return and its suspects sheet from the register's cases (with the victim's person columns)
    and the suspects of those cases in recorded order. Pure: no database."""
    offence_of: dict[str, date] = {}
    rows = []
    for c in cases.to_dict("records"):
        attrs = _attributes(c.get("attributes"))
        reported = pd.Timestamp(c["reported_at"]).date()
        offence = pd.Timestamp(_first(c.get("occurred_from"), c["reported_at"])).date()
        offence_of[str(c["case_id"])] = offence
        age = c.get("victim_age")
        age = int(age) if not _blank(age) else age_at(c.get("victim_dob"), offence)
        recorded_band = _text(attrs.get("victim_age_band")).strip()
        band = age_band(age)
        if band is None and recorded_band:
            band = _band_of_recorded(recorded_band)
        flags = _flags(c.get("flags"))
        status = _text(c.get("status"))
        outcome, source = court_outcome(attrs, status)
        rows.append(
            {
                "case_id": str(c["case_id"]),
                "force": _text(c.get("force")),
                "recorded_date": reported,
                "offence_date": offence,
                "victim_age": age,
                "victim_age_band": band or "",
                "victim_age_band_recorded": recorded_band,
                "victim_sex": _text(_first(c.get("victim_sex"), c.get("victim_person_sex"))),
                "victim_ethnicity": _text(_first(c.get("victim_ethnicity"), c.get("victim_person_ethnicity"))),
                "method": _text(c.get("method")),
                "circumstance": _text(c.get("circumstance")),
                "suspect_relationship": _text(c.get("suspect_relationship")),
                "location_type": _text(c.get("location_type")),
                "alcohol_involved": "yes" if "alcohol" in flags else "no",
                "drugs_involved": "yes" if "drugs" in flags else "no",
                "domestic_abuse_flag": "yes" if "domestic_abuse" in flags else "no",
                "status": status,
                "court_outcome": outcome,
                "court_outcome_source": source,
            }
        )
    sus = []
    numbers: dict[str, int] = {}
    for s in suspects.to_dict("records"):
        case_id = str(s["case_id"])
        if case_id not in offence_of:
            continue
        numbers[case_id] = numbers.get(case_id, 0) + 1
        age = age_at(s.get("date_of_birth"), offence_of[case_id])
        sus.append(
            {
                "case_id": case_id,
                "suspect_number": numbers[case_id],
                "person_id": str(s["person_id"]),
                "principal": "yes" if numbers[case_id] == 1 else "no",
                "sex": _text(s.get("sex")),
                "age": age,
                "age_band": age_band(age) or "",
                "ethnicity": _text(s.get("ethnicity")),
            }
        )
    principal = {s["case_id"]: s for s in sus if s["suspect_number"] == 1}
    for r in rows:
        p = principal.get(r["case_id"], {})
        r.update(
            {
                "suspects": numbers.get(r["case_id"], 0),
                "principal_suspect_id": p.get("person_id", ""),
                "principal_suspect_sex": p.get("sex", ""),
                "principal_suspect_age": p.get("age"),
                "principal_suspect_age_band": p.get("age_band", ""),
                "principal_suspect_ethnicity": p.get("ethnicity", ""),
            }
        )
    frame = pd.DataFrame(rows, columns=list(RETURN_COLUMNS))
    for col in ("victim_age", "principal_suspect_age", "suspects"):
        frame[col] = frame[col].astype("Int64")
    sus_frame = pd.DataFrame(sus, columns=list(SUSPECT_COLUMNS))
    sus_frame["age"] = sus_frame["age"].astype("Int64")
    sus_frame["suspect_number"] = sus_frame["suspect_number"].astype("Int64")
    return frame, sus_frame


def build_return(con, start: date | str, end: date | str) -> ReturnResult:
    """The homicide return for homicides reported on or after ``start`` and before ``end``.

    ``con`` is a DuckDB connection to a workspace (or the :class:`~threadline.workspace.Workspace`).
    The result holds the rows (one per victim), the suspects (one per case and suspect), the problems
    the validation rules found and the reconciliation of counts with the register.
    """
    start, end = _day(start), _day(end)
    if end <= start:
        raise InputError(f"the period is empty: it ends ({end}) on or before it starts ({start})")
    db = _connection(con)
    rows, suspects = return_rows(_cases(db, start, end), _suspects(db, start, end))
    return ReturnResult(
        start=start,
        end=end,
        rows=rows,
        suspects=suspects,
        problems=validate(rows, suspects),
        reconciliation=reconcile(db, start, end, rows),
    )
