"""Interrupted time series: did a monthly rate change when something happened on a known date?

The question this answers is of the kind "did the use of outcome 22 (diversionary, educational or
intervention activity) change after officers were trained on date D?". It is segmented regression
of a monthly series (Wagner, Soumerai, Zhang and Ross-Degnan 2002, "Segmented regression analysis
of interrupted time series studies in medication use research", J Clin Pharm Ther 27(4):299-309),
fitted as a generalised linear model as recommended by Bernal, Cummins and Gasparrini (2017),
"Interrupted time series regression for the evaluation of public health interventions: a
tutorial", Int J Epidemiol 46(1):348-355:

``log E[events_m] = log(exposure_m) + b0 + b1 * time_m + b2 * post_m + b3 * time_since_change_m``
``(+ b4 * sin(2 pi month_of_year / 12) + b5 * cos(2 pi month_of_year / 12))``

* ``time`` counts months from the first month of the series;
* ``post`` is 1 from the change month on (the change month is the first month *after*);
* ``time_since_change`` is 0 up to and including the change month, then 1, 2, ...;
* the optional Fourier pair is the single-harmonic seasonal adjustment of Bernal et al.

The family is Poisson with a ``log(exposure)`` offset, so ``exp(b2)`` is the *rate ratio* at the
change (the level change) and ``exp(b3)`` the change in the monthly trend, also as a ratio. A
binomial (logit) model would report odds ratios, which a board reads as rate ratios and which
overstate them when the share is not small; the Poisson model with offset is the form of the
Bernal et al. tutorial and, with the quasi-Poisson dispersion below, is at worst slightly
conservative for a share (binomial variance ``np(1-p)`` is below the Poisson ``np``). Without an
exposure the model is for monthly counts.

Overdispersion is allowed for with the quasi-Poisson scale ``phi = max(1, Pearson chi2 / df)``
(McCullagh and Nelder 1989, section 4.5); the floor at 1 is computed here, not left to statsmodels,
whose ``scale="X2"`` does not floor. Standard errors are the model-based ones times ``sqrt(phi)``.

Which model to use. ``step_only=True`` fits a level change with the pre-existing trend carried on
(no change of slope). Use it when the intervention is expected to act at once and stay (a new
instruction, training of all officers in a week) or when there are few months after the change: a
slope change fitted to a short post period is poorly determined and takes variance from the level
change. Use the full model (default) when the effect is expected to build up or wear off, and read
``relative_change_at_end`` (fitted over counterfactual at the last month), which combines both.

The design cannot tell the change from anything else that happened in the same month (another
policy, a recording change); the summary says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

#: Fewest months on each side of the change for the model to be fitted.
MIN_MONTHS_EACH_SIDE = 3


@dataclass(frozen=True, eq=False)
class ITSResult:
    """A fitted interrupted time series. Ratios are exponentiated coefficients (rate ratios)."""

    change_month: pd.Period
    step_only: bool
    seasonal: bool
    kind: str  # "share" (events out of exposure, all <= exposure), "rate" or "count"
    level_change_rr: float
    level_low: float
    level_high: float
    level_p: float
    slope_change_rr: float | None  # per month; None when step_only
    slope_low: float | None
    slope_high: float | None
    slope_p: float | None
    pre_trend_rr: float  # per month, before the change
    relative_change_at_end: float
    end_low: float
    end_high: float
    dispersion: float
    months_before: int
    months_after: int
    rate_before: float  # observed events / exposure before the change (events per month for counts)
    rate_after: float
    alpha: float
    series: pd.DataFrame = field(repr=False)  # month, observed_rate, fitted_rate, counterfactual_rate

    def as_dict(self) -> dict:
        """The scalar results (the series left out)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "series"}
        out["change_month"] = str(self.change_month)
        return out

    def _fmt(self, value: float) -> str:
        if self.kind == "share":
            pct = 100 * value
            return f"{pct:.0f}%" if pct >= 10 else f"{pct:.1f}%"
        return f"{value:.3g}" if self.kind == "rate" else f"{value:.1f} a month"

    def summary(self, what: str | None = None, intervention: str = "the change",
                on: date | str | None = None) -> str:
        """One plain-English paragraph for a board.

        ``what`` names the measure ("the share of eligible cases given outcome 22"), ``intervention``
        the event ("training"), ``on`` its date (default: the first day of the change month).
        """
        what = what or {"share": "the share", "rate": "the rate", "count": "the number of events"}[self.kind]
        when = pd.Timestamp(on) if on is not None else self.change_month.to_timestamp()
        when_words = f"{when.day} {when:%B %Y}"
        conf = f"{100 * (1 - self.alpha):.0f}%"
        moved = "rose" if self.rate_after > self.rate_before else (
            "fell" if self.rate_after < self.rate_before else "stayed")
        if moved == "stayed":
            first = f"After {intervention} on {when_words} {what} stayed at about {self._fmt(self.rate_before)}"
        else:
            first = (f"After {intervention} on {when_words} {what} {moved} from about "
                     f"{self._fmt(self.rate_before)} in the {self.months_before} months before to about "
                     f"{self._fmt(self.rate_after)} in the {self.months_after} months after")
        adjust = "the trend before" + (" and the time of year" if self.seasonal else "")
        significant = self.level_p < self.alpha
        verdict = (f"more than chance would explain (p {_p_words(self.level_p)})" if significant
                   else f"which could be chance (p {_p_words(self.level_p)})")
        parts = [
            f"{first} (rate ratio {self.level_change_rr:.2g}, {conf} interval {self.level_low:.2g} to "
            f"{self.level_high:.2g}, allowing for {adjust}), {verdict}."
        ]
        if not self.step_only and self.slope_change_rr is not None:
            pct = 100 * (self.slope_change_rr - 1)
            lo, hi = 100 * (self.slope_low - 1), 100 * (self.slope_high - 1)
            trend_sig = self.slope_p is not None and self.slope_p < self.alpha
            parts.append(
                f"The month-on-month trend changed by {pct:+.1f}% a month ({conf} interval {lo:+.1f}% to "
                f"{hi:+.1f}%){'' if trend_sig else ', which could be chance'}; by the last month {what} was "
                f"{self.relative_change_at_end:.2g} times what the earlier trend predicted ({conf} interval "
                f"{self.end_low:.2g} to {self.end_high:.2g}).")
        parts.append(
            f"This compares {self.months_before} months before with {self.months_after} after. It cannot "
            f"separate {intervention} from anything else that changed in the same month, such as another "
            "policy or a change in how cases are recorded.")
        return " ".join(parts)


