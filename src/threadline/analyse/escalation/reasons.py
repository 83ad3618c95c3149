"""Why a person or dyad is on top of the ranking, in words a tasking meeting reads aloud.

"4 incidents in 90 days, up from 1 in the 9 months before; latest: threats to kill; 2 victims;
incidents rising x2.1 a quarter (95% 1.2 to 3.6)". Only counts, types and ratios: no names, no
narratives, nothing a person id would not already say.
"""

from __future__ import annotations

import math

import pandas as pd


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _type_words(incident_type: object) -> str:
    return str(incident_type).replace("_", " ") if isinstance(incident_type, str) and incident_type else "unknown"


def _ratio(x: float) -> str:
    return f"{x:.1f}" if x < 10 else f"{x:.0f}"


def reason(row: pd.Series | dict) -> str:
    """One sentence from a row of :func:`scores.features` (or :func:`scores.rank`)."""
    n90, before = int(row["incidents_90d"]), int(row["incidents_prev_270d"])
    parts = [_plural(n90, "incident") + " in 90 days"
             + (f", up from {before} in the 9 months before" if n90 > before
                else f", {before} in the 9 months before" if before else ", none before in the year")]
    parts.append(f"latest: {_type_words(row['latest_incident_type'])}")
    victims = int(row["victims"])
    if victims > 1:
        parts.append(_plural(victims, "victim"))
    esc, low, high = (float(row[c]) for c in ("escalation", "escalation_low", "escalation_high"))
    if all(map(math.isfinite, (esc, low, high))):
        word = "rising" if low > 1 else "falling" if high < 1 else "changing"
        parts.append(f"incidents {word} x{_ratio(esc)} a quarter (95% {_ratio(low)} to {_ratio(high)})")
    return "; ".join(parts)


def reasons(ranked: pd.DataFrame) -> pd.Series:
    """:func:`reason` for every row."""
    return ranked.apply(reason, axis=1) if len(ranked) else pd.Series([], dtype=object)
