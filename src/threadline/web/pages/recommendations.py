"""Recommendations: tasked out from a record, listed for tracking, moved through their statuses
with evidence, and verified by the record's owning organisation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from threadline.learning import access, audit, records, tracking
from threadline.learning import recommendations as recs
from threadline.learning.errors import Invalid
from threadline.learning.vocab import STATUSES
from threadline.web.deps import DB, CurrentActor, CurrentUser, render
from threadline.web.pages.common import (
    done_message,
    organisations,
    parse_date,
    parse_int,
    query_without,
    reader,
    redirect,
    theme_groups,
)
from threadline.web.pages.records import record_page, status_choices

router = APIRouter()
LIST_SIZE = 50


@router.post("/records/{record_id}/recommendations")
def add_recommendation(request: Request, db: DB, actor: CurrentActor, record_id: int,
                       action: Annotated[str, Form(max_length=20_000)] = "",
                       owner: Annotated[str, Form(max_length=300)] = "",
                       owner_name: Annotated[str, Form(max_length=200)] = "",
                       due_date: Annotated[str, Form(max_length=20)] = "",
                       themes: Annotated[list[str], Form()] = []):  # noqa: B006 (FastAPI copies defaults)
    """``owner`` is ``org:<name>`` (an organisation, no named person) or ``user:<username>``."""
    form = {"action": action, "owner": owner, "owner_name": owner_name, "due_date": due_date, "themes": themes}
    try:
        org_name, username = _owner(db, owner)
        recs.add_recommendation(db, actor, record_id, recs.RecommendationFields(
            action=action, owner_organisation=org_name, owner_username=username, owner_name=owner_name.strip(),
            due_date=parse_date(due_date, "Due date"), themes=themes))
    except Invalid as e:
        db.rollback()
        return record_page(request, db, actor, record_id, error=str(e), error_for="recommendation", form=form,
                           status_code=400)
    return redirect(f"/records/{record_id}", "recommendation", "#recommendations")


def _owner(db, owner: str) -> tuple[str, str | None]:
    kind, _, value = owner.partition(":")
    if kind == "org" and value:
        return value, None
    if kind == "user" and value:
        from sqlalchemy import select

        from threadline.learning.models import User

        user = db.scalar(select(User).where(User.username == value))
        if user is None:
            raise Invalid(f"unknown user {value!r}")
        return user.organisation.name, user.username
    raise Invalid("choose who owns the action (an organisation or a person in it)")


@router.get("/recommendations")
def tracking_list(request: Request, db: DB, user: CurrentUser, status: str = "", organisation: str = "",
                  theme: str = "", overdue: str = "", mine: str = "", page: int = 1):
    page = max(1, min(page, 1000))
    status = status if status in STATUSES or status == "open" else ""
    args = dict(status=status or None, organisation_id=parse_int(organisation), theme=theme.strip() or None,
                overdue=bool(overdue), owner_user_id=user.id if mine else None)
    total = tracking.count_visible(db, user, **args)
    rows = tracking.recommendation_list(db, user, **args, limit=LIST_SIZE, offset=(page - 1) * LIST_SIZE)
    described = "; ".join(f"{k}={v}" for k, v in args.items() if v)
    audit.log(db, reader(request, user), "consult", "recommendations", query=described,
              detail=f"tracking list page {page}; {total} found")
    today = dt.date.today()
    return render(request, "recommendations.html", rows=rows, total=total, page=page,
                  pages=max(1, -(-total // LIST_SIZE)), raw={"status": status, "organisation": organisation,
                                                             "theme": theme, "overdue": overdue, "mine": mine},
                  overdue={r.id: recs.is_overdue(r, today) for r in rows}, organisations=organisations(db),
                  theme_groups=theme_groups(db), pager_query=query_without(request, "page", "done"),
                  export_query=query_without(request, "page", "done", "mine", "overdue", "theme"))


def recommendation_page(request: Request, db, actor, rec_id: int, *, error: str | None = None,
                        error_for: str = "", status_code: int = 200):
    rec = access.get_recommendation(db, actor.user, rec_id)
    audit.log(db, actor, "consult", "recommendation", rec.id)
    return render(request, "recommendation.html", status_code=status_code, rec=rec, record=rec.record,
                  overdue=recs.is_overdue(rec), choices=status_choices(actor.user, rec),
                  can_update=access.can(actor.user, "update_recommendation", rec.record, rec),
                  error=error, error_for=error_for, done=done_message(request))


@router.get("/recommendations/{rec_id}")
def view_recommendation(request: Request, db: DB, user: CurrentUser, rec_id: int):
    return recommendation_page(request, db, reader(request, user), rec_id)


@router.post("/recommendations/{rec_id}/status")
def update_status(request: Request, db: DB, actor: CurrentActor, rec_id: int,
                  status: Annotated[str, Form(max_length=20)] = "", note: Annotated[str, Form(max_length=5000)] = "",
                  evidence: Annotated[str, Form(max_length=50_000)] = "",
                  reason: Annotated[str, Form(max_length=5000)] = "",
                  back: Annotated[str, Form(max_length=20)] = ""):
    try:
        rec = access.get_recommendation(db, actor.user, rec_id)
        given = evidence.strip()
        recs.set_status(db, actor, rec_id, status, note=note, evidence=given if given else None, reason=reason)
        record_id = rec.record_id
    except Invalid as e:
        db.rollback()
        if back == "record":
            rec = access.get_recommendation(db, actor.user, rec_id)
            return record_page(request, db, actor, rec.record_id, error=str(e), error_for=f"status-{rec_id}",
                               status_code=400)
        return recommendation_page(request, db, actor, rec_id, error=str(e), error_for="status", status_code=400)
    if back == "record":
        return redirect(f"/records/{record_id}", "status", f"#rec-{rec_id}")
    return redirect(f"/recommendations/{rec_id}", "status")


@router.post("/recommendations/{rec_id}/documents")
def upload_evidence(request: Request, db: DB, actor: CurrentActor, rec_id: int,
                    file: Annotated[UploadFile | None, File()] = None,
                    back: Annotated[str, Form(max_length=20)] = ""):
    rec = access.get_recommendation(db, actor.user, rec_id)
    record_id = rec.record_id
    try:
        if file is None or not file.filename:
            raise Invalid("choose a file to attach")
        records.add_document(db, actor, record_id, file.filename, file.file.read(), recommendation_id=rec_id)
    except Invalid as e:
        db.rollback()
        if back == "record":
            return record_page(request, db, actor, record_id, error=str(e), error_for=f"status-{rec_id}",
                               status_code=400)
        return recommendation_page(request, db, actor, rec_id, error=str(e), error_for="evidence", status_code=400)
    if back == "record":
        return redirect(f"/records/{record_id}", "evidence", f"#rec-{rec_id}")
    return redirect(f"/recommendations/{rec_id}", "evidence")
