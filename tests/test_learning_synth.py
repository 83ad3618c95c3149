"""The synthetic learning corpus (threadline.synth.learning): determinism, ground truth, loading
into SQLite and PostgreSQL, search over what was loaded, and the access rule's integrity."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import func, or_, select, text

from threadline.learning import search, semantic
from threadline.learning.models import (
    AuditEvent,
    LearningRecord,
    Recommendation,
    RecommendationEvent,
    RecordEmbedding,
    User,
    record_shares,
)
from threadline.learning.vocab import KINDS, OPEN_STATUSES, STATUSES
from threadline.synth import learning as L


def _plain(corpus: L.LearningCorpus) -> dict:
    return {"records": corpus.records, "recs": corpus.recommendations, "users": corpus.users,
            "truth": dataclasses.asdict(corpus.truth), "pairs": corpus.paraphrase_pairs}


def test_same_seed_same_corpus_other_seed_other_corpus():
    assert _plain(L.generate(80, 3)) == _plain(L.generate(80, 3))
    assert _plain(L.generate(80, 4))["records"] != _plain(L.generate(80, 3))["records"]


def test_ground_truth_holds():
    c = L.generate(150, 9, recs_per_record=3)
    t = c.truth
    assert len(c.records) == t.records == 150
    assert len(c.recommendations) == t.recommendations == 450
    assert set(t.records_by_kind) == set(KINDS)  # every kind present
    assert set(t.recommendations_by_status) <= set(STATUSES)
    overdue = sum(1 for r in c.recommendations if r["status"] in OPEN_STATUSES and r["due_date"] < c.as_of)
    assert overdue == t.overdue > 0
    assert t.recommendations_by_status.get("not_accepted", 0) > 0 and t.recommendations_by_status["verified"] > 0
    assert t.restricted == sum(r["restricted"] for r in c.records) > 0
    assert 7 <= len(c.organisations) <= 10 and c.organisations[0]["kind"] == "police"
    start = c.as_of - dt.timedelta(days=365 * L.YEARS)
    for r in c.records:
        assert start <= r["record_date"] <= c.as_of and r["incident_date"] <= r["record_date"]
        assert set(r["shared_with"]) <= set(r["organisations"]) - {r["owner"]}
        assert bool(r["shared_with"]) == r["restricted"]
    for rec in c.recommendations:
        assert rec["events"][0]["new"] == "proposed" and rec["events"][-1]["at"] <= dt.datetime.combine(
            c.as_of, dt.time(23))
        statuses = [e["new"] for e in rec["events"] if e["field"] == "status"]
        assert statuses[-1] == rec["status"]
        assert (rec["status"] == "not_accepted") == bool(rec["not_accepted_reason"])
        if rec["status"] in ("implemented", "verified"):
            assert rec["evidence"] and rec["implemented_at"]
        if rec["status"] == "verified":
            assert rec["verified_at"] >= rec["implemented_at"]
    counted = {code: sum(by_year.values()) for code, by_year in t.theme_records_by_year.items()}
    assert counted == {code: sum(code in r["themes"] for r in c.records) for code in counted}


def test_paraphrase_pairs_share_no_content_word():
    c = L.generate(120, 2)
    assert len(c.paraphrase_pairs) == len(L.PARAPHRASES)
    stop = {"a", "an", "and", "at", "by", "for", "from", "of", "on", "the", "to", "with", "against"}
    for pair in c.paraphrase_pairs:
        r = c.records[pair.record_key]
        words = " ".join([r["title"], r["summary"], r["findings"], KINDS[r["kind"]],
                          *(o["name"] for o in (c.organisations[i] for i in r["organisations"])),
                          *(x["action"] + " " + x["owner_name"] + " " + x["evidence"] + " " + x["not_accepted_reason"]
                            for x in c.recommendations if x["record"] == pair.record_key)])
        stems = {w[:5] for w in re.findall(r"[a-z]+", words.lower())}
        for word in re.findall(r"[a-z]+", pair.query.lower()):
            if word not in stop:
                assert word[:5] not in stems, (pair.query, word)


def test_load_then_search_and_integrity(factory):
    corpus = L.generate(60, 5)
    with factory() as s, s.begin():
        report = L.load(s, corpus)
    assert report.records == 60 and report.recommendations == 180 and report.embedded == 60
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(LearningRecord)) == 60
        assert s.scalar(select(func.count()).select_from(Recommendation)) == 180
        assert s.scalar(select(func.count()).select_from(RecommendationEvent)) == report.events
        assert s.scalar(select(func.count()).select_from(RecordEmbedding)) == 60
        assert s.scalar(select(func.count()).select_from(text("record_search"))) == 60
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "collect", AuditEvent.user_id.is_(None),
            AuditEvent.detail.like(f"{L.AUDIT_DETAIL}: 60 records, 180 recommendations%"))) == 1
        statuses = dict(s.execute(select(Recommendation.status, func.count()).group_by(Recommendation.status)).all())
        assert statuses == corpus.truth.recommendations_by_status
        overdue = s.scalar(select(func.count()).select_from(Recommendation).where(
            Recommendation.status.in_(OPEN_STATUSES), Recommendation.due_date < corpus.as_of))
        assert overdue == corpus.truth.overdue
        # what was indexed is what a save would index, so a later save changes nothing needlessly
        record = s.get(LearningRecord, report.record_ids[7])
        key = "rowid" if s.get_bind().dialect.name == "sqlite" else "record_id"
        stored = s.execute(text(f"SELECT title, body FROM record_search WHERE {key} = :i"), {"i": record.id}).one()
        assert tuple(stored) == search.record_text(record)
        emb = s.get(RecordEmbedding, record.id)
        assert emb.text_hash == semantic._hash(semantic.embedding_text(record)) and emb.model == semantic.MODEL_NAME
        # full-text search finds the loaded records, through the access rule
        reader = s.scalar(select(User).where(User.role == "reader").order_by(User.id))
        found = search.search(s, reader, "risk")
        assert found.total > 0 and all(h.record.id in report.record_ids for h in found.hits)
        title_word = re.findall(r"[A-Za-z]{6,}", record.title)[-1]
        assert search.search(s, s.get(User, record.created_by_id), f'"{title_word}"').total >= 1
        # integrity: every recommendation's owning organisation can see its record
        blind = s.scalar(select(func.count()).select_from(Recommendation).join(
            LearningRecord, LearningRecord.id == Recommendation.record_id).where(
            LearningRecord.restricted.is_(True),
            Recommendation.owner_organisation_id != LearningRecord.owner_organisation_id,
            ~Recommendation.owner_organisation_id.in_(select(record_shares.c.organisation_id).where(
                record_shares.c.record_id == LearningRecord.id))))
        assert blind == 0
        owners = s.execute(select(Recommendation.owner_user_id, User.organisation_id,
                                  Recommendation.owner_organisation_id)
                           .join(User, User.id == Recommendation.owner_user_id)).all()
        assert owners and all(u_org == r_org for _, u_org, r_org in owners)
        # a partner user never finds a restricted record not shared with it
        restricted = s.scalars(select(LearningRecord).where(LearningRecord.restricted.is_(True))).all()
        assert restricted
        for record in restricted:
            outsiders = s.scalars(select(User).where(
                User.organisation_id != record.owner_organisation_id,
                ~User.organisation_id.in_([o.id for o in record.shared_with]))).all()
            hits = search.search(s, outsiders[0], f'"{record.title.split(":")[-1].strip()}"', limit=200)
            assert record.id not in [h.record.id for h in hits.hits]
        assert s.scalar(select(func.count()).select_from(LearningRecord).where(or_(
            LearningRecord.created_by_id.is_(None), LearningRecord.summary == ""))) == 0


def test_sample_loads_once(factory):
    with factory() as s, s.begin():
        first = L.sample(s, embed=False)
    with factory() as s, s.begin():
        second = L.sample(s, embed=False)
    assert first is not None and first.records == 40 and first.recommendations == 120
    assert second is None
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(LearningRecord)) == 40
