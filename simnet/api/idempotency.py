"""Idempotency keys for POSTs that start work (runs, experiments, imports, redeliveries).

A client sends ``Idempotency-Key: <anything unique, ≤255 chars>``; retrying the same
request with the same key returns the first response (header ``Idempotent-Replayed:
true``) without running the view again. Keys are per organization and kept 24 hours.

How it stays correct under concurrency and crashes:

* The key is claimed by *inserting* an "in progress" row first; the unique constraint on
  (organization, key) lets exactly one of two concurrent duplicates in. The other gets
  409 ``idempotency_key_in_progress``.
* The view runs inside one transaction together with the write of its response onto the
  row, so work is never committed without its stored response (or the reverse).
* A raised exception rolls the work back and releases the key, so the client may retry.
  Any *returned* response, 4xx included, is stored and replayed.
* A claim older than ``IN_PROGRESS_TIMEOUT`` belongs to a crashed request; the next retry
  takes it over with a compare-and-set. Should the original request still finish, its
  compare-and-set on the row fails and its transaction rolls back, so only one runs.

Do not put ``@idempotent`` on views whose response carries a secret (webhook endpoint
creation, API token creation): the stored response would keep the secret in clear text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from simnet.api.models import IdempotencyRecord
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.permissions import request_organization

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RECORD_TTL = timedelta(hours=24)
IN_PROGRESS_TIMEOUT = timedelta(minutes=5)
REPLAYED_RESPONSE_HEADERS = ("Location",)


class _ClaimLost(Exception):
    """Another request took over this key while the view ran; its work must not commit."""


@dataclass(frozen=True)
class _Claim:
    record: IdempotencyRecord
    replay: bool  # True: answer with the stored response, do not run the view


def _body_digest(request) -> str:
    """sha256 of the request body; for multipart uploads, of the fields and the files' bytes."""
    digest = hashlib.sha256()
    if (request.content_type or "").startswith("multipart/"):
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"field:{name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"file:{name}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        try:
            digest.update(request.body)
        except RawPostDataException:  # something parsed request.data first; hash what it parsed
            digest.update(json.dumps(request.data, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def request_fingerprint(request) -> str:
    text = f"{request.method.upper()}\n{request.get_full_path()}\n{_body_digest(request)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _validated_key(raw: str) -> str:
    if not raw or len(raw) > MAX_KEY_LENGTH or not raw.isprintable():
        raise ApplicationError(
            f"The {KEY_HEADER} header must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="idempotency_key_invalid",
            fields={KEY_HEADER: ["Use 1 to 255 printable characters, e.g. a UUID."]},
        )
    return raw


def _claim(*, organization, key: str, fingerprint: str, method: str, path: str, now: datetime) -> _Claim:
    records = IdempotencyRecord.objects.for_org(organization)
    for _ in range(3):  # a conflicting row may vanish (released, expired) between insert and read
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organization=organization,
                    key=key,
                    fingerprint=fingerprint,
                    method=method,
                    path=path[:500],
                    locked_at=now,
                    created_at=now,
                )
            return _Claim(record, replay=False)
        except IntegrityError:
            existing = records.filter(key=key).first()
        if existing is None:
            continue
        if existing.created_at <= now - RECORD_TTL:
            records.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.fingerprint != fingerprint:
            raise ApplicationError(
                f"This {KEY_HEADER} was already used for a different request; use a new key for new requests.",
                code="idempotency_key_reused",
                status=422,
            )
        if existing.is_complete:
            return _Claim(existing, replay=True)
        if existing.locked_at <= now - IN_PROGRESS_TIMEOUT:
            taken = records.filter(pk=existing.pk, locked_at=existing.locked_at, response_status__isnull=True)
            if taken.update(locked_at=now):
                existing.locked_at = now
                return _Claim(existing, replay=False)
        raise ApplicationError(
            f"A request with this {KEY_HEADER} is still being processed; retry after it finishes.",
            code="idempotency_key_in_progress",
            status=409,
        )
    raise ApplicationError(
        f"This {KEY_HEADER} is contended; retry the request.", code="idempotency_key_in_progress", status=409
    )


def _store(record: IdempotencyRecord, response: Response) -> None:
    if not isinstance(response, Response):
        raise TypeError("@idempotent views must return a rest_framework Response")
    body = None if response.data is None else json.loads(JSONRenderer().render(response.data))
    headers = {name: response[name] for name in REPLAYED_RESPONSE_HEADERS if response.has_header(name)}
    stored = IdempotencyRecord.objects.for_org(record.organization_id).filter(
        pk=record.pk, locked_at=record.locked_at, response_status__isnull=True
    )
    if not stored.update(
        response_status=response.status_code,
        response_body=body,
        response_headers=headers,
        completed_at=timezone.now(),
    ):
        raise _ClaimLost


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.for_org(record.organization_id).filter(
        pk=record.pk, locked_at=record.locked_at, response_status__isnull=True
    ).delete()


def _replay(record: IdempotencyRecord) -> Response:
    headers = {**record.response_headers, REPLAYED_HEADER: "true"}
    return Response(record.response_body, status=record.response_status, headers=headers)


def idempotent(handler: Callable) -> Callable:
    """Decorate a DRF handler (``post``, ``create``, an ``@action``) to honour ``Idempotency-Key``.

    Runs after authentication, so the key is scoped to the caller's organization. Requests
    without the header run as usual.
    """

    @wraps(handler)
    def wrapped(view, request, *args, **kwargs):
        raw_key = request.headers.get(KEY_HEADER)
        organization = request_organization(request)
        if raw_key is None or organization is None:
            return handler(view, request, *args, **kwargs)
        claim = _claim(
            organization=organization,
            key=_validated_key(raw_key),
            fingerprint=request_fingerprint(request),
            method=request.method,
            path=request.get_full_path(),
            now=timezone.now(),
        )
        if claim.replay:
            return _replay(claim.record)
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                _store(claim.record, response)
        except _ClaimLost:
            raise ApplicationError(
                f"A retry with this {KEY_HEADER} took over while this request ran; its result is the one kept.",
                code="idempotency_key_in_progress",
                status=409,
            ) from None
        except BaseException:
            _release(claim.record)
            raise
        return response

    wrapped.idempotent = True  # read by simnet.api.schema to document the header and its errors
    return wrapped


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Delete records older than 24 hours (all organizations); returns how many went."""
    cutoff = (now or timezone.now()) - RECORD_TTL
    deleted, _ = IdempotencyRecord.unscoped.filter(created_at__lt=cutoff).delete()
    return deleted
