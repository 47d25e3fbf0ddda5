"""Errors raised by the render pipeline; each carries an API error code."""

from __future__ import annotations


class RenderError(Exception):
    """A render that cannot complete; `code` and `message` go into the API error."""

    default_code = "render_failed"

    def __init__(
        self,
        message: str = "The image could not be rendered.",
        *,
        code: str | None = None,
        element: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.element = element

    def as_dict(self) -> dict:
        """The error as the API's `{"code", "message"}` object (plus `element` when known)."""
        data = {"code": self.code, "message": self.message}
        if self.element is not None:
            data["element"] = self.element
        return data


class ImageFetchError(RenderError):
    """An image element's `src` could not be fetched or decoded."""

    default_code = "image_fetch_failed"

    def __init__(self, message: str, *, element: str | None = None) -> None:
        super().__init__(message, element=element)


class OutputTooLarge(RenderError):
    """The requested output is above the pixel budget."""

    default_code = "output_too_large"

    def __init__(self, message: str) -> None:
        super().__init__(message)
