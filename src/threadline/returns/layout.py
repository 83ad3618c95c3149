"""The layout of the Home Office homicide return: its columns, in order, each with a description and
the register column it comes from, and the court outcomes it codes.

Sources: the Home Office Homicide Index, the record police forces return for every homicide (murder,
manslaughter, infanticide) in England and Wales, as the Office for National Statistics publishes it in
*Homicide in England and Wales* (annual; appendix tables on victims' age, sex and ethnicity, method of
killing, apparent circumstances, relationship of victim to principal suspect, location, alcohol and
drug involvement, and "outcome of proceedings"), and the Home Office Counting Rules for recorded crime
(homicide, classification 1: one offence per victim).
https://www.ons.gov.uk/peoplepopulationandcommunity/crimeandjustice/articles/homicideinenglandandwales/latest
"""

from __future__ import annotations

from threadline.analyse.breakdowns import AGE_BANDS

#: Court outcomes, after the ONS "outcome of proceedings" groups of the Homicide Index: convicted of
#: murder, of manslaughter (including diminished responsibility and loss of control), of infanticide, of a
#: lesser offence; acquitted; proceedings not proceeded with or discontinued; suspect deceased (including
#: suicide); awaiting (proceedings pending).
COURT_OUTCOMES: dict[str, str] = {
    "awaiting": "proceedings pending: a suspect charged, no court outcome yet",
    "convicted_murder": "suspect convicted of murder",
    "convicted_manslaughter": "suspect convicted of manslaughter (including diminished responsibility, "
    "loss of control)",
    "convicted_infanticide": "suspect convicted of infanticide",
    "convicted_lesser_offence": "suspect convicted of an offence other than homicide",
    "acquitted": "suspect acquitted of all charges",
    "not_proceeded": "proceedings discontinued or not proceeded with",
    "suspect_deceased": "suspect died before proceedings ended (including suicide)",
    "other": "any other outcome",
}

#: Court outcomes that are convictions (the case's status should be ``convicted``).
CONVICTIONS: tuple[str, ...] = tuple(o for o in COURT_OUTCOMES if o.startswith("convicted_"))

#: The Index's categories of homicide: the return holds the register's ``homicide`` category only.
RETURN_CATEGORIES: tuple[str, ...] = ("homicide",)

#: Age band labels (ONS *Homicide in England and Wales* victim age groups), with the ages they cover.
BAND_LABELS: tuple[str, ...] = tuple(label for label, _lo, _hi in AGE_BANDS)

#: The return: one row per homicide victim (a case), in this order. (column, description, source).
RETURN_LAYOUT: tuple[tuple[str, str, str], ...] = (
    (
        "case_id",
        "The force's reference for the homicide (one row per victim, Home Office Counting Rules)",
        "cases.case_id",
    ),
    ("force", "Police force area", "cases.force"),
    (
        "recorded_date",
        "Date recorded as a homicide (the Index counts by the date police recorded it)",
        "cases.reported_at (date)",
    ),
    (
        "offence_date",
        "Date of the offence: the earliest time it may have happened, else the date recorded",
        "cases.occurred_from, else cases.reported_at (date)",
    ),
    ("victim_age", "Victim's age at the offence", "cases.victim_age, else persons.date_of_birth of the victim"),
    (
        "victim_age_band",
        "Victim's ONS age band (under 1, 1 to 4, 5 to 15, 16 to 24, ... 75 and over)",
        "from victim_age, else the recorded band",
    ),
    (
        "victim_age_band_recorded",
        "Age band as the force recorded it, if it did (checked against the age)",
        "cases.attributes.victim_age_band",
    ),
    ("victim_sex", "Victim's sex: male, female, unknown", "cases.victim_sex, else persons.sex of the victim"),
    (
        "victim_ethnicity",
        "Victim's ethnic group (ONS five groups, not_stated)",
        "cases.victim_ethnicity, else persons.ethnicity of the victim",
    ),
    ("method", "Method of killing (ONS categories)", "cases.method"),
    ("circumstance", "Apparent circumstances (ONS categories)", "cases.circumstance"),
    (
        "suspect_relationship",
        "Relationship of victim to principal suspect (ONS categories)",
        "cases.suspect_relationship",
    ),
    ("location_type", "Location of the homicide", "cases.location_type"),
    ("alcohol_involved", "yes when the case is flagged alcohol, else no (not flagged)", "cases.flags"),
    ("drugs_involved", "yes when the case is flagged drugs, else no (not flagged)", "cases.flags"),
    ("domestic_abuse_flag", "yes when the case is flagged domestic_abuse, else no", "cases.flags"),
    ("status", "Investigation status: open, charged, convicted, no_further_action, closed_non_crime", "cases.status"),
    (
        "court_outcome",
        "Court outcome (see the court outcome codes); awaiting when charged and none recorded",
        "cases.attributes.court_outcome, else derived from cases.status",
    ),
    ("court_outcome_source", "recorded (from the register) or derived (from the status); blank when none", "derived"),
    ("suspects", "Number of suspects recorded", "count of case_persons with role suspect"),
    (
        "principal_suspect_id",
        "The principal suspect's person_id (the first suspect recorded)",
        "case_persons.person_id (first suspect, in import order)",
    ),
    ("principal_suspect_sex", "Principal suspect's sex", "persons.sex"),
    ("principal_suspect_age", "Principal suspect's age at the offence", "persons.date_of_birth"),
    ("principal_suspect_age_band", "Principal suspect's age band (the same bands)", "from principal_suspect_age"),
    ("principal_suspect_ethnicity", "Principal suspect's ethnic group", "persons.ethnicity"),
)

