"""Exports of records and recommendations to CSV and XLSX, only of what the user may see.

Every text cell that a spreadsheet could take for a formula, one starting ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, is prefixed with a single quote (:func:`neutralise`), after the
OWASP guidance on CSV injection: a record titled ``=HYPERLINK("http://evil", "click")`` is shown as
text, never run. Numbers and dates are written as themselves. Every export is audited as a
disclosure (Data Protection Act 2018 s.62) with what was exported, the filters and how many rows.

The XLSX carries the document's marking (``OFFICIAL-SENSITIVE``) in its printed header and footer;
the CSV is data only, for loading into other tools, and is named with the marking.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from threadline.learning import access, audit
from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.models import LearningRecord, Recommendation, User
from threadline.learning.recommendations import is_overdue
from threadline.learning.search import Filters
from threadline.learning.vocab import CONFIDENTIALITY, KINDS, OPEN_STATUSES, STATUSES

MARKING = CONFIDENTIALITY["official_sensitive"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")

RECORD_COLUMNS = (
    "id", "kind", "title", "record_date", "incident_date", "stage", "confidentiality", "restricted",
    "owner_organisation", "organisations", "shared_with", "themes", "tags", "case_ids", "summary", "findings",
    "recommendations", "open_recommendations", "review_date", "retain_until", "created_at", "updated_at",
)
RECOMMENDATION_COLUMNS = (
    "id", "record_id", "record_title", "record_kind", "record_date", "action", "owner_organisation", "owner_user",
    "owner_name", "due_date", "status", "overdue", "not_accepted_reason", "evidence", "implemented_at",
    "verified_at", "themes", "created_at", "updated_at",
)


def formula_safe(value: object) -> str:
    """A cell as text a spreadsheet shows and never runs (OWASP CSV injection): ``None`` is empty;
    text that could start a formula gets a leading single quote. Used by every CSV the app writes."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


