"""Brief documents read by pypdf and python-docx, and every refusal: all or nothing, with a sentence."""

from __future__ import annotations

import pytest

from simulations.briefs.parse import MAX_PAGES, DocumentRejected, document_text
from tests.simulations.briefs.documents import docx_bytes, pdf_bytes


def test_a_pdf_gives_the_text_of_every_page_in_order():
    parsed = document_text(pdf_bytes(["The council proposes a ban", "Shops object"]), "brief.PDF")
    assert (parsed.kind, parsed.pages) == ("pdf", 2)
    assert parsed.text == "The council proposes a ban\n\nShops object"


def test_a_docx_gives_its_paragraphs_and_tables():
    parsed = document_text(docx_bytes(["Policy draft", "", "Section 2"], [["Who", "Stance"]]), "draft.docx")
    assert parsed.kind == "docx"
    assert parsed.text == "Policy draft\n\nSection 2\nWho | Stance"


@pytest.mark.parametrize(("name", "kind"), [("notes.md", "markdown"), ("notes.txt", "text")])
def test_markdown_and_text_are_read_as_utf8(name, kind):
    parsed = document_text("# Café   policy\r\n\r\n\r\n\r\nLine two".encode(), name)
    assert (parsed.kind, parsed.text) == (kind, "# Café policy\n\nLine two")


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"hello", "brief.exe", r"is not a document simnet reads \(\.exe\)"),
        (b"hello", "brief", "no extension"),
        (pdf_bytes(["secret"], password="pw"), "locked.pdf", "password-protected"),
        (b"%PDF-1.7\n1 0 obj <<", "broken.pdf", "damaged PDF"),
        (b"just text", "fake.pdf", "is not a PDF file"),
        (pdf_bytes([""]), "scan.pdf", "has no text to read"),
        (b"PK\x03\x04 broken", "broken.docx", "not a readable Word document"),
        (docx_bytes(["   "]), "empty.docx", "has no text to read"),
        (b"   \n\n ", "empty.txt", "has no text to read"),
        ("caf\u00e9".encode("latin-1"), "latin.txt", "not UTF-8"),
        (b"\x00\x01binary", "blob.md", "holds binary data"),
        (pdf_bytes(["p"] * (MAX_PAGES + 1)), "long.pdf", f"the limit is {MAX_PAGES}"),
    ],
)
def test_refusals_say_what_is_wrong(data, name, says):
    with pytest.raises(DocumentRejected, match=says):
        document_text(data, name)


def test_too_much_text_is_refused_not_cut():
    with pytest.raises(DocumentRejected, match="has 2,001 characters of text; the limit is 2,000"):
        document_text(b"x" * 2001, "long.txt", max_chars=2000)
    assert document_text(b"x" * 2000, "fits.txt", max_chars=2000).text == "x" * 2000
