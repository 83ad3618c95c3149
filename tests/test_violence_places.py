"""Matching emergency-department (ISTV) place descriptions to places and LSOAs (Cardiff Model)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from threadline.analyse.violence.places import (
    NO_MATCH,
    VAGUE_REASON,
    build_gazetteer,
    candidate_names,
    fuzzy_score,
    match_places,
    match_rate_summary,
    normalise_name,
)
from threadline.synth import synthesise

VAGUE_TEXTS = ["park", "town centre", "not known", "home address", "at home", "partner's house", "in the park",
               "at a friend's house", "in town", "Unknown"]


def police(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"location_text": ["On or near " + t for t, _ in rows], "lsoa_code": [c for _, c in rows]})


# -- normalisation -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, key", [
    ("On or near St George'S Rd", "saint georges road"),
    ("Church St.", "church street"),
    ("CHURCH STREET", "church street"),
    ("The New Inn", "new inn"),
    ("Mt Pleasant Ave", "mount pleasant avenue"),
    ("Coldcotes Dr", "coldcotes drive"),
    ("Bunkers Ln", "bunkers lane"),
    ("Fox & Hounds", "fox and hounds"),
    ("Co-Operation Street", "co operation street"),
    ("  Levens   Garth ", "levens garth"),
    ("Café Rouge", "cafe rouge"),
    (None, ""),
    (float("nan"), ""),
])
def test_normalise_name(raw, key):
    assert normalise_name(raw) == key


# -- pattern extraction --------------------------------------------------------------------------

def names(text: str) -> list[str]:
    return [c.name for c in candidate_names(text) if not c.composite]


def test_in_premises_on_street_gives_street_then_premises():
    assert names("in The New Inn on Gilbert Mount") == ["gilbert mount", "new inn"]


@pytest.mark.parametrize("text, expected", [
    ("outside the shops on Low Moor Side", ["low moor side"]),
    ("home address, Newsam Green Road", ["newsam green road"]),
    ("Levens Garth", ["levens garth"]),
    ("outside The Globe, Second Avenue", ["second avenue", "globe"]),
    ("near The Red Lion", ["red lion"]),
    ("bus stop on Hauxwell Drive", ["hauxwell drive"]),
    ("flat 3, 12a St Mary's Rd", ["saint marys road"]),
    ("12 Levens Garth, LS9 7AB", ["levens garth"]),
    ("The Fox and Hounds, Lodge Farm Gardens", ["lodge farm gardens", "fox and hounds"]),
    ("corner of Call Lane and Kirkgate", ["call lane", "kirkgate"]),
])
def test_candidate_names(text, expected):
    assert names(text) == expected


def test_whole_text_is_kept_for_exact_lookup():
    # a street whose name begins with a splitting word still matches as a whole
    cands = candidate_names("Near Bank")
    assert cands[0].name == "near bank"
    gaz = build_gazetteer(police([("Near Bank", "E1"), ("Bank Street", "E2")]))
    assert match_places(pd.Series(["Near Bank"]), gaz).iloc[0]["lsoa_code"] == "E1"


@pytest.mark.parametrize("text", VAGUE_TEXTS)
def test_vague_texts_have_no_candidates(text):
    assert candidate_names(text) == []


# -- gazetteer -----------------------------------------------------------------------------------

def test_gazetteer_keeps_distribution_and_skips_categories():
    rows = [("Church Lane", "E2")] * 3 + [("Church Lane", "E1")] + [("Coldcotes Drive", "E3")] * 2
    rows += [("Supermarket", "E4"), ("Parking Area", "E4")]  # data.police.uk anonymisation categories
    partner = pd.DataFrame({"location_text": ["in The Globe on Evens Terrace", "town centre", None],
                            "lsoa_code": ["E5", "E6", "E7"]})
    gaz = build_gazetteer(pd.concat([police(rows), partner], ignore_index=True))
    table = gaz.names.set_index("name")
    assert set(table.index) == {"church lane", "coldcotes drive", "globe", "evens terrace"}
    church = table.loc["church lane"]
    assert (church["lsoa_code"], church["count"], church["n_lsoas"]) == ("E2", 4, 2)
    assert church["share"] == pytest.approx(0.75)
    assert church["display"] == "Church Lane"
    assert gaz.lsoas("church lane")["lsoa_code"].tolist() == ["E2", "E1"]
    assert table.loc["globe", "lsoa_code"] == "E5" and table.loc["globe", "display"] == "The Globe"


def test_gazetteer_needs_columns():
    with pytest.raises(ValueError, match="lsoa_code"):
        build_gazetteer(pd.DataFrame({"location_text": ["On or near X Road"]}))


# -- matching ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_gazetteer():
    rows = [("Levens Garth", "E01000001")] * 2 + [("Low Moor Side", "E01000002"), ("Gilbert Mount", "E01000003"),
                                                 ("Newsam Green Road", "E01000004"), ("Lingwell Grove", "E01000005"),
                                                 ("Commercial Road", "E01000006")]
    return build_gazetteer(police(rows))


def test_exact_matches(small_gazetteer):
    texts = pd.Series(["outside the shops on Low Moor Side", "in The New Inn on Gilbert Mount",
                       "home address, Newsam Green Rd", "LEVENS GARTH"], index=[10, 11, 12, 13])
    r = match_places(texts, small_gazetteer)
    assert r.index.tolist() == [10, 11, 12, 13]
    assert r["method"].tolist() == ["exact"] * 4
    assert r["lsoa_code"].tolist() == ["E01000002", "E01000003", "E01000004", "E01000001"]
    assert r["matched_name"].tolist() == ["low moor side", "gilbert mount", "newsam green road", "levens garth"]
    assert (r["score"] == 1.0).all() and r["reason"].isna().all()


def test_fuzzy_matches_a_misspelling(small_gazetteer):
    r = match_places(pd.Series(["Levens Garh", "outside the shops on Low Mor Side"]), small_gazetteer)
    assert r["method"].tolist() == ["fuzzy", "fuzzy"]
    assert r["matched_name"].tolist() == ["levens garth", "low moor side"]
    assert r["lsoa_code"].iloc[0] == "E01000001"
    assert (r["score"] >= 0.9).all() and (r["score"] < 1).all()
    assert r["score"].iloc[0] == pytest.approx(fuzzy_score("levens garh", "levens garth"))


def test_fuzzy_refuses_different_places(small_gazetteer):
    # a different street type, a premises named like a street, and a score under the bar
    r = match_places(pd.Series(["Lingwell Green", "The Commercial", "Levens Garh"]), small_gazetteer, min_score=0.99)
    assert r["method"].tolist() == ["none"] * 3
    assert r["reason"].tolist() == [NO_MATCH] * 3
    assert fuzzy_score("lingwell green", "lingwell grove") == 0.0
    assert fuzzy_score("commercial", "commercial road") == 0.0
    assert fuzzy_score("hill top close", "hilltop close") > 0.9


@pytest.mark.parametrize("text", VAGUE_TEXTS)
def test_vague_texts_unmatched_with_reason(small_gazetteer, text):
    r = match_places(pd.Series([text]), small_gazetteer).iloc[0]
    assert r["method"] == "none" and r["reason"] == VAGUE_REASON and r["lsoa_code"] is None


def test_empty_and_missing(small_gazetteer):
    r = match_places(pd.Series(["", None, np.nan, "   "]), small_gazetteer)
    assert r["method"].tolist() == ["none"] * 4
    assert r["reason"].tolist() == ["empty"] * 4


def test_empty_inputs():
    gaz = build_gazetteer(pd.DataFrame({"location_text": ["park"], "lsoa_code": ["E1"]}))
    assert len(gaz) == 0
    r = match_places(pd.Series(["Levens Garth", "park"]), gaz)
    assert r["reason"].tolist() == [NO_MATCH, VAGUE_REASON]
    empty = match_places(pd.Series([], dtype=object), gaz)
    assert list(empty.columns)[:3] == ["text", "candidate", "matched_name"] and len(empty) == 0
    assert match_rate_summary(empty)["n"] == 0


def test_fuzzy_ties_go_to_the_more_frequent_name():
    # "baxkerton" is one substitution from each; the scores are equal
    assert fuzzy_score("baxkerton street", "bazkerton street") == fuzzy_score("baxkerton street", "baqkerton street")
    more_z = police([("Bazkerton Street", "EZ")] * 3 + [("Baqkerton Street", "EQ")])
    more_q = police([("Bazkerton Street", "EZ")] + [("Baqkerton Street", "EQ")] * 3)
    assert match_places(pd.Series(["Baxkerton Street"]), build_gazetteer(more_z)).iloc[0]["lsoa_code"] == "EZ"
    assert match_places(pd.Series(["Baxkerton Street"]), build_gazetteer(more_q)).iloc[0]["lsoa_code"] == "EQ"


def test_lsoa_ties_and_shared_names():
    # a street seen equally in two LSOAs goes to the lower code; a second name in the text picks
    # the LSOA the two share
    rows = [("Larkhill Way", "E9")] * 5 + [("Larkhill Way", "E2"), ("Kirk Lane", "E5"), ("Kirk Lane", "E3")]
    partner = pd.DataFrame({"location_text": ["The Globe, Other Street", "The Globe, Some Road"],
                            "lsoa_code": ["E2", "E4"]})
    gaz = build_gazetteer(pd.concat([police(rows), partner], ignore_index=True))
    r = match_places(pd.Series(["Kirk Lane", "Larkhill Way", "The Globe, Larkhill Way"]), gaz)
    assert r["lsoa_code"].tolist() == ["E3", "E9", "E2"]
    assert r["n_lsoas"].tolist() == [2, 2, 2]
    assert r["lsoa_share"].tolist() == pytest.approx([0.5, 5 / 6, 1 / 6])


def test_match_rate_summary(small_gazetteer):
    r = match_places(pd.Series(["Levens Garth", "Levens Garh", "park", "town centre", "Nowhere Road", ""]),
                     small_gazetteer)
    s = match_rate_summary(r)
    assert (s["n"], s["exact"], s["fuzzy"], s["none"]) == (6, 1, 1, 4)
    assert s["matched_share"] == pytest.approx(2 / 6)
    assert s["reasons"] == {VAGUE_REASON: 2, NO_MATCH: 1, "empty": 1}


# -- a synthetic force ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synth_force(tmp_path_factory):
    root = tmp_path_factory.mktemp("places")
    synthesise(root, years=1, seed=13, end=date(2024, 12, 31), population_scale=0.1)
    incidents = pd.read_csv(root / "incidents.csv", dtype=str)
    partners = pd.read_csv(root / "partner-records.csv", dtype=str)
    return incidents, partners[partners["agency"] == "nhs_ed"]


def test_synthetic_ed_texts_locate_to_the_right_lsoa(synth_force):
    incidents, ed = synth_force
    gaz = build_gazetteer(incidents)
    known = ed[ed["lsoa_code"].notna()]
    r = match_places(known["location_text"], gaz)  # the true LSOA is hidden from the matcher
    matched = r["method"] != "none"
    accuracy = (r.loc[matched, "lsoa_code"] == known.loc[matched, "lsoa_code"]).mean()
    # measured 0.88 on this seed, 0.87 and 0.91 on seeds 11 and 23 (0.89 on seed 7, two years, scale 0.2);
    # the misses are street names found in more than one LSOA and streets of the same name in an
    # LSOA the incidents never reached
    assert accuracy >= 0.8
    assert matched.mean() >= 0.5  # 0.70 here (0.59-0.61 on seeds 11, 23): a year of incidents at 10%
    # the texts with no located place are all vague or bare pub names
    unknown = match_places(ed.loc[ed["lsoa_code"].isna(), "location_text"], gaz)
    vague = unknown["text"].isin(VAGUE_TEXTS)
    assert (unknown.loc[vague, "reason"] == VAGUE_REASON).all()
    assert vague.sum() > 0
