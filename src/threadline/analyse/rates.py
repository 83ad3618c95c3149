"""Counts, rates and their changes, honest about small numbers.

A change between two periods is tested with the exact conditional test for two Poisson counts:
given ``a + b`` events, ``a`` is binomial with probability ``t_a / (t_a + t_b)`` under equal rates
(Przyborowski and Wilenski 1940; Gu, Ng, Tang and Schucany 2008, "Testing the ratio of two Poisson
rates", Biometrical Journal 50(2)), through :func:`statsmodels.stats.rates.test_poisson_2indep`.
Rates carry exact (Garwood 1936) Poisson confidence intervals, as the ONS publishes for homicide
rates. Percentage changes are given only when the base is at least :data:`MIN_BASE_FOR_PERCENT`:
"up 100%" on 2 against 1 says nothing true.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.rates import test_poisson_2indep

#: Below this many events in the base period a percentage change is not shown.
MIN_BASE_FOR_PERCENT = 10
#: Significance level for "more than chance".
ALPHA = 0.05


@dataclass(frozen=True)
class Change:
    """``current`` against ``base`` events (equal exposure unless ``exposure_ratio`` says otherwise)."""

    current: int
    base: int
    difference: int
    percent: float | None
    p_value: float
    significant: bool
    direction: str  # "up", "down" or "level"

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self, noun: str = "cases") -> str:
        """Words for the change, e.g. "up from 12 to 19 (+58%), more than chance (p = 0.03)"."""
        if self.direction == "level":
            return f"unchanged at {self.current} {noun}"
        pct = f" ({self.percent:+.0f}%)" if self.percent is not None else f" ({self.difference:+d})"
        verdict = (f"more than chance (p = {self.p_value:.3f})" if self.significant
                   else f"within chance variation (p = {self.p_value:.2f})")
        word = "up" if self.direction == "up" else "down"
        return f"{word} from {self.base} to {self.current} {noun}{pct}, {verdict}"


def compare_counts(current: int, base: int, exposure_ratio: float = 1.0) -> Change:
    """Compare two event counts with the exact conditional Poisson test (two-sided).

    Parameters
    ----------
    current, base: event counts in the two periods.
    exposure_ratio: exposure of the current period over the base (e.g. population or length).
    """
    current, base = int(current), int(base)
    if current + base == 0:
        p_value = 1.0
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # a zero base: the rate ratio is infinite
            p_value = float(test_poisson_2indep(current, exposure_ratio, base, 1.0, method="exact-cond").pvalue)
    p_value = min(1.0, p_value)
    expected_current = base * exposure_ratio
    direction = "level" if current == expected_current else ("up" if current > expected_current else "down")
    percent = None
    if base >= MIN_BASE_FOR_PERCENT:
        percent = 100.0 * (current / exposure_ratio - base) / base
    return Change(current, base, current - base, percent, p_value, p_value < ALPHA, direction)


@dataclass(frozen=True)
class Rate:
    """Events per ``per`` population, with an exact Poisson confidence interval."""

    events: int
    population: float
    per: int
    rate: float | None
    lower: float | None
    upper: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def poisson_rate(events: int, population: float, per: int = 100_000, confidence: float = 0.95) -> Rate:
    """Rate per ``per`` residents with the exact (Garwood) interval; None without a population."""
    if not population or population <= 0:
        return Rate(int(events), float(population or 0), per, None, None, None)
    a = 1 - confidence
    lo = 0.0 if events == 0 else stats.chi2.ppf(a / 2, 2 * events) / 2
    hi = stats.chi2.ppf(1 - a / 2, 2 * (events + 1)) / 2
    scale = per / population
    return Rate(int(events), float(population), per, float(events * scale), float(lo * scale), float(hi * scale))
