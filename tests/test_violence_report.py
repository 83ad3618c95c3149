"""Serious youth violence on a synthetic force: the register's counting rules against the planted
truth, the commands, the needs assessment (HTML and PDF) and its disclosure control."""

from __future__ import annotations

import json
import re
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from threadline import init_workspace, open_workspace
from threadline.analyse.violence import definitions as D
from threadline.analyse.violence import disclosure, outcome22, places, population, register
from threadline.cli import app
from threadline.ingest.folder import import_folder
from threadline.report.areas import lsoa_table
from threadline.report.svna import build_svna, make_scope
from threadline.synth import synthesise

END = date(2024, 12, 31)
START = date(2022, 1, 1)
SEED = 21  # not a benchmark seed (101-120)
runner = CliRunner()


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    root = tmp_path_factory.mktemp("svforce")
    synthesise(root / "synth", years=3, seed=SEED, end=END, population_scale=0.3)
    ws_dir = root / "ws"
    init_workspace(ws_dir, forces=["West Yorkshire"]).close()
    with open_workspace(ws_dir) as ws:
        import_folder(ws, root / "synth")
        population.import_population(ws, root / "synth" / "population.csv")
    return root


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_counting_rules_match_the_planted_truth(force):
    """Distinct young people per group (force level) match the generator's expected counts: the
    register's rules (youth at the incident, serious violence per the definitions, people once)
    are the ones the truth was planted with."""
    truth = pd.read_csv(force / "synth" / "truth" / "disproportionality.csv")
    truth = truth[truth["area"] == "force"]
    with open_workspace(force / "ws", read_only=True) as ws:
        defs = D.load()
        people = register.youth_people(register.involvements(ws.con, defs, START, END), defs)
    people = people[people["area"] == "force"]
    z = []
    for role, measure in (("victim", "victims"), ("suspect", "suspects")):
        got = people[people["role"] == role].groupby("group5").size()
        t = truth[truth["measure"] == measure].set_index("group5")
        for g in ("asian", "black", "mixed", "white", "other"):
            z.append((got.get(g, 0) - t.loc[g, "expected_count"]) / max(t.loc[g, "sd"], 0.5))
    assert max(abs(v) for v in z) < 4.5, z
    # A wrong rule (counting all ages) gives far more people than the truth expects.
    assert len(people) > 0


def test_outcome22_eligibility_matches_the_plant(force):
    truth = pd.read_csv(force / "synth" / "truth" / "outcome22.csv").iloc[0]
    with open_workspace(force / "ws", read_only=True) as ws:
        rows = outcome22.with_eligibility(register.suspect_rows(ws.con), D.load())
    training = pd.Timestamp(truth["training_date"])
    elig = rows[rows["eligible"]]
    assert (elig["occurred_at"] < training).sum() == truth["n_eligible_before"]
    assert (elig["occurred_at"] >= training).sum() == truth["n_eligible_after"]
    assert int(elig["o22"].sum()) == truth["n_o22_before"] + truth["n_o22_after"]


def _published_one_way(counts: dict, total: int) -> pd.DataFrame:
    table = pd.DataFrame({"n": list(counts.values()) + [total]}, index=list(counts) + ["Total"], dtype=object)
    table.loc["Total", "n"] = total
    return table


