"""The period a synthetic run covers, its random streams, and time helpers.

Every random draw comes from a :func:`numpy.random.default_rng` stream seeded with the run's seed
and the name of the step (``ctx.rng("cases.homicide")``), so a step's draws do not depend on how
many numbers earlier steps used, and the same seed and arguments give byte-identical files.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

SECOND = np.timedelta64(1, "s")
MINUTE = np.timedelta64(60, "s")
HOUR = np.timedelta64(3600, "s")
DAY = np.timedelta64(86400, "s")


def default_end(today: date | None = None) -> date:
    """The last day of the last complete calendar quarter before ``today``."""
    today = today or date.today()
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return quarter_start - timedelta(days=1)


def years_before(day: date, years: int) -> date:
    """``day`` moved back ``years`` calendar years (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 3, 1)


@dataclass(frozen=True)
class Period:
    """The days a run covers: ``start`` to ``end`` inclusive, ``years`` whole years."""

    start: date
    end: date
    years: int

    @classmethod
    def ending(cls, end: date, years: int) -> Period:
        return cls(years_before(end + timedelta(days=1), years), end, years)

    @property
    def start_day(self) -> np.datetime64:
        return np.datetime64(self.start, "D")

    @property
    def end_day(self) -> np.datetime64:
        return np.datetime64(self.end, "D")

    @property
    def end_ts(self) -> np.datetime64:
        """The last second of the period."""
        return np.datetime64(self.end, "D").astype("datetime64[s]") + DAY - SECOND

    @property
    def n_days(self) -> int:
        return int((self.end_day - self.start_day).astype(int)) + 1

    def year_chunks(self) -> list[tuple[np.datetime64, np.datetime64]]:
        """``years`` consecutive year-long spans ``[first, next_first)`` covering the period."""
        out = []
        for k in range(self.years):
            a = years_before(self.end + timedelta(days=1), self.years - k)
            b = years_before(self.end + timedelta(days=1), self.years - k - 1)
            out.append((np.datetime64(a, "D"), np.datetime64(b, "D")))
        return out

    def last_quarter(self) -> tuple[np.datetime64, np.datetime64, str]:
        """The last calendar quarter that ends on or before ``end``: first day, next first day, label."""
        q_end = (
            self.end
            if (self.end + timedelta(days=1)).day == 1 and self.end.month % 3 == 0
            else default_end(self.end + timedelta(days=1))
        )
        q_start = date(q_end.year, (q_end.month - 1) // 3 * 3 + 1, 1)
        label = f"{q_start.year}Q{(q_start.month - 1) // 3 + 1}"
        return np.datetime64(q_start, "D"), np.datetime64(q_end, "D") + np.timedelta64(1, "D"), label


@dataclass
class Context:
    """What every step of a run shares: seed, period, scale, population and the shared data."""

    seed: int
    period: Period
    scale: float
    geo: object  # threadline.synth.geography.Geography
    names: object  # threadline.synth.names.NameBank
    people: object = None  # threadline.synth.people.People
    population: float = 0.0
    facilities: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    _counters: dict = field(default_factory=dict)

    def keys(self, kind: str, n: int) -> np.ndarray:
        """``n`` fresh internal keys for ``kind`` (cases, incidents): 0, 1, 2, ... across calls."""
        start = self._counters.get(kind, 0)
        self._counters[kind] = start + n
        return np.arange(start, start + n)

    def rng(self, name: str) -> np.random.Generator:
        """An independent random stream for the step called ``name``."""
        return np.random.default_rng(np.random.SeedSequence([self.seed, zlib.crc32(name.encode("utf-8"))]))


def day_of_year(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype="datetime64[D]")
    return (d - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(int) + 1


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6."""
    return (np.asarray(days, dtype="datetime64[D]").astype(np.int64) + 3) % 7


def day_weights(days: np.ndarray, season: tuple[float, int], dow: tuple[float, ...]) -> np.ndarray:
    """Relative weight of each day: a cosine season around ``season[1]`` and a day-of-week factor."""
    amp, peak = season
    doy = day_of_year(days)
    w = 1.0 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25)
    return w * np.asarray(dow, dtype=float)[weekday(days)]


def sample_days(
    rng: np.random.Generator,
    first: np.datetime64,
    stop: np.datetime64,
    n: int,
    season: tuple[float, int] = (0.0, 1),
    dow: tuple[float, ...] = (1,) * 7,
) -> np.ndarray:
    """``n`` days in ``[first, stop)`` drawn with the season and day-of-week weights."""
    if n <= 0:
        return np.array([], dtype="datetime64[D]")
    days = np.arange(first, stop, dtype="datetime64[D]")
    w = day_weights(days, season, dow)
    return days[rng.choice(len(days), size=n, p=w / w.sum())]


def sample_times(rng: np.random.Generator, days: np.ndarray, hours: tuple[float, ...]) -> np.ndarray:
    """A time on each day, hour drawn from the 24 ``hours`` weights, minute uniform."""
    n = len(days)
    h = np.asarray(hours, dtype=float)
    hour = rng.choice(24, size=n, p=h / h.sum())
    minute = rng.integers(0, 60, size=n)
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[s]") + hour * HOUR + minute * MINUTE


def iso(ts: np.ndarray) -> np.ndarray:
    """ISO 8601 text (``2024-03-05T22:41:00``) of datetime64 values; NaT becomes ''."""
    arr = np.asarray(ts, dtype="datetime64[s]")
    out = np.datetime_as_string(arr, unit="s").astype(object)
    out[np.isnat(arr)] = ""
    return out


def iso_date(ts: np.ndarray) -> np.ndarray:
    arr = np.asarray(ts, dtype="datetime64[D]")
    out = np.datetime_as_string(arr, unit="D").astype(object)
    out[np.isnat(arr)] = ""
    return out
