"""Hard limits on renders: hostile documents fail cleanly in their worker process,
and the next render on the same server works (docs/rendering.md)."""

from __future__ import annotations

import base64
import io
import os
import signal
import threading
import time

import pytest
from defusedxml import ElementTree as DefusedET
from PIL import Image

from templates_app import render_runner, rendering
from templates_app.elements import clean_template, drawable

RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.fixture(autouse=True)
def _real_runner(settings):
    settings.RENDER_IN_PROCESS = False
    settings.RENDER_TIMEOUT_SECONDS = 20
    settings.RENDER_MEMORY_MB = 1024


def make_document(width: int, height: int, elements: list[dict], background: str = "#ffffff") -> dict:
    """A document as services builds it: validated with every default filled in."""
    cleaned = clean_template(
        {"name": "fixture", "width": width, "height": height, "background": background, "elements": elements}
    )
    return {
        "width": cleaned["width"],
        "height": cleaned["height"],
        "background": cleaned["background"],
        "elements": drawable(cleaned["elements"]),
    }


def card(color: str = "#ff0000") -> dict:
    """A small ordinary card: a coloured square on white, plus a line of text."""
    return make_document(
        200,
        120,
        [
            {"name": "box", "type": "rect", "x": 10, "y": 10, "width": 60, "height": 60, "fill": color},
            {"name": "title", "type": "text", "x": 80, "y": 10, "width": 110, "height": 40, "text": "Hello"},
        ],
    )


def render(document: dict, **overrides) -> rendering.RenderResult:
    options = {"fmt": "png", "scale": 1.0, "quality": 90, "watermark": False, **overrides}
    return render_runner.run_render(document, **options)


def pixels(result: rendering.RenderResult) -> Image.Image:
    return Image.open(io.BytesIO(result.content)).convert("RGB")


def assert_ordinary_card_renders(color: str = "#ff0000", rgb: tuple = RED) -> None:
    result = render(card(color))
    assert (result.width, result.height, result.content_type) == (200, 120, "image/png")
    image = pixels(result)
    assert image.getpixel((40, 40)) == rgb  # inside the square
    assert image.getpixel((5, 100)) == (255, 255, 255)  # background
    text_box = image.crop((80, 10, 190, 50))
    assert text_box.getextrema()[0][0] < 100  # dark ink of "Hello" inside its box


def expensive_document() -> dict:
    """4000×4000 with 190 large, rotated, stroked, semi-transparent ellipses and ten
    5000-character paragraphs: ~23 s of cairo on this machine's kind of CPU."""
    size = 4000
    elements = [
        {
            "name": f"e{i}",
            "type": "ellipse",
            "x": (i * 37) % size - 500,
            "y": (i * 91) % size - 500,
            "width": size * 0.8,
            "height": size * 0.5,
            "rotation": i * 7 % 360,
            "opacity": 0.5,
            "fill": "#%06x80" % ((i * 2654435761) & 0xFFFFFF),
            "stroke": "#000000",
            "stroke_width": 3,
        }
        for i in range(190)
    ]
    words = ("lorem ipsum dolor sit amet consectetur " * 200)[:5000]
    elements += [
        {
            "name": f"t{j}",
            "type": "text",
            "x": 0,
            "y": j * 400,
            "width": size,
            "height": 400,
            "text": words,
            "font_size": 40,
            "rotation": 3,
            "opacity": 0.7,
        }
        for j in range(10)
    ]
    return make_document(size, size, elements)


def huge_picture_document() -> dict:
    """4000×4000 at scale 1 with a 4000×4000 picture: ~250 MB of address space at peak
    (decoded picture, its fitted copy, cairo's surface, the pixels handed to Pillow)."""
    picture = Image.linear_gradient("L").resize((4000, 4000)).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)  # ~60 KB: compresses well
    src = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return make_document(
        4000, 4000, [{"name": "photo", "type": "image", "x": 0, "y": 0, "width": 4000, "height": 4000, "src": src}]
    )


