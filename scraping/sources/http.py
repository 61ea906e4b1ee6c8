"""One small JSON-over-HTTP client for every network connector.

It owns the behaviour all sources share, so each platform client only builds URLs and parses
pages: bounded retries with exponential backoff for 5xx, network errors and truncated or
non-JSON bodies; rate limits read from each platform's headers, either waited out (through an
injected ``sleep``/``clock``, capped by ``max_rate_limit_wait_seconds``) or raised as
:class:`RateLimited` so the job is rescheduled; 401 as :class:`AuthFailed` when we sent a
credential. Redirects are not followed: every URL we request is one we built.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import httpx

from scraping.sources.errors import (
    AuthFailed,
    BadResponse,
    RateLimited,
    RequestRejected,
    SourceUnavailable,
)
from scraping.sources.uploads import megabytes
from scraping.sources.values import NumberTooLong, json_loads

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


def utc_now() -> datetime:
    """The real clock; tests inject a fake one instead."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class HttpSettings:
    base_url: str
    timeout_seconds: float = 20.0
    max_retries: int = 3  # extra attempts after a 5xx, a network error or a broken body
    backoff_seconds: float = 1.0  # first retry delay, doubled each time
    max_backoff_seconds: float = 30.0
    max_rate_limit_wait_seconds: float = 0.0  # 0: never sleep on a rate limit, raise RateLimited
    rate_limit_margin_seconds: float = 1.0  # sleep a little past the reset: clocks differ
    max_rate_limit_waits: int = 3  # per request, in case a source keeps answering 429 after its reset
    default_rate_limit_pause_seconds: float = 60.0  # when a 429 names no reset time
    max_response_bytes: int = 20 * 1024**2  # one page is far smaller; a customer-named server may not be
    user_agent: str = "simnet-importer/0.1"


@dataclass(frozen=True)
class RateLimitInfo:
    remaining: int | None = None
    reset_at: datetime | None = None


RateLimitReader = Callable[[httpx.Headers], RateLimitInfo]


def epoch_rate_limit_reader(remaining_header: str, reset_header: str) -> RateLimitReader:
    """X and Bluesky: remaining calls and the reset time as Unix epoch seconds."""

    def read(headers: httpx.Headers) -> RateLimitInfo:
        reset = _to_int(headers.get(reset_header))
        return RateLimitInfo(
            remaining=_to_int(headers.get(remaining_header)),
            reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
        )

    return read


def iso_rate_limit_reader(remaining_header: str, reset_header: str) -> RateLimitReader:
    """Mastodon: the reset time as an ISO 8601 timestamp."""

    def read(headers: httpx.Headers) -> RateLimitInfo:
        reset_text = headers.get(reset_header)
        reset_at = None
        if reset_text:
            try:
                reset_at = datetime.fromisoformat(reset_text).astimezone(UTC)
            except ValueError:
                reset_at = None
        return RateLimitInfo(remaining=_to_int(headers.get(remaining_header)), reset_at=reset_at)

    return read


def _to_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class JsonReply:
    data: Any
    headers: httpx.Headers


