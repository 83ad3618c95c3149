"""Documents attached to records and recommendations: checked, text extracted, never executed.

An upload is accepted only if its name ends in an allowed extension **and** its first bytes are
what that type must start with (a PDF begins ``%PDF-``, a DOCX is a ZIP holding
``word/document.xml``, text is UTF-8 without NUL bytes), and it is no larger than
:data:`MAX_BYTES`. The web app serves documents only as downloads (``Content-Disposition:
attachment``, ``X-Content-Type-Options: nosniff``, a fixed ``Content-Type``), never inline.

Text is extracted for search with pypdf (PDF) and python-docx (DOCX); a document whose text cannot
be read is still kept, with an empty text and a note in the audit log.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from threadline.learning.errors import Invalid

MAX_BYTES = 20 * 1024 * 1024
MAX_TEXT = 2_000_000  # characters of extracted text kept for search

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    text: str


def safe_filename(name: str) -> str:
    """The file's own name, without any folder part, control or path characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(c for c in base if c.isprintable() and c not in '/\\:*?"<>|;').strip(". ")
    return cleaned[:200] or "document"


def check(filename: str, data: bytes) -> CheckedFile:
    """Accept or refuse an upload (:class:`Invalid` says why), and extract its text."""
    name = safe_filename(filename)
    ext = PurePath(name).suffix.lower()
    if ext not in CONTENT_TYPES:
        raise Invalid(f"{name}: only PDF, DOCX and text files (.pdf, .docx, .txt, .md) may be attached")
    if len(data) == 0:
        raise Invalid(f"{name}: the file is empty")
    if len(data) > MAX_BYTES:
        raise Invalid(f"{name}: {len(data) / 1e6:.1f} MB is over the {MAX_BYTES // (1024 * 1024)} MB limit")
    if ext == ".pdf" and not data.startswith(b"%PDF-"):
        raise Invalid(f"{name}: this is not a PDF (it does not start with %PDF-)")
    if ext == ".docx" and not _is_docx(data):
        raise Invalid(f"{name}: this is not a Word document (.docx)")
    if ext in (".txt", ".md"):
        if b"\x00" in data:
            raise Invalid(f"{name}: a text file may not hold binary data")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Invalid(f"{name}: a text file must be UTF-8 (byte {e.start} is not)") from None
    return CheckedFile(name, CONTENT_TYPES[ext], data, hashlib.sha256(data).hexdigest(), extract_text(ext, data))


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def extract_text(ext: str, data: bytes) -> str:
    """The document's text, or "" when it has none that can be read (a scanned PDF)."""
    try:
        if ext == ".pdf":
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            text = "\n".join((page.extract_text() or "") for page in reader.pages)
        elif ext == ".docx":
            import docx

            doc = docx.Document(io.BytesIO(data))
            paras = [p.text for p in doc.paragraphs]
            for table in doc.tables:
                for row in table.rows:
                    paras.append(" | ".join(cell.text for cell in row.cells))
            text = "\n".join(paras)
        else:
            text = data.decode("utf-8")
    except Exception:  # a damaged document is kept; only its text is lost
        return ""
    return text[:MAX_TEXT]
