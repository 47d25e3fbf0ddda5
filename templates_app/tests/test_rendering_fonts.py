"""Font catalogue, account fonts and upload validation (inspect_font)."""

from __future__ import annotations

import io
import shutil
import struct
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTCollection, TTFont

from templates_app.rendering import RenderError, build_svg, fonts, inspect_font, render, text
from templates_app.tests.ink import (
    HEIGHT,
    WIDTH,
    assert_inside_box,
    draw,
    ink_box,
    ink_count,
    text_element,
)

SELECTABLE = [entry["family"] for entry in fonts.catalogue() if entry["category"] != "fallback"]
ROBOTO = fonts.FONT_DIR / "roboto" / "Roboto_400Regular.ttf"
LATO = fonts.FONT_DIR / "lato" / "Lato_400Regular.ttf"
SAMPLE = "Hamburgefonstiv 1234"


# --- catalogue -------------------------------------------------------------------------


def test_the_catalogue_lists_at_least_twelve_families_with_licences_on_disk() -> None:
    entries = fonts.catalogue()
    assert len(SELECTABLE) >= 12
    for family in ("Inter", "Roboto", "Open Sans", "Montserrat", "Lato", "Poppins", "Playfair Display"):
        assert family in SELECTABLE
    for family in ("Oswald", "Source Sans 3", "Merriweather", "JetBrains Mono", "Noto Sans"):
        assert family in SELECTABLE
    for entry in entries:
        assert entry["category"] in {"sans-serif", "serif", "monospace", "display", "fallback"}
        assert entry["licence"] in {"OFL-1.1", "Apache-2.0", "Bitstream-Vera"}
        licence = fonts.licence_path(entry)
        assert licence.is_file() and licence.stat().st_size > 1000
        assert (licence.parent / "README.md").is_file()
        assert entry["weights"] == sorted(entry["weights"]) and 400 in entry["weights"]
        assert entry["source"].startswith("npm ")


def test_every_catalogue_file_is_on_disk_and_the_fonts_stay_small() -> None:
    total = 0
    for files in fonts.FAMILIES.values():
        for file in files:
            path = fonts.FONT_DIR / file.path
            assert path.is_file(), path
            total += path.stat().st_size
    assert total < 40 * 1024 * 1024


def test_catalogue_weights_and_italics_match_the_files() -> None:
    by_family = {entry["family"]: entry for entry in fonts.catalogue()}
    assert by_family["Inter"]["weights"] == list(range(100, 1000, 100))
    assert by_family["Roboto"]["weights"] == [400, 700] and by_family["Roboto"]["italic"] is True
    assert by_family["Oswald"]["italic"] is False
    assert by_family["JetBrains Mono"]["category"] == "monospace"
    assert by_family["Playfair Display"]["category"] == "serif"


@pytest.fixture(scope="module")
def family_renders() -> dict:
    return {family: draw(text_element(text=SAMPLE, font_family=family, fit="none"))[0] for family in SELECTABLE}


@pytest.mark.parametrize("family", SELECTABLE)
def test_each_family_draws_its_own_ink_inside_the_box(family: str, family_renders: dict) -> None:
    image = family_renders[family]
    assert ink_count(image) > 300
    assert_inside_box(image)
    layout = text.layout_text(text_element(text=SAMPLE, font_family=family, fit="none"))
    assert {g.face.path.split("/")[0] for g in layout.glyphs} == {fonts.FAMILIES[family][0].path.split("/")[0]}
    others = [other for other in SELECTABLE if other != family]
    assert all(image.tobytes() != family_renders[other].tobytes() for other in others)


def test_a_monospace_and_a_display_serif_give_different_widths(family_renders: dict) -> None:
    def width(family: str) -> int:
        left, _, right, _ = ink_box(family_renders[family])
        return right - left

    assert abs(width("JetBrains Mono") - width("Playfair Display")) > 20
    mono = text.shape_paragraph("iiii", fonts.fallback_chain("JetBrains Mono", 400, False))
    wide = text.shape_paragraph("MMMM", fonts.fallback_chain("JetBrains Mono", 400, False))
    assert mono.width(0, 4, 10, 0) == pytest.approx(wide.width(0, 4, 10, 0))


def test_static_families_pick_their_bold_and_italic_files() -> None:
    assert fonts.resolve_face("Roboto", 700, False).path.endswith("Roboto_700Bold.ttf")
    assert fonts.resolve_face("roboto", 800, True).path.endswith("Roboto_700Bold_Italic.ttf")
    assert fonts.resolve_face("Roboto", 300, False).path.endswith("Roboto_400Regular.ttf")
    oswald = fonts.resolve_face("Oswald", 400, True)
    assert oswald.path.endswith("Oswald_400Regular.ttf") and oswald.slant > 0
    regular, _ = draw(text_element(text="Heavy ink", font_family="Roboto"))
    bold, _ = draw(text_element(text="Heavy ink", font_family="Roboto", font_weight=700))
    assert ink_count(bold) > ink_count(regular) * 1.3


