"""Emerging trends: is this quarter's count above what its own history and season predict?

The method is the improved Farrington algorithm used for public-health surveillance in England
(Farrington, Andrews, Beale and Catchpole 1996, "A statistical algorithm for the early detection
of outbreaks of infectious disease", JRSS A 159(3); Noufaily, Enki, Farrington, Garthwaite,
Andrews and Charlett 2013, "An improved algorithm for outbreak detection in multiple
surveillance systems", Statistics in Medicine 32(7)), adapted to quarterly counts:

1. Fit a quasi-Poisson GLM with log link to the baseline quarters (up to 20 before the current
   one), with a factor for quarter of the year (seasonality) and a linear time trend. The trend is
   kept only if significant at 5% and its prediction does not exceed every baseline count.
2. Down-weight baseline quarters that were themselves outbreaks: quarters whose Anscombe residual
   exceeds 2.58 get weight ``s_j**-2`` (normalised) and the model is refitted (Noufaily et al.).
3. Expected count ``mu`` for the current quarter; dispersion ``phi`` = max(1, Pearson chi2 / df).
4. Threshold: the upper ``1 - alpha`` quantile of a negative binomial with mean ``mu`` and variance
   ``phi * mu`` (Poisson when ``phi`` = 1). Exceedance score ``(y - mu) / (U - mu)``: above 1 means
   above threshold. The p-value is the upper tail probability P(Y >= y).

Many series are tested at once (each category, local authority and flag), so false alarms are
controlled across them with the Benjamini-Hochberg false discovery rate (Benjamini and Hochberg
1995, JRSS B 57(1)) at :data:`FDR` in :func:`flag_series`, and a series needs at least
:data:`MIN_OBSERVED` events in the quarter to be flagged at all.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

#: Minimum baseline quarters to fit a model; fewer and the series is not assessed.
MIN_BASELINE = 8
#: Baseline length used (five years of quarters).
MAX_BASELINE = 20
#: One-sided level of the per-series threshold.
ALPHA = 0.01
#: False discovery rate across all series tested in one report.
FDR = 0.05
#: Fewest events in the current quarter for a series to be flagged.
MIN_OBSERVED = 3


@dataclass(frozen=True)
class Exceedance:
    """One series' current quarter against its expectation."""

    observed: int
    expected: float
    threshold: float
    score: float
    p_value: float
    dispersion: float
    trend: bool
    baseline_quarters: int

    def as_dict(self) -> dict:
        return asdict(self)


def _design(t: np.ndarray, season: np.ndarray, with_trend: bool) -> np.ndarray:
    cols = [np.ones_like(t, dtype=float)]
    for s in (2, 3, 4):
        cols.append((season == s).astype(float))
    if with_trend:
        cols.append(t.astype(float))
    return np.column_stack(cols)


def _fit(y, X, weights):
    model = sm.GLM(y, X, family=sm.families.Poisson(), var_weights=weights)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # A season with no cases in a sparse baseline fits a mean of zero: expected, not an error.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        try:
            return model.fit(scale="X2")
        except ValueError:
            # A baseline fitted exactly (e.g. a constant count) has zero Pearson dispersion, which
            # statsmodels' first guess divides by: fit at unit scale (the dispersion is floored at 1).
            return model.fit()


def _trend_p(fit) -> float:
    """Two-sided p-value of the time-trend term (the last column) with the dispersion floored at 1,
    as everywhere in this method (Noufaily et al. 2013). Without the floor, a baseline fitted almost
    exactly has a dispersion near zero and a slope of 1e-15 can look significant."""
    scale = float(fit.scale)
    se = float(fit.bse[-1]) * np.sqrt(max(1.0, scale) / scale) if scale > 0 else float(fit.bse[-1])
    if not np.isfinite(se) or se <= 0:
        return 1.0
    return float(2 * stats.norm.sf(abs(float(fit.params[-1])) / se))


def _anscombe(y: np.ndarray, mu: np.ndarray, phi: float) -> np.ndarray:
    """Anscombe residuals for the Poisson family, scaled by dispersion."""
    return 1.5 * (np.power(y, 2 / 3) - np.power(mu, 2 / 3)) / (np.power(mu, 1 / 6) * np.sqrt(phi))


