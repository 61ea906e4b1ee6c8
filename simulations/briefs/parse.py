"""The text of an uploaded brief (PDF, DOCX, Markdown, plain text), all or nothing.

Parsing is done by well-kept libraries (pypdf, python-docx), never by hand. Every refusal is a
``DocumentRejected`` with a sentence a person can act on: a wrong type, a password-protected or
damaged file, too many pages, too much text, or no text at all. Nothing is ever cut short: a
brief that is too long is refused, so a draft never silently misses its second half.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

MAX_CHARS = 60_000  # about 15,000 tokens: a long article or a policy draft, within one request
MAX_PAGES = 60
KINDS = {".pdf": "pdf", ".docx": "docx", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
ACCEPTED = ", ".join(sorted(KINDS))


class DocumentRejected(ValueError):
    """The document cannot become a brief; ``str()`` says why, in words for the person who sent it."""


@dataclass(frozen=True)
class ParsedDocument:
    kind: str  # pdf, docx, markdown, text, paste
    text: str
    pages: int | None = None  # PDF only


def kind_of(filename: str) -> str:
    """The document kind its name says, or ``DocumentRejected`` for any other type."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in KINDS:
        shown = suffix or "no extension"
        raise DocumentRejected(
            f"“{filename}” is not a document simnet reads ({shown}); upload one of {ACCEPTED}."
        )
    return KINDS[suffix]


def document_text(data: bytes, filename: str, *, max_chars: int = MAX_CHARS) -> ParsedDocument:
    """The text of ``data`` read as the kind its ``filename`` names."""
    kind = kind_of(filename)
    reader = {"pdf": _pdf_text, "docx": _docx_text}.get(kind, _plain_text)
    text, pages = reader(data, filename)
    return ParsedDocument(kind, checked_text(text, filename, max_chars=max_chars), pages)


def checked_text(text: str, what: str, *, max_chars: int = MAX_CHARS) -> str:
    """``text`` with tidy whitespace; refused when empty or longer than ``max_chars``."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    tidy = "\n".join(lines)
    while "\n\n\n" in tidy:
        tidy = tidy.replace("\n\n\n", "\n\n")
    tidy = tidy.strip()
    if not tidy:
        raise DocumentRejected(f"“{what}” has no text to read (a scanned PDF needs text recognition first).")
    if len(tidy) > max_chars:
        raise DocumentRejected(
            f"“{what}” has {len(tidy):,} characters of text; the limit is {max_chars:,}. "
            "Paste or upload the part that matters."
        )
    return tidy


def _plain_text(data: bytes, filename: str) -> tuple[str, None]:
    if b"\x00" in data[:4096]:
        raise DocumentRejected(f"“{filename}” is not text (it holds binary data).")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        raise DocumentRejected(
            f"“{filename}” is not UTF-8 text; save it as UTF-8 and upload it again."
        ) from None


def _pdf_text(data: bytes, filename: str) -> tuple[str, int]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.lstrip()[:5] == b"%PDF-":
        raise DocumentRejected(f"“{filename}” is not a PDF file (it does not start like one).")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentRejected(
                f"“{filename}” is password-protected; save a copy without a password and upload that."
            )
        pages = len(reader.pages)
        if pages > MAX_PAGES:
            raise DocumentRejected(f"“{filename}” has {pages} pages; the limit is {MAX_PAGES}.")
        return "\n\n".join(page.extract_text() or "" for page in reader.pages), pages
    except DocumentRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise DocumentRejected(f"“{filename}” is a damaged PDF that cannot be read ({error}).") from None


def _docx_text(data: bytes, filename: str) -> tuple[str, None]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise DocumentRejected(f"“{filename}” is not a readable Word document ({error}).") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(parts), None
