"""Bulk import of an existing library of debrief documents: a folder of files plus a metadata CSV.

All or nothing. Every row of the CSV (and of the optional recommendations CSV) is checked first
and every problem is collected as a :class:`Rejection` (row numbered as a spreadsheet shows it:
the header is row 1). If there is any, the problems are written next to the CSV as
``<name>.rejects.csv`` and :class:`~threadline.learning.errors.Invalid` is raised naming the first
one and how many there are; nothing is changed. Otherwise every record is created through
:func:`records.create_record` and :func:`records.add_document` (so the access rules, the audit log
and the full-text index apply exactly as for one record made in the app), recommendations through
:func:`recommendations.add_recommendation`, and the embeddings are computed in batches at the end,
all in the caller's transaction.

The exact format is in ``docs/learning-search.md`` ("Bulk import"); an example library is in
``examples/learning-library``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.learning import access, audit, documents, records, semantic
from threadline.learning import recommendations as recs
from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.export import formula_safe
from threadline.learning.models import Attachment, LearningRecord, Organisation, Theme, User
from threadline.learning.vocab import CONFIDENTIALITY, KINDS, STAGES

#: The metadata CSV's columns: ``file`` and ``kind``, ``title`` and ``record_date`` are required.
COLUMNS = ("file", "kind", "title", "record_date", "incident_date", "summary", "findings", "themes", "tags",
           "organisations", "case_ids", "restricted", "shared_with", "confidentiality", "stage")
REQUIRED = ("file", "kind", "title", "record_date")
#: The optional recommendations CSV (``recommendations.csv`` beside the metadata CSV, or passed in).
RECOMMENDATION_COLUMNS = ("file", "action", "owner_organisation", "owner_username", "owner_name", "due_date",
                          "themes")
RECOMMENDATION_REQUIRED = ("file", "action", "owner_organisation")
RECOMMENDATIONS_FILE = "recommendations.csv"
LIST_SEPARATOR = ";"
TRUE = {"yes", "y", "true", "1", "restricted"}
FALSE = {"", "no", "n", "false", "0"}
_EXTRA = "\x00extra"  # key of the values beyond the last column


@dataclass(frozen=True)
class Rejection:
    """One problem: the spreadsheet row (header = 1), the column, the document and why; ``source``
    is the CSV the row is in."""
    row: int
    field: str
    file: str
    reason: str
    source: str = ""


@dataclass
class ImportReport:
    imported: int
    rejected: list[Rejection] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)
    documents: int = 0
    recommendations: int = 0
    embedded: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Row:
    row: int
    names: list[str]  # as the CSV gives them
    files: list[tuple[str, bytes]]
    fields: records.RecordFields
    recommendations: list[recs.RecommendationFields] = field(default_factory=list)


def split_list(value: str | None) -> list[str]:
    """``a; b;;c`` -> ``["a", "b", "c"]``."""
    return [v.strip() for v in (value or "").split(LIST_SEPARATOR) if v.strip()]


def parse_date(value: str) -> dt.date:
    """An ISO date (2025-03-01) or a UK spreadsheet date (01/03/2025)."""
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str]:
    """(header, rows, encoding): UTF-8 (with or without Excel's byte-order mark), else Windows-1252."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    reader = csv.reader(io.StringIO(content, newline=""))
    rows = list(reader)
    if not rows:
        return [], [], encoding
    header = [h.strip().lower() for h in rows[0]]
    out = []
    for values in rows[1:]:
        if not any(v.strip() for v in values):
            out.append({})
            continue
        padded = values + [""] * (len(header) - len(values))
        row = {h: v.strip() for h, v in zip(header, padded, strict=False) if h}
        if len(values) > len(header):
            row[_EXTRA] = "; ".join(v for v in values[len(header):] if v.strip())
        out.append(row)
    return header, out, encoding


class _Checker:
    def __init__(self, session: Session, actor: Actor, folder: Path, source: str):
        self.session, self.actor, self.folder, self.source = session, actor, folder.resolve(), source
        self.rejections: list[Rejection] = []
        self.seen_names: dict[str, int] = {}
        self.seen_hashes: dict[str, tuple[int, str]] = {}
        self.themes = {t.code: t.active for t in session.scalars(select(Theme))}
        self.organisations = set(session.scalars(select(Organisation.name)))

    def reject(self, row: int, field_: str, file: str, reason: str, source: str | None = None) -> None:
        self.rejections.append(Rejection(row, field_, file, reason, source or self.source))

    def document(self, row: int, name: str, summary: str) -> tuple[str, bytes] | None:
        if not name:
            return None
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder):
            self.reject(row, "file", name, "the file must be inside the library folder")
            return None
        if name in self.seen_names:
            self.reject(row, "file", name, f"the same file is already listed in row {self.seen_names[name]}")
            return None
        self.seen_names[name] = row
        if not path.is_file():
            self.reject(row, "file", name, f"no such file in {self.folder}")
            return None
        try:
            data = path.read_bytes()
        except OSError as e:
            self.reject(row, "file", name, f"cannot be read: {e.strerror or e}")
            return None
        try:
            checked = documents.check(path.name, data)
        except Invalid as e:
            self.reject(row, "file", name, str(e))
            return None
        if not checked.text.strip() and not summary:
            self.reject(row, "file", name, "no text could be extracted (a scanned or damaged document?) "
                        "and the row has no summary: give one, or convert the document to text first")
            return None
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.seen_hashes:
            first_row, first = self.seen_hashes[digest]
            self.reject(row, "file", name, f"the same content as {first} in row {first_row}")
            return None
        self.seen_hashes[digest] = (row, name)
        known = self.session.scalar(
            select(Attachment.record_id).join(LearningRecord, Attachment.record_id == LearningRecord.id)
            .where(Attachment.sha256 == digest, access.visible_clause(self.actor.user)).limit(1))
        if known is not None:
            self.reject(row, "file", name, f"already imported: the same document is in record {known}")
            return None
        return path.name, data

    def themes_of(self, row: int, file: str, value: str, field_: str = "themes") -> list[str]:
        codes = split_list(value)
        unknown = [c for c in codes if c not in self.themes]
        if unknown:
            self.reject(row, field_, file, f"unknown theme {', '.join(unknown)} (use the codes in the taxonomy)")
        retired = [c for c in codes if self.themes.get(c) is False]
        if retired:
            self.reject(row, field_, file, f"retired theme {', '.join(retired)}")
        return codes

    def organisations_of(self, row: int, file: str, value: str, field_: str) -> list[str]:
        names = split_list(value)
        unknown = [n for n in names if n not in self.organisations]
        if unknown:
            self.reject(row, field_, file, f"unknown organisation {', '.join(unknown)} "
                        "(an administrator adds organisations first)")
        return names

    def date(self, row: int, file: str, value: str, field_: str, required: bool) -> dt.date | None:
        if not value:
            if required:
                self.reject(row, field_, file, "a date is required")
            return None
        try:
            return parse_date(value)
        except ValueError as e:
            self.reject(row, field_, file, str(e))
            return None


