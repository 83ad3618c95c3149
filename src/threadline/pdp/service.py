"""The PDP list's work: nominate, edit, decide (a reviewer: start a review, accept onto the list,
reject, record a review, remove), actions, the list, the review queue and the export.

Every function takes an :class:`~threadline.learning.audit.Actor`, applies :mod:`threadline.pdp.access`
and writes the learning repository's audit log (Data Protection Act 2018 s.62) in the caller's
transaction: a view or a list is a *consultation*, a nomination or an action a *collection*, every
other change an *alteration*, an export a *disclosure*. Every change to an entry is also kept in its
history (:class:`~threadline.pdp.models.PdpEvent`): who, when, which field, old and new values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from threadline.learning import audit, export
from threadline.learning.audit import Actor
from threadline.learning.errors import Forbidden, Invalid
from threadline.learning.models import Organisation, User, utcnow
from threadline.pdp import access
from threadline.pdp.models import Nomination, PdpAction, PdpEvent, Proposal
from threadline.pdp.vocab import (
    ACTIVE_STATUSES,
    CORE_CRITERIA,
    CRITERIA,
    CRITERIA_NAMES,
    DECISION_TARGET,
    DECISIONS,
    REVIEW_MONTHS,
    STATUSES,
)

MIN_REASON = 5
MAX_TEXT = 20_000


@dataclass
class NominationFields:
    """What a contributor sets on an entry: the register's person id, an optional label (initials
    or a reference: no name is needed), the rationale, the criteria met (codes of
    :data:`~threadline.pdp.vocab.CRITERIA`), the owner (a user of the owning organisation) and the
    organisations it is shared with (names)."""

    person_id: str
    rationale: str
    criteria: list[str] = field(default_factory=list)
    label: str = ""
    owner_username: str | None = None
    shared_with: list[str] = field(default_factory=list)

    def validate(self) -> None:
        person = (self.person_id or "").strip()
        if not person:
            raise Invalid("a nomination needs the person's register id")
        if len(person) > 100 or any(not c.isprintable() for c in person):
            raise Invalid("a person id is at most 100 printable characters")
        if len((self.label or "").strip()) > 40:
            raise Invalid("a label is at most 40 characters (initials or a reference, not a full name)")
        if len((self.rationale or "").strip()) < 20:
            raise Invalid("give the rationale: why this person meets the definition (at least 20 characters)")
        if len(self.rationale) > MAX_TEXT:
            raise Invalid(f"a rationale is at most {MAX_TEXT:,} characters")
        unknown = [c for c in self.criteria if c not in CRITERIA]
        if unknown:
            raise Invalid(f"unknown criterion {', '.join(unknown)} (one of {', '.join(CRITERIA)})")
        if not self.criteria:
            raise Invalid("tick the criteria the person meets")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def default_review_date(on: dt.date | None = None) -> dt.date:
    """The review date an entry gets when accepted onto the list without one: :data:`REVIEW_MONTHS` on."""
    return add_months(on or dt.date.today(), REVIEW_MONTHS)


def _event(session: Session, actor: Actor, n: Nomination, field_: str, old, new, note: str = "") -> None:
    session.add(
        PdpEvent(
            nomination=n,
            user_id=actor.user.id,
            username=actor.user.username,
            field=field_,
            old="" if old is None else str(old),
            new="" if new is None else str(new),
            note=note,
        )
    )


def _organisations(session: Session, names: list[str], skip_id: int) -> list[Organisation]:
    out = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            raise Invalid(f"unknown organisation {name!r}")
        if org.id != skip_id:
            out.append(org)
    return out


def _owner_user(session: Session, username: str | None, organisation_id: int, default: User | None) -> User | None:
    if not (username or "").strip():
        return default
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise Invalid(f"unknown user {username!r}")
    if user.organisation_id != organisation_id:
        raise Invalid(f"{user.username} is not in the organisation that owns this")
    return user


def _criteria(codes: list[str]) -> list[str]:
    return [c for c in CRITERIA if c in set(codes)]  # the shipped order, no repeats


def _describe(values: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in values.items() if v not in (None, "", False))


# --- nominating and editing ------------------------------------------------------------------------


def nominate(session: Session, actor: Actor, fields: NominationFields, proposal_id: int | None = None) -> Nomination:
    """Nominate a person for the actor's organisation's list (contributors and above), by hand or
    from a proposal of the ranking (which then is marked nominated). A person decided this: the
    ranking never calls this function."""
    access.require(actor.user, "nominate")
    fields.validate()
    proposal = None
    if proposal_id is not None:
        proposal = access.get_proposal(session, actor.user, proposal_id)
        access.require(actor.user, "triage_proposal", proposal=proposal)
        if proposal.status != "open":
            raise Invalid(f"this proposal was already {proposal.status}")
        if fields.person_id.strip() != proposal.person_id:
            raise Invalid(f"the proposal is for person {proposal.person_id}, not {fields.person_id.strip()}")
        from threadline.pdp.proposals import rationale_start

        if fields.rationale.strip() == rationale_start(proposal).strip():
            raise Invalid("add your own assessment to the rationale: the ranking's reasons alone are not a decision")
    org_id = actor.user.organisation_id
    active = session.scalar(
        select(Nomination.id).where(
            Nomination.owner_organisation_id == org_id,
            Nomination.person_id == fields.person_id.strip(),
            Nomination.status.in_(ACTIVE_STATUSES),
        )
    )
    if active is not None:
        raise Invalid(f"person {fields.person_id.strip()} already has an open entry (PDP entry {active})")
    with session.no_autoflush:
        n = Nomination(
            person_id=fields.person_id.strip(),
            label=(fields.label or "").strip(),
            rationale=fields.rationale.strip(),
            criteria=_criteria(fields.criteria),
            source="proposal" if proposal else "manual",
            proposal=proposal,
            owner_organisation_id=org_id,
            owner_organisation=actor.user.organisation,
            owner_user=_owner_user(session, fields.owner_username, org_id, actor.user),
            created_by_id=actor.user.id,
            status="nominated",
            decision_note="",
            removal_reason="",
        )
        n.shared_with = _organisations(session, fields.shared_with, org_id)
    session.add(n)
    session.flush()
    _event(
        session,
        actor,
        n,
        "status",
        "",
        "nominated",
        note=f"from proposal {proposal.id} (rank {proposal.rank} of {proposal.as_of})" if proposal else "by hand",
    )
    if proposal is not None:
        proposal.status, proposal.status_at = "nominated", utcnow()
        proposal.status_by_id, proposal.status_by = actor.user.id, actor.user.username
        proposal.status_reason = f"nominated as PDP entry {n.id}"
        audit.log(session, actor, "alter", "pdp_proposal", proposal.id, detail=f"nominated as PDP entry {n.id}")
    audit.log(
        session,
        actor,
        "collect",
        "pdp_entry",
        n.id,
        detail=f"nominated person {n.person_id} ({n.source}); criteria {', '.join(n.criteria)}; "
        f"shared with {', '.join(o.name for o in n.shared_with) or 'nobody'}",
    )
    return n


def fields_of(n: Nomination) -> NominationFields:
    """The entry's current values, to change some and pass to :func:`update_nomination`."""
    return NominationFields(
        person_id=n.person_id,
        rationale=n.rationale,
        criteria=list(n.criteria or []),
        label=n.label,
        owner_username=n.owner_user.username if n.owner_user else None,
        shared_with=[o.name for o in n.shared_with],
    )