# --- account fonts ---------------------------------------------------------------------


def acme(tmp_path: Path, source: Path = LATO, name: str = "acme.ttf", **fields) -> dict:
    path = tmp_path / name
    shutil.copyfile(source, path)
    return {"family": "Acme Sans", "weight": 400, "italic": False, "path": str(path), **fields}


def document_with(element: dict, account: list[dict] | None = None) -> dict:
    document = {"width": WIDTH, "height": HEIGHT, "background": "#ffffff", "elements": [element]}
    if account is not None:
        document["fonts"] = account
    return document


def test_an_account_font_is_used_when_the_element_names_it(tmp_path: Path) -> None:
    entry = acme(tmp_path)
    account = fonts.account_fonts([entry])
    layout = text.layout_text(text_element(text=SAMPLE, font_family="ACME sans"), account)
    assert {g.face.path for g in layout.glyphs} == {entry["path"]}
    # Same glyphs and places as the shipped Lato the file was copied from.
    lato = text.layout_text(text_element(text=SAMPLE, font_family="Lato"))
    assert [(g.gid, round(g.x, 3)) for g in layout.glyphs] == [(g.gid, round(g.x, 3)) for g in lato.glyphs]
    with_font = render(document_with(text_element(text=SAMPLE, font_family="Acme Sans"), [entry])).content
    lato_render = render(document_with(text_element(text=SAMPLE, font_family="Lato"))).content
    assert with_font == lato_render


def test_an_account_font_is_invisible_without_the_documents_fonts(tmp_path: Path) -> None:
    entry = acme(tmp_path)
    element = text_element(text=SAMPLE, font_family="Acme Sans")
    build_svg(document_with(element, [entry]))
    # Another account's render in the same process: the name is unknown again (Inter).
    layout = text.layout_text(element)
    assert {g.face.path for g in layout.glyphs} == {"inter/InterVariable.ttf"}
    assert fonts.resolve_face("Acme Sans", 400, False) == fonts.resolve_face("Inter", 400, False)
    assert "Acme Sans" not in fonts.family_names()


def test_account_fonts_match_the_nearest_weight_and_style(tmp_path: Path) -> None:
    regular = acme(tmp_path)
    bold = acme(tmp_path, fonts.FONT_DIR / "lato" / "Lato_700Bold.ttf", "bold.ttf", weight=700)
    account = fonts.account_fonts([regular, bold])
    assert fonts.resolve_face("Acme Sans", 650, False, account).path == bold["path"]
    assert fonts.resolve_face("Acme Sans", 300, False, account).path == regular["path"]
    slanted = fonts.resolve_face("Acme Sans", 400, True, account)
    assert slanted.path == regular["path"] and slanted.slant > 0


def test_an_account_font_falls_back_through_the_chain_for_missing_glyphs(tmp_path: Path) -> None:
    account = fonts.account_fonts([acme(tmp_path)])
    layout = text.layout_text(text_element(text="Lato שלום 你好", font_family="Acme Sans"), account)
    paths = {g.face.path.split("/")[0] for g in layout.glyphs}
    assert {"noto-sans-hebrew", "noto-sans-sc"} <= paths
    assert all(g.gid != 0 for g in layout.glyphs)


def test_a_font_file_replaced_at_the_same_path_is_not_served_from_cache(tmp_path: Path) -> None:
    entry = acme(tmp_path)
    element = text_element(text=SAMPLE, font_family="Acme Sans")
    before = text.layout_text(element, fonts.account_fonts([entry]))
    shutil.copyfile(ROBOTO, entry["path"])  # the account uploaded a new file for the same style
    after = text.layout_text(element, fonts.account_fonts([entry]))
    roboto = text.layout_text(text_element(text=SAMPLE, font_family="Roboto"))
    assert [g.gid for g in after.glyphs] == [g.gid for g in roboto.glyphs] != [g.gid for g in before.glyphs]


def test_a_missing_account_font_file_is_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError):
        fonts.account_fonts([{"family": "Gone", "weight": 400, "italic": False, "path": str(tmp_path / "x.ttf")}])
    with pytest.raises(RenderError):
        fonts.account_fonts([{"family": "Relative", "path": "lato/Lato_400Regular.ttf"}])


# --- inspect_font ----------------------------------------------------------------------