def _p_words(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


def _to_period(values) -> pd.PeriodIndex:
    """Months given as dates, timestamps or "YYYY-MM" strings, as monthly periods."""
    try:
        return pd.PeriodIndex(pd.to_datetime(pd.Series(values).astype(str), format="mixed"), freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"months must be dates or 'YYYY-MM' strings: {exc}") from exc


def _design(month: pd.PeriodIndex, first: pd.Period, change: pd.Period,
            step_only: bool, seasonal: bool, counterfactual: bool = False) -> tuple[np.ndarray, list[str]]:
    t = np.array([(m - first).n for m in month], dtype=float)
    since = np.array([(m - change).n for m in month], dtype=float)
    post = (since >= 0).astype(float)
    if counterfactual:
        post = np.zeros_like(post)
    names = ["const", "time", "post"]
    cols = [np.ones_like(t), t, post]
    if not step_only:
        names.append("time_since_change")
        cols.append(post * since)
    if seasonal:
        moy = np.array([m.month for m in month], dtype=float)
        names += ["sin12", "cos12"]
        cols += [np.sin(2 * np.pi * moy / 12), np.cos(2 * np.pi * moy / 12)]
    return np.column_stack(cols), names


def interrupted_time_series(monthly: pd.DataFrame, change: date | str, *, events: str = "events",
                            exposure: str | None = "exposure", month: str = "month", seasonal: bool = False,
                            step_only: bool = False, alpha: float = 0.05) -> ITSResult:
    """Fit a segmented (interrupted time series) quasi-Poisson regression.

    Parameters
    ----------
    monthly: one row a month with the ``month`` (a date, conventionally the first of the month, or
        "YYYY-MM"), the ``events`` (e.g. eligible cases given outcome 22) and the ``exposure`` (e.g.
        eligible cases). Months with zero exposure carry no information and are left out.
    change: the date of the change; its month is the first month counted as "after".
    exposure: column of the denominator; None, or a column absent from ``monthly``, fits counts.
    seasonal: add one sine/cosine pair for the time of year (Bernal et al. 2017).
    step_only: fit a level change only, keeping the earlier trend (see the module notes).
    alpha: 1 - confidence level of the intervals.

    Raises ValueError with the reason when there are fewer than :data:`MIN_MONTHS_EACH_SIDE` months
    on either side of the change, no events at all, or no events on one side (the rate ratio is then
    0 or infinite and no interval can be given).
    """
    if events not in monthly.columns or month not in monthly.columns:
        raise ValueError(f"monthly needs columns {month!r} and {events!r}; it has {list(monthly.columns)}")
    use_exposure = exposure is not None and exposure in monthly.columns
    periods = _to_period(monthly[month])
    y = pd.to_numeric(monthly[events], errors="coerce").to_numpy(dtype=float)
    n_exp = (pd.to_numeric(monthly[exposure], errors="coerce").to_numpy(dtype=float) if use_exposure
             else np.ones(len(y)))
    if np.isnan(y).any() or np.isnan(n_exp).any():
        raise ValueError("events and exposure must be numbers in every month (use 0 for none)")
    if (y < 0).any() or (n_exp < 0).any():
        raise ValueError("events and exposure cannot be negative")
    if periods.duplicated().any():
        dup = sorted({str(p) for p in periods[periods.duplicated()]})
        raise ValueError(f"each month must appear once; repeated: {', '.join(dup)}")
    if use_exposure and ((n_exp == 0) & (y > 0)).any():
        bad = [str(p) for p in periods[(n_exp == 0) & (y > 0)]]
        raise ValueError(f"events without exposure in {', '.join(bad)}")
    keep = n_exp > 0
    order = np.argsort(periods[keep].asi8)
    periods, y, n_exp = periods[keep][order], y[keep][order], n_exp[keep][order]
    change_p = pd.Period(pd.Timestamp(change), freq="M")
    after = np.array([p >= change_p for p in periods], dtype=bool)
    n_before, n_after = int((~after).sum()), int(after.sum())
    if n_before < MIN_MONTHS_EACH_SIDE or n_after < MIN_MONTHS_EACH_SIDE:
        raise ValueError(
            f"an interrupted time series needs at least {MIN_MONTHS_EACH_SIDE} months on each side of the "
            f"change ({change_p}); there are {n_before} before and {n_after} after")
    if y.sum() == 0:
        raise ValueError("there are no events in any month, so there is no rate to compare")
    if y[~after].sum() == 0 or y[after].sum() == 0:
        side = "before" if y[~after].sum() == 0 else "after"
        raise ValueError(f"there are no events in the months {side} the change, so the rate ratio is 0 or "
                         "infinite and no interval can be given; report the counts instead")
    X, names = _design(periods, periods[0], change_p, step_only, seasonal)
    if X.shape[1] >= len(y):
        raise ValueError(f"{len(y)} months are too few for a model with {X.shape[1]} terms")
    offset = np.log(n_exp)
    model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    with warnings.catch_warnings():
        # A series the model fits exactly trips statsmodels' separation check: not an error here.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = model.fit()
    df_resid = float(fit.df_resid)
    phi = max(1.0, float(fit.pearson_chi2) / df_resid) if df_resid > 0 else 1.0
    params = np.asarray(fit.params, dtype=float)
    cov = np.asarray(fit.cov_params(), dtype=float) * phi  # fit at scale 1, so this is the quasi scale
    z = float(stats.norm.ppf(1 - alpha / 2))

    def _ratio(j: int) -> tuple[float, float, float, float]:
        est, se = params[j], float(np.sqrt(cov[j, j]))
        p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else 0.0
        return float(np.exp(est)), float(np.exp(est - z * se)), float(np.exp(est + z * se)), p

    lvl = _ratio(names.index("post"))
    slope = _ratio(names.index("time_since_change")) if not step_only else (None, None, None, None)
    # Fitted over counterfactual at the last month: exp(g'b), g = post (+ months since change).
    g = np.zeros(len(params))
    g[names.index("post")] = 1.0
    last_since = float((periods[-1] - change_p).n)
    if not step_only:
        g[names.index("time_since_change")] = last_since
    log_end = float(g @ params)
    se_end = float(np.sqrt(g @ cov @ g))
    X_cf, _ = _design(periods, periods[0], change_p, step_only, seasonal, counterfactual=True)
    fitted = np.exp(X @ params)
    counterfactual = np.exp(X_cf @ params)
    series = pd.DataFrame({
        "month": periods.to_timestamp(),
        "observed_rate": y / n_exp,
        "fitted_rate": fitted,
        "counterfactual_rate": counterfactual,
        "post": after,
    })
    kind = ("share" if use_exposure and (y <= n_exp).all() else "rate") if use_exposure else "count"
    return ITSResult(
        change_month=change_p, step_only=step_only, seasonal=seasonal, kind=kind,
        level_change_rr=lvl[0], level_low=lvl[1], level_high=lvl[2], level_p=lvl[3],
        slope_change_rr=slope[0], slope_low=slope[1], slope_high=slope[2], slope_p=slope[3],
        pre_trend_rr=float(np.exp(params[names.index("time")])),
        relative_change_at_end=float(np.exp(log_end)), end_low=float(np.exp(log_end - z * se_end)),
        end_high=float(np.exp(log_end + z * se_end)), dispersion=phi,
        months_before=n_before, months_after=n_after,
        rate_before=float(y[~after].sum() / n_exp[~after].sum()),
        rate_after=float(y[after].sum() / n_exp[after].sum()),
        alpha=alpha, series=series,
    )
