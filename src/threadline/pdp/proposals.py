"""Proposals: the escalation ranking's rows, imported for a person to look at.

``threadline escalation rank --as-of DATE --out ranking.csv`` writes one row per person, ranked, with
the columns :data:`COLUMNS`; :func:`import_proposals` reads such a file, checks every row (an error
names the file, the row, counting the header as row 1, and the field) and stores all rows or none as
one batch of *open* proposals of the importing organisation. Importing creates no nomination: a
contributor looks at each proposal and nominates the person (a form prefilled with the ranking's
reasons, which they rewrite as their rationale) or dismisses it with a reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from threadline.analyse.escalation.layout import RANKING_COLUMNS
from threadline.errors import InputError
from threadline.learning import audit
from threadline.learning.access import at_least
from threadline.learning.audit import Actor
from threadline.learning.errors import Forbidden, Invalid
from threadline.learning.models import Organisation, utcnow
from threadline.pdp import access
from threadline.pdp.models import Nomination, Proposal
from threadline.pdp.vocab import ACTIVE_STATUSES

#: The ranking's columns, in its order (the layout ``threadline escalation rank --out`` writes).
COLUMNS = tuple(RANKING_COLUMNS)
MAX_ROWS = 100_000


@dataclass
class ImportReport:
    batch: str
    rows: int
    as_of: dt.date
    organisation: str
    ignored_columns: list[str]


def _int(value: str, name: str, where: dict, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        try:  # a whole number a data frame wrote as a float ("4.0")
            as_float = float(value)
        except ValueError:
            as_float = math.nan
        if not as_float.is_integer():
            raise InputError(f"{value!r} is not a whole number", field=name, **where) from None
        number = int(as_float)
    if number < minimum:
        raise InputError(f"{number} is below {minimum}", field=name, **where)
    return number


def _float(value: str, name: str, where: dict, *, optional: bool = False, infinite: bool = False) -> float | None:
    if value == "" and optional:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{value!r} is not a number", field=name, **where) from None
    if math.isnan(number) or (math.isinf(number) and not infinite):
        raise InputError(f"{value!r} is not a finite number", field=name, **where)
    return number


def read_ranking(path: str | Path) -> tuple[list[dict], list[str]]:
    """The rows of a ranking CSV, checked and typed; and any columns it has beyond :data:`COLUMNS`
    (ignored). Raises :class:`~threadline.errors.InputError` naming the file, row and field."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise InputError("the file is empty: expected a header row " + ",".join(COLUMNS), file=path)
            header = [h.strip() for h in header]
            for name in COLUMNS:
                if name not in header:
                    raise InputError("the column is missing from the header", file=path, row=1, field=name)
            dupes = sorted({h for h in header if header.count(h) > 1})
            if dupes:
                raise InputError("the column appears twice in the header", file=path, row=1, field=dupes[0])
            index = {name: header.index(name) for name in COLUMNS}
            rows, seen, as_of = [], {}, None
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                where = {"file": path, "row": number}
                if len(cells) != len(header):
                    raise InputError(f"the row has {len(cells)} fields, the header {len(header)}", **where)
                if len(rows) >= MAX_ROWS:
                    raise InputError(f"more than {MAX_ROWS:,} rows: rank fewer people", **where)
                raw = {name: cells[i].strip() for name, i in index.items()}
                try:
                    day = dt.date.fromisoformat(raw["as_of"])
                except ValueError:
                    raise InputError(
                        f"{raw['as_of']!r} is not a date like 2025-04-01", field="as_of", **where
                    ) from None
                if as_of is None:
                    as_of = day
                elif day != as_of:
                    raise InputError(
                        f"every row of a ranking has one as_of date: {day} here, {as_of} above", field="as_of", **where
                    )
                person = raw["person_id"]
                if not person:
                    raise InputError("the person id is empty", field="person_id", **where)
                if len(person) > 100:
                    raise InputError("the person id is longer than 100 characters", field="person_id", **where)
                if person in seen:
                    raise InputError(
                        f"person {person} is ranked twice (also row {seen[person]})", field="person_id", **where
                    )
                seen[person] = number
                if len(raw["latest_incident_type"]) > 200:
                    raise InputError("longer than 200 characters", field="latest_incident_type", **where)
                if len(raw["reasons"]) > 4000:
                    raise InputError("longer than 4,000 characters", field="reasons", **where)
                rows.append(
                    {
                        "as_of": day,
                        "rank": _int(raw["rank"], "rank", where, minimum=1),
                        "person_id": person,
                        "score": _float(raw["score"], "score", where),
                        "harm_90d": _float(raw["harm_90d"], "harm_90d", where, optional=True),
                        "incidents_90d": _int(raw["incidents_90d"], "incidents_90d", where),
                        "incidents_prev_270d": _int(raw["incidents_prev_270d"], "incidents_prev_270d", where),
                        "victims": _int(raw["victims"], "victims", where),
                        "escalation": _float(raw["escalation"], "escalation", where, optional=True, infinite=True),
                        "latest_incident_type": raw["latest_incident_type"],
                        "reasons": raw["reasons"],
                    }
                )
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", file=path) from None
    except csv.Error as e:
        raise InputError(f"not a readable CSV file ({e})", file=path) from None
    if not rows:
        raise InputError("the ranking has a header but no rows", file=path)
    return rows, [h for h in header if h not in COLUMNS]


