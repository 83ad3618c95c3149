"""Evaluating an intervention: did young people on a violence reduction unit's programme go on to
be suspected of serious violence less often than similar young people who were not on it?

The design is a matched comparison group built from police records, with a before and an after
window for everyone:

* :func:`build_cohort` puts each participant at their start date and every other young person who
  was recently a suspect at each month in which participants started (a risk set), with their
  history (the covariates) and whether they were suspected of serious violence before and after.
* Matching makes the comparison group look like the participants on that history, either by
  propensity score (Rosenbaum and Rubin 1983, "The central role of the propensity score in
  observational studies for causal effects", Biometrika 70(1):41-55; nearest neighbour within a
  caliper of 0.2 standard deviations of the logit, Austin 2011, "An introduction to propensity
  score methods for reducing the effects of confounding in observational studies", Multivariate
  Behav Res 46(3):399-424, and "Optimal caliper widths for propensity-score matching", Pharm Stat
  10(2):150-161) or by coarsened exact matching (Iacus, King and Porro 2012, "Causal inference
  without balance checking: coarsened exact matching", Political Analysis 20(1):1-24).
* :func:`balance_table` checks the match: standardised mean differences below 0.1 (Austin 2009,
  "Balance diagnostics for comparing the distribution of baseline covariates between treatment
  groups in propensity-score matched samples", Stat Med 28(25):3083-3107), using the standard
  deviations *before* matching as the yardstick (Stuart 2010, "Matching methods for causal
  inference: a review and a look forward", Stat Sci 25(1):1-21), so an SMD changes only when the
  means do.
* :func:`estimate_effect` gives the average effect on the participants (ATT) as a risk difference
  and a risk ratio; standard errors are clustered on the matched set for propensity matching
  (Abadie and Spiess 2022, "Robust post-matching inference", JASA 117(538):983-995) and on the
  person for CEM (HC1 when nobody appears twice). :func:`difference_in_differences` compares the
  change from before to after between the groups (Angrist and Pischke 2009, *Mostly Harmless
  Econometrics*, chapter 5).
* :func:`minimum_detectable_effect` says how large an effect the study could reliably have found
  (Bloom 1995, "Minimum detectable effects: a simple way to report the statistical power of
  experimental designs", Evaluation Review 19(5):547-556), so "not significant" is read properly.
* :func:`maryland_level` rates the design on the Maryland Scientific Methods Scale (Sherman,
  Gottfredson, MacKenzie, Eck, Reuter and Bushway 1997, *Preventing Crime: What Works, What
  Doesn't, What's Promising*; Farrington, Gottfredson, Sherman and Welsh 2002, "The Maryland
  Scientific Methods Scale", in *Evidence-Based Crime Prevention*), as used by the College of
  Policing What Works Centre for Crime Reduction and the Youth Endowment Fund.

Matching can only balance what is recorded. Whatever else led a young person onto the programme
(motivation, a family's support, a referrer's judgement) may also affect what happens next; the
summary says so in every case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.linear_model import LogisticRegression

#: An absolute standardised mean difference below this is "balanced" (Austin 2009).
SMD_BALANCED = 0.1
#: Caliper in standard deviations of the logit of the propensity score (Austin 2011).
CALIPER_SD = 0.2
#: Covariates made by :func:`build_cohort`, matched on by default.
DEFAULT_COVARIATES = ("age", "sex", "prior_sv_12m", "prior_any_24m", "prior_victim_24m")
#: Default CEM coarsening: cut points (a value starts a new bin); None means exact.
DEFAULT_CEM_BINS: dict[str, list | int | None] = {
    "age": [14, 16, 18, 21],
    "sex": None,
    "prior_sv_12m": [1, 2, 3],
    "prior_any_24m": [1, 2, 4, 7],
    "prior_victim_24m": [1, 3],
}
COHORT_COLUMNS = ("person_id", "treated", "index_date", "pre", "post")


# --------------------------------------------------------------------------------------------------
# Building the cohort
# --------------------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {', '.join(missing)}")


def _age(dob: pd.Series, at: pd.Series) -> pd.Series:
    """Whole years of age at ``at`` (birthday counted on the day)."""
    years = at.dt.year - dob.dt.year
    before_birthday = (at.dt.month < dob.dt.month) | ((at.dt.month == dob.dt.month) & (at.dt.day < dob.dt.day))
    return (years - before_birthday.astype(int)).astype("Int64")


def build_cohort(events: pd.DataFrame, persons: pd.DataFrame, participants: pd.DataFrame, *,
                 follow_up_months: int = 12, lookback_months: int = 12, history_months: int = 24,
                 candidates: str = "any_suspect") -> pd.DataFrame:
    """One row a person and index date, with history before and outcome after.

    Parameters
    ----------
    events: one row a person and incident: ``person_id``, ``occurred_at`` (datetime), ``role``
        ("suspect", "victim", ...) and ``serious_violence`` (bool).
    persons: ``person_id``, ``date_of_birth``, ``sex``.
    participants: ``person_id``, ``start_date`` (the index date).
    follow_up_months: length of the outcome window.
    lookback_months: window for ``prior_sv_12m`` and ``pre`` (12 months unless changed).
    history_months: window for ``prior_any_24m``, ``prior_victim_24m`` and for comparison eligibility.
    candidates: who may be a comparison: "any_suspect" (a suspect in any incident in the history
        window) or "any_role" (any recorded role in the history window).

    Rules, all by calendar date (times of day are ignored):

    * Participants' index date is their start date. Comparison rows: every person never a participant
      is considered at the first day of each month in which a participant started (a risk set: the
      same person can appear at several dates), kept only if eligible under ``candidates``.
    * History windows are ``[t - k months, t)``; the follow-up window is ``(t, t + follow_up_months]``.
      Incidents on the index day itself are in neither: for a participant they are often what led to
      the referral, and counting them on either side would blur before and after.
    * ``age`` is whole years at t; ``prior_sv_12m`` counts serious-violence incidents as suspect in the
      lookback window, ``prior_any_24m`` incidents of any kind as suspect and ``prior_victim_24m``
      incidents as victim in the history window. ``pre`` is 1 when ``prior_sv_12m`` > 0, ``post`` is 1
      when there is any serious-violence incident as suspect in the follow-up window.
    * Rows whose follow-up ends after the last incident date in ``events`` are dropped (their outcome
      is not yet known). ``result.attrs`` records ``participants_without_follow_up``,
      ``comparison_rows_without_follow_up``, ``participants`` (given) and ``last_event_date``.

    Raises ValueError when participants are missing from ``persons`` (listing them), when a
    participant has no start date, or when a column is missing.
    """
    _require(events, "events", ["person_id", "occurred_at", "role", "serious_violence"])
    _require(persons, "persons", ["person_id", "date_of_birth", "sex"])
    _require(participants, "participants", ["person_id", "start_date"])
    if candidates not in ("any_suspect", "any_role"):
        raise ValueError(f"candidates must be 'any_suspect' or 'any_role', not {candidates!r}")
    missing = sorted(set(participants["person_id"]) - set(persons["person_id"]), key=str)
    if missing:
        raise ValueError(f"{len(missing)} participant(s) not in persons: {', '.join(map(str, missing))}")
    part = participants[["person_id", "start_date"]].copy()
    part["index_date"] = pd.to_datetime(part["start_date"]).dt.normalize()
    if part["index_date"].isna().any():
        raise ValueError("every participant needs a start date")
    ev = events[["person_id", "occurred_at", "role", "serious_violence"]].copy()
    ev["day"] = pd.to_datetime(ev["occurred_at"]).dt.normalize()
    ev["role"] = ev["role"].astype(str).str.lower()
    ev["serious_violence"] = ev["serious_violence"].fillna(False).astype(bool)
    if ev.empty:
        raise ValueError("there are no events, so there is no history or outcome to measure")
    last_day = ev["day"].max()

    treated_rows = part[["person_id", "index_date"]].assign(treated=True)
    months = sorted(part["index_date"].dt.to_period("M").dt.to_timestamp().unique())
    participant_ids = set(part["person_id"])
    pool = ev if candidates == "any_role" else ev[ev["role"] == "suspect"]
    pool_ids = [p for p in pool["person_id"].unique() if p not in participant_ids]
    comp_rows = pd.DataFrame({
        "person_id": np.repeat(np.asarray(pool_ids, dtype=object), len(months)),
        "index_date": np.tile(np.asarray(months, dtype="datetime64[ns]"), len(pool_ids)),
    }).assign(treated=False)
    rows = pd.concat([treated_rows, comp_rows], ignore_index=True)
    rows["row"] = np.arange(len(rows))

    t = rows[["row", "person_id", "index_date"]].merge(ev, on="person_id", how="inner")
    idx = t["index_date"]
    suspect = t["role"] == "suspect"
    lookback = (t["day"] >= idx - pd.DateOffset(months=lookback_months)) & (t["day"] < idx)
    history = (t["day"] >= idx - pd.DateOffset(months=history_months)) & (t["day"] < idx)
    follow = (t["day"] > idx) & (t["day"] <= idx + pd.DateOffset(months=follow_up_months))
    t["prior_sv_12m"] = (suspect & t["serious_violence"] & lookback).astype(int)
    t["prior_any_24m"] = (suspect & history).astype(int)
    t["prior_victim_24m"] = ((t["role"] == "victim") & history).astype(int)
    t["eligible"] = (history if candidates == "any_role" else suspect & history).astype(int)
    t["post"] = (suspect & t["serious_violence"] & follow).astype(int)
    counts = t.groupby("row")[["prior_sv_12m", "prior_any_24m", "prior_victim_24m", "eligible", "post"]].sum()
    rows = rows.join(counts, on="row")
    count_cols = ["prior_sv_12m", "prior_any_24m", "prior_victim_24m", "eligible", "post"]
    rows[count_cols] = rows[count_cols].fillna(0).astype(int)
    rows = rows[rows["treated"] | (rows["eligible"] > 0)]
    rows["post"] = (rows["post"] > 0).astype(int)
    rows["pre"] = (rows["prior_sv_12m"] > 0).astype(int)

    complete = rows["index_date"] + pd.DateOffset(months=follow_up_months) <= last_day
    dropped_t = int((~complete & rows["treated"]).sum())
    dropped_c = int((~complete & ~rows["treated"]).sum())
    rows = rows[complete]

    people = persons[["person_id", "date_of_birth", "sex"]].drop_duplicates("person_id")
    no_record = int((~rows["person_id"].isin(people["person_id"])).sum())
    rows = rows.merge(people, on="person_id", how="inner")
    rows["age"] = _age(pd.to_datetime(rows["date_of_birth"]), rows["index_date"])
    out = rows[["person_id", "treated", "index_date", "age", "sex", "prior_sv_12m", "prior_any_24m",
                "prior_victim_24m", "pre", "post"]].sort_values(
        ["treated", "index_date", "person_id"], ascending=[False, True, True]).reset_index(drop=True)
    out["treated"] = out["treated"].astype(bool)
    out.attrs.update({
        "participants": int(len(part)),
        "participants_without_follow_up": dropped_t,
        "comparison_rows_without_follow_up": dropped_c,
        "comparison_rows_without_person_record": no_record,
        "last_event_date": last_day.date().isoformat(),
        "follow_up_months": follow_up_months,
    })
    return out


# --------------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Matched:
    """A matched cohort: ``data`` is every cohort row with ``weight`` (0 = not used) and ``match_id``
    (the matched set for propensity matching, the stratum for CEM; -1 when not used)."""

    method: str  # "psm" or "cem"
    covariates: tuple[str, ...]
    data: pd.DataFrame = field(repr=False)
    n_treated: int
    n_treated_matched: int
    n_comparison_matched: int  # rows (a comparison person appears once in PSM, maybe more in CEM)
    caliper_width: float | None = None  # on the logit scale, PSM only
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> pd.DataFrame:
        """The rows in the analysis (weight above 0)."""
        return self.data[self.data["weight"] > 0]

    def balance(self) -> pd.DataFrame:
        return balance_table(self.data, self.covariates, weights=self.data["weight"])


def _check_cohort(cohort: pd.DataFrame, covariates: Sequence[str]) -> None:
    _require(cohort, "cohort", ["person_id", "treated", "post", *covariates])
    if cohort[list(covariates)].isna().any().any():
        bad = [c for c in covariates if cohort[c].isna().any()]
        raise ValueError(f"covariates have missing values ({', '.join(bad)}); fill or drop them before matching")
    treated = cohort["treated"].astype(bool)
    if not treated.any() or treated.all():
        raise ValueError("the cohort needs both participants (treated) and comparison rows")


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _design_matrix(cohort: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    parts = []
    for c in covariates:
        s = cohort[c]
        if _is_categorical(s):
            parts.append(pd.get_dummies(s.astype(str), prefix=c, drop_first=True, dtype=float))
        else:
            parts.append(s.astype(float).rename(c).to_frame())
    X = pd.concat(parts, axis=1).to_numpy(dtype=float) if parts else np.zeros((len(cohort), 0))
    sd = X.std(axis=0)
    keep = sd > 0
    return (X[:, keep] - X[:, keep].mean(axis=0)) / sd[keep]


def propensity_logit(cohort: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    """Logit of the propensity score from a (practically unpenalised) logistic regression."""
    X = _design_matrix(cohort, covariates)
    y = cohort["treated"].astype(bool).to_numpy()
    if X.shape[1] == 0:
        p = y.mean()
        return np.full(len(y), np.log(p / (1 - p)))
    model = LogisticRegression(C=1e6, max_iter=5000)
    model.fit(X, y)
    return model.decision_function(X)


def propensity_match(cohort: pd.DataFrame, covariates: Sequence[str] = DEFAULT_COVARIATES, *, ratio: int = 1,
                     caliper: float = CALIPER_SD, exact: Sequence[str] = ("sex",), seed: int = 0) -> Matched:
    """Greedy nearest-neighbour matching on the logit of the propensity score, without replacement.

    Each participant, in random order (``seed``), takes the nearest unused comparison row with the
    same values of the ``exact`` covariates and a logit within ``caliper`` standard deviations (the
    pooled SD of the two groups, Austin 2011); with ``ratio`` > 1 this is repeated in rounds. Once a
    comparison person is used, none of their other rows (other index dates) can be, so nobody is
    counted twice. Participants with no comparison within the caliper are left unmatched and
    reported. Weights: participants 1, comparisons 1 / (comparisons in the set).
    """
    covariates = tuple(covariates)
    _check_cohort(cohort, covariates)
    if ratio < 1:
        raise ValueError("ratio must be at least 1")
    missing_exact = [c for c in exact if c not in cohort.columns]
    if missing_exact:
        raise ValueError(f"exact matching column(s) not in cohort: {', '.join(missing_exact)}")
    data = cohort.reset_index(drop=True).copy()
    logit = propensity_logit(data, covariates)
    treated = data["treated"].astype(bool).to_numpy()
    pooled_sd = float(np.sqrt((logit[treated].var(ddof=1) + logit[~treated].var(ddof=1)) / 2))
    width = caliper * pooled_sd if np.isfinite(pooled_sd) and pooled_sd > 0 else np.inf
    strata = (data[list(exact)].astype(str).agg("|".join, axis=1) if exact else pd.Series("", index=data.index))
    rng = np.random.default_rng(seed)
    match_id = np.full(len(data), -1, dtype=int)
    person_codes, _ = pd.factorize(data["person_id"])
    used_person = np.zeros(person_codes.max() + 1, dtype=bool)
    treated_idx = np.flatnonzero(treated)
    order = treated_idx[rng.permutation(len(treated_idx))]
    comp_by_stratum = {s: np.flatnonzero((~treated) & (strata.to_numpy() == s)) for s in strata[~treated].unique()}
    strata_arr = strata.to_numpy()
    for _ in range(ratio):
        for i in order:
            pool = comp_by_stratum.get(strata_arr[i])
            if pool is None or len(pool) == 0:
                continue
            free = pool[~used_person[person_codes[pool]]]
            if len(free) == 0:
                continue
            dist = np.abs(logit[free] - logit[i])
            j = int(np.argmin(dist))
            if dist[j] <= width:
                k = free[j]
                match_id[k] = i
                match_id[i] = i
                used_person[person_codes[k]] = True
    data["match_id"] = match_id
    n_in_set = pd.Series(match_id[~treated & (match_id >= 0)]).value_counts()
    weight = np.zeros(len(data))
    weight[treated & (match_id >= 0)] = 1.0
    comp = np.flatnonzero(~treated & (match_id >= 0))
    weight[comp] = 1.0 / n_in_set.reindex(match_id[comp]).to_numpy()
    data["weight"] = weight
    data["propensity_logit"] = logit
    n_tm = int((treated & (match_id >= 0)).sum())
    notes = ()
    if n_tm < treated.sum():
        notes = (f"{int(treated.sum()) - n_tm} participant(s) had no comparison within the caliper and are "
                 "not in the estimate",)
    return Matched("psm", covariates, data, int(treated.sum()), n_tm, len(comp), width, notes)


def _coarsen(s: pd.Series, spec: list | int | None) -> pd.Series:
    if spec is None or _is_categorical(s):
        return s.astype(str)
    if isinstance(spec, int):
        if s.nunique() <= 1:
            return pd.Series("0", index=s.index)
        return pd.cut(s.astype(float), spec, labels=False, include_lowest=True).astype(str)
    edges = [-np.inf, *sorted(float(v) for v in spec), np.inf]
    return pd.cut(s.astype(float), edges, right=False, labels=False).astype(str)


def coarsened_exact_match(cohort: pd.DataFrame, bins: Mapping[str, list | int | None] | None = None) -> Matched:
    """Coarsened exact matching (Iacus, King and Porro 2012).

    ``bins`` maps each matching variable to its coarsening: a list of cut points (each starts a new
    bin: ``[1, 2, 3]`` gives 0, 1, 2 and 3 or more), an int (that many equal-width bins) or None
    (exact; categorical variables are always exact). Rows are grouped into strata by the coarsened
    values; strata without both groups are dropped. Weights (the CEM weights): participants 1,
    comparison rows in stratum s ``(n_t_s / n_c_s) * (N_c / N_t)`` with N the matched totals, so the
    weighted comparison group has the participants' distribution over strata.
    """
    if bins is None:
        bins = {k: v for k, v in DEFAULT_CEM_BINS.items() if k in cohort.columns}
    bins = dict(bins)
    covariates = tuple(bins)
    _check_cohort(cohort, covariates)
    data = cohort.reset_index(drop=True).copy()
    treated = data["treated"].astype(bool)
    key = pd.concat([_coarsen(data[c], spec).rename(c) for c, spec in bins.items()], axis=1)
    stratum = key.agg("|".join, axis=1) if covariates else pd.Series("", index=data.index)
    codes, _ = pd.factorize(stratum)
    data["match_id"] = codes
    n_t = pd.Series(codes[treated.to_numpy()]).value_counts()
    n_c = pd.Series(codes[~treated.to_numpy()]).value_counts()
    both = n_t.index.intersection(n_c.index)
    in_both = np.isin(codes, both)
    N_t = int((treated & in_both).sum())
    N_c = int((~treated & in_both).sum())
    weight = np.zeros(len(data))
    weight[treated.to_numpy() & in_both] = 1.0
    comp = np.flatnonzero(~treated.to_numpy() & in_both)
    if N_t:
        weight[comp] = (n_t.reindex(codes[comp]).to_numpy() / n_c.reindex(codes[comp]).to_numpy()) * (N_c / N_t)
    data.loc[~in_both, "match_id"] = -1
    data["weight"] = weight
    notes = ()
    if N_t < treated.sum():
        notes = (f"{int(treated.sum()) - N_t} participant(s) had nobody in the comparison group with the same "
                 "coarsened history and are not in the estimate",)
    return Matched("cem", covariates, data, int(treated.sum()), N_t, N_c, None, notes)


# --------------------------------------------------------------------------------------------------
# Balance
# --------------------------------------------------------------------------------------------------


def _wmean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    if w.sum() <= 0:
        return np.nan, np.nan
    m = float(np.average(x, weights=w))
    return m, float(np.average((x - m) ** 2, weights=w))


def _smd(m_t: float, m_c: float, sd: float) -> float:
    if not np.isfinite(m_t) or not np.isfinite(m_c):
        return np.nan
    if sd > 0:
        return (m_t - m_c) / sd
    return 0.0 if m_t == m_c else float(np.sign(m_t - m_c) * np.inf)


def balance_table(cohort: pd.DataFrame, covariates: Sequence[str] = DEFAULT_COVARIATES,
                  weights: pd.Series | np.ndarray | str | None = None) -> pd.DataFrame:
    """Covariate balance before and (with ``weights``) after matching.

    One row a numeric covariate (its mean) or a level of a categorical one (its proportion), with
    ``treated_before``, ``comparison_before``, ``smd_before``, ``variance_ratio_before`` and the same
    after matching (weighted; rows of weight 0 left out), and ``balanced`` = |SMD| < 0.1 after
    matching (before, when no weights are given). The SMD divides by the pooled standard deviation
    before matching, ``sqrt((s_t^2 + s_c^2) / 2)`` (Austin 2009; Stuart 2010); the variance ratio is
    treated over comparison (near 1 is good; Austin suggests 0.5 to 2 at most).
    """
    covariates = list(covariates)
    _require(cohort, "cohort", ["treated", *covariates])
    treated = cohort["treated"].astype(bool).to_numpy()
    if weights is None:
        w_after = None
    else:
        w_after = (cohort[weights] if isinstance(weights, str) else pd.Series(np.asarray(weights, dtype=float)))
        w_after = np.asarray(w_after, dtype=float)
        if len(w_after) != len(cohort):
            raise ValueError("weights must have one value a cohort row")
    ones = np.ones(len(cohort))
    records = []
    for c in covariates:
        s = cohort[c]
        if _is_categorical(s):
            levels = sorted(s.astype(str).unique())
            columns = [(lvl, (s.astype(str) == lvl).to_numpy(dtype=float)) for lvl in levels]
        else:
            columns = [("", s.to_numpy(dtype=float))]
        for level, x in columns:
            mt, vt = _wmean_var(x[treated], ones[treated])
            mc, vc = _wmean_var(x[~treated], ones[~treated])
            sd = float(np.sqrt((vt + vc) / 2))
            rec = {"covariate": c, "level": level, "treated_before": mt, "comparison_before": mc,
                   "smd_before": _smd(mt, mc, sd), "variance_ratio_before": vt / vc if vc > 0 else np.nan}
            if w_after is not None:
                amt, avt = _wmean_var(x[treated], w_after[treated])
                amc, avc = _wmean_var(x[~treated], w_after[~treated])
                rec.update({"treated_after": amt, "comparison_after": amc, "smd_after": _smd(amt, amc, sd),
                            "variance_ratio_after": avt / avc if avc > 0 else np.nan})
            else:
                rec.update({"treated_after": np.nan, "comparison_after": np.nan, "smd_after": np.nan,
                            "variance_ratio_after": np.nan})
            records.append(rec)
    table = pd.DataFrame.from_records(records)
    if table.empty:
        return table
    judged = table["smd_after"] if w_after is not None else table["smd_before"]
    table["balanced"] = judged.abs() < SMD_BALANCED
    return table


# --------------------------------------------------------------------------------------------------
# Effects
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """An effect on the participants: risks in follow-up, difference and ratio with intervals."""

    risk_treated: float
    risk_comparison: float
    risk_difference: float
    rd_low: float
    rd_high: float
    p_value: float
    risk_ratio: float | None
    rr_low: float | None
    rr_high: float | None
    n_treated: int
    n_comparison: int
    alpha: float
    se_method: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DiD:
    """Difference in differences: (after - before) in participants minus the same in the comparison."""

    estimate: float
    low: float
    high: float
    p_value: float
    change_treated: float
    change_comparison: float
    alpha: float
    se_method: str

    def as_dict(self) -> dict:
        return asdict(self)


def _as_matched(matched: Matched | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The analysed rows and the cluster column (match_id for PSM, person_id otherwise)."""
    if isinstance(matched, Matched):
        return matched.rows, ("match_id" if matched.method == "psm" else "person_id")
    data = matched if "weight" in matched.columns else matched.assign(weight=1.0)
    return data[data["weight"] > 0], "person_id"


