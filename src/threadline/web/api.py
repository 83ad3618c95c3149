"""The JSON API, under ``/api/v1``; its OpenAPI schema is at ``/openapi.json``.

It uses the browser's session (the ``tl_session`` cookie): a script signs in through ``/login``
like a person, reads its CSRF token from ``GET /api/v1/me`` and sends it as ``X-CSRF-Token`` on
every POST and PATCH. Each route calls the same services as the pages, so the same access rules and
the same audit lines apply: every read is logged as a consultation, every write goes through
:mod:`threadline.learning.records` or :mod:`threadline.learning.recommendations`. A record the
user may not see answers 404, exactly as one that does not exist (never 403, which would confirm
that it exists).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from threadline.learning import access, audit, records, search, semantic, tracking
from threadline.learning import recommendations as recs
from threadline.learning.errors import Invalid
from threadline.learning.models import LearningRecord, Organisation, Recommendation
from threadline.learning.vocab import CONFIDENTIALITY, KINDS, STAGES, STATUSES
from threadline.web.deps import DB, CurrentActor

ERRORS = {
    400: {"description": "The values were refused (the reason is in `detail`)"},
    401: {"description": "Not signed in"},
    403: {"description": "Missing or wrong CSRF token, or the role may not do this"},
    404: {"description": "No such object, or one this user may not see"},
}
router = APIRouter(prefix="/api/v1", tags=["learning"], responses={401: ERRORS[401]})

MAX_ID = 2**31 - 1
REQUIRED = ("kind", "title", "record_date", "stage", "confidentiality", "restricted")


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


def _clean_list(values: list[str]) -> list[str]:
    for v in values:
        _clean(v)
    return values


Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
Status = Literal[tuple(STATUSES)]  # type: ignore[valid-type]
Stage = Literal[tuple(STAGES)]  # type: ignore[valid-type]
Confidentiality = Literal[tuple(CONFIDENTIALITY)]  # type: ignore[valid-type]
Mode = Literal["text", "semantic", "hybrid"]
Text = Annotated[str, Field(max_length=100_000), AfterValidator(_clean)]
Line = Annotated[str, Field(max_length=300), AfterValidator(_clean)]
Names = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=50), AfterValidator(_clean_list)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Day = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))]


class RecordIn(BaseModel):
    """A new learning record (a rapid debrief may start with kind, title and date only)."""
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    title: Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_clean)]
    record_date: Day
    summary: Text = ""
    findings: Text = ""
    incident_date: Day | None = None
    stage: Stage = "initial"
    confidentiality: Confidentiality = "official_sensitive"
    restricted: bool = False
    shared_with: Names = []
    organisations: Names = []
    themes: Names = []
    tags: Names = []
    case_ids: Names = []
    review_date: Day | None = None
    retain_until: Day | None = None


class RecordPatch(BaseModel):
    """Fields to change on a record; those left out keep their value."""
    model_config = ConfigDict(extra="forbid")
    kind: Kind | None = None
    title: Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_clean)] | None = None
    record_date: Day | None = None
    summary: Text | None = None
    findings: Text | None = None
    incident_date: Day | None = None
    stage: Stage | None = None
    confidentiality: Confidentiality | None = None
    restricted: bool | None = None
    shared_with: Names | None = None
    organisations: Names | None = None
    themes: Names | None = None
    tags: Names | None = None
    case_ids: Names | None = None
    review_date: Day | None = None
    retain_until: Day | None = None


class RecommendationIn(BaseModel):
    """An action tasked to an organisation (and, optionally, one of its users)."""
    model_config = ConfigDict(extra="forbid")
    action: Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_clean)]
    owner_organisation: Line
    owner_username: Annotated[str, Field(max_length=100), AfterValidator(_clean)] | None = None
    owner_name: Annotated[str, Field(max_length=200), AfterValidator(_clean)] = ""
    due_date: Day | None = None
    themes: Names = []


class StatusIn(BaseModel):
    """A move of a recommendation's status: implemented needs evidence, not accepted a reason."""
    model_config = ConfigDict(extra="forbid")
    status: Status
    note: Annotated[str, Field(max_length=4000), AfterValidator(_clean)] = ""
    evidence: Text | None = None
    reason: Annotated[str, Field(max_length=4000), AfterValidator(_clean)] = ""


class DocumentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class RecommendationOut(BaseModel):
    id: int
    record_id: int
    action: str
    owner_organisation: str
    owner_username: str | None
    owner_name: str
    due_date: dt.date | None
    status: str
    overdue: bool
    not_accepted_reason: str
    evidence: str
    implemented_at: dt.date | None
    verified_at: dt.date | None
    themes: list[str]
    documents: list[DocumentOut]


