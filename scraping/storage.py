"""Uploaded import files: size limits enforced while receiving, stored per organization, removed after use.

A 500 MB archive must be refused before it fills the disk: the view looks at Content-Length
first (``refuse_oversized_request``) and a streaming upload handler counts the bytes actually
received (``SizeLimitedUploadHandler``), because the header can be missing or lie. Files land in
``MEDIA_ROOT/imports/<organization id>/<uuid>`` (never under the customer's file name) and are
deleted when the job no longer needs them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from scraping.sources.uploads import megabytes
from simnet.body_limits import MULTIPART_OVERHEAD_BYTES
from simnet.tenancy.errors import ApplicationError

IMPORTS_DIR = "imports"


class UploadTooLarge(ApplicationError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the upload limit of {megabytes(limit)}. "
            "Nothing was stored; for a CSV, split it into smaller files.",
            code="upload_too_large",
            fields={"file": [f"The limit is {megabytes(limit)}."]},
        )


def upload_limit() -> int:
    return settings.IMPORT_MAX_UPLOAD_BYTES


def refuse_oversized_request(meta: dict) -> None:
    """Raise ``UploadTooLarge`` when the declared body size is over the limit (nothing read yet)."""
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > upload_limit() + MULTIPART_OVERHEAD_BYTES:
        raise UploadTooLarge(upload_limit())


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops receiving as soon as one file passes the limit; installed before any other handler."""

    def __init__(self, request=None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = upload_limit() if limit is None else limit
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def install_upload_limit(request) -> None:
    """Check Content-Length and put the counting handler first; call before request.POST/FILES is read."""
    refuse_oversized_request(request.META)
    request.upload_handlers.insert(0, SizeLimitedUploadHandler(request))


@dataclass(frozen=True)
class StoredUpload:
    relative_path: str
    name: str
    size: int


def store_upload(*, organization_id: int, uploaded_file) -> StoredUpload:
    """Copy an uploaded file under MEDIA_ROOT/imports/<organization>/<uuid>, checking its size again."""
    limit = upload_limit()
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise UploadTooLarge(limit)
    relative = Path(IMPORTS_DIR) / str(organization_id) / uuid.uuid4().hex
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with open(target, "xb") as out:
            for chunk in uploaded_file.chunks():
                written += len(chunk)
                if written > limit:
                    raise UploadTooLarge(limit)
                out.write(chunk)
    except UploadTooLarge:
        target.unlink(missing_ok=True)
        raise
    return StoredUpload(
        relative_path=str(relative), name=Path(uploaded_file.name or "upload").name, size=written
    )


def upload_file_path(relative_path: str) -> Path:
    """Absolute path of a stored upload; refuses paths that leave the imports folder."""
    root = (Path(settings.MEDIA_ROOT) / IMPORTS_DIR).resolve()
    path = (Path(settings.MEDIA_ROOT) / relative_path).resolve()
    if root not in path.parents:
        raise ValueError(f"stored upload path {relative_path!r} is outside {root}")
    return path


def delete_upload(relative_path: str) -> None:
    if relative_path:
        upload_file_path(relative_path).unlink(missing_ok=True)