# --- time ---------------------------------------------------------------------------


def test_a_render_over_its_time_budget_fails_within_the_budget_and_the_next_one_works(settings):
    settings.RENDER_TIMEOUT_SECONDS = 1
    document = expensive_document()
    assert_ordinary_card_renders()  # workers up and warm: the clock measures the render only

    started = time.monotonic()
    with pytest.raises(rendering.RenderError) as caught:
        render(document)
    elapsed = time.monotonic() - started

    assert caught.value.code == "render_failed"
    assert caught.value.message == "The render took longer than 1 s."
    assert elapsed < 1 + 1.0, elapsed  # kill, reap and a fresh worker: ~0.1 s unloaded
    assert_ordinary_card_renders("#0000ff", BLUE)


def test_a_slow_render_does_not_hold_up_a_render_on_another_worker(settings):
    settings.RENDER_TIMEOUT_SECONDS = 2
    settings.RENDER_WORKERS = 2
    document = expensive_document()
    assert_ordinary_card_renders()
    failures = []

    def slow():
        try:
            render(document)
        except rendering.RenderError as exc:
            failures.append(exc.code)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)  # the slow one has its worker
    started = time.monotonic()
    assert_ordinary_card_renders()
    assert time.monotonic() - started < 1.0
    thread.join()
    assert failures == ["render_failed"]


# --- memory ---------------------------------------------------------------------------


def test_a_render_over_its_memory_budget_fails_and_the_next_one_works(settings):
    settings.RENDER_MEMORY_MB = 200
    document = huge_picture_document()

    with pytest.raises(rendering.RenderError) as caught:
        render(document)

    assert caught.value.code == "render_failed"
    assert caught.value.message == "The render needed more than 200 MB of memory."
    assert_ordinary_card_renders()  # still under the 200 MB budget


def test_the_same_huge_render_fits_the_default_budget():
    # The memory test above fails because of the budget, not because the document is broken.
    result = render(huge_picture_document())
    assert (result.width, result.height) == (4000, 4000)
    image = pixels(result)
    assert image.getpixel((2000, 10))[0] < 20 and image.getpixel((2000, 3990))[0] > 235  # the gradient, top to bottom


# --- dead workers -------------------------------------------------------------------------


def test_workers_killed_between_renders_are_replaced():
    assert_ordinary_card_renders()
    victims = render_runner.worker_pids()
    assert victims and os.getpid() not in victims
    for pid in victims:
        os.kill(pid, signal.SIGKILL)

    assert_ordinary_card_renders("#0000ff", BLUE)
    assert not set(render_runner.worker_pids()) & set(victims)


def test_a_worker_that_dies_mid_render_fails_that_render_only(settings):
    settings.RENDER_TIMEOUT_SECONDS = 10
    settings.RENDER_WORKERS = 1  # so the render below surely runs on the worker we kill
    document = expensive_document()
    assert_ordinary_card_renders()
    (pid,) = render_runner.worker_pids()
    threading.Timer(0.5, os.kill, (pid, signal.SIGSEGV)).start()

    started = time.monotonic()
    with pytest.raises(rendering.RenderError) as caught:
        render(document)

    assert caught.value.code == "render_failed"
    assert caught.value.message == "The render process stopped unexpectedly."
    assert time.monotonic() - started < 5
    assert_ordinary_card_renders()


def test_a_forked_child_gets_its_own_workers():
    assert_ordinary_card_renders()
    parent_workers = set(render_runner.worker_pids())
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        status = 1
        try:
            result = render(card("#0000ff"))
            ok = pixels(result).getpixel((40, 40)) == BLUE
            mine = set(render_runner.worker_pids())
            status = 0 if ok and mine and not mine & parent_workers else 2
            render_runner.shutdown()
        finally:
            os.write(write_end, bytes([status]))
            os._exit(status)
    os.close(write_end)
    _, wait_status = os.waitpid(child, 0)
    reported = os.read(read_end, 1)
    os.close(read_end)
    assert reported == b"\x00" and os.waitstatus_to_exitcode(wait_status) == 0
    assert set(render_runner.worker_pids()) == parent_workers  # the child left ours alone
    assert_ordinary_card_renders()


