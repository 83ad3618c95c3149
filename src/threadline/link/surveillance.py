"""People and premises at more deaths than expected: peer-group surveillance of the register.

After Harold Shipman's conviction, Baker's clinical audit for the Chief Medical Officer (Baker, R.,
*Harold Shipman's Clinical Practice 1974-1998: a review commissioned by the Chief Medical Officer*,
Department of Health, 2001) compared the deaths of his patients with those of comparable general
practitioners' patients, found the excess (at home, in the afternoon, among elderly women) and
recommended a system to monitor the mortality of general practitioners' patients; Baker, Jones
and Goldblatt ("Monitoring mortality rates in general practice after Shipman", *BMJ* 326:274-276,
2003) set out how, and the Shipman Inquiry's Fifth Report (*Safeguarding Patients: Lessons from
the Past - Proposals for the Future*, 2004) called for such monitoring to be developed.
Spiegelhalter, Grigg, Kinsman and Treasure (2003), "Risk-adjusted sequential probability ratio
tests: applications to Bristol, Shipman and adult cardiac surgery", *Int J Qual Health Care*
15(1):7-13, showed that a CUSUM of observed against expected deaths would have signalled years
before he was caught. This module applies the same idea to a force's death register: every
non-victim person and every named premises, against what their peers predict.

**Who is compared with whom.** Nothing in the register says what a person's job or shift is
(``case_persons.role`` says only ``professional``), so each person's peer group is inferred from
their own cases:

- *setting*: a professional with at least half of their cases at named premises is
  premises-based; present at one premises they are *resident* staff of it, at two or more they are
  *visiting* (a GP covering several care homes, a visiting clinician); otherwise they are a
  *community* professional, set by their cases' modal location type and local authority (from
  the LSOA, via :func:`threadline.report.areas.lsoa_table`);
- *time pattern* (``band``): ``night`` when at least two thirds of their cases were reported
  20:00-07:59, ``day`` when at least two thirds were 08:00-19:59, otherwise ``mixed`` (the windows
  straddle the usual 07:00-08:00 and 19:00-20:00 shift changes, so either shift system lands in
  one band);
- *role*: the person's modal ``case_persons`` role; professionals are compared only with
  professionals, private persons (reporting persons, witnesses, associates, suspects) only with
  private persons of the same role.

A resident is compared with the other professionals resident at the same premises in the same
band; a visiting professional with the visiting professionals of the same premises type and band;
a community professional with those of the same location type, authority and band.

**Expected count.** Each person has an *exposure*: the register's cases at their premises in their
band's hours (premises-based), or 1 (community). The expected count is the leave-one-out peer
rate times their exposure, ``E_i * sum_{j != i} O_j / sum_{j != i} E_j``. For resident staff all
peers share one exposure, so this is the mean of the peers' counts, as the synthetic force's truth
defines it; for visiting professionals it scales with the volume of the premises they cover, so a
GP covering three busy homes is expected to be at many deaths. When a group has fewer than
``MIN_PEERS`` other members, the *stratum* (same premises type, coverage and band for
premises-based; same band for community professionals; all private persons) stands in.

**Over-dispersion.** Counts of peers vary more than Poisson (homes differ, staff work different
hours, community GPs and paramedics share a group). The dispersion ``phi`` of each stratum is a
quasi-Poisson estimate (McCullagh, P. and Nelder, J. A., *Generalized Linear Models*, 2nd ed.,
1989, section 4.5): the mean square of the Pearson z-scores against each group's median rate,
winsorised at the 10th and 90th percentiles so that an outlier cannot hide itself (Spiegelhalter,
D. J., "Handling over-dispersion of performance indicators", *Qual Saf Health Care* 14:347-351,
2005), divided by the same statistic's expectation for Poisson counts (found by simulation, so
that winsorising, small counts and estimated group means are allowed for), floored at 1. Strata of
fewer than ``MIN_DISPERSION`` people use the estimate pooled over all professionals. The count
test is the upper tail of the negative binomial with mean ``mu`` and variance ``phi * mu`` (the
NB1 or constant-dispersion form: Cameron, A. C. and Trivedi, P. K., *Regression Analysis of Count
Data*, 2nd ed., 2013, section 3.3), with ``phi`` inflated by ``1 + E_i / sum_{j != i} E_j`` for
the uncertainty of the peer rate itself (the predictive variance).

**Time of day.** The share of the person's cases reported 00:00-05:59 against their peers' share
(exact binomial upper tail; the group's share shrunk towards the stratum's with the weight of
``SHARE_PRIOR`` cases, as a beta prior, because a group of five has few cases). The count and
time-of-day p-values are combined by Fisher's method (under the Poisson null the split of a count
by hour is independent of the count). Private persons have the count test only. For a flagged
person whose night share departs (``p_night < alpha``) ``excess_case_ids`` are the night cases;
otherwise all their cases.

**Private persons.** A member of the public is rarely connected to more than one death. Someone
connected to several deaths *at one place* (a hostel support worker, a warden, a landlord, a
relative at home) is explained by the place, which the premises analysis watches; so the count
tested for a private person is the number of distinct *places* (named premises, else LSOA and
location type) of their deaths, against ``1 +`` the peers' mean number of further places
(a Jeffreys pseudo-count of 1/2 keeps the mean above zero when no peer has two).

**Multiplicity and flags.** Benjamini-Hochberg q-values (Benjamini, Y. and Hochberg, Y., 1995,
"Controlling the false discovery rate", *J R Stat Soc B* 57(1):289-300) within one family of
tests per kind of setting (``family``: members of the public; community professionals; resident
staff of hospitals, of care homes, of prisons; visiting professionals of care homes ...), a
stratified false discovery rate (Sun, L., Craiu, R. V., Paterson, A. D. and Bull, S. B., 2006,
"Stratified false discovery control for large-scale hypothesis testing", *Genet Epidemiol*
30(6):519-530): ten thousand members of the public who each reported one death, or several hundred
paramedics, should not dilute the test of a hospital's forty night nurses. A second route follows
the premises: the professionals present at a flagged premises form one more family
(``q_premises``), as in hierarchical testing (Yekutieli, D., 2008, "Hierarchical false discovery
rate-controlling methodology", *J Am Stat Assoc* 103(481):309-316), the way a unit's rise in
deaths leads to the question of who was on shift. A person is flagged when either q-value is
below ``alpha`` and observed > expected; premises have their own BH family.

**Evidence.** For ranking candidate series: ``max(observed - expected, 0) * (1 - q)`` for a
flagged entity (deaths above expectation, discounted by the q-value), 0 otherwise. A flagged
premises whose pattern cases are mostly a flagged person's excess cases keeps its flag but its
evidence counts only the cases no flagged person explains (:func:`explain_premises`), so the
sharper signal ranks first.

**CUSUM.** For a flagged entity, a Poisson log-likelihood-ratio CUSUM of monthly observed against
expected (the expected total spread over months as the peers' cases are), testing a doubling of
the rate (``CUSUM_RATIO``), gives the month it first crosses ``CUSUM_H = log(99)``, Wald's upper
boundary for false-alarm and missed-alarm rates of 1% (Wald, A., *Sequential Analysis*, 1947;
Grigg, O. A., Farewell, V. T. and Spiegelhalter, D. J., 2003, "Use of risk-adjusted CUSUM and
RSPRT charts for monitoring in medical contexts", *Stat Methods Med Res* 12(2):147-170).

**Premises.** Each named premises is compared with the other premises of its type (modal
location type): its share of deaths at night, its share of deaths in the categories of concern
(``CONCERN``: homicide, attempted homicide, suspicious and drug-related deaths) and its share of
deaths in the last ``RECENT_MONTHS`` months (a rise against its own earlier rate, relative to the
same change at its peers): three exact binomial tests, Fisher-combined. The register has no
denominator for a premises (beds, admissions), so the raw count of deaths is not compared across
premises.

See ``docs/surveillance.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

#: Cases reported at these hours (00:00-05:59) are "night" for the time-of-day test.
NIGHT_FROM, NIGHT_TO = 0, 6
#: The night band of a person's time pattern is 20:00-07:59; the day band 08:00-19:59.
BAND_NIGHT_FROM, BAND_NIGHT_TO = 20, 8
#: Share of a person's cases in one band for the person to belong to it (else ``mixed``).
BAND_SHARE = 2 / 3
#: A peer group needs at least this many members besides the person; else its stratum stands in.
MIN_PEERS = 2
#: Weight, in cases, of the stratum's night share in a group's (empirical-Bayes shrinkage).
SHARE_PRIOR = 20.0
#: Strata with fewer members than this use the dispersion pooled over all strata of their kind.
MIN_DISPERSION = 8
#: Winsorising quantile for the dispersion estimate (Spiegelhalter 2005).
WINSOR = 0.10
#: The CUSUM tests this rate ratio against 1, and signals at this log-likelihood ratio.
CUSUM_RATIO = 2.0
CUSUM_H = math.log(99.0)
#: Categories whose share at a premises is tested.
CONCERN = ("homicide", "attempted_homicide", "suspicious_death", "drug_related_death")
#: The recent window of the premises level test.
RECENT_MONTHS = 12
#: Which role wins when a person holds several on one case.
ROLE_PRIORITY = ("professional", "suspect", "associate", "reporting_person", "witness")

_PATTERN_WORDS = {
    "night": "deaths between 00:00 and 06:00", "concern": "homicides, attempts, suspicious and drug deaths",
    "recent": f"deaths in the last {RECENT_MONTHS} months",
}


def _pattern_words(pattern: str) -> str:
    parts = [p for p in str(pattern).split("+") if p]
    words = [_PATTERN_WORDS.get(p, p) for p in parts]
    return " that are also ".join(words[:1] + [w.replace("deaths ", "", 1) for w in words[1:]]) or "its deaths"


def _plural(role: str) -> str:
    word = str(role).replace("_", " ")
    return word + ("es" if word.endswith("ss") else "s")


_BAND_WORD = {"night": "nights", "day": "days", "mixed": "mixed hours"}
_PERSON_COLUMNS = [
    "entity_id", "entity_kind", "role", "setting", "group", "basis", "band", "coverage", "n_cases",
    "observed", "expected", "ratio", "phi", "n_peers", "p_count", "night_cases", "night_share",
    "peer_night_share", "p_night", "p_value", "family", "q_value", "q_premises", "flagged_premises", "flagged",
    "evidence", "cusum_signal_date",
    "reason", "case_ids", "excess_case_ids", "first_at", "last_at",
]
_PREMISES_COLUMNS = [
    "entity_id", "entity_kind", "role", "setting", "group", "basis", "n_cases", "observed", "expected",
    "ratio", "n_peers", "night_cases", "night_share", "peer_night_share", "p_night", "concern_cases",
    "concern_share", "peer_concern_share", "p_concern", "recent_cases", "recent_share", "peer_recent_share",
    "p_recent", "pattern", "premises_key", "p_value", "q_value", "flagged", "evidence", "cusum_signal_date", "reason",
    "case_ids", "excess_case_ids", "first_at", "last_at",
]


@dataclass
class SurveillanceResult:
    """Persons and premises with their observed and expected deaths, tests and flags."""

    persons: pd.DataFrame
    premises: pd.DataFrame
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    def flagged(self) -> pd.DataFrame:
        """Flagged persons and premises together, strongest evidence first."""
        frames = [f[f["flagged"]] for f in (self.persons, self.premises) if len(f)]
        if not frames:
            return self.persons.iloc[0:0]
        return pd.concat(frames, ignore_index=True).sort_values("evidence", ascending=False, ignore_index=True)


# -------------------------------------------------------------------------------------------------
# Pure statistical functions
# -------------------------------------------------------------------------------------------------


def upper_tail_p(observed, expected, phi=1.0) -> np.ndarray:
    """``P(X >= observed)`` for ``X`` Poisson(``expected``), or negative binomial with mean
    ``expected`` and variance ``phi * expected`` where ``phi > 1`` (NB1: size ``mu / (phi - 1)``,
    success probability ``1 / phi``; Cameron and Trivedi 2013, section 3.3). NaN where
    ``expected`` is NaN; 1 where ``observed <= 0``."""
    o = np.asarray(observed, dtype=float)
    mu = np.asarray(expected, dtype=float)
    ph = np.broadcast_to(np.asarray(phi, dtype=float), np.broadcast(o, mu).shape)
    o, mu = np.broadcast_arrays(o, mu)
    out = np.full(o.shape, np.nan)
    ok = np.isfinite(mu) & (mu >= 0)
    pois = ok & (ph <= 1.0 + 1e-9)
    out[pois] = stats.poisson.sf(o[pois] - 1, np.maximum(mu[pois], 1e-300))
    nb = ok & ~pois
    if nb.any():
        size = np.maximum(mu[nb], 1e-300) / (ph[nb] - 1.0)
        out[nb] = stats.nbinom.sf(o[nb] - 1, size, 1.0 / ph[nb])
    out[ok & (o <= 0)] = 1.0
    return np.clip(out, 0.0, 1.0)


def binomial_upper_p(k, n, p0) -> np.ndarray:
    """Exact binomial upper tail ``P(K >= k)`` for ``K ~ Binomial(n, p0)`` (as
    ``scipy.stats.binomtest(k, n, p0, alternative="greater")``), vectorised. NaN where ``p0`` is
    NaN; 1 where ``n == 0`` or ``k <= 0``."""
    k, n, p0 = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float), np.asarray(p0, float))
    out = np.full(k.shape, np.nan)
    ok = np.isfinite(p0) & (n >= 0)
    out[ok] = stats.binom.sf(k[ok] - 1, n[ok], np.clip(p0[ok], 0.0, 1.0))
    out[ok & ((k <= 0) | (n <= 0))] = 1.0
    return np.clip(out, 0.0, 1.0)


def fisher_combine(*pvalues) -> np.ndarray:
    """Fisher's method, row by row: ``-2 sum log p`` against chi-squared on ``2k`` degrees of freedom
    (as ``scipy.stats.combine_pvalues(method="fisher")``). NaN p-values are left out of their row;
    a row with none is NaN."""
    p = np.column_stack([np.asarray(x, dtype=float) for x in pvalues])
    have = np.isfinite(p)
    logs = np.where(have, np.log(np.clip(p, 1e-300, 1.0)), 0.0)
    k = have.sum(axis=1)
    out = np.full(len(p), np.nan)
    some = k > 0
    out[some] = stats.chi2.sf(-2.0 * logs[some].sum(axis=1), 2 * k[some])
    return out


def bh_qvalues(p) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values (q-values) via
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``; NaN entries stay NaN and are not
    counted as tests."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return q


def _winsorised_mean_square(observed: np.ndarray, fitted: np.ndarray, winsor: float) -> np.ndarray:
    """Mean of the squared Pearson z-scores winsorised at their ``winsor`` quantiles, row by row."""
    z = (observed - fitted) / np.sqrt(fitted)
    lo = np.quantile(z, winsor, axis=-1, keepdims=True)
    hi = np.quantile(z, 1.0 - winsor, axis=-1, keepdims=True)
    z = np.clip(z, lo, hi)
    return (z * z).mean(axis=-1)


def _group_median_means(counts: np.ndarray, members: list[np.ndarray], exposure: np.ndarray) -> np.ndarray:
    """``exposure`` times the median rate of each member's group, for each row of ``counts``."""
    rates = counts / exposure
    out = np.empty_like(rates)
    for idx in members:
        out[..., idx] = np.median(rates[..., idx], axis=-1, keepdims=True)
    return out * exposure