def _kind(value: str) -> str | None:
    v = value.strip()
    if v in KINDS:
        return v
    by_label = {label.lower(): code for code, label in KINDS.items()}
    return by_label.get(v.lower()) or (v.lower().replace(" ", "_").replace("-", "_")
                                       if v.lower().replace(" ", "_").replace("-", "_") in KINDS else None)


def _confidentiality(value: str) -> str | None:
    v = value.strip()
    if not v:
        return "official_sensitive"
    for code, marking in CONFIDENTIALITY.items():
        if v.lower() in (code, marking.lower()) or v.lower().replace("-", "_").replace(" ", "_") == code:
            return code
    return None


def _check_header(check: _Checker, header: list[str], allowed: tuple, required: tuple, source: str) -> bool:
    ok = True
    if not header:
        check.reject(1, "", "", "the CSV is empty: the first row must name the columns", source)
        return False
    for col in required:
        if col not in header:
            check.reject(1, col, "", f"the required column {col!r} is missing", source)
            ok = False
    for col in header:
        if col and col not in allowed:
            check.reject(1, col, "", f"unknown column {col!r} (the columns are {', '.join(allowed)})", source)
            ok = False
    dupes = {c for c in header if c and header.count(c) > 1}
    for col in sorted(dupes):
        check.reject(1, col, "", f"the column {col!r} appears twice", source)
        ok = False
    return ok