def _wls(y: np.ndarray, X: np.ndarray, w: np.ndarray, groups: np.ndarray | None):
    model = sm.WLS(y, X, weights=w)
    if groups is None:
        return model.fit(cov_type="HC1"), "HC1 robust"
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups}), "cluster-robust"


def _groups(data: pd.DataFrame, cluster: str) -> tuple[np.ndarray | None, str]:
    if cluster not in data.columns:
        return None, ""
    codes, _ = pd.factorize(data[cluster])
    if len(np.unique(codes)) == len(codes):
        return None, ""  # every row its own cluster: HC1
    return codes, f" by {'matched set' if cluster == 'match_id' else 'person'}"


def estimate_effect(matched: Matched | pd.DataFrame, *, alpha: float = 0.05) -> Effect:
    """Risk of the outcome in follow-up among participants and (weighted) comparisons.

    The risk difference is the coefficient of ``treated`` in a weighted least-squares regression of
    ``post`` on ``treated`` (a linear probability model, which with one binary regressor reproduces the
    two weighted risks exactly), with standard errors clustered on the matched set (PSM) or the person
    (CEM, or HC1 when nobody appears twice). The risk ratio's interval is by the delta method on
    ``log(p_t) - log(p_c)`` from the same covariance. A plain cohort frame (no matching) gives the
    naive, unadjusted comparison.
    """
    data, cluster = _as_matched(matched)
    t = data["treated"].astype(bool).to_numpy()
    if not t.any() or t.all():
        raise ValueError("no matched participants or comparisons: nothing to compare")
    y = data["post"].to_numpy(dtype=float)
    w = data["weight"].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(y)), t.astype(float)])
    groups, label = _groups(data, cluster)
    fit, method = _wls(y, X, w, groups)
    b = np.asarray(fit.params, dtype=float)
    V = np.asarray(fit.cov_params(), dtype=float)
    z = float(stats.norm.ppf(1 - alpha / 2))
    p_c, rd = float(b[0]), float(b[1])
    p_t = p_c + rd
    se = float(np.sqrt(V[1, 1]))
    p_value = float(2 * stats.norm.sf(abs(rd) / se)) if se > 0 else (1.0 if rd == 0 else 0.0)
    rr = rr_lo = rr_hi = None
    if p_c > 1e-12 and p_t > 1e-12:  # a risk of 0 (up to rounding) has no ratio
        g = np.array([1 / p_t - 1 / p_c, 1 / p_t])
        se_log = float(np.sqrt(max(0.0, g @ V @ g)))
        rr = p_t / p_c
        rr_lo, rr_hi = float(rr * np.exp(-z * se_log)), float(rr * np.exp(z * se_log))
    return Effect(p_t, p_c, rd, rd - z * se, rd + z * se, p_value, rr, rr_lo, rr_hi,
                  int(t.sum()), int((~t).sum()), alpha, method + label)


