"""Report periods: a quarter (with its previous quarter, the same quarter a year earlier and the
rolling four quarters) or a multi-year problem-profile window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from threadline.errors import InputError
from threadline.quarters import quarter_bounds, quarter_label


def _shift_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1) if d.day == 1 else date(d.year + m // 12, m % 12 + 1, d.day)


@dataclass(frozen=True)
class Period:
    """A half-open window ``[start, end)`` of report time.

    Attributes
    ----------
    kind: ``quarter`` or ``profile``.
    label: ``2025Q1``, ``FY2025Q1`` or ``2019-04-01 to 2022-03-31``.
    convention: the workspace's quarter convention (``calendar`` or ``financial``).
    """

    kind: str
    label: str
    start: date
    end: date
    convention: str = "calendar"

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    @property
    def previous(self) -> Period:
        """The window of the same length just before."""
        start = _shift_months(self.start, -self.months)
        label = quarter_label(start, self.convention) if self.kind == "quarter" else f"{start} to {self.start}"
        return Period(self.kind, label, start, self.start, self.convention)

    @property
    def year_ago(self) -> Period:
        """The same window a year earlier."""
        start, end = _shift_months(self.start, -12), _shift_months(self.end, -12)
        label = quarter_label(start, self.convention) if self.kind == "quarter" else f"{start} to {end}"
        return Period(self.kind, label, start, end, self.convention)

    @property
    def rolling_year(self) -> Period:
        """The twelve months ending with this window (four quarters for a quarter)."""
        start = min(_shift_months(self.end, -12), self.start)
        label = f"{quarter_label(start, self.convention)} to {self.label}" if self.kind == "quarter" else self.label
        return Period("profile", label, start, self.end, self.convention)

    def quarters(self, back: int = 0) -> list[tuple[str, date, date]]:
        """Quarters (label, start, end) from ``back`` quarters before this window's start to its end."""
        first = _shift_months(self.start, -3 * back)
        # Align to the convention's quarter starts.
        label = quarter_label(first, self.convention)
        start, _ = quarter_bounds(label)
        out = []
        while start < self.end:
            label = quarter_label(start, self.convention)
            s, e = quarter_bounds(label)
            out.append((label, s, e))
            start = e
        return out


def quarter_period(label: str, convention: str = "calendar") -> Period:
    """The quarter ``label`` (``2025Q1`` or ``FY2025Q1``) as a :class:`Period`."""
    start, end = quarter_bounds(label)
    canonical = quarter_label(start, convention)
    return Period("quarter", canonical, start, end, convention)


def profile_period(start: date, end_inclusive: date, convention: str = "calendar") -> Period:
    """A problem-profile window from ``start`` to ``end_inclusive`` (both days included)."""
    from datetime import timedelta

    if end_inclusive < start:
        raise InputError(f"--to {end_inclusive} is before --from {start}")
    end = end_inclusive + timedelta(days=1)
    return Period("profile", f"{start:%d %B %Y} to {end_inclusive:%d %B %Y}", start, end, convention)


def season_of(label: str) -> int:
    """Quarter of the year (1-4) of a quarter label, in its own convention."""
    return int(label[-1])