#: The suspects sheet: one row per homicide and suspect, in this order.
SUSPECT_LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("case_id", "The homicide", "case_persons.case_id"),
    ("suspect_number", "1 for the principal suspect, then in the order recorded", "import order of case_persons"),
    ("person_id", "The suspect's person_id", "case_persons.person_id"),
    ("principal", "yes for the principal suspect", "derived"),
    ("sex", "Suspect's sex", "persons.sex"),
    ("age", "Suspect's age at the offence", "persons.date_of_birth"),
    ("age_band", "Suspect's age band", "from age"),
    ("ethnicity", "Suspect's ethnic group", "persons.ethnicity"),
)

#: The problems sheet.
PROBLEM_COLUMNS: tuple[str, ...] = ("rule", "severity", "case_id", "field", "value", "message")
#: The changes sheet.
CHANGE_COLUMNS: tuple[str, ...] = ("case_id", "change", "field", "old", "new")
#: The reconciliation sheet.
RECONCILIATION_COLUMNS: tuple[str, ...] = (
    "category",
    "status",
    "in_register",
    "in_return",
    "difference",
    "explanation",
)

RETURN_COLUMNS: tuple[str, ...] = tuple(c for c, _d, _s in RETURN_LAYOUT)
SUSPECT_COLUMNS: tuple[str, ...] = tuple(c for c, _d, _s in SUSPECT_LAYOUT)


def age_band(age: int | None) -> str | None:
    """The ONS age band of an age (``None`` stays ``None``)."""
    if age is None:
        return None
    for label, lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return None


def parse_band(text: str | None) -> tuple[int, int] | None:
    """The ages a recorded band covers: ``"25 to 34"``, ``"25-34"``, ``"under 1"``, ``"75 and over"``,
    ``"75+"``; ``None`` when it is not a band."""
    if text is None:
        return None
    t = str(text).strip().lower().replace("–", "-").replace("years", "").strip()
    if not t:
        return None
    for label, lo, hi in AGE_BANDS:
        if t == label:
            return lo, hi
    if t.startswith("under "):
        n = t[6:].strip()
        return (0, int(n) - 1) if n.isdigit() and int(n) > 0 else None
    for suffix in (" and over", "+", " plus"):
        if t.endswith(suffix) and t[: -len(suffix)].strip().isdigit():
            return int(t[: -len(suffix)].strip()), 200
    for sep in (" to ", "-"):
        if sep in t:
            lo_s, _, hi_s = t.partition(sep)
            if lo_s.strip().isdigit() and hi_s.strip().isdigit() and int(lo_s) <= int(hi_s):
                return int(lo_s), int(hi_s)
    return None