def difference_in_differences(matched: Matched | pd.DataFrame, alpha: float = 0.05) -> DiD | None:
    """Change in risk from the window before to the window after, participants against comparisons.

    Each analysed row enters twice (``period`` 0 with outcome ``pre``, 1 with ``post``) in a weighted
    regression ``y ~ treated + period + treated:period``; the interaction is the estimate (Angrist and
    Pischke 2009). Standard errors are clustered on the person (on the matched set for PSM, which
    contains both of each person's rows). Returns None when ``pre`` is absent or empty.
    """
    data, cluster = _as_matched(matched)
    if "pre" not in data.columns or data["pre"].isna().all():
        return None
    data = data[data["pre"].notna()]
    n = len(data)
    t = np.tile(data["treated"].astype(bool).to_numpy(dtype=float), 2)
    period = np.repeat([0.0, 1.0], n)
    y = np.concatenate([data["pre"].to_numpy(dtype=float), data["post"].to_numpy(dtype=float)])
    w = np.tile(data["weight"].to_numpy(dtype=float), 2)
    X = np.column_stack([np.ones(2 * n), t, period, t * period])
    ids = data[cluster].to_numpy() if cluster in data.columns else np.arange(n)
    groups, _ = pd.factorize(np.tile(ids, 2))
    fit = sm.WLS(y, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": groups})
    b = np.asarray(fit.params, dtype=float)
    se = float(np.sqrt(np.asarray(fit.cov_params())[3, 3]))
    z = float(stats.norm.ppf(1 - alpha / 2))
    p_value = float(2 * stats.norm.sf(abs(b[3]) / se)) if se > 0 else (1.0 if b[3] == 0 else 0.0)
    label = "matched set" if cluster == "match_id" else "person"
    return DiD(float(b[3]), float(b[3] - z * se), float(b[3] + z * se), p_value, float(b[2] + b[3]),
               float(b[2]), alpha, f"cluster-robust by {label}")


def minimum_detectable_effect(n_treated: int, n_comparison: int, baseline_risk: float, alpha: float = 0.05,
                              power: float = 0.8) -> float:
    """Smallest risk difference a two-sided test at ``alpha`` finds with probability ``power`` (Bloom 1995):
    ``(z_{1-alpha/2} + z_{power}) * sqrt(p (1 - p) (1/n_t + 1/n_c))``."""
    if n_treated <= 0 or n_comparison <= 0:
        raise ValueError("both groups need at least one person")
    if not 0 <= baseline_risk <= 1:
        raise ValueError("baseline_risk is a proportion between 0 and 1")
    multiplier = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(multiplier * np.sqrt(baseline_risk * (1 - baseline_risk) * (1 / n_treated + 1 / n_comparison)))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of weighted comparison rows."""
    w = np.asarray(weights, dtype=float)
    w = w[w > 0]
    return float(w.sum() ** 2 / (w ** 2).sum()) if len(w) else 0.0


# --------------------------------------------------------------------------------------------------
# Maryland Scientific Methods Scale
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """Facts about an evaluation's design, for :func:`maryland_level`."""

    has_comparison: bool = False
    has_before_period: bool = False
    matched: bool = False
    balanced: bool = False
    randomised: bool = False


_MARYLAND_WORDS = {
    1: "a relationship between the programme and outcomes at one point in time, with no comparison group and "
       "no before period; it cannot say whether the programme caused anything",
    2: "a before-and-after comparison without a comparison group, or a comparison group without a before "
       "period; other explanations for the change cannot be ruled out",
    3: "a before-and-after comparison of participants with a comparison group (difference in differences); "
       "the groups may still differ in ways that affect the outcome",
    4: "a before-and-after comparison with a matched comparison group, balanced on every measured "
       "characteristic; unmeasured differences between the groups can still bias the result",
    5: "random assignment to the programme, the strongest design: the groups differ only by chance",
}


def maryland_level(design: Design | Mapping[str, bool]) -> tuple[int, str]:
    """Level on the Maryland Scientific Methods Scale (Sherman et al. 1997; Farrington et al. 2002).

    The rule used here:

    * 5: randomised, with a comparison (control) group;
    * 4: a comparison group and a before period, matched, and balanced on all measured covariates;
    * 3: a comparison group and a before period (a matched group that failed balance stays here);
    * 2: either a comparison group or a before period, not both (a matched comparison without a
      before period is level 2: Sherman's level 3 requires before and after measures);
    * 1: neither (a correlation at one point in time).
    """
    d = Design(**dict(design)) if isinstance(design, Mapping) else design
    if d.randomised and d.has_comparison:
        level = 5
    elif d.has_comparison and d.has_before_period:
        level = 4 if (d.matched and d.balanced) else 3
    elif d.has_comparison or d.has_before_period:
        level = 2
    else:
        level = 1
    return level, f"Level {level} of 5 on the Maryland Scientific Methods Scale: {_MARYLAND_WORDS[level]}."


# --------------------------------------------------------------------------------------------------
# The whole evaluation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """Everything an evaluation report needs."""

    method: str
    counts: dict
    balance: pd.DataFrame = field(repr=False)
    effect: Effect
    did: DiD | None
    mde: float
    maryland: tuple[int, str]
    matched: Matched = field(repr=False)
    naive: Effect | None = None
    follow_up_months: int = 12
    alpha: float = 0.05
    power: float = 0.8

    @property
    def balanced(self) -> bool:
        return bool(self.balance["balanced"].all()) if not self.balance.empty else False

    def summary(self, programme: str = "the programme", outcome: str = "suspected of serious violence") -> str:
        """One paragraph for a board, with the caveats."""
        e, c = self.effect, self.counts
        conf = f"{100 * (1 - self.alpha):.0f}%"
        period = "year" if self.follow_up_months == 12 else f"{self.follow_up_months} months"
        how = ("by propensity score (young people with a similar recorded history)" if self.method == "psm"
               else "on the same recorded history (coarsened exact matching)")
        parts = []
        intro = (f"Of {c['participants']} young people who started {programme}, {c['participants_analysed']} "
                 f"had a full {period} of follow-up in police records")
        if c.get("participants_without_follow_up"):
            intro += f" ({c['participants_without_follow_up']} started too recently to follow up)"
        parts.append(
            f"{intro}; {c['participants_matched']} of them were matched {how} to "
            f"{c['comparison_people_matched']} young people who were not on it.")
        pp = 100 * e.risk_difference
        lo, hi = 100 * e.rd_low, 100 * e.rd_high
        parts.append(
            f"In the {period} after starting, {100 * e.risk_treated:.0f}% of matched participants were {outcome}, "
            f"against {100 * e.risk_comparison:.0f}% of the comparison group: a difference of {pp:+.1f} "
            f"percentage points ({conf} interval {lo:+.1f} to {hi:+.1f}).")
        mde = 100 * self.mde
        if e.p_value < self.alpha:
            word = "lower" if e.risk_difference < 0 else "higher"
            parts.append(f"Participants' risk was {word} than the comparison group's by more than chance would "
                         f"explain (p {_p_words(e.p_value)}).")
        else:
            parts.append(
                f"The difference could be chance (p {_p_words(e.p_value)}). That is not evidence that "
                f"{programme} has no effect: with this many people the study could only reliably detect "
                f"({100 * self.power:.0f}% power) a difference of about {mde:.0f} percentage points or more, "
                "so a smaller real effect cannot be ruled out.")
        if self.did is not None:
            d = self.did
            parts.append(
                f"Comparing each group's change from the period before starting to the {period} after gives a "
                f"difference in differences of {100 * d.estimate:+.1f} points ({conf} interval "
                f"{100 * d.low:+.1f} to {100 * d.high:+.1f}).")
        if self.balanced:
            parts.append("After matching, the two groups were similar on every recorded characteristic used.")
        else:
            bad = sorted(set(self.balance.loc[~self.balance["balanced"], "covariate"]))
            parts.append(f"After matching the groups still differed on {', '.join(bad)}, so the comparison is "
                         "weaker than it looks.")
        parts.append(self.maryland[1])
        parts.append(
            "Matching only makes the groups alike on what police records hold. Young people who join "
            f"{programme} may differ in ways not recorded (motivation, family support, the referrer's "
            "judgement), and these could explain some or all of the difference. Police records show being "
            "suspected, not all offending, and contact with a programme can itself change how likely someone "
            "is to come to police attention.")
        return " ".join(parts)


def _p_words(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


def evaluate(cohort: pd.DataFrame, method: str = "psm", *, covariates: Sequence[str] | None = None,
             bins: Mapping[str, list | int | None] | None = None, ratio: int = 1, caliper: float = CALIPER_SD,
             exact: Sequence[str] = ("sex",), alpha: float = 0.05, power: float = 0.8, seed: int = 0,
             randomised: bool = False) -> EvaluationResult:
    """Match, check balance, estimate the effect and rate the design.

    ``method`` "psm" matches on ``covariates`` (default: those of :data:`DEFAULT_COVARIATES` in the
    cohort) with :func:`propensity_match`; "cem" coarsens with ``bins`` (default
    :data:`DEFAULT_CEM_BINS`) in :func:`coarsened_exact_match`. Balance is checked on the covariates
    and, when present, on ``pre``. The minimum detectable effect uses the comparison group's risk
    and the matched numbers (the Kish effective size of the weighted comparison group for CEM).
    """
    if method not in ("psm", "cem"):
        raise ValueError(f"method must be 'psm' or 'cem', not {method!r}")
    if covariates is None:
        covariates = [c for c in DEFAULT_COVARIATES if c in cohort.columns]
    if method == "psm":
        matched = propensity_match(cohort, covariates, ratio=ratio, caliper=caliper,
                                   exact=[c for c in exact if c in cohort.columns], seed=seed)
    else:
        if bins is None:
            bins = {c: DEFAULT_CEM_BINS.get(c) for c in covariates}
        matched = coarsened_exact_match(cohort, bins)
    if matched.n_treated_matched == 0:
        raise ValueError("no participant could be matched to a comparison; widen the caliper or coarsen more")
    has_pre = "pre" in cohort.columns and cohort["pre"].notna().any()
    check = list(matched.covariates) + (["pre"] if has_pre and "pre" not in matched.covariates else [])
    balance = balance_table(matched.data, check, weights=matched.data["weight"])
    effect = estimate_effect(matched, alpha=alpha)
    did = difference_in_differences(matched, alpha=alpha) if has_pre else None
    rows = matched.rows
    comp = rows[~rows["treated"].astype(bool)]
    n_c_eff = (effective_sample_size(comp["weight"].to_numpy()) if method == "cem"
               else float(comp["person_id"].nunique()))
    mde = minimum_detectable_effect(matched.n_treated_matched, max(1, round(n_c_eff)), effect.risk_comparison,
                                    alpha=alpha, power=power)
    balanced = bool(balance["balanced"].all())
    level = maryland_level(Design(has_comparison=True, has_before_period=has_pre, matched=True,
                                  balanced=balanced, randomised=randomised))
    attrs = cohort.attrs or {}
    counts = {
        "participants": int(attrs.get("participants", cohort["treated"].astype(bool).sum())),
        "participants_without_follow_up": int(attrs.get("participants_without_follow_up", 0)),
        "participants_analysed": int(cohort["treated"].astype(bool).sum()),
        "participants_matched": matched.n_treated_matched,
        "participants_unmatched": matched.n_treated - matched.n_treated_matched,
        "comparison_rows": int((~cohort["treated"].astype(bool)).sum()),
        "comparison_people": int(cohort.loc[~cohort["treated"].astype(bool), "person_id"].nunique()),
        "comparison_rows_matched": matched.n_comparison_matched,
        "comparison_people_matched": int(comp["person_id"].nunique()),
        "comparison_effective_n": n_c_eff,
    }
    naive = estimate_effect(cohort.assign(weight=1.0), alpha=alpha)
    return EvaluationResult(method, counts, balance, effect, did, mde, level, matched, naive,
                            int(attrs.get("follow_up_months", 12)), alpha, power)
