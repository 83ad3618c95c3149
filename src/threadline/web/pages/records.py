"""Records: the search page, the short form (a rapid debrief within days), the full form, the
record page with its documents, recommendations and similar records, and deletion."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from threadline.learning import access, audit, records, search, semantic
from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.models import LearningRecord, Organisation, User
from threadline.learning.recommendations import MOVES, is_overdue
from threadline.learning.vocab import KINDS, STATUSES
from threadline.web.deps import DB, CurrentActor, CurrentUser, render
from threadline.web.pages.common import (
    PAGE_SIZE,
    done_message,
    organisations,
    parse_date,
    parse_int,
    query_without,
    reader,
    redirect,
    split_list,
    theme_groups,
)

log = logging.getLogger(__name__)
router = APIRouter()

MODES = {"text": "Words (full text)", "semantic": "Meaning (semantic)"}


# --- search ----------------------------------------------------------------------------------------

def search_filters(params) -> tuple[search.Filters, dict]:
    """:class:`search.Filters` from the query string of the search page (also used by exports);
    returns the filters and the raw values to show back in the form."""
    raw = {k: (params.get(k) or "").strip() for k in ("kind", "theme", "organisation", "status",
                                                        "date_from", "date_to")}
    f = search.Filters(
        kinds=[raw["kind"]] if raw["kind"] in KINDS else [],
        themes=[raw["theme"]] if raw["theme"] else [],
        organisation_id=parse_int(raw["organisation"]),
        status=raw["status"] if raw["status"] in STATUSES else None,
        date_from=parse_date(raw["date_from"], "From"),
        date_to=parse_date(raw["date_to"], "To"),
    )
    return f, raw


@router.get("/records")
def search_page(request: Request, db: DB, user: CurrentUser, q: str = "", mode: str = "text", page: int = 1):
    q = q.strip()[:500]
    mode = mode if mode in MODES else "text"
    page = max(1, min(page, 500))
    error = None
    try:
        filters, raw = search_filters(request.query_params)
        results = search.search(db, user, q, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, mode=mode)
    except Invalid as e:
        error, raw = str(e), {}
        filters = search.Filters()
        results = search.Results([], 0, q)
    described = "; ".join(f"{k}={v}" for k, v in raw.items() if v)
    audit.log(db, reader(request, user), "consult", "search", query=q,
              detail=f"mode={mode}" + (f"; {described}" if described else "") + f"; page {page}; {results.total} found")
    pages = max(1, -(-results.total // PAGE_SIZE))
    return render(request, "records_search.html", q=q, mode=mode, modes=MODES, raw=raw, results=results,
                  page=page, pages=pages, error=error, done=done_message(request),
                  organisations=organisations(db), theme_groups=theme_groups(db),
                  pager_query=query_without(request, "page", "done"),
                  export_query=query_without(request, "page", "done", "q", "mode"),
                  can_create=access.can(user, "create_record"))


# --- the short form and the full form --------------------------------------------------------------

def _form_values(record: LearningRecord | None = None) -> dict:
    if record is None:
        return {"kind": "homicide_debrief", "title": "", "record_date": dt.date.today().isoformat(), "summary": "",
                "restricted": False, "shared_with": [], "findings": "", "incident_date": "", "stage": "initial",
                "organisations": [], "themes": [], "tags": "", "case_ids": "", "confidentiality": "official_sensitive",
                "review_date": "", "retain_until": ""}
    f = records.fields_of(record)
    return {"kind": f.kind, "title": f.title, "record_date": f.record_date.isoformat(), "summary": f.summary,
            "restricted": f.restricted, "shared_with": f.shared_with, "findings": f.findings,
            "incident_date": f.incident_date.isoformat() if f.incident_date else "", "stage": f.stage,
            "organisations": f.organisations, "themes": f.themes, "tags": ", ".join(f.tags),
            "case_ids": ", ".join(f.case_ids), "confidentiality": f.confidentiality,
            "review_date": f.review_date.isoformat() if f.review_date else "",
            "retain_until": f.retain_until.isoformat() if f.retain_until else ""}


def _form_page(request: Request, db, user: User, template: str, values: dict, record=None, error=None,
               status_code=200, done: str | None = None):
    return render(request, template, status_code=status_code, values=values, record=record, error=error, done=done,
                  organisations=organisations(db), theme_groups=theme_groups(db, values.get("themes")),
                  own_org=user.organisation)


@router.get("/records/new")
def new_record_form(request: Request, db: DB, user: CurrentUser):
    access.require(user, "create_record")
    return _form_page(request, db, user, "record_new.html", _form_values())


@router.post("/records")
def create_record(request: Request, db: DB, actor: CurrentActor,
                  kind: Annotated[str, Form(max_length=40)] = "", title: Annotated[str, Form(max_length=1000)] = "",
                  record_date: Annotated[str, Form(max_length=20)] = "",
                  summary: Annotated[str, Form(max_length=100_000)] = "",
                  restricted: Annotated[str, Form(max_length=10)] = "",
                  shared_with: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
                  then: Annotated[str, Form(max_length=20)] = ""):
    access.require(actor.user, "create_record")
    values = _form_values() | {"kind": kind, "title": title, "record_date": record_date, "summary": summary,
                               "restricted": bool(restricted), "shared_with": shared_with}
    try:
        fields = records.RecordFields(kind=kind, title=title, record_date=parse_date(record_date, "Date"),
                                      summary=summary, restricted=bool(restricted), shared_with=shared_with)
        if fields.record_date is None:
            raise Invalid("a record needs a date")
        record = records.create_record(db, actor, fields)
    except Invalid as e:
        db.rollback()
        return _form_page(request, db, actor.user, "record_new.html", values, error=str(e), status_code=400)
    if then == "detail":
        return redirect(f"/records/{record.id}/edit", "created")
    return redirect(f"/records/{record.id}", "created")


@router.get("/records/{record_id}/edit")
def edit_record_form(request: Request, db: DB, user: CurrentUser, record_id: int):
    record = access.get_record(db, user, record_id)
    access.require(user, "edit_record", record)
    values = _form_values(record)
    if values["stage"] == "initial":
        values["stage"] = "complete"  # the full form is how the detail is added: saving it completes the record
    return _form_page(request, db, user, "record_edit.html", values, record=record,
                      done=done_message(request))


@router.post("/records/{record_id}")
def update_record(request: Request, db: DB, actor: CurrentActor, record_id: int,
                  kind: Annotated[str, Form(max_length=40)] = "", title: Annotated[str, Form(max_length=1000)] = "",
                  record_date: Annotated[str, Form(max_length=20)] = "",
                  incident_date: Annotated[str, Form(max_length=20)] = "",
                  stage: Annotated[str, Form(max_length=20)] = "initial",
                  summary: Annotated[str, Form(max_length=100_000)] = "",
                  findings: Annotated[str, Form(max_length=200_000)] = "",
                  confidentiality: Annotated[str, Form(max_length=40)] = "official_sensitive",
                  restricted: Annotated[str, Form(max_length=10)] = "",
                  shared_with: Annotated[list[str], Form()] = [],  # noqa: B006
                  organisations_involved: Annotated[list[str], Form()] = [],  # noqa: B006
                  themes: Annotated[list[str], Form()] = [],  # noqa: B006
                  tags: Annotated[str, Form(max_length=5000)] = "",
                  case_ids: Annotated[str, Form(max_length=5000)] = "",
                  review_date: Annotated[str, Form(max_length=20)] = "",
                  retain_until: Annotated[str, Form(max_length=20)] = ""):
    record = access.get_record(db, actor.user, record_id)
    access.require(actor.user, "edit_record", record)
    values = {"kind": kind, "title": title, "record_date": record_date, "summary": summary,
              "restricted": bool(restricted), "shared_with": shared_with, "findings": findings,
              "incident_date": incident_date, "stage": stage, "organisations": organisations_involved,
              "themes": themes, "tags": tags, "case_ids": case_ids, "confidentiality": confidentiality,
              "review_date": review_date, "retain_until": retain_until}
    try:
        fields = records.RecordFields(
            kind=kind, title=title, record_date=parse_date(record_date, "Date"), summary=summary, findings=findings,
            incident_date=parse_date(incident_date, "Incident date"), stage=stage, confidentiality=confidentiality,
            restricted=bool(restricted), shared_with=shared_with, organisations=organisations_involved,
            themes=themes, tags=split_list(tags), case_ids=split_list(case_ids),
            review_date=parse_date(review_date, "Review date"), retain_until=parse_date(retain_until, "Retain until"))
        if fields.record_date is None:
            raise Invalid("a record needs a date")
        records.update_record(db, actor, record_id, fields)
    except Invalid as e:
        db.rollback()
        return _form_page(request, db, actor.user, "record_edit.html", values, record=record, error=str(e),
                          status_code=400)
    return redirect(f"/records/{record_id}", "saved")


# --- the record page -------------------------------------------------------------------------------

def owner_choices(db, record: LearningRecord) -> list[tuple[Organisation, list]]:
    """Organisations that may be tasked from ``record`` (all, or for a restricted record its owner
    and those it is shared with), each with its active users (rows of id, username, display_name,
    role and organisation_id)."""
    orgs = organisations(db)
    if record.restricted:
        allowed = {record.owner_organisation_id} | {o.id for o in record.shared_with}
        orgs = [o for o in orgs if o.id in allowed]
    # the columns the choices show, not whole users (each would join its organisation)
    users = db.execute(select(User.id, User.username, User.display_name, User.role, User.organisation_id)
                       .where(User.active.is_(True), User.organisation_id.in_([o.id for o in orgs]))
                       .order_by(User.display_name)).all()
    by_org: dict[int, list] = {}
    for u in users:
        by_org.setdefault(u.organisation_id, []).append(u)
    return [(o, by_org.get(o.id, [])) for o in orgs]


def status_choices(user: User, rec) -> list[str]:
    """The statuses ``user`` may move ``rec`` to (its current one first, to add a note only)."""
    out = [rec.status] + [s for s in MOVES[rec.status] if s != rec.status]
    if not access.can(user, "verify_recommendation", rec.record, rec):
        out = [s for s in out if s != "verified" or s == rec.status]
    return out


def record_page(request: Request, db, actor: Actor, record_id: int, *, error: str | None = None,
                error_for: str = "", form: dict | None = None, status_code: int = 200):
    """The record page (audited as a consultation); ``error`` is shown beside the form ``error_for``
    (``document``, ``recommendation``, ``status-<id>``, ``evidence-<id>``, ``delete``)."""
    record = records.view_record(db, actor, record_id, records.PAGE_OPTIONS)
    user = actor.user
    try:
        similar = semantic.similar(db, user, record.id, limit=5, record=record)
    except Exception:  # similar records are a help, never a reason the record cannot be read
        log.exception("similar records for %s failed", record.id)
        similar = None
    can = {a: access.can(user, a, record) for a in ("edit_record", "delete_record")}
    recs = record.recommendations
    today = dt.date.today()
    return render(request, "record.html", status_code=status_code, record=record, can=can, similar=similar,
                  recs=recs, overdue={r.id: is_overdue(r, today) for r in recs},
                  can_update={r.id: access.can(user, "update_recommendation", record, r) for r in recs},
                  choices={r.id: status_choices(user, r) for r in recs},
                  owners=owner_choices(db, record) if can["edit_record"] else [],
                  theme_groups=theme_groups(db), error=error, error_for=error_for, form=form or {},
                  done=done_message(request), today=today)


@router.get("/records/{record_id}")
def view_record(request: Request, db: DB, user: CurrentUser, record_id: int):
    return record_page(request, db, reader(request, user), record_id)


@router.post("/records/{record_id}/documents")
def upload_document(request: Request, db: DB, actor: CurrentActor, record_id: int,
                    file: Annotated[UploadFile | None, File()] = None):
    try:
        if file is None or not file.filename:
            raise Invalid("choose a file to attach")
        records.add_document(db, actor, record_id, file.filename, file.file.read())
    except Invalid as e:
        db.rollback()
        return record_page(request, db, actor, record_id, error=str(e), error_for="document", status_code=400)
    return redirect(f"/records/{record_id}", "document", "#documents")


@router.get("/documents/{attachment_id}")
def download(request: Request, db: DB, user: CurrentUser, attachment_id: int):
    """A document as a download, never inline (``attachment``, its stored type, ``nosniff``)."""
    att = records.download_document(db, reader(request, user), attachment_id)
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in att.filename)
    return Response(att.data, media_type=att.content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(att.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


@router.post("/records/{record_id}/delete")
def delete_record(request: Request, db: DB, actor: CurrentActor, record_id: int,
                  justification: Annotated[str, Form(max_length=2000)] = ""):
    try:
        records.delete_record(db, actor, record_id, justification)
    except Invalid as e:
        db.rollback()
        return record_page(request, db, actor, record_id, error=str(e), error_for="delete", status_code=400)
    return redirect("/records", "deleted")


def recent_records(db, user: User, limit: int = 8) -> list[LearningRecord]:
    stmt = (access.visible_records(user).options(selectinload(LearningRecord.themes))
            .order_by(LearningRecord.created_at.desc(), LearningRecord.id.desc()).limit(limit))
    return list(db.scalars(stmt))
