"""Statistical disclosure control for published two-way tables of counts.

Tables of young people who are suspects, victims or offenders must not reveal small numbers: a count
of 1 or 2 in a small area and ethnic group can identify a child. This module follows the threshold
rule of the ONS ("Statistical disclosure control", ONS methodology) and the GSS policy "Disclosure
control for tables produced from administrative data", and primary and secondary cell suppression as
set out by Hundepool, Domingo-Ferrer, Franconi, Giessing, Schulte Nordholt, Spicer and de Wolf (2012),
*Statistical Disclosure Control*, Wiley, chapters 4 and 5. Suppressed values are shown as ``[c]``
(confidential), the symbol of the GSS guidance on symbols in tables.

Primary suppression
    An interior cell with ``0 < value < threshold`` is suppressed. Zeros are published when
    ``zero_safe``: in a table of offenders a zero says only that nobody in that cell is an offender, it
    reveals no attribute of any person (the GSS policy calls such zeros non-disclosive unless the cell
    is a whole population). With ``zero_safe=False`` zeros are suppressed as well. Row totals, column
    totals and the grand total are published (from the unsuppressed data) unless they too are small,
    when they are primary suppressions.

Secondary suppression
    A lone suppressed cell in a row is the row total minus the published cells. Each primary cell is
    therefore protected by a *rectangle* of the table extended with its margins: the cell ``(i, j)``
    and three more cells ``(i, l)``, ``(k, j)``, ``(k, l)``, all suppressed, along which the attacker
    cannot tell the cell from ``value + t`` for ``t`` up to ``threshold - value``. This is the
    two-way case of the hypercube method (Repsilber 1994; Giessing and Repsilber 2002; Hundepool et al.
    2012, section 4.4). Among valid rectangles the cheapest is taken: fewest new suppressions of the
    grand total, then of other margins, then of cells, then the smallest sum of newly suppressed values,
    so cells already suppressed (which serve several equations) are preferred. Only positive cells are
    suppressed as secondaries. Every row and column equation, margins included, so ends with no
    suppressed cell or at least two.

What is guaranteed
    Because more suppression only widens what the attacker cannot rule out, each primary cell's own
    rectangle proves (i) that no suppressed cell, primary or secondary, is exactly derivable from the
    published table, the grand total included, and (ii) that the attacker's upper bound for each
    primary cell is at least ``threshold``, so the published table does not show it to be small: the
    feasible interval is never wholly within ``[1, threshold - 1]`` (nor ``[0, threshold - 1]``).
    :func:`feasible_intervals` is the attacker's linear programme (Fischetti and Salazar-Gonzalez 2000,
    *JASA* 95) and audits both claims. The guarantee holds for one table; linked tables (the same
    people cut by another variable, or the same table for another year and its difference) need to be
    suppressed together, which this module does not do. The attacker's lower bound is not protected: a
    small cell may be shown to be at least 1, which with ``zero_safe`` anyone knows anyway.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog

#: Counts from 1 to ``THRESHOLD - 1`` are suppressed.
THRESHOLD = 5
#: The label of the margins in :meth:`SuppressedTable.published`.
TOTAL = "Total"
#: What :func:`render` shows for a suppressed value.
CONFIDENTIAL = "[c]"
#: Columns of a rate table blanked with a suppressed count (those present are blanked).
RATE_COLUMNS = ("count", "rate", "rate_low", "rate_high", "rri", "rri_low", "rri_high", "of_suspects",
                "of_suspects_rri", "of_suspects_rri_low", "of_suspects_rri_high")
#: Columns of a rate table whose values depend on the reference group's count.
RRI_COLUMNS = ("rri", "rri_low", "rri_high", "of_suspects_rri", "of_suspects_rri_low", "of_suspects_rri_high")


def render(value) -> str:
    """A published value as text: ``[c]`` when suppressed (None or NaN), else the number with commas."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return CONFIDENTIAL
    if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating)) and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{value:,}"


