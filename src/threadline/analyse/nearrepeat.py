"""Near repeats: the Knox test for space-time clustering of events.

The Knox test (Knox 1964, "The detection of space-time interactions", Journal of the Royal
Statistical Society C 13(1)) counts the pairs of events that are close both in space and in time
and asks whether there are more such pairs than there would be if when an event happened had
nothing to do with where. Crime analysts use it to find *near repeats*: after a burglary, the
houses nearby are at raised risk for a few days or weeks (Johnson et al. 2007, "Space-time
patterns of risk: a cross national assessment of residential burglary victimization", Journal of
Quantitative Criminology 23(3); Ratcliffe and Rengert 2008, "Near-repeat patterns in
Philadelphia shootings", Security Journal 21(1-2)).

Every pair of events falls into one spatial band and one temporal band; the table of those counts
is the *observed* table. The null distribution is built as the Near Repeat Calculator (NRC,
J. Ratcliffe, version 1.3) and the R package NearRepeat (W. Steenbeek,
https://github.com/wsteenbeek/NearRepeat) build it: the dates are shuffled among the events,
keeping every location, and the table is counted again, ``permutations`` times. For each cell:

- the Knox ratio is observed / mean of the permuted counts (and observed / median);
- the p-value is (number of permuted counts >= observed + 1) / (permutations + 1), as in
  NearRepeat (one-sided: more pairs than chance).

Bands are half-open intervals [a, b), as NearRepeat's defaults; a last break of ``inf`` gives an
open-ended band ("More than 300" in the NRC). The NRC labels a band "a to b" but counts
[a-1, b), computes distances in single precision, and runs one iteration fewer than it is asked
for: to reproduce an NRC table, pass its breaks minus one (``nrc_breaks``), ``precision="float32"``
and the number of iterations it actually ran.

How it is computed: the spatial band of each pair is fixed, so it is found once, and only for the
pairs closer than the largest finite spatial break (a k-d tree query, so 11,701 events need
~170,000 pairs, not 68 million). A permutation changes only the time gaps of those pairs; they are
binned for a batch of permutations at once (a table look-up on whole-day gaps and one
``bincount``). An open-ended last spatial band needs every pair, but shuffling dates among events
does not change the multiset of all pairwise time gaps, so the open-ended row is the per-column
total over all pairs (counted once from the sorted dates) minus the near pairs' counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.errors import InputError

DISTANCES = ("manhattan", "euclidean")
PRECISIONS = ("float64", "float32")
DEFAULT_PERMUTATIONS = 999
#: Permuted pair gaps handled per batch (elements of the batch x pairs array): ~50 MB of int32 work.
BATCH_ELEMENTS = 4_000_000
#: Longest span of days binned through a look-up table (longer spans use a binary search per gap).
LUT_MAX = 5_000_000

_ISO_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[T ].*)?\s*$")


# ---------------------------------------------------------------------------------------------
# Bands


def band_labels(breaks: Sequence[float]) -> list[str]:
    """Labels of the half-open bands between ``breaks``, as R's ``cut(..., right=FALSE)``: ``[0,0.1)``."""
    text = [_fmt_break(b) for b in breaks]
    return [f"[{a},{b})" for a, b in zip(text[:-1], text[1:], strict=True)]


def _fmt_break(value: float) -> str:
    if math.isinf(value):
        return "Inf"
    return format(float(value), ".10g")


def check_bands(breaks: Sequence[float], name: str) -> tuple[float, ...]:
    """``breaks`` as floats, or an :class:`InputError`: at least two, finite, >= 0, increasing; last may be inf."""
    try:
        values = tuple(float(b) for b in breaks)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers, got {list(breaks)!r}") from None
    shown = ",".join(_fmt_break(v) for v in values)
    if len(values) < 2:
        raise InputError(f"{name} needs at least two breaks (one band), got {shown or 'none'}")
    if any(math.isnan(v) for v in values) or any(math.isinf(v) for v in values[:-1]) or values[-1] == -math.inf:
        raise InputError(f"{name} must be finite numbers (only the last may be Inf), got {shown}")
    if values[0] < 0:
        raise InputError(f"{name} must start at 0 or more (distances are never negative), got {shown}")
    if any(b <= a for a, b in zip(values[:-1], values[1:], strict=True)):
        raise InputError(f"{name} must increase strictly, got {shown}")
    return values


