"""Full-text search of learning records: SQLite FTS5 on the default database, PostgreSQL full-text
search in production, both filtered by the access rule before anything is counted or shown.

What is indexed for a record (:func:`record_text`): its title (weighted above the rest), summary,
findings, tags, case ids, kind, organisations, themes, recommendations (action, owner, evidence)
and the text extracted from its documents. The index is rewritten in the same transaction as every
change to the record, so search never shows a stale or deleted record.

Queries: plain words are all required (any order, stemmed: "debriefs" finds "debrief"), a
"quoted phrase" must appear as written, ``OR`` between words gives either, and a word ending in
``*`` matches as a prefix, on both backends. The query is rebuilt from its words before it
reaches either engine (:func:`fts5_query`, :func:`pg_tsquery`), so no input can cause a syntax
error or inject an operator. SQLite ranks by BM25 (Robertson and Zaragoza 2009, as built into FTS5)
with the title weighted 10:1; PostgreSQL by ``ts_rank_cd`` (cover density) over weights A/B.

``mode="semantic"`` ranks by meaning instead (:mod:`threadline.learning.semantic`), and
``mode="hybrid"`` fuses the two rankings by reciprocal rank fusion (Cormack, Clarke and Buettcher
2009, *Reciprocal rank fusion outperforms Condorcet and individual rank learning methods*, SIGIR):
each record scores the sum of ``1 / (60 + rank)`` over the rankings it appears in.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Float, Integer, Select, and_, bindparam, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from threadline.learning import semantic
from threadline.learning.access import hidden_record_ids, visible_clause
from threadline.learning.db import is_sqlite
from threadline.learning.errors import Invalid
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


def index_record(session: Session, record: LearningRecord, *, embed: bool = True) -> None:
    """(Re)write ``record``'s row of the full-text index, and its embedding for semantic search
    (unless ``embed`` is false: bulk loads embed in batches with ``semantic.update_embeddings``),
    in the caller's transaction."""
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
    if embed and semantic.enabled():
        semantic.update_embedding(session, record)


def remove_record(session: Session, record_id: int) -> None:
    """Drop the record from the full-text index (its embedding goes with the record, by cascade)."""
    semantic.changed()
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
    """A user's query for PostgreSQL's ``websearch_to_tsquery`` with a trailing ``*`` dropped
    (kept for callers of the earlier interface; :func:`pg_tsquery` is what search uses)."""
    return re.sub(r"\*(?=\s|$)", "", q)


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def pg_tsquery(q: str) -> tuple[str, dict[str, str]]:
    """A user's query as a PostgreSQL ``tsquery`` SQL expression and its bind parameters.

    The same language as :func:`fts5_query`: words are ANDed, ``OR`` between two terms gives
    either (AND binds tighter), a "quoted phrase" goes through ``phraseto_tsquery``, and a word
    ending in ``*`` becomes a prefix lexeme (``to_tsquery('english', 'word:*')``). User text only
    ever reaches the database as bind parameters, and only letters and digits reach ``to_tsquery``,
    so no input can cause a syntax error. Returns ``("", {})`` when nothing searchable is left."""
    params: dict[str, str] = {}
    groups: list[list[str]] = [[]]

    def bind(value: str) -> str:
        name = f"tq{len(params)}"
        params[name] = value
        return f":{name}"

    for phrase, word in _TOKEN.findall(q.replace("\x00", " ")):
        if word and word.upper() == "OR":
            if groups[-1]:
                groups.append([])
            continue
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                groups[-1].append(f"phraseto_tsquery('english', {bind(' '.join(words))})")
            continue
        words = _WORD.findall(word)
        if not words:
            continue
        if word.endswith("*"):
            if len(words) > 1:
                groups[-1].append(f"plainto_tsquery('english', {bind(' '.join(words[:-1]))})")
            groups[-1].append(f"to_tsquery('english', {bind(words[-1] + ':*')})")
        else:
            groups[-1].append(f"plainto_tsquery('english', {bind(' '.join(words))})")
    ors = ["(" + " && ".join(g) + ")" for g in groups if g]
    return (" || ".join(ors), params) if ors else ("", {})