def update_nomination(session: Session, actor: Actor, nomination_id: int, fields: NominationFields) -> Nomination:
    """Change an active entry's label, rationale, criteria, owner or sharing (contributors and above
    of the owning organisation); each changed field goes into the history. The person id is fixed."""
    n = access.get_nomination(session, actor.user, nomination_id)
    access.require(actor.user, "edit", n)
    fields.person_id = n.person_id
    fields.validate()
    before = fields_of(n)
    with session.no_autoflush:
        owner = _owner_user(session, fields.owner_username, n.owner_organisation_id, None)
        shared = _organisations(session, fields.shared_with, n.owner_organisation_id)
    after = NominationFields(
        person_id=n.person_id,
        rationale=fields.rationale.strip(),
        criteria=_criteria(fields.criteria),
        label=(fields.label or "").strip(),
        owner_username=owner.username if owner else None,
        shared_with=[o.name for o in shared],
    )
    changed = []
    for name in ("label", "rationale", "criteria", "owner_username", "shared_with"):
        old, new = getattr(before, name), getattr(after, name)
        if isinstance(old, list):
            same = sorted(old) == sorted(new)
            old, new = ", ".join(old), ", ".join(new)
        else:
            same = (old or "") == (new or "")
        if not same:
            changed.append(name)
            _event(session, actor, n, "owner" if name == "owner_username" else name, old, new)
    n.label, n.rationale, n.criteria, n.owner_user = after.label, after.rationale, after.criteria, owner
    n.shared_with = shared
    n.updated_at = utcnow()
    audit.log(session, actor, "alter", "pdp_entry", n.id, detail="changed " + (", ".join(changed) or "nothing"))
    return n


