"""The potentially dangerous persons list: the list (filtered by status and review due), the
latest ranking's proposals (nominate or dismiss), the nomination form, the entry page (details,
criteria, decisions, actions, history, removal) and the CSV export.

Every route reaches data only through :mod:`threadline.pdp.service` and :mod:`threadline.pdp.proposals`,
which apply :mod:`threadline.pdp.access` and write the audit log. Readers get 403 on the list
pages and 404 on an entry's address; an entry not shared with the user's organisation is 404,
exactly as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.models import User
from threadline.pdp import access, proposals, service, vocab
from threadline.web.deps import DB, CurrentActor, CurrentUser, render
from threadline.web.pages.common import organisations, parse_date, reader, redirect

router = APIRouter()

#: Confirmations after a redirect (``?done=<key>``): fixed texts, never echoed input.
DONE = {
    "nominated": "The nomination was saved. A reviewer of your organisation decides whether the person goes on the "
    "list.",
    "saved": "Your changes were saved.",
    "decided": "The decision was recorded.",
    "action": "The action was added.",
    "action_done": "The action was marked done.",
    "dismissed": "The proposal was dismissed. The reason is kept.",
}
#: The colour of each status, borrowed from the recommendation statuses' styles.
STATUS_STYLE = {
    "nominated": "proposed",
    "under_review": "in_progress",
    "on_list": "accepted",
    "removed": "verified",
    "rejected": "not_accepted",
}
V = SimpleNamespace(
    STATUSES=vocab.STATUSES,
    CORE=vocab.CORE_CRITERIA,
    SUPPORTING=vocab.SUPPORTING_CRITERIA,
    CRITERIA=vocab.CRITERIA,
    NAMES=vocab.CRITERIA_NAMES,
    DECISIONS=vocab.DECISION_LABELS,
    STYLE=STATUS_STYLE,
    PROPOSAL_STATUSES=vocab.PROPOSAL_STATUSES,
    REVIEW_MONTHS=vocab.REVIEW_MONTHS,
)


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def _page(request: Request, name: str, status_code: int = 200, **context):
    return render(request, name, status_code=status_code, V=V, **context)


# --- the list and its export -----------------------------------------------------------------------


def _filters(status: str, review_due: str) -> tuple[str | None, bool]:
    status = status.strip()
    if status and status != "active" and status not in vocab.STATUSES:
        raise Invalid(f"unknown status {status!r}")
    return status or None, review_due in ("1", "on", "yes", "true")


@router.get("/pdp")
def pdp_list(request: Request, db: DB, user: CurrentUser, status: str = "active", review_due: str = ""):
    actor = reader(request, user)
    try:
        chosen, due = _filters(status, review_due)
    except Invalid as e:
        chosen, due, error = "active", False, str(e)
    else:
        error = None
    entries = service.list_entries(db, actor, chosen, due)
    today = dt.date.today()
    due_count = len([n for n in entries if service.review_due(n, today)]) if not due else len(entries)
    query = urlencode({"status": chosen or "", **({"review_due": "1"} if due else {})})
    return _page(
        request,
        "pdp_list.html",
        entries=entries,
        status=chosen or "",
        review_due=due,
        error=error,
        done=_done(request),
        today=today,
        due_count=due_count,
        export_query=query,
        can_nominate=access.can(user, "nominate"),
        review_flags={n.id: service.review_due(n, today) for n in entries},
    )


@router.get("/pdp/export.csv")
def pdp_export(request: Request, db: DB, user: CurrentUser, status: str = "", review_due: str = ""):
    chosen, due = _filters(status, review_due)
    filename, data, _ = service.export_csv(db, reader(request, user), chosen, due)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )


# --- proposals -------------------------------------------------------------------------------------


@router.get("/pdp/proposals")
def pdp_proposals(request: Request, db: DB, user: CurrentUser, show: str = "open"):
    show = "all" if show == "all" else "open"
    ranking = proposals.latest(db, reader(request, user), show)
    return _page(
        request, "pdp_proposals.html", ranking=ranking, show=show, done=_done(request), error=None, error_for=None
    )


@router.post("/pdp/proposals/{proposal_id}/dismiss")
def dismiss_proposal(
    request: Request, db: DB, actor: CurrentActor, proposal_id: int, reason: Annotated[str, Form(max_length=4000)] = ""
):
    try:
        proposals.dismiss(db, actor, proposal_id, reason)
    except Invalid as e:
        db.rollback()
        ranking = proposals.latest(db, actor, "open")
        return _page(
            request,
            "pdp_proposals.html",
            status_code=400,
            ranking=ranking,
            show="open",
            done=None,
            error=str(e),
            error_for=proposal_id,
        )
    return redirect("/pdp/proposals", "dismissed")


# --- nominating ------------------------------------------------------------------------------------


def _own_people(db, user: User) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .where(User.organisation_id == user.organisation_id, User.active.is_(True), User.role != "reader")
            .order_by(User.display_name)
        )
    )


def _form(request: Request, db, actor: Actor, values: dict, error: str | None = None, status_code: int = 200):
    return _page(
        request,
        "pdp_form.html",
        status_code=status_code,
        values=values,
        error=error,
        people=_own_people(db, actor.user),
        organisations=organisations(db),
        own_org=actor.user.organisation,
    )


@router.get("/pdp/new")
def nomination_form(request: Request, db: DB, user: CurrentUser, proposal: int | None = None):
    actor = reader(request, user)
    access.require(user, "nominate")
    values = {
        "person_id": "",
        "label": "",
        "rationale": "",
        "criteria": [],
        "owner": user.username,
        "shared_with": [],
        "proposal_id": "",
        "proposal": None,
    }
    if proposal is not None:
        p = proposals.proposal_for_nomination(db, actor, proposal)
        values |= {
            "person_id": p.person_id,
            "rationale": proposals.rationale_start(p),
            "proposal_id": str(p.id),
            "proposal": p,  # no criterion is ticked for the nominator: they judge each one
        }
    return _form(request, db, actor, values)


@router.post("/pdp")
def create_nomination(
    request: Request,
    db: DB,
    actor: CurrentActor,
    person_id: Annotated[str, Form(max_length=200)] = "",
    label: Annotated[str, Form(max_length=200)] = "",
    rationale: Annotated[str, Form(max_length=service.MAX_TEXT + 1000)] = "",
    criteria: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    owner: Annotated[str, Form(max_length=200)] = "",
    shared_with: Annotated[list[str], Form()] = [],  # noqa: B006
    proposal_id: Annotated[str, Form(max_length=20)] = "",
):
    access.require(actor.user, "nominate")
    pid = int(proposal_id) if proposal_id.strip().isdigit() else None
    values = {
        "person_id": person_id,
        "label": label,
        "rationale": rationale,
        "criteria": criteria,
        "owner": owner,
        "shared_with": shared_with,
        "proposal_id": proposal_id,
        "proposal": None,
    }
    try:
        n = service.nominate(
            db,
            actor,
            service.NominationFields(
                person_id=person_id,
                rationale=rationale,
                criteria=criteria,
                label=label,
                owner_username=owner or None,
                shared_with=shared_with,
            ),
            proposal_id=pid,
        )
    except Invalid as e:
        db.rollback()
        if pid is not None:
            try:
                values["proposal"] = access.get_proposal(db, actor.user, pid)
            except Exception:  # the message already says what is wrong; the proposal is only context
                values["proposal"] = None
        return _form(request, db, actor, values, error=str(e), status_code=400)
    return redirect(f"/pdp/{n.id}", "nominated")


# --- the entry page --------------------------------------------------------------------------------


def entry_page(
    request: Request,
    db,
    actor: Actor,
    nomination_id: int,
    *,
    error: str | None = None,
    error_for: str = "",
    form: dict | None = None,
    status_code: int = 200,
):
    """The entry page (audited as a consultation); ``error`` is shown beside the form ``error_for``
    (``edit``, ``decision``, ``action``, ``done-<id>``)."""
    n = service.view_nomination(db, actor, nomination_id)
    user = actor.user
    can = {a: access.can(user, a, n) for a in ("edit", "decide", "add_action")}
    today = dt.date.today()
    values = service.fields_of(n)
    return _page(
        request,
        "pdp_entry.html",
        status_code=status_code,
        n=n,
        can=can,
        decisions=vocab.DECISIONS[n.status] if can["decide"] else (),
        can_complete={a.id: a.status == "open" and access.can(user, "complete_action", n, a) for a in n.actions},
        owners=service.owners(db, n) if can["add_action"] else [],
        people=_own_people(db, user) if can["edit"] else [],
        organisations=organisations(db),
        values=values,
        error=error,
        error_for=error_for,
        form=form or {},
        done=_done(request),
        today=today,
        review_due=service.review_due(n, today),
        default_review=service.default_review_date(today).isoformat(),
        own_nomination=n.created_by_id == user.id,
    )


@router.get("/pdp/{nomination_id}")
def view_entry(request: Request, db: DB, user: CurrentUser, nomination_id: int):
    return entry_page(request, db, reader(request, user), nomination_id)


@router.post("/pdp/{nomination_id}")
def edit_entry(
    request: Request,
    db: DB,
    actor: CurrentActor,
    nomination_id: int,
    label: Annotated[str, Form(max_length=200)] = "",
    rationale: Annotated[str, Form(max_length=service.MAX_TEXT + 1000)] = "",
    criteria: Annotated[list[str], Form()] = [],  # noqa: B006
    owner: Annotated[str, Form(max_length=200)] = "",
    shared_with: Annotated[list[str], Form()] = [],  # noqa: B006
):
    n = access.get_nomination(db, actor.user, nomination_id)
    access.require(actor.user, "edit", n)
    try:
        service.update_nomination(
            db,
            actor,
            nomination_id,
            service.NominationFields(
                person_id=n.person_id,
                rationale=rationale,
                criteria=criteria,
                label=label,
                owner_username=owner or None,
                shared_with=shared_with,
            ),
        )
    except Invalid as e:
        db.rollback()
        return entry_page(request, db, actor, nomination_id, error=str(e), error_for="edit", status_code=400)
    return redirect(f"/pdp/{nomination_id}", "saved")


@router.post("/pdp/{nomination_id}/decision")
def decide(
    request: Request,
    db: DB,
    actor: CurrentActor,
    nomination_id: int,
    decision: Annotated[str, Form(max_length=40)] = "",
    review_date: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=service.MAX_TEXT)] = "",
):
    n = access.get_nomination(db, actor.user, nomination_id)
    access.require(actor.user, "decide", n)
    try:
        service.decide(db, actor, nomination_id, decision, parse_date(review_date, "Review date"), reason)
    except Invalid as e:
        return _refused(request, db, actor, nomination_id, e, "decision",
                        {"decision": decision, "review_date": review_date, "reason": reason})
    return redirect(f"/pdp/{nomination_id}", "decided")


def _refused(request: Request, db, actor, nomination_id: int, error: Invalid, part: str, form: dict):
    """The entry page again, 400, with the refused form's values and why (nothing was saved)."""
    db.rollback()
    return entry_page(request, db, actor, nomination_id, error=str(error), error_for=part, form=form, status_code=400)


