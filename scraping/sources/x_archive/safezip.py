"""Read the few JSON-in-JS files we need from an uploaded zip, in memory, refusing hostile zips.

Nothing is ever extracted to disk. Before reading we check the whole central directory (entry
count, unsafe paths, duplicate names, encryption, declared sizes and compression ratios); while
reading we count real bytes against each entry's declared size, because headers can lie, so the
declared-size checks also bound what we really read.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from scraping.sources.errors import UploadRejected
from scraping.sources.uploads import UploadSource, megabytes, open_upload

FRESH_ARCHIVE = (
    "Request a new archive in X's settings (Your account > Download an archive) and upload that zip."
)
_CHUNK = 1 << 20
_SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


@dataclass(frozen=True)
class ArchiveLimits:
    max_upload_bytes: int = 500 * 1024**2  # the zip file itself
    max_entries: int = 200_000  # archives with media hold one entry per photo or video
    max_declared_total_bytes: int = 8 * 1024**3  # all entries, as the headers declare them
    max_read_bytes: int = 1024**3  # the data files we actually read, together
    max_ratio: float = 200.0  # uncompressed / compressed; JSON compresses ~10x, bombs ~1000x
    ratio_min_bytes: int = 1024**2  # tiny files may compress oddly without being dangerous


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()


def read_zip_members(
    source: UploadSource, *, limits: ArchiveLimits, wanted: Callable[[list[str]], list[str]]
) -> dict[str, bytes]:
    """The bytes of the entries ``wanted`` picks from the (already checked) list of entry names."""
    with open_upload(source, max_bytes=limits.max_upload_bytes, what="archive") as stream:
        head = stream.read(16)
        stream.seek(0)
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _not_a_zip(head) from None
        with archive:
            infos = archive.infolist()
            _check_directory(infos, limits)
            by_name = {info.filename: info for info in infos}
            chosen = [by_name[name] for name in wanted(list(by_name))]
            read_total = sum(info.file_size for info in chosen)
            if read_total > limits.max_read_bytes:
                raise UploadRejected(
                    f"The archive's data files add up to {megabytes(read_total)}, more than the "
                    f"{megabytes(limits.max_read_bytes)} we can read."
                )
            return {info.filename: _read_member(archive, info) for info in chosen}


def _not_a_zip(head: bytes) -> UploadRejected:
    if head.lstrip().startswith(b"window.YTD"):
        return UploadRejected(
            "This is a single file from inside an X archive. Upload the whole .zip file X gave you instead."
        )
    return UploadRejected(
        "This file is not a zip archive. Upload the .zip file X gave you, unchanged (do not unzip it)."
    )


def _check_directory(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(infos) > limits.max_entries:
        raise UploadRejected(
            f"The archive has {len(infos):,} files, more than the {limits.max_entries:,} an X archive can "
            f"have. {FRESH_ARCHIVE}"
        )
    names: set[str] = set()
    declared_total = 0
    for info in infos:
        name = info.filename
        if _unsafe_path(name):
            raise UploadRejected(
                f"The archive contains an unsafe file path ({name!r}), so it was not made by X. {FRESH_ARCHIVE}"
            )
        if name in names:
            raise UploadRejected(f"The archive contains {name!r} twice, so it was altered. {FRESH_ARCHIVE}")
        names.add(name)
        if info.flag_bits & 0x1:
            raise UploadRejected(f"{name} in the archive is password-protected. {FRESH_ARCHIVE}")
        if info.compress_type not in _SUPPORTED_COMPRESSION:
            raise UploadRejected(
                f"{name} in the archive uses an unsupported compression method. {FRESH_ARCHIVE}"
            )
        declared_total += info.file_size
        if declared_total > limits.max_declared_total_bytes:
            raise UploadRejected(
                f"The archive would unpack to more than {megabytes(limits.max_declared_total_bytes)}; "
                "that is not a genuine X archive (it looks like a zip bomb)."
            )
        if info.file_size >= limits.ratio_min_bytes and (
            info.compress_size == 0 or info.file_size / info.compress_size > limits.max_ratio
        ):
            raise UploadRejected(
                f"{name} in the archive is compressed suspiciously well ({megabytes(info.compress_size)} "
                f"unpacking to {megabytes(info.file_size)}); it looks like a zip bomb and was not read."
            )


_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_path(name: str) -> bool:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or _DRIVE.match(normalized) or "\x00" in normalized:
        return True
    return ".." in PurePosixPath(normalized).parts


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > info.file_size:
                    raise UploadRejected(
                        f"{info.filename} unpacks to more data than its header declares; "
                        f"the archive was altered. {FRESH_ARCHIVE}"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise UploadRejected(f"{info.filename} in the archive is damaged ({exc}). {FRESH_ARCHIVE}") from None
    return b"".join(chunks)