def test_needs_assessment_html_pdf_and_no_disclosure(force, tmp_path):
    result = run("report", "svna", "-w", force / "ws", "--from", START, "--to", END, "--area", "Leeds",
                 "--training", "2023-08-01", "--out", tmp_path / "leeds")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "leeds" / "svna.html").read_text(encoding="utf-8")
    pdf = (tmp_path / "leeds" / "svna.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    for heading in ("Key findings", "Volumes and trends", "Where and when", "Who is involved", "Cardiff Model",
                    "Racial disproportionality", "justice stages", "protected characteristics", "Outcome 22"):
        assert heading in html, heading
    f = json.loads((tmp_path / "leeds" / "findings.json").read_text(encoding="utf-8"))
    text = json.dumps(f)
    assert not re.search(r"\bP\d{7}\b", text), "person ids in findings.json"
    assert not re.search(r"\bINC-\d{4}-\d+\b", text), "incident ids in findings.json"
    threshold = f["suppress_below"]
    assert "Not located in any area" in html and "not counted in Leeds" in html
    assert all(n is None or n == 0 or n >= threshold for n in f["volumes"]["not_located"].values())
    # No published count of people is small.
    for role, rows in f["disproportionality"]["roles"].items():
        for r in rows:
            assert r["count"] is None or r["count"] == 0 or r["count"] >= threshold, (role, r)
            if r["count"] is None:
                assert r["rate"] is None and r["rri"] is None
    for role in ("victim", "suspect"):
        w = f["who"][role]
        for key in ("age_bands", "sex", "group5"):
            counts = w[key]
            assert all(v is None or v == 0 or v >= threshold for v in counts.values()), (role, key, counts)
            if any(v is None for v in counts.values()):
                # The attacker knows the total (people): no suppressed cell may be derivable.
                attack = disclosure.feasible_intervals(_published_one_way(counts, w["people"]), threshold)
                assert not attack["disclosed"].any() and not attack["small"].any(), attack
    o = f["outcome22"]
    for key, rows in o["by"].items():
        if not rows or all(r["outcome_22"] is not None for r in rows):
            continue
        table = pd.DataFrame({"part": [r["outcome_22"] for r in rows],
                              "rest": [None if r["outcome_22"] is None or r["crimes"] is None
                                       else r["crimes"] - r["outcome_22"] for r in rows],
                              "Total": [r["crimes"] for r in rows]},
                             index=[r[key] for r in rows], dtype=object)
        table.loc["Total"] = [o["outcome_22"], o["crimes_with_outcome"] - o["outcome_22"], o["crimes_with_outcome"]]
        attack = disclosure.feasible_intervals(table, threshold)
        assert not attack["disclosed"].any(), (key, attack)


ED_LABEL = "Emergency department assault attendances (ISTV)"


def _ed_by_area(ws) -> pd.Series:
    """The period's ED attendances by local authority, placed straight from the register: the LSOA
    given, else the free text matched to places named in located records; "none" when neither."""
    ed = ws.con.execute("""SELECT nullif(trim(lsoa_code), '') AS lsoa_code, location_text FROM partner_records
                           WHERE agency = 'nhs_ed' AND occurred_at >= ? AND occurred_at < ?""",
                        [START, pd.Timestamp(END) + pd.Timedelta(days=1)]).df()
    gaz = places.build_gazetteer(ws.con.execute("""
        SELECT location_text, lsoa_code FROM incidents WHERE location_text IS NOT NULL AND lsoa_code IS NOT NULL
        UNION ALL SELECT location_text, lsoa_code FROM partner_records
        WHERE location_text IS NOT NULL AND lsoa_code IS NOT NULL""").df())
    todo = ed["lsoa_code"].isna() & ed["location_text"].notna()
    ed.loc[todo, "lsoa_code"] = places.match_places(ed.loc[todo, "location_text"], gaz)["lsoa_code"].to_numpy()
    la = ed["lsoa_code"].map(lsoa_table().set_index("lsoa_code")["la_code"])
    return la.fillna("none").value_counts()


def test_area_volumes_count_only_partner_records_placed_in_the_area(force, tmp_path):
    """With --area, ED attendances count in Leeds only when given or matched there; those placed
    nowhere are reported apart, not added to Leeds (nor dropped from the force's figures)."""
    with open_workspace(force / "ws", read_only=True) as ws:
        expected = _ed_by_area(ws)
        leeds = build_svna(ws, make_scope(ws, "Leeds", START, END))
    assert expected.get("none", 0) > 0 and len(expected) > 2, expected  # the fixture has both kinds
    v = leeds["volumes"]
    assert sum(v["monthly"][ED_LABEL]) == expected["E08000035"]
    nl = int(expected.get("none", 0))
    assert v["not_located"][ED_LABEL] == (nl if nl == 0 or nl >= leeds["suppress_below"] else None)
    assert v["not_located_counted"] is False
    row = next(c for c in v["changes"] if c["source"] == ED_LABEL)
    assert {"not_located", "not_located_previous"} <= set(row)
    p = leeds["partners"]
    assert p["ed_records"] == expected["E08000035"] == p["located_as_given"] + p["located_by_matching"]