def dispersion(observed, fitted=None, *, groups=None, exposure=None, winsor: float = WINSOR, n_sim: int = 200,
               seed: int = 0) -> float:
    """Quasi-Poisson dispersion ``phi``: the mean square of the Pearson z-scores ``(O - mu) / sqrt(mu)``,
    winsorised at the ``winsor`` and ``1 - winsor`` quantiles so that an outlier cannot hide itself
    (Spiegelhalter 2005), divided by its expectation for Poisson counts with the same means.

    The means are ``fitted``; or, with ``groups``, each group's median rate times ``exposure``
    (default 1), so that one outlier cannot move its group-mates' means either. The expectation
    is found by simulation (``n_sim`` Poisson draws of the means, a parametric bootstrap with a fixed
    ``seed``, the means re-estimated in each draw the same way), which allows at once for the
    winsorising (for normal z it takes the mean square to 0.68), for small discrete counts and for
    means estimated from the groups themselves. Poisson counts give about 1; the result is floored
    at 1. Returns 1 when there are fewer than three usable values."""
    o = np.asarray(observed, dtype=float)
    if groups is not None:
        e = np.ones(len(o)) if exposure is None else np.asarray(exposure, dtype=float)
        g = pd.factorize(np.asarray(groups, dtype=object))[0]
        order = np.argsort(g, kind="stable")
        members = np.split(order, np.flatnonzero(np.diff(g[order])) + 1)
        mu = _group_median_means(o, members, e)
    else:
        mu = np.asarray(fitted, dtype=float)
    ok = np.isfinite(mu) & (mu > 0)
    if ok.sum() < 3:
        return 1.0
    stat = float(_winsorised_mean_square(o[ok], mu[ok], winsor))
    rng = np.random.default_rng(seed)
    sims = rng.poisson(np.where(ok, mu, 0.0), size=(n_sim, len(mu))).astype(float)
    if groups is not None:
        sim_mu = _group_median_means(sims, members, e)
        # a draw whose group median is 0 has no z there: count it as on its mean
        on_mean = ~(sim_mu > 0)
        sims = np.where(on_mean, 1.0, sims)
        sim_mu = np.where(on_mean, 1.0, sim_mu)
    else:
        sim_mu = np.broadcast_to(mu, sims.shape)
    expected = float(_winsorised_mean_square(sims[:, ok], sim_mu[:, ok], winsor).mean())
    if expected <= 0:
        return 1.0
    return float(max(1.0, stat / expected))