def _check_metadata(check: _Checker, rows: list[dict[str, str]]) -> list[_Row]:
    out: list[_Row] = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        files = split_list(row.get("file"))
        label = "; ".join(files)
        before = len(check.rejections)
        if _EXTRA in row:
            check.reject(number, "", label, f"more values than columns: {row[_EXTRA]!r}")
        if not files:
            check.reject(number, "file", "", "a document file is required")
        kind = _kind(row.get("kind", ""))
        if kind is None:
            check.reject(number, "kind", label, f"unknown kind {row.get('kind', '')!r} (one of {', '.join(KINDS)})")
        title = row.get("title", "")
        if not title:
            check.reject(number, "title", label, "a title is required")
        elif len(title) > 300:
            check.reject(number, "title", label, "a title is at most 300 characters")
        record_date = check.date(number, label, row.get("record_date", ""), "record_date", True)
        incident_date = check.date(number, label, row.get("incident_date", ""), "incident_date", False)
        if record_date and incident_date and incident_date > record_date + dt.timedelta(days=1):
            check.reject(number, "incident_date", label, "the incident date is after the record date")
        themes = check.themes_of(number, label, row.get("themes", ""))
        organisations = check.organisations_of(number, label, row.get("organisations", ""), "organisations")
        shared_with = check.organisations_of(number, label, row.get("shared_with", ""), "shared_with")
        restricted_text = row.get("restricted", "").lower()
        if restricted_text not in TRUE | FALSE:
            check.reject(number, "restricted", label, f"{row.get('restricted')!r} is not yes or no")
        restricted = restricted_text in TRUE
        if shared_with and not restricted:
            check.reject(number, "shared_with", label, "shared_with is only for a restricted record "
                         "(an unrestricted record is seen by every organisation): set restricted to yes")
        confidentiality = _confidentiality(row.get("confidentiality", ""))
        if confidentiality is None:
            check.reject(number, "confidentiality", label, f"unknown marking {row.get('confidentiality')!r} "
                         f"(one of {', '.join(CONFIDENTIALITY.values())})")
        stage = (row.get("stage") or "complete").lower()
        if stage not in STAGES:
            check.reject(number, "stage", label, f"unknown stage {stage!r} (one of {', '.join(STAGES)})")
        docs = [d for d in (check.document(number, f, row.get("summary", "")) for f in files) if d]
        if len(check.rejections) > before:
            continue
        fields = records.RecordFields(
            kind=kind, title=title, record_date=record_date, incident_date=incident_date,
            summary=row.get("summary", ""), findings=row.get("findings", ""), themes=themes,
            tags=split_list(row.get("tags")), organisations=organisations, case_ids=split_list(row.get("case_ids")),
            restricted=restricted, shared_with=shared_with, confidentiality=confidentiality, stage=stage)
        try:
            fields.validate()
        except Invalid as e:
            check.reject(number, "", label, str(e))
            continue
        out.append(_Row(number, files, docs, fields))
    return out


def _check_recommendations(check: _Checker, rows: list[dict[str, str]], by_file: dict[str, _Row],
                           listed: set[str], source: str) -> None:
    users = {u.username: u.organisation.name for u in check.session.scalars(select(User))}
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        file = row.get("file", "")
        before = len(check.rejections)
        if _EXTRA in row:
            check.reject(number, "", file, f"more values than columns: {row[_EXTRA]!r}", source)
        if not file:
            check.reject(number, "file", "", "the document the recommendation comes from is required", source)
        elif file not in listed:
            check.reject(number, "file", file, "not a file of the metadata CSV", source)
        if not row.get("action"):
            check.reject(number, "action", file, "the action is required", source)
        org = row.get("owner_organisation", "")
        if org not in check.organisations:
            check.reject(number, "owner_organisation", file, f"unknown organisation {org!r}", source)
        username = row.get("owner_username", "").lower()
        if username and username not in users:
            check.reject(number, "owner_username", file, f"unknown user {username!r}", source)
        elif username and users[username] != org:
            check.reject(number, "owner_username", file, f"{username} is not in {org}", source)
        due = None
        if row.get("due_date"):
            try:
                due = parse_date(row["due_date"])
            except ValueError as e:
                check.reject(number, "due_date", file, str(e), source)
        themes = split_list(row.get("themes"))
        unknown = [c for c in themes if c not in check.themes]
        if unknown:
            check.reject(number, "themes", file, f"unknown theme {', '.join(unknown)}", source)
        target = by_file.get(file)
        if target is not None and target.fields.restricted and org in check.organisations:
            owner = check.actor.user.organisation.name
            if org != owner and org not in target.fields.shared_with:
                check.reject(number, "owner_organisation", file, f"{org} cannot see this restricted record: "
                             "add it to shared_with first", source)
        if len(check.rejections) > before or target is None:
            continue
        target.recommendations.append(recs.RecommendationFields(
            action=row["action"], owner_organisation=org, owner_username=username or None,
            owner_name=row.get("owner_name", ""), due_date=due, themes=themes))


def rejects_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.stem + ".rejects.csv")


