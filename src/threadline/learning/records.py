"""Learning records: create (a short form first, detail later), view, edit, share, attach, erase.

Every function takes an :class:`~threadline.learning.audit.Actor`, checks the access rules
(:mod:`threadline.learning.access`), writes the audit log and keeps the search index in step, all
in the caller's transaction: the work and its audit line commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from threadline.learning import access, audit, documents, search
from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.models import Attachment, LearningRecord, Organisation, Recommendation, Theme
from threadline.learning.vocab import CONFIDENTIALITY, KINDS, STAGES

TAXONOMY = Path(__file__).with_name("taxonomy.yaml")

#: Default review period under Management of Police Information (College of Policing APP, MoPI):
#: a learning record about a homicide or serious violence is reviewed at 6 years (MoPI's standard
#: review period), and its retention decided then; an administrator may set other dates per record.
REVIEW_AFTER_YEARS = 6


@dataclass
class RecordFields:
    """What a user may set on a record. ``organisations`` and ``shared_with`` are organisation
    names; ``themes`` theme codes."""
    kind: str
    title: str
    record_date: dt.date
    summary: str = ""
    findings: str = ""
    incident_date: dt.date | None = None
    stage: str = "initial"
    confidentiality: str = "official_sensitive"
    restricted: bool = False
    shared_with: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)
    review_date: dt.date | None = None
    retain_until: dt.date | None = None

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise Invalid(f"unknown kind {self.kind!r} (one of {', '.join(KINDS)})")
        if not (self.title or "").strip():
            raise Invalid("a record needs a title")
        if len(self.title) > 300:
            raise Invalid("a title is at most 300 characters")
        if not isinstance(self.record_date, dt.date):
            raise Invalid("a record needs a date")
        if self.stage not in STAGES:
            raise Invalid(f"unknown stage {self.stage!r} (one of {', '.join(STAGES)})")
        if self.confidentiality not in CONFIDENTIALITY:
            raise Invalid(f"unknown confidentiality {self.confidentiality!r} (one of {', '.join(CONFIDENTIALITY)})")
        if self.incident_date and self.incident_date > self.record_date + dt.timedelta(days=1):
            raise Invalid("the incident date is after the record's date")


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def ensure_taxonomy(session: Session) -> int:
    """Add the shipped themes not yet in the database (never overwrites an administrator's edit).
    Returns how many were added."""
    have = set(session.scalars(select(Theme.code)))
    added = 0
    for t in yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))["themes"]:
        if t["code"] not in have:
            session.add(Theme(code=t["code"], name=t["name"], group=t.get("group", ""),
                              description=t.get("description", "")))
            added += 1
    session.flush()
    return added


def save_theme(session: Session, actor: Actor, code: str, name: str, group: str = "",
               description: str = "", active: bool = True) -> Theme:
    """Add a theme or change one (administrators); the code is its fixed identity."""
    access.require(actor.user, "admin")
    code = code.strip().lower()
    if not code or not all(c.isalnum() or c == "-" for c in code):
        raise Invalid("a theme code is lower-case letters, digits and hyphens")
    if not name.strip():
        raise Invalid("a theme needs a name")
    theme = session.scalar(select(Theme).where(Theme.code == code))
    verb = "alter" if theme else "collect"
    if theme is None:
        theme = Theme(code=code)
        session.add(theme)
    theme.name, theme.group, theme.description, theme.active = name.strip(), group.strip(), description, active
    session.flush()
    state = "active" if active else "retired"
    audit.log(session, actor, verb, "theme", theme.id, detail=f"theme {code}: {name} ({state})")
    return theme


def _organisations(session: Session, names: list[str]) -> list[Organisation]:
    out = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            raise Invalid(f"unknown organisation {name!r}: an administrator adds organisations first")
        out.append(org)
    return out


def _themes(session: Session, codes: list[str]) -> list[Theme]:
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {t.code: t for t in session.scalars(select(Theme).where(Theme.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise Invalid(f"unknown theme {', '.join(missing)}")
    return [found[c] for c in codes]


def _clean_list(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _apply(session: Session, record: LearningRecord, f: RecordFields) -> None:
    f.validate()
    record.kind, record.title, record.record_date = f.kind, f.title.strip(), f.record_date
    record.summary, record.findings, record.incident_date = f.summary or "", f.findings or "", f.incident_date
    record.stage, record.confidentiality, record.restricted = f.stage, f.confidentiality, bool(f.restricted)
    record.organisations = _organisations(session, f.organisations)
    record.shared_with = [o for o in _organisations(session, f.shared_with)
                          if o.id != record.owner_organisation_id]
    record.themes = _themes(session, f.themes)
    record.tags = _clean_list(f.tags)
    record.case_ids = _clean_list(f.case_ids)
    record.review_date = f.review_date or record.review_date or add_years(f.record_date, REVIEW_AFTER_YEARS)
    record.retain_until = f.retain_until or record.retain_until


def create_record(session: Session, actor: Actor, fields: RecordFields) -> LearningRecord:
    """A new record owned by the actor's organisation (contributors and above)."""
    access.require(actor.user, "create_record")
    with session.no_autoflush:
        record = LearningRecord(owner_organisation_id=actor.user.organisation_id, created_by_id=actor.user.id,
                                owner_organisation=actor.user.organisation)
        _apply(session, record, fields)
    session.add(record)
    session.flush()
    search.index_record(session, record)
    audit.log(session, actor, "collect", "record", record.id, detail=f"created {record.kind}: {record.title}")
    return record


def fields_of(record: LearningRecord) -> RecordFields:
    """The record's current values, to change some and pass to :func:`update_record`."""
    return RecordFields(
        kind=record.kind, title=record.title, record_date=record.record_date, summary=record.summary,
        findings=record.findings, incident_date=record.incident_date, stage=record.stage,
        confidentiality=record.confidentiality, restricted=record.restricted,
        shared_with=[o.name for o in record.shared_with], organisations=[o.name for o in record.organisations],
        themes=[t.code for t in record.themes], tags=list(record.tags or []), case_ids=list(record.case_ids or []),
        review_date=record.review_date, retain_until=record.retain_until)


def update_record(session: Session, actor: Actor, record_id: int, fields: RecordFields) -> LearningRecord:
    """Change a record (contributors and above of its owning organisation); the audit line lists
    which fields changed."""
    record = access.get_record(session, actor.user, record_id)
    access.require(actor.user, "edit_record", record)
    before = fields_of(record)
    _apply(session, record, fields)
    after = fields_of(record)
    changed = [k for k in vars(before) if getattr(before, k) != getattr(after, k)]
    search.index_record(session, record)
    audit.log(session, actor, "alter", "record", record.id, detail="changed " + (", ".join(changed) or "nothing"))
    return record


#: What the record page reads of a record, loaded in one query per relationship (``selectinload``)
#: instead of one query per recommendation and relationship as the page is drawn.
PAGE_OPTIONS = (
    # each collection in one query (joining themes and organisations into the record's query cut
    # three round trips on PostgreSQL but took SQLite's planner from 6 ms to 250 ms). Documents
    # without their bytes: the page lists them, a download reads them.
    selectinload(LearningRecord.themes), selectinload(LearningRecord.organisations),
    selectinload(LearningRecord.attachments).defer(Attachment.data),
    selectinload(LearningRecord.recommendations).options(
        selectinload(Recommendation.themes), selectinload(Recommendation.attachments).defer(Attachment.data),
        selectinload(Recommendation.events)),
)


def view_record(session: Session, actor: Actor, record_id: int, options: tuple = ()) -> LearningRecord:
    """The record, logged as a consultation (``options``: loader options, e.g. :data:`PAGE_OPTIONS`)."""
    record = access.get_record(session, actor.user, record_id, options)
    audit.log(session, actor, "consult", "record", record.id)
    return record


def delete_record(session: Session, actor: Actor, record_id: int, justification: str) -> None:
    """Erase a record with its recommendations, history and documents (reviewers and above of its
    owning organisation), with a justification kept in the audit log (which itself is never erased)."""
    record = access.get_record(session, actor.user, record_id)
    access.require(actor.user, "delete_record", record)
    if len((justification or "").strip()) < 5:
        raise Invalid("say why the record is being deleted (the reason is kept in the audit log)")
    title, kind = record.title, record.kind
    n_recs, n_docs = len(record.recommendations), len(record.attachments)
    search.remove_record(session, record.id)
    session.delete(record)
    session.flush()
    audit.log(session, actor, "erase", "record", record_id, justification=justification.strip(),
              detail=f"deleted {kind} {title!r} with {n_recs} recommendations and {n_docs} documents")


def add_document(session: Session, actor: Actor, record_id: int, filename: str, data: bytes,
                 recommendation_id: int | None = None) -> Attachment:
    """Attach a checked document to a record (editors of the record) or, as evidence, to one of
    its recommendations (those who may update it)."""
    record = access.get_record(session, actor.user, record_id)
    rec = None
    if recommendation_id is not None:
        rec = access.get_recommendation(session, actor.user, recommendation_id)
        if rec.record_id != record.id:
            raise Invalid(f"recommendation {recommendation_id} is not in record {record_id}")
        access.require(actor.user, "update_recommendation", record, rec)
    else:
        access.require(actor.user, "edit_record", record)
    checked = documents.check(filename, data)
    att = Attachment(record=record, recommendation=rec, filename=checked.filename,
                     content_type=checked.content_type, size=len(checked.data), sha256=checked.sha256,
                     data=checked.data, text=checked.text, uploaded_by_id=actor.user.id)
    session.add(att)
    session.flush()
    search.index_record(session, record)
    where = f"recommendation {rec.id}" if rec else f"record {record.id}"
    audit.log(session, actor, "collect", "document", att.id,
              detail=f"attached {checked.filename} ({att.size} bytes, sha256 {checked.sha256[:12]}) to {where}"
              + ("" if checked.text else "; no text could be extracted"))
    return att


def download_document(session: Session, actor: Actor, attachment_id: int, justification: str = "") -> Attachment:
    """A document, if its record is visible; logged as a disclosure."""
    att = access.get_attachment(session, actor.user, attachment_id)
    audit.log(session, actor, "disclose", "document", att.id, justification=justification,
              detail=f"downloaded {att.filename} of record {att.record_id}")
    return att


def review_queue(session: Session, actor: Actor, on: dt.date | None = None) -> list[LearningRecord]:
    """Records of the actor's organisation due for review (MoPI) on or before ``on`` (today)."""
    on = on or dt.date.today()
    stmt = access.visible_records(actor.user).where(
        LearningRecord.owner_organisation_id == actor.user.organisation_id,
        LearningRecord.review_date.is_not(None), LearningRecord.review_date <= on,
    ).order_by(LearningRecord.review_date, LearningRecord.id)
    return list(session.scalars(stmt))


def record_review(session: Session, actor: Actor, record_id: int, decision: str, next_review: dt.date | None,
                  justification: str) -> LearningRecord | None:
    """Decide a record's review: ``retain`` (with the next review date) or ``delete``."""
    record = access.get_record(session, actor.user, record_id)
    access.require(actor.user, "review_record", record)
    if decision == "delete":
        delete_record(session, actor, record_id, justification)
        return None
    if decision != "retain":
        raise Invalid("a review decides retain or delete")
    if not next_review or next_review <= dt.date.today():
        raise Invalid("a retained record needs a next review date in the future")
    if len((justification or "").strip()) < 5:
        raise Invalid("say why the record is retained")
    old = record.review_date
    record.review_date = next_review
    audit.log(session, actor, "alter", "record", record.id, justification=justification.strip(),
              detail=f"review: retained; next review {next_review} (was {old})")
    return record
