"""Who may see and do what on the PDP list: the one place its rules live (tabled, each beside its
test, in ``docs/pdp.md``).

1. **Who sees an entry?** (:func:`visible_clause`) Contributors, reviewers and administrators of the
   entry's owning organisation and of the organisations it is shared with. Nobody else, whatever
   their role: an administrator of an organisation the entry is not shared with never sees, finds
   or exports it, and readers see nothing of the list at all. Every fetch by id goes through
   :func:`get_nomination` / :func:`get_action` / :func:`get_proposal`, which answer
   :class:`~threadline.learning.errors.NotFound` for an entry the user may not see exactly as for
   one that does not exist, so an id is never confirmed.
2. **Who sees the ranking's proposals?** Contributors and above of the organisation that imported
   them; partners never do.
3. **Who may do what?** (:func:`can`) Contributors nominate (for their own organisation's list),
   edit their organisation's entries, triage proposals and add actions; reviewers (and
   administrators) of the owning organisation decide: start a review, accept onto the list, reject,
   record a review, remove. The ranking never decides anything.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from threadline.learning.access import at_least
from threadline.learning.errors import Forbidden, NotFound
from threadline.learning.models import User
from threadline.pdp.models import Nomination, PdpAction, Proposal, pdp_shares
from threadline.pdp.vocab import ACTIVE_STATUSES

ACTIONS = ("see_list", "nominate", "edit", "decide", "add_action", "complete_action", "triage_proposal", "export")


def may_use(user: User) -> bool:
    """May ``user`` see anything of the PDP list? Active contributors and above only."""
    return bool(user.active) and at_least(user, "contributor")


def visible_clause(user: User) -> ColumnElement[bool]:
    """SQL condition: the entry (``Nomination``) is visible to ``user``."""
    if not may_use(user):
        return false()
    shared = select(pdp_shares.c.nomination_id).where(pdp_shares.c.organisation_id == user.organisation_id)
    return or_(Nomination.owner_organisation_id == user.organisation_id, Nomination.id.in_(shared))


def visible_nominations(user: User) -> Select[tuple[Nomination]]:
    """``SELECT`` of the entries ``user`` may see; add filters and order to it."""
    return select(Nomination).where(visible_clause(user))


def visible(user: User, nomination: Nomination) -> bool:
    """Python form of :func:`visible_clause`, for an entry already loaded."""
    if not may_use(user):
        return False
    return nomination.owner_organisation_id == user.organisation_id or any(
        o.id == user.organisation_id for o in nomination.shared_with
    )


def get_nomination(session: Session, user: User, nomination_id: int) -> Nomination:
    """The entry, if it exists and ``user`` may see it; else :class:`NotFound` (the same either way)."""
    found = session.scalar(visible_nominations(user).where(Nomination.id == nomination_id))
    if found is None:
        raise NotFound(f"no PDP entry {nomination_id}")
    return found


def get_action(session: Session, user: User, action_id: int) -> PdpAction:
    found = session.scalar(
        select(PdpAction)
        .join(Nomination, PdpAction.nomination_id == Nomination.id)
        .where(visible_clause(user), PdpAction.id == action_id)
    )
    if found is None:
        raise NotFound(f"no PDP action {action_id}")
    return found


def proposals_clause(user: User) -> ColumnElement[bool]:
    """SQL condition: the proposal is visible to ``user`` (their organisation imported it)."""
    if not may_use(user):
        return false()
    return and_(Proposal.organisation_id == user.organisation_id)


def get_proposal(session: Session, user: User, proposal_id: int) -> Proposal:
    found = session.scalar(select(Proposal).where(proposals_clause(user), Proposal.id == proposal_id))
    if found is None:
        raise NotFound(f"no PDP proposal {proposal_id}")
    return found


def _owner(user: User, nomination: Nomination | None) -> bool:
    return nomination is not None and nomination.owner_organisation_id == user.organisation_id


def can(
    user: User,
    action: str,
    nomination: Nomination | None = None,
    pdp_action: PdpAction | None = None,
    proposal: Proposal | None = None,
) -> bool:
    """May ``user`` do ``action`` (to an entry, action or proposal they can already see)?

    ``see_list`` and ``export``: contributors and above. ``nominate``: contributors and above (the
    entry is owned by their organisation). ``edit`` (rationale, criteria, owner, sharing): contributors
    and above of the owning organisation, while the entry is active. ``decide``: reviewers and above of
    the owning organisation. ``add_action``: contributors and above who can see the active entry
    (owner or shared). ``complete_action``: contributors and above of the entry's organisation or of
    the action's organisation, or the action's named owner. ``triage_proposal`` (nominate from it or
    dismiss it): contributors and above of the organisation that imported it.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not may_use(user):
        return False
    if pdp_action is not None and nomination is None:
        nomination = pdp_action.nomination
    if nomination is not None and not visible(user, nomination):
        return False
    match action:
        case "see_list" | "nominate" | "export":
            return True
        case "edit":
            return _owner(user, nomination) and nomination.status in ACTIVE_STATUSES
        case "decide":
            return at_least(user, "reviewer") and _owner(user, nomination)
        case "add_action":
            return nomination is not None and nomination.status in ACTIVE_STATUSES
        case "complete_action":
            return pdp_action is not None and (
                _owner(user, nomination)
                or pdp_action.owner_organisation_id == user.organisation_id
                or pdp_action.owner_user_id == user.id
            )
        case "triage_proposal":
            return proposal is not None and proposal.organisation_id == user.organisation_id
    return False  # pragma: no cover - every action is matched above


def require(
    user: User,
    action: str,
    nomination: Nomination | None = None,
    pdp_action: PdpAction | None = None,
    proposal: Proposal | None = None,
) -> None:
    """:func:`can`, or :class:`Forbidden` saying what was refused."""
    if not can(user, action, nomination, pdp_action, proposal):
        what = f" on PDP entry {nomination.id}" if nomination is not None else ""
        raise Forbidden(
            f"your role ({user.role}, {user.organisation.name}) may not {action.replace('_', ' ')}"
            f"{what}" + ("" if may_use(user) else ": the PDP list is for contributors and above")
        )
