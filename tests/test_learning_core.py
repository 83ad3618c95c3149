"""The learning repository's core services, on SQLite and PostgreSQL: records, recommendations,
the access rules and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from learning_fixtures import OTHER_ORG, PARTNER_ORG, make_people
from sqlalchemy import func, select, text

from threadline.learning import access, records, search
from threadline.learning import recommendations as recs
from threadline.learning.audit import Actor
from threadline.learning.errors import Forbidden, Invalid, NotFound
from threadline.learning.models import AuditEvent, LearningRecord


def _fields(**kw) -> records.RecordFields:
    base = dict(kind="homicide_debrief", title="Fatal stabbing outside a takeaway", record_date=dt.date(2025, 3, 1),
                summary="A 17-year-old was stabbed after a dispute that began on social media.",
                themes=["weapons", "retaliation"], organisations=[PARTNER_ORG])
    base.update(kw)
    return records.RecordFields(**base)


def test_restricted_record_is_invisible_to_an_unshared_partner(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        open_rec = records.create_record(s, p.actor("force_contributor"), _fields())
        secret = records.create_record(s, p.actor("force_contributor"), _fields(
            title="Domestic homicide review: strangulation", kind="domestic_homicide_review",
            summary="Non-fatal strangulation had been disclosed twice", restricted=True, shared_with=[OTHER_ORG]))
    with factory() as s, s.begin():
        p2 = {u: s.merge(getattr(p, u)) for u in ("partner_admin", "other_reader", "force_reader")}
        assert access.get_record(s, p2["force_reader"], secret.id).id == secret.id
        assert access.get_record(s, p2["other_reader"], secret.id).id == secret.id
        with pytest.raises(NotFound):
            access.get_record(s, p2["partner_admin"], secret.id)
        with pytest.raises(NotFound):  # the same answer as for a record that does not exist
            access.get_record(s, p2["partner_admin"], 999_999)
        assert [h.id for h in search.search(s, p2["partner_admin"], "strangulation").hits] == []
        assert [h.id for h in search.search(s, p2["other_reader"], "strangulation").hits] == [secret.id]
        assert access.get_record(s, p2["partner_admin"], open_rec.id).id == open_rec.id


def test_roles(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        with pytest.raises(Forbidden):
            records.create_record(s, p.actor("force_reader"), _fields())
        rec = records.create_record(s, p.actor("force_contributor"), _fields())
        with pytest.raises(Forbidden):  # a partner may not edit the force's record
            records.update_record(s, p.actor("partner_admin"), rec.id, _fields(title="changed"))
        with pytest.raises(Forbidden):  # a contributor may not erase
            records.delete_record(s, p.actor("force_contributor"), rec.id, "no longer needed")
        action = recs.add_recommendation(s, p.actor("force_contributor"), rec.id, recs.RecommendationFields(
            action="Share school exclusion lists with the neighbourhood team weekly",
            owner_organisation=PARTNER_ORG, owner_username="partner.contributor", due_date=dt.date(2025, 6, 1)))
        with pytest.raises(Forbidden):  # a reader of the owning partner may not update
            recs.set_status(s, p.actor("partner_reader"), action.id, "accepted")
        recs.set_status(s, p.actor("partner_contributor"), action.id, "accepted")
        with pytest.raises(Invalid):  # implemented needs evidence
            recs.set_status(s, p.actor("partner_contributor"), action.id, "implemented")
        recs.set_status(s, p.actor("partner_contributor"), action.id, "implemented",
                        evidence="List shared every Monday since May")
        with pytest.raises(Forbidden):  # the implementer does not verify their own work
            recs.set_status(s, p.actor("partner_admin"), action.id, "verified")
        recs.set_status(s, p.actor("force_reviewer"), action.id, "verified")
        assert [(e.field, e.new) for e in action.events] == [
            ("status", "proposed"), ("status", "accepted"), ("evidence", "List shared every Monday since May"),
            ("status", "implemented"), ("status", "verified")]
        records.delete_record(s, p.actor("force_reviewer"), rec.id, "entered twice by mistake")
        assert s.scalar(select(func.count()).select_from(LearningRecord)) == 0
        erase = s.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).one()
        assert erase.justification == "entered twice by mistake" and erase.username == "force.reviewer"


def test_tasking_an_organisation_that_cannot_see_the_record_is_refused(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        rec = records.create_record(s, p.actor("force_contributor"), _fields(restricted=True))
        with pytest.raises(Invalid, match="cannot see"):
            recs.add_recommendation(s, p.actor("force_contributor"), rec.id, recs.RecommendationFields(
                action="Review the referral pathway", owner_organisation=PARTNER_ORG))


def test_audit_log_is_append_only(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        records.view_record(s, p.actor("force_reader"), records.create_record(
            s, p.actor("force_contributor"), _fields()).id)
    for statement in ("UPDATE audit_log SET username = 'someone else'", "DELETE FROM audit_log"):
        with factory() as s, pytest.raises(Exception, match="append-only"), s.begin():
            s.execute(text(statement))
    with factory() as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["collect", "consult"]


def test_failed_work_leaves_no_audit_line(factory):
    with factory() as s, s.begin():
        p = make_people(s)
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    with factory() as s, pytest.raises(Invalid), s.begin():
        records.create_record(s, Actor(s.merge(p.force_contributor)), _fields(kind="not a kind"))
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert s.scalar(select(func.count()).select_from(LearningRecord)) == 0


def test_full_text_search_filters_and_stemming(factory):
    with factory() as s, s.begin():
        p = make_people(s)
        a = records.create_record(s, p.actor("force_contributor"), _fields())
        b = records.create_record(s, p.actor("force_contributor"), _fields(
            kind="near_miss_debrief", title="Near miss: man found unconscious after GHB use",
            themes=["substance-misuse"], record_date=dt.date(2024, 1, 5),
            summary="Found in a churchyard after a chemsex party; the ambulance was delayed"))
        user = p.force_reader
        assert [h.id for h in search.search(s, user, "stabbings").hits] == [a.id]  # stemmed
        assert {h.id for h in search.search(s, user, "churchyard OR takeaway").hits} == {a.id, b.id}
        assert [h.id for h in search.search(s, user, '"ambulance was delayed"').hits] == [b.id]
        only_homicide = search.Filters(kinds=["homicide_debrief"])
        assert [h.id for h in search.search(s, user, "churchyard", only_homicide).hits] == []
        assert [h.id for h in search.search(s, user, "", search.Filters(themes=["substance-misuse"])).hits] == [b.id]
        assert [h.id for h in search.search(s, user, "", search.Filters(date_from=dt.date(2025, 1, 1))).hits] == [a.id]
        # operators and quotes from the user never reach FTS5 as syntax
        for q in ['title:x', 'NEAR(a b)', '"unbalanced', "a AND", "* OR", "-x", "(", "'"]:
            search.search(s, user, q)
        assert "<mark>" in search.search(s, user, "stabbed").hits[0].snippet