@dataclass(frozen=True)
class Margin:
    """The grand total: its value, whether it is suppressed and why."""

    value: int
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class SuppressedTable:
    """A two-way table after primary and secondary suppression.

    ``cells`` is long (the ``row`` and ``col`` key columns, ``value``, ``suppressed``, ``reason``);
    ``row_totals`` and ``col_totals`` have the key, ``value``, ``suppressed`` and ``reason``; ``reason``
    is ``"primary"``, ``"secondary"`` or None. Values are the true values; use :meth:`published`.
    """

    cells: pd.DataFrame
    row_totals: pd.DataFrame
    col_totals: pd.DataFrame
    grand_total: Margin
    row: str
    col: str
    value: str = "count"
    threshold: int = THRESHOLD
    zero_safe: bool = True
    rows: tuple = field(default=())
    cols: tuple = field(default=())

    def published(self) -> pd.DataFrame:
        """The table as published: rows x columns plus a ``Total`` row and column, None where suppressed."""
        wide = pd.DataFrame(None, index=pd.Index([*self.rows, TOTAL], dtype=object, name=self.row),
                            columns=pd.Index([*self.cols, TOTAL], dtype=object, name=self.col), dtype=object)
        for r, c, v, s in self.cells[[self.row, self.col, self.value, "suppressed"]].itertuples(index=False):
            wide.at[r, c] = None if s else int(v)
        for r, v, s in self.row_totals[[self.row, self.value, "suppressed"]].itertuples(index=False):
            wide.at[r, TOTAL] = None if s else int(v)
        for c, v, s in self.col_totals[[self.col, self.value, "suppressed"]].itertuples(index=False):
            wide.at[TOTAL, c] = None if s else int(v)
        wide.at[TOTAL, TOTAL] = None if self.grand_total.suppressed else int(self.grand_total.value)
        return wide

    def rendered(self) -> pd.DataFrame:
        """:meth:`published` as text, ``[c]`` for suppressed values."""
        return self.published().map(render)

    def n_suppressed(self) -> dict:
        """How many values were suppressed, by reason, interior and margins together."""
        reasons = pd.concat([self.cells["reason"], self.row_totals["reason"], self.col_totals["reason"],
                             pd.Series([self.grand_total.reason])])
        return {"primary": int((reasons == "primary").sum()), "secondary": int((reasons == "secondary").sum())}


# --------------------------------------------------------------------------------------------------
# Suppression
# --------------------------------------------------------------------------------------------------


def _is_small(v: int, threshold: int, zero_safe: bool) -> bool:
    return (0 < v < threshold) or (v == 0 and not zero_safe)


