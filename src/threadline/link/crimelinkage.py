"""Crime-linkage pair features for data in the format of the R package *crimelinkage*.

This is Threadline's pair method run on the standard crime-linkage benchmark, so that it can be
checked against a reference nobody here wrote: the example data of *crimelinkage* (M. D. Porter and
B. J. Reich, CRAN 2015; 490 burglaries, fictitious but realistic) and the numbers its vignette prints.

Data format (as ``crimelinkage::crimes`` and ``crimelinkage::offenders``):

- ``crimes``: one row per crime with ``crimeID``, coordinates ``X``, ``Y`` (metres, projected),
  categorical modus-operandi columns (``MO1``, ``MO2``, ``MO3``) and the interval in which the crime
  happened, ``DT.FROM`` to ``DT.TO`` (a burglary found after a weekend away happened at some unknown
  time in between).
- ``offenders``: one row per (``offenderID``, ``crimeID``) for solved crimes; co-offending gives a
  crime several offenders.

:func:`make_pairs` builds the training pairs as ``crimelinkage::makePairs`` does (linked pairs: two
crimes of one offender; unlinked pairs: a weighted sample of crimes from different offender groups).
With ``rng="r"`` (the default) it draws the unlinked sample with R's own generator and sampling
algorithms (Mersenne-Twister seeded by ``set.seed``, R < 3.6 ``sample()``), so that
``make_pairs(crimes, offenders, thres=365, m=40, seed=1)`` gives exactly the 255 linked and 10,932
unlinked pairs that the vignette reports for ``set.seed(1); makePairs(seriesData, thres=365, m=40)``.

:func:`compare_crimes` computes Porter's pair features ("evidence variables") for all pairs at once
with NumPy (no Python loop per pair):

- ``spatial``: distance between the crimes (km);
- ``temporal``: expected absolute time between them (days), each crime's time uniform over its
  interval, computed exactly (Porter's ``expAbsDiff``, vectorised);
- ``tod``: expected circular time-of-day difference (hours, 0-12), and ``dow``: expected circular
  day-of-week difference (days, 0-3.5), both computed exactly in closed form (Porter's ``expAbsDiff.circ``
  approximates the same expectation by an FFT convolution on 2,000 bins);
- one 0/1 match indicator per categorical column (1 if the two crimes have the same value).

References:
    Porter, M. D. (2016). A statistical approach to crime linkage. *The American Statistician*,
    70(2), 152-165 (arXiv:1410.2285).
    Porter, M. D. and Reich, B. J. crimelinkage: Statistical Methods for Crime Series Linkage.
    R package, CRAN (version 0.0.4, 2015).
    Bennell, C. and Canter, D. V. (2002). Linking commercial burglaries by modus operandi: tests
    using regression and ROC analysis. *Science & Justice*, 42(3), 153-164.
    Tonkin, M., Woodhams, J., Bull, R., Bond, J. W. and Palmer, E. J. (2011). Linking different
    types of crime using geographical and temporal proximity. *Criminal Justice and Behavior*,
    38(11), 1069-1088.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Porter's pair features for crimelinkage-format data, in the order of ``compareCrimes``.
FEATURES = ["spatial", "temporal", "tod", "dow", "MO1", "MO2", "MO3"]

_SECONDS_PER_DAY = 86_400.0


# ---------------------------------------------------------------------------------------------
# reading the data
# ---------------------------------------------------------------------------------------------


def read_crimes(path: str | Path) -> pd.DataFrame:
    """Read a crimelinkage-format crimes CSV (``DT.FROM``/``DT.TO`` parsed as naive date-times)."""
    crimes = pd.read_csv(path, dtype={"crimeID": str})
    for col in ("DT.FROM", "DT.TO"):
        if col in crimes:
            crimes[col] = pd.to_datetime(crimes[col])
    return crimes


def read_offenders(path: str | Path) -> pd.DataFrame:
    """Read a crimelinkage-format offenders CSV (``offenderID``, ``crimeID``)."""
    return pd.read_csv(path, dtype={"offenderID": str, "crimeID": str})


def load_example(directory: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The crimelinkage example data from ``directory`` (``crimelinkage_crimes.csv``, ``..._offenders.csv``)."""
    directory = Path(directory)
    return (read_crimes(directory / "crimelinkage_crimes.csv"),
            read_offenders(directory / "crimelinkage_offenders.csv"))