def parse_bands(text: str, name: str) -> tuple[float, ...]:
    """Parse ``"0,0.1,200,400,600"`` (``Inf`` allowed last) into checked breaks."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    values = []
    for part in parts:
        try:
            values.append(float(part))
        except ValueError:
            raise InputError(f"{name} {text!r}: {part!r} is not a number (write e.g. 0,0.1,200,400,600)") from None
    return check_bands(values, name)


def nrc_breaks(bandwidth: float, bands: int) -> tuple[float, ...]:
    """Breaks whose half-open bands count what the NRC counts for ``bands`` bands of ``bandwidth``.

    For space, the NRC's rows "Same location", "1 to 100", "101 to 200", "201 to 300", "More than
    300" count [0, 0.01), [0.01, 100), [100, 200), [200, 300), [300, Inf): "same location" is
    distance 0 (0.01 is below the smallest non-zero single-precision distance between projected
    coordinates) and "a to b" is [a-1, b). For time, its columns "0 to 7", "8 to 14", "15 to 21",
    "More than 21" count [0, 7), [7, 14), [14, 21), [21, Inf): :func:`nrc_time_breaks`.
    """
    return (0.0, 0.01, *(bandwidth * k for k in range(1, bands + 1)), math.inf)


def nrc_time_breaks(bandwidth: float, bands: int) -> tuple[float, ...]:
    """Temporal breaks whose bands count what the NRC's columns count: ``(0, w, 2w, ..., bands*w, inf)``."""
    return (0.0, *(bandwidth * k for k in range(1, bands + 1)), math.inf)


# ---------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True)
class KnoxResult:
    """The Knox test's tables: rows are spatial bands, columns temporal bands.

    ``simulated`` holds every permuted table (``permutations x rows x columns``), from which the
    ratios and p-values are computed, so Monte Carlo error can be judged from it.
    """

    observed: np.ndarray
    knox_ratio: np.ndarray
    knox_ratio_median: np.ndarray
    pvalues: np.ndarray
    space_bands: tuple[float, ...]
    time_bands: tuple[float, ...]
    space_labels: tuple[str, ...]
    time_labels: tuple[str, ...]
    n_events: int
    permutations: int
    seed: int | None
    distance: str
    precision: str = "float64"
    simulated: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0), dtype=np.int64))

    @property
    def n_pairs(self) -> int:
        """All pairs of events, in a band or not."""
        return self.n_events * (self.n_events - 1) // 2

    @property
    def expected_mean(self) -> np.ndarray:
        return self.simulated.mean(axis=0)

    @property
    def expected_median(self) -> np.ndarray:
        return np.median(self.simulated, axis=0)

    def table(self, what: str) -> pd.DataFrame:
        """One table (``observed``, ``knox_ratio``, ``knox_ratio_median``, ``pvalues``) with band labels."""
        if what not in ("observed", "knox_ratio", "knox_ratio_median", "pvalues"):
            raise ValueError(f"no table {what!r}")
        return pd.DataFrame(getattr(self, what), index=pd.Index(self.space_labels, name="space"),
                            columns=pd.Index(self.time_labels, name="time"))

    def to_frame(self, layout: str = "long") -> pd.DataFrame:
        """The results as a frame.

        ``long``: one row per (spatial band, temporal band) with its bounds, observed count, mean and
        median permuted count, both Knox ratios and the p-value. ``wide``: one row per spatial band,
        with columns ``observed [0,7)``, ..., ``knox_ratio ...``, ``knox_ratio_median ...``,
        ``p_value ...``, the NRC's and NearRepeat's tables side by side.
        """
        if layout == "long":
            s_idx, t_idx = np.meshgrid(np.arange(len(self.space_labels)), np.arange(len(self.time_labels)),
                                       indexing="ij")
            s_idx, t_idx = s_idx.ravel(), t_idx.ravel()
            sb, tb = np.asarray(self.space_bands), np.asarray(self.time_bands)
            return pd.DataFrame({
                "space_band": np.asarray(self.space_labels)[s_idx],
                "time_band": np.asarray(self.time_labels)[t_idx],
                "space_from": sb[s_idx], "space_to": sb[s_idx + 1],
                "time_from": tb[t_idx], "time_to": tb[t_idx + 1],
                "observed": self.observed.ravel(),
                "expected_mean": self.expected_mean.ravel(),
                "expected_median": self.expected_median.ravel(),
                "knox_ratio": self.knox_ratio.ravel(),
                "knox_ratio_median": self.knox_ratio_median.ravel(),
                "p_value": self.pvalues.ravel(),
            })
        if layout == "wide":
            parts = {"observed": self.observed, "knox_ratio": self.knox_ratio,
                     "knox_ratio_median": self.knox_ratio_median, "p_value": self.pvalues}
            columns = {f"{name} {label}": values[:, j] for name, values in parts.items()
                       for j, label in enumerate(self.time_labels)}
            return pd.DataFrame(columns, index=pd.Index(self.space_labels, name="space_band")).reset_index()
        raise ValueError(f"layout must be 'long' or 'wide', not {layout!r}")

    def to_csv(self, path: str | Path, layout: str = "long") -> Path:
        path = Path(path)
        self.to_frame(layout).to_csv(path, index=False)
        return path


