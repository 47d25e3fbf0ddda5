"""Image elements: decode pictures safely and cut them to their box at output size.

A `src` is a `data:` URI, decoded here, or an http(s) URL whose bytes the caller has
already fetched (templates_app/sources.py) and passes in as `images` ({url: bytes}). This
module does no I/O: any other src (file:, relative paths, ftp:, javascript:) is refused.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from PIL import Image, ImageOps

from .errors import ImageFetchError

MAX_SOURCE_BYTES = 10 * 1024 * 1024  # same budget as a remote fetch (docs/rendering.md)
MAX_SOURCE_PIXELS = 40_000_000
ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP"})

# Pillow only warns at ~89 Mpx by default (docs/rendering.md): warn at our budget and make the
# warning an error, process-wide (catch_warnings per call is not thread-safe before
# Python 3.14). _open() also checks the size itself, so this is belt and braces.
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
_BOMB_FILTER = ("error", None, Image.DecompressionBombWarning, None, 0)


def _bomb_warning_is_error() -> None:
    # Installed once; re-installed only if something reset the filters (pytest does per test).
    if _BOMB_FILTER not in warnings.filters:
        warnings.simplefilter("error", Image.DecompressionBombWarning)


_bomb_warning_is_error()

_Images = Mapping[str, bytes] | None


def _fail(element: str | None, reason: str) -> ImageFetchError:
    return ImageFetchError(f"Image for element '{element}' could not be used: {reason}.", element=element)


def remote_image_error(element: str | None, reason: str = "") -> ImageFetchError:
    """The one error for a remote picture, whatever went wrong: no oracle for probing servers."""
    error = ImageFetchError(f"The image for element '{element}' could not be fetched.", element=element)
    error.reason = reason  # for logs only
    return error


def is_remote(src: str) -> bool:
    """True for an http(s) URL (fetched by the caller, never here)."""
    return isinstance(src, str) and src[:8].lower().startswith(("http://", "https://"))


def decode_data_uri(src: str, element: str | None = None) -> bytes:
    """The bytes of a `data:` URI (base64 or percent-encoded); SVG and gzip input are refused."""
    if not isinstance(src, str) or not src.startswith("data:"):
        raise _fail(element, "only data: URIs are supported")
    header, sep, payload = src[5:].partition(",")
    if not sep:
        raise _fail(element, "malformed data: URI")
    params = [p.strip().lower() for p in header.split(";")]
    media_type = params[0]
    if media_type and not media_type.startswith("image/"):
        raise _fail(element, f"unsupported media type {media_type}")
    if "svg" in media_type:
        raise _fail(element, "SVG images are not accepted")
    # base64 inflates by 4/3: refuse oversized input before decoding it.
    if len(payload) > MAX_SOURCE_BYTES * 4 // 3 + 4:
        raise _fail(element, "image larger than 10 MB")
    try:
        if "base64" in params[1:]:
            data = base64.b64decode("".join(payload.split()), validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise _fail(element, "invalid base64 data") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise _fail(element, "image larger than 10 MB")
    if data[:2] == b"\x1f\x8b":
        raise _fail(element, "compressed (gzip) data is not accepted")
    return data


def _source(src: str, element: str | None, images: _Images) -> tuple[bytes, bool]:
    """The encoded picture behind `src` and whether it came from a remote URL."""
    if isinstance(src, str) and src.startswith("data:"):
        return decode_data_uri(src, element), False
    if is_remote(src):
        data = (images or {}).get(src)
        if not isinstance(data, bytes | bytearray):
            raise remote_image_error(element, "not fetched")
        if len(data) > MAX_SOURCE_BYTES or data[:2] == b"\x1f\x8b":
            raise remote_image_error(element, "too large or gzip-compressed")
        return (data if isinstance(data, bytes) else bytes(data)), True
    raise _fail(element, "only https, http and data: sources are supported")


def _corrupt(element: str | None, remote: bool, reason: str = "corrupt image data") -> ImageFetchError:
    return remote_image_error(element, reason) if remote else _fail(element, reason)


def _open(data: bytes, element: str | None, remote: bool = False) -> Image.Image:
    _bomb_warning_is_error()
    try:
        # The bomb warning is an error (above): a huge header fails here, before any pixels.
        image = Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS))
    except Exception:  # OSError, DecompressionBombError/Warning, ValueError, …
        raise _corrupt(element, remote, "not a PNG, JPEG, WebP, GIF or BMP image of at most 40 megapixels") from None
    if image.width * image.height > MAX_SOURCE_PIXELS:
        raise _corrupt(element, remote, "image larger than 40 megapixels")
    return image


def verify_image(src: str, element: str | None = None, images: _Images = None) -> None:
    """Raise ImageFetchError unless `src` holds a decodable image of allowed size (headers, PNG CRCs)."""
    data, remote = _source(src, element, images)
    image = _open(data, element, remote)
    # Cheap truncation check: every complete JPEG ends with an EOI marker, which
    # byte stuffing keeps out of the compressed data.
    if image.format == "JPEG" and data.find(b"\xff\xd9", 2) < 0:
        raise _corrupt(element, remote, "truncated JPEG")
    try:
        image.verify()
    except Exception:  # Pillow's decoders raise many exception types on hostile input
        raise _corrupt(element, remote) from None


def load_image(
    src: str,
    element: str | None = None,
    target: tuple[int, int] | None = None,
    images: _Images = None,
) -> Image.Image:
    """Decode `src` fully, upright (EXIF orientation applied), as RGBA."""
    data, remote = _source(src, element, images)
    image = _open(data, element, remote)
    try:
        if target and image.format == "JPEG":
            # Let libjpeg decode at a reduced size when the box is much smaller; square
            # request because EXIF orientation may still swap the axes.
            side = max(target)
            image.draft("RGB", (side, side))
        image.load()
        image = ImageOps.exif_transpose(image)
        return image.convert("RGBA")
    except Exception:  # Pillow's decoders raise many exception types on hostile input
        raise _corrupt(element, remote) from None


def fit_image(image: Image.Image, size: tuple[int, int], fit: str) -> Image.Image:
    """Cover (crop centred), contain (letterbox on transparency) or fill (stretch) into `size`."""
    width, height = max(1, size[0]), max(1, size[1])
    if fit == "fill":
        return image.resize((width, height), Image.Resampling.LANCZOS)
    if fit == "contain":
        ratio = min(width / image.width, height / image.height)
        inner = (
            max(1, round(image.width * ratio)),
            max(1, round(image.height * ratio)),
        )
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        canvas.paste(
            image.resize(inner, Image.Resampling.LANCZOS),
            ((width - inner[0]) // 2, (height - inner[1]) // 2),
        )
        return canvas
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def check_sources(elements: list[dict], images: _Images = None) -> None:
    """Raise ImageFetchError for the first visible image whose `src` is not a usable picture.

    `images` maps http(s) srcs to the bytes the caller fetched; a remote src missing from it fails.
    """
    for el in elements:
        if el.get("type") == "image" and not el.get("hidden") and el.get("src"):
            verify_image(el["src"], el.get("name"), images)


def image_data_uri(el: dict, scale: float, images: _Images = None) -> str:
    """The element's picture cut to its box at output resolution, as a PNG `data:` URI."""
    name = el.get("name")
    size = (
        max(1, round(float(el["width"]) * scale)),
        max(1, round(float(el["height"]) * scale)),
    )
    picture = fit_image(load_image(el["src"], name, target=size, images=images), size, el.get("fit", "cover"))
    buffer = io.BytesIO()
    # PNG even for photos: cairo decodes PNG itself, while an embedded JPEG costs
    # CairoSVG a Pillow round trip to PNG on every render (docs/rendering.md).
    # Opaque pictures go in as stored (uncompressed) RGB: only PNG's row filters
    # cost time, and the bigger SVG parses in about a millisecond (measured with bench/bench_render.py --profile).
    if picture.getchannel("A").getextrema()[0] == 255:
        picture.convert("RGB").save(buffer, format="PNG", compress_level=0)
    else:
        picture.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
