"""Every API operation, written once as a flow (see _core): the sync and async
resources only run these."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import IO, Any, Callable, Generic, TypeVar, Union

import httpx

from . import _core
from ._core import Config, Flow, Sleep
from .errors import WaitTimeoutError
from .types import Account, ApiObject, Batch, Font, Image, Template, Usage, Webhook

T = TypeVar("T")
API = "/api/v1"
POLL_FIRST = 0.25  # seconds between polls at first, growing to POLL_MAX
POLL_MAX = 2.0
DEFAULT_WAIT_TIMEOUT = 300.0

FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]


@dataclass(frozen=True)
class Api:
    """The configuration and the HTTP client a flow builds its requests with."""

    config: Config
    http: httpx.Client | httpx.AsyncClient

    def call(self, method: str, path: str, **kwargs: Any) -> Flow[Any]:
        response = yield from _core.request(self.config, self.http, method, API + path, **kwargs)
        return _core.json_of(response)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, the total (`count`, exact up to a bound:
    see `count_exact`) and where the next page is."""

    results: list[T]
    count: int | None
    count_exact: bool
    next_path: str | None


def page(api: Api, path: str, params: dict[str, Any] | None, wrap: Callable[[dict[str, Any]], T]) -> Flow[Page[T]]:
    """One page; `path` is either an API path (with `params`) or a server's `next` link."""
    if path.startswith(API):
        response = yield from _core.request(api.config, api.http, "GET", path)
    else:
        response = yield from _core.request(api.config, api.http, "GET", API + path, params=params)
    body = _core.json_of(response) or {}
    next_link = body.get("next")
    return Page(
        results=[wrap(item) for item in body.get("results") or []],
        count=body.get("count"),
        count_exact=bool(body.get("count_exact", True)),
        next_path=_core.local_path(next_link) if next_link else None,
    )


@dataclass(frozen=True)
class ListSpec(Generic[T]):
    """Where a list starts and what its items are."""

    path: str
    params: dict[str, Any]
    wrap: Callable[[dict[str, Any]], T]


def fetch(api: Api, path: str, wrap: Callable[[Any], T], params: dict[str, Any] | None = None) -> Flow[T]:
    return wrap((yield from api.call("GET", path, params=params)))


def create(api: Api, path: str, body: Any, wrap: Callable[[Any], T], idempotency_key: str | None) -> Flow[T]:
    return wrap((yield from api.call("POST", path, json_body=body, idempotency_key=idempotency_key)))


def delete(api: Api, path: str) -> Flow[None]:
    yield from api.call("DELETE", path)


# Images


def list_images(template: str | None, status: str | None, limit: int | None) -> ListSpec[Image]:
    return ListSpec("/images", {"template": template, "status": status, "limit": limit}, Image)


def create_image(
    api: Api,
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
) -> Flow[Image]:
    body = _without_none(
        template=template,
        modifications=modifications,
        format=format,
        scale=scale,
        quality=quality,
        metadata=metadata,
        callback_url=callback_url,
        template_version=template_version,
    )
    if wait or asynchronous:
        body["async"] = True
    data = yield from api.call("POST", "/images", json_body=body, idempotency_key=idempotency_key)
    image = Image(data)
    if wait and not image.done:
        image = yield from wait_for_image(api, image.id, timeout=wait_timeout)
    return image


def edit_image(
    api: Api,
    image_id: Any,
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
) -> Flow[Image]:
    body = _without_none(
        modifications=modifications, format=format, scale=scale, quality=quality, callback_url=callback_url
    )
    if wait or asynchronous:
        body["async"] = True
    data = yield from api.call(
        "POST", object_path("images", image_id, "edit"), json_body=body, idempotency_key=idempotency_key
    )
    image = Image(data)
    if wait and not image.done:
        image = yield from wait_for_image(api, image.id, timeout=wait_timeout)
    return image


def get_image(api: Api, image_id: Any) -> Flow[Image]:
    return (yield from fetch(api, object_path("images", image_id), Image))


def delete_image(api: Api, image_id: Any) -> Flow[None]:
    yield from delete(api, object_path("images", image_id))


