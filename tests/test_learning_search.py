"""Full-text search on SQLite FTS5 and PostgreSQL: the query language (words, phrases, OR,
trailing-* prefixes) behaves the same on both, and no user input can cause a syntax error."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from learning_fixtures import PARTNER_ORG, make_people

from threadline.learning import records, search

ROWS = [
    dict(kind="homicide_debrief", title="Fatal stabbing outside a takeaway",
         summary="A 17-year-old was stabbed after a dispute that began on social media.", themes=["weapons"]),
    dict(kind="domestic_homicide_review", title="Domestic homicide review: Adult A",
         summary="Strangulation had been disclosed twice to the GP.", themes=["non-fatal-strangulation"]),
    dict(kind="near_miss_debrief", title="Near miss: arson after repeated bail breaches",
         summary="Safeguarding referrals were not linked.", themes=["bail-conditions"]),
]


def _load(s):
    p = make_people(s)
    made = [records.create_record(s, p.actor("force_contributor"), records.RecordFields(
        record_date=dt.date(2025, 3, 1), organisations=[PARTNER_ORG], **row)) for row in ROWS]
    return p, made


def _ids(s, user, q, **kw):
    return [h.id for h in search.search(s, user, q, **kw).hits]


def test_prefix_search_on_both_backends(factory):
    with factory() as s, s.begin():
        p, (stab, dhr, near) = _load(s)
        u = p.force_reader
        assert _ids(s, u, "strang*") == [dhr.id]
        assert _ids(s, u, "strang") == []  # without the star a fragment is not a word
        assert _ids(s, u, "safeguard*") == [near.id]
        assert _ids(s, u, "take*") == [stab.id]
        assert set(_ids(s, u, "stab* OR arson")) == {stab.id, near.id}
        assert _ids(s, u, "stab* social") == [stab.id]
        assert _ids(s, u, '"social media" dispute') == [stab.id]
        assert _ids(s, u, '"media social"') == []
        hit = search.search(s, u, "strang*").hits[0]
        assert "<mark>" in hit.snippet


def test_pg_tsquery_is_built_from_bind_parameters():
    sql, params = search.pg_tsquery("knife* OR \"social media\" ');DROP TABLE x;-- a:b|c")
    assert "DROP" not in sql and "'" not in sql.replace("'english'", "")
    assert params["tq0"] == "knife:*" and params["tq1"] == "social media"
    assert all(set(v) <= set("abcdefghijklmnopqrstuvwxyzDROPTABLE :*") for v in params.values())
    assert search.pg_tsquery("*** OR ''") == ("", {})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60) | st.text(alphabet='"*()&|!:<>-\'\\ orOR\x00ab', max_size=30),
       mode=st.sampled_from(search.MODES))
def test_no_query_causes_an_error(factory, q, mode):
    with factory() as s, s.begin():
        if not getattr(factory, "_loaded", False):
            _load(s)
            factory._loaded = True
    with factory() as s:
        from threadline.learning.models import User

        user = s.query(User).filter_by(username="force.reader").one()
        res = search.search(s, user, q, limit=5, mode=mode)
        assert res.total >= len(res.hits)
        for hit in res.hits:
            assert "<script" not in hit.snippet


def test_snippets_are_html_safe(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        rec = records.create_record(s, p.actor("force_contributor"), records.RecordFields(
            kind="other", title="<script>alert(1)</script> review", record_date=dt.date(2025, 1, 1),
            summary="The <b>school</b> & the <script>alert(2)</script> team"))
        for mode in ("text", "semantic", "hybrid"):
            hits = search.search(s, p.force_reader, "school", mode=mode).hits
            assert hits and hits[0].id == rec.id
            assert "<script>" not in hits[0].snippet and "<b>" not in hits[0].snippet


def test_hybrid_fuses_both_rankings(factory):
    with factory() as s, s.begin():
        p, (stab, dhr, near) = _load(s)
        u = p.force_reader
        exact = _ids(s, u, "strangulation", mode="hybrid")
        assert exact[0] == dhr.id
        by_meaning = _ids(s, u, "choking by a partner", mode="hybrid")
        assert by_meaning[0] == dhr.id
        full = search.search(s, u, "homicide after violence", mode="hybrid", limit=10)
        assert full.total >= 2
        page = search.search(s, u, "homicide after violence", mode="hybrid", limit=1, offset=1)
        assert [h.id for h in page.hits] == [full.hits[1].id] and page.total == full.total
        assert all(a.score >= b.score for a, b in zip(full.hits, full.hits[1:], strict=False))


def test_unknown_mode_is_refused(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        with pytest.raises(search.Invalid):
            search.search(s, p.force_reader, "x", mode="fuzzy")
