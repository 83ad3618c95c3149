"""Escalation scores, reasons, backtest and fairness (issue 9), on a hand-made register whose
every figure is worked out here, and the command line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import write_csv
from typer.testing import CliRunner

import threadline as tl
from threadline.analyse.escalation import backtest, fairness, reasons, register, scores, severity, trend
from threadline.analyse.escalation.ranking import rank_dyads, rank_people
from threadline.cli.app import app
from threadline.vocab import INCIDENT_TYPES

AS_OF = pd.Timestamp("2025-03-31 23:59:59")

PERSONS = [
    ["s1", "1990-01-01", "male", "white"], ["v1", "1992-01-01", "female", "white"],
    ["s2", "2000-06-01", "male", "black"], ["w2", "1980-01-01", "male", "white"],
    ["s3", "2006-01-01", "male", "asian"], ["w3", "2005-01-01", "male", "asian"],
    ["s4", "1970-01-01", "female", "white"], ["w4", "1971-01-01", "male", "white"],
]
#: incident, type, occurred, reported, suspect, victim, flags
INCIDENTS = [
    ("a1", "domestic_abuse", "2024-05-10 20:00", "", "s1", "v1", "domestic_abuse"),
    ("a2", "stalking_harassment", "2024-10-01 20:00", "", "s1", "v1", "domestic_abuse"),
    ("a3", "domestic_abuse", "2025-01-20 20:00", "", "s1", "v1", "domestic_abuse"),
    ("a4", "assault_with_injury", "2025-02-15 20:00", "", "s1", "v1", "domestic_abuse"),
    ("a5", "threats_to_kill", "2025-03-20 20:00", "", "s1", "v1", "domestic_abuse"),
    ("b1", "common_assault", "2024-05-01 12:00", "", "s2", "w2", ""),
    ("b2", "common_assault", "2024-08-01 12:00", "", "s2", "w2", ""),
    ("b3", "common_assault", "2024-11-01 12:00", "", "s2", "w2", ""),
    ("b4", "common_assault", "2025-02-01 12:00", "", "s2", "w2", ""),
    ("c1", "wounding_gbh", "2025-03-01 23:00", "", "s3", "w3", "knife"),
    # happened before the quarter end but reported after it: not known at the quarter end
    ("d1", "wounding_gbh", "2025-03-25 10:00", "2025-04-10 09:00", "s4", "w4", ""),
]
CASES = [
    ("k1", "homicide", "2025-05-15 08:00", "v1", "s1"),
    ("k2", "attempted_homicide", "2025-06-01 08:00", "w3", "s3"),
]


@pytest.fixture(scope="module")
def register_path(tmp_path_factory):
    """The hand-made register, built once and closed (commands open it themselves)."""
    root = tmp_path_factory.mktemp("escalation")
    with tl.init_workspace(root / "ws", forces=["West Yorkshire"]) as ws:
        _load(ws, root)
    return root / "ws"


@pytest.fixture
def register_ws(register_path):
    ws = tl.open_workspace(register_path, read_only=True)
    yield ws
    ws.close()


def _load(ws, root):
    f = root / "files"
    f.mkdir()
    tl.import_file(ws, "persons", write_csv(f / "persons.csv", ["person_id", "date_of_birth", "sex", "ethnicity"],
                                            PERSONS))
    tl.import_file(ws, "cases", write_csv(
        f / "cases.csv", ["case_id", "category", "reported_at", "victim_person_id", "circumstance"],
        [(c, cat, t, v, "domestic_abuse" if c == "k1" else "quarrel_revenge_temper") for c, cat, t, v, _ in CASES]))
    tl.import_file(ws, "case-persons", write_csv(
        f / "cp.csv", ["case_id", "person_id", "role"],
        [r for c, _, _, v, s in CASES for r in ((c, v, "victim"), (c, s, "suspect"))]))
    tl.import_file(ws, "incidents", write_csv(
        f / "inc.csv", ["incident_id", "incident_type", "occurred_at", "reported_at", "flags"],
        [(i, t, o, r, fl) for i, t, o, r, _, _, fl in INCIDENTS]))
    tl.import_file(ws, "incident-persons", write_csv(
        f / "ip.csv", ["incident_id", "person_id", "role"],
        [r for i, _, _, _, s, v, _ in INCIDENTS for r in ((i, s, "suspect"), (i, v, "victim"))]))


@pytest.fixture
def frames(register_ws):
    ev, victims = register.events(register_ws.con)
    return ev, victims, register.dyad_events(ev, victims)


def _weight(t: str) -> float:
    return float(severity.type_table().loc[t, "css_weight"])


# --- severity ---------------------------------------------------------------------------------


def test_every_incident_type_has_a_mapping_to_a_shipped_offence_code():
    table = severity.type_table()
    assert set(table.index) == set(INCIDENT_TYPES)
    codes = table["ho_offence_code"][table["ho_offence_code"] != ""]
    assert set(codes) <= set(severity.css_weights().index)
    assert (table["basis"].str.len() > 0).all()


def test_css_table_is_the_published_one():
    w = severity.css_weights()
    assert len(w) == 134
    assert w["3B"] == pytest.approx(275.308777) and w["5D"] == pytest.approx(2034.74186)
    assert w["1"] == pytest.approx(7973.393423)


def test_gravity_prefers_the_recorded_weight_then_the_offence_code_then_the_type():
    inc = pd.DataFrame({"incident_type": ["common_assault", "common_assault", "common_assault", "missing_person"],
                        "severity": [99.0, None, None, None], "ho_offence_code": ["8N", "8N", None, None]})
    g = severity.gravity(inc)
    assert g["gravity"].tolist() == pytest.approx([99.0, 189.1538871, 13.51054152, 0.0])
    assert g["gravity_basis"].tolist() == ["recorded", "offence_code", "incident_type", "none"]


# --- trend ------------------------------------------------------------------------------------


def test_trend_without_penalty_is_the_poisson_glm():
    y = np.array([[0.0, 1, 2, 4], [3, 1, 2, 0]])
    fit = trend.fit(y, prior_sd=1e6)
    x = np.arange(4) - 1.5
    for row, b, se in zip(y, fit.b, fit.se, strict=True):
        glm = sm.GLM(row, sm.add_constant(x), family=sm.families.Poisson()).fit()
        assert b == pytest.approx(glm.params[1], abs=1e-6)
        assert se == pytest.approx(glm.bse[1] * math.sqrt(fit.dispersion), rel=1e-4)


def test_trend_penalty_keeps_a_lone_incident_finite_and_uncertain():
    fit = trend.fit(np.array([[0.0, 0, 0, 1], [0, 2, 3, 6], [1, 1, 1, 1]]))
    assert np.isfinite(fit.b).all()
    low, _ = fit.interval()
    assert fit.ratio()[0] > 1 and low[0] < 1 < low[1]  # rising, but only a run is surely rising
    assert fit.projected[0] < fit.projected[1]
    assert fit.ratio()[2] == pytest.approx(1.0)


def test_trend_refuses_bad_input():
    with pytest.raises(ValueError):
        trend.fit(np.array([[0.0, 0, 0, 0]]))
    with pytest.raises(ValueError):
        trend.fit(np.array([1.0, 2.0]))


# --- scores and reasons -----------------------------------------------------------------------


def test_features_by_hand(frames):
    ev, victims, _ = frames
    f = scores.features(ev, victims, AS_OF)
    assert set(f.index) == {"s1", "s2", "s3"}  # s4's incident was reported after the quarter end
    s1 = f.loc["s1"]
    assert (s1["incidents_90d"], s1["incidents_prev_270d"], s1["victims"]) == (3, 2, 1)
    assert s1["harm_90d"] == pytest.approx(_weight("domestic_abuse") + _weight("assault_with_injury")
                                           + _weight("threats_to_kill"))
    assert s1["latest_incident_type"] == "threats_to_kill"
    assert s1["recency_days"] == pytest.approx((AS_OF - pd.Timestamp("2025-03-20 20:00")).total_seconds() / 86400)
    # quarters (oldest first): 10 May 2024 is in the first, 1 Oct 2024 the second, three in the last
    fit = trend.fit(np.array([[1.0, 0, 1, 3]]))
    assert s1["escalation"] == pytest.approx(fit.ratio()[0], rel=1e-6)
    ages = [(AS_OF - pd.Timestamp(o)).total_seconds() / 86400 for i, _, o, _, s, _, _ in INCIDENTS if s == "s1"]
    types = [t for _, t, _, _, s, _, _ in INCIDENTS if s == "s1"]
    recent = sum(_weight(t) * 0.5 ** (a / scores.HALF_LIFE_DAYS) for t, a in zip(types, ages, strict=True))
    assert s1["recent_harm"] == pytest.approx(recent)
    assert s1["score"] == pytest.approx(fit.projected[0] * recent, rel=1e-6)
    assert f.loc["s2", "escalation"] == pytest.approx(1.0)


def test_reason_in_words(frames):
    ev, victims, _ = frames
    row = scores.features(ev, victims, AS_OF).loc["s1"]
    text = reasons.reason(row)
    assert text.startswith("3 incidents in 90 days, up from 2 in the 9 months before; latest: threats to kill; ")
    assert "incidents " in text and "a quarter (95% " in text
    two = dict(row, victims=2, incidents_90d=1, incidents_prev_270d=0)
    assert "; 2 victims;" in reasons.reason(two)
    assert reasons.reason(two).startswith("1 incident in 90 days, up from 0")


def test_dyads_are_domestic_pairs(frames):
    _, victims, dyads = frames
    assert set(dyads["dyad_id"]) == {"s1>v1"}
    f = scores.features(dyads, victims, AS_OF, key="dyad_id")
    assert f.loc["s1>v1", "incidents_90d"] == 3


def test_violence_by_offence_code_then_type_or_domestic():
    inc = pd.DataFrame({"incident_type": ["burglary", "burglary", "threats_to_kill", "shoplifting", "local_type"],
                        "ho_offence_code": [None, "8N", None, None, "10D"],
                        "domestic": [False, False, False, True, False]})
    # burglary is theft; recorded as 8N it is assault with injury; threats to kill is violence
    # against the person; shoplifting marked domestic counts; a force's own type goes by its code
    assert severity.violent(inc).tolist() == [False, True, True, True, True]


def test_people_list_is_violence_on_a_log_scale_plus_the_worst_dyad(frames):
    ev, victims, dyads = frames
    extra = pd.DataFrame([
        {"person_id": "s2", "event_id": "x1", "incident_type": "burglary", "occurred_at": pd.Timestamp("2025-03-01"),
         "known_at": pd.Timestamp("2025-03-01"), "gravity": _weight("burglary"), "domestic": False, "violent": False},
        {"person_id": "s9", "event_id": "x2", "incident_type": "burglary", "occurred_at": pd.Timestamp("2025-03-01"),
         "known_at": pd.Timestamp("2025-03-01"), "gravity": _weight("burglary"), "domestic": False, "violent": False}])
    ev = pd.concat([ev, extra], ignore_index=True)
    f = scores.people_features(ev, victims, dyads, AS_OF)
    assert set(f.index) == {"s1", "s2", "s3"}  # the burglar-only s9 is not on the people list
    assert f.loc["s2", "incidents_90d"] + f.loc["s2", "incidents_prev_270d"] == 4  # s2's burglary is not counted
    s1_types = ["domestic_abuse", "assault_with_injury", "threats_to_kill"]
    assert f.loc["s1", "harm_90d"] == pytest.approx(sum(math.log1p(_weight(t)) for t in s1_types))
    own = scores.features(ev[ev["violent"]], victims, AS_OF, settings=scores.PEOPLE)
    pair = scores.features(dyads, victims, AS_OF, key="dyad_id", settings=scores.PEOPLE)
    assert f.loc["s1", "dyad_score"] == pytest.approx(pair.loc["s1>v1", "score"])
    assert f.loc["s1", "score"] == pytest.approx(own.loc["s1", "score"] + pair.loc["s1>v1", "score"])
    assert f.loc["s3", "dyad_score"] == 0 and f.loc["s3", "score"] == pytest.approx(own.loc["s3", "score"])
    # on the log scale s1's rising domestic abuse outranks s3's single wounding; on the linear one it did not
    assert f.loc["s1", "score"] > f.loc["s3", "score"]
    linear = scores.features(ev, victims, AS_OF)
    assert linear.loc["s3", "score"] > linear.loc["s1", "score"]


def test_rank_people_and_dyads_from_the_workspace(register_ws):
    people = rank_people(register_ws.con, "2025-03-31")
    assert people["rank"].tolist() == [1, 2, 3]
    assert people["score"].is_monotonic_decreasing
    assert set(people["person_id"]) == {"s1", "s2", "s3"}
    assert (people["as_of"] == "2025-03-31").all() and people["reasons"].str.len().gt(0).all()
    dy = rank_dyads(register_ws.con, "2025-03-31")
    assert dy[["suspect_person_id", "victim_person_id"]].values.tolist() == [["s1", "v1"]]
    assert rank_people(register_ws.con, "2020-01-01").empty


# --- backtest ---------------------------------------------------------------------------------


def test_quarter_ends():
    qs = backtest.quarter_ends("2025-01-01", "2025-12-31")
    assert [q.date().isoformat() for q in qs] == ["2025-03-31", "2025-06-30", "2025-09-30"]
    assert backtest.quarter_ends("2025-01-01", "2025-03-31") == []


def test_backtest_by_hand(register_ws, frames):
    ev, victims, dyads = frames
    res = backtest.run(ev, victims, dyads, register.outcomes(register_ws.con), register.people(register_ws.con),
                       "2025-03-01", "2025-06-30", ks=(1, 2, 3))
    assert [q.date().isoformat() for q in res.quarter_ends] == ["2025-03-31"]
    rec = res.recall.set_index(["list", "party", "method", "k"])
    # people list: s1 and s3 are next quarter's suspects, both ranked among three people
    assert rec.loc[("people", "suspect", "model", 3), ["outcomes", "found"]].tolist() == [2, 2]
    # most incidents: s1 (5), s2 (4), s3 (1); most recent: s1, s3, s2
    assert rec.loc[("people", "suspect", "most_incidents", 2), "found"] == 1
    assert rec.loc[("people", "suspect", "most_recent", 2), "found"] == 2
    # dyads: only s1>v1, so one suspect and one victim of two are found
    assert rec.loc[("dyads", "suspect", "model", 1), "found"] == 1
    assert rec.loc[("dyads", "victim", "model", 1), ["outcomes", "found"]].tolist() == [2, 1]
    prec = res.precision.set_index(["list", "method", "k"])
    assert prec.loc[("people", "model", 3), ["entries", "hits"]].tolist() == [3, 2]
    lead = res.lead_time
    s1 = lead[(lead["list"] == "dyads") & (lead["party"] == "suspect") & (lead["k"] == 1)
              & (lead["method"] == "model")]
    expected = (pd.Timestamp("2025-05-15 08:00") - AS_OF).total_seconds() / 86400
    assert s1["lead_days"].tolist() == pytest.approx([expected])
    low, high = rec.loc[("dyads", "victim", "model", 1), ["low", "high"]]
    assert low < 0.5 < high


def test_backtest_needs_a_whole_quarter(register_ws, frames):
    ev, victims, dyads = frames
    with pytest.raises(ValueError, match="widen"):
        backtest.run(ev, victims, dyads, register.outcomes(register_ws.con), register.people(register_ws.con),
                     "2025-04-01", "2025-05-01")


# --- fairness ---------------------------------------------------------------------------------


def _selection(biased: bool, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 4000
    ids = [f"p{i}" for i in range(n)]
    group = np.where(np.arange(n) % 4 == 0, "black", "white")
    incidents = rng.integers(1, 8, n)
    score = incidents + rng.random(n) + (1.0 * (group == "black") if biased else 0.0)
    rank = pd.Series(score).rank(ascending=False, method="first").to_numpy()
    sel = pd.DataFrame({"person_id": ids, "rank": rank, "incidents": incidents, "gravity_max": 100.0,
                        "quarter_end": pd.Timestamp("2025-03-31")})
    people = pd.DataFrame({"person_id": ids, "sex": "male", "ethnicity": group,
                           "date_of_birth": pd.Timestamp("1995-01-01")})
    return sel, people


def test_fairness_reports_a_group_singled_out_beyond_its_incidents():
    sel, people = _selection(biased=True)
    found = pd.DataFrame({"person_id": ["p0", "p1"], "rank": [1.0, np.nan],
                          "quarter_end": pd.Timestamp("2025-03-31")})
    table = fairness.fairness_table(sel, found, people, k=400).set_index(["attribute", "group"])
    assert table.loc[("ethnicity", "black"), "verdict"] == "selected more than its incidents explain"
    assert table.loc[("ethnicity", "white"), "verdict"] == "selected less than its incidents explain"
    assert table.loc[("ethnicity", "black"), "found"] == 1


def test_fairness_in_line_when_only_incidents_matter():
    sel, people = _selection(biased=False)
    table = fairness.fairness_table(sel, sel.head(0).assign(rank=[]), people, k=400).set_index(["attribute", "group"])
    assert table.loc[("ethnicity", "black"), "verdict"] == "in line with its incidents"
    assert table.loc[("age_band", "25-34"), "ranked"] == 4000


# --- command line -----------------------------------------------------------------------------


def test_cli_rank_writes_the_proposal_layout(register_path, tmp_path):
    out = tmp_path / "ranking.csv"
    r = CliRunner().invoke(app, ["escalation", "rank", "--as-of", "2025-03-31", "--out", str(out),
                                 "-w", str(register_path)])
    assert r.exit_code == 0, r.output
    from threadline.analyse.escalation.ranking import RANKING_COLUMNS

    ranking = pd.read_csv(out)
    assert list(ranking.columns) == RANKING_COLUMNS and len(ranking) == 3
    assert "given_name" not in r.output and "The ranking proposes" in r.output


def test_cli_backtest_prints_recall_lead_time_and_fairness(register_path, tmp_path):
    r = CliRunner().invoke(app, ["escalation", "backtest", "--from", "2025-03-01", "--to", "2025-06-30",
                                 "--k", "1,2", "--out", str(tmp_path / "bt"), "-w", str(register_path)])
    assert r.exit_code == 0, r.output
    for title in ("Recall at k", "Precision at k", "Lead time", "Fairness"):
        assert title in r.output
    ranks = pd.read_csv(tmp_path / "bt" / "outcome-ranks.csv")
    assert "person_id" not in ranks.columns


def test_standing_of_one_person(register_ws):
    from threadline.analyse.escalation.ranking import latest_known, standing

    place = standing(register_ws.con, "s1", "2025-03-31")
    assert place["people_ranked"] == 3 and place["person"]["rank"] == 1
    assert [d["victim_person_id"] for d in place["dyads"]] == ["v1"] and place["dyads"][0]["rank"] == 1
    assert place["person"]["reasons"].startswith("3 incidents in 90 days")
    victim = standing(register_ws.con, "w2", "2025-03-31")
    assert victim["person"] is None and victim["dyads"] == []
    assert latest_known(register_ws.con) == pd.Timestamp("2025-04-10")  # d1, reported after it happened


def test_cli_person_show_gives_the_escalation_standing(register_path):
    r = CliRunner().invoke(app, ["person", "show", "s1", "--as-of", "2025-03-31", "-w", str(register_path)],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Escalation at 2025-03-31: rank 1 of 3 people" in r.output
    assert "domestic abuse against v1: rank 1 of 1 dyads" in r.output and "a person decides" in r.output
    r = CliRunner().invoke(app, ["person", "show", "w2", "-w", str(register_path)], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "Escalation at 2025-04-10: no violent harm" in r.output, r.output
    r = CliRunner().invoke(app, ["person", "show", "s1", "--as-of", "31/03/2025", "-w", str(register_path)])
    assert r.exit_code == 2 and "--as-of" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("args,message", [
    (["--from", "2025-13-01", "--to", "2025-06-30"], "--from"),
    (["--from", "2025-03-01", "--to", "2025-06-30", "--k", "ten"], "--k"),
    (["--from", "2025-04-01", "--to", "2025-05-01"], "widen"),
])
def test_cli_backtest_bad_input_is_one_line(register_path, args, message):
    r = CliRunner().invoke(app, ["escalation", "backtest", *args, "-w", str(register_path)])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


# --- quarterly report section -----------------------------------------------------------------


def test_report_section_counts_without_ids(register_ws, frames):
    import json
    from datetime import date

    from threadline.analyse.escalation.summary import escalation_findings

    ev, victims, dyads = frames
    section = escalation_findings(register_ws.con, date(2025, 1, 1), date(2025, 4, 1))
    feats = scores.features(ev, victims, AS_OF)
    assert section["as_of"] == "2025-03-31"
    assert section["people_ranked"] == 3
    assert section["people_escalating"] == int((feats["escalation_low"] > 1).sum())
    assert section["dyads_ranked"] == 1
    text = json.dumps(section)
    for pid in ("s1", "v1", "s2", "s3", "a1"):
        assert f'"{pid}"' not in text
