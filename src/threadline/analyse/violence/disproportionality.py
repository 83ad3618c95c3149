"""Rates per head and relative rate indices (RRIs) by ethnic group, with honest intervals.

A relative rate index compares the rate of an event in one group with the rate in a reference group
(here the White group): ``RRI = (a / n_a) / (b / n_b)``. It is the measure of the US Office of
Juvenile Justice and Delinquency Prevention's *Disproportionate Minority Contact Technical Assistance
Manual* (4th edition, 2009), of the Ministry of Justice analysis behind the Lammy Review (2017) and of
the Youth Justice Board's *Ethnic Disproportionality Toolkit*, which sets each stage of the youth
justice system against the population and against the previous stage. :func:`stage_table` follows
that toolkit: each stage per 1,000 of the group's population, and each stage as a share of the
group's suspects.

Two intervals are offered for an RRI:

``"katz"``
    The log method of Katz, Baptista, Azen and Pike (1978), "Obtaining confidence intervals for the
    risk ratio in cohort studies", *Biometrics* 34(3): ``SE(log RRI) = sqrt(1/a - 1/n_a + 1/b - 1/n_b)``.
    A zero count makes the log infinite; then 0.5 is added to every cell of the 2 x 2 table
    (events and non-events of both groups: Haldane 1956, *Annals of Human Genetics* 20; Anscombe 1956,
    *Biometrika* 43), the estimate and interval come from the corrected counts, and ``note`` says so.
``"exact"``
    Conditional on ``m = a + b`` events, ``a`` is binomial with probability
    ``pi = n_a * theta / (n_a * theta + n_b)`` where ``theta`` is the rate ratio (Breslow and Day 1987,
    *Statistical Methods in Cancer Research* II, IARC, section 2.2; Gu, Ng, Tang and Schucany 2008,
    *Biometrical Journal* 50(2)). The Clopper-Pearson (1934) interval for ``pi`` is mapped to
    ``theta = pi * n_b / ((1 - pi) * n_a)``. It is exact for Poisson counts and conservative; for
    proportions (events among people) it is a good approximation while events are rare.

Rates carry the exact Garwood (1936) Poisson interval, as :mod:`threadline.analyse.rates` does.
Ethnic groups are the five ONS groups of :data:`threadline.analyse.violence.ethnicity.GROUP5`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from threadline.analyse.violence.ethnicity import GROUP5

#: The stages of :func:`stage_table`, in order; the first is the base of "relative to suspects".
STAGES = ("suspect", "arrested", "charged", "out_of_court", "outcome_22")
#: The reference group of every RRI unless told otherwise.
REFERENCE = "white"
METHODS = ("katz", "exact")

_RATE_COLUMNS = ["count", "population", "rate", "rate_low", "rate_high", "rri", "rri_low", "rri_high", "method", "note"]


@dataclass(frozen=True)
class RRI:
    """A relative rate index with its confidence interval; ``note`` explains anything unusual."""

    rri: float
    low: float
    high: float
    method: str
    note: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, not {alpha!r}")


def _check_counts(a: float, n_a: float, b: float, n_b: float) -> None:
    for name, value in (("a", a), ("n_a", n_a), ("b", b), ("n_b", n_b)):
        if value is None or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
    if a < 0 or b < 0:
        raise ValueError(f"event counts must not be negative (a={a}, b={b})")
    if n_a <= 0 or n_b <= 0:
        raise ValueError(f"populations must be positive (n_a={n_a}, n_b={n_b}): no rate without people")
    if a > n_a:
        raise ValueError(f"a={a} events among n_a={n_a} people: more events than people")
    if b > n_b:
        raise ValueError(f"b={b} events among n_b={n_b} people: more events than people")


def _katz(a: float, n_a: float, b: float, n_b: float, alpha: float) -> RRI:
    note = None
    if a == 0 or b == 0:
        which = " and ".join(name for name, v in (("a", a), ("b", b)) if v == 0)
        note = (f"{which} = 0: Haldane-Anscombe correction, 0.5 added to each cell of the 2x2 table; "
                "RRI and interval are from the corrected counts")
        a, b, n_a, n_b = a + 0.5, b + 0.5, n_a + 1.0, n_b + 1.0
    rri = (a / n_a) / (b / n_b)
    se = math.sqrt(max(0.0, 1 / a - 1 / n_a + 1 / b - 1 / n_b))
    z = stats.norm.ppf(1 - alpha / 2)
    return RRI(float(rri), float(rri * math.exp(-z * se)), float(rri * math.exp(z * se)), "katz", note)


def _exact(a: float, n_a: float, b: float, n_b: float, alpha: float) -> RRI:
    a, b = int(round(a)), int(round(b))
    m = a + b
    note = None
    if b == 0:
        rri = math.inf
        note = "b = 0: the reference group has no events, the upper limit is infinite"
    else:
        rri = (a / n_a) / (b / n_b)
    pi_low = 0.0 if a == 0 else float(stats.beta.ppf(alpha / 2, a, m - a + 1))
    pi_high = 1.0 if b == 0 else float(stats.beta.ppf(1 - alpha / 2, a + 1, m - a))
    low = pi_low * n_b / ((1 - pi_low) * n_a)
    high = math.inf if pi_high >= 1 else pi_high * n_b / ((1 - pi_high) * n_a)
    if a == 0:
        note = "a = 0: the lower limit is 0"
    return RRI(float(rri), float(low), float(high), "exact", note)


def relative_rate_index(a: float, n_a: float, b: float, n_b: float, alpha: float = 0.05,
                        method: str = "katz") -> RRI:
    """The relative rate index of ``a`` events among ``n_a`` people against ``b`` among ``n_b``.

    Parameters
    ----------
    a, n_a : events and population (or people at risk) of the group.
    b, n_b : events and population of the reference group.
    alpha : 1 - confidence level of the interval.
    method : ``"katz"`` (log method, Katz et al. 1978) or ``"exact"`` (conditional binomial with a
        Clopper-Pearson interval; Breslow and Day 1987, Gu et al. 2008). See the module docstring.

    Returns
    -------
    RRI
        ``rri``, ``low``, ``high``, ``method`` and a ``note``. With no events in either group the
        ratio is undefined: ``rri`` is NaN and the interval is ``(0, inf)``.

    Raises
    ------
    ValueError
        For negative counts, populations that are not positive, more events than people, an unknown
        method or an ``alpha`` outside (0, 1).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    _check_alpha(alpha)
    _check_counts(a, n_a, b, n_b)
    if a == 0 and b == 0:
        return RRI(math.nan, 0.0, math.inf, method, "no events in either group: the ratio is undefined")
    if method == "katz":
        return _katz(float(a), float(n_a), float(b), float(n_b), alpha)
    return _exact(a, float(n_a), b, float(n_b), alpha)


