"""Series detection on a whole synthetic force it was never trained or developed on.

The default pair model was trained on seeds 101-104 and the method developed looking at seeds 11
and 21-25 (docs/series.md); this test uses seed 41. Issue 5: every planted series appears among the
top 25 candidate series with most of its members, decoys kept in the data and kept out of the
series, and planted pairs rank high.
"""

from __future__ import annotations

import pytest

from threadline.link import detect as D
from threadline.link import train as T
from threadline.link import validate as V

pytestmark = pytest.mark.slow

SEED = 41


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    ws, truth = T.synthetic_workspace(SEED, tmp_path_factory.mktemp("series-validation"))
    run = D.detect_series(ws)
    frame, _, _, _ = D.score_pairs(ws)
    yield ws, truth, run, frame
    ws.close()


def test_every_planted_series_is_in_the_top_25_with_most_of_its_members(force):
    _, truth, run, _ = force
    rec = V.recovery(run.series, run.members, truth, top=25)
    assert set(rec["kind"]) == {"shared_person", "drug_batch", "professional", "stranger", "robbery_elderly"}
    missed = rec[rec["rank"].isna() | (rec["found_share"] <= 0.5)]
    assert missed.empty, f"not found in the top 25 with most members:\n{rec.to_string()}"


def test_decoys_stay_out_of_the_series_they_imitate(force):
    _, truth, run, _ = force
    rec = V.recovery(run.series, run.members, truth, top=25)
    # each planted series has 5-22 decoys sharing one attribute; at most one may be swept in
    assert (rec["decoys"] <= 1).all(), rec.to_string()


def test_planted_pairs_rank_high_among_all_candidate_pairs(force):
    _, truth, _, frame = force
    acc = V.pair_accuracy(frame, truth)
    assert acc["linked"] >= 20
    assert acc["auc"] > 0.99
    assert acc["average_precision"] > 0.6, acc


def test_the_run_is_stored_and_the_report_lists_it(force, tmp_path):
    ws, _, run, _ = force
    assert ws.con.execute("SELECT n_series FROM series_runs WHERE run_id = ?", [run.run_id]).fetchone()[0] == len(
        run.series)
    from threadline.report.findings import linked_series
    from threadline.report.period import quarter_period

    found = linked_series(ws, quarter_period("2024Q4", "calendar"))
    assert found["linkage_run"] and found["items"][0]["series_id"] == "S001"
    assert all(m["reason"] for item in found["items"] for m in item["members"])
