"""Linked series: normalising things, blocking, grouping, reasons, the stored run and the commands.

The validation on a whole synthetic force (every planted series found, decoys left out) is in
``test_series_validation.py``.
"""

from __future__ import annotations

import itertools
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import FORCE, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import threadline as tl
from threadline.cli.app import app
from threadline.link import blocking as B
from threadline.link import entities as E
from threadline.link import records as R
from threadline.link import series as S
from threadline.link.detect import detect_series
from threadline.link.text import pair_cosine, tfidf_matrix

runner = CliRunner()


# --- normalising recorded things -----------------------------------------------------------------

@pytest.mark.parametrize(("value", "front"), [
    ("YK63 XRC", "YK63"), ("yk-63", "YK63"), ("YK6? ?X?", "YK6"), ("grey Corsa YK6", "YK6"),
    ("YK6 something X", "YK6"), ("small white van, part reg YJ", None), ("white van", None), (None, None),
])
def test_plate_front_reads_what_witnesses_remember(value, front):
    assert E.plate_front(value) == front


def test_vehicle_similarity_partial_plates_and_descriptions():
    assert E.vehicle_similarity("YK63 XRC", "YK63 XRC") == 1.0
    assert E.vehicle_similarity("YK63 XRC", "YK63 ABC") == 0.0  # two different full plates
    assert 0.8 <= E.vehicle_similarity("YK6? ?X?", "yk-63") <= 1.0
    assert E.vehicle_similarity("YK6? ?X? grey Corsa", "grey Corsa YK63") == pytest.approx(1.0)
    assert 0 < E.vehicle_similarity("grey Vauxhall Corsa", "grey Corsa") < 0.3
    assert E.vehicle_similarity("YK6", "BD12") == 0.0


def test_batch_and_substance_keys():
    assert E.batch_key("Stamp: red scorpion") == E.batch_key("red scorpion stamp") == "red scorpion"
    assert E.jaccard(E.batch_key("Stamp: red dragon"), E.batch_key("Stamp: red scorpion")) == pytest.approx(1 / 3)
    assert E.substance_key("GHB/GBL") == E.substance_key("suspected GHB") == E.substance_key("GHB (G)") == "ghb"
    assert E.substance_key("heroin (fentanyl-adulterated)") == "fentanyl heroin"
    assert E.substance_key("awaiting toxicology") == ""
    assert E.phone_key("+44 7700 900123") == E.phone_key("07700 900123") == "07700900123"


def test_idf_weight_is_one_for_a_pair_and_falls_with_frequency():
    w = R.idf_weight(np.array([2, 6, 200, 10_000]), 10_000)
    assert w[0] == pytest.approx(1.0) and w[3] == pytest.approx(0.0)
    assert 1.0 > w[1] > w[2] > 0.0


# --- blocking --------------------------------------------------------------------------------------

def _grid_con(points: list[tuple[float, float, float]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    frame = pd.DataFrame(points, columns=["x", "y", "t"])
    frame.insert(0, "rid", [f"r{i:04d}" for i in range(len(frame))])
    for col in ("method", "circumstance", "substance_key", "relationship", "category"):
        frame[col] = None
    con.register("f", frame)
    con.execute("CREATE TEMP TABLE _lk_rec AS SELECT * FROM f")
    con.execute("CREATE TEMP TABLE _lk_keys (rid VARCHAR, kind VARCHAR, key VARCHAR, role VARCHAR, label VARCHAR, "
                "n INTEGER, weight DOUBLE)")
    return con


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 20_000), st.floats(0, 20_000), st.floats(0, 400)), min_size=2, max_size=60),
       st.floats(200, 5000), st.floats(1, 100))
def test_space_time_blocking_finds_exactly_the_pairs_within_the_window(points, metres, days):
    con = _grid_con(points)
    B.candidate_pairs(con, B.Blocking(tiers=((metres, days, None),), key_kinds=("person",)))
    found = set(con.execute("SELECT a, b FROM _lk_pairs").fetchall())
    expected = {
        (f"r{i:04d}", f"r{j:04d}")
        for (i, p), (j, q) in itertools.combinations(enumerate(points), 2)
        if abs(p[2] - q[2]) <= days and math.dist(p[:2], q[:2]) <= metres
    }
    # the grid compares only neighbouring cells, the brute force every pair: same answer
    assert found == expected


def test_key_blocking_pairs_shared_people_but_not_two_victims_nor_very_common_keys():
    con = _grid_con([(0, 0, 0)] * 4)
    con.execute("""INSERT INTO _lk_keys VALUES
        ('r0000', 'person', 'P1', 'reporting_person', 'P1', 2, 1.0),
        ('r0001', 'person', 'P1', 'associate', 'P1', 2, 1.0),
        ('r0002', 'person', 'P2', 'victim', 'P2', 2, 1.0),
        ('r0003', 'person', 'P2', 'victim', 'P2', 2, 1.0),
        ('r0000', 'premises', 'h', 'premises', 'Hospital', 500, 0.1),
        ('r0003', 'premises', 'h', 'premises', 'Hospital', 500, 0.1)""")
    B.candidate_pairs(con, B.Blocking(tiers=(), max_key_records=60))
    assert con.execute("SELECT a, b, via FROM _lk_pairs").fetchall() == [("r0000", "r0001", "key:person")]


