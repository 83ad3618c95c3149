"""Semantic search and similar records (all-MiniLM-L6-v2), on SQLite and PostgreSQL: found by
meaning, ranked by cosine similarity, and never past the access rules."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from learning_fixtures import OTHER_ORG, PARTNER_ORG, make_people
from sqlalchemy import func, select

from threadline.learning import recommendations as recs
from threadline.learning import records, search, semantic
from threadline.learning.errors import NotFound
from threadline.learning.models import RecordEmbedding

STOPWORDS = frozenset(re.findall(r"\w+", """a an and are as at be by for from had has have he her his in into is it
its of on or she that the
their they this to was were who with after before over"""))

CORPUS = [
    dict(kind="homicide_debrief", title="Fatal stabbing outside a takeaway",
         summary="A 17-year-old was stabbed after a dispute that began on social media.",
         findings="Schools had reported the rivalry but the report was not shared with the neighbourhood team.",
         themes=["weapons", "retaliation"]),
    dict(kind="domestic_homicide_review", title="Domestic homicide review: Adult A",
         summary="Strangulation had been disclosed twice to the GP and not referred to MARAC.",
         findings="Professionals did not ask about coercive control.", themes=["non-fatal-strangulation"]),
    dict(kind="child_safeguarding_review", title="Child safeguarding practice review: Child C",
         summary="An infant suffered injuries while health visitors could not gain access to the home.",
         findings="Missed appointments were not escalated.", themes=["voice-of-victim"]),
    dict(kind="mental_health_homicide_review", title="Mental health homicide review: Mr D",
         summary="A patient discharged from a psychiatric ward stopped taking medication and killed his father.",
         findings="Care coordinator caseloads were too high to follow up.", themes=["mental-health"]),
    dict(kind="near_miss_debrief", title="Near miss: house fire set by an ex-partner",
         summary="Arson at a victim's address after bail conditions were breached repeatedly.",
         findings="Breaches were recorded as separate low-risk incidents.", themes=["bail-conditions"]),
    dict(kind="safeguarding_adult_review", title="Safeguarding adult review: Mrs E",
         summary="An elderly woman living alone died of self-neglect; her hoarding was known to housing officers.",
         findings="No agency took the lead.", themes=["self-neglect", "housing"]),
    dict(kind="organisational_review", title="Call handling review: delayed attendance",
         summary="A 999 call graded for a scheduled appointment was a life-threatening assault.",
         findings="THRIVE grading did not consider previous calls.", themes=["call-handling"]),
]

PARAPHRASE = "teenager knifed following an online argument"


def _fields(**kw) -> records.RecordFields:
    base = dict(record_date=dt.date(2025, 3, 1), organisations=[PARTNER_ORG])
    base.update(kw)
    return records.RecordFields(**base)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS}


def _load(s, p, **overrides):
    made = [records.create_record(s, p.actor("force_contributor"), _fields(**{**row, **overrides}))
            for row in CORPUS]
    return made


def test_embeddings_are_normalised_float32():
    v = semantic.embed(["a knife crime debrief", "a review of a death"])
    assert v.dtype == np.float32 and v.shape == (2, semantic.DIMENSIONS)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert semantic.embed([]).shape == (0, semantic.DIMENSIONS)


def test_paraphrase_is_found_by_meaning_but_not_by_words(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        made = _load(s, p)
        target = made[0]
        indexed_title, indexed_body = search.record_text(target)
        shared = _words(PARAPHRASE) & (_words(semantic.embedding_text(target)) | _words(indexed_title + " "
                                                                                          + indexed_body))
        assert shared == set(), f"the paraphrase shares {shared} with the record"
        reader = p.force_reader
        assert search.search(s, reader, PARAPHRASE).hits == []
        found = search.search(s, reader, PARAPHRASE, mode="semantic")
        assert found.hits[0].id == target.id
        assert found.hits[0].snippet.startswith("A 17-year-old was stabbed")
        assert found.total >= 1 and found.query == PARAPHRASE
        hybrid = search.search(s, reader, PARAPHRASE, mode="hybrid")
        assert hybrid.hits[0].id == target.id


def test_embedding_follows_every_save_and_is_skipped_when_unchanged(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        rec = records.create_record(s, p.actor("force_contributor"), _fields(**CORPUS[2]))
        row = s.get(RecordEmbedding, rec.id)
        assert row.model == semantic.MODEL_NAME and len(row.vector) == 4 * semantic.DIMENSIONS
        first_hash, first_vector = row.text_hash, row.vector
        f = records.fields_of(rec)
        f.tags = ["cspr"]  # not part of the embedded text: nothing to recompute
        records.update_record(s, p.actor("force_contributor"), rec.id, f)
        assert s.get(RecordEmbedding, rec.id).text_hash == first_hash
        action = recs.add_recommendation(s, p.actor("force_contributor"), rec.id, recs.RecommendationFields(
            action="Escalate two missed health visits to the safeguarding lead", owner_organisation=PARTNER_ORG))
        row = s.get(RecordEmbedding, rec.id)
        assert row.text_hash != first_hash and row.vector != first_vector
        assert "Escalate two missed health visits" in semantic.embedding_text(rec)
        recs.set_status(s, p.actor("force_contributor"), action.id, "accepted")
        assert s.get(RecordEmbedding, rec.id).text_hash == row.text_hash
        assert semantic.missing(s) == []


def test_similar_records(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        made = _load(s, p)
        extra = records.create_record(s, p.actor("force_contributor"), _fields(
            kind="serious_violence_debrief", title="Knife attack near a school gate",
            summary="A boy of 15 was stabbed by another pupil after insults were posted online.",
            themes=["weapons", "school-exclusion"]))
        hits = semantic.similar(s, p.force_reader, made[0].id, limit=3)
        assert [h.id for h in hits][0] == extra.id
        assert made[0].id not in [h.id for h in hits]
        assert len(hits) == 3
        assert all(-1.0 <= h.score <= 1.0 for h in hits)
        assert scores_descending([h.score for h in hits])


def scores_descending(scores: list[float]) -> bool:
    return all(a >= b for a, b in zip(scores, scores[1:], strict=False))


def test_semantic_search_and_similar_respect_access_rules(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        made = _load(s, p)
        secret = records.create_record(s, p.actor("force_contributor"), _fields(
            kind="homicide_debrief", title="Restricted: youth killed with a blade after an internet feud",
            summary="A 16-year-old was stabbed after threats on social media; an informant is named.",
            restricted=True, shared_with=[OTHER_ORG], themes=["weapons"]))
        partner, other, force = p.partner_admin, p.other_reader, p.force_reader
        for mode in ("semantic", "hybrid"):
            for q in (PARAPHRASE, "stabbed youth informant social media", "blade"):
                assert secret.id not in [h.id for h in search.search(s, partner, q, mode=mode, limit=100).hits]
            assert secret.id in [h.id for h in search.search(s, other, PARAPHRASE, mode=mode, limit=100).hits]
            assert secret.id in [h.id for h in search.search(s, force, PARAPHRASE, mode=mode, limit=100).hits]
        assert secret.id not in [h.id for h in semantic.similar(s, partner, made[0].id, limit=50)]
        assert secret.id in [h.id for h in semantic.similar(s, other, made[0].id, limit=50)]
        with pytest.raises(NotFound):
            semantic.similar(s, partner, secret.id)
        total_partner = search.search(s, partner, PARAPHRASE, mode="semantic").total
        total_other = search.search(s, other, PARAPHRASE, mode="semantic").total
        assert total_other == total_partner + 1


def test_semantic_filters_paging_and_empty_query(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        made = _load(s, p)
        reader = p.force_reader
        only = search.search(s, reader, PARAPHRASE, search.Filters(kinds=["domestic_homicide_review"]), mode="semantic")
        assert {h.record.kind for h in only.hits} <= {"domestic_homicide_review"}
        themed = search.search(s, reader, "someone died", search.Filters(themes=["mental-health"]), mode="semantic")
        assert [h.id for h in themed.hits] == [made[3].id]
        everything = search.search(s, reader, "death or injury", mode="semantic", limit=100)
        page = search.search(s, reader, "death or injury", mode="semantic", limit=2, offset=2)
        assert [h.id for h in page.hits] == [h.id for h in everything.hits[2:4]]
        newest = search.search(s, reader, "  ", mode="semantic", limit=100)
        assert newest.total == len(made)
        with pytest.raises(Exception, match="unknown search mode"):
            search.search(s, reader, "x", mode="vector")


def test_cache_follows_changes_and_deletes(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        made = _load(s, p)
        reader = p.force_reader
        assert search.search(s, reader, PARAPHRASE, mode="semantic").hits[0].id == made[0].id
        records.delete_record(s, p.actor("force_reviewer"), made[0].id, "entered twice by mistake")
        assert made[0].id not in [h.id for h in search.search(s, reader, PARAPHRASE, mode="semantic").hits]
        f = records.fields_of(made[1])
        f.summary = "A teenage boy was knifed following an online argument."
        records.update_record(s, p.actor("force_contributor"), made[1].id, f)
        assert search.search(s, reader, PARAPHRASE, mode="semantic").hits[0].id == made[1].id


def test_semantic_search_at_20000_records_keeps_restricted_records_out(factory):
    """20,000 stored embeddings, a third restricted: the cached matrix is filtered by the access rule
    on every search. (Its speed is measured in benchmarks/learning_bench.py, not asserted here.)"""
    with factory() as s, s.begin():
        p = make_people(s)
        _load(s, p)
        base = s.scalar(select(func.max(RecordEmbedding.record_id)))
    n = 20_000
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((n, semantic.DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with factory() as s, s.begin():
        owner = p.force_admin.organisation_id
        s.execute(records.LearningRecord.__table__.insert(), [
            dict(id=base + i + 1, kind="other", title=f"Synthetic {i}", record_date=dt.date(2024, 1, 1),
                 summary="", findings="", restricted=bool(i % 3 == 0), owner_organisation_id=owner,
                 confidentiality="official", stage="initial", tags=[], case_ids=[])
            for i in range(n)])
        s.execute(RecordEmbedding.__table__.insert(), [
            dict(record_id=base + i + 1, model=semantic.MODEL_NAME, text_hash="x", vector=vectors[i].tobytes())
            for i in range(n)])
    with factory() as s:
        partner = s.merge(p.partner_reader)
        for q in ("knife crime near a school", "missed mental health appointments", "arson after bail breach"):
            res = search.search(s, partner, q, mode="semantic")
            assert len(res.hits) == 20
            assert all(not h.record.restricted for h in res.hits)
        admin = s.merge(p.force_admin)
        assert any(h.record.restricted for h in search.search(s, admin, "arson after bail breach", mode="semantic",
                                                              limit=60).hits)