def neutralise(value: object) -> object:
    """A cell value safe to open in a spreadsheet: text that could start a formula gets a leading
    single quote; lists are joined with ``"; "``; booleans become yes/no; ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, (int, float, dt.date)):
        return value
    return formula_safe(value)


def _filters(filters: Filters | dict | None) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, dict):
        return Filters(**filters)
    return filters


def records_rows(session: Session, user: User, filters: Filters | dict | None = None) -> list[dict]:
    """One dict per record ``user`` may see (and ``filters`` keep), newest first."""
    f = _filters(filters)
    stmt = f.apply(access.visible_records(user)).options(
        selectinload(LearningRecord.organisations), selectinload(LearningRecord.shared_with),
        selectinload(LearningRecord.themes),
    ).order_by(LearningRecord.record_date.desc(), LearningRecord.id.desc())
    records = list(session.scalars(stmt))
    counts: dict[int, tuple[int, int]] = {}
    if records:
        ids = [r.id for r in records]
        for lo in range(0, len(ids), 5000):
            chunk = ids[lo:lo + 5000]
            q = (select(Recommendation.record_id, func.count(),
                        func.sum(case((Recommendation.status.in_(OPEN_STATUSES), 1), else_=0)))
                 .where(Recommendation.record_id.in_(chunk)).group_by(Recommendation.record_id))
            for rid, n, n_open in session.execute(q):
                counts[rid] = (n, int(n_open or 0))
    return [{
        "id": r.id, "kind": KINDS.get(r.kind, r.kind), "title": r.title, "record_date": r.record_date,
        "incident_date": r.incident_date, "stage": r.stage,
        "confidentiality": CONFIDENTIALITY.get(r.confidentiality, r.confidentiality), "restricted": r.restricted,
        "owner_organisation": r.owner_organisation.name, "organisations": [o.name for o in r.organisations],
        "shared_with": [o.name for o in r.shared_with], "themes": [t.name for t in r.themes],
        "tags": list(r.tags or []), "case_ids": list(r.case_ids or []), "summary": r.summary, "findings": r.findings,
        "recommendations": counts.get(r.id, (0, 0))[0], "open_recommendations": counts.get(r.id, (0, 0))[1],
        "review_date": r.review_date, "retain_until": r.retain_until, "created_at": r.created_at,
        "updated_at": r.updated_at,
    } for r in records]


def recommendations_rows(session: Session, user: User, filters: Filters | dict | None = None,
                         on: dt.date | None = None) -> list[dict]:
    """One dict per recommendation of a record ``user`` may see (``filters`` apply to the record;
    ``status`` to the recommendation itself), oldest due first."""
    f = _filters(filters)
    status, f = f.status, Filters(**{**asdict(f), "status": None})
    stmt = f.apply(access.visible_recommendations(user))
    if status:
        stmt = stmt.where(Recommendation.status == status)
    stmt = stmt.options(selectinload(Recommendation.record), selectinload(Recommendation.owner_user),
                        selectinload(Recommendation.themes)).order_by(
        Recommendation.due_date.is_(None), Recommendation.due_date, Recommendation.id)
    on = on or dt.date.today()
    return [{
        "id": r.id, "record_id": r.record_id, "record_title": r.record.title,
        "record_kind": KINDS.get(r.record.kind, r.record.kind), "record_date": r.record.record_date,
        "action": r.action, "owner_organisation": r.owner_organisation.name,
        "owner_user": r.owner_user.username if r.owner_user else "", "owner_name": r.owner_name,
        "due_date": r.due_date, "status": STATUSES.get(r.status, r.status), "overdue": is_overdue(r, on),
        "not_accepted_reason": r.not_accepted_reason, "evidence": r.evidence, "implemented_at": r.implemented_at,
        "verified_at": r.verified_at, "themes": [t.name for t in r.themes], "created_at": r.created_at,
        "updated_at": r.updated_at,
    } for r in session.scalars(stmt)]


def _columns(rows: Sequence[dict], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    return list(rows[0]) if rows else []


def _cells(rows: Iterable[dict], columns: list[str]) -> Iterable[list]:
    for row in rows:
        yield [neutralise(row.get(c)) for c in columns]


def to_csv(rows: Sequence[dict], columns: Sequence[str] | None = None) -> bytes:
    """CSV (UTF-8 with a byte-order mark, so Excel reads the accents), header first, cells neutralised."""
    cols = _columns(rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in cols])
    for cells in _cells(rows, cols):
        writer.writerow([c.isoformat(sep=" ") if isinstance(c, dt.datetime) else c for c in cells])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[dict], columns: Sequence[str] | None = None, sheet: str = "export") -> bytes:
    """An XLSX workbook of one sheet, header first (bold, frozen), cells neutralised and typed as
    text (never formulas), the marking in the printed header and footer."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cols = _columns(rows, columns)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.freeze_panes = "A2"
    ws.oddHeader.center.text = MARKING
    ws.oddFooter.center.text = f"{MARKING} · page &P of &N"
    bold = Font(bold=True)
    header = []
    for c in cols:
        cell = WriteOnlyCell(ws, value=neutralise(c))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for cells in _cells(rows, cols):
        out = []
        for value in cells:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even if it looks like a formula
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            out.append(cell)
        ws.append(out)
    wb.properties.title = f"Threadline export ({MARKING})"
    wb.properties.keywords = MARKING
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export(session: Session, actor: Actor, what: str, fmt: str, filters: Filters | dict | None = None,
           on: dt.date | None = None) -> tuple[str, bytes]:
    """Export ``what`` (``records`` or ``recommendations``) the actor may see as ``fmt`` (``csv`` or
    ``xlsx``); returns the file name and the bytes, and audits the disclosure."""
    if what not in ("records", "recommendations"):
        raise Invalid(f"export what? {what!r} is not records or recommendations")
    if fmt not in ("csv", "xlsx"):
        raise Invalid(f"export format {fmt!r} is not csv or xlsx")
    f = _filters(filters)
    if what == "records":
        rows, cols = records_rows(session, actor.user, f), RECORD_COLUMNS
    else:
        rows, cols = recommendations_rows(session, actor.user, f, on=on), RECOMMENDATION_COLUMNS
    data = to_csv(rows, cols) if fmt == "csv" else to_xlsx(rows, cols, sheet=what)
    stamp = (on or dt.date.today()).isoformat()
    filename = f"threadline-{what}-{stamp}-{MARKING}.{fmt}"
    used = {k: v for k, v in asdict(f).items() if v}
    audit.log(session, actor, "disclose", "export", what,
              detail=f"exported {len(rows)} {what} as {fmt.upper()}", query=_describe(used))
    return filename, data


def _describe(filters: dict) -> str:
    return "; ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in filters.items())