# ---------------------------------------------------------------------------------------------
# series data, crime groups and training pairs (crimelinkage's makeSeriesData / makeGroups / makePairs)
# ---------------------------------------------------------------------------------------------


def series_data(crimes: pd.DataFrame, offenders: pd.DataFrame, time: str = "midpoint") -> pd.DataFrame:
    """One row per (offender, crime) for the solved crimes in ``crimes`` (``makeSeriesData``).

    Rows are ordered as crimelinkage orders them (offenders sorted by ID, each offender's crimes in
    the order of the offender table), which matters only for reproducing R's random sample.
    ``TIME`` is the midpoint (default), earliest or latest time of each crime's interval.
    """
    ids = crimes["crimeID"].astype(str)
    table = offenders[["offenderID", "crimeID"]].astype(str)
    table = table[table["crimeID"].isin(set(ids))].drop_duplicates()
    order = {o: i for i, o in enumerate(sorted(table["offenderID"].unique()))}
    table = table.assign(_o=table["offenderID"].map(order), _r=np.arange(len(table)))
    table = table.sort_values(["_o", "_r"], kind="stable").drop(columns=["_o", "_r"]).reset_index(drop=True)
    start = pd.to_datetime(crimes["DT.FROM"])
    end = pd.to_datetime(crimes["DT.TO"]) if "DT.TO" in crimes else start
    end = end.fillna(start)
    if time == "midpoint":
        t = start + (end - start) / 2
    elif time == "earliest":
        t = start
    elif time == "latest":
        t = end
    else:
        raise ValueError(f"time must be midpoint, earliest or latest, not {time!r}")
    t.index = ids.values
    table["TIME"] = t.reindex(table["crimeID"]).values
    return table


