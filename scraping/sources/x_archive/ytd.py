"""The ``window.YTD.<name>.partN = [ ... ]`` wrapper X puts around every JSON file of an archive.

We never evaluate JavaScript: we accept exactly that assignment followed by one JSON array,
and report errors with the file name, line and column the customer would see in an editor.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scraping.sources.errors import UploadRejected
from scraping.sources.textcodec import decode_utf8_text
from scraping.sources.values import NumberTooLong, json_decoder

_WRAPPER = re.compile(r"\A\s*window\.YTD\.(?P<name>[A-Za-z0-9_]+)\.part(?P<part>\d+)\s*=\s*")


def parse_ytd_file(raw: bytes, *, filename: str, datasets: tuple[str, ...]) -> list[Any]:
    """The JSON array of one archive file whose wrapper names one of ``datasets``."""
    text = decode_utf8_text(raw, label=filename)
    expected = f"window.YTD.{datasets[0]}.part0 = ["
    match = _WRAPPER.match(text)
    if match is None:
        start = text.lstrip()[:40]
        raise UploadRejected(
            f"{filename} is not in X's archive format: it should start with {expected!r} but starts with "
            f"{start!r}. Upload the archive exactly as X made it."
        )
    if match["name"] not in datasets:
        raise UploadRejected(
            f"{filename} holds X's {match['name']!r} data instead of {datasets[0]!r}; "
            "the archive's files were renamed or mixed up."
        )
    try:
        value, end = json_decoder().raw_decode(text, match.end())
    except NumberTooLong as exc:
        raise UploadRejected(
            f"{filename} is damaged: it holds a number with {exc.digits:,} digits, which X never writes. "
            "Upload the archive exactly as X made it."
        ) from None
    except json.JSONDecodeError as exc:
        raise UploadRejected(
            f"{filename} is damaged: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})."
        ) from None
    except RecursionError:
        raise UploadRejected(f"{filename} is nested too deeply to be an X archive file.") from None
    rest = text[end:].strip()
    if rest not in ("", ";"):
        line = text.count("\n", 0, end) + 1
        raise UploadRejected(f"{filename} has unexpected text after its data, at line {line}.")
    if not isinstance(value, list):
        raise UploadRejected(
            f"{filename} should hold a JSON list after {expected[:-1]!r}, but holds something else."
        )
    return value