class RecordOut(BaseModel):
    id: int
    kind: str
    title: str
    record_date: dt.date
    incident_date: dt.date | None
    stage: str
    summary: str
    findings: str
    confidentiality: str
    restricted: bool
    owner_organisation: str
    shared_with: list[str]
    organisations: list[str]
    themes: list[str]
    tags: list[str]
    case_ids: list[str]
    review_date: dt.date | None
    retain_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    recommendations: list[RecommendationOut]
    documents: list[DocumentOut]


class HitOut(BaseModel):
    id: int
    title: str
    kind: str
    record_date: dt.date
    snippet: str = Field(description="HTML-safe; matches wrapped in <mark>")
    score: float


class SearchOut(BaseModel):
    query: str
    mode: str
    total: int
    limit: int
    offset: int
    hits: list[HitOut]


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    organisation: str
    role: str
    csrf_token: str = Field(description="Send as the X-CSRF-Token header on POST, PATCH, PUT and DELETE")


def _doc(a) -> DocumentOut:
    return DocumentOut(id=a.id, filename=a.filename, content_type=a.content_type, size=a.size, url=f"/documents/{a.id}")


def _rec_out(r: Recommendation) -> RecommendationOut:
    return RecommendationOut(
        id=r.id, record_id=r.record_id, action=r.action, owner_organisation=r.owner_organisation.name,
        owner_username=r.owner_user.username if r.owner_user else None, owner_name=r.owner_name or "",
        due_date=r.due_date, status=r.status, overdue=recs.is_overdue(r),
        not_accepted_reason=r.not_accepted_reason or "",
        evidence=r.evidence or "", implemented_at=r.implemented_at, verified_at=r.verified_at,
        themes=[t.code for t in r.themes], documents=[_doc(a) for a in r.attachments])


def _record_out(r: LearningRecord) -> RecordOut:
    return RecordOut(
        id=r.id, kind=r.kind, title=r.title, record_date=r.record_date, incident_date=r.incident_date, stage=r.stage,
        summary=r.summary or "", findings=r.findings or "", confidentiality=r.confidentiality, restricted=r.restricted,
        owner_organisation=r.owner_organisation.name, shared_with=[o.name for o in r.shared_with],
        organisations=[o.name for o in r.organisations], themes=[t.code for t in r.themes],
        tags=list(r.tags or []), case_ids=list(r.case_ids or []), review_date=r.review_date,
        retain_until=r.retain_until, created_at=r.created_at, updated_at=r.updated_at,
        recommendations=[_rec_out(x) for x in r.recommendations], documents=[_doc(a) for a in r.documents])


def _organisation_id(db, name: str) -> int | None:
    if not name:
        return None
    org = db.scalar(select(Organisation).where(Organisation.name == name.strip()))
    if org is None:
        raise Invalid(f"unknown organisation {name!r}")
    return org.id


@router.get("/me", response_model=MeOut, summary="The signed-in user and their CSRF token")
def me(request: Request, actor: CurrentActor) -> MeOut:
    u = actor.user
    return MeOut(id=u.id, username=u.username, display_name=u.display_name, organisation=u.organisation.name,
                 role=u.role, csrf_token=request.state.csrf_token)


@router.get("/records", response_model=SearchOut, summary="Search the records this user may see",
            responses={400: ERRORS[400]})