def _safe_snippet(raw: str | None) -> str:
    if not raw:
        return ""
    return html.escape(raw).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


MODES = ("text", "semantic", "hybrid")
RRF_K = 60  # Cormack et al. 2009
HYBRID_DEPTH = 200  # how far down each ranking hybrid search looks


def search(session: Session, user: User, q: str, filters: Filters | None = None,
           limit: int = 20, offset: int = 0, mode: str = "text") -> Results:
    """Records matching ``q`` that ``user`` may see, best first; with no query, the newest first.

    ``mode`` is ``"text"`` (full-text, the default), ``"semantic"`` (by meaning) or ``"hybrid"``
    (both, fused by reciprocal rank). The caller audits the search as a consultation (the web app
    and command do)."""
    if mode not in MODES:
        raise Invalid(f"unknown search mode {mode!r} (one of {', '.join(MODES)})")
    q = (q or "").replace("\x00", " ").strip()
    if q and mode == "semantic":
        return semantic.search(session, user, q, filters, limit, offset)
    if q and mode == "hybrid":
        return _hybrid(session, user, q, filters, limit, offset)
    return _fulltext(session, user, q, filters, limit, offset)


def _hybrid(session: Session, user: User, q: str, filters: Filters | None, limit: int, offset: int) -> Results:
    text_rows, _ = _ranked(session, user, q, filters, HYBRID_DEPTH, 0, snippets=False)
    ids, _ = semantic.ranked_ids(session, user, q, filters)
    fused: dict[int, float] = {}
    for rank, (record_id, _, _) in enumerate(text_rows, start=1):
        fused[record_id] = fused.get(record_id, 0.0) + 1.0 / (RRF_K + rank)
    for rank, record_id in enumerate(ids[:HYBRID_DEPTH].tolist(), start=1):
        fused[record_id] = fused.get(record_id, 0.0) + 1.0 / (RRF_K + rank)
    order = sorted(fused.items(), key=lambda kv: (-kv[1], -kv[0]))
    page = order[offset:offset + limit]
    in_text = {i for i, _, _ in text_rows}
    wanted = [i for i, _ in page if i in in_text]
    snippets = {i: snip for i, _, snip in _ranked(session, user, q, None, len(wanted), 0, only=wanted)[0]}
    out = []
    for hit in semantic.hits(session, page):
        hit.snippet = _safe_snippet(snippets.get(hit.id)) or hit.snippet
        out.append(hit)
    return Results(out, len(order), q)


def _fulltext(session: Session, user: User, q: str, filters: Filters | None, limit: int, offset: int) -> Results:
    filters = filters or Filters()
    if not q:
        base = filters.apply(select(LearningRecord.id).where(visible_clause(user)))
        total = session.scalar(select(func.count()).select_from(base.subquery()))
        ids = session.scalars(base.order_by(LearningRecord.record_date.desc(), LearningRecord.id.desc())
                              .limit(limit).offset(offset)).all()
        return Results(_hits(session, [(i, 0.0, "") for i in ids]), total or 0, q)
    rows, total = _ranked(session, user, q, filters, limit, offset)
    return Results(_hits(session, rows), total, q)


