"""Quarters under the two conventions forces report in.

``calendar``: 2025Q1 is January to March 2025. ``financial``: the UK public-sector year starts in
April, so FY2025Q1 is April to June 2025 and FY2025Q4 is January to March 2026 (HM Treasury
financial year; Home Office police recorded crime is published by financial quarter).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from threadline.errors import InputError


def quarter_label(when: date | datetime, convention: str = "calendar") -> str:
    """The quarter ``when`` falls in, as ``2025Q1`` (calendar) or ``FY2025Q1`` (financial)."""
    if convention == "financial":
        start_year = when.year if when.month >= 4 else when.year - 1
        return f"FY{start_year}Q{(when.month - 4) % 12 // 3 + 1}"
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def quarter_bounds(label: str) -> tuple[date, date]:
    """First day of the quarter and first day of the next one, for either label form."""
    m = re.fullmatch(r"(FY)?(\d{4})Q([1-4])", label.strip().upper())
    if not m:
        raise InputError(f"quarter {label!r} is not like 2025Q1 or FY2025Q1")
    financial, year, q = bool(m.group(1)), int(m.group(2)), int(m.group(3))
    month0 = (q - 1) * 3 + (3 if financial else 0)  # months after January of `year`
    start = date(year + month0 // 12, month0 % 12 + 1, 1)
    month1 = month0 + 3
    return start, date(year + month1 // 12, month1 % 12 + 1, 1)


def quarter_sql(column: str, convention: str = "calendar") -> str:
    """A DuckDB expression giving the same label as :func:`quarter_label` for ``column``."""
    if convention == "financial":
        shifted = f"({column} - INTERVAL 3 MONTH)"
        return f"'FY' || year({shifted})::VARCHAR || 'Q' || quarter({shifted})::VARCHAR"
    return f"year({column})::VARCHAR || 'Q' || quarter({column})::VARCHAR"