def test_force_assessment_finds_the_planted_recording_fall(force):
    truth = pd.read_csv(force / "synth" / "truth" / "recording.csv").iloc[0]
    with open_workspace(force / "ws", read_only=True) as ws:
        scope = make_scope(ws, None, START, END)
        f = build_svna(ws, scope)
    units = {(a["recording_unit"], a["field"]) for a in f["recording"]["alerts"]}
    assert (truth["recording_unit"], truth["field"]) in units
    assert f["area"]["la_name"] == "West Yorkshire"
    with open_workspace(force / "ws", read_only=True) as ws:
        all_ed = int(_ed_by_area(ws).sum())
    # The whole force counts every ED attendance, placed or not.
    assert sum(f["volumes"]["monthly"][ED_LABEL]) == all_ed and f["volumes"]["not_located_counted"] is True
    d = f["disproportionality"]
    assert d["areas"][0] == "force" and d["roles"]["suspect"][0]["area"] == "force"


def test_commands_print_and_write(force, tmp_path):
    ws = force / "ws"
    r = run("violence", "disproportionality", "-w", ws, "--from", START, "--to", END, "--out", tmp_path / "d.csv")
    assert r.exit_code == 0, r.output
    assert "Suspects of serious violence" in r.output and "Justice stages" in r.output
    assert (tmp_path / "d-suspects.csv").exists() and (tmp_path / "d-stages.csv").exists()
    published = pd.read_csv(tmp_path / "d-suspects.csv")
    small = published["count"].dropna()
    assert ((small == 0) | (small >= 5)).all()
    r = run("violence", "recording", "-w", ws, "--from", START, "--to", END, "--by", "role,recording_unit")
    assert r.exit_code == 0, r.output
    assert "Completeness has fallen" in r.output
    r = run("violence", "outcome22", "-w", ws, "--from", START, "--to", END, "--training", "2023-08-01",
            "--review-list", tmp_path / "review.csv")
    assert r.exit_code == 0, r.output
    review = pd.read_csv(tmp_path / "review.csv")
    assert {"incident_id", "person_id", "age"} <= set(review.columns)
    assert (review["age"] <= 17).all() and (review["outcome_code"] != 22).all()
    r = run("evaluate", "-w", ws, "--participants", force / "synth" / "participants.csv", "--follow-up", "12",
            "--out", tmp_path / "eval")
    assert r.exit_code == 0, r.output
    assert "Maryland" in r.output
    effect = json.loads((tmp_path / "eval" / "effect.json").read_text())
    assert effect["low"] <= effect["risk_difference"] <= effect["high"]


@pytest.mark.parametrize("args, fragments", [
    (("violence", "disproportionality", "--from", "2022-13-01", "--to", "2024-12-31"), ("--from", "not a date")),
    (("violence", "disproportionality", "--from", "2024-01-01", "--to", "2023-12-31"), ("before",)),
    (("report", "svna", "--from", "2022-01-01", "--to", "2024-12-31", "--area", "Atlantis"), ("Atlantis", "Leeds")),
    (("violence", "disproportionality", "--from", "2022-01-01", "--to", "2024-12-31", "--youth", "10-16"),
     ("16-17",)),
    (("violence", "disproportionality", "--from", "2022-01-01", "--to", "2024-12-31", "--method", "bayes"),
     ("katz",)),
])
def test_bad_options_are_one_line_errors(force, args, fragments):
    r = run(*args, "-w", force / "ws")
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    line = [x for x in r.output.splitlines() if x.strip()]
    assert line[0].startswith("error:"), r.output
    for frag in fragments:
        assert frag in r.output


def test_participants_file_errors_name_row_and_field(force, tmp_path):
    bad = tmp_path / "participants.csv"
    bad.write_text("person_id,start_date\nP0000001,2023-04-01\nP0000002,first of May\n", encoding="utf-8")
    r = run("evaluate", "-w", force / "ws", "--participants", bad)
    assert r.exit_code == 2, r.output
    assert "row 3" in r.output and "start_date" in r.output and "participants.csv" in r.output
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("person_id,start_date\nNOBODY,2023-04-01\n", encoding="utf-8")
    r = run("evaluate", "-w", force / "ws", "--participants", unknown)
    assert r.exit_code == 2 and "NOBODY" in r.output
