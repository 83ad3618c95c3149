"""How completely and consistently victims' and suspects' protected characteristics are recorded.

HMICFRS has asked forces to record victims' protected characteristics accurately and consistently
(the Equality Act 2010 characteristics; HMICFRS, "Police race action plan" inspection and PEEL
data-quality reviews). The input is one row per person on a crime record (a victim or a suspect):
``incident_id``, ``person_id``, ``role``, ``occurred_at``, ``source_system``, ``recording_unit`` and
the characteristic columns in :data:`FIELDS`. Three states are kept apart:

- *not recorded*: empty string or missing;
- *recorded but not informative*: the person was asked and declined (``not_stated``), or the value is
  a placeholder (``unknown`` sex, ``NS`` self-defined ethnicity, ``IC9`` observed ethnicity);
- *informative*: anything else.

A characteristic column absent from the frame (or switched off for a source system through
``not_collected``) is *not collected by this source*: it is reported as such and left out of the
rates, not counted as 0% recorded.

Proportions carry Wilson score intervals (Wilson 1927; recommended over the Wald interval by Brown,
Cai and DasGupta 2001, "Interval estimation for a binomial proportion", Statistical Science 16(2)),
through :func:`statsmodels.stats.proportion.proportion_confint`. Trends are binomial GLMs on the month
(McCullagh and Nelder 1989, allowing for over-dispersion through the Pearson scale). Falls in
completeness are flagged in the spirit of statistical process control, NHS England's "Making Data
Count" (2019) and Montgomery's p-chart ("Introduction to Statistical Quality Control", control charts
for attributes): the p-chart's lower 3-sigma limit is reported, and the decision uses a one-sided
exact test with Holm's (1979) correction across every unit and field tested, so that a dashboard of
dozens of units does not cry wolf every month.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from threadline.analyse.violence.ethnicity import GROUP5, to_group5

#: The protected characteristics recorded on each incident-person row.
FIELDS = (
    "age",
    "sex",
    "ethnicity_self_defined",
    "ethnicity_observed",
    "disability",
    "religion",
    "sexual_orientation",
    "gender_identity",
)
#: Words for each field in messages.
FIELD_LABELS = {
    "age": "Age",
    "sex": "Sex",
    "ethnicity_self_defined": "Ethnicity (self-defined)",
    "ethnicity_observed": "Ethnicity (officer-observed)",
    "disability": "Disability",
    "religion": "Religion or belief",
    "sexual_orientation": "Sexual orientation",
    "gender_identity": "Gender identity",
}
#: Recorded values that say nothing about the person (compared case-insensitively).
UNINFORMATIVE = frozenset({"not_stated", "not stated", "unknown", "ns", "ic9"})
#: Ages outside this range are recorded but not informative (typing errors such as 999).
AGE_RANGE = (0, 120)
NOT_COLLECTED = "not collected by this source"
_ETHNICITY = ("ethnicity_self_defined", "ethnicity_observed")


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _wilson(count, nobs, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval in percent; NaN where there are no observations."""
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    lo, hi = proportion_confint(count, safe, alpha=1 - confidence, method="wilson")
    lo = np.where(nobs > 0, 100 * np.asarray(lo, dtype=float), np.nan)
    hi = np.where(nobs > 0, 100 * np.asarray(hi, dtype=float), np.nan)
    return lo, hi


def _pct(count, nobs) -> np.ndarray:
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nobs > 0, 100 * count / np.where(nobs > 0, nobs, 1.0), np.nan)


def _recorded(values: pd.Series) -> pd.Series:
    """Non-missing and not an empty string."""
    text = values.astype("string").str.strip()
    return (values.notna() & text.notna() & (text != "")).fillna(False).astype(bool)