def rate_per(count: float, population: float, per: int = 1000, alpha: float = 0.05) -> tuple[float, float, float]:
    """``count`` per ``per`` of ``population`` with the exact Garwood (1936) Poisson interval.

    Returns
    -------
    (rate, low, high)

    Raises
    ------
    ValueError
        For a negative count, a population that is not positive or ``alpha`` outside (0, 1).
    """
    _check_alpha(alpha)
    if count < 0:
        raise ValueError(f"count must not be negative, not {count!r}")
    if not population or population <= 0:
        raise ValueError(f"population must be positive, not {population!r}")
    lo = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    hi = stats.chi2.ppf(1 - alpha / 2, 2 * (count + 1)) / 2
    scale = per / population
    return float(count * scale), float(lo * scale), float(hi * scale)


# --------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------


def _require(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}")


def _group_order(values: pd.Series) -> pd.Series:
    order = {g: i for i, g in enumerate(GROUP5)}
    return values.map(lambda g: order.get(g, len(order)))


def _sort(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    df = df.assign(_order=_group_order(df["group5"]))
    df = df.sort_values([*first, "_order", "group5"], kind="stable").drop(columns="_order")
    return df.reset_index(drop=True)


def _split(df: pd.DataFrame, by: list[str]):
    """(key, frame) for each by-key; one group with an empty key when ``by`` is empty."""
    if not by:
        yield (), df
        return
    for key, part in df.groupby(by, sort=True, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), part


def _nan_rri(note: str) -> dict:
    return {"rri": math.nan, "rri_low": math.nan, "rri_high": math.nan, "note": note}


def _rri_block(part: pd.DataFrame, num: str, den: str, reference: str, alpha: float, method: str,
               what: str) -> list[dict]:
    """RRI of ``num / den`` of each row of ``part`` against the reference row, as dicts."""
    ref = part[part["group5"] == reference]
    ref_num = float(ref[num].iloc[0]) if len(ref) else math.nan
    ref_den = float(ref[den].iloc[0]) if len(ref) else math.nan
    out = []
    for _, r in part.iterrows():
        n, d = float(r[num]), float(r[den])
        if not (np.isfinite(d) and d > 0):
            out.append(_nan_rri(f"no {what} for this group"))
        elif not (np.isfinite(ref_den) and ref_den > 0):
            out.append(_nan_rri(f"no {what} for the reference group ({reference}): RRI not computed"))
        elif ref_num == 0:
            out.append(_nan_rri(f"the reference group ({reference}) has no events here: RRI not computed"))
        elif r["group5"] == reference:
            out.append({"rri": 1.0, "rri_low": math.nan, "rri_high": math.nan, "note": "reference group"})
        else:
            res = relative_rate_index(n, d, ref_num, ref_den, alpha=alpha, method=method)
            out.append({"rri": res.rri, "rri_low": res.low, "rri_high": res.high, "note": res.note})
    return out


def rate_table(counts: pd.DataFrame, population: pd.DataFrame, by: Sequence[str] = (), reference: str = REFERENCE,
               per: int = 1000, alpha: float = 0.05, method: str = "katz") -> pd.DataFrame:
    """Rates per ``per`` population and RRIs against ``reference``, one row per by-key and group.

    Parameters
    ----------
    counts : columns ``by...``, ``group5`` and ``count`` (rows with the same key are added up).
    population : columns ``by...``, ``group5`` and ``population``.
    by : key columns (e.g. area, year) within which groups are compared.
    reference, per, alpha, method : as :func:`relative_rate_index` and :func:`rate_per`.

    Returns
    -------
    DataFrame
        ``by...``, ``group5``, ``count``, ``population``, ``rate``, ``rate_low``, ``rate_high``, ``rri``,
        ``rri_low``, ``rri_high``, ``method``, ``note``. A group with population but absent from
        ``counts`` counts 0. The reference row has RRI 1 and no interval. Where the reference group has
        no events (or no population) no RRI is computed and ``note`` says why. A group with counts but
        no population (such as ``not_stated``) keeps its count with NaN rates.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    _check_alpha(alpha)
    by = list(by)
    keys = [*by, "group5"]
    _require(counts, [*keys, "count"], "counts")
    _require(population, [*keys, "population"], "population")
    if (pd.to_numeric(counts["count"]) < 0).any():
        raise ValueError("counts must not be negative")
    if (pd.to_numeric(population["population"]) < 0).any():
        raise ValueError("populations must not be negative")
    c = counts.groupby(keys, dropna=False, as_index=False)["count"].sum()
    p = population.groupby(keys, dropna=False, as_index=False)["population"].sum()
    df = p.merge(c, on=keys, how="outer")
    df["count"] = df["count"].fillna(0).astype(int)
    rows = []
    for _, part in _split(df, by):
        rris = _rri_block(part, "count", "population", reference, alpha, method, "population")
        for (_, r), rr in zip(part.iterrows(), rris, strict=True):
            pop = float(r["population"])
            if np.isfinite(pop) and pop > 0:
                rate, lo, hi = rate_per(int(r["count"]), pop, per=per, alpha=alpha)
            else:
                rate = lo = hi = math.nan
            rows.append({**{k: r[k] for k in keys}, "count": int(r["count"]), "population": pop, "rate": rate,
                         "rate_low": lo, "rate_high": hi, "rri": rr["rri"], "rri_low": rr["rri_low"],
                         "rri_high": rr["rri_high"], "method": method, "note": rr["note"]})
    out = pd.DataFrame(rows, columns=[*keys, *_RATE_COLUMNS])
    return _sort(out, by)


def stage_table(people: pd.DataFrame, population: pd.DataFrame, stages: Sequence[str] = STAGES,
                by: Sequence[str] = (), reference: str = REFERENCE, per: int = 1000, alpha: float = 0.05,
                method: str = "katz") -> pd.DataFrame:
    """Disproportionality at each stage, after the Youth Justice Board's Ethnic Disproportionality Toolkit.

    Each stage is measured twice: per ``per`` of the group's population (with RRI against the
    reference group's rate), and as a share of the group's suspects (the first stage), with the risk
    ratio against the reference group's share (the Katz or exact formula with ``n`` = suspects). The
    second separates disproportion that arises at the stage from disproportion carried in from
    suspicion.

    Parameters
    ----------
    people : one row per person with ``by...``, ``group5`` and one boolean column per stage. Missing
        stage values count as False. Nobody may reach a later stage without the first one.
    population : ``by...``, ``group5``, ``population`` as for :func:`rate_table`.
    stages : stage columns in order; the first is the base of "relative to suspects".

    Returns
    -------
    DataFrame
        ``stage``, ``by...``, ``group5``, ``count``, ``population``, ``rate``, ``rate_low``,
        ``rate_high``, ``rri``, ``rri_low``, ``rri_high``, ``of_suspects``, ``of_suspects_rri``,
        ``of_suspects_rri_low``, ``of_suspects_rri_high``, then ``method``, ``note`` (of the population
        RRI) and ``of_suspects_note``. For the first stage ``of_suspects`` is 1 and has no RRI.
    """
    stages = list(stages)
    if not stages:
        raise ValueError("stages must name at least one stage")
    by = list(by)
    keys = [*by, "group5"]
    _require(people, [*keys, *stages], "people")
    flags = people[stages].astype("boolean").fillna(False).astype(bool)
    base = stages[0]
    stray = (flags[stages[1:]].any(axis=1) & ~flags[base]) if len(stages) > 1 else pd.Series(False, flags.index)
    if stray.any():
        raise ValueError(f"{int(stray.sum())} people reach a later stage without being at {base!r}")
    agg = pd.concat([people[keys], flags], axis=1).groupby(keys, dropna=False, as_index=False)[stages].sum()
    frames = []
    for stage in stages:
        counts = agg[keys].assign(count=agg[stage].astype(int))
        table = rate_table(counts, population, by=by, reference=reference, per=per, alpha=alpha, method=method)
        suspects = agg[keys].assign(suspects=agg[base].astype(int))
        table = table.merge(suspects, on=keys, how="left")
        table["suspects"] = table["suspects"].fillna(0).astype(int)
        blocks = {}
        for key, part in _split(table, by):
            if stage == base:
                rr = [_nan_rri("base stage") for _ in range(len(part))]
            else:
                rr = _rri_block(part, "count", "suspects", reference, alpha, method, "suspects")
            blocks.update(dict(zip(part.index, rr, strict=True)))
            del key
        table["of_suspects"] = np.where(table["suspects"] > 0, table["count"] / table["suspects"].where(
            table["suspects"] > 0, 1), np.nan)
        table["of_suspects_rri"] = [blocks[i]["rri"] for i in table.index]
        table["of_suspects_rri_low"] = [blocks[i]["rri_low"] for i in table.index]
        table["of_suspects_rri_high"] = [blocks[i]["rri_high"] for i in table.index]
        table["of_suspects_note"] = [blocks[i]["note"] for i in table.index]
        table.insert(0, "stage", stage)
        frames.append(table.drop(columns="suspects"))
    cols = ["stage", *keys, "count", "population", "rate", "rate_low", "rate_high", "rri", "rri_low", "rri_high",
            "of_suspects", "of_suspects_rri", "of_suspects_rri_low", "of_suspects_rri_high", "method", "note",
            "of_suspects_note"]
    return pd.concat(frames, ignore_index=True)[cols]