def crime_groups(series: pd.DataFrame) -> np.ndarray:
    """Crime group (1, 2, ...) of each row of ``series``: maximal connected co-offender subgraphs.

    As ``crimelinkage::makeGroups(method=1)``: offenders who ever co-offended, directly or through
    others, form one group; groups are numbered in order of first appearance of their offenders.
    """
    offs = pd.unique(series["offenderID"])
    index = {o: i for i, o in enumerate(offs)}
    codes = series["offenderID"].map(index).to_numpy()
    crime_codes = pd.factorize(series["crimeID"])[0]
    # co-offending edges: every offender of a crime joined to the first offender of that crime
    first = pd.Series(codes).groupby(crime_codes).transform("first").to_numpy()
    n = len(offs)
    graph = coo_matrix((np.ones(len(codes)), (codes, first)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first_seen = np.unique(labels, return_index=True)
    renumber = np.empty(len(first_seen), dtype=int)
    renumber[np.argsort(np.argsort(first_seen))] = np.arange(1, len(first_seen) + 1)
    return renumber[labels][codes]


def _ordered(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flip = a > b
    return np.where(flip, b, a), np.where(flip, a, b)


def make_linked(series: pd.DataFrame, thres: float = 365) -> pd.DataFrame:
    """Linked pairs: two crimes of one offender at most ``thres`` days apart (``makeLinked``).

    Each pair gets weight 1/N, N the number of pairs in that offender's series (the smallest such
    weight when co-offenders share the pair), so that each series weighs at most 1 in training.
    """
    rows = []
    for offender, grp in series.groupby("offenderID", sort=False):
        if len(grp) < 2:
            continue
        i, j = np.triu_indices(len(grp), k=1)
        ids = grp["crimeID"].to_numpy()
        t = grp["TIME"].to_numpy()
        days = np.abs((t[i] - t[j]) / np.timedelta64(1, "s")) / _SECONDS_PER_DAY
        keep = days <= thres
        a, b = _ordered(ids[i][keep], ids[j][keep])
        rows.append(pd.DataFrame({"i1": a, "i2": b, "offenderID": offender}))
    if not rows:
        return pd.DataFrame({"i1": pd.Series(dtype=str), "i2": pd.Series(dtype=str), "weight": pd.Series(dtype=float)})
    pairs = pd.concat(rows, ignore_index=True)
    pairs = pairs[pairs["i1"] != pairs["i2"]].drop_duplicates()
    pairs["weight"] = 1.0 / pairs.groupby("offenderID")["i1"].transform("size")
    linked = pairs.groupby(["i1", "i2"], sort=False, as_index=False)["weight"].min()
    # R orders them by the pasted names "i1:i2" (tapply): keep that order, the vignette's split depends on it
    order = np.argsort((linked["i1"] + ":" + linked["i2"]).to_numpy().astype(str), kind="stable")
    return linked.iloc[order].reset_index(drop=True)


class RRandom:
    """R's default random numbers (Mersenne-Twister, ``set.seed``) and R < 3.6 ``sample()``.

    Only what :func:`make_unlinked` needs to reproduce crimelinkage's published sample: ``unif``
    is ``runif`` (``set.seed(1); runif(1)`` is 0.2655087), ``sample_replace`` is
    ``sample.int(n, k, replace=TRUE)`` with R's pre-3.6 "Rounding" method, and
    ``sample_prob_noreplace`` is ``sample.int(n, k, prob=p)`` (R's ``ProbSampleNoReplace`` with its
    heap sort ``revsort``, whose tie order matters) and ``sample_prob_replace`` the same with
    replacement (used by the vignette's train/test split). Indices returned are 0-based.
    """

    def __init__(self, seed: int):
        s = int(seed) & 0xFFFFFFFF
        for _ in range(50):  # R's initial scrambling
            s = (69069 * s + 1) & 0xFFFFFFFF
        key = []
        for _ in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            key.append(s)
        self._mt = np.random.MT19937()
        # the first of R's 625 seeds is the position (set to 624: regenerate on first draw)
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": np.array(key[1:], dtype=np.uint32), "pos": 624}}

    def unif(self, n: int) -> np.ndarray:
        u = self._mt.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
        half = 0.5 * 2.328306437080797e-10
        u[u <= 0.0] = half
        u[1.0 - u <= 0.0] = 1.0 - half
        return u

    def sample_replace(self, n: int, k: int) -> np.ndarray:
        return np.floor(n * self.unif(k)).astype(np.int64)

    def sample_prob_replace(self, prob: np.ndarray, k: int) -> np.ndarray:
        """``sample.int(n, k, replace=TRUE, prob=p)`` for up to 200 categories (R's ``ProbSampleReplace``)."""
        p = np.asarray(prob, dtype=float) / np.sum(prob)
        if np.sum(len(p) * p > 0.1) > 200:
            raise NotImplementedError("R uses Walker's alias method for more than 200 categories")
        p, perm = _revsort(p)
        j = np.searchsorted(np.cumsum(p)[:-1], self.unif(k), side="left")
        return perm[j]

    def sample_prob_noreplace(self, prob: np.ndarray, k: int) -> np.ndarray:
        p = np.asarray(prob, dtype=float) / np.sum(prob)
        p, perm = _revsort(p)
        total = 1.0
        out = np.empty(k, dtype=np.int64)
        for draw in range(k):
            n1 = len(p) - 1
            r_t = total * self.unif(1)[0]
            hit = np.flatnonzero(r_t <= np.cumsum(p[:n1]))
            j = int(hit[0]) if len(hit) else n1
            out[draw] = perm[j]
            total -= p[j]
            p = np.delete(p, j)
            perm = np.delete(perm, j)
        return out


def _revsort(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``revsort``: heap sort into decreasing order, carrying the 0-based permutation along."""
    a = [0.0, *a.tolist()]
    ib = list(range(-1, len(a) - 1))
    n = len(a) - 1
    if n > 1:
        low, ir = (n >> 1) + 1, n
        while True:
            if low > 1:
                low -= 1
                ra, ii = a[low], ib[low]
            else:
                ra, ii = a[ir], ib[ir]
                a[ir], ib[ir] = a[1], ib[1]
                ir -= 1
                if ir == 1:
                    a[1], ib[1] = ra, ii
                    break
            i, j = low, low << 1
            while j <= ir:
                if j < ir and a[j] > a[j + 1]:
                    j += 1
                if ra > a[j]:
                    a[i], ib[i] = a[j], ib[j]
                    i, j = j, j + j
                else:
                    j = ir + 1
            a[i], ib[i] = ra, ii
    return np.array(a[1:]), np.array(ib[1:], dtype=np.int64)


def make_unlinked(series: pd.DataFrame, m: int = 40, thres: float = 365, seed: int | None = 1,
                  rng: str = "r") -> pd.DataFrame:
    """A sample of unlinked pairs: crimes of different offender groups at most ``thres`` days apart.

    As ``crimelinkage::makeUnlinked``: for each crime group (:func:`crime_groups`), ``m`` of its
    crimes are drawn with replacement and paired with ``m`` crimes drawn without replacement from
    the other groups, each other crime weighted 1/(size of its group) so that large groups do not
    dominate; pairs more than ``thres`` days apart are dropped, then duplicates. ``rng="r"`` draws
    with R's generator so that the sample is R's for ``set.seed(seed)``; ``rng="numpy"`` uses
    NumPy's generator (same design, a different sample).
    """
    series = series.assign(CG=crime_groups(series))
    n_groups = int(series["CG"].max()) if len(series) else 0
    parts = []
    for _, grp in series.groupby("CG", sort=True):
        grp = grp[~grp["crimeID"].duplicated()]
        parts.append(grp.assign(wt=1.0 / ((n_groups - 1) * len(grp))))
    y = pd.concat(parts, ignore_index=True)
    group = y["CG"].to_numpy()
    weight = y["wt"].to_numpy()
    if rng == "r":
        gen = RRandom(seed if seed is not None else 1)
    elif rng == "numpy":
        gen = np.random.default_rng(seed)
    else:
        raise ValueError(f"rng must be 'r' or 'numpy', not {rng!r}")
    first, second = [], []
    everyone = np.arange(len(y))
    for g in range(1, n_groups + 1):
        own = np.flatnonzero(group == g)
        others = everyone[group != g]
        if isinstance(gen, RRandom):
            i1 = own[gen.sample_replace(len(own), m)]
            i2 = others[gen.sample_prob_noreplace(weight[others], m)]
        else:
            i1 = gen.choice(own, m, replace=True)
            i2 = gen.choice(others, m, replace=False, p=weight[others] / weight[others].sum())
        first.append(i1)
        second.append(i2)
    i1, i2 = np.concatenate(first), np.concatenate(second)
    t = y["TIME"].to_numpy()
    days = np.abs((t[i1] - t[i2]) / np.timedelta64(1, "s")) / _SECONDS_PER_DAY
    keep = days <= thres
    ids = y["crimeID"].to_numpy()
    a, b = _ordered(ids[i1][keep], ids[i2][keep])
    pairs = pd.DataFrame({"i1": a, "i2": b}).drop_duplicates().reset_index(drop=True)
    pairs["weight"] = 1.0
    pairs.attrs["num_groups"] = n_groups
    return pairs


def make_pairs(crimes: pd.DataFrame, offenders: pd.DataFrame, thres: float = 365, m: int = 40,
               seed: int | None = 1, rng: str = "r", time: str = "midpoint") -> pd.DataFrame:
    """Linked and unlinked training pairs, as ``set.seed(seed); makePairs(seriesData, thres, m)``.

    Returns columns ``i1``, ``i2`` (crime IDs, ``i1 < i2``), ``weight``, ``type`` ("linked" or
    "unlinked") and ``linked`` (1 or 0). On the crimelinkage example data with the defaults this
    gives the published 255 linked and 10,932 unlinked pairs exactly.
    """
    series = series_data(crimes, offenders, time=time)
    linked = make_linked(series, thres=thres).assign(type="linked", linked=1)
    unlinked = make_unlinked(series, m=m, thres=thres, seed=seed, rng=rng).assign(type="unlinked", linked=0)
    pairs = pd.concat([linked, unlinked], ignore_index=True)
    return pairs[["i1", "i2", "weight", "type", "linked"]]


# ---------------------------------------------------------------------------------------------
# expected differences of uncertain times
# ---------------------------------------------------------------------------------------------


def expected_abs_diff(a1, len1, a2, len2) -> np.ndarray:
    """E|X - Y| for X ~ U[a1, a1+len1], Y ~ U[a2, a2+len2] independent (exact, vectorised).

    Porter's ``expAbsDiff``: no overlap gives the difference of the midpoints; partial overlap and
    containment are split at the interval ends into pieces whose expectations are closed-form.
    Zero-length intervals (exactly known times) are allowed.
    """
    a1, len1, a2, len2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a1, len1, a2, len2)))
    swap = a1 > a2
    ax, lx = np.where(swap, a2, a1), np.where(swap, len2, len1)  # Sx: the earlier start
    ay, ly = np.where(swap, a1, a2), np.where(swap, len1, len2)
    bx, by = ax + lx, ay + ly
    out = (ay + ly / 2) - (ax + lx / 2)  # scenario 1: no overlap
    safe_lx = np.where(lx > 0, lx, 1.0)
    safe_ly = np.where(ly > 0, ly, 1.0)
    # scenario 2: partial overlap  ax <= ay < bx <= by
    s0, s1, s2 = ay - ax, bx - ay, by - bx
    m0, m1, m2 = ax + s0 / 2, ay + s1 / 2, bx + s2 / 2
    px0, px1 = s0 / safe_lx, s1 / safe_lx
    py1, py2 = s1 / safe_ly, s2 / safe_ly
    partial = (m1 - m0) * px0 * py1 + (m2 - m0) * px0 * py2 + (s1 / 3) * px1 * py1 + (m2 - m1) * px1 * py2
    # scenario 3: Y inside X  ax <= ay, by < bx
    c0, c1, c2 = ay - ax, by - ay, bx - by
    n0, n1, n2 = ax + c0 / 2, ay + c1 / 2, by + c2 / 2
    inside = (n1 - n0) * (c0 / safe_lx) + (c1 / 3) * (c1 / safe_lx) + (n2 - n1) * (c2 / safe_lx)
    overlap = bx > ay
    out = np.where(overlap & (bx <= by), partial, out)
    out = np.where(overlap & (bx > by), inside, out)
    return out


def _tri(z, period):
    r = np.mod(z, period)
    return np.minimum(r, period - r)


def _tri_g1(z, period):
    """First antiderivative (from 0) of the circular distance to 0."""
    k = np.floor(z / period)
    r = z - k * period
    h1 = np.where(r <= period / 2, r * r / 2, period * r - r * r / 2 - period * period / 4)
    return k * (period * period / 4) + h1


def _tri_g2(z, period):
    """Second antiderivative (from 0) of the circular distance to 0."""
    k = np.floor(z / period)
    r = z - k * period
    area = period * period / 4
    h2 = np.where(r <= period / 2, r**3 / 6,
                  period * r * r / 2 - r**3 / 6 - period * period * r / 4 + period**3 / 24)
    return area * period * k * (k - 1) / 2 + k * period**3 / 8 + k * area * r + h2


def expected_circular_diff(a1, len1, a2, len2, period: float, tol: float = 1e-4) -> np.ndarray:
    """Expected circular distance between X ~ U[a1, a1+len1] and Y ~ U[a2, a2+len2] on a circle.

    The circular distance is ``d(z) = min(z mod P, P - z mod P)`` (0 to P/2). For positive lengths
    the expectation is exact, by the double integral of the triangle wave:
    ``E d(X-Y) = [G(δ+L1) - G(δ) - G(δ+L1-L2) + G(δ-L2)] / (L1 L2)`` with ``δ = a1 - a2 (mod P)``
    and ``G`` the closed-form second antiderivative of ``d``; with one length zero the first
    antiderivative is used, with both zero ``d`` itself. An interval shorter than ``tol * P`` is
    treated as its midpoint (error at most ``tol * P / 4``, under 2 seconds of a day for the
    default) to avoid cancellation. Following Porter's ``expAbsDiff.circ``, an interval at least a
    full period long is taken as uniform round the circle and gives ``P / 4``. Porter's own code
    approximates the two-interval case by an FFT convolution on 2,000 bins.
    """
    a1, len1, a2, len2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a1, len1, a2, len2)))
    p = float(period)
    eps = tol * p
    point1, point2 = len1 < eps, len2 < eps
    c1 = np.where(point1, a1 + len1 / 2, a1)
    c2 = np.where(point2, a2 + len2 / 2, a2)
    l1 = np.where(point1, 0.0, len1)
    l2 = np.where(point2, 0.0, len2)
    delta = np.mod(c1 - c2, p)
    safe1 = np.where(point1, 1.0, l1)
    safe2 = np.where(point2, 1.0, l2)
    both = (_tri_g2(delta + l1, p) - _tri_g2(delta, p) - _tri_g2(delta + l1 - l2, p)
            + _tri_g2(delta - l2, p)) / (safe1 * safe2)
    only1 = (_tri_g1(delta + l1, p) - _tri_g1(delta, p)) / safe1  # Y a point
    only2 = (_tri_g1(delta, p) - _tri_g1(delta - l2, p)) / safe2  # X a point
    out = np.where(point1 & point2, _tri(delta, p),
                   np.where(point2, only1, np.where(point1, only2, both)))
    out = np.where((len1 >= p) | (len2 >= p), p / 4, out)
    return np.clip(out, 0.0, p / 2)


# ---------------------------------------------------------------------------------------------
# pair features
# ---------------------------------------------------------------------------------------------


class PreparedCrimes:
    """Per-crime arrays for :func:`compare_indices` (computed once, reused for many pairs)."""

    def __init__(self, crimes: pd.DataFrame, spatial: Sequence[str] = ("X", "Y"),
                 temporal: Sequence[str] = ("DT.FROM", "DT.TO"), categorical: Sequence[str] = ("MO1", "MO2", "MO3"),
                 numerical: Sequence[str] = (), longlat: bool = False):
        self.ids = crimes["crimeID"].astype(str).to_numpy()
        self.index = pd.Index(self.ids)
        if not self.index.is_unique:
            raise ValueError("crimeID must be unique")
        self.longlat = longlat
        self.xy = crimes[list(spatial)].to_numpy(dtype=float) if spatial else None
        if temporal:
            start = pd.to_datetime(crimes[temporal[0]])
            end = pd.to_datetime(crimes[temporal[1]]) if len(temporal) > 1 else start
            end = end.fillna(start)
            secs = (start - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
            length_s = ((end - start) / pd.Timedelta(seconds=1)).abs()
            self.day = secs.to_numpy(dtype=float) / _SECONDS_PER_DAY
            self.length_days = length_s.to_numpy(dtype=float) / _SECONDS_PER_DAY
            self.tod = np.mod(secs.to_numpy(dtype=float) / 3600.0, 24.0)
            self.dow = np.mod(self.day, 7.0)
        else:
            self.day = None
        self.categorical = {}
        for col in categorical:
            codes, _ = pd.factorize(crimes[col].astype("string"), use_na_sentinel=True)
            self.categorical[col] = codes
        self.numerical = {col: crimes[col].to_numpy(dtype=float) for col in numerical}

    def positions(self, crime_ids) -> np.ndarray:
        pos = self.index.get_indexer(pd.Index(np.asarray(crime_ids).astype(str)))
        if (pos < 0).any():
            missing = np.asarray(crime_ids)[pos < 0][:5]
            raise KeyError(f"crime IDs not in crimes: {list(missing)}")
        return pos


def compare_indices(prep: PreparedCrimes, i: np.ndarray, j: np.ndarray, categorical_na: str = "unknown") -> dict:
    """Pair features for crimes at positions ``i`` and ``j`` of ``prep`` (arrays of equal length)."""
    out: dict[str, np.ndarray] = {}
    if prep.xy is not None:
        if prep.longlat:
            lon1, lat1 = np.radians(prep.xy[i, 0]), np.radians(prep.xy[i, 1])
            lon2, lat2 = np.radians(prep.xy[j, 0]), np.radians(prep.xy[j, 1])
            h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
            out["spatial"] = 2 * 6378.137 * np.arcsin(np.sqrt(h))  # geosphere::distHaversine radius
        else:
            d = prep.xy[i] - prep.xy[j]
            out["spatial"] = np.sqrt((d * d).sum(axis=1)) / 1000.0
    if prep.day is not None:
        len1, len2 = prep.length_days[i], prep.length_days[j]
        out["temporal"] = expected_abs_diff(prep.day[i], len1, prep.day[j], len2)
        out["tod"] = expected_circular_diff(prep.tod[i], len1 * 24, prep.tod[j], len2 * 24, 24.0)
        out["dow"] = expected_circular_diff(prep.dow[i], len1, prep.dow[j], len2, 7.0)
    for col, codes in prep.categorical.items():
        c1, c2 = codes[i], codes[j]
        match = (c1 == c2).astype(float)
        na1, na2 = c1 < 0, c2 < 0
        if categorical_na == "unknown":
            match[na1 | na2] = np.nan
        elif categorical_na == "crimelinkage":  # R: NA with NA is a match, NA with a value is not
            match[na1 ^ na2] = 0.0
        else:
            raise ValueError("categorical_na must be 'unknown' or 'crimelinkage'")
        out[col] = match
    for col, values in prep.numerical.items():
        out[col] = np.abs(values[i] - values[j])
    return out


def compare_crimes(crimes: pd.DataFrame | PreparedCrimes, pairs: pd.DataFrame, *, spatial: Sequence[str] = ("X", "Y"),
                   temporal: Sequence[str] = ("DT.FROM", "DT.TO"), categorical: Sequence[str] = ("MO1", "MO2", "MO3"),
                   numerical: Sequence[str] = (), longlat: bool = False,
                   categorical_na: str = "unknown") -> pd.DataFrame:
    """Porter's pair features for every pair in ``pairs`` (columns ``i1``, ``i2`` of crime IDs), vectorised.

    Returns a frame with ``i1``, ``i2`` and the features ``spatial`` (km; haversine if
    ``longlat``), ``temporal`` (days), ``tod`` (hours, 0-12), ``dow`` (days, 0-3.5), one match
    indicator per categorical column and an absolute difference per numerical column, indexed like
    ``pairs``. A categorical value missing for either crime gives NaN ("unknown") by default;
    ``categorical_na="crimelinkage"`` copies R's convention (missing with missing is a match,
    missing with a value a mismatch).
    """
    prep = crimes if isinstance(crimes, PreparedCrimes) else PreparedCrimes(
        crimes, spatial=spatial, temporal=temporal, categorical=categorical, numerical=numerical, longlat=longlat)
    i = prep.positions(pairs["i1"].to_numpy())
    j = prep.positions(pairs["i2"].to_numpy())
    features = compare_indices(prep, i, j, categorical_na=categorical_na)
    frame = pd.DataFrame({"i1": pairs["i1"].to_numpy(), "i2": pairs["i2"].to_numpy(), **features})
    frame.index = pairs.index
    return frame


def all_pairs(crimes: pd.DataFrame) -> pd.DataFrame:
    """Every unordered pair of crimes in ``crimes`` (n(n-1)/2 rows, columns ``i1``, ``i2``)."""
    ids = crimes["crimeID"].astype(str).to_numpy()
    i, j = np.triu_indices(len(ids), k=1)
    return pd.DataFrame({"i1": ids[i], "i2": ids[j]})


# ---------------------------------------------------------------------------------------------
# held-out evaluation
# ---------------------------------------------------------------------------------------------


def split_pairs(pairs: pd.DataFrame, crimes: pd.DataFrame, offenders: pd.DataFrame, *, by: str = "pairs",
                seed: int = 0, test_share: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions of ``pairs`` for one random split.

    ``by="pairs"``: pairs drawn at random (stratified by ``linked``), as crimelinkage's vignette
    and the peer split; a crime can then be in a training and a test pair, which flatters every
    method alike. ``by="crimes"``: whole crime groups (an offender with all co-offenders, see
    :func:`crime_groups`) are held out, in random order, until ``test_share`` of the solved crimes
    are; test pairs have both crimes held out, training pairs neither, and pairs across are dropped,
    so no offender is seen in training and test (stricter; fewer test pairs).
    """
    rows = np.arange(len(pairs))
    if by == "pairs":
        from sklearn.model_selection import train_test_split

        train, test = train_test_split(rows, test_size=test_share, random_state=seed, stratify=pairs["linked"])
        return np.sort(train), np.sort(test)
    if by != "crimes":
        raise ValueError(f"by must be 'pairs' or 'crimes', not {by!r}")
    series = series_data(crimes, offenders)
    group_of = dict(zip(series["crimeID"], crime_groups(series), strict=True))
    size = series.drop_duplicates("crimeID")["crimeID"].map(group_of).value_counts()
    order = np.random.default_rng(seed).permutation(np.sort(size.index.to_numpy()))
    held = order[np.cumsum(size.reindex(order).to_numpy()) <= test_share * size.sum()]
    side1 = np.isin(pairs["i1"].map(group_of).to_numpy(), held)
    side2 = np.isin(pairs["i2"].map(group_of).to_numpy(), held)
    return rows[~side1 & ~side2], rows[side1 & side2]


# ---------------------------------------------------------------------------------------------
# speed
# ---------------------------------------------------------------------------------------------


def pairs_per_second(crimes: pd.DataFrame, pairs: pd.DataFrame, repeat: int = 5, **options) -> dict:
    """Time :func:`compare_crimes` on ``pairs`` (from the crimes table: preparation included).

    Returns ``{"pairs", "seconds", "pairs_per_s"}`` for the best of ``repeat`` runs (the usual
    convention for timing a deterministic computation: the least disturbed run).
    """
    best = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        compare_crimes(crimes, pairs, **options)
        best = min(best, time.perf_counter() - t0)
    return {"pairs": len(pairs), "seconds": best, "pairs_per_s": len(pairs) / best if best > 0 else float("inf")}


def time_all_pairs(crimes: pd.DataFrame, repeat: int = 3, **options) -> dict:
    """Time the features of all n(n-1)/2 pairs of ``crimes`` (pair listing included)."""
    best = float("inf")
    n = 0
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        pairs = all_pairs(crimes)
        compare_crimes(crimes, pairs, **options)
        best = min(best, time.perf_counter() - t0)
        n = len(pairs)
    return {"pairs": n, "seconds": best, "pairs_per_s": n / best if best > 0 else float("inf")}