# --- deciding --------------------------------------------------------------------------------------


def decide(
    session: Session,
    actor: Actor,
    nomination_id: int,
    decision: str,
    review_date: dt.date | None = None,
    reason: str = "",
    on: dt.date | None = None,
) -> Nomination:
    """A reviewer's decision on an entry (reviewers and administrators of the owning organisation):

    - ``start_review``: nominated → under review;
    - ``accept``: onto the list. All three parts of the APP definition must be ticked, the decider
      may not be the person who nominated (two people, never the ranking alone), and the entry gets
      a review date (given, else :data:`~threadline.pdp.vocab.REVIEW_MONTHS` months on);
    - ``reject``: with a reason;
    - ``review``: on the list, reviewed: a note and the next review date (both required);
    - ``remove``: off the list, with a reason (required).
    """
    n = access.get_nomination(session, actor.user, nomination_id)
    access.require(actor.user, "decide", n)
    on = on or dt.date.today()
    reason = (reason or "").strip()
    if decision not in DECISION_TARGET:
        raise Invalid(f"unknown decision {decision!r} (one of {', '.join(DECISION_TARGET)})")
    if decision not in DECISIONS[n.status]:
        allowed = ", ".join(DECISIONS[n.status]) or "none: the entry is closed"
        raise Invalid(
            f"an entry that is {STATUSES[n.status].lower()} cannot take the decision "
            f"{decision.replace('_', ' ')} (allowed: {allowed})"
        )
    if len(reason) > MAX_TEXT:
        raise Invalid(f"a reason is at most {MAX_TEXT:,} characters")
    old_status, old_review = n.status, n.review_date
    if decision == "accept":
        missing = [CRITERIA_NAMES[c] for c in CORE_CRITERIA if c not in (n.criteria or [])]
        if missing:
            raise Invalid(
                "an entry goes on the list only when all three parts of the definition are met; "
                "not ticked: " + ", ".join(missing)
            )
        if n.created_by_id == actor.user.id:
            raise Forbidden("the person who nominated may not accept their own nomination: another reviewer decides")
        review_date = review_date or default_review_date(on)
    if decision in ("accept", "review"):
        if review_date is None:
            raise Invalid("an entry on the list needs a review date")
        if review_date <= on:
            raise Invalid(f"the review date must be after today ({on.isoformat()})")
    if decision == "review" and len(reason) < MIN_REASON:
        raise Invalid("say what the review found (it is kept in the history)")
    if decision in ("reject", "remove") and len(reason) < MIN_REASON:
        word = "rejected" if decision == "reject" else "removed from the list"
        raise Invalid(f"give the reason the entry is {word}")
    n.status = DECISION_TARGET[decision]
    if decision in ("accept", "reject", "remove"):
        n.decision_by_id, n.decided_at, n.decision_note = actor.user.id, utcnow(), reason
    if decision in ("accept", "review"):
        n.review_date = review_date
    if decision == "remove":
        n.removal_reason, n.removed_at, n.review_date = reason, utcnow(), None
    if decision == "reject":
        n.review_date = None
    n.updated_at = utcnow()
    if n.status != old_status:
        _event(session, actor, n, "status", old_status, n.status, note=reason)
    elif decision == "review":
        _event(session, actor, n, "review", "", "reviewed", note=reason)
    if n.review_date != old_review:
        _event(session, actor, n, "review_date", old_review, n.review_date)
    if decision == "remove":
        _event(session, actor, n, "removal_reason", "", reason)
    audit.log(
        session,
        actor,
        "alter",
        "pdp_entry",
        n.id,
        justification=reason,
        detail=f"decision {decision}: {old_status} -> {n.status}"
        + (f"; review {n.review_date}" if n.review_date else ""),
    )
    return n