class JsonApi:
    """GET JSON from one base URL with the retry and rate-limit policy of :class:`HttpSettings`."""

    def __init__(
        self,
        *,
        source_name: str,
        settings: HttpSettings,
        read_rate_limit: RateLimitReader,
        headers: Mapping[str, str] | None = None,
        auth_failed_message: str | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = utc_now,
    ) -> None:
        self.source_name = source_name
        self._settings = settings
        self._read_rate_limit = read_rate_limit
        self._auth_failed_message = auth_failed_message
        self._sleep = sleep
        self._clock = clock
        self._blocked_until: datetime | None = None
        self._client = httpx.Client(
            base_url=settings.base_url,
            headers={"User-Agent": settings.user_agent, "Accept": "application/json", **(headers or {})},
            timeout=settings.timeout_seconds,
            follow_redirects=False,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, str] | None = None) -> JsonReply:
        failures = 0
        rate_limit_waits = 0
        while True:
            self._wait_for_quota()
            outcome = self._attempt(path, params)
            if isinstance(outcome, JsonReply):
                return outcome
            if isinstance(outcome, _RateLimitHit):
                rate_limit_waits += 1
                if rate_limit_waits > self._settings.max_rate_limit_waits:
                    raise RateLimited(outcome.reset_at, source=self.source_name)
                continue
            failures += 1
            if failures > self._settings.max_retries:
                raise self._give_up(path, outcome, attempts=failures)
            self._sleep(self._backoff(failures))

    def _attempt(self, path: str, params: Mapping[str, str] | None) -> JsonReply | _RateLimitHit | _Retry:
        try:
            with self._client.stream("GET", path, params=params) as response:
                body = self._read_body(response, path)
        except httpx.RemoteProtocolError as exc:
            return _Retry(f"the connection broke mid-response: {exc}", broken_body=True)
        except httpx.TimeoutException:
            return _Retry(f"no answer within {self._settings.timeout_seconds:g} seconds")
        except httpx.TransportError as exc:
            return _Retry(f"could not connect: {exc}")
        self._note_quota(response)
        status = response.status_code
        if status == 429:
            reset_at = self._read_rate_limit(response.headers).reset_at or self._retry_after(response.headers)
            self._blocked_until = reset_at
            return _RateLimitHit(reset_at)
        if status >= 500:
            return _Retry(f"HTTP {status}")
        if status == 401 and self._auth_failed_message:
            raise AuthFailed(self._auth_failed_message)
        if status >= 300:
            detail = error_detail(body, response.reason_phrase)
            raise RequestRejected(
                f"{self.source_name} refused {path} (HTTP {status}: {detail}).", status=status, detail=detail
            )
        try:
            return JsonReply(json_loads(body), response.headers)
        except NumberTooLong as exc:  # a complete body: asking again gets the same answer
            raise BadResponse(f"{self.source_name} answered {path} with unusable data: {exc}.") from None
        except (ValueError, RecursionError) as exc:
            return _Retry(f"the body is not complete JSON: {exc}", broken_body=True)

    def _read_body(self, response: httpx.Response, path: str) -> bytes:
        limit = self._settings.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise BadResponse(
                    f"{self.source_name} answered {path} with more than {megabytes(limit)}; "
                    "that is not a normal page, so the import stopped."
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _note_quota(self, response: httpx.Response) -> None:
        info = self._read_rate_limit(response.headers)
        if info.remaining == 0 and info.reset_at is not None and info.reset_at > self._clock():
            self._blocked_until = info.reset_at

    def _retry_after(self, headers: httpx.Headers) -> datetime:
        seconds = _to_int(headers.get("retry-after"))
        if seconds is None:
            seconds = int(self._settings.default_rate_limit_pause_seconds)
        return self._clock() + timedelta(seconds=seconds)

    def _wait_for_quota(self) -> None:
        if self._blocked_until is None:
            return
        wait = (self._blocked_until - self._clock()).total_seconds()
        if wait > self._settings.max_rate_limit_wait_seconds:
            raise RateLimited(self._blocked_until, source=self.source_name)
        if wait > 0:
            self._sleep(wait + self._settings.rate_limit_margin_seconds)
        self._blocked_until = None

    def _backoff(self, failures: int) -> float:
        delay = self._settings.backoff_seconds * 2 ** (failures - 1)
        return min(delay, self._settings.max_backoff_seconds)

    def _give_up(self, path: str, last: _Retry, *, attempts: int) -> SourceUnavailable:
        if last.broken_body:
            return BadResponse(
                f"{self.source_name} sent an incomplete or invalid response for {path} {attempts} times "
                f"({last.problem}). Try the import again later; it continues where it stopped."
            )
        return SourceUnavailable(
            f"{self.source_name} is not answering properly ({last.problem}; {attempts} attempts). "
            "It may be down; try the import again later, it continues where it stopped."
        )


@dataclass(frozen=True)
class _Retry:
    problem: str
    broken_body: bool = False


@dataclass(frozen=True)
class _RateLimitHit:
    reset_at: datetime


def error_detail(body: bytes, reason: str) -> str:
    """The human part of an error body, whatever the platform calls it."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return reason or "no details"
    if isinstance(payload, dict):
        for key in ("detail", "message", "error_description", "error", "title"):
            if isinstance(payload.get(key), str) and payload[key]:
                return payload[key]
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("detail") or first.get("message") or first.get("title") or "no details")
    return reason or "no details"
