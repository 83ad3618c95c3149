"""Recommendations: tasked to an organisation and person, tracked until the learning is implemented
and verified, with a history line for every change.

Status moves (:data:`MOVES`): proposed → accepted or not accepted (with a reason); accepted → in
progress → implemented (with evidence) → verified. Verification is by a reviewer of the record's
owning organisation, so the organisation that did the work does not mark its own homework. A
status may step back (a verified action found not to hold is reopened) with a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.learning import access, audit, search
from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.models import LearningRecord, Organisation, Recommendation, RecommendationEvent, Theme, User
from threadline.learning.vocab import STATUSES

MOVES: dict[str, tuple[str, ...]] = {
    "proposed": ("accepted", "not_accepted", "in_progress"),
    "accepted": ("in_progress", "implemented", "not_accepted", "proposed"),
    "in_progress": ("implemented", "accepted", "not_accepted"),
    "implemented": ("verified", "in_progress"),
    "verified": ("in_progress",),
    "not_accepted": ("proposed", "accepted"),
}


@dataclass
class RecommendationFields:
    action: str
    owner_organisation: str
    owner_username: str | None = None
    owner_name: str = ""
    due_date: dt.date | None = None
    themes: list[str] = field(default_factory=list)


def _org(session: Session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == (name or "").strip()))
    if org is None:
        raise Invalid(f"unknown organisation {name!r}")
    return org


def _owner(session: Session, username: str | None, org: Organisation) -> User | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise Invalid(f"unknown user {username!r}")
    if user.organisation_id != org.id:
        raise Invalid(f"{user.username} is not in {org.name}, the organisation that owns the action")
    return user


def _history(session: Session, actor: Actor, rec: Recommendation, field_: str, old, new, note: str = "") -> None:
    if str(old or "") == str(new or "") and not note:
        return
    session.add(RecommendationEvent(recommendation=rec, user_id=actor.user.id, username=actor.user.username,
                                    field=field_, old=str(old or ""), new=str(new or ""), note=note))


def _set_fields(session: Session, actor: Actor, rec: Recommendation, f: RecommendationFields,
                record: LearningRecord) -> list[str]:
    if not (f.action or "").strip():
        raise Invalid("a recommendation needs an action")
    org = _org(session, f.owner_organisation)
    if record.restricted and org.id != record.owner_organisation_id and org not in record.shared_with:
        raise Invalid(f"{org.name} cannot see this restricted record: share it with them before tasking them")
    owner = _owner(session, f.owner_username, org)
    themes = list(session.scalars(select(Theme).where(Theme.code.in_(f.themes)))) if f.themes else []
    if len(themes) != len(set(f.themes)):
        raise Invalid("unknown theme among " + ", ".join(f.themes))
    changes = []
    for name, old, new in (
        ("action", rec.action, f.action.strip()),
        ("owner_organisation", rec.owner_organisation.name if rec.owner_organisation else "", org.name),
        ("owner", rec.owner_user.username if rec.owner_user else "", owner.username if owner else ""),
        ("owner_name", rec.owner_name, f.owner_name or (owner.display_name if owner else "")),
        ("due_date", rec.due_date, f.due_date),
    ):
        if str(old or "") != str(new or ""):
            changes.append(name)
            if rec.id is not None:
                _history(session, actor, rec, name, old, new)
    rec.action, rec.owner_organisation, rec.owner_user = f.action.strip(), org, owner
    rec.owner_name = f.owner_name or (owner.display_name if owner else "")
    rec.due_date = f.due_date
    rec.themes = themes
    return changes


def add_recommendation(session: Session, actor: Actor, record_id: int, f: RecommendationFields) -> Recommendation:
    """Task out an action from a record (editors of the record)."""
    record = access.get_record(session, actor.user, record_id)
    access.require(actor.user, "edit_record", record)
    with session.no_autoflush:
        rec = Recommendation(status="proposed")
        _set_fields(session, actor, rec, f, record)
    rec.record = record
    session.add(rec)
    session.flush()
    _history(session, actor, rec, "status", "", "proposed", note="recommendation made")
    search.index_record(session, record)
    audit.log(session, actor, "collect", "recommendation", rec.id,
              detail=f"record {record.id}: tasked to {rec.owner_organisation.name}"
              + (f" ({rec.owner_user.username})" if rec.owner_user else "") + f", due {rec.due_date or 'no date'}")
    return rec


def edit_recommendation(session: Session, actor: Actor, recommendation_id: int,
                        f: RecommendationFields) -> Recommendation:
    """Change the action, owner, due date or themes (editors of the record)."""
    rec = access.get_recommendation(session, actor.user, recommendation_id)
    access.require(actor.user, "edit_record", rec.record)
    changes = _set_fields(session, actor, rec, f, rec.record)
    search.index_record(session, rec.record)
    audit.log(session, actor, "alter", "recommendation", rec.id, detail="changed " + (", ".join(changes) or "nothing"))
    return rec


def set_status(session: Session, actor: Actor, recommendation_id: int, status: str, note: str = "",
               evidence: str | None = None, reason: str = "", on: dt.date | None = None) -> Recommendation:
    """Move a recommendation to ``status``. Implemented needs evidence (text here or an attached
    document); not accepted needs a reason; verified needs a reviewer of the record's organisation."""
    rec = access.get_recommendation(session, actor.user, recommendation_id)
    if status not in STATUSES:
        raise Invalid(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
    action = "verify_recommendation" if status == "verified" else "update_recommendation"
    access.require(actor.user, action, rec.record, rec)
    if status != rec.status and status not in MOVES[rec.status]:
        raise Invalid(f"a recommendation cannot go from {STATUSES[rec.status].lower()} to {STATUSES[status].lower()}")
    on = on or dt.date.today()
    if evidence is not None and evidence.strip() != (rec.evidence or ""):
        _history(session, actor, rec, "evidence", rec.evidence, evidence.strip())
        rec.evidence = evidence.strip()
    if status == "implemented" and not (rec.evidence or "").strip() and not rec.attachments:
        raise Invalid("say what was done (evidence of implementation) or attach a document "
                      "before marking it implemented")
    if status == "not_accepted":
        if len(reason.strip()) < 3:
            raise Invalid("give the reason the recommendation is not accepted")
        _history(session, actor, rec, "not_accepted_reason", rec.not_accepted_reason, reason.strip())
        rec.not_accepted_reason = reason.strip()
    old = rec.status
    if status != old:
        _history(session, actor, rec, "status", old, status, note=note.strip())
        rec.status = status
        if status == "implemented":
            rec.implemented_at = on
        if status == "verified":
            rec.verified_at = on
        if status in ("in_progress", "proposed", "accepted"):
            rec.verified_at = None
            if old in ("implemented", "verified"):
                rec.implemented_at = None
    elif note.strip():
        _history(session, actor, rec, "note", "", "", note=note.strip())
    session.flush()
    search.index_record(session, rec.record)
    audit.log(session, actor, "alter", "recommendation", rec.id,
              detail=f"status {old} -> {status}" + (f"; {note.strip()}" if note.strip() else ""))
    return rec


def is_overdue(rec: Recommendation, on: dt.date | None = None) -> bool:
    """Open (proposed, accepted, in progress) and past its due date."""
    on = on or dt.date.today()
    return rec.status in ("proposed", "accepted", "in_progress") and rec.due_date is not None and rec.due_date < on