def poisson_cusum(observed, expected, *, ratio: float = CUSUM_RATIO, h: float = CUSUM_H) -> tuple[np.ndarray, int]:
    """Poisson log-likelihood-ratio CUSUM of a rate ``ratio`` times the expected against the
    expected (Spiegelhalter et al. 2003): ``S_t = max(0, S_{t-1} + O_t log R - (R - 1) E_t)``.

    Returns the CUSUM path and the index of the first period where ``S_t >= h`` (-1 if never)."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    w = o * math.log(ratio) - (ratio - 1.0) * e
    path = np.empty(len(w))
    s = 0.0
    first = -1
    for t, x in enumerate(w):
        s = max(0.0, s + x)
        path[t] = s
        if first < 0 and s >= h:
            first = t
    return path, first


def evidence_score(observed, expected, q_value, flagged) -> np.ndarray:
    """The deaths above expectation of a flagged entity, discounted by its q-value (the share of
    signals this strong expected to be false): ``max(observed - expected, 0) * (1 - q_value)``; 0 for
    an entity not flagged (it is not a signal). On the scale of the series module's evidence, which
    is about the number of cases beyond the first that a series' links support."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    q = np.asarray(q_value, dtype=float)
    out = np.maximum(o - e, 0.0) * (1.0 - q) * np.asarray(flagged, dtype=bool)
    return np.where(np.isfinite(out), out, 0.0)