# --- errors and concurrency --------------------------------------------------------------------


def test_render_errors_cross_the_process_boundary_intact():
    broken = make_document(
        100, 100, [{"name": "logo", "type": "image", "x": 0, "y": 0, "width": 50, "height": 50, "src": "data:,x"}]
    )
    with pytest.raises(rendering.ImageFetchError) as caught:
        render(broken)
    assert (caught.value.code, caught.value.element) == ("image_fetch_failed", "logo")
    assert "logo" in caught.value.message

    with pytest.raises(rendering.OutputTooLarge) as too_large:
        render(card(), scale=4.0 * 1000)
    assert too_large.value.code == "output_too_large"

    with pytest.raises(rendering.RenderError) as bad_format:
        render(card(), fmt="gif")
    assert (bad_format.value.code, bad_format.value.element) == ("invalid_format", None)
    assert_ordinary_card_renders()


def test_concurrent_callers_each_get_their_own_image(settings):
    settings.RENDER_WORKERS = 2
    colours = [(f"#{r:02x}{g:02x}00", (r, g, 0)) for r, g in [(255, 0), (0, 255), (200, 100), (50, 150)] * 4]
    results: dict[int, tuple] = {}

    def one(index: int, hex_colour: str) -> None:
        results[index] = pixels(render(card(hex_colour))).getpixel((40, 40))

    threads = [threading.Thread(target=one, args=(i, hex_colour)) for i, (hex_colour, _) in enumerate(colours)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: rgb for i, (_, rgb) in enumerate(colours)}


def test_in_process_mode_renders_in_the_calling_process(settings, monkeypatch):
    settings.RENDER_IN_PROCESS = True
    calls = []
    real = rendering.render
    monkeypatch.setattr(rendering, "render", lambda *a, **kw: calls.append(os.getpid()) or real(*a, **kw))
    assert_ordinary_card_renders()
    assert calls == [os.getpid()]


# --- markup in text -----------------------------------------------------------------------------

HOSTILE_TEXTS = [
    "</svg><script>alert(1)</script>",
    "&entity; &amp; &#x26; &lt;b&gt;",
    '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    "<![CDATA[ ]]> <?xml-stylesheet href='file:///etc/passwd'?> <use href='#x'/>",
]


@pytest.mark.parametrize("hostile", HOSTILE_TEXTS)
def test_markup_in_text_is_drawn_as_literal_text(hostile):
    document = make_document(
        900,
        120,
        [
            {
                "name": "title",
                "type": "text",
                "x": 10,
                "y": 10,
                "width": 880,
                "height": 100,
                "text": hostile,
                "font_size": 24,
                "fit": "none",
            }
        ],
    )
    result = render(document)
    image = pixels(result)
    ink = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert ink is not None, "the text drew nothing"
    left, top, right, bottom = ink
    assert left >= 10 and top >= 10 and right <= 890 and bottom <= 110  # inside the text box
    # ~0.5 em per character on average: the whole string was drawn, none of it swallowed as markup.
    assert right - left > len(hostile) * 24 * 0.3

    svg, _ = rendering.build_svg(document)
    tree = DefusedET.fromstring(svg)  # refuses DTDs and entities: the SVG has none
    names = {node.tag.rsplit("}", 1)[-1] for node in tree.iter()}
    assert names <= {"svg", "defs", "clipPath", "rect", "g", "path"}
    labels = [node.get("aria-label") for node in tree.iter() if node.get("aria-label")]
    assert labels == [hostile]
