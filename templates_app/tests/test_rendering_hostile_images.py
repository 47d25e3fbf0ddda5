"""Hostile pictures reach the render pipeline: each fails fast with ImageFetchError, allocating nothing big.

The fixtures live in tests/hostile/ (see generate.py there). Remote srcs arrive as
bytes in the document's `images` map, the way services pass what fetch.py fetched.
"""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest
from PIL import Image

from templates_app.rendering import ImageFetchError, check_sources, render
from templates_app.rendering.images import MAX_SOURCE_PIXELS

HOSTILE = Path(__file__).resolve().parent / "hostile"
URL = "https://cdn.example.com/picture.png"
REMOTE_MESSAGE = "The image for element 'photo' could not be fetched."


def fixture(name: str) -> bytes:
    return (HOSTILE / name).read_bytes()


def image_element(src: str, **overrides) -> dict:
    element = {
        "name": "photo",
        "type": "image",
        "x": 50,
        "y": 50,
        "width": 100,
        "height": 100,
        "rotation": 0,
        "opacity": 1,
        "hidden": False,
        "src": src,
        "fit": "cover",
        "border_radius": 0,
    }
    element.update(overrides)
    return element


def document(*elements: dict, images: dict | None = None) -> dict:
    doc = {"width": 200, "height": 200, "background": "#ffffff", "elements": list(elements)}
    if images is not None:
        doc["images"] = images
    return doc


def png_bytes(colour: tuple[int, int, int], size: tuple[int, int] = (20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


class Budget:
    """Asserts a block finished quickly and Pillow decoded no large picture inside it."""

    def __enter__(self) -> Budget:
        self.started = time.perf_counter()
        self.stats = Image.core.get_stats()
        return self

    def __exit__(self, *exc_info) -> None:
        elapsed = time.perf_counter() - self.started
        after = Image.core.get_stats()
        new_blocks = (
            after["allocated_blocks"]
            + after["reused_blocks"]
            - self.stats["allocated_blocks"]
            - self.stats["reused_blocks"]
        )
        assert elapsed < 2, f"took {elapsed:.2f} s"
        # Pillow allocates pixels in blocks of at most 16 MB: one block is a small picture at most.
        assert new_blocks <= 1, f"Pillow allocated {new_blocks} blocks"


# Bytes a server could send for a remote src (or a client could put in a data: URI).
HOSTILE_BYTES = {
    "gigapixel header": lambda: fixture("gigapixel.png"),
    "decompression bomb": lambda: fixture("bomb.png"),
    "gzip bomb": lambda: fixture("gzip_bomb.png.gz"),
    "truncated jpeg": lambda: fixture("truncated.jpg"),
    "svg": lambda: fixture("entities.svg"),
    "html": lambda: fixture("page.html"),
    "empty": lambda: b"",
}


def test_the_fixtures_are_what_they_claim() -> None:
    sizes = {path.name: path.stat().st_size for path in HOSTILE.iterdir()}
    assert sum(sizes.values()) < 200_000
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:  # headers only: the pixels are never decoded here
        with Image.open(HOSTILE / "gigapixel.png") as image:
            assert image.size == (100_000, 100_000)
        with Image.open(HOSTILE / "bomb.png") as image:
            assert MAX_SOURCE_PIXELS < image.width * image.height <= 2 * MAX_SOURCE_PIXELS
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    assert fixture("gzip_bomb.png.gz")[:2] == b"\x1f\x8b"


def test_pillow_is_configured_for_the_pixel_budget() -> None:
    assert Image.MAX_IMAGE_PIXELS == MAX_SOURCE_PIXELS == 40_000_000
    check_sources([image_element(data_uri(png_bytes((1, 2, 3))))])  # any decode installs the filter
    with pytest.raises(Image.DecompressionBombWarning):
        Image.open(HOSTILE / "bomb.png")  # 49 Mpx: between the warning and Pillow's own error


@pytest.mark.parametrize("kind", HOSTILE_BYTES)
def test_hostile_remote_bytes_are_refused_before_charging(kind: str) -> None:
    with Budget(), pytest.raises(ImageFetchError) as caught:
        check_sources([image_element(URL)], {URL: HOSTILE_BYTES[kind]()})
    assert caught.value.code == "image_fetch_failed"
    assert caught.value.element == "photo"
    assert caught.value.message == REMOTE_MESSAGE  # one message whatever the cause


@pytest.mark.parametrize("kind", HOSTILE_BYTES)
def test_hostile_remote_bytes_fail_the_render_cleanly(kind: str) -> None:
    # render() does not re-run check_sources: decoding itself must refuse.
    with Budget(), pytest.raises(ImageFetchError) as caught:
        render(document(image_element(URL), images={URL: HOSTILE_BYTES[kind]()}))
    assert caught.value.element == "photo"


@pytest.mark.parametrize("kind", [k for k in HOSTILE_BYTES if k not in ("svg", "html", "empty")])
def test_hostile_data_uris_are_refused(kind: str) -> None:
    src = data_uri(HOSTILE_BYTES[kind]())
    with Budget(), pytest.raises(ImageFetchError) as caught:
        check_sources([image_element(src)])
    assert caught.value.element == "photo"
    with Budget(), pytest.raises(ImageFetchError):
        render(document(image_element(src)))


@pytest.mark.parametrize(
    "src",
    [
        data_uri(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>",
        "data:text/html;base64," + base64.b64encode(b"<b>hi</b>").decode(),
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "../../etc/passwd",
        "/etc/passwd",
        "picture.png",
        "//cdn.example.com/a.png",
        "ftp://cdn.example.com/a.png",
        "javascript:alert(1)",
        "gopher://127.0.0.1:6379/_INFO",
    ],
)
def test_sources_that_are_neither_data_nor_http_are_refused(src: str) -> None:
    images = {src: png_bytes((255, 0, 0))}  # even if the caller's map somehow held it
    with Budget(), pytest.raises(ImageFetchError) as caught:
        check_sources([image_element(src)], images)
    assert caught.value.element == "photo"
    with pytest.raises(ImageFetchError):
        render(document(image_element(src), images=images))


def test_a_remote_src_the_caller_did_not_fetch_is_refused() -> None:
    with pytest.raises(ImageFetchError) as caught:
        check_sources([image_element(URL)], {"https://cdn.example.com/other.png": png_bytes((0, 0, 0))})
    assert caught.value.message == REMOTE_MESSAGE
    with pytest.raises(ImageFetchError):
        check_sources([image_element(URL)])
    with pytest.raises(ImageFetchError):
        render(document(image_element(URL)))


def test_a_fetched_remote_picture_is_drawn_in_its_box() -> None:
    doc = document(image_element(URL, x=20, y=30, width=60, height=40), images={URL: png_bytes((0, 160, 0))})
    check_sources(doc["elements"], doc["images"])
    image = Image.open(io.BytesIO(render(doc).content)).convert("RGB")
    assert image.getpixel((50, 50)) == (0, 160, 0)
    assert image.getpixel((10, 50)) == (255, 255, 255)  # left of the box
    assert image.getpixel((50, 80)) == (255, 255, 255)  # below the box


def test_a_hidden_image_is_not_checked() -> None:
    check_sources([image_element("file:///etc/passwd", hidden=True), image_element(URL, hidden=True)])