def peer_expectation(frame: pd.DataFrame, *, min_peers: int = MIN_PEERS,
                     share_prior: float = SHARE_PRIOR) -> pd.DataFrame:
    """Leave-one-out peer expectations.

    ``frame`` has one row per entity with ``observed``, ``exposure``, ``group``, ``stratum`` and
    (optionally) ``night`` and ``n`` (night cases and all cases). Returns, aligned with ``frame``:
    ``expected`` (exposure times the peers' rate), ``basis`` (``group``, ``stratum`` or None when
    even the stratum has fewer than ``min_peers`` others), ``n_peers``, ``inflation`` (``1 + E_i /
    sum of the peers' E``), ``peer_night_share`` (the group's pooled share of night cases, shrunk
    towards the stratum's with the weight of ``share_prior`` cases: a beta prior centred on the
    stratum's share, itself with a half-case pseudo-count either side).
    """
    f = frame.copy()
    if "night" not in f:
        f["night"] = 0
    if "n" not in f:
        f["n"] = f["observed"]
    out = pd.DataFrame(index=f.index)
    sums = {}
    for level in ("group", "stratum"):
        g = f.groupby(level, sort=False, dropna=False)
        sums[level] = {
            "m": g["observed"].transform("size") - 1,
            "o": g["observed"].transform("sum") - f["observed"],
            "e": g["exposure"].transform("sum") - f["exposure"],
            "k": g["night"].transform("sum") - f["night"],
            "n": g["n"].transform("sum") - f["n"],
        }
    use_group = sums["group"]["m"] >= min_peers
    use_stratum = ~use_group & (sums["stratum"]["m"] >= min_peers)
    pick = {key: sums["group"][key].where(use_group, sums["stratum"][key]) for key in sums["group"]}
    tested = use_group | use_stratum
    rate = pick["o"] / pick["e"].where(pick["e"] > 0)
    out["expected"] = (f["exposure"] * rate).where(tested)
    out["basis"] = pd.Series(np.where(use_group, "group", np.where(use_stratum, "stratum", None)), index=f.index,
                             dtype=object)
    out["n_peers"] = pick["m"].where(tested, 0).astype(int)
    out["inflation"] = (1.0 + f["exposure"] / pick["e"].where(pick["e"] > 0)).where(tested)
    stratum_share = (sums["stratum"]["k"] + 0.5) / (sums["stratum"]["n"] + 1.0)
    out["peer_night_share"] = ((sums["group"]["k"] + share_prior * stratum_share)
                               / (sums["group"]["n"] + share_prior)).where(tested)
    return out


# -------------------------------------------------------------------------------------------------
# Loading
# -------------------------------------------------------------------------------------------------


