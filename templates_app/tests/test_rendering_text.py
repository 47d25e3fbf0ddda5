"""Text layout and drawing: shaping, wrapping, fitting, truncation, alignment, fonts."""

from __future__ import annotations

import pytest

from templates_app.rendering import fonts, text
from templates_app.tests.ink import BOX, assert_inside_box, draw, ink_box, ink_count, text_element


def test_text_draws_ink_inside_its_box_and_none_outside() -> None:
    image, warnings = draw(text_element(text="Hello world"))
    assert ink_count(image) > 200
    assert_inside_box(image)
    assert warnings == []


def test_long_text_wraps_into_several_lines() -> None:
    one_line, _ = draw(text_element(text="Short", fit="none"))
    many, _ = draw(
        text_element(
            text="This sentence is long enough to wrap over lines",
            fit="none",
            font_size=24,
        )
    )
    one_top, one_bottom = ink_box(one_line)[1], ink_box(one_line)[3]
    many_top, many_bottom = ink_box(many)[1], ink_box(many)[3]
    assert many_bottom - many_top > 2 * (one_bottom - one_top)
    assert_inside_box(many)
    assert (
        text.layout_text(
            text_element(
                text="This sentence is long enough to wrap over lines",
                fit="none",
                font_size=24,
            )
        ).line_count
        == 2
    )


def test_newline_forces_a_break() -> None:
    assert text.layout_text(text_element(text="a")).line_count == 1
    assert text.layout_text(text_element(text="a\nb")).line_count == 2
    assert text.layout_text(text_element(text="a\r\n\nb")).line_count == 3


def test_a_word_longer_than_the_box_breaks_between_characters() -> None:
    element = text_element(text="W" * 30, fit="none", font_size=24)
    layout = text.layout_text(element)
    assert layout.line_count >= 2
    image, _ = draw(element)
    assert_inside_box(image)


def test_bold_has_more_ink_than_regular() -> None:
    regular, _ = draw(text_element(text="Heavy ink", font_weight=400))
    bold, _ = draw(text_element(text="Heavy ink", font_weight=700))
    assert ink_count(bold) > ink_count(regular) * 1.3


def test_italic_uses_the_italic_font() -> None:
    assert fonts.resolve_face("Inter", 400, True).path.endswith("Italic.ttf")
    regular, _ = draw(text_element(text="Slanted"))
    italic, _ = draw(text_element(text="Slanted", italic=True))
    assert regular.tobytes() != italic.tobytes()


@pytest.mark.parametrize(
    ("align", "side"),
    [("left", "left"), ("right", "right"), ("center", "middle")],
)
def test_align_puts_ink_on_that_side(align: str, side: str) -> None:
    image, _ = draw(text_element(text="Hi", align=align))
    left, _, right, _ = ink_box(image)
    x, _, w, _ = BOX
    if side == "left":
        assert left < x + 10 and right < x + w / 2
    elif side == "right":
        assert right > x + w - 10 and left > x + w / 2
    else:
        assert abs((left + right) / 2 - (x + w / 2)) < 4


@pytest.mark.parametrize(("valign", "expect"), [("top", "top"), ("middle", "middle"), ("bottom", "bottom")])
def test_vertical_align_moves_ink(valign: str, expect: str) -> None:
    image, _ = draw(text_element(text="Hi", vertical_align=valign))
    _, top, _, bottom = ink_box(image)
    _, y, _, h = BOX
    centre = (top + bottom) / 2
    if expect == "top":
        assert centre < y + h / 3
    elif expect == "bottom":
        assert centre > y + 2 * h / 3
    else:
        assert abs(centre - (y + h / 2)) < 6


def test_shrink_reduces_the_size_and_warns() -> None:
    long_text = "A fairly long headline that cannot possibly fit at this size in the box"
    element = text_element(text=long_text, font_size=60)
    layout = text.layout_text(element)
    assert 8 <= layout.font_size < 60
    image, warnings = draw(element)
    assert [w["code"] for w in warnings] == ["text_shrunk"]
    assert warnings[0]["element"] == "title"
    assert_inside_box(image)
    # Larger sizes would not have fitted: the search found (close to) the largest fitting one.
    bigger = text.layout_text(text_element(text=long_text, font_size=layout.font_size + 1, fit="none"))
    assert bigger.line_count * 1.2 * (layout.font_size + 1) > BOX[3] or any(
        w["code"] == "text_truncated" for w in bigger.warnings
    )


def test_shrink_never_goes_below_min_font_size_and_then_truncates() -> None:
    element = text_element(text="word " * 200, font_size=40, min_font_size=20)
    layout = text.layout_text(element)
    assert layout.font_size == 20
    assert [w["code"] for w in layout.warnings] == ["text_shrunk", "text_truncated"]
    image, _ = draw(element)
    assert_inside_box(image)


def test_max_lines_cuts_with_an_ellipsis() -> None:
    element = text_element(
        text="one two three four five six seven eight nine ten " * 3,
        fit="none",
        font_size=20,
        max_lines=2,
    )
    layout = text.layout_text(element)
    assert layout.line_count == 2
    assert [w["code"] for w in layout.warnings] == ["text_truncated"]
    ellipsis_gid = text.shape_paragraph(text.ELLIPSIS, fonts.fallback_chain("Inter", 400, False)).glyphs[0].gid
    assert layout.glyphs[-1].gid == ellipsis_gid
    image, _ = draw(element)
    assert_inside_box(image)