def _extended(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The table with its margins as an (R+1) x (C+1) array, and the signs that make every line sum to 0."""
    n_r, n_c = x.shape
    ext = np.zeros((n_r + 1, n_c + 1), dtype=np.int64)
    ext[:n_r, :n_c] = x
    ext[:n_r, n_c] = x.sum(axis=1)
    ext[n_r, :n_c] = x.sum(axis=0)
    ext[n_r, n_c] = x.sum()
    s_r = np.ones(n_r + 1)
    s_r[-1] = -1
    s_c = np.ones(n_c + 1)
    s_c[-1] = -1
    return ext, np.outer(s_r, s_c)


def _protect(ext: np.ndarray, sign: np.ndarray, supp: np.ndarray, reason: np.ndarray, threshold: int) -> None:
    """Add secondary suppressions so each primary cell sits in a suppressed rectangle (in place).

    Along the rectangle (i, j), (i, l), (k, j), (k, l) the signed values ``sign * ext`` change by
    +t, -t, -t, +t without changing any published sum; in true values a corner changes by
    ``sign[corner] * sign[i, j] * (+-t)``. The primary cell goes up by ``t`` while every corner that
    goes down stays non-negative, which needs those corners to be at least ``threshold - value``.
    """
    n_r, n_c = ext.shape
    grand = (n_r - 1, n_c - 1)
    primaries = [(i, j) for i in range(n_r) for j in range(n_c) if reason[i, j] == "primary"]
    # interior cells first, the smallest first: they have the most rectangles to share
    primaries.sort(key=lambda ij: (ij[0] == n_r - 1 or ij[1] == n_c - 1, ext[ij], ij))
    for i, j in primaries:
        need = threshold - int(ext[i, j])
        best = None
        for k, m in itertools.product(range(n_r), range(n_c)):
            if k == i or m == j:
                continue
            corners = [((i, m), -1), ((k, j), -1), ((k, m), +1)]
            cost = [0, 0, 0, 0]
            ok = True
            for cell, rect_sign in corners:
                down = sign[cell] * sign[i, j] * rect_sign < 0
                v = int(ext[cell])
                if down and v < need:
                    ok = False
                    break
                if not supp[cell]:
                    if v <= 0:  # only positive cells are suppressed as secondaries
                        ok = False
                        break
                    is_margin = cell[0] == n_r - 1 or cell[1] == n_c - 1
                    cost[0] += cell == grand
                    cost[1] += is_margin
                    cost[2] += 1
                    cost[3] += v
            if ok and (best is None or (cost, k, m) < best[0]):
                best = ((cost, k, m), [c for c, _ in corners])
        if best is None:  # cannot happen: the rectangle through both margins and the grand total is valid
            raise RuntimeError(f"no protecting rectangle for cell {(i, j)}")
        for cell in best[1]:
            if not supp[cell]:
                supp[cell] = True
                reason[cell] = "secondary"


def suppress_table(table: pd.DataFrame, row: str, col: str, value: str = "count", threshold: int = THRESHOLD,
                   zero_safe: bool = True) -> SuppressedTable:
    """Primary and secondary suppression of a two-way table of counts given in long form.

    Parameters
    ----------
    table : one row per ``row`` x ``col`` key with a non-negative integer ``value``; missing
        combinations count 0 and repeated keys are added up.
    row, col : the key columns.
    value : the count column.
    threshold : counts from 1 to ``threshold - 1`` are primary-suppressed.
    zero_safe : publish zeros (True) or suppress them as well (False). See the module docstring.

    Returns
    -------
    SuppressedTable
        Cells, margins and grand total with ``suppressed`` and ``reason``; see the module docstring for
        what the pattern guarantees.
    """
    for c in (row, col, value):
        if c not in table.columns:
            raise ValueError(f"table lacks the column {c!r}")
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold!r}")
    if table[[row, col]].isna().any().any():
        raise ValueError("row and column keys must not be missing")
    values = pd.to_numeric(table[value])
    if values.isna().any() or (values < 0).any() or not np.all(np.asarray(values, dtype=float) % 1 == 0):
        raise ValueError(f"{value!r} must hold non-negative whole numbers")
    wide = table.assign(**{value: values}).pivot_table(index=row, columns=col, values=value, aggfunc="sum",
                                                       fill_value=0, observed=True)
    rows, cols = tuple(wide.index), tuple(wide.columns)
    if TOTAL in rows or TOTAL in cols:
        raise ValueError(f"{TOTAL!r} is reserved for the margins and cannot be a row or column key")
    ext, sign = _extended(wide.to_numpy(dtype=np.int64))
    supp = np.vectorize(lambda v: _is_small(int(v), threshold, zero_safe))(ext).astype(bool)
    reason = np.where(supp, "primary", None).astype(object)
    _protect(ext, sign, supp, reason, threshold)

    n_r, n_c = len(rows), len(cols)
    cells = pd.DataFrame(
        [{row: r, col: c, value: int(ext[a, b]), "suppressed": bool(supp[a, b]), "reason": reason[a, b]}
         for a, r in enumerate(rows) for b, c in enumerate(cols)],
        columns=[row, col, value, "suppressed", "reason"])
    row_totals = pd.DataFrame(
        [{row: r, value: int(ext[a, n_c]), "suppressed": bool(supp[a, n_c]), "reason": reason[a, n_c]}
         for a, r in enumerate(rows)], columns=[row, value, "suppressed", "reason"])
    col_totals = pd.DataFrame(
        [{col: c, value: int(ext[n_r, b]), "suppressed": bool(supp[n_r, b]), "reason": reason[n_r, b]}
         for b, c in enumerate(cols)], columns=[col, value, "suppressed", "reason"])
    grand = Margin(int(ext[n_r, n_c]), bool(supp[n_r, n_c]), reason[n_r, n_c])
    return SuppressedTable(cells, row_totals, col_totals, grand, row, col, value, threshold, zero_safe, rows, cols)


# --------------------------------------------------------------------------------------------------
# The attacker
# --------------------------------------------------------------------------------------------------


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v))


def feasible_intervals(published: pd.DataFrame, threshold: int = THRESHOLD, total: str = TOTAL) -> pd.DataFrame:
    """What an attacker can work out about each suppressed value of a published table.

    The attacker knows every published value, that the cells add up to the published row, column and
    grand totals (the ``total`` row and column, where present), and that counts are not negative. For
    each suppressed value two linear programmes (scipy's HiGHS, integers relaxed to reals) give the
    smallest and largest value consistent with all that (Fischetti and Salazar-Gonzalez 2000).

    Parameters
    ----------
    published : wide table as :meth:`SuppressedTable.published` returns, None or NaN where suppressed.
    threshold : the suppression threshold, to flag intervals that show a value to be small.
    total : the label of the margin row and column.

    Returns
    -------
    DataFrame
        ``row``, ``col`` (``total`` for margins), ``low``, ``high`` (inf when unbounded),
        ``disclosed`` (``high - low < 1e-6``: the value is exactly derivable), ``small`` (the interval
        lies wholly within ``[1, threshold - 1]``) and ``below_threshold`` (``high < threshold``: the
        attacker learns the value is below the threshold, perhaps 0).
    """
    rows = list(published.index)
    cols = list(published.columns)
    has_tr, has_tc = total in rows, total in cols
    inner_r = [r for r in rows if r != total]
    inner_c = [c for c in cols if c != total]
    unknown = [(r, c) for r in rows for c in cols if _missing(published.at[r, c])]
    columns = ["row", "col", "low", "high", "disclosed", "small", "below_threshold"]
    if not unknown:
        return pd.DataFrame(columns=columns)
    index = {rc: n for n, rc in enumerate(unknown)}

    def value(r, c):
        v = published.at[r, c]
        return None if _missing(v) else float(v)

    equations = []  # (members, total cell): sum of members = total cell
    if has_tc:
        equations += [([(r, c) for c in inner_c], (r, total)) for r in inner_r]
    if has_tr:
        equations += [([(r, c) for r in inner_r], (total, c)) for c in inner_c]
    if has_tr and has_tc:
        equations += [([(total, c) for c in inner_c], (total, total)), ([(r, total) for r in inner_r], (total, total))]
    a_eq, b_eq = [], []
    for members, tot in equations:
        coef = np.zeros(len(unknown))
        rhs = 0.0
        for cell, sgn in [*((m, 1.0) for m in members), (tot, -1.0)]:
            v = value(*cell)
            if v is None:
                coef[index[cell]] += sgn
            else:
                rhs -= sgn * v
        if np.any(coef != 0):
            a_eq.append(coef)
            b_eq.append(rhs)
        elif abs(rhs) > 1e-6:
            raise ValueError(f"published values do not add up in the equation of {tot}")
    a_eq_arr = np.array(a_eq) if a_eq else None
    b_eq_arr = np.array(b_eq) if b_eq else None
    out = []
    for n, (r, c) in enumerate(unknown):
        bounds = []
        for direction in (1.0, -1.0):
            obj = np.zeros(len(unknown))
            obj[n] = direction
            res = linprog(obj, A_eq=a_eq_arr, b_eq=b_eq_arr, bounds=(0, None), method="highs")
            if res.status == 3:
                bounds.append(math.inf)
            elif res.status != 0:
                raise RuntimeError(f"the attacker's linear programme failed for {(r, c)}: {res.message}")
            else:
                bounds.append(float(res.x[n]))
        low, high = bounds
        out.append({"row": r, "col": c, "low": low, "high": high, "disclosed": high - low < 1e-6,
                    "small": low >= 1 - 1e-6 and high <= threshold - 1 + 1e-6,
                    "below_threshold": high < threshold - 1e-6})
    return pd.DataFrame(out, columns=columns)


# --------------------------------------------------------------------------------------------------
# Rate tables
# --------------------------------------------------------------------------------------------------


def suppress_rate_table(rate_df: pd.DataFrame, row: str, col: str, threshold: int = THRESHOLD, by: Sequence[str] = (),
                        reference: str | None = "white", zero_safe: bool = True) -> pd.DataFrame:
    """Blank the counts, rates and RRIs of a rate table wherever the count is suppressed.

    A rate with its interval, or an RRI with its interval, times the published population gives the
    count back, so every column of :data:`RATE_COLUMNS` present is blanked (NaN, shown as ``[c]`` by
    :func:`render`) where :func:`suppress_table` suppresses the count, primary or secondary.
    Populations stay: they are published census figures. Where the ``reference`` group's count is
    suppressed, the RRIs of every group in that table are blanked too, since a published rate divided by
    its RRI is the reference rate.

    Parameters
    ----------
    rate_df : a table such as :func:`~threadline.analyse.violence.disproportionality.rate_table` returns,
        with ``count`` and one row per ``row`` x ``col`` (within ``by``).
    row, col : the two keys of the table (e.g. ``"group5"`` and an area column).
    threshold, zero_safe : as :func:`suppress_table`.
    by : further keys (e.g. ``"stage"`` of a stage table); each by-key is suppressed as its own table.
    reference : the reference group, looked for in ``row`` then ``col``; None to skip that rule.

    Returns
    -------
    DataFrame
        ``rate_df`` with the blanked values and two more columns, ``suppressed`` and ``suppression``
        (``"primary"``, ``"secondary"``, ``"reference"`` or None).
    """
    by = list(by)
    for c in [row, col, "count", *by]:
        if c not in rate_df.columns:
            raise ValueError(f"rate_df lacks the column {c!r}")
    out = rate_df.copy()
    blank = [c for c in RATE_COLUMNS if c in out.columns]
    rri_cols = [c for c in RRI_COLUMNS if c in out.columns]
    out[blank] = out[blank].astype(float)
    out["suppressed"] = False
    out["suppression"] = None
    groups = out.groupby(by, sort=False, dropna=False).groups.values() if by else [out.index]
    for idx in groups:
        part = out.loc[idx]
        st = suppress_table(part, row, col, "count", threshold=threshold, zero_safe=zero_safe)
        flags = part[[row, col]].merge(st.cells[[row, col, "suppressed", "reason"]], on=[row, col], how="left")
        flags.index = part.index
        hit = flags["suppressed"].fillna(False).astype(bool)
        out.loc[hit[hit].index, blank] = np.nan
        out.loc[hit[hit].index, "suppressed"] = True
        out.loc[hit[hit].index, "suppression"] = flags.loc[hit, "reason"]
        if reference is None or not rri_cols:
            continue
        for key, other in ((row, col), (col, row)):
            ref_hit = hit & (part[key] == reference)
            if ref_hit.any():
                tables = set(part.loc[ref_hit, other])
                affected = part.index[part[other].isin(tables)]
                out.loc[affected, rri_cols] = np.nan
                fresh = affected[out.loc[affected, "suppression"].isna()]
                out.loc[fresh, "suppression"] = "reference"
                break
    return out


def suppress_count(value: int, threshold: int = THRESHOLD) -> int | None:
    """A single count published on its own (no total or other cell it could be worked out from):
    None when small (``0 < value < threshold``), else the count. Zeros are published (``zero_safe``)."""
    value = int(value)
    return None if 0 < value < threshold else value


def suppress_counts(counts: Mapping[str, int], threshold: int = THRESHOLD) -> dict[str, int | None]:
    """A one-way table (value -> count) as published beside its total: small counts, and the
    further counts needed so that the total does not reveal them, become None."""
    if not counts:
        return {}
    table = pd.DataFrame({"key": [str(k) for k in counts], "col": "n", "count": [int(v) for v in counts.values()]})
    cells = suppress_table(table, "key", "col", threshold=threshold).cells
    return {k: (None if s else int(v)) for k, v, s in zip(cells["key"], cells["count"], cells["suppressed"],
                                                          strict=True)}


def suppress_split(frame: pd.DataFrame, row: str, part: str, whole: str, threshold: int = THRESHOLD) -> pd.DataFrame:
    """Rows of ``part`` out of ``whole`` (e.g. outcome 22 out of crimes with an outcome) as published:
    protected as the two-way table row x (part, whole - part), so neither the part nor the rest of a
    row is ever small and derivable. Suppressed values become None; rows keep their order."""
    if frame.empty:
        return frame
    long = pd.concat([
        pd.DataFrame({row: frame[row].astype(str), "col": "part", "count": frame[part].astype(int)}),
        pd.DataFrame({row: frame[row].astype(str), "col": "rest",
                      "count": (frame[whole] - frame[part]).astype(int)})], ignore_index=True)
    st = suppress_table(long, row, "col", threshold=threshold)
    cells = st.cells.set_index([row, "col"])["suppressed"]
    totals = st.row_totals.set_index(row)["suppressed"]
    out = frame.copy().astype({part: object, whole: object})
    for i, key in enumerate(frame[row].astype(str)):
        hidden = bool(cells[(key, "part")] or cells[(key, "rest")])
        if hidden:
            out.iloc[i, out.columns.get_loc(part)] = None
        if bool(totals.get(key, False)):
            out.iloc[i, out.columns.get_loc(whole)] = None
    return out