def expected_count(history: np.ndarray, seasons: np.ndarray, current_season: int,
                   observed: int, alpha: float = ALPHA) -> Exceedance | None:
    """Assess ``observed`` (the current quarter) against ``history`` (earlier quarters, oldest first).

    Parameters
    ----------
    history: counts of the baseline quarters, in time order, ending the quarter before the current.
    seasons: quarter of the year (1-4) of each baseline quarter.
    current_season: quarter of the year of the current quarter.
    observed: the current quarter's count.

    Returns None when the baseline is shorter than :data:`MIN_BASELINE`.
    """
    y = np.asarray(history, dtype=float)[-MAX_BASELINE:]
    season = np.asarray(seasons, dtype=int)[-MAX_BASELINE:]
    n = len(y)
    if n < MIN_BASELINE:
        return None
    t = np.arange(n, dtype=float)
    t_now = float(n)
    if y.sum() == 0:
        mu, phi, trend = 0.0, 1.0, False
    else:
        # Seasonal terms need every season in the baseline; otherwise fit a level only.
        seasonal = len(set(season.tolist())) == 4
        X_full = _design(t, season, True) if seasonal else np.column_stack([np.ones(n), t])
        weights = np.ones(n)
        trend = True
        try:
            fit = _fit(y, X_full, weights)
            trend = _trend_p(fit) < 0.05
        except (ValueError, np.linalg.LinAlgError):
            trend = False
        X = X_full if trend else X_full[:, :-1]
        fit = _fit(y, X, weights)
        phi = max(1.0, float(fit.scale))
        res = _anscombe(y, fit.mu, phi)
        high = res > 2.58
        if high.any():
            s = np.where(high, res, 1.0)
            weights = np.where(high, s ** -2.0, 1.0)
            weights = weights * n / weights.sum()
            fit = _fit(y, X, weights)
            phi = max(1.0, float(fit.scale))
        x_now = _design(np.array([t_now]), np.array([current_season]), trend) if seasonal else (
            np.array([[1.0, t_now]]) if trend else np.array([[1.0]]))
        mu = float(fit.predict(x_now)[0])
        if trend and mu > y.max():  # Farrington: a trend must not extrapolate past the data
            X = X[:, :-1]
            fit = _fit(y, X, weights)
            phi = max(1.0, float(fit.scale))
            x_now = x_now[:, :-1]
            mu = float(fit.predict(x_now)[0])
            trend = False
    threshold, p_value = _upper(mu, phi, observed, alpha)
    score = (observed - mu) / (threshold - mu) if threshold > mu else (np.inf if observed > mu else 0.0)
    return Exceedance(int(observed), mu, threshold, float(score), p_value, phi, trend, n)


def _upper(mu: float, phi: float, observed: int, alpha: float) -> tuple[float, float]:
    """Upper quantile and upper tail probability P(Y >= observed) under NB(mu, phi*mu) or Poisson."""
    if mu <= 0:
        return 0.0, (1.0 if observed <= 0 else 0.0)
    if phi > 1.0 + 1e-9:
        size = mu / (phi - 1.0)
        prob = size / (size + mu)
        dist = stats.nbinom(size, prob)
    else:
        dist = stats.poisson(mu)
    return float(dist.ppf(1 - alpha)), float(dist.sf(observed - 1))


def benjamini_hochberg(p_values: np.ndarray, q: float = FDR) -> np.ndarray:
    """Boolean mask of discoveries at false discovery rate ``q`` (Benjamini and Hochberg 1995)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    ranked = p[order]
    below = ranked <= q * np.arange(1, m + 1) / m
    keep = np.zeros(m, dtype=bool)
    if below.any():
        k = np.max(np.nonzero(below)[0])
        keep[order[: k + 1]] = True
    return keep


def flag_series(results: list[Exceedance | None], q: float = FDR) -> np.ndarray:
    """Which series to flag: above expectation, at least :data:`MIN_OBSERVED` events, and a
    discovery under Benjamini-Hochberg across all assessed series."""
    assessed = [i for i, r in enumerate(results) if r is not None]
    flags = np.zeros(len(results), dtype=bool)
    if not assessed:
        return flags
    p = np.array([results[i].p_value for i in assessed])
    discoveries = benjamini_hochberg(p, q)
    for j, i in enumerate(assessed):
        r = results[i]
        flags[i] = bool(discoveries[j] and r.observed >= MIN_OBSERVED and r.observed > r.expected)
    return flags