def _ranked(session: Session, user: User, q: str, filters: Filters | None, limit: int, offset: int,
            snippets: bool = True, only: list[int] | None = None) -> tuple[list[tuple[int, float, str]], int]:
    """``(id, score, raw snippet)`` of one page of full-text matches, best first, and how many match
    in all (``only``: just these ids, and no count)."""
    filters = filters or Filters()
    if only is not None and not only:
        return [], 0
    if is_sqlite(session):
        match = fts5_query(q)
        if not match:
            return [], 0
        ranked = text(
            "SELECT rowid AS id, bm25(record_search, 10.0, 1.0) AS rank "
            "FROM record_search WHERE record_search MATCH :m").bindparams(m=match).columns(
            id=Integer, rank=Float).subquery("fts")
        score = -ranked.c.rank  # bm25() is lower for better matches
    else:
        tsquery, params = pg_tsquery(q)
        if not tsquery:
            return [], 0
        ranked = text(
            "SELECT record_id AS id, ts_rank_cd(tsv, tq.query) AS rank "
            f"FROM record_search, (SELECT {tsquery} AS query) AS tq WHERE tsv @@ tq.query").bindparams(
            **params).columns(id=Integer, rank=Float).subquery("fts")
        score = ranked.c.rank
    if filters == Filters():
        # no filter on the record: the access rule as "not one of the records hidden from the user",
        # read from indexes once, instead of reading the record of every match
        visible = ranked.c.id.not_in(hidden_record_ids(user))
        stmt = select(ranked.c.id, score.label("score")).where(visible)
    else:
        stmt = filters.apply(
            select(ranked.c.id, score.label("score"))
            .join(LearningRecord, and_(LearningRecord.id == ranked.c.id)).where(visible_clause(user)))
    counted = stmt
    if only is not None:
        stmt = stmt.where(ranked.c.id.in_(only))
    # the page and how many match in all from one pass over the matches (a window count), not two
    paged = stmt.add_columns(func.count().over().label("total")).order_by(score.desc(), ranked.c.id.desc())
    with _index_first(session):
        rows = session.execute(paged.limit(limit).offset(offset)).all()
        if only is not None:
            total = 0
        elif rows:
            total = int(rows[0].total)
        elif offset:  # a page past the end: count the matches on their own
            total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
        else:
            total = 0
    snips = _snippets(session, q, [r.id for r in rows]) if snippets else {}
    return [(r.id, float(r.score), snips.get(r.id, "")) for r in rows], total


@contextmanager
def _index_first(session: Session) -> Iterator[None]:
    """On PostgreSQL, plan the statements inside with sequential scans off (for the rest of the
    transaction they are back on), so that a full-text query starts from the GIN index.

    With table statistics, PostgreSQL's planner prices ``tsv @@ query`` on every row of a
    sequential scan as cheap and, for a common word ("knife" is in a quarter of the records),
    prefers it to the bitmap scan of the index (12.9 "Preferred Index Types for Text Search" in the
    PostgreSQL manual): measured on the benchmark's 20,000 records after ``ANALYZE``, 127 ms
    against 25 ms, since every row's ``tsvector`` is read and matched, work the cost model barely
    counts. SQLite's FTS5 always reads its own index: nothing to do there."""
    if is_sqlite(session):
        yield
        return
    session.execute(text("SET LOCAL enable_seqscan = off"))
    try:
        yield
    finally:
        session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))


def _snippets(session: Session, q: str, ids: list[int]) -> dict[int, str]:
    """Raw snippets (matches between :data:`MARK_START` and :data:`MARK_END`) of the records ``ids``
    for ``q``: made for the page shown only, not for every record that matches."""
    if not ids:
        return {}
    if is_sqlite(session):
        stmt = text(
            "SELECT rowid AS id, snippet(record_search, 1, :s, :e, ' … ', 16) AS snip "
            "FROM record_search WHERE record_search MATCH :m AND rowid IN :ids").bindparams(
            bindparam("ids", expanding=True), m=fts5_query(q), s=MARK_START, e=MARK_END, ids=ids)
    else:
        tsquery, params = pg_tsquery(q)
        stmt = text(
            "SELECT record_id AS id, ts_headline('english', body, tq.query, 'StartSel=' || chr(2) || "
            "', StopSel=' || chr(3) || ', MaxWords=30, MinWords=12, MaxFragments=2') AS snip "
            f"FROM record_search, (SELECT {tsquery} AS query) AS tq "
            "WHERE tsv @@ tq.query AND record_id IN :ids").bindparams(
            bindparam("ids", expanding=True), ids=ids, **params)
    return {i: snip for i, snip in session.execute(stmt)}


def _hits(session: Session, rows: list[tuple[int, float, str]]) -> list[Hit]:
    if not rows:
        return []
    records = {r.id: r for r in session.scalars(select(LearningRecord).where(
        LearningRecord.id.in_([i for i, _, _ in rows])).options(selectinload(LearningRecord.themes)))}
    return [Hit(records[i], s, _safe_snippet(snip)) for i, s, snip in rows if i in records]