def test_too_tall_text_without_fit_drops_lines_and_stays_in_the_box() -> None:
    element = text_element(text="line\n" * 10, fit="none", font_size=30)
    layout = text.layout_text(element)
    assert layout.line_count == int(BOX[3] // (30 * 1.2))
    assert [w["code"] for w in layout.warnings] == ["text_truncated"]
    image, _ = draw(element)
    assert_inside_box(image)


def test_line_height_spreads_lines() -> None:
    tight, _ = draw(text_element(text="a\nb", line_height=1.0, fit="none"))
    loose, _ = draw(text_element(text="a\nb", line_height=1.8, fit="none"))
    assert ink_box(loose)[3] - ink_box(loose)[1] > ink_box(tight)[3] - ink_box(tight)[1] + 15


def test_letter_spacing_widens_the_line() -> None:
    plain, _ = draw(text_element(text="spacing"))
    spaced, _ = draw(text_element(text="spacing", letter_spacing=8))
    plain_box, spaced_box = ink_box(plain), ink_box(spaced)
    widening = (spaced_box[2] - spaced_box[0]) - (plain_box[2] - plain_box[0])
    assert widening == pytest.approx(6 * 8, abs=3)  # 7 letters → 6 gaps


def test_text_transform_changes_case_before_shaping() -> None:
    upper = text.layout_text(text_element(text="abc", text_transform="uppercase"))
    reference = text.layout_text(text_element(text="ABC"))
    assert [g.gid for g in upper.glyphs] == [g.gid for g in reference.glyphs]
    lower = text.layout_text(text_element(text="ABC", text_transform="lowercase"))
    assert [g.gid for g in lower.glyphs] == [g.gid for g in text.layout_text(text_element(text="abc")).glyphs]


def test_shaping_applies_kerning_and_ligatures() -> None:
    inter = fonts.fallback_chain("Inter", 400, False)
    pair = text.shape_paragraph("AV", inter)
    alone = text.shape_paragraph("A", inter).width(0, 1, 100, 0) + text.shape_paragraph("V", inter).width(0, 1, 100, 0)
    assert pair.width(0, 2, 100, 0) < alone - 1
    dejavu = (fonts.resolve_face("DejaVu Sans", 400, False),)
    assert len(text.shape_paragraph("ffi", dejavu).glyphs) == 1
    # Letter spacing turns optional ligatures off, as browsers do.
    assert len(text.shape_paragraph("ffi", dejavu, False).glyphs) == 3


def test_unknown_family_falls_back_to_inter() -> None:
    assert fonts.resolve_face("Comic Nonsense", 400, False) == fonts.resolve_face("Inter", 400, False)
    a = text.layout_text(text_element(font_family="Comic Nonsense"))
    b = text.layout_text(text_element(font_family="Inter"))
    assert [(g.gid, g.x) for g in a.glyphs] == [(g.gid, g.x) for g in b.glyphs]


def test_weight_picks_the_nearest_available_face() -> None:
    assert fonts.resolve_face("Inter", 650, False).wght == 650
    assert fonts.resolve_face("DejaVu Sans", 600, False).path.endswith("Bold.ttf")
    assert fonts.resolve_face("DejaVu Sans", 300, False).path.endswith("DejaVuSans.ttf")
    # No italic file: oblique is synthesised.
    assert fonts.resolve_face("DejaVu Sans", 400, True).slant > 0


def test_characters_missing_from_inter_come_from_the_fallback_font() -> None:
    layout = text.layout_text(text_element(text="Hi שלום"))
    paths = {g.face.path for g in layout.glyphs}
    assert any("noto-sans-hebrew" in p for p in paths) and any("inter" in p for p in paths)
    assert all(g.gid != 0 for g in layout.glyphs)  # no .notdef boxes


def test_arabic_letters_take_joined_forms() -> None:
    chain = fonts.fallback_chain("Inter", 400, False)
    isolated = text.shape_paragraph("\u0628", chain).glyphs[0].gid
    joined = {g.gid for g in text.shape_paragraph("\u0628\u0628\u0628", chain).glyphs}
    assert isolated not in joined


def test_background_color_fills_the_text_box() -> None:
    image, _ = draw(text_element(text="", background_color="#00ff00"))
    x, y, _, _ = BOX
    assert image.getpixel((x + 2, y + 2)) == (0, 255, 0)
    assert image.getpixel((x - 2, y - 2)) == (255, 255, 255)


def test_empty_text_draws_nothing_and_warns_nothing() -> None:
    layout = text.layout_text(text_element(text="   "))
    assert layout.glyphs == [] and layout.warnings == []


def test_text_colour_and_alpha() -> None:
    image, _ = draw(text_element(text="I", font_size=100, font_weight=900, color="#ff000080", align="center"))
    x, y, w, h = BOX
    column = [image.getpixel((x + w // 2, y + row)) for row in range(h)]
    assert any(abs(r - 255) < 3 and abs(g - 128) < 4 and abs(b - 128) < 4 for r, g, b in column)
