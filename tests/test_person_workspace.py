"""Person linkage in the workspace: decisions win over the model; identities; the records compared."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from threadline.link.people.workspace import apply_decisions, identities


def _pairs(rows):
    return pd.DataFrame(rows, columns=["uid_l", "uid_r", "match_probability", "match_weight"])


def test_decisions_override_the_model_both_ways_and_add_missing_pairs():
    pairs = _pairs([("P1", "P2", 0.97, 8.0), ("P3", "P4", 0.6, 1.0), ("P5", "P6", 0.2, -2.0)])
    decided = pd.DataFrame({"uid_l": ["P1", "P5", "P7"], "uid_r": ["P2", "P6", "nhs_ed:9"],
                            "decision": ["non_match", "match", "match"]})
    out = apply_decisions(pairs, decided).set_index(["uid_l", "uid_r"])
    assert out.loc[("P1", "P2"), "match_probability"] == 0.0
    assert out.loc[("P5", "P6"), "match_probability"] == 1.0
    assert out.loc[("P3", "P4"), "match_probability"] == 0.6 and out.loc[("P3", "P4"), "decision"] is None
    assert out.loc[("P7", "nhs_ed:9"), "match_probability"] == 1.0  # never scored, accepted by a reviewer
    assert np.isinf(out.loc[("P7", "nhs_ed:9"), "match_weight"])


def test_decisions_match_pairs_written_either_way_round():
    pairs = _pairs([("P2", "P1", 0.97, 8.0)])
    decided = pd.DataFrame({"uid_l": ["P1"], "uid_r": ["P2"], "decision": ["non_match"]})
    out = apply_decisions(pairs, decided)
    assert len(out) == 1 and out["match_probability"].iloc[0] == 0.0


def test_identities_are_components_of_links_above_the_threshold_and_cover_every_record():
    uids = pd.Series(["P1", "P2", "P3", "nhs_ed:1", "yjs:2", "P9"])
    pairs = _pairs([("P1", "nhs_ed:1", 0.99, 9), ("nhs_ed:1", "P2", 0.95, 7), ("P3", "yjs:2", 0.5, 0)])
    ids = identities(uids, pairs, threshold=0.9)
    by = ids.set_index("record_id")["identity_id"]
    assert by["P1"] == by["P2"] == by["nhs_ed:1"]
    assert by["P3"] != by["yjs:2"]  # 0.5 is below the threshold
    assert len(ids) == 6 and ids["identity_id"].nunique() == 4
    assert ids.set_index("record_id").loc["nhs_ed:1", "source"] == "partner_records"
    assert all(i.startswith("I") for i in ids["identity_id"])


@pytest.mark.parametrize("threshold", [0.5, 0.9, 0.99])
def test_a_higher_threshold_never_joins_more(threshold):
    rng = np.random.default_rng(3)
    uids = pd.Series([f"P{i}" for i in range(60)])
    a, b = rng.integers(0, 60, 80), rng.integers(0, 60, 80)
    pairs = _pairs([(f"P{x}", f"P{y}", p, 0.0) for x, y, p in zip(a, b, rng.random(80), strict=True) if x != y])
    low = identities(uids, pairs, threshold)["identity_id"].nunique()
    high = identities(uids, pairs, min(threshold + 0.05, 0.999))["identity_id"].nunique()
    assert high >= low


def test_a_rejected_pair_is_separated_even_when_other_links_join_it():
    uids = pd.Series(["A", "B", "C", "D"])
    pairs = _pairs([("A", "C", 0.99, 9), ("B", "C", 0.93, 4), ("A", "B", 0.0, -99), ("C", "D", 0.97, 6)])
    cannot = pd.DataFrame({"uid_l": ["A"], "uid_r": ["B"]})
    by = identities(uids, pairs, 0.9, cannot_link=cannot).set_index("record_id")["identity_id"]
    assert by["A"] != by["B"]
    assert by["A"] == by["C"] == by["D"]  # the weakest link (B-C) went, the strong ones stay
    accepted = _pairs([("A", "C", 1.0, 99), ("B", "C", 1.0, 99)])
    by = identities(uids, accepted, 0.9, cannot_link=cannot).set_index("record_id")["identity_id"]
    assert by["A"] == by["B"]  # reviewers accepted both links: their decisions disagree, nothing is cut