def wait_for_image(api: Api, image_id: Any, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Flow[Image]:
    """Poll until the image is completed or failed (a failed image is returned, not raised)."""
    image_id = _id(image_id)
    deadline = time.monotonic() + timeout
    interval = POLL_FIRST
    while True:
        image = yield from get_image(api, image_id)
        if image.done:
            return image
        if time.monotonic() + interval > deadline:
            raise WaitTimeoutError(
                f"Image {image_id} is still {image.status} after {timeout:g} s.", code="wait_timeout"
            )
        yield Sleep(interval)
        interval = min(POLL_MAX, interval * 1.5)


def download_image(api: Api, image: Any) -> Flow[bytes]:
    """The file at an image's public URL (sent without the API key: it needs none)."""
    if not isinstance(image, Image) or not image.get("url"):
        image = yield from get_image(api, image)
    request = api.http.build_request("GET", image.url)
    del request.headers["Authorization"]
    response = yield from _core.send_with_retries(api.config, request)
    return response.content


# Batches (POST/GET /api/v1/batches)


def list_batches(limit: int | None) -> ListSpec[Batch]:
    return ListSpec("/batches", {"limit": limit}, Batch)


def create_batch(
    api: Api,
    *,
    template: str,
    items: list[dict[str, Any]],
    format: str | None = None,
    scale: float | None = None,
    quality: int | None = None,
    callback_url: str | None = None,
    wait: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    idempotency_key: str | None = None,
) -> Flow[Batch]:
    body = _without_none(
        template=template, items=items, format=format, scale=scale, quality=quality, callback_url=callback_url
    )
    batch = Batch((yield from api.call("POST", "/batches", json_body=body, idempotency_key=idempotency_key)))
    if wait and not batch.done:
        batch = yield from wait_for_batch(api, batch.id, timeout=wait_timeout)
    return batch


def get_batch(api: Api, batch_id: Any) -> Flow[Batch]:
    return (yield from fetch(api, object_path("batches", batch_id), Batch))


def wait_for_batch(api: Api, batch_id: Any, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Flow[Batch]:
    batch_id = _id(batch_id)
    deadline = time.monotonic() + timeout
    interval = POLL_FIRST
    while True:
        batch = yield from get_batch(api, batch_id)
        if batch.done:
            return batch
        if time.monotonic() + interval > deadline:
            raise WaitTimeoutError(
                f"Batch {batch_id} is still {batch.status} after {timeout:g} s.", code="wait_timeout"
            )
        yield Sleep(interval)
        interval = min(POLL_MAX, interval * 1.5)


# Templates, fonts, webhooks


def list_templates(limit: int | None) -> ListSpec[Template]:
    return ListSpec("/templates", {"limit": limit}, Template)


def list_fonts() -> ListSpec[Font]:
    return ListSpec("/fonts", {}, Font)


def list_webhooks(limit: int | None) -> ListSpec[Webhook]:
    return ListSpec("/webhooks", {"limit": limit}, Webhook)


def get_template(api: Api, template: Any) -> Flow[Template]:
    return (yield from fetch(api, object_path("templates", template), Template))


def create_template(api: Api, fields: dict[str, Any], idempotency_key: str | None) -> Flow[Template]:
    return (yield from create(api, "/templates", fields, Template, idempotency_key))


def delete_template(api: Api, template: Any) -> Flow[None]:
    yield from delete(api, object_path("templates", template))


def template_schema(api: Api, template: Any) -> Flow[dict[str, Any]]:
    return (yield from fetch(api, object_path("templates", template, "schema"), dict))


def get_font(api: Api, font: Any) -> Flow[ApiObject]:
    return (yield from fetch(api, object_path("fonts", font), ApiObject))


def delete_font(api: Api, font: Any) -> Flow[None]:
    yield from delete(api, object_path("fonts", font))


def create_webhook(api: Api, url: str, events: list[str], idempotency_key: str | None) -> Flow[Webhook]:
    return (yield from create(api, "/webhooks", {"url": url, "events": events}, Webhook, idempotency_key))


def get_webhook(api: Api, webhook: Any) -> Flow[Webhook]:
    return (yield from fetch(api, object_path("webhooks", webhook), Webhook))


def delete_webhook(api: Api, webhook: Any) -> Flow[None]:
    yield from delete(api, object_path("webhooks", webhook))


def get_account(api: Api) -> Flow[Account]:
    return (yield from fetch(api, "/account", Account))


def get_usage(api: Api, days: int) -> Flow[Usage]:
    return (yield from fetch(api, "/usage", Usage, {"days": days}))


def update_template(
    api: Api, template_id: Any, fields: dict[str, Any], *, method: str, if_match: int | str | None
) -> Flow[Template]:
    headers = {"If-Match": f'"{if_match}"'} if if_match is not None else None
    answer = yield from api.call(method, object_path("templates", template_id), json_body=fields, headers=headers)
    return Template(answer)


def upload_font(
    api: Api,
    file: FileInput,
    *,
    family: str,
    weight: int = 400,
    italic: bool = False,
    filename: str | None = None,
    idempotency_key: str | None = None,
) -> Flow[ApiObject]:
    data, name = _read_file(file, filename)
    fields = {"family": family, "weight": str(weight), "italic": "true" if italic else "false"}
    content, content_type = _core.multipart(fields, "file", name, data)
    headers = {"Content-Type": content_type}
    return ApiObject(
        (yield from api.call("POST", "/fonts", content=content, headers=headers, idempotency_key=idempotency_key))
    )


def _read_file(file: FileInput, filename: str | None) -> tuple[bytes, str]:
    if isinstance(file, bytes):
        return file, filename or "font"
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return handle.read(), filename or os.path.basename(os.fspath(file))
    return file.read(), filename or os.path.basename(str(getattr(file, "name", "font")))


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def object_path(collection: str, obj: Any, *rest: str) -> str:
    """`/collection/{id}[/rest]` for an id string or an object with an `id`."""
    return "/".join((f"/{collection}", _id(obj), *rest))


def _id(value: Any) -> str:
    """An object's id: accepts the id string or the object itself."""
    if isinstance(value, ApiObject):
        return str(value["id"])
    if not isinstance(value, str) or not value or "/" in value:
        raise ValueError(f"not an id: {value!r}")
    return value
