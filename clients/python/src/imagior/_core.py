"""What the sync and async clients share: configuration, requests, retries, errors.

Every operation is written once as a generator that yields what it needs done
(`Send` a request, `Sleep`) and receives the outcome; `Imagior` runs it with
httpx.Client and time.sleep, `AsyncImagior` with httpx.AsyncClient and
asyncio.sleep. So retries, polling and paging behave the same in both.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, Union
from urllib.parse import urlsplit

import httpx

from ._version import __version__
from .errors import APIConnectionError, ImagiorError, error_class

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5  # seconds before the first retry, doubled each time
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 60.0  # never sleep longer than this on a server's say-so

T = TypeVar("T")


@dataclass(frozen=True)
class Send:
    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


Op = Union[Send, Sleep]
# What a Send gets back: the answer (body read) or the transport error it raised.
Outcome = Union[httpx.Response, httpx.TransportError, None]
Flow = Generator[Op, Outcome, T]


@dataclass(frozen=True)
class Config:
    api_key: str
    base_url: str
    timeout: float
    max_retries: int

    @classmethod
    def from_arguments(cls, api_key: str | None, base_url: str | None, timeout: float, max_retries: int) -> Config:
        api_key = api_key or os.environ.get("IMAGIOR_API_KEY")
        if not api_key:
            raise ImagiorError("No API key: pass api_key=… or set IMAGIOR_API_KEY.")
        base_url = (base_url or os.environ.get("IMAGIOR_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if base_url.endswith("/api/v1"):
            base_url = base_url[: -len("/api/v1")]
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        return cls(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": f"imagior-python/{__version__}",
        }


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Request:
    """One request, built once: a retry sends exactly the same bytes."""
    all_headers = dict(headers or {})
    if json_body is not None:
        content = json.dumps(json_body, separators=(",", ":")).encode()
        all_headers.setdefault("Content-Type", "application/json")
    clean = {key: _param(value) for key, value in (params or {}).items() if value is not None}
    return client.build_request(method, path, params=clean or None, content=content, headers=all_headers)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def request(
    config: Config,
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
) -> Flow[httpx.Response]:
    """Send with retries; return the 2xx answer or raise the matching ImagiorError.

    Connection errors, 429 and 5xx are retried up to `max_retries` times with
    exponential backoff and jitter (or the server's Retry-After). A POST carries
    one Idempotency-Key for all its tries, so the server does its work once.
    """
    headers = dict(headers or {})
    if method == "POST":
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    req = build_request(client, method, path, params=params, json_body=json_body, content=content, headers=headers)
    return (yield from send_with_retries(config, req))


def send_with_retries(config: Config, req: httpx.Request) -> Flow[httpx.Response]:
    """The same request until it gets an answer under 400, or until retrying is
    pointless (a 4xx other than 429) or the tries are used up."""
    attempt = 0
    while True:
        outcome = yield Send(req)
        if isinstance(outcome, httpx.Response) and outcome.status_code < 400:
            return outcome
        if attempt >= config.max_retries or not _retryable(outcome):
            raise _error(outcome)
        yield Sleep(_delay(attempt, outcome))
        attempt += 1


def _retryable(outcome: Outcome) -> bool:
    if isinstance(outcome, httpx.TransportError):
        return True
    return isinstance(outcome, httpx.Response) and outcome.status_code in RETRY_STATUSES


def _delay(attempt: int, outcome: Outcome) -> float:
    if isinstance(outcome, httpx.Response):
        retry_after = _retry_after(outcome)
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_CAP)
    backoff = min(BACKOFF_CAP, BACKOFF_BASE * float(2**attempt))
    return backoff / 2 + random.uniform(0, backoff / 2)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _error(outcome: Outcome) -> ImagiorError:
    if not isinstance(outcome, httpx.Response):
        return APIConnectionError(f"No answer from the server: {outcome!r}", code="connection_error")
    status = outcome.status_code
    try:
        body = outcome.json()
    except ValueError:
        body = None
    problem = body if isinstance(body, dict) else {}
    code = problem.get("code")
    title = problem.get("title")
    detail = problem.get("detail")
    message = detail or title or f"HTTP {status}"
    return error_class(status, code)(
        message,
        status=status,
        code=code,
        request_id=problem.get("request_id") or outcome.headers.get("X-Request-Id"),
        title=title,
        detail=detail,
        errors=problem.get("errors"),
        body=body if body is not None else outcome.text,
        headers=outcome.headers,
    )


def json_of(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def local_path(url: str) -> str:
    """A `next` link as a path and query on our own base URL: the server may
    name itself by another host (behind a proxy), and the key goes nowhere else."""
    parts = urlsplit(url)
    path = parts.path
    return path + (f"?{parts.query}" if parts.query else "")


def multipart(fields: Mapping[str, str], file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with a fixed boundary, so a retry is byte-identical."""
    boundary = uuid.uuid4().hex
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{safe_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    chunks.append(data)
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
