"""Small-cell suppression, audited by the attacker's linear programme."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from threadline.analyse.violence.disclosure import (
    TOTAL,
    feasible_intervals,
    render,
    suppress_rate_table,
    suppress_table,
)
from threadline.analyse.violence.disproportionality import rate_table


def _long(x, rows=None, cols=None) -> pd.DataFrame:
    x = np.asarray(x)
    rows = rows or [f"r{i}" for i in range(x.shape[0])]
    cols = cols or [f"c{j}" for j in range(x.shape[1])]
    return pd.DataFrame([{"r": rows[i], "c": cols[j], "count": int(x[i, j])}
                         for i in range(x.shape[0]) for j in range(x.shape[1])])


def _suppressed(st) -> set:
    cells = {(r, c) for r, c, s in st.cells[["r", "c", "suppressed"]].itertuples(index=False) if s}
    cells |= {(r, TOTAL) for r, s in st.row_totals[["r", "suppressed"]].itertuples(index=False) if s}
    cells |= {(TOTAL, c) for c, s in st.col_totals[["c", "suppressed"]].itertuples(index=False) if s}
    if st.grand_total.suppressed:
        cells.add((TOTAL, TOTAL))
    return cells


def _lines_ok(pub: pd.DataFrame) -> bool:
    """No row or column of the table with its margins has exactly one suppressed value."""
    mask = pub.isna().to_numpy()
    return not ((mask.sum(axis=1) == 1).any() or (mask.sum(axis=0) == 1).any())


# --------------------------------------------------------------------------------------------------
# hand-made tables
# --------------------------------------------------------------------------------------------------


def test_one_small_cell_forces_secondaries_in_its_row_and_column():
    x = [[3, 20, 25],
         [15, 12, 30],
         [30, 40, 50]]
    st = suppress_table(_long(x, ["A", "B", "C"], ["x", "y", "z"]), "r", "c")
    reasons = {(r, c): why for r, c, why in st.cells[["r", "c", "reason"]].itertuples(index=False) if why}
    # the cheapest rectangle: A-x with A-y (20), B-x (15) and B-y (12), 47 in all
    assert reasons == {("A", "x"): "primary", ("A", "y"): "secondary", ("B", "x"): "secondary",
                       ("B", "y"): "secondary"}
    assert not st.row_totals["suppressed"].any() and not st.col_totals["suppressed"].any()
    assert not st.grand_total.suppressed
    pub = st.published()
    assert pub.loc["A", TOTAL] == 48 and pub.loc[TOTAL, "x"] == 48 and pub.loc[TOTAL, TOTAL] == 225
    assert pub.loc["C", "z"] == 50 and pub.loc["A", "x"] is None
    assert _lines_ok(pub)
    fi = feasible_intervals(pub).set_index(["row", "col"])
    assert not fi["disclosed"].any()
    assert fi.loc[("A", "x"), "low"] == pytest.approx(0)
    assert fi.loc[("A", "x"), "high"] == pytest.approx(18)  # min(48 - 25, 48 - 30)
    assert st.n_suppressed() == {"primary": 1, "secondary": 3}


def test_the_attacker_finds_a_lone_suppressed_cell():
    x = [[3, 20, 25], [15, 12, 30], [30, 40, 50]]
    pub = suppress_table(_long(x, ["A", "B", "C"], ["x", "y", "z"]), "r", "c").published()
    naive = pub.copy()
    naive.loc["A", "y"], naive.loc["B", "x"], naive.loc["B", "y"] = 20, 15, 12  # primary suppression only
    fi = feasible_intervals(naive)
    assert len(fi) == 1 and fi["disclosed"].all()
    assert fi["low"].iloc[0] == pytest.approx(3) and fi["high"].iloc[0] == pytest.approx(3)
    assert fi["small"].all() and fi["below_threshold"].all()


def test_small_margins_are_suppressed_and_not_left_derivable_through_the_grand_total():
    # every cell small; row A (3) and column x (4) totals small; B (7), y (6) and the grand total (10) are not.
    # With B, y and 10 published, column x = 10 - 6 and row A = 10 - 7: protection must reach the margins.
    st = suppress_table(_long([[1, 2], [3, 4]], ["A", "B"], ["x", "y"]), "r", "c")
    assert st.row_totals.set_index("r").loc["A", "reason"] == "primary"
    assert st.col_totals.set_index("c").loc["x", "reason"] == "primary"
    assert st.cells["suppressed"].all()
    pub = st.published()
    assert _lines_ok(pub)
    fi = feasible_intervals(pub)
    assert not fi["disclosed"].any() and not fi["small"].any() and not fi["below_threshold"].any()


def test_small_row_total_is_protected():
    x = [[1, 2, 0, 0],
         [10, 12, 30, 8],
         [20, 25, 40, 9]]
    st = suppress_table(_long(x), "r", "c")
    rt = st.row_totals.set_index("r")
    assert rt.loc["r0", "count"] == 3 and rt.loc["r0", "suppressed"] and rt.loc["r0", "reason"] == "primary"
    fi = feasible_intervals(st.published()).set_index(["row", "col"])
    assert fi.loc[("r0", TOTAL), "high"] >= 5
    assert not fi["disclosed"].any() and not fi["small"].any()


def test_zeros_are_published_when_zero_safe():
    x = [[0, 2, 30],
         [10, 12, 30],
         [20, 25, 40]]
    st = suppress_table(_long(x), "r", "c")
    cells = st.cells.set_index(["r", "c"])
    assert not cells.loc[("r0", "c0"), "suppressed"]  # a zero is never a secondary either
    assert cells.loc[("r0", "c1"), "reason"] == "primary"
    assert st.published().loc["r0", "c0"] == 0
    assert (st.cells.loc[st.cells["reason"] == "secondary", "count"] > 0).all()
    st2 = suppress_table(_long(x), "r", "c", zero_safe=False)
    cells2 = st2.cells.set_index(["r", "c"])
    assert cells2.loc[("r0", "c0"), "reason"] == "primary"
    fi = feasible_intervals(st2.published()).set_index(["row", "col"])
    assert fi.loc[("r0", "c0"), "high"] >= 5 and not fi["disclosed"].any()


def test_an_all_zero_row_is_published_when_zero_safe_and_hidden_otherwise():
    x = [[0, 0, 0], [10, 12, 30], [20, 25, 40]]
    st = suppress_table(_long(x), "r", "c")
    assert not st.cells["suppressed"].any() and not st.row_totals["suppressed"].any()
    st2 = suppress_table(_long(x), "r", "c", zero_safe=False)
    assert st2.row_totals.set_index("r").loc["r0", "reason"] == "primary"
    assert not feasible_intervals(st2.published())["disclosed"].any()


def test_missing_combinations_count_zero_and_bad_values_raise():
    t = pd.DataFrame({"r": ["A", "A", "B"], "c": ["x", "y", "x"], "count": [10, 20, 30]})
    st = suppress_table(t, "r", "c")
    assert st.cells.set_index(["r", "c"]).loc[("B", "y"), "count"] == 0
    with pytest.raises(ValueError, match="non-negative whole"):
        suppress_table(t.assign(count=[1, -2, 3]), "r", "c")
    with pytest.raises(ValueError, match="non-negative whole"):
        suppress_table(t.assign(count=[1.5, 2, 3]), "r", "c")
    with pytest.raises(ValueError, match="lacks"):
        suppress_table(t, "r", "area")
    with pytest.raises(ValueError, match="reserved"):
        suppress_table(t.assign(r=["A", "Total", "B"]), "r", "c")


def test_render_and_published_layout():
    assert render(None) == "[c]" and render(float("nan")) == "[c]"
    assert render(1234) == "1,234" and render(7.0) == "7" and render(0) == "0"
    st = suppress_table(_long([[3, 20], [15, 12]], ["A", "B"], ["x", "y"]), "r", "c")
    pub = st.published()
    assert list(pub.index) == ["A", "B", TOTAL] and list(pub.columns) == ["x", "y", TOTAL]
    shown = st.rendered()
    assert shown.loc["A", "x"] == "[c]" and shown.loc[TOTAL, TOTAL] == "50"


# --------------------------------------------------------------------------------------------------
# randomized tables, audited
# --------------------------------------------------------------------------------------------------

VALUES = [0, 1, 2, 3, 4, 5, 6, 9, 15, 40]
WEIGHTS = [0.2, 0.15, 0.1, 0.1, 0.1, 0.07, 0.08, 0.08, 0.07, 0.05]


def test_no_suppressed_value_is_derivable_in_300_random_tables():
    rng = np.random.default_rng(8)
    checked = 0
    for n in range(300):
        n_r, n_c = int(rng.integers(2, 7)), int(rng.integers(2, 9))
        x = rng.choice(VALUES, size=(n_r, n_c), p=WEIGHTS)
        zero_safe = n % 3 != 0
        st = suppress_table(_long(x), "r", "c", zero_safe=zero_safe)
        pub = st.published()
        # primary suppression is exactly the small cells (and zeros unless zero_safe)
        small = (x > 0) & (x < 5) if zero_safe else x < 5
        prim = st.cells.pivot(index="r", columns="c", values="reason").to_numpy() == "primary"
        assert (prim == small).all()
        # published values are the true ones; secondaries are positive
        assert int(pub.loc[TOTAL, TOTAL] if pub.loc[TOTAL, TOTAL] is not None else x.sum()) == x.sum()
        sec = st.cells[st.cells["reason"] == "secondary"]
        assert (sec["count"] > 0).all()
        assert _lines_ok(pub)
        fi = feasible_intervals(pub)
        assert len(fi) == len(_suppressed(st))
        assert not fi["disclosed"].any(), (x, fi[fi["disclosed"]])
        assert not fi["small"].any(), (x, fi[fi["small"]])
        # every suppressed value could, for all the attacker knows, be at least the threshold
        assert not fi["below_threshold"].any(), (x, fi[fi["below_threshold"]])
        checked += len(fi)
    assert checked > 1_000  # the test saw plenty of suppressed cells


# --------------------------------------------------------------------------------------------------
# rate tables
# --------------------------------------------------------------------------------------------------


def test_rate_table_suppression_blanks_rates_of_suppressed_counts():
    groups = ["asian", "black", "mixed", "white", "other"]
    pop = pd.DataFrame([{"area": a, "group5": g, "population": p} for a in ("A", "B", "C")
                        for g, p in zip(groups, [3_000, 2_000, 1_000, 20_000, 500], strict=True)])
    counts = pd.DataFrame([
        ("A", "asian", 12), ("A", "black", 2), ("A", "mixed", 8), ("A", "white", 40), ("A", "other", 6),
        ("B", "asian", 10), ("B", "black", 15), ("B", "mixed", 9), ("B", "white", 3), ("B", "other", 7),
        ("C", "asian", 20), ("C", "black", 25), ("C", "mixed", 11), ("C", "white", 60), ("C", "other", 0),
    ], columns=["area", "group5", "count"])
    rates = rate_table(counts, pop, by=["area"])
    out = suppress_rate_table(rates, "group5", "area")
    assert len(out) == len(rates) and list(out.columns[: len(rates.columns)]) == list(rates.columns)
    idx = out.set_index(["area", "group5"])
    black_a = idx.loc[("A", "black")]
    assert black_a["suppressed"] and black_a["suppression"] == "primary"
    for c in ("count", "rate", "rate_low", "rate_high", "rri", "rri_low", "rri_high"):
        assert math.isnan(black_a[c]), c
    assert black_a["population"] == 2_000  # populations are published figures
    # every suppressed count has a blank rate; every published count keeps its rate
    supp = out["suppressed"]
    assert out.loc[supp, ["count", "rate", "rate_high"]].isna().all().all()
    assert out.loc[~supp, "rate"].notna().all()
    # one rectangle protects both small counts: black/A (2) and white/B (3) with white/A and black/B
    secondary = set(out.loc[out["suppression"] == "secondary", ["area", "group5"]].itertuples(index=False, name=None))
    assert secondary == {("A", "white"), ("B", "black")}
    # the zero is published
    assert idx.loc[("C", "other"), "count"] == 0 and not idx.loc[("C", "other"), "suppressed"]
    # white is suppressed in areas A and B, so no RRI there may be published; area C keeps its RRIs
    assert idx.loc[("B", "white"), "suppression"] == "primary"
    for area in ("A", "B"):
        assert idx.loc[area, "rri"].isna().all() and idx.loc[area, "rri_high"].isna().all()
    assert idx.loc[("A", "asian"), "suppression"] == "reference" and not idx.loc[("A", "asian"), "suppressed"]
    assert idx.loc["C", "rri"].notna().all()
    assert idx.loc[("A", "asian"), "rate"] == pytest.approx(4.0)
    assert idx.loc[("B", "asian"), "rate"] == pytest.approx(10 / 3)
    # the published counts, read back into a table, are safe
    pub = out.pivot(index="group5", columns="area", values="count")
    assert pub.isna().sum().sum() == supp.sum()
