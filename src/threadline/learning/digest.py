"""The weekly digest: what is overdue, per owner, written to the outbox (no mail server needed).

Who is told: the recommendation's owner when one is named (and active); otherwise the reviewers
and administrators of the organisation that owns it, so nothing overdue goes unseen because no
person was named. Each recipient gets one message listing their overdue recommendations, oldest
due first, and only those of records they may see (:func:`threadline.learning.access.visible`).

Idempotent per ISO week: messages are kept in the ``outbox`` table with kind
``digest-YYYY-Www``; running the digest again in the same ISO week writes nothing new for a
recipient already sent one that week. With a folder, each new message is also written as a text
file ``YYYY-Www-<username>.txt`` for a mail relay or a shared drive to pick up. Each message is
audited as a disclosure to its recipient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from threadline.learning import access, audit
from threadline.learning.models import LearningRecord, OutboxMessage, Recommendation, User
from threadline.learning.tracking import overdue_clause
from threadline.learning.vocab import CONFIDENTIALITY, STATUSES

MARKING = CONFIDENTIALITY["official_sensitive"]


def week_key(on: dt.date) -> str:
    """``2025-W07``: the ISO week ``on`` falls in."""
    year, week, _ = on.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class _Box:
    user: User
    items: list[Recommendation] = field(default_factory=list)


def recipients(session: Session, rec: Recommendation) -> list[User]:
    """Who is told about an overdue recommendation: its owner, else its organisation's reviewers
    and administrators (active users only)."""
    if rec.owner_user is not None and rec.owner_user.active:
        return [rec.owner_user]
    return list(session.scalars(select(User).where(
        User.organisation_id == rec.owner_organisation_id, User.active.is_(True),
        User.role.in_(("reviewer", "administrator"))).order_by(User.username)))


def render(user: User, items: list[Recommendation], on: dt.date) -> tuple[str, str]:
    """Subject and plain-text body of one recipient's digest."""
    n = len(items)
    subject = f"[{MARKING}] Threadline: {n} overdue recommendation{'s' if n != 1 else ''}, week {week_key(on)}"
    lines = [MARKING, "", f"Dear {user.display_name or user.username},", "",
             f"On {on:%d %B %Y} these recommendations you or {user.organisation.name} own are past their due "
             "date. Please update their status, or record why they are late.", ""]
    for r in items:
        late = (on - r.due_date).days
        owner = f" (owner {r.owner_name})" if r.owner_name and r.owner_user_id != user.id else ""
        lines += [
            f"* Recommendation {r.id}, due {r.due_date:%d %b %Y}, {late} day{'s' if late != 1 else ''} overdue, "
            f"{STATUSES[r.status].lower()}{owner}",
            f"  {r.action.strip()[:300]}",
            f"  From record {r.record_id}: {r.record.title}",
            f"  /recommendations/{r.id}",
            "",
        ]
    lines += ["This digest is sent weekly by Threadline. Do not forward it outside your organisation.", "",
              MARKING, ""]
    return subject, "\n".join(lines)


def write_digest(session: Session, on: dt.date | None = None, folder: Path | None = None) -> list[OutboxMessage]:
    """Write this week's digests to the outbox (and ``folder``): one message per recipient with
    overdue recommendations and none yet this ISO week. Returns the messages written now."""
    on = on or dt.date.today()
    kind = f"digest-{week_key(on)}"
    overdue = session.scalars(
        select(Recommendation).where(overdue_clause(on))
        .options(selectinload(Recommendation.record).selectinload(LearningRecord.shared_with),
                 selectinload(Recommendation.owner_user))
        .order_by(Recommendation.due_date, Recommendation.id))
    boxes: dict[int, _Box] = {}
    cache: dict[int, list[User]] = {}
    for rec in overdue:
        if rec.owner_user is not None and rec.owner_user.active:
            people = [rec.owner_user]
        else:
            if rec.owner_organisation_id not in cache:
                cache[rec.owner_organisation_id] = recipients(session, rec)
            people = cache[rec.owner_organisation_id]
        for user in people:
            if access.visible(user, rec.record):
                boxes.setdefault(user.id, _Box(user)).items.append(rec)
    already = set(session.scalars(select(OutboxMessage.recipient_user_id).where(OutboxMessage.kind == kind)))
    written = []
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
    for box in sorted(boxes.values(), key=lambda b: b.user.username):
        if box.user.id in already:
            continue
        subject, body = render(box.user, box.items, on)
        msg = OutboxMessage(kind=kind, recipient_user_id=box.user.id, recipient=box.user.email or box.user.username,
                            subject=subject, body=body)
        session.add(msg)
        session.flush()
        audit.log(session, None, "disclose", "outbox", msg.id, username="digest",
                  detail=f"weekly digest {week_key(on)} to {box.user.username}: {len(box.items)} overdue "
                  f"recommendations ({', '.join(str(r.id) for r in box.items[:50])})")
        if folder is not None:
            path = folder / f"{week_key(on)}-{box.user.username}.txt"
            path.write_text(f"To: {msg.recipient}\nSubject: {subject}\n\n{body}", encoding="utf-8")
        written.append(msg)
    return written
