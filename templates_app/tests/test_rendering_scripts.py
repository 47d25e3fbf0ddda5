"""Scripts, fallback and bidi: no tofu, joined Arabic, conjuncts, right-to-left order and wrapping."""

from __future__ import annotations

import pytest

from templates_app.rendering import fonts, text
from templates_app.tests.ink import (
    BOX,
    assert_inside_box,
    draw,
    ink_box,
    ink_count,
    text_element,
)

INTER = fonts.fallback_chain("Inter", 400, False)
SAMPLES = {
    "arabic": ("مرحبا بالعالم", "noto-sans-arabic"),
    "hebrew": ("שלום עולם", "noto-sans-hebrew"),
    "devanagari": ("नमस्ते दुनिया", "noto-sans"),  # Google's Noto Sans build has Devanagari itself
    "chinese": ("你好，世界", "noto-sans-sc"),
    "japanese": ("こんにちは カタカナ 日本語", "noto-sans-sc"),
    "greek": ("Καλημέρα κόσμε", "inter"),
    "cyrillic": ("Привет, мир", "inter"),
}


def gid_of(char: str, folder: str) -> int:
    """The glyph a face maps `char` to on its own (its isolated form)."""
    spec = next(spec for spec in INTER if folder in spec.path)
    return text.shape_paragraph(char, (spec,)).glyphs[0].gid


def placed_faces(layout: text.TextLayout) -> list[str]:
    return [g.face.path for g in layout.glyphs]


@pytest.mark.parametrize("script", list(SAMPLES))
def test_each_script_is_drawn_without_tofu_from_the_right_font(script: str) -> None:
    sample, folder = SAMPLES[script]
    element = text_element(text=sample, font_size=28)
    layout = text.layout_text(element)
    assert layout.glyphs and all(g.gid != 0 for g in layout.glyphs)
    assert any(folder in path for path in placed_faces(layout))
    image, warnings = draw(element)
    assert warnings == []
    assert ink_count(image) > 150
    assert_inside_box(image)


def test_arabic_letters_join_in_the_arabic_font() -> None:
    isolated = text.shape_paragraph("\u0628", INTER).glyphs[0]
    joined = text.shape_paragraph("\u0628\u0628\u0628", INTER).glyphs
    assert "noto-sans-arabic" in INTER[isolated.face].path
    assert isolated.gid not in {g.gid for g in joined}
    # Initial, medial and final forms are three different glyphs (the dot is a mark of its own).
    first_of_cluster = {g.cluster: g.gid for g in reversed(joined)}
    assert len(set(first_of_cluster.values())) == 3


def test_devanagari_forms_conjuncts() -> None:
    par = text.shape_paragraph("क्ष", INTER)  # KA + VIRAMA + SSA
    assert len(par.glyphs) < 3
    assert all(g.gid != 0 for g in par.glyphs)


def test_bidi_levels_follow_uax9() -> None:
    assert text.bidi_levels("plain text") == (0, [0] * 10)
    base, levels = text.bidi_levels("ab שלום")
    assert base == 0 and levels == [0, 0, 0, 1, 1, 1, 1]
    base, levels = text.bidi_levels("שלום 12")
    assert base == 1 and levels == [1, 1, 1, 1, 1, 2, 2]


def test_bidi_levels_degrade_gracefully_if_python_bidi_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "get_display", lambda value, debug=False: "something else")
    assert text.bidi_levels("ab שלום 12") == (0, [0, 0, 0, 1, 1, 1, 1, 0, 0, 0])
    assert text.bidi_levels("שלום ab") == (1, [1, 1, 1, 1, 1, 2, 2])


def test_mixed_latin_and_hebrew_reads_in_visual_order() -> None:
    layout = text.layout_text(text_element(text="Hello שלום", fit="none"))
    latin = [g.x for g in layout.glyphs if "inter" in g.face.path]
    hebrew = [g for g in layout.glyphs if "noto-sans-hebrew" in g.face.path]
    assert len(hebrew) == 4 and max(latin) < min(g.x for g in hebrew)
    # Right to left inside the Hebrew word: shin (its first letter) is the rightmost glyph.
    shin, final_mem = gid_of("ש", "noto-sans-hebrew"), gid_of("ם", "noto-sans-hebrew")
    by_x = sorted(hebrew, key=lambda g: g.x)
    assert by_x[-1].gid == shin and by_x[0].gid == final_mem


def test_a_right_to_left_paragraph_puts_its_first_word_on_the_right() -> None:
    layout = text.layout_text(text_element(text="שלום world", fit="none"))
    latin = [g.x for g in layout.glyphs if "inter" in g.face.path]
    hebrew = [g.x for g in layout.glyphs if "noto-sans-hebrew" in g.face.path]
    assert max(latin) < min(hebrew)


def test_right_aligned_hebrew_ink_ends_at_the_right_edge() -> None:
    image, _ = draw(text_element(text="שלום עולם", align="right", fit="none"))
    left, _, right, _ = ink_box(image)
    x, _, w, _ = BOX
    assert right > x + w - 6 and left > x + w / 3
    # align is what the user set: "left" keeps right-to-left text on the left.
    image, _ = draw(text_element(text="שלום עולם", align="left", fit="none"))
    left, _, right, _ = ink_box(image)
    assert left < x + 6 and right < x + 2 * w / 3


def test_right_to_left_text_wraps_by_width_and_keeps_word_order() -> None:
    words = ["אחת", "שתיים", "שלוש", "ארבע", "חמש", "שש", "שבע", "שמונה"]
    element = text_element(text=" ".join(words), font_size=24, fit="none", align="right")
    layout = text.layout_text(element)
    assert layout.line_count >= 2
    image, _ = draw(element)
    assert_inside_box(image)
    # The first word starts line one at the right: its first letter is the rightmost glyph there.
    first_line_y = min(g.y for g in layout.glyphs)
    first_line = [g for g in layout.glyphs if g.y == first_line_y]
    assert max(first_line, key=lambda g: g.x).gid == gid_of("א", "noto-sans-hebrew")


def test_a_cut_right_to_left_line_ends_with_the_ellipsis_on_the_left() -> None:
    element = text_element(text="שלום עולם " * 20, font_size=20, fit="none", max_lines=1)
    layout = text.layout_text(element)
    ellipsis_gid = text.shape_paragraph(text.ELLIPSIS, INTER).glyphs[0].gid
    assert [w["code"] for w in layout.warnings] == ["text_truncated"]
    assert min(layout.glyphs, key=lambda g: g.x).gid == ellipsis_gid


def test_a_family_without_a_character_borrows_it_from_the_fallback_chain() -> None:
    chain = fonts.fallback_chain("Oswald", 400, False)
    assert ord("Ω") not in fonts.coverage(chain[0].path)
    layout = text.layout_text(text_element(text="Ohm Ω", font_family="Oswald"))
    faces = placed_faces(layout)
    assert faces[0].startswith("oswald/") and faces[-1].startswith("noto-sans/")
    assert all(g.gid != 0 for g in layout.glyphs)


def test_symbols_noto_lacks_still_come_from_dejavu() -> None:
    layout = text.layout_text(text_element(text="♞"))
    assert placed_faces(layout) == ["dejavu/DejaVuSans.ttf"] and layout.glyphs[0].gid != 0


def test_bold_cjk_is_emboldened_although_only_one_weight_ships() -> None:
    regular, _ = draw(text_element(text="你好世界", font_weight=400))
    bold, _ = draw(text_element(text="你好世界", font_weight=700))
    assert ink_count(bold) > ink_count(regular) * 1.15
    assert_inside_box(bold)
