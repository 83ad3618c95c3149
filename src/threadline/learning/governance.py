"""The governance pack: what the board that oversees learning reads each quarter.

For a period (first and last day): records received by kind; recommendations by owning
organisation (made in the period, implemented and verified in it, open and overdue now); the
overdue list, oldest first; recurring themes (table and chart, over every year up to the period's
end, since recurrence is about years); recommendations not accepted, with their reasons; and
records due for review (Management of Police Information) by the period's end.

Definitions: a recommendation is *made* in the period when its record is dated in it (the review
or debrief made it); *implemented* / *verified* when that date falls in the period; *overdue* as at
the day the pack is made (``on``), because a board acts on what is late now.

Only what the user may see: every query goes through :mod:`threadline.learning.access`, and the
pack says whose view it is (user and organisation), since a partner's pack may rightly show less
than the force's. HTML is self-contained (styles inline, the chart an inline SVG, no script, no
external resource); the PDF is made by WeasyPrint from the same HTML. The marking
``OFFICIAL-SENSITIVE`` is at the top and bottom of every page (CSS paged media margin boxes in the
PDF and print; a banner at the top and bottom on screen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.orm import Session, selectinload

from threadline.learning import access, recurring, tracking
from threadline.learning.errors import Invalid
from threadline.learning.models import LearningRecord, Organisation, Recommendation, User
from threadline.learning.vocab import CONFIDENTIALITY, KINDS, STATUSES

MARKING = CONFIDENTIALITY["official_sensitive"]
TEMPLATES = Path(__file__).with_name("templates")
LIST_LIMIT = 200


@dataclass(kw_only=True)
class OrganisationLine:
    organisation: str
    made: int = 0
    implemented: int = 0
    verified: int = 0
    open: int = 0
    overdue: int = 0
    not_accepted: int = 0


@dataclass
class Pack:
    start: dt.date
    end: dt.date
    on: dt.date
    user: User
    records_by_kind: list[tuple[str, int]]
    records_total: int
    organisations: list[OrganisationLine]
    overdue: list[Recommendation]
    overdue_total: int
    themes: list[recurring.RecurringTheme]
    chart: str
    repeated: list[recurring.RecommendationGroup]
    not_accepted: list[Recommendation]
    not_accepted_total: int
    due_review: list[LearningRecord]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def view(self) -> str:
        return f"{self.user.display_name or self.user.username} ({self.user.organisation.name})"


def _between(column, start: dt.date, end: dt.date):
    return column.between(start, end)


def build(session: Session, user: User, start: dt.date, end: dt.date, on: dt.date | None = None) -> Pack:
    """Gather the pack's figures for ``start`` to ``end`` (inclusive) over what ``user`` may see."""
    if end < start:
        raise Invalid(f"the period ends ({end}) before it starts ({start})")
    on = on or dt.date.today()
    records = access.visible_records(user).where(_between(LearningRecord.record_date, start, end))
    by_kind = dict(session.execute(records.with_only_columns(LearningRecord.kind, func.count(LearningRecord.id))
                                   .group_by(LearningRecord.kind)).all())
    recs = access.visible_recommendations(user)
    lines: dict[str, OrganisationLine] = {}

    def line(name: str) -> OrganisationLine:
        return lines.setdefault(name, OrganisationLine(organisation=name))

    def per_org(stmt, attr: str) -> None:
        stmt = (stmt.with_only_columns(Organisation.name, func.count(Recommendation.id))
                .join(Organisation, Organisation.id == Recommendation.owner_organisation_id)
                .group_by(Organisation.name))
        for name, n in session.execute(stmt):
            setattr(line(name), attr, getattr(line(name), attr) + n)

    per_org(recs.where(_between(LearningRecord.record_date, start, end)), "made")
    per_org(recs.where(_between(Recommendation.implemented_at, start, end)), "implemented")
    per_org(recs.where(_between(Recommendation.verified_at, start, end)), "verified")
    dash = tracking.dashboard(session, user, on, overdue_limit=LIST_LIMIT)
    for row in dash.by_organisation:
        ln = line(row.organisation)
        ln.open, ln.overdue, ln.not_accepted = row.open, row.overdue, row.not_accepted

    themes = recurring.recurring_themes(session, user, end=end, on=on)
    not_accepted_q = recs.where(Recommendation.status == "not_accepted", LearningRecord.record_date <= end)
    not_accepted = list(session.scalars(
        not_accepted_q.options(selectinload(Recommendation.record))
        .order_by(LearningRecord.record_date.desc(), Recommendation.id).limit(LIST_LIMIT)))
    due_review = list(session.scalars(
        access.visible_records(user).where(LearningRecord.review_date.is_not(None), LearningRecord.review_date <= end)
        .order_by(LearningRecord.review_date, LearningRecord.id).limit(LIST_LIMIT)))
    return Pack(
        start=start, end=end, on=on, user=user,
        records_by_kind=[(KINDS.get(k, k), by_kind[k]) for k in KINDS if by_kind.get(k)],
        records_total=sum(by_kind.values()),
        organisations=sorted(lines.values(), key=lambda r: (-r.overdue, -r.made, r.organisation)),
        overdue=dash.overdue, overdue_total=dash.totals["overdue"],
        themes=themes[:20], chart=recurring.chart_svg(themes),
        repeated=recurring.similar_recommendations(session, user, end=end, limit=10),
        not_accepted=not_accepted, not_accepted_total=tracking.count(session, not_accepted_q),
        due_review=due_review, totals=dash.totals,
    )


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["date"] = lambda d: d.strftime("%d %b %Y") if d else ""
    return env


def render(pack: Pack) -> str:
    css = (TEMPLATES / "governance.css").read_text(encoding="utf-8")
    return _env().get_template("governance.html.j2").render(
        p=pack, marking=MARKING, css=Markup(css), chart=Markup(pack.chart), statuses=STATUSES, kinds=KINDS)


def pack_html(session: Session, user: User, start: dt.date, end: dt.date, on: dt.date | None = None) -> str:
    """The governance pack as one self-contained HTML page."""
    return render(build(session, user, start, end, on))


def pack_pdf(session: Session, user: User, start: dt.date, end: dt.date, on: dt.date | None = None) -> bytes:
    """The governance pack as PDF (WeasyPrint, from the same HTML)."""
    from weasyprint import HTML

    return HTML(string=pack_html(session, user, start, end, on)).write_pdf()