# ---------------------------------------------------------------------------------------------
# The test


def knox_test(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    times: Sequence | np.ndarray,
    space_bands: Sequence[float],
    time_bands: Sequence[float],
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = None,
    distance: str = "manhattan",
    precision: str = "float64",
    progress: Callable[[int, int], None] | None = None,
) -> KnoxResult:
    """The Knox test with Monte Carlo inference, as NearRepeat's ``NearRepeat()`` and the NRC compute it.

    Parameters
    ----------
    x, y: coordinates in a projected system (metres or feet); the spatial bands are in those units.
    times: whole days: ``datetime64``/``date`` values, or integers (day numbers, or any whole unit
        if the temporal bands are in that unit).
    space_bands, time_bands: increasing breaks; bands are half-open [a, b); the last may be ``inf``.
    permutations: Monte Carlo permutations (999 as in NearRepeat). The NRC runs one fewer than asked.
    seed: seed of :func:`numpy.random.default_rng`; the same seed gives the same result.
    distance: ``manhattan`` (NearRepeat's and the NRC's default) or ``euclidean``.
    precision: ``float64``, or ``float32`` to compute distances in single precision as the NRC does
        (NRC compatibility: a pair at 399.96 m becomes 400 m and changes band).
    progress: called as ``progress(done, total)`` after each batch of permutations.
    """
    if distance not in DISTANCES:
        raise InputError(f"distance must be one of {', '.join(DISTANCES)}, not {distance!r}")
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if int(permutations) != permutations or permutations < 2:
        raise InputError(f"permutations must be a whole number of at least 2, not {permutations!r}")
    permutations = int(permutations)
    sds = check_bands(space_bands, "space bands")
    tds = check_bands(time_bands, "time bands")
    xs = np.asarray(x, dtype=float).ravel()
    ys = np.asarray(y, dtype=float).ravel()
    days = _as_days(times)
    n = len(days)
    if not (len(xs) == len(ys) == n):
        raise InputError(f"x, y and times differ in length ({len(xs)}, {len(ys)}, {n})")
    if n < 2:
        raise InputError(f"the Knox test needs at least 2 events (pairs of events), got {n}")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise InputError("x and y must be finite numbers (drop or fix events without a location)")

    # Day numbers from the first day: small whole numbers, so gaps are int32 and index a look-up table.
    days = days - days.min()
    days = days.astype(np.int32) if days.max() < 2**31 else days
    plan = _Plan.build(xs, ys, days, sds, tds, distance, precision)
    observed = plan.tables(days[None, :])[0]

    rng = np.random.default_rng(seed)
    simulated = np.empty((permutations, *observed.shape), dtype=np.int64)
    batch = max(1, min(permutations, BATCH_ELEMENTS // max(plan.n_near, 1)))
    shuffled = np.empty((batch, n), dtype=days.dtype)
    done = 0
    while done < permutations:
        size = min(batch, permutations - done)
        for b in range(size):  # one permutation per draw: the stream does not depend on the batch size
            shuffled[b] = rng.permutation(days)
        simulated[done:done + size] = plan.tables(shuffled[:size])
        done += size
        if progress is not None:
            progress(done, permutations)

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = observed / simulated.mean(axis=0)
        ratio_median = observed / np.median(simulated, axis=0)
    pvalues = ((simulated >= observed[None]).sum(axis=0) + 1) / (permutations + 1)
    return KnoxResult(
        observed=observed, knox_ratio=ratio, knox_ratio_median=ratio_median, pvalues=pvalues,
        space_bands=sds, time_bands=tds, space_labels=tuple(band_labels(sds)), time_labels=tuple(band_labels(tds)),
        n_events=n, permutations=permutations, seed=seed, distance=distance, precision=precision,
        simulated=simulated,
    )


def _as_days(times) -> np.ndarray:
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        if np.isnat(arr).any():
            raise InputError("times must all be dates (one is missing)")
        return arr.astype("datetime64[D]").astype(np.int64)
    if arr.dtype.kind == "O":
        try:
            arr = np.asarray(pd.to_datetime(pd.Series(arr)).to_numpy())
        except (ValueError, TypeError):
            raise InputError("times must be dates or whole day numbers") from None
        return _as_days(arr)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64).ravel()
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise InputError("times must be whole days (or another whole unit); got fractions or missing values")
        return arr.astype(np.int64).ravel()
    raise InputError(f"times must be dates or whole day numbers, not {arr.dtype}")


@dataclass
class _Plan:
    """What every permutation reuses: the near pairs, their spatial bins, the time-gap look-up."""

    i: np.ndarray  # first event of each near pair (int32)
    j: np.ndarray  # second event
    space_base: np.ndarray  # internal spatial bin x number of internal time bins, per near pair
    lut: np.ndarray | None  # whole-day gap -> internal time bin (None for very long spans: search instead)
    t_finite: np.ndarray  # the finite temporal breaks
    n_space_internal: int  # 0 = below the first break, 1.. = finite bands
    n_time_internal: int  # 0 = below the first break, 1.. = finite bands, last = at or past the last finite break
    space_rows: np.ndarray  # internal spatial bins kept in the table (finite bands)
    time_cols: np.ndarray  # internal time bins kept in the table
    open_space: bool  # the last spatial band is [a, Inf)
    column_totals: np.ndarray  # all pairs (any distance) per internal time bin: permutation-invariant

    @property
    def n_near(self) -> int:
        return len(self.i)

    @classmethod
    def build(cls, xs, ys, days, sds, tds, distance, precision) -> _Plan:
        from scipy.spatial import cKDTree

        open_space = math.isinf(sds[-1])
        s_finite = np.asarray(sds[:-1] if open_space else sds)
        open_time = math.isinf(tds[-1])
        t_finite = np.asarray(tds[:-1] if open_time else tds)

        ftype = np.float32 if precision == "float32" else np.float64
        cx, cy = xs.astype(ftype), ys.astype(ftype)
        reach = float(s_finite[-1])
        # Candidate pairs from a k-d tree on the coordinates as they will be used, with a margin for
        # rounding in the band arithmetic; the exact distance below decides.
        tree = cKDTree(np.column_stack([cx.astype(np.float64), cy.astype(np.float64)]))
        margin = reach * 1e-5 + 1e-6
        pairs = tree.query_pairs(reach + margin, p=1 if distance == "manhattan" else 2, output_type="ndarray")
        pi, pj = pairs[:, 0], pairs[:, 1]
        dx, dy = np.abs(cx[pi] - cx[pj]), np.abs(cy[pi] - cy[pj])
        # In the working precision (float32 for the NRC), then compared with the breaks exactly.
        dist = (dx + dy if distance == "manhattan" else np.sqrt(dx * dx + dy * dy)).astype(np.float64)
        near = dist < reach
        pi, pj, dist = pi[near], pj[near], dist[near]
        s_bin = np.searchsorted(s_finite, dist, side="right")  # 0 = below the first break, k = band k
        order = np.lexsort((pj, pi))  # a fixed order: results do not depend on the tree's
        pi, pj, s_bin = pi[order], pj[order], s_bin[order]

        n_time_internal = len(t_finite) + 1
        span = int(days.max() - days.min())
        lut = np.searchsorted(t_finite, np.arange(span + 1), side="right").astype(np.int32) if span <= LUT_MAX else None

        space_rows = np.arange(1, len(s_finite))
        time_cols = np.arange(1, len(t_finite) + (1 if open_time else 0))
        column_totals = _gap_counts(days, t_finite) if open_space else np.zeros(n_time_internal, dtype=np.int64)
        index_type = np.int32 if len(days) < 2**31 else np.int64
        return cls(
            i=pi.astype(index_type), j=pj.astype(index_type),
            space_base=(s_bin * n_time_internal).astype(np.int32), lut=lut, t_finite=t_finite,
            n_space_internal=len(s_finite), n_time_internal=n_time_internal,
            space_rows=space_rows, time_cols=time_cols, open_space=open_space, column_totals=column_totals,
        )

    def tables(self, day_rows: np.ndarray) -> np.ndarray:
        """Tables (``rows x space x time``) for each row of ``day_rows`` (dates in event order)."""
        batch = day_rows.shape[0]
        cells = self.n_space_internal * self.n_time_internal
        if self.n_near:
            gaps = day_rows[:, self.i]
            gaps -= day_rows[:, self.j]
            np.abs(gaps, out=gaps)
            if self.lut is not None:
                codes = self.lut[gaps]
            else:
                codes = np.searchsorted(self.t_finite, gaps, side="right").astype(np.int32)
            codes += self.space_base
            codes += (np.arange(batch, dtype=np.int32) * cells)[:, None]
            counts = np.bincount(codes.ravel(), minlength=batch * cells)
        else:
            counts = np.zeros(batch * cells, dtype=np.int64)
        internal = counts.reshape(batch, self.n_space_internal, self.n_time_internal)
        out = internal[:, self.space_rows][:, :, self.time_cols]
        if self.open_space:
            far = self.column_totals[None, :] - internal.sum(axis=1)
            out = np.concatenate([out, far[:, None, self.time_cols]], axis=1)
        return out.astype(np.int64)


def _gap_counts(days: np.ndarray, t_finite: np.ndarray) -> np.ndarray:
    """Pairs of all events per internal time bin (below the first break, each band, at or past the last)."""
    s = np.sort(days)
    n = len(s)
    total = n * (n - 1) // 2
    idx = np.arange(n)

    def fewer_than(v: float) -> int:  # pairs with a gap < v
        if v <= 0:
            return 0
        return int((np.searchsorted(s, s + v, side="left") - idx - 1).sum())

    below = np.array([fewer_than(v) for v in t_finite] + [total], dtype=np.int64)
    return np.diff(np.concatenate([[0], below]))


# ---------------------------------------------------------------------------------------------
# Reading events from a file


@dataclass(frozen=True)
class Events:
    """Events read from a file: coordinates and whole days (days since 1970-01-01)."""

    x: np.ndarray
    y: np.ndarray
    days: np.ndarray
    source: Path
    #: Rows left out because their x, y or date was empty (spreadsheet row numbers).
    skipped_rows: tuple[int, ...] = ()

    @property
    def skipped(self) -> int:
        return len(self.skipped_rows)

    def __len__(self) -> int:
        return len(self.days)

    @property
    def first_day(self) -> np.datetime64:
        return np.datetime64(int(self.days.min()), "D")

    @property
    def last_day(self) -> np.datetime64:
        return np.datetime64(int(self.days.max()), "D")


def read_events(path: str | Path, *, x: str, y: str, date: str, header: bool = True,
                skip_missing: bool = True) -> Events:
    """Read the ``x``, ``y`` and ``date`` columns of a CSV (or XLSX) file for :func:`knox_test`.

    With ``header=False`` the columns are given by number, the first being 1. Dates are ISO
    (``2016-01-31``, or a date and time, of which the date is used). A missing column, a value
    that is not a number or a date, or (with ``skip_missing=False``) an empty value is an
    :class:`InputError` naming the file, row and field; rows count as a spreadsheet counts them.
    By default rows with an empty x, y or date are left out and listed in ``skipped_rows``, as
    NearRepeat removes events with a missing value; blank lines are ignored.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, header=0 if header else None, keep_default_na=False)
        else:
            frame = pd.read_csv(path, dtype=str, header=0 if header else None, keep_default_na=False,
                                skip_blank_lines=False, encoding="utf-8-sig", skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read it as a table ({str(exc).splitlines()[0]})", file=path) from None
    first_row = 2 if header else 1
    columns = {role: _column(frame, spec, header, path) for role, spec in (("x", x), ("y", y), ("date", date))}
    values = {role: frame[col].fillna("").astype(str).str.strip() for role, col in columns.items()}
    names = {role: str(col) if header else f"column {int(col) + 1}" for role, col in columns.items()}

    blank_line = (frame.fillna("").astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1).to_numpy()
    empty = np.zeros(len(frame), dtype=bool)
    for role in ("x", "y", "date"):
        missing = (values[role] == "").to_numpy() & ~blank_line
        if missing.any() and not skip_missing:
            row = int(np.flatnonzero(missing)[0]) + first_row
            raise InputError("is empty (every event needs x, y and a date)",
                             file=path, row=row, field=names[role])
        empty |= missing
    keep = ~(empty | blank_line)

    coords = {}
    for role in ("x", "y"):
        number = pd.to_numeric(values[role].where(keep, "0"), errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(number) & keep
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(f"{values[role].iloc[k]!r} is not a number", file=path, row=k + first_row,
                             field=names[role])
        coords[role] = number[keep]
    text = values["date"].where(keep, "1970-01-01")
    day_text = text.str.extract(_ISO_DATE, expand=False)
    parsed = pd.to_datetime(day_text, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna().to_numpy() & keep
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"{text.iloc[k]!r} is not a date like 2016-01-31", file=path, row=k + first_row,
                         field=names["date"])
    days = parsed.to_numpy().astype("datetime64[D]").astype(np.int64)[keep]
    return Events(x=coords["x"], y=coords["y"], days=days, source=path,
                  skipped_rows=tuple(int(k) + first_row for k in np.flatnonzero(empty)))


def _column(frame: pd.DataFrame, spec: str, header: bool, path: Path):
    if not header:
        try:
            number = int(str(spec))
        except ValueError:
            raise InputError(f"without a header row, give columns by number (1 = first), not {spec!r}",
                             file=path, field=str(spec)) from None
        if not 1 <= number <= frame.shape[1]:
            raise InputError(f"no column {number}: the file has {frame.shape[1]} columns", file=path, field=str(spec))
        return frame.columns[number - 1]
    if spec in frame.columns:
        return spec
    folded = [c for c in frame.columns if str(c).strip().lower() == str(spec).strip().lower()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(str(c) for c in frame.columns[:12]) + (", ..." if frame.shape[1] > 12 else "")
    raise InputError(f"no such column (the columns are: {shown})", file=path, row=1, field=str(spec))
