"""Data quality: how completely the key fields are recorded.

Completeness of victims' protected characteristics (age, sex, ethnicity) is what HMICFRS asked
forces to record "accurately and consistently" (serious youth violence inspection, 2023,
recommendation on protected characteristics); the other fields are those the Homicide Index
collects. A value of ``unknown`` or ``not_stated`` counts as not recorded.
"""

from __future__ import annotations

import pandas as pd

#: Field -> values that mean "not recorded".
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "latitude": (),
    "lsoa_code": (),
    "location_type": ("unknown",),
    "method": ("unknown",),
    "circumstance": ("unknown",),
    "victim_age": (),
    "victim_sex": ("unknown",),
    "victim_ethnicity": ("not_stated",),
    "suspect_relationship": ("unknown",),
    "status": (),
}


def completeness(cases: pd.DataFrame, fields: dict[str, tuple[str, ...]] = KEY_FIELDS) -> dict[str, float | None]:
    """Share of ``cases`` with each field recorded (None when there are no cases)."""
    n = len(cases)
    out: dict[str, float | None] = {}
    for field, unknown in fields.items():
        if n == 0:
            out[field] = None
            continue
        values = cases[field]
        recorded = values.notna() & ~values.isin(unknown) if unknown else values.notna()
        out[field] = float(recorded.mean())
    return out


def completeness_by_source(current: pd.DataFrame, previous: pd.DataFrame) -> list[dict]:
    """Per source and field: completeness now, last period, and the change (percentage points)."""
    rows = []
    sources = sorted(set(current["source_name"]).union(previous["source_name"]))
    for source in [*sources, "all sources"]:
        cur = current if source == "all sources" else current[current["source_name"] == source]
        prev = previous if source == "all sources" else previous[previous["source_name"] == source]
        now, before = completeness(cur), completeness(prev)
        for field in KEY_FIELDS:
            change = None if now[field] is None or before[field] is None else 100 * (now[field] - before[field])
            rows.append({"source": source, "field": field, "cases": len(cur), "completeness": now[field],
                         "previous": before[field], "change_points": change})
    return rows
