"""`threadline link persons | review | explain` on a small synthetic force: links, decisions, no names shown."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import FORCE
from typer.testing import CliRunner

import threadline as tl
from threadline.cli.app import app
from threadline.ingest.folder import import_folder
from threadline.link.people import workspace as W
from threadline.synth import synthesise

runner = CliRunner()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    root = tmp_path_factory.mktemp("link-persons")
    summary = synthesise(root / "synth", years=1, seed=7, end=date(2024, 12, 31), population_scale=0.25)
    with tl.init_workspace(root / "ws", forces=[FORCE]) as ws:
        import_folder(ws, summary.out_dir)
        run = W.link_persons(ws)
    truth = pd.read_csv(summary.out_dir / "truth" / "partner_identity.csv")
    truth["uid"] = truth["agency"] + ":" + truth["record_id"]
    return root / "ws", run, truth


def test_partner_records_join_the_right_person(linked):
    _, run, truth = linked
    ids = run.identities.set_index("record_id")["identity_id"]
    ident = truth[truth["match_type"].isin(["identifiable_match", "non_match"]) & truth["uid"].isin(ids.index)]
    assert len(ident) > 300
    pred = ids.reindex(ident["uid"]).to_numpy()
    true = ids.reindex(ident["person_id"].fillna("")).to_numpy()
    is_match = (ident["match_type"] == "identifiable_match").to_numpy()
    tp = int((is_match & (pred == true)).sum())
    police = set(run.identities.loc[run.identities["source"] == "persons", "identity_id"])
    joined = pd.Series(pred).isin(police).to_numpy()
    fp = int((joined & ~(is_match & (pred == true))).sum())
    recall, precision = tp / is_match.sum(), tp / (tp + fp)
    assert recall > 0.95 and precision > 0.98, (precision, recall)


def test_decisions_win_on_the_next_run_and_explain_shows_no_names(linked, tmp_path):
    ws_path, run, truth = linked
    path = str(ws_path)
    row = truth[truth["match_type"] == "identifiable_match"].iloc[0]
    a, b = row["person_id"], row["uid"]
    ids = run.identities.set_index("record_id")["identity_id"]
    assert ids[a] == ids[b]
    out = runner.invoke(app, ["link", "explain", a, b, "-w", path])
    assert out.exit_code == 0, out.output
    assert "match weight" in out.output and "prior" in out.output
    with tl.open_workspace(path, read_only=True) as ws:
        person = ws.con.execute("SELECT given_name, family_name, CAST(date_of_birth AS VARCHAR) FROM persons "
                                "WHERE person_id = ?", [a]).fetchone()
    for value in person:
        if value:
            assert value not in out.output and value.lower() not in out.output.lower()
    rejected = runner.invoke(app, ["link", "review", "--reject", a, b, "--note", "different people", "-w", path])
    assert rejected.exit_code == 0, rejected.output
    again = runner.invoke(app, ["link", "persons", "-w", path])
    assert again.exit_code == 0, again.output
    with tl.open_workspace(path, read_only=True) as ws:
        latest = W.latest_person_run(ws.con)
        same = ws.con.execute(
            "SELECT count(DISTINCT identity_id) FROM person_identities WHERE run_id = ? AND record_id IN (?, ?)",
            [latest, a, b]).fetchone()[0]
        stored = ws.con.execute(
            "SELECT decision FROM person_links WHERE run_id = ? AND id_a = least(?, ?) AND id_b = greatest(?, ?)",
            [latest, a, b, a, b]).fetchone()
    assert same == 2  # the reviewer's "different people" wins over the model
    assert stored == ("non_match",)


def test_review_lists_the_uncertain_band_and_errors_are_one_line(linked):
    path = str(linked[0])
    out = runner.invoke(app, ["link", "review", "-w", path])
    assert out.exit_code == 0, out.output
    assert "Uncertain links" in out.output or "No undecided links" in out.output
    for args, words in ((["link", "explain", "P-none", "P-nothing"], "no person record"),
                        (["link", "review", "--accept", "P-none", "P-x"], "no person record"),
                        (["link", "persons", "--engine", "spark-ish"], "engine"),
                        (["link", "persons", "--threshold", "1.5"], "threshold")):
        res = runner.invoke(app, [*args, "-w", path])
        assert res.exit_code == 2, (args, res.output)
        assert words in res.output and "Traceback" not in res.output
