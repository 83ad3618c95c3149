"""The per-request shortcuts behind the learning repository's pages give the same answers as the
plain queries they replace, on SQLite and PostgreSQL, and never past the access rules: the ids
hidden from a user, the similar records checked among the best candidates first, the cache of
query embeddings, the tracking list walked by due date, the count by subtraction, and full-text
search without a join to every matching record."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from learning_fixtures import FORCE_ORG, OTHER_ORG, PARTNER_ORG, make_people
from sqlalchemy import func, not_, select, text

from threadline.learning import access, records, search, semantic, tracking
from threadline.learning import recommendations as recs
from threadline.learning.errors import NotFound
from threadline.learning.models import LearningRecord, Recommendation, RecordEmbedding


@pytest.fixture(autouse=True)
def _no_model(monkeypatch):
    """Saves do not embed here: the tests write their own vectors (the model has its own tests)."""
    monkeypatch.setenv("THREADLINE_EMBEDDINGS", "off")
    semantic.clear_cache()
    semantic.clear_query_cache()
    yield
    semantic.clear_cache()
    semantic.clear_query_cache()


def _corpus(s, n: int = 24):
    """``n`` records about knives, every third restricted to the force (some shared with the
    partner), each with a recommendation (every fourth undated), and a unit vector per record:
    record ``i`` points nearly the same way as record 0, less so as ``i`` grows."""
    p = make_people(s)
    fc = p.actor("force_contributor")
    made = []
    for i in range(n):
        restricted = i % 3 == 1
        made.append(records.create_record(s, fc, records.RecordFields(
            kind="homicide_debrief", title=f"Knife attack number {i}", record_date=dt.date(2024, 1, 1 + i % 28),
            summary=f"A knife was used in attack {i}; information sharing failed.", restricted=restricted,
            shared_with=[PARTNER_ORG] if restricted and i % 2 else [])))
    for i, record in enumerate(made):
        rec = recs.add_recommendation(s, fc, record.id, recs.RecommendationFields(
            action=f"Share knife intelligence {i}",
            owner_organisation=FORCE_ORG if record.restricted else PARTNER_ORG if i % 2 else OTHER_ORG,
            due_date=None if i % 4 == 0 else dt.date(2024, 1 + i % 12, 1 + i % 5)))
        if i % 5 == 0:
            recs.set_status(s, fc, rec.id, "in_progress")
    base = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    base[0] = 1.0
    for i, record in enumerate(made):
        v = base.copy()
        v[1 + i % (semantic.DIMENSIONS - 1)] = 0.05 * i
        v /= np.linalg.norm(v)
        s.add(RecordEmbedding(record_id=record.id, model=semantic.MODEL_NAME, text_hash=f"test {i}",
                              vector=v.astype(np.float32).tobytes()))
    s.flush()
    semantic.changed()
    inactive = make_inactive(s, p)
    return p, made, inactive


def make_inactive(s, p):
    user = p.other_reader
    user.active = False
    s.flush()
    return user


def _users(p, inactive):
    return [p.force_reader, p.partner_reader, p.partner_contributor, inactive]


def test_hidden_ids_are_exactly_the_records_not_visible(factory):
    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        everything = set(s.scalars(select(LearningRecord.id)))
        for user in _users(p, inactive):
            hidden = set(s.scalars(access.hidden_record_ids(user)))
            visible = set(s.scalars(select(LearningRecord.id).where(access.visible_clause(user))))
            assert hidden == set(s.scalars(select(LearningRecord.id).where(not_(access.visible_clause(user)))))
            assert hidden | visible == everything and not hidden & visible
            by_join = set(s.scalars(access.visible_recommendations(user).with_only_columns(Recommendation.id)))
            by_clause = set(s.scalars(select(Recommendation.id).where(access.visible_recommendation_clause(user))))
            assert by_clause == by_join
        assert set(s.scalars(access.hidden_record_ids(inactive))) == everything
        assert len(set(s.scalars(access.hidden_record_ids(p.partner_reader)))) > 0


@pytest.mark.parametrize("candidates", [2, 5, 50])
def test_similar_is_the_head_of_the_full_ranking(factory, monkeypatch, candidates):
    """With few candidates a user who may not see most of them gets the full ranking instead."""
    monkeypatch.setattr(semantic, "SIMILAR_CANDIDATES", candidates)
    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        for user in _users(p, inactive)[:3]:
            for record in (made[0], made[3], made[9]):
                vector = np.frombuffer(s.get(RecordEmbedding, record.id).vector, dtype=np.float32)
                ids, scores, _ = semantic._rank(s, user, vector, None, exclude=record.id, min_score=-1.0)
                for limit in (1, 5):
                    got = semantic.similar(s, user, record.id, limit=limit)
                    assert [h.id for h in got] == ids[:limit].tolist()
                    assert [h.score for h in got] == pytest.approx(scores[:limit].tolist())
                    assert all(access.visible(user, h.record) for h in got)
                    # the record page passes the record it loaded: the same answer, from the matrix's row
                    given = semantic.similar(s, user, record.id, limit=limit, record=record)
                    assert [(h.id, h.score) for h in given] == [(h.id, h.score) for h in got]


def test_similar_checks_access_to_a_record_the_caller_passes(factory):
    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        secret = next(r for r in made if r.restricted and not r.shared_with)
        with pytest.raises(NotFound):
            semantic.similar(s, p.partner_reader, secret.id, record=secret)
        with pytest.raises(NotFound):
            semantic.similar(s, inactive, made[0].id, record=made[0])
        assert semantic.similar(s, p.force_reader, secret.id, record=secret)


def test_best_keeps_ties_in_the_full_order():
    ids = np.array([5, 9, 2, 7, 3, 8], dtype=np.int64)
    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.1, 0.9], dtype=np.float32)
    full_ids, full_scores = semantic._best(ids, scores)
    assert full_ids.tolist() == [9, 8, 7, 5, 2, 3]
    for top in range(0, 8):
        head_ids, head_scores = semantic._best(ids, scores, top)
        assert head_ids.tolist() == full_ids[:top].tolist()
        assert head_scores.tolist() == full_scores[:top].tolist()


def test_query_embedding_cache_is_shared_and_bounded_but_never_decides_access(factory, monkeypatch):
    calls: list[list[str]] = []
    target = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    target[0] = 1.0

    def fake_embed(texts):
        calls.append(list(texts))
        return np.tile(target, (len(texts), 1))

    monkeypatch.setattr(semantic, "embed", fake_embed)
    monkeypatch.setattr(semantic, "QUERY_CACHE_SIZE", 2)
    first = semantic.embed_query("knife crime")
    again = semantic.embed_query("knife crime")
    assert again is first and np.array_equal(first, target) and calls == [["knife crime"]]
    with pytest.raises(ValueError):
        first[0] = 2.0  # shared between requests: read-only
    semantic.embed_query("county lines")
    semantic.embed_query("knife crime")  # the most recent use: kept
    semantic.embed_query("strangulation")  # evicts "county lines", the least recently used
    semantic.embed_query("knife crime")
    assert calls == [["knife crime"], ["county lines"], ["strangulation"]]
    semantic.embed_query("county lines")
    assert calls[-1] == ["county lines"]

    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        restricted = {r.id for r in made if r.restricted}
        by_user = {}
        for user in (p.force_reader, p.other_reader, p.partner_reader, p.force_reader):
            if user is p.other_reader:
                user.active = True  # a reader of an organisation nothing is shared with
            found = search.search(s, user, "knife attack", mode="semantic", limit=100)
            ids = {h.id for h in found.hits}
            assert found.total == len(ids)
            assert ids == set(s.scalars(select(LearningRecord.id).where(access.visible_clause(user))))
            by_user[user.username] = ids
        assert calls.count(["knife attack"]) == 1  # one embedding, three users
        assert restricted <= by_user[p.force_reader.username]
        assert not restricted & by_user[p.other_reader.username]
        shared = {r.id for r in made if r.restricted and r.shared_with}
        assert shared and shared <= by_user[p.partner_reader.username]
        assert not (restricted - shared) & by_user[p.partner_reader.username]


def _reference(s, user, **filters):
    """The tracking list as the single query it was: visible by a join, dated first."""
    stmt = tracking._filtered_stmt(access.visible_recommendations(user), **filters)
    return list(s.scalars(stmt.with_only_columns(Recommendation.id).order_by(
        Recommendation.due_date.is_(None), Recommendation.due_date, Recommendation.id)))


@pytest.mark.parametrize("filters", [{}, {"status": "in_progress"}, {"status": "open"},
                                     {"overdue": True, "on": dt.date(2024, 6, 1)},
                                     {"organisation_id": "partner"}])
def test_tracking_list_pages_and_count_match_the_plain_query(factory, filters):
    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        if filters.get("organisation_id"):
            filters = dict(filters, organisation_id=p.partner_reader.organisation_id)
        for user in _users(p, inactive):
            want = _reference(s, user, **filters)
            assert tracking.count_visible(s, user, **filters) == len(want)
            assert tracking.count(s, tracking.filtered(user, **filters)) == len(want)
            assert [r.id for r in tracking.recommendation_list(s, user, **filters, limit=None)] == want
            for size in (1, 4, 7):
                pages = []
                for offset in range(0, len(want) + 2 * size, size):
                    page = tracking.recommendation_list(s, user, **filters, limit=size, offset=offset)
                    assert len(page) <= size
                    pages += [r.id for r in page]
                assert pages == want
            counted = s.scalar(select(func.count()).select_from(
                tracking._filtered_stmt(access.visible_recommendations(user), **filters).subquery()))
            assert counted == len(want)


def test_fulltext_without_filters_matches_the_filtered_query(factory):
    """No filter: visibility by the hidden ids; a filter that keeps everything: by a join. Same page."""
    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        keep_all = search.Filters(date_from=dt.date(1900, 1, 1))
        for user in _users(p, inactive):
            for q in ("knife", "information sharing", "attack 7", "nothing-matches-this"):
                for offset in (0, 5):
                    plain = search.search(s, user, q, limit=6, offset=offset)
                    joined = search.search(s, user, q, keep_all, limit=6, offset=offset)
                    assert plain.total == joined.total
                    assert [(h.id, h.score, h.snippet) for h in plain.hits] == [
                        (h.id, h.score, h.snippet) for h in joined.hits]
                    assert all(access.visible(user, h.record) for h in plain.hits)
        found = search.search(s, p.force_reader, "knife", limit=100)
        assert found.total == len(made) and "<mark>" in found.hits[0].snippet


def test_fulltext_total_from_the_window_count_is_the_number_of_visible_matches(factory):
    """The page and the total come from one query (a window count); a page past the end, which has
    no row to carry the count, counts on its own. Both equal the visible matches, page by page."""
    with factory() as s, s.begin():
        p, made, inactive = _corpus(s)
        for user in _users(p, inactive):
            everything = search.search(s, user, "knife", limit=1000)
            visible = [r for r in made if access.visible(user, r)]
            assert everything.total == len(everything.hits) == len(visible)
            pages = [search.search(s, user, "knife", limit=5, offset=o) for o in range(0, 40, 5)]
            assert {r.total for r in pages} == {len(visible)}
            assert [h.id for r in pages for h in r.hits] == [h.id for h in everything.hits]
            past = search.search(s, user, "knife", search.Filters(kinds=["homicide_debrief"]), limit=5, offset=500)
            assert past.hits == [] and past.total == len(visible)
        if s.get_bind().dialect.name == "postgresql":  # sequential scans are back on after a search
            assert s.scalar(text("SHOW enable_seqscan")) == "on"


def test_one_thread_at_a_time_asks_whether_the_embeddings_changed(factory, monkeypatch):
    """When the matrix is due a check and another thread is already checking, the cached matrix is
    used without a query; otherwise the check runs (and a change made meanwhile is then seen)."""
    with factory() as s, s.begin():
        _corpus(s)
        first = semantic._matrix(s)
        asked = []
        real = semantic._signature
        monkeypatch.setattr(semantic, "_signature", lambda session: asked.append(1) or real(session))
        first.checked_at -= semantic.RECHECK_SECONDS + 1  # the check is due
        with semantic._check_lock:  # as if another thread were checking
            assert semantic._matrix(s) is first and asked == []
        s.execute(RecordEmbedding.__table__.delete().where(RecordEmbedding.record_id == int(first.ids[0])))
        again = semantic._matrix(s)
        assert asked == [1] and len(again.ids) == len(first.ids) - 1


def test_the_record_page_loads_every_theme_and_organisation_but_no_document_bytes(factory):
    """PAGE_OPTIONS loads the record's collections whole, and its documents without their bytes."""
    from sqlalchemy import inspect

    with factory() as s, s.begin():
        p = make_people(s)
        fc = p.actor("force_contributor")
        made = records.create_record(s, fc, records.RecordFields(
            kind="serious_violence_debrief", title="Stabbing outside a school", record_date=dt.date(2025, 5, 1),
            summary="Information sharing failed.", themes=["information-sharing", "coercive-control", "stalking"],
            organisations=[PARTNER_ORG, OTHER_ORG]))
        records.add_document(s, fc, made.id, "notes.txt", b"Debrief notes: the school knew of the threats.")
        record_id = made.id
    with factory() as s:
        record = access.get_record(s, s.merge(p.force_reader), record_id, records.PAGE_OPTIONS)
        assert {t.code for t in record.themes} == {"information-sharing", "coercive-control", "stalking"}
        assert {o.name for o in record.organisations} == {PARTNER_ORG, OTHER_ORG}
        [doc] = record.attachments
        assert doc.filename == "notes.txt" and doc.text and "data" not in inspect(doc).dict
