"""Full-text search of learning records: SQLite FTS5 on the default database, PostgreSQL full-text
search in production, both filtered by the access rule before anything is counted or shown.

What is indexed for a record (:func:`record_text`): its title (weighted above the rest), summary,
findings, tags, case ids, kind, organisations, themes, recommendations (action, owner, evidence)
and the text extracted from its documents. The index is rewritten in the same transaction as every
change to the record, so search never shows a stale or deleted record.

Queries: plain words are all required (any order, stemmed: "debriefs" finds "debrief"), a
"quoted phrase" must appear as written, ``OR`` between words gives either, and a word ending in
``*`` matches as a prefix. SQLite ranks by BM25 (Robertson and Zaragoza 2009, as built into FTS5)
with the title weighted 10:1; PostgreSQL by ``ts_rank_cd`` (cover density) over weights A/B.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from sqlalchemy import Float, Integer, Select, String, and_, func, or_, select, text
from sqlalchemy.orm import Session

from threadline.learning.access import visible_clause
from threadline.learning.db import is_sqlite
from threadline.learning.models import (
    LearningRecord,
    Recommendation,
    Theme,
    User,
    record_organisations,
    record_themes,
)
from threadline.learning.vocab import KINDS

MARK_START, MARK_END = "\x02", "\x03"


@dataclass
class Filters:
    """Search filters; every one optional. ``organisation_id`` matches the owner or an involved
    organisation; ``status`` keeps records with at least one recommendation in that status."""
    kinds: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    themes: list[str] = field(default_factory=list)
    organisation_id: int | None = None
    status: str | None = None

    def apply(self, stmt: Select) -> Select:
        if self.kinds:
            stmt = stmt.where(LearningRecord.kind.in_(self.kinds))
        if self.date_from:
            stmt = stmt.where(LearningRecord.record_date >= self.date_from)
        if self.date_to:
            stmt = stmt.where(LearningRecord.record_date <= self.date_to)
        if self.themes:
            stmt = stmt.where(LearningRecord.id.in_(
                select(record_themes.c.record_id).join(Theme, Theme.id == record_themes.c.theme_id)
                .where(Theme.code.in_(self.themes))))
        if self.organisation_id:
            stmt = stmt.where(or_(
                LearningRecord.owner_organisation_id == self.organisation_id,
                LearningRecord.id.in_(select(record_organisations.c.record_id).where(
                    record_organisations.c.organisation_id == self.organisation_id))))
        if self.status:
            stmt = stmt.where(LearningRecord.id.in_(
                select(Recommendation.record_id).where(Recommendation.status == self.status)))
        return stmt


@dataclass
class Hit:
    record: LearningRecord
    score: float
    snippet: str = ""  # HTML-safe, matches wrapped in <mark>

    @property
    def id(self) -> int:
        return self.record.id


@dataclass
class Results:
    hits: list[Hit]
    total: int
    query: str


def record_text(record: LearningRecord) -> tuple[str, str]:
    """(title, body) that the full-text index holds for ``record``."""
    parts = [KINDS.get(record.kind, record.kind), record.summary or "", record.findings or "",
             " ".join(record.tags or []), " ".join(str(c) for c in record.case_ids or []),
             record.owner_organisation.name if record.owner_organisation else "",
             " ".join(o.name for o in record.organisations), " ".join(t.name for t in record.themes)]
    for rec in record.recommendations:
        parts += [rec.action or "", rec.owner_name or "", rec.evidence or "", rec.not_accepted_reason or ""]
    for att in record.attachments:
        parts += [att.filename, att.text or ""]
    return record.title, "\n".join(p for p in parts if p)


def index_record(session: Session, record: LearningRecord) -> None:
    """(Re)write ``record``'s row of the full-text index, in the caller's transaction."""
    title, body = record_text(record)
    session.flush()
    if is_sqlite(session):
        session.execute(text("DELETE FROM record_search WHERE rowid = :id"), {"id": record.id})
        session.execute(text("INSERT INTO record_search (rowid, title, body) VALUES (:id, :t, :b)"),
                        {"id": record.id, "t": title, "b": body})
    else:
        session.execute(text(
            "INSERT INTO record_search (record_id, title, body) VALUES (:id, :t, :b) "
            "ON CONFLICT (record_id) DO UPDATE SET title = excluded.title, body = excluded.body"),
            {"id": record.id, "t": title, "b": body})


def remove_record(session: Session, record_id: int) -> None:
    if is_sqlite(session):
        session.execute(text("DELETE FROM record_search WHERE rowid = :id"), {"id": record_id})
    else:
        session.execute(text("DELETE FROM record_search WHERE record_id = :id"), {"id": record_id})


_TOKEN = re.compile(r'"([^"]+)"|(\S+)')


def fts5_query(q: str) -> str:
    """A user's query as safe FTS5 syntax: each word or "phrase" quoted (so no FTS5 operator or
    column filter can be injected), ``OR`` kept, a trailing ``*`` kept as a prefix search."""
    out: list[str] = []
    for phrase, word in _TOKEN.findall(q):
        if word and word.upper() == "OR":
            if out and out[-1] != "OR":
                out.append("OR")
            continue
        token = phrase or word
        prefix = token.endswith("*") and not phrase
        token = re.sub(r"[^\w\s'-]", " ", token, flags=re.UNICODE).strip()
        if not token:
            continue
        out.append('"' + token.replace('"', "") + '"' + ("*" if prefix else ""))
    while out and out[-1] == "OR":
        out.pop()
    if out and out[0] == "OR":
        out.pop(0)
    return " ".join(out)


def pg_query(q: str) -> str:
    """A user's query for PostgreSQL's ``websearch_to_tsquery`` (which never raises a syntax error);
    a trailing ``*`` is dropped (stemming covers most of what it is used for)."""
    return re.sub(r"\*(?=\s|$)", "", q)


def _safe_snippet(raw: str | None) -> str:
    if not raw:
        return ""
    return html.escape(raw).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def search(session: Session, user: User, q: str, filters: Filters | None = None,
           limit: int = 20, offset: int = 0) -> Results:
    """Records matching ``q`` that ``user`` may see, best first; with no query, the newest first.

    The caller audits the search as a consultation (the web app and command do)."""
    filters = filters or Filters()
    q = (q or "").strip()
    base = filters.apply(select(LearningRecord.id).where(visible_clause(user)))
    if not q:
        total = session.scalar(select(func.count()).select_from(base.subquery()))
        ids = session.scalars(base.order_by(LearningRecord.record_date.desc(), LearningRecord.id.desc())
                              .limit(limit).offset(offset)).all()
        return Results(_hits(session, [(i, 0.0, "") for i in ids]), total or 0, q)
    if is_sqlite(session):
        match = fts5_query(q)
        if not match:
            return Results([], 0, q)
        ranked = text(
            "SELECT rowid AS id, bm25(record_search, 10.0, 1.0) AS rank, "
            "snippet(record_search, 1, :s, :e, ' … ', 16) AS snip "
            "FROM record_search WHERE record_search MATCH :m").bindparams(
            m=match, s=MARK_START, e=MARK_END).columns(id=Integer, rank=Float, snip=String).subquery("fts")
        score = -ranked.c.rank  # bm25() is lower for better matches
    else:
        ranked = text(
            "SELECT record_id AS id, ts_rank_cd(tsv, websearch_to_tsquery('english', :q)) AS rank, "
            "ts_headline('english', body, websearch_to_tsquery('english', :q), "
            "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=30, MinWords=12, MaxFragments=2') "
            "AS snip FROM record_search WHERE tsv @@ websearch_to_tsquery('english', :q)").bindparams(
            q=pg_query(q)).columns(id=Integer, rank=Float, snip=String).subquery("fts")
        score = ranked.c.rank
    stmt = filters.apply(
        select(ranked.c.id, score.label("score"), ranked.c.snip)
        .join(LearningRecord, and_(LearningRecord.id == ranked.c.id)).where(visible_clause(user)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(score.desc(), LearningRecord.id.desc()).limit(limit).offset(offset)).all()
    return Results(_hits(session, [(r.id, float(r.score), r.snip) for r in rows]), total or 0, q)


def _hits(session: Session, rows: list[tuple[int, float, str]]) -> list[Hit]:
    if not rows:
        return []
    records = {r.id: r for r in session.scalars(select(LearningRecord).where(
        LearningRecord.id.in_([i for i, _, _ in rows])))}
    return [Hit(records[i], s, _safe_snippet(snip)) for i, s, snip in rows if i in records]
