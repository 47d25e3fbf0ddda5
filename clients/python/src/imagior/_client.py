"""`Imagior`, the synchronous client: each method runs a flow from _flows."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import httpx

from . import _flows
from ._core import Config, Flow, Send, Sleep
from ._flows import DEFAULT_WAIT_TIMEOUT, Api, FileInput, ListSpec, Page
from .types import Account, ApiObject, Batch, Font, Image, Template, Usage, Webhook

T = TypeVar("T")


class Imagior:
    """The Imagior API.

    `api_key` defaults to the environment's IMAGIOR_API_KEY, `base_url` to
    IMAGIOR_BASE_URL (the server's address, without /api/v1). `timeout` is
    seconds per try; `max_retries` how many times a connection error, a 429 or
    a 5xx is retried (with backoff and one Idempotency-Key per POST).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60,
        max_retries: int = 3,
    ) -> None:
        self._config = Config.from_arguments(api_key, base_url, timeout, max_retries)
        self._http = httpx.Client(base_url=self._config.base_url, timeout=timeout, headers=self._config.headers())
        self._api = Api(self._config, self._http)
        self.templates = Templates(self)
        self.images = Images(self)
        self.batches = Batches(self)
        self.fonts = Fonts(self)
        self.webhooks = Webhooks(self)
        self.account = AccountResource(self)
        self.usage = UsageResource(self)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Imagior:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, flow: Flow[T]) -> T:
        try:
            op = next(flow)
            while True:
                if isinstance(op, Sleep):
                    time.sleep(op.seconds)
                    op = flow.send(None)
                else:
                    op = flow.send(self._send(op))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def _send(self, op: Send) -> httpx.Response | httpx.TransportError:
        try:
            response = self._http.send(op.request)
            response.read()
            return response
        except httpx.TransportError as exc:
            return exc


class Pager(Generic[T]):
    """A list. Iterating it walks every item of every page (fetched as needed);
    `pages()` yields the pages and `first_page()` fetches only the first, whose
    `count` is the total (exact up to 10,000: see `count_exact`)."""

    def __init__(self, client: Imagior, spec: ListSpec[T]) -> None:
        self._client, self._spec = client, spec

    def first_page(self) -> Page[T]:
        return self._client._run(_flows.page(self._client._api, self._spec.path, self._spec.params, self._spec.wrap))

    def pages(self) -> Iterator[Page[T]]:
        path: str | None = self._spec.path
        params: dict[str, Any] | None = self._spec.params
        while path:
            current = self._client._run(_flows.page(self._client._api, path, params, self._spec.wrap))
            yield current
            path, params = current.next_path, None

    def __iter__(self) -> Iterator[T]:
        for current in self.pages():
            yield from current.results


class _Resource:
    def __init__(self, client: Imagior) -> None:
        self._run = client._run
        self._api = client._api
        self._client = client