def _premises_key(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    return s.where(s.notna() & (s != ""), None).astype(object)


@lru_cache(maxsize=1)
def _areas() -> tuple[dict[str, str], dict[str, str]]:
    """LSOA to local authority code, and authority code to name (empty if the table is missing)."""
    try:
        from threadline.report.areas import lsoa_table

        table = lsoa_table()
    except Exception:  # the shipped table is missing: leave the authority unknown
        return {}, {}
    return (dict(zip(table["lsoa_code"], table["la_code"], strict=True)),
            dict(zip(table["la_code"], table["la_name"], strict=True)))


def _la_of(lsoa: pd.Series) -> pd.Series:
    la = lsoa.map(_areas()[0])
    return la.astype(object).where(la.notna(), None)


_CASE_PREMISES_SQL = """
    SELECT case_id, min(entity_value) AS premises
    FROM case_entities WHERE entity_type = 'premises' AND entity_value IS NOT NULL AND trim(entity_value) <> ''
    GROUP BY case_id
"""


def load_presence(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (non-victim person, case): ``person_id, case_id, role, reported_at, hour, month,
    category, location_type, lsoa_code, la, premises, premises_key``.

    ``role`` is the person's role on the case (by ``ROLE_PRIORITY`` when they hold several);
    ``premises`` the case's named premises as recorded (None if none), ``premises_key`` its
    comparable form (lower case, punctuation as spaces); ``la`` the local authority of the LSOA."""
    order = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLE_PRIORITY))
    frame = con.execute(
        f"""
        WITH prem AS ({_CASE_PREMISES_SQL}),
        cp AS (
            SELECT case_id, person_id,
                   arg_min(role, CASE role {order} ELSE 99 END) AS role
            FROM case_persons WHERE role <> 'victim' GROUP BY case_id, person_id
        )
        SELECT cp.person_id, cp.case_id, cp.role, c.reported_at, c.category, c.location_type, c.lsoa_code,
               prem.premises
        FROM cp JOIN cases c ON c.case_id = cp.case_id LEFT JOIN prem ON prem.case_id = cp.case_id
        WHERE c.reported_at IS NOT NULL
        ORDER BY cp.person_id, c.reported_at, cp.case_id
        """
    ).df()
    return _finish(frame)


def load_premises(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (named premises, case): ``premises, premises_key, case_id, reported_at, hour,
    month, category, location_type, lsoa_code, la``."""
    frame = con.execute(
        """
        SELECT e.entity_value AS premises, c.case_id, c.reported_at, c.category, c.location_type, c.lsoa_code
        FROM case_entities e JOIN cases c ON c.case_id = e.case_id
        WHERE e.entity_type = 'premises' AND e.entity_value IS NOT NULL AND trim(e.entity_value) <> ''
          AND c.reported_at IS NOT NULL
        ORDER BY e.entity_value, c.reported_at, c.case_id
        """
    ).df()
    frame = _finish(frame)
    return frame.drop_duplicates(["premises_key", "case_id"]).reset_index(drop=True)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame["reported_at"] = pd.to_datetime(frame["reported_at"])
    frame["hour"] = frame["reported_at"].dt.hour.astype(int)
    frame["month"] = frame["reported_at"].dt.to_period("M")
    frame["premises"] = frame["premises"].astype(object).where(frame["premises"].notna(), None)
    frame["premises_key"] = _premises_key(frame["premises"])
    frame["la"] = _la_of(frame["lsoa_code"].astype(object))
    for col in ("category", "location_type", "lsoa_code", "role", "person_id", "case_id"):
        if col in frame:
            frame[col] = frame[col].astype(object)
    return frame


# -------------------------------------------------------------------------------------------------
# Persons
# -------------------------------------------------------------------------------------------------


def _modal(frame: pd.DataFrame, by: str, col: str) -> pd.Series:
    """The most frequent non-null ``col`` per ``by`` (ties: first in sorted order)."""
    sub = frame[[by, col]].dropna()
    if sub.empty:
        return pd.Series(dtype=object)
    counts = sub.groupby([by, col], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values([by, "n", col], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates(by).set_index(by)[col]


def _place(p: pd.DataFrame) -> pd.Series:
    """Where each case happened, for counting a private person's places: the named premises, else
    the LSOA and location type, else the case itself."""
    place = p["premises_key"].where(
        p["premises_key"].notna(),
        p["lsoa_code"].astype(object).fillna("?") + "|" + p["location_type"].astype(object).fillna("?"),
    )
    return place.where(~place.eq("?|?"), p["case_id"])


def person_profiles(presence: pd.DataFrame, premises_cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per person: inferred role, band, coverage, setting, group, stratum and exposure.

    ``premises_cases`` (from :func:`load_premises`; default: the premises seen in ``presence``)
    gives every case at each premises, for the exposure of premises-based professionals."""
    p = presence
    by = p.groupby("person_id", sort=True)
    prof = pd.DataFrame({"n_cases": by.size()})
    role_rank = p["role"].map({r: i for i, r in enumerate(ROLE_PRIORITY)}).fillna(99)
    counts = p.assign(rank=role_rank).groupby(["person_id", "role", "rank"]).size().rename("k").reset_index()
    counts = counts.sort_values(["person_id", "k", "rank"], ascending=[True, False, True], kind="stable")
    prof["role"] = counts.drop_duplicates("person_id").set_index("person_id")["role"]
    any_professional = p["role"].eq("professional").groupby(p["person_id"]).any()
    prof.loc[any_professional[any_professional].index, "role"] = "professional"
    band_night = (p["hour"] >= BAND_NIGHT_FROM) | (p["hour"] < BAND_NIGHT_TO)
    share = band_night.groupby(p["person_id"]).mean()
    prof["band"] = np.where(share >= BAND_SHARE, "night", np.where(share <= 1 - BAND_SHARE, "day", "mixed"))
    prof["night"] = ((p["hour"] >= NIGHT_FROM) & (p["hour"] < NIGHT_TO)).groupby(p["person_id"]).sum()
    prof["with_premises"] = p["premises_key"].notna().groupby(p["person_id"]).sum()
    prof["n_premises"] = p.groupby("person_id")["premises_key"].nunique()
    prof["premises_key"] = _modal(p, "person_id", "premises_key")
    prof["location_type"] = _modal(p, "person_id", "location_type")
    prof["la"] = _modal(p, "person_id", "la")
    display = p.dropna(subset=["premises_key"]).drop_duplicates("premises_key").set_index("premises_key")
    prem_type = _modal(p.dropna(subset=["premises_key"]), "premises_key", "location_type")
    if premises_cases is not None and len(premises_cases):
        prem_type = _modal(premises_cases, "premises_key", "location_type").combine_first(prem_type)
        display = premises_cases.drop_duplicates("premises_key").set_index("premises_key").combine_first(display)
    prof["premises"] = prof["premises_key"].map(display["premises"]) if len(display) else None
    prof["premises_type"] = prof["premises_key"].map(prem_type) if len(prem_type) else None
    # places, for private persons
    prof["places"] = _place(p).groupby(p["person_id"]).nunique()

    is_prof = prof["role"].eq("professional")
    based = is_prof & (prof["with_premises"] >= 0.5 * prof["n_cases"]) & prof["premises_key"].notna()
    coverage = np.where(~is_prof, "private", np.where(~based, "community",
                                                       np.where(prof["n_premises"] >= 2, "visiting", "resident")))
    prof["coverage"] = coverage
    ptype = prof["premises_type"].fillna("premises").astype(str)
    band = prof["band"].astype(str)
    loc = prof["location_type"].fillna("unknown").astype(str)
    la = prof["la"].fillna("unknown").astype(str)
    group = pd.Series("", index=prof.index, dtype=object)
    stratum = pd.Series("", index=prof.index, dtype=object)
    res, vis, com, pri = (prof["coverage"] == c for c in ("resident", "visiting", "community", "private"))
    group[res] = "resident|" + prof.loc[res, "premises_key"].astype(str) + "|" + band[res]
    stratum[res] = "resident|" + ptype[res] + "|" + band[res]
    group[vis] = "visiting|" + ptype[vis] + "|" + band[vis]
    stratum[vis] = group[vis]
    group[com] = "community|" + loc[com] + "|" + la[com] + "|" + band[com]
    stratum[com] = "community|" + band[com]
    group[pri] = "private|" + prof.loc[pri, "role"].astype(str)
    stratum[pri] = "private"
    prof["group"], prof["stratum"] = group, stratum

    # exposure: the register's cases at the person's premises in their band's hours
    prof["exposure"] = 1.0
    if (res | vis).any():
        cases = premises_cases if premises_cases is not None and len(premises_cases) else (
            p.dropna(subset=["premises_key"]).drop_duplicates(["premises_key", "case_id"]))
        night = (cases["hour"] >= BAND_NIGHT_FROM) | (cases["hour"] < BAND_NIGHT_TO)
        per = cases.assign(night=night).groupby("premises_key").agg(all=("case_id", "size"), night=("night", "sum"))
        per["day"] = per["all"] - per["night"]
        pairs = p[p["premises_key"].notna() & p["person_id"].isin(prof.index[res | vis])][
            ["person_id", "premises_key"]].drop_duplicates()
        pairs = pairs.join(prof["band"], on="person_id").join(per, on="premises_key")
        pairs["exp"] = np.select([pairs["band"] == "night", pairs["band"] == "day"],
                                 [pairs["night"], pairs["day"]], pairs["all"]).astype(float)
        # resident staff: their one premises only
        res_ids = prof.index[res]
        pairs = pairs[~pairs["person_id"].isin(res_ids) | (
            pairs["premises_key"] == pairs["person_id"].map(prof["premises_key"]))]
        exp = pairs.groupby("person_id")["exp"].sum()
        prof.loc[exp.index, "exposure"] = np.maximum(exp.to_numpy(), 1.0)
    return prof


def _families(prof: pd.DataFrame) -> pd.Series:
    """The family of tests each person's q-value is computed in: members of the public; community
    professionals; and premises-based professionals by coverage and premises type (resident staff
    of hospitals, of care homes, ...; visiting professionals of care homes, ...)."""
    ptype = prof["premises_type"].fillna("premises").astype(str)
    cov = prof["coverage"].astype(str)
    return pd.Series(np.where(cov.isin(["resident", "visiting"]), cov + "|" + ptype, cov), index=prof.index,
                     dtype=object)


def _dispersions(prof: pd.DataFrame) -> pd.Series:
    """``phi`` per person: their stratum's winsorised Pearson dispersion, or the pooled one of all
    professional strata when the stratum is small; 1 for private persons (see module docs)."""
    phi = pd.Series(1.0, index=prof.index)
    pro = prof["coverage"] != "private"
    if not pro.any():
        return phi
    sub = prof[pro]
    pooled = dispersion(sub["observed"], groups=sub["group"], exposure=sub["exposure"])
    for _stratum, g in sub.groupby("stratum", sort=False):
        if len(g) >= MIN_DISPERSION:
            phi[g.index] = dispersion(g["observed"], groups=g["group"], exposure=g["exposure"])
        else:
            phi[g.index] = pooled
    return phi


def _period_months(*frames: pd.DataFrame) -> pd.PeriodIndex:
    months = [f["month"] for f in frames if f is not None and len(f)]
    if not months:
        return pd.PeriodIndex([], freq="M")
    allm = pd.concat(months)
    return pd.period_range(allm.min(), allm.max(), freq="M")


def _cusum_date(own_months: pd.Series, peer_months: pd.Series, expected_total: float,
                months: pd.PeriodIndex) -> pd.Timestamp | None:
    """The end of the first month the entity's CUSUM crosses ``CUSUM_H`` (None if never)."""
    if not len(months) or not np.isfinite(expected_total) or expected_total <= 0:
        return None
    obs = own_months.value_counts().reindex(months, fill_value=0).to_numpy(dtype=float)
    peer = peer_months.value_counts().reindex(months, fill_value=0).to_numpy(dtype=float)
    shape = peer / peer.sum() if peer.sum() > 0 else np.full(len(months), 1.0 / len(months))
    _, first = poisson_cusum(obs, expected_total * shape)
    return None if first < 0 else months[first].end_time.normalize()


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def _group_phrase(row: pd.Series, la_names: dict[str, str]) -> str:
    band = _BAND_WORD.get(row["band"], row["band"])
    cov = row["coverage"]
    ptype = str(row.get("premises_type") or "premises").replace("_", " ")
    if cov == "resident":
        text = f"at {row['premises']} on {band}"
        if row["basis"] == "stratum":
            text += f" (few peers there: pooled with staff of other {ptype}s on {band})"
        return text
    if cov == "visiting":
        return f"visiting {ptype}s on {band} (scaled to the deaths at the {int(row['n_premises'])} {ptype}s covered)"
    if cov == "community":
        la = la_names.get(row["la"], row["la"]) if row["la"] else "an unknown area"
        loc = str(row["location_type"] or "unknown").replace("_", " ")
        text = f"attending {loc} deaths in {la} on {band}"
        if row["basis"] == "stratum":
            text += " (few peers there: pooled over the force)"
        return text
    return f"among {_plural(row['role'])}"


def surveil_persons(presence: pd.DataFrame, premises_cases: pd.DataFrame | None = None, *,
                    alpha: float = 0.05, months: pd.PeriodIndex | None = None,
                    flagged_premises: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every non-victim person's observed and expected deaths, tests, flag and reason (see module docs).

    ``flagged_premises`` (rows of :func:`surveil_premises` with ``premises_key``, ``entity_id`` and
    ``pattern``): the professionals present at each are a second family of tests (``q_premises``),
    the hierarchical route of Yekutieli (2008)."""
    if presence.empty:
        return pd.DataFrame(columns=_PERSON_COLUMNS)
    la_names = _areas()[1]
    prof = person_profiles(presence, premises_cases)
    private = prof["coverage"] == "private"
    prof["observed"] = np.where(private, prof["places"] - 1, prof["n_cases"]).astype(float)
    peers = peer_expectation(prof[["observed", "exposure", "group", "stratum", "night"]].assign(
        n=prof["n_cases"], night=np.where(private, 0, prof["night"])))
    prof = prof.join(peers)
    # private persons: Jeffreys pseudo-count of one half on the peers' further places
    mu_private = (prof["expected"] * prof["n_peers"] + 0.5) / prof["n_peers"].where(prof["n_peers"] > 0)
    prof.loc[private, "expected"] = mu_private[private].where(prof.loc[private, "basis"].notna())
    prof["phi"] = _dispersions(prof)
    phi_eff = np.maximum(prof["phi"] * prof["inflation"].fillna(1.0), 1.0)
    prof["p_count"] = upper_tail_p(prof["observed"], prof["expected"], np.where(private, 1.0, phi_eff))
    prof["night_cases"] = prof["night"].astype(int)
    prof["night_share"] = prof["night"] / prof["n_cases"]
    prof.loc[private, "peer_night_share"] = np.nan
    prof["p_night"] = binomial_upper_p(prof["night"], prof["n_cases"], prof["peer_night_share"])
    prof.loc[private, "p_night"] = np.nan
    prof["p_value"] = fisher_combine(prof["p_count"], prof["p_night"])
    prof.loc[prof["expected"].isna(), "p_value"] = np.nan
    # one family of tests per kind of setting (stratified FDR: Sun et al. 2006)
    prof["family"] = _families(prof)
    prof["q_value"] = np.nan
    for _fam, idx in prof.groupby("family", sort=False).groups.items():
        prof.loc[idx, "q_value"] = bh_qvalues(prof.loc[idx, "p_value"])
    # report private persons on the scale of places, not further places
    prof.loc[private, "observed"] += 1.0
    prof.loc[private, "expected"] += 1.0
    prof["ratio"] = prof["observed"] / prof["expected"].where(prof["expected"] > 0)
    # second route: the professionals present at a flagged premises, as one family per premises
    prof["q_premises"] = np.nan
    prof["flagged_premises"] = None
    if flagged_premises is not None and len(flagged_premises):
        for key, name, pattern in zip(flagged_premises["premises_key"], flagged_premises["entity_id"],
                                      flagged_premises["pattern"], strict=True):
            there = presence.loc[presence["premises_key"] == key, "person_id"].unique()
            fam = prof.index.isin(there) & ~private & prof["p_value"].notna()
            if not fam.any():
                continue
            q = bh_qvalues(prof.loc[fam, "p_value"])
            better = fam.copy()
            better[fam] = ~(prof.loc[fam, "q_premises"] <= q).to_numpy()
            prof.loc[better, "q_premises"] = q[better[fam]]
            prof.loc[better, "flagged_premises"] = (
                f"{name} (flagged for {_pattern_words(pattern)}; "
                f"{int(fam.sum())} professionals there)")
    q_best = np.fmin(prof["q_value"], prof["q_premises"])
    prof["flagged"] = (q_best < alpha) & (prof["observed"] > prof["expected"])
    prof["evidence"] = evidence_score(prof["observed"], prof["expected"], q_best, prof["flagged"])

    # case lists
    cases = presence.groupby("person_id", sort=True)["case_id"].agg(list)
    prof["case_ids"] = cases.reindex(prof.index)
    is_night = (presence["hour"] >= NIGHT_FROM) & (presence["hour"] < NIGHT_TO)
    night_cases = presence[is_night].groupby("person_id")["case_id"].agg(list).reindex(prof.index)
    night_departs = prof["p_night"] < alpha
    prof["excess_case_ids"] = [
        (nc if isinstance(nc, list) and len(nc) else c) if (f and nd) else (c if f else [])
        for f, nd, nc, c in zip(prof["flagged"], night_departs, night_cases, prof["case_ids"], strict=True)
    ]
    first_last = presence.groupby("person_id")["reported_at"].agg(["min", "max"])
    prof["first_at"], prof["last_at"] = first_last["min"], first_last["max"]

    # CUSUM (flagged persons only) and reasons
    months = months if months is not None else _period_months(presence, premises_cases)
    prof["cusum_signal_date"] = pd.NaT
    for pid in prof.index[prof["flagged"]]:
        row = prof.loc[pid]
        level = "group" if row["basis"] == "group" else "stratum"
        peer_ids = prof.index[(prof[level] == row[level]) & (prof.index != pid)]
        own = presence[presence["person_id"] == pid]
        peer_months = presence.loc[presence["person_id"].isin(peer_ids), "month"]
        expected_total = row["expected"]
        if row["coverage"] == "private":
            # one event per place after the first; the expectation is of further places
            own = own.assign(place=_place(own)).drop_duplicates("place").iloc[1:]
            expected_total -= 1.0
        prof.at[pid, "cusum_signal_date"] = _cusum_date(own["month"], peer_months, expected_total, months)
    records = prof.reset_index().to_dict("records")
    prof["setting"] = [_setting(r, la_names) for r in records]
    prof["reason"] = [_person_reason(r, la_names, alpha) for r in records]
    prof = prof.reset_index().rename(columns={"person_id": "entity_id"})
    prof["entity_kind"] = "person"
    prof["group"] = [_group_label(r, la_names) for r in records]
    prof["cusum_signal_date"] = pd.to_datetime(prof["cusum_signal_date"])
    prof["flagged"] = prof["flagged"].astype(bool)
    out = prof[_PERSON_COLUMNS].sort_values(["flagged", "evidence", "p_value"], ascending=[False, False, True],
                                            ignore_index=True, na_position="last")
    return out


def _group_label(row: dict, la_names: dict[str, str]) -> str:
    """The peer group in words, e.g. "resident staff of Pinderfields Hospital, nights"."""
    band = _BAND_WORD.get(row["band"], row["band"])
    ptype = str(row.get("premises_type") or "premises").replace("_", " ")
    cov = row["coverage"]
    if cov == "resident":
        return f"resident staff of {row['premises']}, {band}"
    if cov == "visiting":
        return f"visiting professionals at {ptype}s, {band}"
    if cov == "community":
        la = la_names.get(row["la"], row["la"]) if row["la"] else "unknown area"
        loc = str(row["location_type"] or "unknown").replace("_", " ")
        return f"community professionals at {loc} deaths, {la}, {band}"
    return f"members of the public: {_plural(row['role'])}"


def _setting(row: pd.Series, la_names: dict[str, str]) -> str:
    cov = row["coverage"]
    if cov == "resident":
        return str(row["premises"])
    if cov == "visiting":
        return f"{int(row['n_premises'])} {str(row['premises_type'] or 'premises').replace('_', ' ')}s"
    la = la_names.get(row["la"], row["la"]) if row["la"] else "unknown area"
    return f"{str(row['location_type'] or 'unknown').replace('_', ' ')}, {la}"


def _person_reason(row: pd.Series, la_names: dict[str, str], alpha: float) -> str:
    if pd.isna(row["expected"]):
        return f"at {int(row['n_cases'])} deaths; too few comparable people to say what is expected"
    o, e = row["observed"], row["expected"]
    if row["coverage"] == "private":
        n = int(row["n_cases"])
        text = (f"connected to {n} death{'s' if n != 1 else ''} at {int(o)} place{'s' if o != 1 else ''}, "
                f"{e:.2f} places expected {_group_phrase(row, la_names)} (ratio {row['ratio']:.1f}, "
                f"p={_fmt_p(row['p_value'])})")
        if n >= 3 and o == 1:
            text += "; all at one place, as for a warden, landlord or support worker: see the place"
    else:
        text = (f"present at {int(o)} deaths, {e:.1f} expected for peers {_group_phrase(row, la_names)} "
                f"(ratio {row['ratio']:.1f}, p={_fmt_p(row['p_count'])})")
        if np.isfinite(row["p_night"]) and row["p_night"] < alpha:
            text += (f"; {int(row['night_cases'])} of {int(row['n_cases'])} between 00:00 and 06:00 vs "
                     f"{row['peer_night_share']:.0%} for peers (p={_fmt_p(row['p_night'])})")
    if row.get("flagged_premises") and np.isfinite(row.get("q_premises", np.nan)):
        text += f"; among the professionals at {row['flagged_premises']}, q={_fmt_p(row['q_premises'])}"
    if isinstance(row["cusum_signal_date"], pd.Timestamp) and not pd.isna(row["cusum_signal_date"]):
        text += f"; CUSUM against a doubled rate would have signalled by {row['cusum_signal_date']:%d %b %Y}"
    return text


# -------------------------------------------------------------------------------------------------
# Premises
# -------------------------------------------------------------------------------------------------


def surveil_premises(premises_cases: pd.DataFrame, *, alpha: float = 0.05,
                     months: pd.PeriodIndex | None = None) -> pd.DataFrame:
    """Every named premises: its night, category-of-concern and recent shares against premises of the
    same type (leave-one-out, exact binomial tests), Fisher-combined, BH across premises."""
    if premises_cases is None or premises_cases.empty:
        return pd.DataFrame(columns=_PREMISES_COLUMNS)
    pc = premises_cases.copy()
    months = months if months is not None else _period_months(pc)
    end = months[-1].end_time if len(months) else pc["reported_at"].max()
    recent_from = (months[-1] - (RECENT_MONTHS - 1)).start_time if len(months) else end
    pc["is_night"] = (pc["hour"] >= NIGHT_FROM) & (pc["hour"] < NIGHT_TO)
    pc["is_concern"] = pc["category"].isin(CONCERN)
    pc["is_recent"] = pc["reported_at"] >= recent_from
    by = pc.groupby("premises_key", sort=True)
    pr = pd.DataFrame({
        "n_cases": by.size(),
        "night_cases": by["is_night"].sum(),
        "concern_cases": by["is_concern"].sum(),
        "recent_cases": by["is_recent"].sum(),
    })
    pr["entity_id"] = by["premises"].agg(lambda s: s.value_counts().index[0])
    pr["setting"] = _modal(pc, "premises_key", "location_type").reindex(pr.index).fillna("unknown")
    pr["group"] = pr["setting"]
    pr["stratum"] = "all"
    for name in ("night", "concern", "recent"):
        # peer_expectation's pooled "night" share (half-case pseudo-counts) serves for every pattern
        f = pd.DataFrame({"observed": pr["n_cases"].astype(float), "exposure": 1.0, "group": pr["group"],
                          "stratum": pr["stratum"], "night": pr[f"{name}_cases"], "n": pr["n_cases"]})
        e = peer_expectation(f)
        share = e["peer_night_share"]
        pr[f"peer_{name}_share"] = share
        pr[f"{name}_share"] = pr[f"{name}_cases"] / pr["n_cases"]
        pr[f"p_{name}"] = binomial_upper_p(pr[f"{name}_cases"], pr["n_cases"], share)
        pr["basis"], pr["n_peers"] = e["basis"], e["n_peers"]
    pr["p_value"] = fisher_combine(pr["p_night"], pr["p_concern"], pr["p_recent"])
    pr["q_value"] = bh_qvalues(pr["p_value"])
    tests = ("night", "concern", "recent")
    pmat = pr[[f"p_{t}" for t in tests]].to_numpy(dtype=float)
    patterns, observed, expected, excess = [], [], [], []
    flags = pc.set_index("premises_key")[["case_id", "is_night", "is_concern", "is_recent"]]
    for i, key in enumerate(pr.index):
        # the patterns that depart on their own (Bonferroni over the three), else the strongest one
        sig = [t for t, p in zip(tests, pmat[i], strict=True) if np.isfinite(p) and p < alpha / len(tests)]
        if not sig and np.isfinite(pmat[i]).any():
            sig = [tests[int(np.nanargmin(pmat[i]))]]
        rows = flags.loc[[key]]
        mask = np.ones(len(rows), dtype=bool)
        share = 1.0
        for t in sig:
            mask &= rows[f"is_{t}"].to_numpy()
            share *= float(pr.at[key, f"peer_{t}_share"])
        patterns.append("+".join(sig))
        observed.append(float(mask.sum()))
        expected.append(float(pr.at[key, "n_cases"]) * share if sig else np.nan)
        excess.append(list(rows["case_id"][mask]))
    pr["pattern"] = patterns
    pr["observed"], pr["expected"] = observed, expected
    pr["ratio"] = pr["observed"] / pr["expected"].where(pr["expected"] > 0)
    pr["flagged"] = (pr["q_value"] < alpha) & (pr["observed"] > pr["expected"])
    pr["evidence"] = evidence_score(pr["observed"], pr["expected"], pr["q_value"], pr["flagged"])
    pr["case_ids"] = by["case_id"].agg(list)
    pr["excess_case_ids"] = [x if f else [] for x, f in zip(excess, pr["flagged"], strict=True)]
    pr["first_at"], pr["last_at"] = by["reported_at"].min(), by["reported_at"].max()
    pr["cusum_signal_date"] = pd.NaT
    pr["role"] = None
    reasons = []
    for key, row in pr.iterrows():
        if row["flagged"]:
            own = pc.loc[pc["premises_key"] == key]
            own = own[own["case_id"].isin(row["excess_case_ids"])]["month"]
            peer_months = pc.loc[(pc["premises_key"] != key) & pc["premises_key"].map(pr["group"]).eq(row["group"]),
                                 "month"]
            pr.at[key, "cusum_signal_date"] = _cusum_date(own, peer_months, row["expected"], months)
        reasons.append(_premises_reason(pr.loc[key], alpha))
    pr["reason"] = reasons
    pr["entity_kind"] = "premises"
    pr["cusum_signal_date"] = pd.to_datetime(pr["cusum_signal_date"])
    pr["flagged"] = pr["flagged"].astype(bool)
    pr["group"] = pr["group"].astype(str).str.replace("_", " ") + " premises"
    return pr.reset_index()[_PREMISES_COLUMNS].sort_values(
        ["flagged", "evidence", "p_value"], ascending=[False, False, True], ignore_index=True, na_position="last")


def _premises_reason(row: pd.Series, alpha: float) -> str:
    kind = str(row["setting"]).replace("_", " ")
    parts = [f"{int(row['n_cases'])} deaths"]
    words = {"night": "between 00:00 and 06:00", "concern": "homicides, attempts, suspicious or drug deaths",
             "recent": f"in the last {RECENT_MONTHS} months"}
    for t in ("night", "concern", "recent"):
        p = row[f"p_{t}"]
        if np.isfinite(p) and (p < alpha or t in str(row["pattern"]).split("+")):
            parts.append(f"{int(row[f'{t}_cases'])} {words[t]} ({row[f'{t}_share']:.0%} vs "
                         f"{row[f'peer_{t}_share']:.0%} at other {kind} premises, p={_fmt_p(p)})")
    text = "; ".join(parts) + f"; combined p={_fmt_p(row['p_value'])}"
    if isinstance(row["cusum_signal_date"], pd.Timestamp) and not pd.isna(row["cusum_signal_date"]):
        text += f"; CUSUM against a doubled rate would have signalled by {row['cusum_signal_date']:%d %b %Y}"
    return text


# -------------------------------------------------------------------------------------------------
# The whole register
# -------------------------------------------------------------------------------------------------


def surveil(con: duckdb.DuckDBPyConnection, *, alpha: float = 0.05) -> SurveillanceResult:
    """People and premises at more deaths than expected in the register on ``con``.

    Returns a :class:`SurveillanceResult` whose ``persons`` and ``premises`` frames have one row per
    entity (columns ``entity_id, entity_kind, role, setting, group, observed, expected, ratio,
    p_value, q_value, night_share, peer_night_share, cusum_signal_date, flagged, evidence, reason,
    case_ids, excess_case_ids`` and the tests' details), flagged entities first by ``evidence``:
    the deaths above expectation, ``max(observed - expected, 0) * (1 - q_value)``.
    """
    presence = load_presence(con)
    premises = load_premises(con)
    span = con.execute("SELECT min(reported_at), max(reported_at) FROM cases").fetchone()
    if span[0] is None:
        months = pd.PeriodIndex([], freq="M")
    else:
        months = pd.period_range(pd.Timestamp(span[0]).to_period("M"), pd.Timestamp(span[1]).to_period("M"), freq="M")
    prem = surveil_premises(premises, alpha=alpha, months=months)
    persons = surveil_persons(presence, premises, alpha=alpha, months=months,
                              flagged_premises=prem[prem["flagged"].astype(bool)])
    return SurveillanceResult(persons, explain_premises(prem, persons), alpha)


def explain_premises(premises: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Discount a flagged premises' evidence by the excess cases of flagged persons among its own.

    A nurse at many night deaths makes her hospital's night share depart too; the premises stays
    flagged (the departure is real) but its ``evidence`` counts only the cases in its pattern that
    no flagged person explains, so that the person, the sharper signal, ranks first.
    ``explained_by`` lists those persons."""
    out = premises.copy()
    out["explained_by"] = [[] for _ in range(len(out))]
    if out.empty or persons.empty or not persons["flagged"].any():
        return out
    owner: dict[str, list[str]] = {}
    flagged = persons[persons["flagged"]]
    for pid, ids in zip(flagged["entity_id"], flagged["excess_case_ids"], strict=True):
        for c in ids:
            owner.setdefault(c, []).append(pid)
    for i in np.flatnonzero(out["flagged"].to_numpy()):
        ids = out.at[i, "excess_case_ids"]
        by = sorted({p for c in ids for p in owner.get(c, [])})
        if not by:
            continue
        remaining = sum(1 for c in ids if c not in owner)
        out.at[i, "explained_by"] = by
        out.at[i, "evidence"] = float(evidence_score(remaining, out.at[i, "expected"], out.at[i, "q_value"], True))
        out.at[i, "reason"] = (f"{out.at[i, 'reason']}; {len(ids) - remaining} of the {len(ids)} are the cases of "
                               f"flagged {'person' if len(by) == 1 else 'persons'} {', '.join(by)}")
    return out.sort_values(["flagged", "evidence", "p_value"], ascending=[False, False, True], ignore_index=True,
                           na_position="last")