# --- actions ---------------------------------------------------------------------------------------


def add_action(
    session: Session,
    actor: Actor,
    nomination_id: int,
    text: str,
    owner_organisation: str = "",
    owner_username: str = "",
    due_date: dt.date | None = None,
) -> PdpAction:
    """Agree an action for an active entry (contributors and above who can see it), owned by the
    owning organisation or one it is shared with (default: the actor's) and, if named, a person in it."""
    n = access.get_nomination(session, actor.user, nomination_id)
    access.require(actor.user, "add_action", n)
    text = (text or "").strip()
    if len(text) < 3:
        raise Invalid("say what the action is")
    if len(text) > MAX_TEXT:
        raise Invalid(f"an action is at most {MAX_TEXT:,} characters")
    org = actor.user.organisation
    if (owner_organisation or "").strip():
        org = session.scalar(select(Organisation).where(Organisation.name == owner_organisation.strip()))
        if org is None:
            raise Invalid(f"unknown organisation {owner_organisation!r}")
    if org.id != n.owner_organisation_id and org not in n.shared_with:
        raise Invalid(f"{org.name} cannot see this entry: share it with them before giving them an action")
    owner = _owner_user(session, owner_username, org.id, None)
    a = PdpAction(
        nomination=n,
        text=text,
        owner_organisation=org,
        owner_user=owner,
        due_date=due_date,
        status="open",
        done_note="",
        created_by_id=actor.user.id,
    )
    session.add(a)
    session.flush()
    _event(
        session,
        actor,
        n,
        "action",
        "",
        text,
        note=f"action {a.id} for {org.name}"
        + (f" ({owner.username})" if owner else "")
        + (f", due {due_date}" if due_date else ""),
    )
    n.updated_at = utcnow()
    audit.log(
        session,
        actor,
        "collect",
        "pdp_action",
        a.id,
        detail=f"PDP entry {n.id}: action for {org.name}, due {due_date or 'no date'}",
    )
    return a


def complete_action(session: Session, actor: Actor, action_id: int, note: str) -> PdpAction:
    """Mark an action done with a note of what was done (its organisation, its named owner, or the
    entry's organisation)."""
    a = access.get_action(session, actor.user, action_id)
    access.require(actor.user, "complete_action", a.nomination, a)
    note = (note or "").strip()
    if a.status == "done":
        raise Invalid("this action is already done")
    if len(note) < 3:
        raise Invalid("say what was done")
    a.status, a.done_note, a.done_at, a.done_by_id = "done", note, utcnow(), actor.user.id
    _event(session, actor, a.nomination, "action_status", "open", "done", note=f"action {a.id}: {note}")
    audit.log(session, actor, "alter", "pdp_action", a.id, detail=f"PDP entry {a.nomination_id}: action done")
    return a


# --- reading ---------------------------------------------------------------------------------------


def view_nomination(session: Session, actor: Actor, nomination_id: int) -> Nomination:
    """The entry, logged as a consultation."""
    n = access.get_nomination(session, actor.user, nomination_id)
    audit.log(session, actor, "consult", "pdp_entry", n.id, detail=f"viewed PDP entry for person {n.person_id}")
    return n


def _query(user: User, status: str | None, review_due: bool, on: dt.date):
    stmt = access.visible_nominations(user).options(
        selectinload(Nomination.shared_with), selectinload(Nomination.actions)
    )
    if status == "active":
        stmt = stmt.where(Nomination.status.in_(ACTIVE_STATUSES))
    elif status:
        if status not in STATUSES:
            raise Invalid(f"unknown status {status!r} (one of active, {', '.join(STATUSES)})")
        stmt = stmt.where(Nomination.status == status)
    if review_due:
        stmt = stmt.where(Nomination.status == "on_list", Nomination.review_date <= on)
    return stmt