class Images(_Resource):
    def create(
        self,
        *,
        template: str,
        modifications: Any = None,
        format: str | None = None,
        scale: float | None = None,
        quality: int | None = None,
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        template_version: int | None = None,
        asynchronous: bool = False,
        wait: bool = False,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
    ) -> Image:
        """Render an image. By default the server renders before it answers (the
        image is completed or failed); `wait=True` sends an asynchronous render
        and polls until it ends; `asynchronous=True` returns the pending image."""
        return self._run(
            _flows.create_image(
                self._api,
                template=template,
                modifications=modifications,
                format=format,
                scale=scale,
                quality=quality,
                metadata=metadata,
                callback_url=callback_url,
                template_version=template_version,
                asynchronous=asynchronous,
                wait=wait,
                wait_timeout=wait_timeout,
                idempotency_key=idempotency_key,
            )
        )

    def edit(
        self,
        image: str | Image,
        *,
        modifications: Any = None,
        format: str | None = None,
        scale: float | None = None,
        quality: int | None = None,
        callback_url: str | None = None,
        asynchronous: bool = False,
        wait: bool = False,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
    ) -> Image:
        """A new image from this one's template, these modifications merged over its own."""
        return self._run(
            _flows.edit_image(
                self._api,
                image,
                modifications=modifications,
                format=format,
                scale=scale,
                quality=quality,
                callback_url=callback_url,
                asynchronous=asynchronous,
                wait=wait,
                wait_timeout=wait_timeout,
                idempotency_key=idempotency_key,
            )
        )

    def get(self, image: str | Image) -> Image:
        return self._run(_flows.get_image(self._api, image))

    def wait(self, image: str | Image, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Image:
        """Poll until the image is completed or failed."""
        return self._run(_flows.wait_for_image(self._api, image, timeout=timeout))

    def list(self, *, template: str | None = None, status: str | None = None, limit: int | None = None) -> Pager[Image]:
        """Images, newest first, across every page; `limit` is the page size (1–100)."""
        return Pager(self._client, _flows.list_images(template, status, limit))

    def delete(self, image: str | Image) -> None:
        self._run(_flows.delete_image(self._api, image))

    def download(self, image: str | Image) -> bytes:
        """The image's file, from its public `url`."""
        return self._run(_flows.download_image(self._api, image))


class Batches(_Resource):
    def create(
        self,
        *,
        template: str,
        items: builtins.list[dict[str, Any]],
        format: str | None = None,
        scale: float | None = None,
        quality: int | None = None,
        callback_url: str | None = None,
        wait: bool = False,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
    ) -> Batch:
        """Queue 1–100 renders at once; `wait=True` polls until every item has ended."""
        return self._run(
            _flows.create_batch(
                self._api,
                template=template,
                items=items,
                format=format,
                scale=scale,
                quality=quality,
                callback_url=callback_url,
                wait=wait,
                wait_timeout=wait_timeout,
                idempotency_key=idempotency_key,
            )
        )

    def get(self, batch: str | Batch) -> Batch:
        return self._run(_flows.get_batch(self._api, batch))

    def wait(self, batch: str | Batch, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Batch:
        return self._run(_flows.wait_for_batch(self._api, batch, timeout=timeout))

    def list(self, *, limit: int | None = None) -> Pager[Batch]:
        return Pager(self._client, _flows.list_batches(limit))


class Templates(_Resource):
    def list(self, *, limit: int | None = None) -> Pager[Template]:
        return Pager(self._client, _flows.list_templates(limit))

    def get(self, template: str | Template) -> Template:
        return self._run(_flows.get_template(self._api, template))

    def create(self, *, idempotency_key: str | None = None, **fields: Any) -> Template:
        """A new template from its fields (`name`, `width`, `height`, `elements`, …)."""
        return self._run(_flows.create_template(self._api, fields, idempotency_key))

    def update(self, template: str | Template, *, if_match: int | str | None = None, **fields: Any) -> Template:
        """Change some fields (PATCH); with `if_match=<version>` only if nobody changed it since."""
        return self._run(_flows.update_template(self._api, template, fields, method="PATCH", if_match=if_match))

    def replace(self, template: str | Template, *, if_match: int | str | None = None, **fields: Any) -> Template:
        """Replace the whole template (PUT)."""
        return self._run(_flows.update_template(self._api, template, fields, method="PUT", if_match=if_match))

    def delete(self, template: str | Template) -> None:
        self._run(_flows.delete_template(self._api, template))

    def schema(self, template: str | Template) -> dict[str, Any]:
        """The JSON Schema (2020-12) of this template's modifications."""
        return self._run(_flows.template_schema(self._api, template))


class Fonts(_Resource):
    def list(self) -> Pager[Font]:
        """The catalogue's families and the account's uploads."""
        return Pager(self._client, _flows.list_fonts())

    def get(self, font_id: str) -> ApiObject:
        return self._run(_flows.get_font(self._api, font_id))

    def upload(
        self,
        file: FileInput,
        *,
        family: str,
        weight: int = 400,
        italic: bool = False,
        filename: str | None = None,
        idempotency_key: str | None = None,
    ) -> ApiObject:
        """Upload a TTF/OTF/WOFF/WOFF2 font (a path, bytes or a binary file object)."""
        return self._run(
            _flows.upload_font(
                self._api,
                file,
                family=family,
                weight=weight,
                italic=italic,
                filename=filename,
                idempotency_key=idempotency_key,
            )
        )

    def delete(self, font_id: str) -> None:
        self._run(_flows.delete_font(self._api, font_id))


class Webhooks(_Resource):
    def list(self, *, limit: int | None = None) -> Pager[Webhook]:
        return Pager(self._client, _flows.list_webhooks(limit))

    def create(self, *, url: str, events: builtins.list[str], idempotency_key: str | None = None) -> Webhook:
        """Subscribe `url` to events (image.completed, image.failed, credits.low);
        the answer's `secret` (shown only now) verifies the deliveries."""
        return self._run(_flows.create_webhook(self._api, url, events, idempotency_key))

    def get(self, webhook: str | Webhook) -> Webhook:
        return self._run(_flows.get_webhook(self._api, webhook))

    def delete(self, webhook: str | Webhook) -> None:
        self._run(_flows.delete_webhook(self._api, webhook))


class AccountResource(_Resource):
    def get(self) -> Account:
        """The key's account: plan, credits, the key itself and (for a full live key) the secrets."""
        return self._run(_flows.get_account(self._api))


class UsageResource(_Resource):
    def get(self, *, days: int = 30) -> Usage:
        """Requests, images, credits and errors per UTC day, oldest first, and their totals."""
        return self._run(_flows.get_usage(self._api, days))
