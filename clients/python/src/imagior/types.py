"""The API's objects: JSON with attribute access (`image.url`, `account.credits.balance`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class ApiObject(Mapping[str, Any]):
    """A JSON object from the API. Every field is an attribute and a key; nested
    objects are ApiObjects too. Fields the server adds later work the same way."""

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_data":  # copy, pickle and the like: not fields
            raise AttributeError(name)
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ApiObject):
            return self._data == other._data
        return self._data == other

    __hash__ = None  # type: ignore[assignment]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._data))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))

    def to_dict(self) -> dict[str, Any]:
        """The plain JSON data (a copy)."""
        plain: dict[str, Any] = _plain(self._data)
        return plain


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return ApiObject(value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# The annotations below are for editors and type checkers: the values come from the JSON.


class Image(ApiObject):
    """A render: `status` is pending, rendering, completed or failed; `url` serves the file."""

    id: str
    status: str
    template: str
    template_version: int
    format: str
    width: int
    height: int
    file_size: int | None
    url: str | None
    sandbox: bool
    credits_used: int
    modifications: list[Any]
    metadata: Any
    callback_url: str | None
    source_image: str | None
    warnings: list[Any]
    error: ApiObject | None
    render_ms: int | None
    created_at: str
    completed_at: str | None

    @property
    def done(self) -> bool:
        """True once the render has ended (completed or failed)."""
        return self._data.get("status") in ("completed", "failed")


class Template(ApiObject):
    id: str
    name: str
    width: int
    height: int
    background: str | None
    version: int
    elements: list[Any]
    preview_url: str | None
    created_at: str
    updated_at: str


class Batch(ApiObject):
    id: str
    status: str
    total: int
    completed: int
    failed: int
    created_at: str
    completed_at: str | None

    @property
    def images(self) -> list[Image]:
        return [Image(item) for item in self._data.get("images") or []]

    @property
    def done(self) -> bool:
        return self._data.get("status") == "completed"


class Webhook(ApiObject):
    id: str
    url: str
    events: list[str]
    mode: str
    disabled_at: str | None
    created_at: str
    secret: str  # only in the answer to create


class Font(ApiObject):
    family: str
    kind: str


class Account(ApiObject):
    email: str | None
    plan: ApiObject | None
    credits: ApiObject | None
    key: ApiObject
    secrets: ApiObject | None
    workspace: ApiObject | None


class Usage(ApiObject):
    days: list[ApiObject]
    totals: ApiObject


class WebhookEvent(ApiObject):
    """A verified delivery: `type` (image.completed, …), `created_at` and `data`."""

    type: str
    created_at: str

    @property
    def data(self) -> Any:
        data = self._data.get("data")
        if isinstance(data, dict) and self._data.get("type", "").startswith("image."):
            return Image(data)
        if isinstance(data, dict) and self._data.get("type", "").startswith("batch."):
            return Batch(data)
        return _wrap(data)