def flavoured(source: Path, flavor: str | None) -> bytes:
    font = TTFont(str(source))
    font.flavor = flavor
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cff_font(family: str = "Acme Display", weight: int = 700) -> bytes:
    """A tiny OpenType/CFF font made with FontBuilder (the catalogue ships TrueType only)."""
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    pen = T2CharStringPen(600, None)
    pen.moveTo((50, 0))
    pen.lineTo((550, 0))
    pen.lineTo((300, 700))
    pen.closePath()
    empty = T2CharStringPen(500, None).getCharString()
    builder.setupCFF(
        "AcmeDisplay-Bold", {"FullName": f"{family} Bold"}, {".notdef": empty, "A": pen.getCharString()}, {}
    )
    builder.setupHorizontalMetrics({".notdef": (500, 0), "A": (600, 50)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Bold"})
    builder.setupOS2(usWeightClass=weight, fsSelection=0x20, sTypoAscender=800, sTypoDescender=-200)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def test_inspect_font_reads_a_ttf() -> None:
    data = ROBOTO.read_bytes()
    info = inspect_font(data)
    assert info == {"family": "Roboto", "weight": 400, "italic": False, "format": "ttf", "ttf": data}
    bold_italic = inspect_font((fonts.FONT_DIR / "roboto" / "Roboto_700Bold_Italic.ttf").read_bytes())
    assert (bold_italic["weight"], bold_italic["italic"]) == (700, True)


def test_inspect_font_reads_an_otf_and_the_renderer_draws_it(tmp_path: Path) -> None:
    data = cff_font()
    info = inspect_font(data)
    assert (info["family"], info["weight"], info["italic"], info["format"]) == ("Acme Display", 700, False, "otf")
    path = tmp_path / "acme.otf"
    path.write_bytes(info["ttf"])
    entry = {"family": "Acme Display", "weight": 700, "italic": False, "path": str(path)}
    result = render(document_with(text_element(text="AAA", font_family="Acme Display", font_size=60), [entry]))
    assert result.content != render(document_with(text_element(text="AAA", font_size=60))).content
    layout = text.layout_text(text_element(text="AAA", font_family="Acme Display"), fonts.account_fonts([entry]))
    assert {g.face.path for g in layout.glyphs} == {str(path)} and all(g.gid == 1 for g in layout.glyphs)


@pytest.mark.parametrize("flavor", ["woff", "woff2"])
def test_inspect_font_unpacks_woff_and_woff2_to_plain_sfnt(flavor: str) -> None:
    info = inspect_font(flavoured(LATO, flavor))
    assert (info["family"], info["weight"], info["italic"], info["format"]) == ("Lato", 400, False, flavor)
    assert info["ttf"][:4] == b"\x00\x01\x00\x00"
    unpacked = TTFont(io.BytesIO(info["ttf"]))
    assert unpacked.flavor is None
    assert unpacked.getBestCmap() == TTFont(str(LATO)).getBestCmap()


def invalid(data: bytes) -> RenderError:
    with pytest.raises(RenderError) as caught:
        inspect_font(data)
    assert caught.value.code == "invalid_font"
    return caught.value


def test_inspect_font_refuses_garbage_and_truncated_fonts() -> None:
    data = LATO.read_bytes()
    invalid(b"")
    invalid(b"not a font at all" * 100)
    invalid(b"\x89PNG\r\n\x1a\n" + data[8:])
    invalid(data[:2000])
    invalid(data[: len(data) // 2])
    invalid(data[:-100])
    invalid(flavoured(LATO, "woff2")[:-500])
    invalid(flavoured(LATO, "woff")[:3000])


def test_inspect_font_refuses_collections() -> None:
    collection = TTCollection()
    collection.fonts = [TTFont(str(LATO)), TTFont(str(ROBOTO))]
    out = io.BytesIO()
    collection.save(out)
    assert "collection" in invalid(out.getvalue()).message.lower()


def test_inspect_font_refuses_files_over_ten_megabytes() -> None:
    assert "10 MB" in invalid(LATO.read_bytes() + b"\0" * (10 * 1024 * 1024)).message


def test_inspect_font_refuses_a_font_without_a_character_map() -> None:
    font = TTFont(io.BytesIO(cff_font()))
    del font["cmap"]
    out = io.BytesIO()
    font.save(out)
    invalid(out.getvalue())


def test_inspect_font_refuses_a_woff_that_claims_to_inflate_past_the_limit() -> None:
    data = bytearray(flavoured(LATO, "woff"))
    # First table directory entry: tag, offset, compLength, origLength, checksum.
    tag, offset, comp_length, _, checksum = struct.unpack_from(">4sLLLL", data, 44)
    struct.pack_into(">4sLLLL", data, 44, tag, offset, comp_length, 200 * 1024 * 1024, checksum)
    invalid(bytes(data))


def test_inspect_font_refuses_woff2_fonts_too_big_to_convert_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "MAX_WOFF2_GLYPHS", 100)
    assert "WOFF2" in invalid(flavoured(LATO, "woff2")).message
    assert inspect_font(flavoured(LATO, "woff"))["format"] == "woff"
