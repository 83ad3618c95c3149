"""Tracking recommendations to done: the dashboard and the filtered list behind it.

Every count is made in SQL over :func:`threadline.learning.access.visible_recommendations`, so a
user's dashboard counts only recommendations of records they may see (a partner's dashboard never
counts an action from a restricted record not shared with it), and the numbers stay cheap on
60,000 recommendations.

Definitions (the same in the dashboard, the governance pack, the digest and the exports):

* **open**: proposed, accepted or in progress (:data:`~threadline.learning.vocab.OPEN_STATUSES`);
* **overdue**: open and its due date is before ``on`` (today unless given); a recommendation with
  no due date is never overdue;
* **organisation**: the organisation that owns the recommendation (was tasked with it), not the
  one that wrote the record;
* **theme**: a recommendation counts under its own themes or, when it has none, under its
  record's themes (:func:`theme_pairs`), so a debrief tagged "information sharing" counts its
  untagged actions there too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, exists, func, select, union
from sqlalchemy.orm import Session, selectinload

from threadline.learning import access
from threadline.learning.models import (
    Organisation,
    Recommendation,
    Theme,
    User,
    recommendation_themes,
    record_themes,
)
from threadline.learning.vocab import OPEN_STATUSES, STATUSES

#: How many overdue recommendations the dashboard lists (the count in ``totals`` is exact).
OVERDUE_LIST_LIMIT = 100


@dataclass(kw_only=True)
class Counts:
    """Recommendations in one slice: open (of which overdue), done, not accepted, all."""
    open: int = 0
    overdue: int = 0
    implemented: int = 0
    verified: int = 0
    not_accepted: int = 0
    total: int = 0

    def add(self, status: str, overdue: bool, n: int) -> None:
        self.total += n
        if status in OPEN_STATUSES:
            self.open += n
            if overdue:
                self.overdue += n
        elif status == "implemented":
            self.implemented += n
        elif status == "verified":
            self.verified += n
        elif status == "not_accepted":
            self.not_accepted += n

    @property
    def done(self) -> int:
        """Implemented or verified."""
        return self.implemented + self.verified


@dataclass(kw_only=True)
class OrganisationRow(Counts):
    organisation: str
    organisation_id: int


@dataclass(kw_only=True)
class ThemeRow(Counts):
    theme: str
    theme_code: str
    group: str = ""


@dataclass
class Dashboard:
    """What the dashboard shows. ``totals`` has a count per status plus ``open``, ``overdue`` and
    ``total``; ``overdue`` lists the oldest-due first (at most :data:`OVERDUE_LIST_LIMIT`)."""
    on: dt.date
    totals: dict[str, int]
    by_organisation: list[OrganisationRow] = field(default_factory=list)
    by_theme: list[ThemeRow] = field(default_factory=list)
    overdue: list[Recommendation] = field(default_factory=list)


def overdue_clause(on: dt.date):
    """SQL condition: the recommendation is open and past its due date on ``on``."""
    return and_(Recommendation.status.in_(OPEN_STATUSES), Recommendation.due_date.is_not(None),
                Recommendation.due_date < on)


def theme_pairs():
    """Subquery of ``(recommendation_id, theme_id)``: a recommendation's own themes, or its
    record's themes when it has none."""
    own = select(recommendation_themes.c.recommendation_id.label("recommendation_id"),
                 recommendation_themes.c.theme_id.label("theme_id"))
    inherited = (
        select(Recommendation.id.label("recommendation_id"), record_themes.c.theme_id.label("theme_id"))
        .join(record_themes, record_themes.c.record_id == Recommendation.record_id)
        .where(~exists().where(recommendation_themes.c.recommendation_id == Recommendation.id))
    )
    return union(own, inherited).subquery("rec_theme")


def _flag(on: dt.date):
    return case((overdue_clause(on), 1), else_=0).label("is_overdue")


def dashboard(session: Session, user: User, on: dt.date | None = None, *,
              base: Select | None = None, overdue_limit: int | None = OVERDUE_LIST_LIMIT) -> Dashboard:
    """Totals by status, by owning organisation and by theme, and the overdue list, over the
    recommendations ``user`` may see (``base`` narrows them further, e.g. to a period)."""
    on = on or dt.date.today()
    base = base if base is not None else access.visible_recommendations(user)
    flag = _flag(on)
    totals = {s: 0 for s in STATUSES} | {"open": 0, "overdue": 0, "total": 0}
    orgs: dict[int, OrganisationRow] = {}
    stmt = (base.with_only_columns(Recommendation.status, flag, Organisation.id, Organisation.name,
                                   func.count(Recommendation.id))
            .join(Organisation, Organisation.id == Recommendation.owner_organisation_id)
            .group_by(Recommendation.status, flag, Organisation.id, Organisation.name))
    for status, is_overdue, org_id, org_name, n in session.execute(stmt):
        totals[status] = totals.get(status, 0) + n
        totals["total"] += n
        if status in OPEN_STATUSES:
            totals["open"] += n
            if is_overdue:
                totals["overdue"] += n
        row = orgs.setdefault(org_id, OrganisationRow(organisation=org_name, organisation_id=org_id))
        row.add(status, bool(is_overdue), n)

    pairs = theme_pairs()
    themes: dict[int, ThemeRow] = {}
    stmt = (base.with_only_columns(Recommendation.status, flag, Theme.id, Theme.code, Theme.name, Theme.group,
                                   func.count(Recommendation.id))
            .join(pairs, pairs.c.recommendation_id == Recommendation.id)
            .join(Theme, Theme.id == pairs.c.theme_id)
            .group_by(Recommendation.status, flag, Theme.id, Theme.code, Theme.name, Theme.group))
    for status, is_overdue, theme_id, code, name, group, n in session.execute(stmt):
        row = themes.setdefault(theme_id, ThemeRow(theme=name, theme_code=code, group=group or ""))
        row.add(status, bool(is_overdue), n)

    overdue_stmt = (base.where(overdue_clause(on))
                    .options(selectinload(Recommendation.record), selectinload(Recommendation.owner_user))
                    .order_by(Recommendation.due_date, Recommendation.id))
    if overdue_limit is not None:
        overdue_stmt = overdue_stmt.limit(overdue_limit)
    return Dashboard(
        on=on, totals=totals,
        by_organisation=sorted(orgs.values(), key=lambda r: (-r.overdue, -r.open, r.organisation)),
        by_theme=sorted(themes.values(), key=lambda r: (-r.overdue, -r.open, r.theme)),
        overdue=list(session.scalars(overdue_stmt)),
    )


