"""Decode uploaded text as UTF-8 and explain precisely what is wrong when it is not.

Spreadsheet programs and editors save UTF-16, add byte order marks or leave NUL bytes behind;
a message that names the encoding and the line lets the customer fix the file themselves.
"""

from __future__ import annotations

import codecs

from scraping.sources.errors import UploadRejected

_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode_utf8_text(raw: bytes, *, label: str) -> str:
    """UTF-8 text (a leading UTF-8 byte order mark is accepted and dropped)."""
    save_as = "Save it as UTF-8 (in most editors: Save As, Encoding: UTF-8) and upload it again."
    for bom, encoding in _FOREIGN_BOMS:
        if raw.startswith(bom):
            raise UploadRejected(f"{label} is encoded as {encoding}, but UTF-8 is expected. {save_as}")
    nul = raw.find(b"\x00")
    if nul >= 0:
        if _looks_like_utf16(raw):
            raise UploadRejected(f"{label} looks like UTF-16 text, but UTF-8 is expected. {save_as}")
        raise UploadRejected(
            f"{label} contains a NUL byte (a zero byte) on line {line_of(raw, nul)}; the file is damaged "
            "or not a text file. Remove that character or export the file again."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRejected(
            f"{label} is not valid UTF-8: byte {exc.start} on line {line_of(raw, exc.start)} cannot be read. "
            f"{save_as}"
        ) from None


def _looks_like_utf16(raw: bytes) -> bool:
    """ASCII-heavy UTF-16 without a BOM has a zero in every other byte."""
    sample = raw[:200]
    if len(sample) < 4:
        return False
    zeros_even = sample[0::2].count(0)
    zeros_odd = sample[1::2].count(0)
    return max(zeros_even, zeros_odd) >= len(sample) // 2 * 0.8