def indicators(values: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """``(recorded, informative)`` boolean Series for one characteristic column.

    Age is informative when it is a number within :data:`AGE_RANGE`; any other field when its value
    is not one of :data:`UNINFORMATIVE`.
    """
    recorded = _recorded(values)
    if field == "age":
        age = pd.to_numeric(values, errors="coerce")
        informative = recorded & age.between(*AGE_RANGE).fillna(False).astype(bool)
    else:
        text = values.astype("string").str.strip().str.lower()
        informative = recorded & ~text.isin(list(UNINFORMATIVE)).fillna(False).astype(bool)
    return recorded, informative.astype(bool)


def _month(occurred_at: pd.Series) -> pd.Series:
    """First day of the month of each date (time zone dropped)."""
    when = pd.to_datetime(occurred_at)
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    return when.dt.to_period("M").dt.to_timestamp()


def _prepare(rows: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    frame = rows.copy()
    if "month" in by and "month" not in frame.columns:
        frame["month"] = _month(frame["occurred_at"])
    missing = [k for k in by if k not in frame.columns]
    if missing:
        raise ValueError(f"cannot group by missing column(s): {', '.join(missing)}")
    return frame


def _collected(frame: pd.DataFrame, field: str, not_collected: Mapping[str, Iterable[str]] | None) -> pd.Series:
    """True for rows whose source collects ``field`` (all rows, unless ``not_collected`` says otherwise)."""
    if field not in frame.columns:
        return pd.Series(False, index=frame.index)
    if not not_collected:
        return pd.Series(True, index=frame.index)
    skip = [src for src, fields in not_collected.items() if field in set(fields)]
    if not skip or "source_system" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return ~frame["source_system"].isin(skip)


def _groupby(frame: pd.DataFrame, by: Sequence[str]):
    keys = list(by) if by else [pd.Series(0, index=frame.index, name="_all")]
    return frame.groupby(keys, dropna=False, sort=True)


def _counts(frame: pd.DataFrame, by: Sequence[str], field: str,
            not_collected: Mapping[str, Iterable[str]] | None) -> pd.DataFrame:
    """Per group: rows collected (``n``), ``recorded``, ``informative`` and rows ``not_collected``."""
    collected = _collected(frame, field, not_collected)
    if field in frame.columns:
        recorded, informative = indicators(frame[field], field)
    else:
        recorded = informative = pd.Series(False, index=frame.index)
    work = pd.DataFrame({
        "n": collected.astype(int),
        "recorded": (recorded & collected).astype(int),
        "informative": (informative & collected).astype(int),
        "not_collected": (~collected).astype(int),
    }, index=frame.index)
    for k in by:
        work[k] = frame[k]
    out = _groupby(work, by)[["n", "recorded", "informative", "not_collected"]].sum().reset_index()
    if not by:
        out = out.drop(columns="_all")
    return out


# ---------------------------------------------------------------------------------------------
# Completeness
# ---------------------------------------------------------------------------------------------


def completeness(rows: pd.DataFrame, by: Sequence[str] = ("month", "role"), fields: Sequence[str] = FIELDS,
                 confidence: float = 0.95,
                 not_collected: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Share of rows on which each characteristic is recorded, and recorded informatively.

    Parameters
    ----------
    rows: incident-person rows (see the module docstring).
    by: grouping columns; ``"month"`` is derived from ``occurred_at`` (first of the month); any other
        column of ``rows`` may be used, e.g. ``"role"``, ``"source_system"``, ``"recording_unit"``.
    fields: characteristic columns to report.
    not_collected: ``{source_system: fields}`` for sources that have no such field at all.

    Returns one row per group and field: ``by...``, ``field``, ``collected``, ``n`` (rows from sources
    that collect the field), ``not_collected`` (rows from sources that do not), ``recorded``,
    ``informative``, ``pct_recorded`` with ``recorded_low``/``recorded_high``, ``pct_informative``
    with ``informative_low``/``informative_high`` (Wilson intervals, percent) and ``note``. A field
    that no row's source collects has missing counts and rates and the note "not collected by this
    source".
    """
    by = tuple(by)
    frame = _prepare(rows, by)
    parts = []
    for field in fields:
        counts = _counts(frame, by, field, not_collected)
        counts.insert(len(by), "field", field)
        parts.append(counts)
    out = pd.concat(parts, ignore_index=True)
    out["collected"] = out["n"] > 0
    for measure in ("recorded", "informative"):
        lo, hi = _wilson(out[measure], out["n"], confidence)
        out[f"pct_{measure}"] = _pct(out[measure], out["n"])
        out[f"{measure}_low"], out[f"{measure}_high"] = lo, hi
        out[measure] = out[measure].astype("Int64").where(out["collected"])
    out["note"] = np.where(out["collected"], "", NOT_COLLECTED)
    order = {f: i for i, f in enumerate(fields)}
    out = out.sort_values([*by, "field"], key=lambda s: s.map(order) if s.name == "field" else s, kind="stable")
    cols = [*by, "field", "collected", "n", "not_collected", "recorded", "informative", "pct_recorded",
            "recorded_low", "recorded_high", "pct_informative", "informative_low", "informative_high", "note"]
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Self-defined against officer-observed ethnicity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EthnicityAgreement:
    """Agreement of self-defined and officer-observed ethnicity on the five 2011 Census groups.

    Only rows on which both are informative (not missing, not ``NS``, not ``IC9``) count.
    ``confusion`` has self-defined groups as rows and observed groups as columns; ``by_group`` gives
    agreement within each self-defined group (Mixed can never agree: there is no IC code for it).
    """

    n: int
    agree: int
    pct_agree: float
    low: float
    high: float
    kappa: float
    confusion: pd.DataFrame
    by_group: pd.DataFrame
    by_role: pd.DataFrame
    by_source: pd.DataFrame

    def describe(self) -> str:
        if self.n == 0:
            return "No records carry both a self-defined and an officer-observed ethnicity."
        return (f"Self-defined and officer-observed ethnicity fall in the same group on {self.pct_agree:.0f}% "
                f"of {self.n} records (95% CI {self.low:.0f}% to {self.high:.0f}%); Cohen's kappa {self.kappa:.2f}.")


def _kappa(a: pd.Series, b: pd.Series) -> float:
    if len(a) == 0:
        return float("nan")
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b, labels=list(GROUP5)))


def _agreement_rows(pairs: pd.DataFrame, key: str | None, confidence: float) -> pd.DataFrame:
    groups = [(None, pairs)] if key is None else list(pairs.groupby(key, dropna=False, sort=True))
    records = []
    for value, g in groups:
        agree = int((g["self_group"] == g["observed_group"]).sum())
        lo, hi = _wilson([agree], [len(g)], confidence)
        row = {} if key is None else {key: value}
        row.update(n=len(g), agree=agree, pct_agree=float(_pct([agree], [len(g)])[0]), low=float(lo[0]),
                   high=float(hi[0]), kappa=_kappa(g["self_group"], g["observed_group"]))
        records.append(row)
    cols = ([key] if key else []) + ["n", "agree", "pct_agree", "low", "high", "kappa"]
    return pd.DataFrame.from_records(records, columns=cols)


def ethnicity_agreement(rows: pd.DataFrame, confidence: float = 0.95) -> EthnicityAgreement:
    """Compare self-defined (18+1) and officer-observed (IC) ethnicity on the five groups.

    Agreement is the share of rows whose two groups match, with a Wilson interval, and Cohen's kappa
    (Cohen 1960, "A coefficient of agreement for nominal scales"), which discounts the agreement
    expected by chance from the two margins. The Home Office's "Police powers and procedures"
    statistics note that officer-observed and self-defined ethnicity differ, most of all for people
    who define as Mixed, whom no IC code describes; read agreement by self-defined group
    (``by_group``) before the overall figure.
    """
    for col in _ETHNICITY:
        if col not in rows.columns:
            raise ValueError(f"ethnicity agreement needs the column {col!r}")
    self_group = to_group5(rows["ethnicity_self_defined"], "self_defined")
    observed_group = to_group5(rows["ethnicity_observed"], "observed")
    both = self_group.isin(GROUP5) & observed_group.isin(GROUP5)
    pairs = pd.DataFrame({"self_group": self_group[both], "observed_group": observed_group[both]})
    for col in ("role", "source_system"):
        if col in rows.columns:
            pairs[col] = rows.loc[both, col]
    overall = _agreement_rows(pairs, None, confidence).iloc[0]
    confusion = pd.crosstab(pd.Categorical(pairs["self_group"], categories=GROUP5),
                            pd.Categorical(pairs["observed_group"], categories=GROUP5),
                            dropna=False).reindex(index=list(GROUP5), columns=list(GROUP5), fill_value=0)
    confusion.index.name, confusion.columns.name = "self_defined", "observed"
    by_group = _agreement_rows(pairs, "self_group", confidence).drop(columns="kappa")
    by_group = by_group.rename(columns={"self_group": "self_defined"})
    empty = pd.DataFrame(columns=["n", "agree", "pct_agree", "low", "high", "kappa"])
    return EthnicityAgreement(
        n=int(overall["n"]), agree=int(overall["agree"]), pct_agree=float(overall["pct_agree"]),
        low=float(overall["low"]), high=float(overall["high"]), kappa=float(overall["kappa"]),
        confusion=confusion.astype(int), by_group=by_group,
        by_role=_agreement_rows(pairs, "role", confidence) if "role" in pairs else empty,
        by_source=_agreement_rows(pairs, "source_system", confidence) if "source_system" in pairs else empty,
    )


# ---------------------------------------------------------------------------------------------
# The same person on several records
# ---------------------------------------------------------------------------------------------


def _decimal_years(when: pd.Series) -> pd.Series:
    when = pd.to_datetime(when)
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    return 1970 + (when - pd.Timestamp("1970-01-01")).dt.total_seconds() / (365.2425 * 86400)


def _age_conflicts(frame: pd.DataFrame, tolerance: float) -> pd.Series:
    """Per person: True when the birth-date windows implied by the recorded ages cannot meet.

    A person aged ``a`` on date ``t`` was born in the year-long window ``(t - a - 1, t - a]``. The
    records conflict when the latest window start is ``tolerance`` years or more after the earliest
    window end: with ``tolerance = 1``, ages 20 and 21 on the same day are accepted and 20 and 22
    are not.
    """
    t = _decimal_years(frame["occurred_at"])
    age = pd.to_numeric(frame["age"], errors="coerce")
    windows = pd.DataFrame({"person_id": frame["person_id"], "low": t - (age + 1), "high": t - age})
    g = windows.groupby("person_id")
    return (g["low"].max() - g["high"].min()) >= tolerance


def person_consistency(rows: pd.DataFrame, fields: Sequence[str] = ("sex", "ethnicity_self_defined", "age"),
                       age_tolerance: float = 1.0, confidence: float = 0.95) -> pd.DataFrame:
    """Share of people recorded on two or more rows whose informative values conflict.

    For each field, only rows with an informative value count (a ``not_stated`` next to ``male`` is
    not a conflict), and only people with at least two such rows. Codes are compared exactly (after
    trimming and case-folding); for the ethnicity fields ``conflicting_group`` also counts people
    whose codes fall in different five-way groups (W1 then W9 conflicts on the code, not the group).
    Age is judged against the dates: see :func:`_age_conflicts` (``occurred_at`` is needed).

    Returns ``field``, ``people`` (with 2+ informative rows), ``conflicting``, ``pct_conflicting``,
    ``low``, ``high`` (Wilson, percent), ``conflicting_group`` and ``rows_involved`` (rows belonging to
    conflicting people, for sizing the clean-up). No person identifiers are returned.
    """
    records = []
    for field in fields:
        if field not in rows.columns:
            records.append({"field": field, "people": 0, "conflicting": 0, "note": NOT_COLLECTED})
            continue
        _, informative = indicators(rows[field], field)
        frame = rows.loc[informative & rows["person_id"].notna()]
        multi = frame["person_id"].map(frame["person_id"].value_counts()) >= 2
        frame = frame.loc[multi]
        people = int(frame["person_id"].nunique())
        group_conflicts = None
        if field == "age":
            conflict = _age_conflicts(frame, age_tolerance)
        else:
            norm = frame[field].astype(str).str.strip()
            norm = norm.str.upper() if field in _ETHNICITY else norm.str.lower()
            conflict = norm.groupby(frame["person_id"]).nunique() > 1
            if field in _ETHNICITY:
                kind = "self_defined" if field == "ethnicity_self_defined" else "observed"
                groups = to_group5(norm, kind)
                group_conflicts = int((groups.groupby(frame["person_id"]).nunique() > 1).sum())
        bad = conflict[conflict].index
        records.append({"field": field, "people": people, "conflicting": int(conflict.sum()),
                        "conflicting_group": group_conflicts,
                        "rows_involved": int(frame["person_id"].isin(bad).sum()), "note": ""})
    out = pd.DataFrame.from_records(records, columns=["field", "people", "conflicting", "conflicting_group",
                                                      "rows_involved", "note"])
    out["pct_conflicting"] = _pct(out["conflicting"], out["people"])
    out["low"], out["high"] = _wilson(out["conflicting"], out["people"], confidence)
    out["conflicting_group"] = out["conflicting_group"].astype("Int64")
    out["rows_involved"] = out["rows_involved"].astype("Int64")
    return out[["field", "people", "conflicting", "pct_conflicting", "low", "high", "conflicting_group",
                "rows_involved", "note"]]


# ---------------------------------------------------------------------------------------------
# Trend
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletenessTrend:
    """Monthly completeness of one field and a fitted slope per group.

    ``slopes`` columns: ``by...``, ``months``, ``n``, ``slope`` (change in log-odds per year) with
    ``slope_low``/``slope_high``, ``odds_ratio`` per year with ``odds_ratio_low``/``odds_ratio_high``,
    ``pp_per_year`` (the slope in percentage points a year at the mean level), ``p_value`` and
    ``dispersion`` (the Pearson scale used, at least 1).
    """

    field: str
    measure: str
    monthly: pd.DataFrame
    slopes: pd.DataFrame


def _fit_slope(months: pd.Series, successes: np.ndarray, n: np.ndarray, confidence: float) -> dict:
    nan = {"slope": np.nan, "slope_low": np.nan, "slope_high": np.nan, "p_value": np.nan, "dispersion": np.nan}
    keep = n > 0
    successes, n, months = successes[keep], n[keep], months[keep]
    if len(n) < 3 or successes.sum() in (0, n.sum()):
        return nan  # too few months, or no variation to fit (all or none recorded)
    first = months.min()
    t = ((months.dt.year - first.year) * 12 + (months.dt.month - first.month)).to_numpy(float) / 12.0
    endog = np.column_stack([successes, n - successes])
    exog = sm.add_constant(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(endog, exog, family=sm.families.Binomial())
        fit = model.fit()
        dispersion = float(fit.pearson_chi2 / fit.df_resid) if fit.df_resid > 0 else 1.0
        dispersion = max(1.0, dispersion)
        if dispersion > 1.0:
            fit = model.fit(scale=dispersion)
    lo, hi = fit.conf_int(alpha=1 - confidence)[1]
    return {"slope": float(fit.params[1]), "slope_low": float(lo), "slope_high": float(hi),
            "p_value": float(fit.pvalues[1]), "dispersion": dispersion}


def completeness_trend(rows: pd.DataFrame, field: str, by: Sequence[str] = (), months: int | None = None,
                       measure: str = "recorded", confidence: float = 0.95,
                       not_collected: Mapping[str, Iterable[str]] | None = None) -> CompletenessTrend:
    """Monthly share recorded (or informative) and its trend from a binomial GLM on time in years.

    ``months`` keeps only the last so many calendar months of the data. The model is
    ``logit(p) = a + b * years``, fitted to the monthly counts; when the Pearson dispersion exceeds 1
    the standard errors are scaled by it (quasi-binomial, McCullagh and Nelder 1989, section 4.5), as
    monthly recording rates usually vary more than binomial chance. ``exp(b)`` is the odds ratio per
    year; ``pp_per_year`` is ``b * p(1 - p) * 100`` at the mean ``p``, a local approximation.
    Groups with fewer than three months or with no variation (every row recorded, or none) get no slope.
    """
    if measure not in ("recorded", "informative"):
        raise ValueError("measure must be 'recorded' or 'informative'")
    by = tuple(by)
    frame = _prepare(rows, by)
    frame["month"] = _month(frame["occurred_at"])
    if months is not None:
        last = frame["month"].max()
        frame = frame.loc[frame["month"] > last - pd.DateOffset(months=months)]
    monthly = _counts(frame, (*by, "month"), field, not_collected)
    monthly = monthly.loc[monthly["n"] > 0].reset_index(drop=True)
    monthly["pct"] = _pct(monthly[measure], monthly["n"])
    monthly["low"], monthly["high"] = _wilson(monthly[measure], monthly["n"], confidence)
    monthly = monthly[[*by, "month", "n", measure, "pct", "low", "high"]]
    records = []
    groups = [((), monthly)] if not by else monthly.groupby(list(by), dropna=False, sort=True)
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        fit = _fit_slope(g["month"].reset_index(drop=True), g[measure].to_numpy(float), g["n"].to_numpy(float),
                         confidence)
        p = g[measure].sum() / g["n"].sum() if g["n"].sum() else np.nan
        records.append({**dict(zip(by, key, strict=True)), "months": len(g), "n": int(g["n"].sum()), **fit,
                        "pp_per_year": fit["slope"] * p * (1 - p) * 100})
    slopes = pd.DataFrame.from_records(records, columns=[*by, "months", "n", "slope", "slope_low", "slope_high",
                                                         "p_value", "dispersion", "pp_per_year"])
    for col in ("", "_low", "_high"):
        slopes[f"odds_ratio{col}"] = np.exp(slopes[f"slope{col}"].astype(float))
    return CompletenessTrend(field, measure, monthly, slopes)


# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------


def _period_words(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start == end:
        return end.strftime("%B %Y")
    if start.year == end.year:
        return f"{start.strftime('%B')} to {end.strftime('%B %Y')}"
    return f"{start.strftime('%B %Y')} to {end.strftime('%B %Y')}"


def _message(field: str, measure: str, key: dict, recent_pct: float, baseline_pct: float, period: str,
             baseline_months: int) -> str:
    role = key.get("role")
    who = f"{role}s" if isinstance(role, str) and role else "people"
    where = []
    for k, v in key.items():
        if k == "role":
            continue
        if k == "recording_unit":
            where.append(f"in {v}")
        elif k == "source_system":
            where.append(f"on {v}")
        else:
            where.append(f"with {k} {v}")  # other keys are named so the message is never ambiguous
    verb = "recorded" if measure == "recorded" else "recorded with a stated value"
    place = (" " + " ".join(where)) if where else ""
    return (f"{FIELD_LABELS.get(field, field)} {verb} on {recent_pct:.0f}% of {who}{place} in {period}, "
            f"down from {baseline_pct:.0f}% over the previous {baseline_months} months")


def completeness_alerts(rows: pd.DataFrame, fields: Sequence[str] = FIELDS, by: Sequence[str] = ("recording_unit",),
                        baseline_months: int = 12, recent_months: int = 1, min_n: int = 20, alpha: float = 0.01,
                        as_of: str | pd.Timestamp | None = None, measure: str = "recorded",
                        include_all: bool = False,
                        not_collected: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Flag units whose recent completeness has fallen below their own baseline.

    The recent period is the ``recent_months`` calendar months ending with ``as_of`` (by default the
    last month in the data, which should be complete); the baseline is the ``baseline_months`` before
    it. For each group and field with at least ``min_n`` rows in both periods, a one-sided Fisher
    exact test (recent proportion lower than baseline; it allows for the baseline being an estimate,
    unlike a test against a fixed proportion) gives ``p_value``; p-values are Holm-adjusted across
    every group and field tested (``p_adjusted``), and an alert is raised when ``p_adjusted < alpha``.
    ``lower_limit_pct`` is the p-chart lower 3-sigma limit for the recent sample size around the
    baseline (Montgomery, control charts for attributes; NHS England "Making Data Count"), and
    ``below_limit`` says whether the recent value is under it, for readers used to SPC charts.

    Returns the alert rows (all tested rows with ``include_all=True``): ``by...``, ``field``,
    ``baseline_n``, ``baseline_pct``, ``recent_n``, ``recent_pct``, ``lower_limit_pct``,
    ``below_limit``, ``p_value``, ``p_adjusted``, ``alert`` and ``message``, largest fall first.
    """
    if measure not in ("recorded", "informative"):
        raise ValueError("measure must be 'recorded' or 'informative'")
    by = tuple(by)
    frame = _prepare(rows, by)
    frame["month"] = _month(frame["occurred_at"])
    end = frame["month"].max() if as_of is None else pd.Timestamp(as_of).to_period("M").to_timestamp()
    recent_start = end - pd.DateOffset(months=recent_months - 1)
    base_start = recent_start - pd.DateOffset(months=baseline_months)
    frame["_period"] = np.select([frame["month"].between(recent_start, end),
                                  (frame["month"] >= base_start) & (frame["month"] < recent_start)],
                                 ["recent", "baseline"], default="")
    frame = frame.loc[frame["_period"] != ""]
    keys = by or ("_all",)
    frame["_all"] = 0
    parts = []
    for field in fields:
        if field not in frame.columns:
            continue  # not collected by this source: nothing to alert on
        periods = [_counts(frame.loc[frame["_period"] == p], keys, field, not_collected)[[*keys, "n", measure]]
                   for p in ("baseline", "recent")]
        wide = periods[0].merge(periods[1], on=list(keys), how="outer", suffixes=("_baseline", "_recent"))
        wide = wide.fillna(0)
        wide.insert(len(keys), "field", field)
        parts.append(wide)
    columns = [*by, "field", "baseline_n", "baseline_pct", "recent_n", "recent_pct", "lower_limit_pct",
               "below_limit", "p_value", "p_adjusted", "alert", "message"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table = table.rename(columns={"n_baseline": "baseline_n", "n_recent": "recent_n",
                                  f"{measure}_baseline": "baseline_x", f"{measure}_recent": "recent_x"})
    table = table.loc[(table["baseline_n"] >= min_n) & (table["recent_n"] >= min_n)].reset_index(drop=True)
    if table.empty:
        return pd.DataFrame(columns=columns)
    table["baseline_pct"] = _pct(table["baseline_x"], table["baseline_n"])
    table["recent_pct"] = _pct(table["recent_x"], table["recent_n"])
    p0 = table["baseline_pct"] / 100
    table["lower_limit_pct"] = 100 * np.clip(p0 - 3 * np.sqrt(p0 * (1 - p0) / table["recent_n"]), 0, 1)
    table["below_limit"] = table["recent_pct"] < table["lower_limit_pct"]
    table["p_value"] = [
        float(stats.fisher_exact([[rx, rn - rx], [bx, bn - bx]], alternative="less").pvalue)
        for rx, rn, bx, bn in table[["recent_x", "recent_n", "baseline_x", "baseline_n"]].to_numpy(int)
    ]
    table["p_adjusted"] = multipletests(table["p_value"], method="holm")[1]
    table["alert"] = (table["p_adjusted"] < alpha) & (table["recent_pct"] < table["baseline_pct"])
    period = _period_words(recent_start, end)
    # Rows already filtered to one role (e.g. victims only) are described by that role.
    only_role = {}
    if "role" not in by and "role" in frame.columns and frame["role"].nunique() == 1:
        only_role = {"role": frame["role"].iloc[0]}
    table["message"] = [
        _message(r["field"], measure, {**only_role, **{k: r[k] for k in by}}, r["recent_pct"], r["baseline_pct"],
                 period, baseline_months) if r["alert"] else ""
        for _, r in table.iterrows()
    ]
    table["_fall"] = table["baseline_pct"] - table["recent_pct"]
    table = table.sort_values(["alert", "_fall"], ascending=[False, False], kind="stable")
    if not include_all:
        table = table.loc[table["alert"]]
    return table[columns].reset_index(drop=True)