def recommendation_list(session: Session, user: User, status: str | list[str] | None = None,
                        organisation_id: int | None = None, theme: str | None = None, overdue: bool = False,
                        owner_user_id: int | None = None, limit: int | None = 200, offset: int = 0, *,
                        record_id: int | None = None, on: dt.date | None = None) -> list[Recommendation]:
    """The recommendations ``user`` may see, filtered: by status (one or several; ``"open"``
    means any open status), owning organisation, theme code (own or the record's, see
    :func:`theme_pairs`), overdue on ``on``, owner user, record. Oldest due first, undated last."""
    stmt = filtered(user, status=status, organisation_id=organisation_id, theme=theme, overdue=overdue,
                    owner_user_id=owner_user_id, record_id=record_id, on=on)
    # Dated ones by (due date, id), then undated ones by id: the same order as ORDER BY
    # "due_date IS NULL, due_date, id", in two queries that can each walk an index and stop at the
    # page (the expression would make the database sort every match first).
    ids = list(session.scalars(stmt.with_only_columns(Recommendation.id)
                               .where(Recommendation.due_date.is_not(None))
                               .order_by(Recommendation.due_date, Recommendation.id)
                               .offset(offset).limit(limit)))
    if limit is None or len(ids) < limit:
        if ids or not offset:
            dated = offset + len(ids)
        else:  # the page starts past the dated ones: how many are there?
            dated = count(session, stmt.where(Recommendation.due_date.is_not(None)))
        undated = (stmt.with_only_columns(Recommendation.id).where(Recommendation.due_date.is_(None))
                   .order_by(Recommendation.id).offset(max(0, offset - dated)))
        if limit is not None:
            undated = undated.limit(limit - len(ids))
        ids += session.scalars(undated)
    if not ids:
        return []
    loaded = {r.id: r for r in session.scalars(
        select(Recommendation).where(Recommendation.id.in_(ids))
        .options(selectinload(Recommendation.record), selectinload(Recommendation.owner_user)))}
    return [loaded[i] for i in ids]


def filtered(user: User, status: str | list[str] | None = None, organisation_id: int | None = None,
             theme: str | None = None, overdue: bool = False, owner_user_id: int | None = None,
             record_id: int | None = None, on: dt.date | None = None) -> Select[tuple[Recommendation]]:
    """The ``SELECT`` behind :func:`recommendation_list` (for counting or exporting), over
    ``Recommendation`` alone (visibility by :func:`~threadline.learning.access.visible_recommendation_clause`)."""
    return _filtered_stmt(select(Recommendation).where(access.visible_recommendation_clause(user)), status=status,
                          organisation_id=organisation_id, theme=theme, overdue=overdue,
                          owner_user_id=owner_user_id, record_id=record_id, on=on)


def _filtered_stmt(stmt: Select, status: str | list[str] | None = None, organisation_id: int | None = None,
                   theme: str | None = None, overdue: bool = False, owner_user_id: int | None = None,
                   record_id: int | None = None, on: dt.date | None = None) -> Select:
    """``stmt`` (over ``recommendations``) narrowed by the filters of :func:`filtered`."""
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        if "open" in wanted:
            wanted = [s for s in wanted if s != "open"] + list(OPEN_STATUSES)
        stmt = stmt.where(Recommendation.status.in_(wanted))
    if organisation_id:
        stmt = stmt.where(Recommendation.owner_organisation_id == organisation_id)
    if theme:
        pairs = theme_pairs()
        stmt = stmt.where(Recommendation.id.in_(
            select(pairs.c.recommendation_id).join(Theme, Theme.id == pairs.c.theme_id).where(Theme.code == theme)))
    if overdue:
        stmt = stmt.where(overdue_clause(on or dt.date.today()))
    if owner_user_id:
        stmt = stmt.where(Recommendation.owner_user_id == owner_user_id)
    if record_id:
        stmt = stmt.where(Recommendation.record_id == record_id)
    return stmt


def count_visible(session: Session, user: User, **filters) -> int:
    """How many recommendations :func:`filtered` (``user``, ``filters``) selects, counted as all
    those matching the filters less those of records ``user`` may not see: both counts read an
    index, where counting the visible ones directly visits every match."""
    everyone = _filtered_stmt(select(func.count(Recommendation.id)), **filters)
    hidden = everyone.where(Recommendation.record_id.in_(access.hidden_record_ids(user)))
    return (session.scalar(everyone) or 0) - (session.scalar(hidden) or 0)


def count(session: Session, stmt: Select) -> int:
    """How many rows a ``SELECT`` of recommendations or records would return."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