def list_entries(
    session: Session, actor: Actor, status: str | None = None, review_due: bool = False, on: dt.date | None = None
) -> list[Nomination]:
    """The entries the actor may see (``status``: one of the statuses or ``active``; ``review_due``:
    only entries on the list whose review date has come), logged as a consultation."""
    access.require(actor.user, "see_list")
    on = on or dt.date.today()
    stmt = _query(actor.user, status, review_due, on).order_by(
        Nomination.review_date.is_(None), Nomination.review_date, Nomination.id
    )
    rows = list(session.scalars(stmt).unique())
    audit.log(
        session,
        actor,
        "consult",
        "pdp_list",
        query=_describe({"status": status, "review_due": review_due}),
        detail=f"{len(rows)} entries shown",
    )
    return rows


def review_queue(session: Session, actor: Actor, on: dt.date | None = None) -> list[Nomination]:
    """Entries on the list whose review date is today or past, oldest first (audited)."""
    access.require(actor.user, "see_list")
    on = on or dt.date.today()
    rows = list(
        session.scalars(_query(actor.user, None, True, on).order_by(Nomination.review_date, Nomination.id)).unique()
    )
    audit.log(session, actor, "consult", "pdp_review_queue", detail=f"{len(rows)} entries due for review on {on}")
    return rows


def review_due(n: Nomination, on: dt.date | None = None) -> bool:
    return n.status == "on_list" and n.review_date is not None and n.review_date <= (on or dt.date.today())


EXPORT_COLUMNS = (
    "id",
    "person_id",
    "label",
    "status",
    "owner_organisation",
    "owner",
    "shared_with",
    "criteria",
    "rationale",
    "source",
    "proposal_rank",
    "proposal_score",
    "proposal_as_of",
    "decision_by",
    "decided_at",
    "decision_note",
    "review_date",
    "review_due",
    "removal_reason",
    "open_actions",
    "created_at",
    "updated_at",
)


def export_csv(
    session: Session, actor: Actor, status: str | None = None, review_due_only: bool = False, on: dt.date | None = None
) -> tuple[str, bytes, int]:
    """The entries the actor may see as CSV, formulas neutralised (:func:`threadline.learning.export.to_csv`);
    logged as a disclosure. Returns the file name, the bytes and the number of rows."""
    access.require(actor.user, "export")
    on = on or dt.date.today()
    stmt = (
        _query(actor.user, status, review_due_only, on)
        .options(
            selectinload(Nomination.decision_by), selectinload(Nomination.owner_user), selectinload(Nomination.proposal)
        )
        .order_by(Nomination.id)
    )
    rows = []
    for n in session.scalars(stmt).unique():
        p: Proposal | None = n.proposal
        rows.append(
            {
                "id": n.id,
                "person_id": n.person_id,
                "label": n.label,
                "status": n.status,
                "owner_organisation": n.owner_organisation.name,
                "owner": n.owner_user.username if n.owner_user else "",
                "shared_with": [o.name for o in n.shared_with],
                "criteria": list(n.criteria or []),
                "rationale": n.rationale,
                "source": n.source,
                "proposal_rank": p.rank if p else None,
                "proposal_score": p.score if p else None,
                "proposal_as_of": p.as_of if p else None,
                "decision_by": n.decision_by.username if n.decision_by else "",
                "decided_at": n.decided_at,
                "decision_note": n.decision_note,
                "review_date": n.review_date,
                "review_due": review_due(n, on),
                "removal_reason": n.removal_reason,
                "open_actions": sum(a.status == "open" for a in n.actions),
                "created_at": n.created_at,
                "updated_at": n.updated_at,
            }
        )
    data = export.to_csv(rows, EXPORT_COLUMNS)
    audit.log(
        session,
        actor,
        "disclose",
        "pdp_export",
        query=_describe({"status": status, "review_due": review_due_only}),
        detail=f"exported {len(rows)} PDP entries as CSV",
    )
    return f"threadline-pdp-{on.isoformat()}-{export.MARKING}.csv", data, len(rows)


def owners(session: Session, n: Nomination) -> list[tuple[Organisation, list[User]]]:
    """Organisations that may own an action of ``n`` (its owner and those it is shared with), each with
    its active contributors and above."""
    orgs = [n.owner_organisation, *n.shared_with]
    users = list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.organisation_id.in_([o.id for o in orgs]), User.role != "reader")
            .order_by(User.display_name)
        )
    )
    return [(o, [u for u in users if u.organisation_id == o.id]) for o in orgs]
