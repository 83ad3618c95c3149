"""Bulk import of a library of debrief documents, on SQLite and PostgreSQL: all or nothing, every
problem listed with its spreadsheet row, field and file, and the imported records searchable and
access-controlled like any other."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from learning_fixtures import make_people
from sqlalchemy import func, select

from threadline.learning import bulk, search, semantic
from threadline.learning.audit import Actor
from threadline.learning.errors import Forbidden, Invalid
from threadline.learning.models import AuditEvent, LearningRecord, Recommendation, RecordEmbedding

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "learning-library"


@pytest.fixture
def library(tmp_path) -> Path:
    """A copy of the example library (the import writes its rejects file beside the CSV)."""
    target = tmp_path / "library"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("*.rejects.csv", "*.py"))
    return target


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_import_the_example_library(factory, library):
    expected = _rows(library / "metadata.csv")
    with factory() as s, s.begin():
        p = make_people(s)
        report = bulk.import_library(s, p.actor("force_contributor"), library / "documents", library / "metadata.csv")
        assert report.imported == len(expected) == 8 and report.rejected == []
        assert report.documents == 8 and report.recommendations == len(_rows(library / "recommendations.csv"))
        assert report.embedded == 8
    assert not (library / "metadata.rejects.csv").exists()
    with factory() as s:
        assert _count(s, LearningRecord) == 8 and _count(s, RecordEmbedding) == 8
        assert _count(s, Recommendation) == report.recommendations
        assert semantic.missing(s) == []
        dhr = s.scalar(select(LearningRecord).where(LearningRecord.title == "Domestic homicide review: Adult A"))
        assert dhr.restricted and [o.name for o in dhr.shared_with] == ["Leeds Teaching Hospitals NHS Trust"]
        assert {t.code for t in dhr.themes} == {"non-fatal-strangulation", "coercive-control", "marac-mappa"}
        assert dhr.documents[0].filename == "2022-dhr-adult-a.docx" and "strangled" in dhr.documents[0].text
        assert dhr.confidentiality == "official_sensitive" and dhr.case_ids == ["WYP-21-3310"]
        force, partner = s.merge(p.force_reader), s.merge(p.partner_reader)
        # text from inside the documents is searchable, by words and by meaning
        assert [h.id for h in search.search(s, force, "strangled").hits] == [dhr.id]
        arson = search.search(s, force, "set fire to the front door while the family slept", mode="semantic")
        assert arson.hits[0].record.title.startswith("Near-miss debrief: arson")
        # a restricted import is invisible to a partner it is not shared with
        for mode in search.MODES:
            assert dhr.id not in [h.id for h in search.search(s, partner, "strangled", mode=mode, limit=50).hits]
            assert all(not h.record.restricted for h in search.search(s, partner, "psychiatric ward", mode=mode,
                                                                       limit=50).hits)
        lines = s.scalars(select(AuditEvent.detail).where(AuditEvent.object_type == "library")).all()
        assert lines == ["imported 8 records, 8 documents and 7 recommendations from documents"]


def test_bad_rows_import_nothing_and_are_all_listed(factory, library):
    rows = _rows(library / "metadata.csv")
    rows[1]["file"] = "no-such-file.docx"  # spreadsheet row 3
    rows[3]["themes"] = "voice-of-victim;knife-crime"  # row 5
    rows[5]["record_date"] = "31/02/2024"  # row 7
    _write(library / "metadata.csv", rows)
    with factory() as s, s.begin():
        p = make_people(s)
        with pytest.raises(Invalid) as err:
            bulk.import_library(s, p.actor("force_contributor"), library / "documents", library / "metadata.csv")
        message = str(err.value)
        assert "row 3" in message and "field file" in message and "no-such-file.docx" in message
        assert "nothing imported" in message and "4 problems" in message
        assert _count(s, LearningRecord) == 0 and _count(s, RecordEmbedding) == 0
    rejects = _rows(library / "metadata.rejects.csv")
    got = [(r["row"], r["field"]) for r in rejects]
    assert got == [("3", "file"), ("5", "themes"), ("7", "record_date")]
    # the recommendation for the renamed document no longer matches a row of the metadata
    assert [(r["row"], r["field"]) for r in _rows(library / "recommendations.rejects.csv")] == [("3", "file")]
    assert "knife-crime" in next(r["reason"] for r in rejects if r["field"] == "themes")
    assert rejects[0]["file"] == "no-such-file.docx"
    with factory() as s:
        assert _count(s, LearningRecord) == 0


def test_duplicate_empty_and_unreadable_documents(factory, library):
    docs = library / "documents"
    (docs / "copy.txt").write_bytes((docs / "2024-call-handling-review.txt").read_bytes())
    (docs / "empty.txt").write_bytes(b"")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    (docs / "macro.docm").write_bytes(b"PK\x03\x04")
    rows = _rows(library / "metadata.csv")
    base = dict(rows[6])
    extra = [dict(base, file="copy.txt"), dict(base, file=rows[0]["file"]), dict(base, file="empty.txt"),
             dict(base, file="broken.pdf", summary=""), dict(base, file="macro.docm"),
             dict(base, file="../metadata.csv"), dict(base, kind="burglary", title="", restricted="maybe")]
    _write(library / "metadata.csv", rows + extra)
    (library / "recommendations.csv").unlink()
    with factory() as s, s.begin():
        p = make_people(s)
        with pytest.raises(Invalid):
            bulk.import_library(s, p.actor("force_contributor"), docs, library / "metadata.csv")
        assert _count(s, LearningRecord) == 0
    reasons = {(int(r["row"]), r["field"]): r["reason"] for r in _rows(library / "metadata.rejects.csv")}
    assert "same content as 2024-call-handling-review.txt in row 8" in reasons[(10, "file")]
    assert "already listed in row 2" in reasons[(11, "file")]
    assert "empty" in reasons[(12, "file")]
    assert "no text could be extracted" in reasons[(13, "file")]
    assert "only PDF, DOCX and text" in reasons[(14, "file")]
    assert "inside the library folder" in reasons[(15, "file")]
    assert {(16, "kind"), (16, "title"), (16, "restricted")} <= set(reasons)


def test_reimporting_is_refused_and_header_errors(factory, library):
    with factory() as s, s.begin():
        p = make_people(s)
        bulk.import_library(s, p.actor("force_contributor"), library / "documents", library / "metadata.csv")
    with factory() as s, s.begin():
        actor = Actor(s.merge(p.force_contributor), "127.0.0.1")
        with pytest.raises(Invalid, match="already imported"):
            bulk.import_library(s, actor, library / "documents", library / "metadata.csv")
        (library / "odd.csv").write_text("file,kind,title,colour\nx.txt,other,X,blue\n", encoding="utf-8")
        with pytest.raises(Invalid) as err:
            bulk.import_library(s, actor, library / "documents", library / "odd.csv")
        assert "row 1, field record_date" in str(err.value)
        reasons = _rows(library / "odd.rejects.csv")
        assert [(r["row"], r["field"]) for r in reasons] == [("1", "record_date"), ("1", "colour")]


def test_recommendation_rows_are_checked(factory, library):
    recs = _rows(library / "recommendations.csv")
    recs[1]["owner_organisation"] = "Leeds City Council"  # the DHR is shared with the NHS trust only
    recs[2]["due_date"] = "next week"
    recs.append(dict(recs[0], file="not-in-metadata.txt"))
    _write(library / "recommendations.csv", recs)
    with factory() as s, s.begin():
        p = make_people(s)
        with pytest.raises(Invalid) as err:
            bulk.import_library(s, p.actor("force_contributor"), library / "documents", library / "metadata.csv")
        assert "recommendations.csv row 3, field owner_organisation" in str(err.value)
        assert _count(s, LearningRecord) == 0
    got = [(r["row"], r["field"]) for r in _rows(library / "recommendations.rejects.csv")]
    assert got == [("3", "owner_organisation"), ("4", "due_date"), ("9", "file")]


def test_only_contributors_import(factory, library):
    with factory() as s, s.begin():
        p = make_people(s)
        with pytest.raises(Forbidden):
            bulk.import_library(s, p.actor("force_reader"), library / "documents", library / "metadata.csv")


def test_every_column_and_kind_is_documented():
    text = (Path(__file__).resolve().parents[1] / "docs" / "learning-search.md").read_text(encoding="utf-8")
    section = text.split("## Bulk import")[1]
    for column in bulk.COLUMNS + bulk.RECOMMENDATION_COLUMNS:
        assert f"| `{column}` |" in section, column
    for kind in bulk.KINDS:
        assert f"`{kind}`" in section, kind
