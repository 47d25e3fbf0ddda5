"""The designer's editing tools in real Chromium (issue 17): multi-select, copy/paste,
align and distribute, snapping guides, text edited on the canvas, zoom and pan, the
preview's timing and the saved lock — each checked in the document, and its undo.
conftest.py fails a test on any console error or CSP violation."""

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_designer_with

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 600, 300
# Set IMAGIOR_SCREENSHOTS=/some/folder to keep a picture of a multi-selection.
SCREENSHOTS = os.environ.get("IMAGIOR_SCREENSHOTS")
ALPHA = {"name": "alpha", "type": "rect", "x": 50, "y": 50, "width": 100, "height": 60, "fill": "#ef4444"}
BETA = {"name": "beta", "type": "rect", "x": 250, "y": 120, "width": 80, "height": 80, "fill": "#22c55e"}
GAMMA = {"name": "gamma", "type": "rect", "x": 450, "y": 40, "width": 60, "height": 100, "fill": "#3b82f6"}
TITLE = {"name": "title", "type": "text", "x": 40, "y": 200, "width": 300, "height": 80, "text": "Hello"}


def open_designer(page, site, *elements):
    """A 600×300 card with these elements, open in the designer as its owner."""
    return open_designer_with(page, site, WIDTH, HEIGHT, *elements)


