"""Breakdowns in the style of the Home Office Homicide Index as published by the ONS
("Homicide in England and Wales", appendix tables): counts by method, circumstance, relationship
of victim to principal suspect, victim age band, sex and ethnicity, location type, flags, and
whether the case is solved (a suspect charged or convicted)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline import vocab

#: ONS Homicide in England and Wales victim age bands.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under 1", 0, 0), ("1 to 4", 1, 4), ("5 to 15", 5, 15), ("16 to 24", 16, 24), ("25 to 34", 25, 34),
    ("35 to 44", 35, 44), ("45 to 54", 45, 54), ("55 to 64", 55, 64), ("65 to 74", 65, 74), ("75 and over", 75, 200),
)

FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "method": ("Method", vocab.METHODS),
    "circumstance": ("Apparent circumstance", vocab.CIRCUMSTANCES),
    "suspect_relationship": ("Relationship of victim to principal suspect", vocab.SUSPECT_RELATIONSHIPS),
    "age_band": ("Victim age", tuple(b[0] for b in AGE_BANDS)),
    "victim_sex": ("Victim sex", vocab.SEXES),
    "victim_ethnicity": ("Victim ethnicity (ONS five groups)", vocab.ETHNICITIES),
    "location_type": ("Location", vocab.LOCATION_TYPES),
    "solved": ("Solved (charged or convicted)", ("solved", "not solved")),
}


def age_band(ages: pd.Series) -> pd.Series:
    """The ONS age band of each age (missing stays missing)."""
    out = pd.Series(pd.NA, index=ages.index, dtype="object")
    a = pd.to_numeric(ages, errors="coerce")
    for label, lo, hi in AGE_BANDS:
        out[(a >= lo) & (a <= hi)] = label
    return out


def with_derived(cases: pd.DataFrame) -> pd.DataFrame:
    """Add ``age_band`` and ``solved`` to a cases frame."""
    frame = cases.copy()
    frame["age_band"] = age_band(frame["victim_age"])
    frame["solved"] = np.where(frame["status"].isin(vocab.SOLVED_STATUSES), "solved",
                               np.where(frame["status"].isna(), None, "not solved"))
    return frame


def breakdown(cases: pd.DataFrame, field: str) -> list[dict]:
    """Counts and shares of ``field`` over ``cases``, in the vocabulary's order, with "not recorded".

    Shares are of the cases where the field is recorded; zero rows are left out.
    """
    _, order = FIELDS[field]
    values = cases[field]
    recorded = int(values.notna().sum())
    rows = []
    for value in order:
        n = int((values == value).sum())
        if n:
            rows.append({"value": value, "count": n, "share": n / recorded if recorded else None})
    missing = int(values.isna().sum())
    if missing:
        rows.append({"value": "not recorded", "count": missing, "share": None})
    return rows


def flag_counts(cases: pd.DataFrame) -> list[dict]:
    """How many cases carry each flag (a case can carry several)."""
    flags = cases["flags"].fillna("").str.split(";")
    rows = []
    for flag in vocab.FLAGS:
        n = int(flags.map(lambda items, f=flag: f in items).sum())
        if n:
            rows.append({"value": flag, "count": n, "share": n / len(cases) if len(cases) else None})
    return rows


def all_breakdowns(cases: pd.DataFrame) -> dict[str, dict]:
    """Every breakdown of ``cases`` (one dict per field with its title and rows)."""
    frame = with_derived(cases)
    out = {field: {"title": title, "rows": breakdown(frame, field)} for field, (title, _) in FIELDS.items()}
    out["flags"] = {"title": "Flags", "rows": flag_counts(frame)}
    return out
