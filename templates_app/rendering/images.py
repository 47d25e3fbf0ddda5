"""Image elements: decode `data:` URIs safely and cut the picture to its box at output size."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from urllib.parse import unquote_to_bytes

from PIL import Image, ImageOps

from .errors import ImageFetchError

MAX_SOURCE_BYTES = 10 * 1024 * 1024  # same budget as a remote fetch (SPEC §8)
MAX_SOURCE_PIXELS = 40_000_000
ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP"})


def _fail(element: str | None, reason: str) -> ImageFetchError:
    return ImageFetchError(f"Image for element '{element}' could not be used: {reason}.", element=element)


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


def _open(data: bytes, element: str | None) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS))
    except (OSError, ValueError, Image.DecompressionBombError):
        raise _fail(element, "not a PNG, JPEG, WebP, GIF or BMP image") from None
    if image.width * image.height > MAX_SOURCE_PIXELS:
        raise _fail(element, "image larger than 40 megapixels")
    return image


def verify_image(src: str, element: str | None = None) -> None:
    """Raise ImageFetchError unless `src` is a `data:` URI holding a decodable image of allowed size."""
    image = _open(decode_data_uri(src, element), element)
    try:
        image.verify()
    except Exception:  # Pillow's decoders raise many exception types on hostile input
        raise _fail(element, "corrupt image data") from None


def load_image(src: str, element: str | None = None, target: tuple[int, int] | None = None) -> Image.Image:
    """Decode `src` fully, upright (EXIF orientation applied), as RGBA."""
    image = _open(decode_data_uri(src, element), element)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if target and image.format == "JPEG":
                # Let libjpeg decode at a reduced size when the box is much smaller; square
                # request because EXIF orientation may still swap the axes.
                side = max(target)
                image.draft("RGB", (side, side))
            image.load()
            image = ImageOps.exif_transpose(image)
            return image.convert("RGBA")
    except Exception:  # Pillow's decoders raise many exception types on hostile input
        raise _fail(element, "corrupt image data") from None


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


def check_sources(elements: list[dict]) -> None:
    """Raise ImageFetchError for the first visible image whose `src` is not a usable `data:` URI."""
    for el in elements:
        if el.get("type") == "image" and not el.get("hidden") and el.get("src"):
            verify_image(el["src"], el.get("name"))


def image_data_uri(el: dict, scale: float) -> str:
    """The element's picture cut to its box at output resolution, as a PNG `data:` URI."""
    name = el.get("name")
    size = (
        max(1, round(float(el["width"]) * scale)),
        max(1, round(float(el["height"]) * scale)),
    )
    picture = fit_image(load_image(el["src"], name, target=size), size, el.get("fit", "cover"))
    buffer = io.BytesIO()
    # PNG even for photos: cairo decodes PNG itself, while an embedded JPEG costs
    # CairoSVG a Pillow round trip to PNG on every render (RECIPES: CairoSVG 2.9).
    picture.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
