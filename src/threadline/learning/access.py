"""Who may see and do what: the one place the repository's access rules live.

Two questions, always asked on the server:

1. **May this user see this record?** (:func:`visible`) A record that is not restricted is seen
   by every signed-in user. A restricted record is seen only by users of its owning organisation
   and of the organisations it is shared with, whatever their role: an administrator of a partner
   never sees, finds or exports a record not shared with the partner. Every query for records,
   recommendations, documents, search hits, dashboards, packs and exports is filtered by
   :func:`visible_clause`; every fetch by id goes through :func:`get_record` and friends, which
   answer :class:`NotFound` for a record the user may not see, exactly as for one that does not exist.
2. **May this user do this to it?** (:func:`can`) By role, weakest first: reader < contributor
   < reviewer < administrator, and by organisation. The table in ``docs/learning.md`` lists each
   rule beside its test.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, CompoundSelect, Select, except_, false, or_, select, true
from sqlalchemy.orm import Session

from threadline.learning.errors import Forbidden, NotFound
from threadline.learning.models import Attachment, LearningRecord, Recommendation, User, record_shares
from threadline.learning.vocab import ROLES


def rank(user: User) -> int:
    """The user's role as a number: reader 0 … administrator 3."""
    return ROLES.index(user.role)


def at_least(user: User, role: str) -> bool:
    return user.active and rank(user) >= ROLES.index(role)


def visible_clause(user: User) -> ColumnElement[bool]:
    """SQL condition: the record (``LearningRecord``) is visible to ``user``."""
    if not user.active:
        return false()
    shared = select(record_shares.c.record_id).where(record_shares.c.organisation_id == user.organisation_id)
    return or_(
        LearningRecord.restricted.is_(False),
        LearningRecord.owner_organisation_id == user.organisation_id,
        LearningRecord.id.in_(shared),
    )


def hidden_record_ids(user: User) -> Select[tuple[int]] | CompoundSelect:
    """``SELECT`` of the ids of the records ``user`` may *not* see: exactly the complement of
    :func:`visible_clause` (every record for a disabled user). Written as restricted records of
    other organisations, less those shared with the user's, so that each part reads only an index
    (the partial index of restricted records by owner, migration 0003, and ``record_shares``) and
    never a record's row."""
    if not user.active:
        return select(LearningRecord.id)
    return except_(
        select(LearningRecord.id).where(LearningRecord.restricted == true(),
                                        LearningRecord.owner_organisation_id != user.organisation_id),
        select(record_shares.c.record_id).where(record_shares.c.organisation_id == user.organisation_id))


def visible_recommendation_clause(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Recommendation`` alone (no join to its record): its record is visible to
    ``user``. The same rows as :func:`visible_recommendations`, but a query can then walk an index
    of ``recommendations`` (by due date, by status) and stop at a page instead of visiting every
    record first."""
    return Recommendation.record_id.not_in(hidden_record_ids(user))


def visible_records(user: User) -> Select[tuple[LearningRecord]]:
    """``SELECT`` of the records ``user`` may see; add filters and order to it."""
    return select(LearningRecord).where(visible_clause(user))


def visible_recommendations(user: User) -> Select[tuple[Recommendation]]:
    """``SELECT`` of the recommendations of records ``user`` may see."""
    return select(Recommendation).join(LearningRecord, Recommendation.record_id == LearningRecord.id).where(
        visible_clause(user))


def visible(user: User, record: LearningRecord) -> bool:
    """Python form of :func:`visible_clause`, for a record already loaded."""
    if not user.active:
        return False
    return (not record.restricted or record.owner_organisation_id == user.organisation_id
            or any(o.id == user.organisation_id for o in record.shared_with))


def get_record(session: Session, user: User, record_id: int, options: tuple = ()) -> LearningRecord:
    """The record, if it exists and ``user`` may see it; else :class:`NotFound` (the same either way).
    ``options``: loader options (e.g. ``selectinload``) for what the caller will read of it."""
    record = session.scalar(visible_records(user).where(LearningRecord.id == record_id).options(*options))
    if record is None:
        raise NotFound(f"no learning record {record_id}")
    return record


def get_recommendation(session: Session, user: User, recommendation_id: int) -> Recommendation:
    rec = session.scalar(visible_recommendations(user).where(Recommendation.id == recommendation_id))
    if rec is None:
        raise NotFound(f"no recommendation {recommendation_id}")
    return rec


def get_attachment(session: Session, user: User, attachment_id: int) -> Attachment:
    att = session.scalar(select(Attachment).join(LearningRecord, Attachment.record_id == LearningRecord.id)
                         .where(visible_clause(user), Attachment.id == attachment_id))
    if att is None:
        raise NotFound(f"no document {attachment_id}")
    return att


def _own_org(user: User, record: LearningRecord) -> bool:
    return record.owner_organisation_id == user.organisation_id


def can(user: User, action: str, record: LearningRecord | None = None,
        recommendation: Recommendation | None = None) -> bool:
    """May ``user`` do ``action`` (to ``record`` / ``recommendation``, which they can already see)?

    Actions: ``create_record``, ``edit_record`` (fields, sharing, documents, recommendations),
    ``delete_record``, ``review_record`` (the retention review queue), ``update_recommendation``
    (progress, evidence), ``verify_recommendation``, ``admin`` (users, organisations, themes,
    the audit log).
    """
    if not user.active:
        return False
    if recommendation is not None and record is None:
        record = recommendation.record
    if record is not None and not visible(user, record):
        return False
    match action:
        case "view":
            return True
        case "create_record":
            return at_least(user, "contributor")
        case "edit_record":
            return at_least(user, "contributor") and _own_org(user, record)
        case "delete_record" | "review_record":
            return at_least(user, "reviewer") and _own_org(user, record)
        case "update_recommendation":
            if not at_least(user, "contributor"):
                return False
            return (_own_org(user, record) or recommendation.owner_organisation_id == user.organisation_id
                    or recommendation.owner_user_id == user.id)
        case "verify_recommendation":
            return at_least(user, "reviewer") and _own_org(user, record)
        case "admin":
            return at_least(user, "administrator")
    raise ValueError(f"unknown action {action!r}")


def require(user: User, action: str, record: LearningRecord | None = None,
            recommendation: Recommendation | None = None) -> None:
    """:func:`can`, or :class:`Forbidden` saying what was refused."""
    if not can(user, action, record, recommendation):
        what = f" on record {record.id}" if record is not None else ""
        if recommendation is not None:
            what = f" on recommendation {recommendation.id}"
        raise Forbidden(f"your role ({user.role}, {user.organisation.name}) may not {action.replace('_', ' ')}{what}")
