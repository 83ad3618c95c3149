"""Validation rules of the homicide return: one small function a rule, each with an id, a severity and
a message that names the case and the field.

The rules check what the importer cannot: agreement between fields and between a case and its
suspects, against what the Home Office Homicide Index expects of a record (ONS, *Homicide in England
and Wales*, user guide: "relationship of victim to principal suspect", "outcome of proceedings"; the
age of criminal responsibility, 10, Children and Young Persons Act 1933 s.50; a domestic homicide is one
by a partner, ex-partner or family member, Domestic Abuse Act 2021 s.2). What the importer already
rejects row by row (ages outside 0 to 120, dates in the future, an offence after it was reported, a
duplicate case id, values outside the vocabularies) cannot reach the register, so is not checked again.

``validate(rows, suspects)`` returns every :class:`Problem`; :data:`RULES` lists the rules in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

import pandas as pd

from threadline.returns.layout import CONVICTIONS, COURT_OUTCOMES, PROBLEM_COLUMNS, age_band, parse_band
from threadline.vocab import SUSPECT_RELATIONSHIPS

ERROR = "error"
WARNING = "warning"

#: Statuses where a suspect has been charged (the ONS "solved" statuses).
CHARGED = ("charged", "convicted")
#: Statuses after which the Index expects the method to be known.
CLOSED = ("charged", "convicted", "no_further_action")
#: Relationships that name a known principal suspect.
KNOWN_RELATIONSHIPS = tuple(r for r in SUSPECT_RELATIONSHIPS if r not in ("no_suspect", "unknown", "not_applicable"))


@dataclass(frozen=True)
class Problem:
    """One problem a rule found in one case."""

    rule: str
    severity: str
    case_id: str
    field: str
    value: str
    message: str


@dataclass(frozen=True)
class Rule:
    """A validation rule: ``check(row, suspects)`` yields ``(field, value, message)`` for each problem."""

    id: str
    name: str
    severity: str
    description: str
    check: Callable[[dict, list[dict]], Iterator[tuple[str, object, str]]]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or str(value) == ""


def _text(value: object) -> str:
    return "" if _blank(value) else str(value)


def _int(value: object) -> int | None:
    if _blank(value):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _suspect_count(row: dict, suspects: list[dict]) -> int:
    n = _int(row.get("suspects"))
    return len(suspects) if n is None else n


def charged_without_suspect(row, suspects):
    status = _text(row.get("status"))
    if status in CHARGED and _suspect_count(row, suspects) == 0:
        yield "suspects", 0, f"case {row['case_id']}: status is {status} but no suspect is recorded (suspects = 0)"


def age_outside_band(row, suspects):
    age, recorded = _int(row.get("victim_age")), _text(row.get("victim_age_band_recorded"))
    if age is None or not recorded:
        return
    band = parse_band(recorded)
    if band is None:
        yield (
            "victim_age_band_recorded",
            recorded,
            f"case {row['case_id']}: victim_age_band_recorded {recorded!r} is not an age band",
        )
    elif not band[0] <= age <= band[1]:
        yield (
            "victim_age_band_recorded",
            recorded,
            f"case {row['case_id']}: victim_age {age} is outside its recorded band {recorded!r} "
            f"(the ONS band for {age} is {age_band(age)!r})",
        )


def victim_age_missing(row, suspects):
    if _int(row.get("victim_age")) is None:
        band = _text(row.get("victim_age_band"))
        yield (
            "victim_age",
            "",
            f"case {row['case_id']}: victim_age is missing (no age and no victim date of birth"
            + (f"; only the band {band!r} is known)" if band else ")"),
        )


def method_unknown_when_closed(row, suspects):
    method, status = _text(row.get("method")), _text(row.get("status"))
    if status in CLOSED and method in ("", "unknown"):
        yield (
            "method",
            method,
            f"case {row['case_id']}: method is {method or 'missing'} on a {status} case; "
            "the Index needs the method of killing once a case is charged or closed",
        )


def not_applicable_on_homicide(row, suspects):
    for field in ("method", "circumstance", "suspect_relationship"):
        if _text(row.get(field)) == "not_applicable":
            yield (
                field,
                "not_applicable",
                f"case {row['case_id']}: {field} is not_applicable, a value for deaths "
                "that are not homicides; give the Index category (or unknown)",
            )


def no_suspect_but_suspect_recorded(row, suspects):
    n = _suspect_count(row, suspects)
    if _text(row.get("suspect_relationship")) == "no_suspect" and n > 0:
        yield (
            "suspect_relationship",
            "no_suspect",
            f"case {row['case_id']}: suspect_relationship is no_suspect but {n} suspect(s) are recorded",
        )


def relationship_without_suspect(row, suspects):
    rel = _text(row.get("suspect_relationship"))
    if rel in KNOWN_RELATIONSHIPS and _suspect_count(row, suspects) == 0:
        yield (
            "suspect_relationship",
            rel,
            f"case {row['case_id']}: suspect_relationship is {rel} but no suspect "
            "is recorded; record the suspect or use no_suspect",
        )


def suspect_under_ten_charged(row, suspects):
    status = _text(row.get("status"))
    if status not in CHARGED:
        return
    people = suspects or [{"person_id": row.get("principal_suspect_id"), "age": row.get("principal_suspect_age")}]
    for s in people:
        age = _int(s.get("age"))
        if age is not None and age < 10:
            yield (
                "principal_suspect_age" if not suspects else "suspect_age",
                age,
                f"case {row['case_id']}: suspect {_text(s.get('person_id'))} was {age} at the offence, under the "
                f"age of criminal responsibility (10), yet the case is {status}",
            )


def domestic_abuse_stranger(row, suspects):
    rel = _text(row.get("suspect_relationship"))
    if rel != "stranger":
        return
    if _text(row.get("circumstance")) == "domestic_abuse":
        yield (
            "circumstance",
            "domestic_abuse",
            f"case {row['case_id']}: circumstance is domestic_abuse but "
            "suspect_relationship is stranger (domestic abuse needs a partner, ex-partner or relative)",
        )
    elif _text(row.get("domestic_abuse_flag")) == "yes":
        yield (
            "domestic_abuse_flag",
            "yes",
            f"case {row['case_id']}: flagged domestic_abuse but "
            "suspect_relationship is stranger (domestic abuse needs a partner, ex-partner or relative)",
        )


def convicted_without_outcome(row, suspects):
    if _text(row.get("status")) == "convicted" and not _text(row.get("court_outcome")):
        yield (
            "court_outcome",
            "",
            f"case {row['case_id']}: status is convicted but court_outcome is missing "
            "(record it as court_outcome, e.g. convicted_murder)",
        )


def court_outcome_not_a_code(row, suspects):
    outcome = _text(row.get("court_outcome"))
    if outcome and outcome not in COURT_OUTCOMES:
        yield (
            "court_outcome",
            outcome,
            f"case {row['case_id']}: court_outcome {outcome!r} is not a code; use one of {', '.join(COURT_OUTCOMES)}",
        )


def outcome_contradicts_status(row, suspects):
    outcome, status = _text(row.get("court_outcome")), _text(row.get("status"))
    if outcome not in COURT_OUTCOMES:
        return
    if outcome in CONVICTIONS and status != "convicted":
        why = "a conviction"
    elif status == "convicted" and outcome not in CONVICTIONS:
        why = "not a conviction"
    elif outcome == "awaiting" and status != "charged":
        why = "awaiting trial, which needs status charged"
    else:
        return
    yield (
        "court_outcome",
        outcome,
        f"case {row['case_id']}: court_outcome {outcome} ({why}) contradicts status {status or 'missing'}",
    )


#: The rules, in the order they are reported.
RULES: tuple[Rule, ...] = (
    Rule(
        "HI01",
        "charged_without_suspect",
        ERROR,
        "Charged or convicted case with no suspect recorded",
        charged_without_suspect,
    ),
    Rule("HI02", "age_outside_band", ERROR, "Victim's age outside the age band the force recorded", age_outside_band),
    Rule(
        "HI03",
        "victim_age_missing",
        WARNING,
        "Victim's age missing (and no date of birth to derive it)",
        victim_age_missing,
    ),
    Rule(
        "HI04",
        "method_unknown_when_closed",
        ERROR,
        "Method missing or unknown on a charged or closed case",
        method_unknown_when_closed,
    ),
    Rule(
        "HI05",
        "not_applicable_on_homicide",
        ERROR,
        "not_applicable method, circumstance or relationship on a homicide",
        not_applicable_on_homicide,
    ),
    Rule(
        "HI06",
        "no_suspect_but_suspect_recorded",
        ERROR,
        "Relationship no_suspect but a suspect recorded",
        no_suspect_but_suspect_recorded,
    ),
    Rule(
        "HI07",
        "relationship_without_suspect",
        WARNING,
        "Relationship to a suspect but no suspect recorded",
        relationship_without_suspect,
    ),
    Rule(
        "HI08",
        "suspect_under_ten_charged",
        ERROR,
        "A suspect under 10 at the offence on a charged case",
        suspect_under_ten_charged,
    ),
    Rule(
        "HI09",
        "domestic_abuse_stranger",
        ERROR,
        "Domestic abuse circumstance or flag with a stranger",
        domestic_abuse_stranger,
    ),
    Rule(
        "HI10", "convicted_without_outcome", ERROR, "Convicted case without a court outcome", convicted_without_outcome
    ),
    Rule("HI11", "court_outcome_not_a_code", ERROR, "Court outcome not one of the codes", court_outcome_not_a_code),
    Rule(
        "HI12",
        "outcome_contradicts_status",
        ERROR,
        "Court outcome contradicting the status",
        outcome_contradicts_status,
    ),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def _records(rows: pd.DataFrame | Iterable[dict] | None) -> list[dict]:
    if rows is None:
        return []
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return list(rows)


def validate(
    rows: pd.DataFrame | Iterable[dict],
    suspects: pd.DataFrame | Iterable[dict] | None = None,
    rules: Iterable[Rule] = RULES,
) -> list[Problem]:
    """Every problem the ``rules`` find in the return ``rows`` (one per victim, the return layout).

    ``suspects`` (the suspects sheet) lets the age rule look at every suspect; without it, only the
    principal suspect in ``rows`` is checked.
    """
    by_case: dict[str, list[dict]] = {}
    for s in _records(suspects):
        by_case.setdefault(str(s["case_id"]), []).append(s)
    problems = []
    rules = tuple(rules)
    for row in _records(rows):
        case_suspects = by_case.get(str(row["case_id"]), [])
        for rule in rules:
            for field, value, message in rule.check(row, case_suspects):
                problems.append(Problem(rule.id, rule.severity, str(row["case_id"]), field, _text(value), message))
    return problems


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """The problems as the return's problems sheet."""
    return pd.DataFrame([asdict(p) for p in problems], columns=list(PROBLEM_COLUMNS))


def rules_frame() -> pd.DataFrame:
    """The rules as a table: id, name, severity, description."""
    return pd.DataFrame(
        [{"rule": r.id, "name": r.name, "severity": r.severity, "description": r.description} for r in RULES]
    )
