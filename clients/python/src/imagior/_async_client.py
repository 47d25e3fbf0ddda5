"""`AsyncImagior`, the asyncio client: the same surface as `Imagior`, every call
awaited; it runs the same flows (_flows), so retries and polling are the same."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar

import httpx

from . import _flows
from ._core import Config, Flow, Send, Sleep
from ._flows import DEFAULT_WAIT_TIMEOUT, Api, FileInput, ListSpec, Page
from .types import Account, ApiObject, Batch, Font, Image, Template, Usage, Webhook

T = TypeVar("T")


class AsyncImagior:
    """The Imagior API for asyncio: `await client.images.create(...)`, `async for`
    over lists. Arguments as for `Imagior`; use `async with` or `await close()`."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60,
        max_retries: int = 3,
    ) -> None:
        self._config = Config.from_arguments(api_key, base_url, timeout, max_retries)
        self._http = httpx.AsyncClient(base_url=self._config.base_url, timeout=timeout, headers=self._config.headers())
        self._api = Api(self._config, self._http)
        self.templates = AsyncTemplates(self)
        self.images = AsyncImages(self)
        self.batches = AsyncBatches(self)
        self.fonts = AsyncFonts(self)
        self.webhooks = AsyncWebhooks(self)
        self.account = AsyncAccountResource(self)
        self.usage = AsyncUsageResource(self)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncImagior:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self, flow: Flow[T]) -> T:
        try:
            op = next(flow)
            while True:
                if isinstance(op, Sleep):
                    await asyncio.sleep(op.seconds)
                    op = flow.send(None)
                else:
                    op = flow.send(await self._send(op))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def _send(self, op: Send) -> httpx.Response | httpx.TransportError:
        try:
            response = await self._http.send(op.request)
            await response.aread()
            return response
        except httpx.TransportError as exc:
            return exc


class AsyncPager(Generic[T]):
    """A list: `async for item in pager` walks every item of every page;
    `pages()` yields the pages and `await first_page()` fetches only the first."""

    def __init__(self, client: AsyncImagior, spec: ListSpec[T]) -> None:
        self._client, self._spec = client, spec

    async def first_page(self) -> Page[T]:
        return await self._client._run(
            _flows.page(self._client._api, self._spec.path, self._spec.params, self._spec.wrap)
        )

    async def pages(self) -> AsyncIterator[Page[T]]:
        path: str | None = self._spec.path
        params: dict[str, Any] | None = self._spec.params
        while path:
            current = await self._client._run(_flows.page(self._client._api, path, params, self._spec.wrap))
            yield current
            path, params = current.next_path, None

    async def __aiter__(self) -> AsyncIterator[T]:
        async for current in self.pages():
            for item in current.results:
                yield item


class _Resource:
    def __init__(self, client: AsyncImagior) -> None:
        self._run = client._run
        self._api = client._api
        self._client = client


class AsyncImages(_Resource):
    async def create(
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
        return await self._run(
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

    async def edit(
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
        return await self._run(
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

    async def get(self, image: str | Image) -> Image:
        return await self._run(_flows.get_image(self._api, image))

    async def wait(self, image: str | Image, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Image:
        """Poll until the image is completed or failed."""
        return await self._run(_flows.wait_for_image(self._api, image, timeout=timeout))

    def list(
        self, *, template: str | None = None, status: str | None = None, limit: int | None = None
    ) -> AsyncPager[Image]:
        """Images, newest first, across every page; `limit` is the page size (1–100)."""
        return AsyncPager(self._client, _flows.list_images(template, status, limit))

    async def delete(self, image: str | Image) -> None:
        await self._run(_flows.delete_image(self._api, image))

    async def download(self, image: str | Image) -> bytes:
        """The image's file, from its public `url`."""
        return await self._run(_flows.download_image(self._api, image))


class AsyncBatches(_Resource):
    async def create(
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
        return await self._run(
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

    async def get(self, batch: str | Batch) -> Batch:
        return await self._run(_flows.get_batch(self._api, batch))

    async def wait(self, batch: str | Batch, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Batch:
        return await self._run(_flows.wait_for_batch(self._api, batch, timeout=timeout))

    def list(self, *, limit: int | None = None) -> AsyncPager[Batch]:
        return AsyncPager(self._client, _flows.list_batches(limit))


class AsyncTemplates(_Resource):
    def list(self, *, limit: int | None = None) -> AsyncPager[Template]:
        return AsyncPager(self._client, _flows.list_templates(limit))

    async def get(self, template: str | Template) -> Template:
        return await self._run(_flows.get_template(self._api, template))

    async def create(self, *, idempotency_key: str | None = None, **fields: Any) -> Template:
        """A new template from its fields (`name`, `width`, `height`, `elements`, …)."""
        return await self._run(_flows.create_template(self._api, fields, idempotency_key))

    async def update(self, template: str | Template, *, if_match: int | str | None = None, **fields: Any) -> Template:
        """Change some fields (PATCH); with `if_match=<version>` only if nobody changed it since."""
        return await self._run(_flows.update_template(self._api, template, fields, method="PATCH", if_match=if_match))

    async def replace(self, template: str | Template, *, if_match: int | str | None = None, **fields: Any) -> Template:
        """Replace the whole template (PUT)."""
        return await self._run(_flows.update_template(self._api, template, fields, method="PUT", if_match=if_match))

    async def delete(self, template: str | Template) -> None:
        await self._run(_flows.delete_template(self._api, template))

    async def schema(self, template: str | Template) -> dict[str, Any]:
        """The JSON Schema (2020-12) of this template's modifications."""
        return await self._run(_flows.template_schema(self._api, template))


class AsyncFonts(_Resource):
    def list(self) -> AsyncPager[Font]:
        """The catalogue's families and the account's uploads."""
        return AsyncPager(self._client, _flows.list_fonts())

    async def get(self, font_id: str) -> ApiObject:
        return await self._run(_flows.get_font(self._api, font_id))

    async def upload(
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
        return await self._run(
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

    async def delete(self, font_id: str) -> None:
        await self._run(_flows.delete_font(self._api, font_id))


class AsyncWebhooks(_Resource):
    def list(self, *, limit: int | None = None) -> AsyncPager[Webhook]:
        return AsyncPager(self._client, _flows.list_webhooks(limit))

    async def create(self, *, url: str, events: builtins.list[str], idempotency_key: str | None = None) -> Webhook:
        """Subscribe `url` to events (image.completed, image.failed, credits.low);
        the answer's `secret` (shown only now) verifies the deliveries."""
        return await self._run(_flows.create_webhook(self._api, url, events, idempotency_key))

    async def get(self, webhook: str | Webhook) -> Webhook:
        return await self._run(_flows.get_webhook(self._api, webhook))

    async def delete(self, webhook: str | Webhook) -> None:
        await self._run(_flows.delete_webhook(self._api, webhook))


class AsyncAccountResource(_Resource):
    async def get(self) -> Account:
        """The key's account: plan, credits, the key itself and (for a full live key) the secrets."""
        return await self._run(_flows.get_account(self._api))


class AsyncUsageResource(_Resource):
    async def get(self, *, days: int = 30) -> Usage:
        """Requests, images, credits and errors per UTC day, oldest first, and their totals."""
        return await self._run(_flows.get_usage(self._api, days))