# --- narrative similarity --------------------------------------------------------------------------

def test_tfidf_cosine_prefers_shared_rare_phrases():
    texts = ["man posing as from the water board pushed his way in", "caller posing as from the water board",
             "found dead in bed at home", "found dead in bed by a neighbour", "collapsed at home, found by son"]
    m = tfidf_matrix(texts)
    sims = pair_cosine(m, np.array([0, 2, 0]), np.array([1, 3, 2]))
    assert sims[0] > 0.3 and sims[1] > 0.3 and sims[2] < 0.1
    assert pair_cosine(m, np.array([0]), np.array([0]))[0] == pytest.approx(1.0, abs=1e-5)


# --- grouping ---------------------------------------------------------------------------------------

def test_group_makes_components_ranked_by_evidence():
    pairs = pd.DataFrame([("a", "b", 0.9), ("b", "c", 0.9), ("c", "d", 0.9), ("x", "y", 0.99), ("p", "q", 0.3)],
                         columns=["a", "b", "score"])
    g = S.group(pairs, link_at=0.5)
    first = g[g["series_no"] == 0]
    assert set(first["case_id"]) == {"a", "b", "c", "d"}
    assert first["evidence"].iloc[0] == pytest.approx(4 * 0.9 - 1)
    assert set(g[g["series_no"] == 1]["case_id"]) == {"x", "y"}
    assert "p" not in set(g["case_id"])  # below the link threshold


def test_group_splits_a_chain_too_long_to_be_one_series():
    chain = [(f"c{i}", f"c{i + 1}", 0.6) for i in range(50)]
    core = [("k1", "k2", 0.95), ("k2", "k3", 0.95), ("k3", "c0", 0.6)]
    g = S.group(pd.DataFrame(chain + core, columns=["a", "b", "score"]), link_at=0.5, max_size=20)
    assert g.groupby("series_no").size().max() <= 20
    assert set(g[g["series_no"] == 0]["case_id"]) == {"k1", "k2", "k3"}


def test_describe_pair_puts_the_strongest_evidence_first():
    row = pd.Series({"shared_labels": "person P1 (reporting_person/associate)", "shared_things": "",
                     "dist_km": 0.3, "days_apart": 41, "hour_diff": 5, "substance_sim": 1.0, "substance_a": "GHB",
                     "narrative_sim": 0.62, "same_method": float("nan")})
    contrib = pd.Series({"shared_person": 4.0, "dist_km": 1.0, "days_apart": 0.5, "substance_sim": 2.0,
                         "narrative_sim": 0.8, "hour_diff": -0.2})
    text = S.describe_pair(row, contrib)
    assert text.startswith("same person P1 (reporting_person/associate); both GHB")
    assert "300 m apart" in text and "41 days apart" in text and "narratives 0.62 similar" in text
    assert "h apart in the day" not in text  # a negative contribution is no reason


# --- a run in a workspace, and the commands -----------------------------------------------------------

CASE_HEADER = ["case_id", "category", "reported_at", "latitude", "longitude", "location_type", "method",
               "circumstance", "substance", "victim_age", "victim_sex", "suspect_relationship", "narrative"]


@pytest.fixture
def small_ws(tmp_path):
    """Twelve cases: four GHB deaths sharing one reporting person, two look-alikes, six unrelated."""
    rows = []
    for i in range(4):
        rows.append([f"G{i}", "drug_related_death", f"2023-0{i + 1}-10T02:00", 53.80 + i * 0.002, -1.55,
                     "dwelling_other", "poison_or_drugs", "not_applicable", "GHB", 24 + i, "male", "not_applicable",
                     "Young man found unresponsive after a chemsex party; GHB suspected"])
    rows.append(["L1", "drug_related_death", "2023-02-20T12:00", 53.70, -1.80, "dwelling_victim", "poison_or_drugs",
                 "not_applicable", "heroin", 50, "male", "not_applicable", "Known heroin user found dead at home"])
    rows.append(["L2", "unexplained_death", "2023-03-01T12:00", 53.80, -1.551, "dwelling_victim", "not_applicable",
                 "not_applicable", "", 82, "female", "not_applicable", "Elderly woman found dead in bed"])
    for i in range(6):
        rows.append([f"U{i}", "unexplained_death", f"202{i % 4}-0{i + 1}-05T10:00", 53.6 + i * 0.05, -1.9 + i * 0.1,
                     "dwelling_victim", "not_applicable", "not_applicable", "", 70 + i, "male", "not_applicable",
                     "Man found dead at home; GP to certify"])
    data = tmp_path / "data"
    data.mkdir()
    persons = [[f"V{r[0]}"] for r in rows] + [["P1"]]
    write_csv(data / "persons.csv", ["person_id"], persons)
    write_csv(data / "cases.csv", CASE_HEADER, rows)
    links = [[r[0], f"V{r[0]}", "victim"] for r in rows]
    links += [[f"G{i}", "P1", "reporting_person" if i % 2 else "associate"] for i in range(4)]
    write_csv(data / "case-persons.csv", ["case_id", "person_id", "role"], links)
    ws = tl.init_workspace(tmp_path / "ws", forces=[FORCE])
    for kind, name in (("persons", "persons.csv"), ("cases", "cases.csv"), ("case-persons", "case-persons.csv")):
        tl.import_file(ws, kind, data / name)
    yield ws
    ws.close()