def write_rejects(path: Path, rejections: list[Rejection]) -> None:
    """The problems as a CSV a spreadsheet opens (row, field, file, reason)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["row", "field", "file", "reason"])
    for r in rejections:
        w.writerow([r.row, r.field, r.file, formula_safe(r.reason)])
    path.write_text(buf.getvalue(), encoding="utf-8")


def import_library(session: Session, actor: Actor, folder: Path, metadata_csv: Path,
                   recommendations_csv: Path | None = None) -> ImportReport:
    """Import every document of ``folder`` listed in ``metadata_csv`` as a learning record owned by
    the actor's organisation, all or nothing (see the module's description).

    ``recommendations_csv`` defaults to ``recommendations.csv`` beside the metadata CSV, if there
    is one. Raises :class:`Invalid` (after writing ``<name>.rejects.csv``) when any row is bad, and
    :class:`Forbidden` when the actor may not create records. The caller commits."""
    access.require(actor.user, "create_record")
    folder, metadata_csv = Path(folder), Path(metadata_csv)
    if not folder.is_dir():
        raise Invalid(f"no library folder {folder}")
    if not metadata_csv.is_file():
        raise Invalid(f"no metadata CSV {metadata_csv}")
    if recommendations_csv is None and (metadata_csv.parent / RECOMMENDATIONS_FILE).is_file():
        recommendations_csv = metadata_csv.parent / RECOMMENDATIONS_FILE
    check = _Checker(session, actor, folder, metadata_csv.name)
    header, rows, encoding = read_csv(metadata_csv)
    good: list[_Row] = []
    if _check_header(check, header, COLUMNS, REQUIRED, metadata_csv.name):
        good = _check_metadata(check, rows)
    if not rows and header:
        check.reject(2, "", "", "the CSV lists no documents")
    warnings = [] if encoding == "utf-8-sig" else [f"{metadata_csv.name} is not UTF-8: read as Windows-1252"]
    if recommendations_csv is not None:
        recommendations_csv = Path(recommendations_csv)
        source = recommendations_csv.name
        if not recommendations_csv.is_file():
            check.reject(1, "", "", f"no recommendations CSV {recommendations_csv}", source)
        else:
            r_header, r_rows, _ = read_csv(recommendations_csv)
            if _check_header(check, r_header, RECOMMENDATION_COLUMNS, RECOMMENDATION_REQUIRED, source):
                by_file = {name: row for row in good for name in row.names}
                listed = {f for r in rows if r for f in split_list(r.get("file"))}
                _check_recommendations(check, r_rows, by_file, listed, source)
    if check.rejections:
        _report_rejections(check.rejections, metadata_csv, recommendations_csv)
    old = rejects_path(metadata_csv)
    if old.exists():
        old.unlink()
    return _create(session, actor, folder, good, warnings)


def _report_rejections(rejections: list[Rejection], metadata_csv: Path, recommendations_csv: Path | None) -> None:
    first_source = rejections[0].source
    for source, csv_path in ((metadata_csv.name, metadata_csv), (recommendations_csv and recommendations_csv.name,
                                                                 recommendations_csv)):
        if csv_path is None:
            continue
        mine = [r for r in rejections if r.source == source]
        if mine:
            write_rejects(rejects_path(csv_path), mine)
    first = rejections[0]
    where = f"{first_source} row {first.row}" + (f", field {first.field}" if first.field else "") + (
        f", file {first.file}" if first.file else "")
    more = f" (and {len(rejections) - 1} more)" if len(rejections) > 1 else ""
    target = rejects_path(metadata_csv if first_source == metadata_csv.name else recommendations_csv)
    err = Invalid(f"{len(rejections)} problem{'s' if len(rejections) != 1 else ''} in the import, nothing "
                  f"imported: {where}: {first.reason}{more}; every problem is listed in {target}")
    err.rejections = rejections  # type: ignore[attr-defined]
    raise err


def _create(session: Session, actor: Actor, folder: Path, rows: list[_Row], warnings: list[str]) -> ImportReport:
    report = ImportReport(imported=0, warnings=warnings)
    made: list[LearningRecord] = []
    with semantic.deferred():
        for row in rows:
            record = records.create_record(session, actor, row.fields)
            for name, data in row.files:
                att = records.add_document(session, actor, record.id, name, data)
                report.documents += 1
                if not att.text.strip():
                    report.warnings.append(f"row {row.row}: no text could be extracted from {name}")
            for fields in row.recommendations:
                recs.add_recommendation(session, actor, record.id, fields)
                report.recommendations += 1
            made.append(record)
    report.embedded = semantic.update_embeddings(session, made)
    report.imported = len(made)
    report.record_ids = [r.id for r in made]
    audit.log(session, actor, "collect", "library", folder.name, detail=(
        f"imported {report.imported} records, {report.documents} documents and {report.recommendations} "
        f"recommendations from {folder.name}"))
    return report


__all__ = ["COLUMNS", "RECOMMENDATION_COLUMNS", "ImportReport", "Rejection", "import_library"]