def list_records(db: DB, actor: CurrentActor,
                 q: Annotated[str, Query(max_length=500)] = "",
                 mode: Mode = "text",
                 kind: Annotated[list[Kind], Query(max_length=20)] = [],  # noqa: B006
                 theme: Annotated[list[Annotated[str, Field(max_length=80)]], Query(max_length=20)] = [],  # noqa: B006
                 organisation: Annotated[str, Query(max_length=200)] = "",
                 status: Status | None = None,
                 date_from: dt.date | None = None, date_to: dt.date | None = None,
                 limit: Annotated[int, Query(ge=1, le=100)] = 20,
                 offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> SearchOut:
    q = q.replace("\x00", " ")
    filters = search.Filters(kinds=list(kind), date_from=date_from, date_to=date_to, themes=list(theme),
                             organisation_id=_organisation_id(db, organisation), status=status)
    results = search.search(db, actor.user, q, filters, limit=limit, offset=offset, mode=mode)
    described = "; ".join(f"{k}={v}" for k, v in (("mode", mode), ("kind", ",".join(kind)),
                                                    ("theme", ",".join(theme)), ("organisation", organisation),
                                                    ("status", status), ("from", date_from), ("to", date_to)) if v)
    audit.log(db, actor, "consult", "search", detail=f"API search ({described}): {results.total} results",
              query=q)
    return SearchOut(query=q, mode=mode, total=results.total, limit=limit, offset=offset, hits=[
        HitOut(id=h.record.id, title=h.record.title, kind=h.record.kind, record_date=h.record.record_date,
               snippet=h.snippet, score=h.score) for h in results.hits])


@router.get("/records/{record_id}", response_model=RecordOut, summary="One record with its recommendations",
            responses={404: ERRORS[404]})
def get_record(db: DB, actor: CurrentActor, record_id: Id) -> RecordOut:
    return _record_out(records.view_record(db, actor, record_id))


@router.post("/records", response_model=RecordOut, status_code=201, summary="Create a record",
             responses={400: ERRORS[400], 403: ERRORS[403]})
def create_record(db: DB, actor: CurrentActor, body: RecordIn) -> RecordOut:
    record = records.create_record(db, actor, records.RecordFields(**body.model_dump()))
    db.flush()
    db.refresh(record)
    return _record_out(record)


@router.patch("/records/{record_id}", response_model=RecordOut, summary="Change a record",
              responses={400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]})
def update_record(db: DB, actor: CurrentActor, record_id: Id, body: RecordPatch) -> RecordOut:
    record = access.get_record(db, actor.user, record_id)
    fields = records.fields_of(record)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            if name in REQUIRED:
                raise Invalid(f"{name} cannot be empty")
            value = [] if isinstance(getattr(fields, name), list) else ("" if name in ("summary", "findings") else None)
        setattr(fields, name, value)
    record = records.update_record(db, actor, record_id, fields)
    db.flush()
    db.refresh(record)
    return _record_out(record)


@router.get("/records/{record_id}/similar", response_model=list[HitOut], summary="Records most like this one",
            responses={404: ERRORS[404]})
def similar(db: DB, actor: CurrentActor, record_id: Id,
            limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[HitOut]:
    hits = semantic.similar(db, actor.user, record_id, limit=limit)
    audit.log(db, actor, "consult", "record", record_id, detail=f"similar records: {[h.record.id for h in hits]}")
    return [HitOut(id=h.record.id, title=h.record.title, kind=h.record.kind, record_date=h.record.record_date,
                   snippet=h.snippet, score=h.score) for h in hits]


@router.get("/recommendations", response_model=list[RecommendationOut],
            summary="Recommendations this user may see, oldest due first", responses={400: ERRORS[400]})
def list_recommendations(db: DB, actor: CurrentActor,
                         status: Status | Literal["open"] | None = None,
                         organisation: Annotated[str, Query(max_length=200)] = "",
                         theme: Annotated[str, Query(max_length=80)] = "",
                         overdue: bool = False, mine: bool = False,
                         record_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100,
                         offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[RecommendationOut]:
    rows = tracking.recommendation_list(
        db, actor.user, status=status, organisation_id=_organisation_id(db, organisation), theme=theme or None,
        overdue=overdue, owner_user_id=actor.user.id if mine else None, limit=limit, offset=offset,
        record_id=record_id)
    described = "; ".join(f"{k}={v}" for k, v in (("status", status), ("organisation", organisation),
                                                    ("theme", theme), ("overdue", overdue), ("mine", mine),
                                                    ("record", record_id)) if v)
    audit.log(db, actor, "consult", "recommendation", detail=f"API list: {len(rows)} recommendations",
              query=described)
    return [_rec_out(r) for r in rows]


@router.post("/records/{record_id}/recommendations", response_model=RecommendationOut, status_code=201,
             summary="Task out an action from a record",
             responses={400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]})
def add_recommendation(db: DB, actor: CurrentActor, record_id: Id, body: RecommendationIn) -> RecommendationOut:
    rec = recs.add_recommendation(db, actor, record_id, recs.RecommendationFields(**body.model_dump()))
    db.flush()
    db.refresh(rec)
    return _rec_out(rec)


@router.post("/recommendations/{recommendation_id}/status", response_model=RecommendationOut,
             summary="Move a recommendation's status", responses={400: ERRORS[400], 403: ERRORS[403],
                                                                  404: ERRORS[404]})
def set_status(db: DB, actor: CurrentActor, recommendation_id: Id, body: StatusIn) -> RecommendationOut:
    rec = recs.set_status(db, actor, recommendation_id, body.status, note=body.note, evidence=body.evidence,
                          reason=body.reason)
    db.flush()
    db.refresh(rec)
    return _rec_out(rec)