def test_detect_finds_the_shared_person_series_and_stores_the_run(small_ws):
    run = detect_series(small_ws, surveillance=False)
    assert run.run_id == 1
    top = run.series.iloc[0]
    members = set(run.members.loc[run.members["series_id"] == top["series_id"], "case_id"])
    assert members == {"G0", "G1", "G2", "G3"}
    assert top["kind"] == "shared_person"
    reasons = run.members.loc[run.members["series_id"] == top["series_id"], "reason"]
    assert all("same person P1" in r for r in reasons)
    con = small_ws.con
    assert con.execute("SELECT count(*) FROM series_runs").fetchone()[0] == 1
    assert con.execute("SELECT n_members FROM series WHERE run_id = 1 AND rank = 1").fetchone()[0] == 4
    assert con.execute("SELECT min(score) FROM series_pairs").fetchone()[0] >= 0.05
    # a second run is kept beside the first
    assert detect_series(small_ws, surveillance=False).run_id == 2


def test_series_commands_detect_show_export(small_ws, tmp_path):
    path = str(small_ws.path)
    small_ws.close()
    out = runner.invoke(app, ["series", "detect", "--no-surveillance", "-w", path])
    assert out.exit_code == 0, out.output
    assert "S001" in out.output and "shared_person" in out.output
    shown = runner.invoke(app, ["series", "show", "S001", "-w", path])
    assert shown.exit_code == 0 and "same person P1" in shown.output
    pairs, series = tmp_path / "pairs.csv", tmp_path / "series.csv"
    exported = runner.invoke(app, ["series", "export", "--pairs", str(pairs), "--series", str(series), "-w", path])
    assert exported.exit_code == 0, exported.output
    p = pd.read_csv(pairs)
    s = pd.read_csv(series)
    assert list(p.columns) == ["case_a", "case_b", "score", "reasons"]
    assert list(s.columns) == ["case_id", "series_id", "score", "kind"]
    assert (p["score"] >= 0.05).all() and (p["case_a"] < p["case_b"]).all()
    assert set(s.loc[s["series_id"] == "S001", "case_id"]) == {"G0", "G1", "G2", "G3"}


def test_series_commands_fail_in_one_line(small_ws, tmp_path):
    path = str(small_ws.path)
    small_ws.close()
    never = runner.invoke(app, ["series", "show", "-w", path])
    assert never.exit_code == 2 and "series detect" in never.output
    runner.invoke(app, ["series", "detect", "--no-surveillance", "-w", path])
    for args, words in ((["series", "show", "S999"], "no series"), (["series", "export"], "--pairs"),
                        (["series", "detect", "--records", "people"], "--records"),
                        (["series", "detect", "--model", str(tmp_path / "none.json")], "no such model file")):
        out = runner.invoke(app, [*args, "-w", path])
        assert out.exit_code == 2, (args, out.output)
        assert words in out.output and "Traceback" not in out.output
    known = write_csv(tmp_path / "known.csv", ["case", "series"], [["G0", "A"]])
    out = runner.invoke(app, ["series", "train", "--known", str(known), "--out", str(tmp_path / "m.json"), "-w", path])
    assert out.exit_code == 2 and "case_id" in out.output and "known.csv" in out.output


def test_train_learns_from_known_series_and_detect_uses_the_model(small_ws, tmp_path):
    from threadline.link import train

    known = pd.DataFrame({"case_id": ["G0", "G1", "G2", "G3"], "series_id": ["op-x"] * 4})
    result = train.train_workspace(small_ws, known, kind="naive_bayes")
    assert result.linked == 6 and result.not_in_register == 0
    model_path = result.model.save(tmp_path / "model.json")
    run = detect_series(small_ws, model=model_path, surveillance=False)
    assert run.model == str(model_path)
    top = run.members[run.members["series_id"] == run.series.iloc[0]["series_id"]]
    assert set(top["case_id"]) == {"G0", "G1", "G2", "G3"}