def import_proposals(
    session: Session, actor: Actor | None, path: str | Path, organisation: Organisation | None = None
) -> ImportReport:
    """Import a ranking CSV as one batch of open proposals of ``organisation`` (default: the actor's),
    all rows or none, audited as a collection. ``actor`` is None when the command runs without
    ``--as`` (the audit log then says ``cli``). Creates no nomination."""
    if actor is not None:
        if not at_least(actor.user, "contributor") or not actor.user.active:
            raise Forbidden(f"your role ({actor.user.role}) may not import a ranking: contributors and above")
        if organisation is not None and organisation.id != actor.user.organisation_id:
            raise Forbidden("a ranking is imported for your own organisation only")
        organisation = actor.user.organisation
    if organisation is None:
        raise Invalid("say which organisation's ranking this is")
    rows, ignored = read_ranking(path)
    batch = uuid.uuid4().hex
    who = actor.user.username if actor else "cli"
    now = utcnow()
    for row in rows:
        session.add(
            Proposal(
                batch=batch,
                source_file=Path(path).name[:255],
                organisation_id=organisation.id,
                imported_by_id=actor.user.id if actor else None,
                imported_by=who,
                imported_at=now,
                status="open",
                status_reason="",
                status_by="",
                **row,
            )
        )
    session.flush()
    audit.log(
        session,
        actor,
        "collect",
        "pdp_proposals",
        batch,
        username="cli",
        detail=f"imported {len(rows)} ranking rows as of {rows[0]['as_of']} from {Path(path).name} "
        f"for {organisation.name}; no one was nominated",
    )
    return ImportReport(batch, len(rows), rows[0]["as_of"], organisation.name, ignored)


@dataclass
class LatestRanking:
    batch: str | None
    as_of: dt.date | None
    imported_at: dt.datetime | None
    imported_by: str
    source_file: str
    proposals: list[Proposal]
    entries: dict[str, int]  # person id -> the open entry of the user's organisation, if any


def latest(session: Session, actor: Actor, show: str = "open") -> LatestRanking:
    """The proposals of the latest ranking the actor's organisation imported (``show``: ``open``
    or ``all``), in rank order; logged as a consultation."""
    access.require(actor.user, "see_list")
    last = session.scalar(select(func.max(Proposal.id)).where(access.proposals_clause(actor.user)))
    if last is None:
        audit.log(session, actor, "consult", "pdp_proposals", detail="no ranking imported yet")
        return LatestRanking(None, None, None, "", "", [], {})
    head = session.get(Proposal, last)
    stmt = select(Proposal).where(access.proposals_clause(actor.user), Proposal.batch == head.batch)
    if show != "all":
        stmt = stmt.where(Proposal.status == "open")
    proposals = list(session.scalars(stmt.order_by(Proposal.rank, Proposal.id)))
    people = [p.person_id for p in proposals]
    entries = (
        dict(
            session.execute(
                select(Nomination.person_id, Nomination.id).where(
                    Nomination.owner_organisation_id == actor.user.organisation_id,
                    Nomination.status.in_(ACTIVE_STATUSES),
                    Nomination.person_id.in_(people),
                )
            ).all()
        )
        if people
        else {}
    )
    audit.log(
        session,
        actor,
        "consult",
        "pdp_proposals",
        head.batch,
        detail=f"ranking as of {head.as_of}: {len(proposals)} proposals shown ({show})",
    )
    return LatestRanking(
        head.batch, head.as_of, head.imported_at, head.imported_by, head.source_file, proposals, entries
    )


def proposal_for_nomination(session: Session, actor: Actor, proposal_id: int) -> Proposal:
    """An open proposal to prefill the nomination form with (audited as a consultation)."""
    p = access.get_proposal(session, actor.user, proposal_id)
    access.require(actor.user, "triage_proposal", proposal=p)
    if p.status != "open":
        raise Invalid(f"this proposal was already {p.status}")
    audit.log(session, actor, "consult", "pdp_proposal", p.id, detail=f"opened to nominate person {p.person_id}")
    return p


def dismiss(session: Session, actor: Actor, proposal_id: int, reason: str) -> Proposal:
    """Dismiss an open proposal with a reason (contributors and above of the importing organisation)."""
    p = access.get_proposal(session, actor.user, proposal_id)
    access.require(actor.user, "triage_proposal", proposal=p)
    if p.status != "open":
        raise Invalid(f"this proposal was already {p.status}")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise Invalid("give the reason the proposal is dismissed")
    if len(reason) > 4000:
        raise Invalid("a reason is at most 4,000 characters")
    p.status, p.status_reason, p.status_at = "dismissed", reason, utcnow()
    p.status_by_id, p.status_by = actor.user.id, actor.user.username
    audit.log(
        session,
        actor,
        "alter",
        "pdp_proposal",
        p.id,
        justification=reason,
        detail=f"dismissed proposal for person {p.person_id} (rank {p.rank} of {p.as_of})",
    )
    return p


def rationale_start(p: Proposal) -> str:
    """The text the nomination form starts with: the ranking's reasons, for the nominator to rewrite."""
    return (
        f"Escalation ranking of {p.as_of}: rank {p.rank}, score {p.score:.2f}. {p.reasons}".strip()
        + "\n\nWhy this person meets the definition (replace this with your own assessment): "
    )
