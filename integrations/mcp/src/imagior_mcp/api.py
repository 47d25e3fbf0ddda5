"""A small async client for the Imagior REST API: what the MCP tools need, with retries."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from imagior_mcp import __version__

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A longer Retry-After is not waited out inside one tool call: the agent gets the error and decides.
MAX_RETRY_AFTER = 30.0


class ConfigurationError(Exception):
    """The server was started without what it needs to reach Imagior."""


@dataclass
class ApiError(Exception):
    """A problem+json answer from the API (or no answer at all: status 0)."""

    status: int
    code: str
    detail: str
    title: str = ""
    request_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"Imagior API error {self.status} {self.code}" if self.status else f"Imagior API error {self.code}"
        lines = [f"{head}: {self.detail or self.title}"]
        for error in self.errors:
            parts = [error.get("field") or error.get("element"), error.get("code")]
            if error.get("message") != self.detail:
                parts.append(error.get("message"))
            lines.append("- " + ": ".join(str(part) for part in parts if part))
        if self.request_id:
            lines.append(f"(request id {self.request_id})")
        return "\n".join(lines)

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        errors = body.get("errors")
        return cls(
            status=response.status_code,
            code=str(body.get("code") or f"http_{response.status_code}"),
            detail=str(body.get("detail") or response.reason_phrase or ""),
            title=str(body.get("title") or ""),
            request_id=body.get("request_id") or response.headers.get("x-request-id"),
            errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
        )


@dataclass
class Answer:
    body: Any
    headers: httpx.Headers


class ImagiorAPI:
    """Talks to `{base_url}/api/v1/` with a Bearer key.

    Connection errors, 429 (after its Retry-After) and 5xx are retried with
    exponential backoff and jitter. A POST is only ever sent with an
    Idempotency-Key, the same one on every attempt, so a render whose answer was
    lost on the way back is replayed by the server rather than charged twice.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        api_key = api_key or os.environ.get("IMAGIOR_API_KEY", "")
        if not api_key:
            raise ConfigurationError(
                "IMAGIOR_API_KEY is not set: give the MCP server an Imagior API key (imk_live_… or imk_test_…)."
            )
        self.base_url = (base_url or os.environ.get("IMAGIOR_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=f"{self.base_url}/api/v1/",
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"imagior-mcp/{__version__}"},
            timeout=httpx.Timeout(timeout, connect=10.0),
        )

    async def __aenter__(self) -> ImagiorAPI:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Answer:
        return await self._request("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> Answer:
        return await self._request("POST", path, json=body, idempotency_key=f"imagior-mcp-{uuid.uuid4()}")

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise ApiError(
                        status=0,
                        code="connection_error",
                        detail=f"could not reach Imagior at {self.base_url} ({type(exc).__name__}: {exc})",
                    ) from None
                await asyncio.sleep(self._delay(attempt))
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                delay = self._delay(attempt, response.headers.get("retry-after"))
                if delay <= MAX_RETRY_AFTER:
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
            if response.status_code >= 400:
                raise ApiError.from_response(response)
            body = response.json() if response.content else None
            return Answer(body=body, headers=response.headers)

    def _delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return max(float(retry_after), 0.0)
            except ValueError:
                pass
        return self.backoff * (2**attempt) * random.uniform(0.5, 1.0)

    async def download(self, url: str, max_bytes: int) -> bytes | None:
        """The file at an image's public URL, or None when it is larger than max_bytes.

        Image URLs are public and may live on a CDN: the API key is not sent there."""
        async with (
            httpx.AsyncClient(timeout=self._http.timeout, follow_redirects=True) as plain,
            plain.stream("GET", url) as response,
        ):
            response.raise_for_status()
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    return None
            return bytes(data)