def wait_until(page, expression: str, timeout: float = 10) -> None:
    """Poll from here: Playwright's in-page polling needs eval, which the CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.05)


def state(page) -> dict:
    return page.evaluate("window.imagiorDesigner.state()")


def boxes(page) -> dict:
    return {el["name"]: (el["x"], el["y"]) for el in state(page)["elements"]}


def element(page, name: str) -> dict:
    return next(el for el in state(page)["elements"] if el["name"] == name)


def screen(page, x: float, y: float) -> tuple[float, float]:
    """Screen coordinates of canvas pixel (x, y)."""
    frame = page.locator("[data-canvas-frame]").bounding_box()
    zoom = frame["width"] / WIDTH
    return frame["x"] + x * zoom, frame["y"] + y * zoom


def zoom(page) -> float:
    return page.locator("[data-canvas-frame]").bounding_box()["width"] / WIDTH


def centre_of(page, el: dict) -> tuple[float, float]:
    return screen(page, el["x"] + el["width"] / 2, el["y"] + el["height"] / 2)


def drag(page, start: tuple[float, float], dx: float, dy: float, *, release: bool = True) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + dx / 2, start[1] + dy / 2, steps=3)
    page.mouse.move(start[0] + dx, start[1] + dy, steps=3)
    if release:
        page.mouse.up()


def click_element(page, name: str, modifiers: list[str] | None = None) -> None:
    x, y = centre_of(page, element(page, name))
    for key in modifiers or []:
        page.keyboard.down(key)
    page.mouse.click(x, y)
    for key in modifiers or []:
        page.keyboard.up(key)


def test_shift_click_and_marquee_select_several_and_they_move_nudge_and_delete_together(page, site):
    open_designer(page, site, ALPHA, BETA, GAMMA)
    original = boxes(page)

    click_element(page, "alpha")
    click_element(page, "beta", ["Shift"])
    assert state(page)["selection"] == ["alpha", "beta"]
    expect(page.locator("[data-properties-title]")).to_have_text("2 elements")
    # Shared values show, differing ones are empty; a change applies to all of them.
    expect(page.locator('[data-field="x"] input')).to_have_value("")
    click_element(page, "beta", ["Shift"])
    assert state(page)["selection"] == ["alpha"]
    click_element(page, "beta", ["Shift"])
    assert state(page)["selection"] == ["alpha", "beta"]

    # Dragging one of them moves both (Alt: no snapping, so the offset is exact).
    page.keyboard.down("Alt")
    drag(page, centre_of(page, element(page, "alpha")), 40, 20)
    page.keyboard.up("Alt")
    moved = boxes(page)
    dx, dy = 40 / zoom(page), 20 / zoom(page)
    for name in ("alpha", "beta"):
        assert moved[name][0] == pytest.approx(original[name][0] + dx, abs=1.5)
        assert moved[name][1] == pytest.approx(original[name][1] + dy, abs=1.5)
    assert moved["gamma"] == original["gamma"]
    assert state(page)["selection"] == ["alpha", "beta"]
    page.keyboard.press("Control+z")
    assert boxes(page) == original

    # A marquee from empty canvas selects what it touches.
    page.keyboard.press("Escape")
    start = screen(page, 20, 20)
    end = screen(page, 360, 230)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=5)
    expect(page.locator(".marquee")).to_be_visible()
    page.mouse.up()
    expect(page.locator(".marquee")).to_be_hidden()
    assert state(page)["selection"] == ["alpha", "beta"]

    # Arrow keys nudge the group, as one undo step each.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    nudged = boxes(page)
    assert nudged["alpha"] == (51, 60) and nudged["beta"] == (251, 130) and nudged["gamma"] == (450, 40)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert boxes(page) == original

    # The panel edits both: X for all.
    page.locator('[data-field="y"] input').fill("15")
    page.locator('[data-field="y"] input').press("Enter")
    assert element(page, "alpha")["y"] == 15 and element(page, "beta")["y"] == 15
    page.locator("[data-stage]").focus()
    page.keyboard.press("Control+z")
    assert boxes(page) == original

    # Delete removes both; undo brings them back.
    click_element(page, "alpha")
    click_element(page, "beta", ["Shift"])
    page.keyboard.press("Delete")
    assert [el["name"] for el in state(page)["elements"]] == ["gamma"]
    page.keyboard.press("Control+z")
    assert [el["name"] for el in state(page)["elements"]] == ["alpha", "beta", "gamma"]

    # A click on empty canvas clears the selection.
    page.mouse.click(*screen(page, 580, 280))
    assert state(page)["selection"] == []


def test_several_elements_resize_together_from_the_group_box(page, site):
    open_designer(page, site, ALPHA, BETA, GAMMA)
    click_element(page, "alpha")
    click_element(page, "beta", ["Shift"])
    # The box around them spans x 50..330: dragged 140 px wider, everything scales by 1.5.
    handle = page.locator(".selection.is-group .handle-e").bounding_box()
    drag(page, (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2), 140 * zoom(page), 0)
    alpha, beta = element(page, "alpha"), element(page, "beta")
    assert (alpha["x"], alpha["width"], alpha["height"]) == (50, 150, 60)
    assert (beta["x"], beta["width"], beta["y"]) == (350, 120, 120)
    assert element(page, "gamma")["width"] == 60
    page.keyboard.press("Control+z")
    assert (element(page, "alpha")["width"], element(page, "beta")["x"]) == (100, 250)


def test_copy_paste_and_duplicate_with_offsets_and_unique_names(page, site):
    open_designer(page, site, ALPHA, BETA)
    click_element(page, "alpha")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    assert state(page)["selection"] == ["alpha_2"]
    pasted = element(page, "alpha_2")
    assert (pasted["x"], pasted["y"], pasted["fill"]) == (70, 70, "#ef4444")
    page.keyboard.press("Control+v")
    assert (element(page, "alpha_3")["x"], element(page, "alpha_3")["y"]) == (90, 90)
    page.keyboard.press("Control+d")
    assert state(page)["selection"] == ["alpha_4"]
    assert (element(page, "alpha_4")["x"], element(page, "alpha_4")["y"]) == (110, 110)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert [el["name"] for el in state(page)["elements"]] == ["alpha", "beta", "alpha_2"]

    # Several at once (the click on alpha's centre hits alpha_2, on top of it): duplicated
    # together, on top of the drawing order, selected together.
    click_element(page, "alpha")
    click_element(page, "beta", ["Shift"])
    assert state(page)["selection"] == ["beta", "alpha_2"]
    page.keyboard.press("Control+d")
    assert state(page)["selection"] == ["beta_2", "alpha_3"]
    assert (element(page, "beta_2")["x"], element(page, "beta_2")["y"]) == (270, 140)
    assert (element(page, "alpha_3")["x"], element(page, "alpha_3")["y"]) == (90, 90)
    page.keyboard.press("Control+z")
    assert [el["name"] for el in state(page)["elements"]] == ["alpha", "beta", "alpha_2"]


def test_align_and_distribute_to_the_selection_and_to_the_canvas(page, site):
    open_designer(page, site, ALPHA, BETA, GAMMA)
    original = boxes(page)
    toolbar = page.get_by_role("toolbar", name="Align and distribute")
    expect(toolbar.get_by_role("button", name="Align left")).to_be_disabled()
    click_element(page, "alpha")
    click_element(page, "beta", ["Shift"])
    click_element(page, "gamma", ["Shift"])
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "designer_multi_select.png"))

    toolbar.get_by_role("button", name="Align left").click()
    assert {name: x for name, (x, _) in boxes(page).items()} == {"alpha": 50, "beta": 50, "gamma": 50}
    page.keyboard.press("Control+z")
    assert boxes(page) == original
    toolbar.get_by_role("button", name="Align bottom").click()
    assert [el["y"] + el["height"] for el in state(page)["elements"]] == [200, 200, 200]
    page.keyboard.press("Control+z")
    toolbar.get_by_role("button", name="Align centres horizontally").click()
    assert [el["x"] + el["width"] / 2 for el in state(page)["elements"]] == [280, 280, 280]
    page.keyboard.press("Control+z")

    # Distribute: the outer two stay, the gaps between become equal (110 px each).
    page.get_by_role("button", name="Move beta up").click()  # drawing order does not matter
    click_element(page, "alpha")
    click_element(page, "beta", ["Shift"])
    click_element(page, "gamma", ["Shift"])
    toolbar.get_by_role("button", name="Distribute horizontally").click()
    assert boxes(page) == {"alpha": (50, 50), "gamma": (450, 40), "beta": (260, 120)}
    page.keyboard.press("Control+z")
    assert boxes(page)["beta"] == (250, 120)

    # One element: to the canvas. Reached and pressed with the keyboard.
    click_element(page, "beta")
    toolbar.get_by_role("button", name="Align right").focus()
    page.keyboard.press("Enter")
    assert element(page, "beta")["x"] == WIDTH - 80
    toolbar.get_by_role("button", name="Distribute vertically").focus()
    page.keyboard.press("Space")
    assert element(page, "beta")["y"] == (HEIGHT - 80) / 2
    page.keyboard.press("Escape")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert element(page, "beta")["x"] == 250 and element(page, "beta")["y"] == 120


def test_moving_snaps_to_other_elements_with_guides_and_alt_turns_it_off(page, site):
    open_designer(page, site, ALPHA, BETA, GAMMA)
    click_element(page, "beta")
    z = zoom(page)
    # beta's left edge (250) is dragged to 153: it snaps to alpha's right edge (150).
    drag(page, centre_of(page, element(page, "beta")), -97 * z, 0, release=False)
    expect(page.locator(".guide-x")).to_have_count(1)
    assert page.locator(".guide-x").get_attribute("data-at") == "150"
    assert element(page, "beta")["x"] == 150
    page.mouse.up()
    expect(page.locator(".guide")).to_have_count(0)
    assert element(page, "beta")["x"] == 150
    page.keyboard.press("Control+z")
    assert element(page, "beta")["x"] == 250

    # To the canvas's centre: beta's centre (290) dragged to 297 goes to 300.
    drag(page, centre_of(page, element(page, "beta")), 7 * z, 0)
    assert element(page, "beta")["x"] == 260
    page.keyboard.press("Control+z")

    # With Alt held nothing snaps and no guide shows.
    page.keyboard.down("Alt")
    drag(page, centre_of(page, element(page, "beta")), -97 * z, 0, release=False)
    expect(page.locator(".guide")).to_have_count(0)
    page.mouse.up()
    page.keyboard.up("Alt")
    assert element(page, "beta")["x"] == pytest.approx(153, abs=1)


def test_double_click_edits_text_on_the_canvas(page, site):
    open_designer(page, site, TITLE, ALPHA)
    page.mouse.dblclick(*centre_of(page, element(page, "title")))
    editor = page.locator(".el-text-editor")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Hello")
    page.keyboard.type("Bye")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("now")
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)
    assert element(page, "title")["text"] == "Bye\nnow"
    expect(page.locator(".el-text .el-text-inner")).to_have_text("Bye\nnow")
    page.keyboard.press("Control+z")
    assert element(page, "title")["text"] == "Hello"

    # Escape leaves the text as it was.
    page.mouse.dblclick(*centre_of(page, element(page, "title")))
    page.keyboard.type("zzz")
    page.keyboard.press("Escape")
    expect(editor).to_have_count(0)
    assert element(page, "title")["text"] == "Hello"

    # Ctrl+S while typing keeps the text and saves it.
    page.mouse.dblclick(*centre_of(page, element(page, "title")))
    page.keyboard.type("Saved")
    page.keyboard.press("Control+s")
    expect(page.locator("[data-save-status]")).to_have_text("All changes saved")
    expect(editor).to_have_count(0)
    assert element(page, "title")["text"] == "Saved"

    # Enter on a selected text element opens the editor too; clicking away keeps the text.
    click_element(page, "title")
    page.keyboard.press("Enter")
    expect(editor).to_be_focused()
    page.keyboard.type("Hi")
    page.mouse.click(*screen(page, 580, 20))
    expect(editor).to_have_count(0)
    assert element(page, "title")["text"] == "Hi"


def test_ctrl_wheel_zooms_around_the_pointer_and_space_drag_pans(page, site):
    open_designer(page, site, ALPHA)
    before = state(page)["zoom"]
    pointer = screen(page, 150, 80)
    page.mouse.move(*pointer)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    wait_until(page, f"window.imagiorDesigner.state().zoom > {before * 1.1}")
    after = state(page)["zoom"]
    frame = page.locator("[data-canvas-frame]").bounding_box()
    # The canvas point under the pointer stayed under it.
    assert (pointer[0] - frame["x"]) / after == pytest.approx(150, abs=2)
    assert (pointer[1] - frame["y"]) / after == pytest.approx(80, abs=2)
    assert page.evaluate("document.documentElement.clientWidth") == 1280  # not the page's zoom

    # Space + drag pans the view; nothing in the document changes.
    page.mouse.click(*screen(page, 500, 250))  # empty canvas
    page.keyboard.down("Space")
    drag(page, screen(page, 300, 200), -120, -60)
    page.keyboard.up("Space")
    moved = page.locator("[data-canvas-frame]").bounding_box()
    assert moved["x"] == pytest.approx(frame["x"] - 120, abs=2)
    assert moved["y"] == pytest.approx(frame["y"] - 60, abs=2)
    assert (element(page, "alpha")["x"], element(page, "alpha")["y"]) == (50, 50)
    assert not page.evaluate("window.imagiorDesigner.dirty()")


# Counts the preview requests and delays the first one by 2 s, honouring its abort signal.
WATCH_PREVIEWS = """() => {
  const realFetch = window.fetch.bind(window);
  const log = (window.previewLog = { calls: [], aborted: 0, edits: [] });
  document.addEventListener("keydown", () => log.edits.push(performance.now()), true);
  window.fetch = (url, options = {}) => {
    if (!String(url).endsWith("/preview")) return realFetch(url, options);
    log.calls.push(performance.now());
    if (log.calls.length > 1) return realFetch(url, options);
    return new Promise((resolve, reject) => {
      options.signal.addEventListener("abort", () => {
        log.aborted += 1;
        reject(new DOMException("Aborted", "AbortError"));
      });
      setTimeout(() => realFetch(url, options).then(resolve, reject), 2000);
    });
  };
}"""


def test_the_preview_starts_soon_after_edits_pause_and_aborts_a_stale_request(page, site):
    open_designer(page, site, ALPHA)
    expect(page.locator("[data-preview-card]")).to_have_attribute("aria-busy", "false")
    page.evaluate(WATCH_PREVIEWS)
    click_element(page, "alpha")
    page.keyboard.press("ArrowRight")
    wait_until(page, "window.previewLog.calls.length === 1")
    log = page.evaluate("window.previewLog")
    waited = log["calls"][0] - log["edits"][-1]
    assert 200 <= waited <= 600, waited
    # A new edit while the first request is still out: it is aborted, the newer one shows.
    page.keyboard.press("ArrowRight")
    wait_until(page, "window.previewLog.calls.length === 2")
    assert page.evaluate("window.previewLog.aborted") == 1
    expect(page.locator("[data-preview-card]")).to_have_attribute("aria-busy", "false")
    expect(page.locator("[data-preview-status]")).to_contain_text("Rendered by the server")
    assert page.evaluate("window.previewLog.calls.length") == 2


def test_a_lock_is_saved_with_the_template_and_stops_canvas_edits(page, site):
    template = open_designer(page, site, ALPHA, BETA)
    page.get_by_role("button", name="Lock beta").click()
    assert element(page, "beta")["locked"] is True
    click_element(page, "beta")
    drag(page, centre_of(page, element(page, "beta")), 60, 30)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Delete")
    beta = element(page, "beta")
    assert (beta["x"], beta["y"]) == (250, 120)
    page.keyboard.press("Control+z")
    assert element(page, "beta")["locked"] is False
    page.keyboard.press("Control+Shift+z")
    assert element(page, "beta")["locked"] is True

    page.keyboard.press("Control+s")
    expect(page.locator("[data-save-status]")).to_have_text("All changes saved")
    template.refresh_from_db()
    assert {el["name"]: el["locked"] for el in template.elements} == {"alpha": False, "beta": True}
    page.reload()
    expect(page.get_by_role("button", name="Unlock beta")).to_be_visible()
    assert element(page, "beta")["locked"] is True