@router.post("/pdp/{nomination_id}/actions")
def add_action(
    request: Request,
    db: DB,
    actor: CurrentActor,
    nomination_id: int,
    text: Annotated[str, Form(max_length=service.MAX_TEXT)] = "",
    owner: Annotated[str, Form(max_length=300)] = "",
    due_date: Annotated[str, Form(max_length=20)] = "",
):
    n = access.get_nomination(db, actor.user, nomination_id)
    access.require(actor.user, "add_action", n)
    kind, _, name = owner.partition(":")
    try:
        org_name, username = "", ""
        if kind == "org":
            org_name = name
        elif kind == "user":
            found = db.scalar(select(User).where(User.username == name.strip().lower()))
            if found is None:
                raise Invalid(f"unknown user {name!r}")
            org_name, username = found.organisation.name, found.username
        service.add_action(db, actor, nomination_id, text, org_name, username, parse_date(due_date, "Due"))
    except Invalid as e:
        return _refused(request, db, actor, nomination_id, e, "action",
                        {"text": text, "owner": owner, "due_date": due_date})
    return redirect(f"/pdp/{nomination_id}", "action", "#actions")


@router.post("/pdp/actions/{action_id}/done")
def complete_action(
    request: Request,
    db: DB,
    actor: CurrentActor,
    action_id: int,
    note: Annotated[str, Form(max_length=service.MAX_TEXT)] = "",
):
    a = access.get_action(db, actor.user, action_id)
    access.require(actor.user, "complete_action", a.nomination, a)
    nomination_id = a.nomination_id
    try:
        service.complete_action(db, actor, action_id, note)
    except Invalid as e:
        db.rollback()
        return entry_page(
            request, db, actor, nomination_id, error=str(e), error_for=f"done-{action_id}", status_code=400
        )
    return redirect(f"/pdp/{nomination_id}", "action_done", "#actions")
