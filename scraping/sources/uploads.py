"""Uploaded files as bytes, a path or a binary file object, with the size checked before reading.

The importer may hand us a Django ``UploadedFile`` (a binary file object), a path to a stored
upload, or bytes in tests; all three are measured first so an oversized upload is refused
without reading it into memory.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from scraping.sources.errors import UploadRejected

UploadSource = bytes | str | os.PathLike[str] | BinaryIO


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def too_large(what: str, size: int, limit: int) -> UploadRejected:
    return UploadRejected(f"The {what} is {megabytes(size)}; the limit is {megabytes(limit)}.")


@contextmanager
def open_upload(source: UploadSource, *, max_bytes: int, what: str) -> Iterator[BinaryIO]:
    """A seekable binary stream of the upload, refused when larger than ``max_bytes``."""
    if isinstance(source, bytes):
        if len(source) > max_bytes:
            raise too_large(what, len(source), max_bytes)
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        size = Path(source).stat().st_size
        if size > max_bytes:
            raise too_large(what, size, max_bytes)
        with open(source, "rb") as stream:
            yield stream
    elif source.seekable():
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        if size > max_bytes:
            raise too_large(what, size, max_bytes)
        yield source
    else:
        data = source.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UploadRejected(f"The {what} is larger than the limit of {megabytes(max_bytes)}.")
        yield io.BytesIO(data)


def read_upload(source: UploadSource, *, max_bytes: int, what: str) -> bytes:
    with open_upload(source, max_bytes=max_bytes, what=what) as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:  # a stream that grew after it was measured
        raise UploadRejected(f"The {what} is larger than the limit of {megabytes(max_bytes)}.")
    return data
