"""Oversight: the dashboard, recurring lessons, the governance pack, exports and the retention
review queue (Management of Police Information)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from threadline.learning import access, audit, export, governance, records, recurring, tracking
from threadline.learning.errors import Invalid, NotFound
from threadline.web.deps import DB, CurrentActor, CurrentUser, render
from threadline.web.pages.common import done_message, parse_date, reader, redirect
from threadline.web.pages.records import recent_records, search_filters

router = APIRouter()

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/")
def dashboard(request: Request, db: DB, user: CurrentUser):
    dash = tracking.dashboard(db, user)
    return render(request, "dashboard.html", dash=dash, overdue_list=dash.overdue[:15],
                  recent=recent_records(db, user), today=dash.on, can_create=access.can(user, "create_record"))


def _period(start: str, end: str, default_days: int) -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    s = parse_date(start, "From") or today - dt.timedelta(days=default_days)
    e = parse_date(end, "To") or today
    if e < s:
        raise Invalid(f"the period ends ({e}) before it starts ({s})")
    return s, e


def svg_image(svg: str) -> str:
    """A ``data:`` URL of an SVG chart, for an ``<img>`` (the CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@router.get("/lessons")
def lessons(request: Request, db: DB, user: CurrentUser, start: str = "", end: str = ""):
    s, e = parse_date(start, "From"), parse_date(end, "To")
    themes = recurring.recurring_themes(db, user, s, e)
    shown = [t for t in themes if t.records]
    repeated = recurring.similar_recommendations(db, user, s, e, limit=20)
    audit.log(db, reader(request, user), "consult", "recurring_lessons",
              detail=f"period {s or 'start'} to {e or 'now'}")
    return render(request, "lessons.html", themes=shown, repeated=repeated, start=start, end=end,
                  chart=svg_image(recurring.chart_svg(shown)) if shown else None)


@router.get("/governance")
def governance_page(request: Request, db: DB, user: CurrentUser, start: str = "", end: str = ""):
    s, e = _period(start, end, 90)
    pack = governance.build(db, user, s, e)
    audit.log(db, reader(request, user), "disclose", "governance_pack", detail=f"HTML pack for {s} to {e}")
    return render(request, "governance.html", p=pack, start=s.isoformat(), end=e.isoformat(),
                  chart=svg_image(pack.chart) if pack.themes else None)


@router.get("/governance.pdf")
def governance_pdf(request: Request, db: DB, user: CurrentUser, start: str = "", end: str = ""):
    s, e = _period(start, end, 90)
    data = governance.pack_pdf(db, user, s, e)
    audit.log(db, reader(request, user), "disclose", "governance_pack", detail=f"PDF pack for {s} to {e}")
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="threadline-governance-{s}-{e}-OFFICIAL-SENSITIVE.pdf"'})


@router.get("/export/{name}")
def export_file(request: Request, db: DB, user: CurrentUser, name: str):
    """``/export/records.csv``, ``/export/recommendations.xlsx``…, with the search page's filters."""
    what, _, fmt = name.partition(".")
    if what not in ("records", "recommendations") or fmt not in CONTENT_TYPES:
        raise NotFound(f"no export {name}")
    filters, _ = search_filters(request.query_params)
    filename, data = export.export(db, reader(request, user), what, fmt, filters)
    return Response(data, media_type=CONTENT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"})


@router.get("/review")
def review_queue(request: Request, db: DB, user: CurrentUser, error: str | None = None):
    actor = reader(request, user)
    queue = records.review_queue(db, actor)
    audit.log(db, actor, "consult", "review_queue", detail=f"{len(queue)} records due for review")
    return render(request, "review.html", queue=queue, done=done_message(request),
                  can_review={r.id: access.can(user, "review_record", r) for r in queue},
                  default_next=records.add_years(dt.date.today(), records.REVIEW_AFTER_YEARS).isoformat())


@router.post("/records/{record_id}/review")
def review_record(request: Request, db: DB, actor: CurrentActor, record_id: int,
                  decision: Annotated[str, Form(max_length=20)] = "",
                  next_review: Annotated[str, Form(max_length=20)] = "",
                  justification: Annotated[str, Form(max_length=2000)] = ""):
    try:
        records.record_review(db, actor, record_id, decision, parse_date(next_review, "Next review"), justification)
    except Invalid as e:
        db.rollback()
        queue = records.review_queue(db, actor)
        return render(request, "review.html", status_code=400, queue=queue, error=str(e), error_for=record_id,
                      can_review={r.id: access.can(actor.user, "review_record", r) for r in queue},
                      default_next=next_review, done=None)
    return redirect("/review", "deleted" if decision == "delete" else "retained")
