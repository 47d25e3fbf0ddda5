import pytest

from templates_app.elements import (
    InvalidInput,
    apply_modifications,
    clean_elements,
    clean_template,
    merge_modifications,
)

TITLE = {"name": "title", "type": "text", "x": 10, "y": 10, "width": 300, "height": 100, "text": "Hi"}
PHOTO = {"name": "photo", "type": "image", "x": 0, "y": 0, "width": 100, "height": 100, "src": ""}
QR = {"name": "qr", "type": "qr_code", "x": 0, "y": 0, "width": 100, "height": 100, "value": "a"}
BOX = {"name": "box", "type": "rect", "x": 0, "y": 0, "width": 100, "height": 100}


def fields_of(exc: InvalidInput) -> set[str]:
    return {error["field"] for error in exc.errors}


def test_defaults_are_filled_from_the_spec():
    [text, rect] = clean_elements([TITLE, BOX])
    assert text["font_family"] == "Inter" and text["font_size"] == 32 and text["fit"] == "shrink"
    assert text["rotation"] == 0 and text["opacity"] == 1 and text["hidden"] is False
    assert text["max_lines"] is None and text["line_height"] == 1.2
    assert rect["fill"] == "#cccccc" and rect["stroke"] is None and rect["border_radius"] == 0


def test_every_bad_field_is_reported_with_its_path():
    bad = [
        {**TITLE, "font_weight": 950, "color": "red", "align": "justify", "opacity": 2},
        {**BOX, "name": "Bad Name", "stroke_width": -1},
        {**BOX, "name": "title"},
        {"name": "x", "type": "circle", "width": 1, "height": 1},
    ]
    with pytest.raises(InvalidInput) as caught:
        clean_elements(bad)
    assert fields_of(caught.value) >= {
        "elements[0].font_weight",
        "elements[0].color",
        "elements[0].align",
        "elements[0].opacity",
        "elements[1].name",
        "elements[1].stroke_width",
        "elements[2].name",
        "elements[3].type",
    }


def test_unknown_fields_get_a_did_you_mean():
    with pytest.raises(InvalidInput) as caught:
        clean_elements([{**TITLE, "font_sise": 40}])
    assert "Did you mean 'font_size'" in caught.value.errors[0]["message"]


def test_template_size_limits():
    with pytest.raises(InvalidInput) as caught:
        clean_template({"name": "x", "width": 0, "height": 4001, "elements": []})
    assert fields_of(caught.value) == {"width", "height"}
    clean = clean_template({"width": 10, "height": 10, "background": None})
    assert clean["background"] is None and clean["elements"] == []


@pytest.mark.parametrize(
    "modifications",
    [
        [{"name": "title", "text": "Hello", "color": "#ffffff"}, {"name": "photo", "src": "data:x"}],
        {"title": {"text": "Hello", "color": "#ffffff"}, "photo": "data:x"},
        {"title": "Hello", "title.color": "#ffffff", "photo": "data:x"},
    ],
)
def test_the_three_modification_shapes_mean_the_same(modifications):
    elements = clean_elements([TITLE, PHOTO, QR])
    result, normalised = apply_modifications(elements, modifications)
    assert result[0]["text"] == "Hello" and result[0]["color"] == "#ffffff"
    assert result[1]["src"] == "data:x"
    assert result[2]["value"] == "a"
    assert normalised == [{"name": "title", "text": "Hello", "color": "#ffffff"}, {"name": "photo", "src": "data:x"}]
    assert elements[0]["text"] == "Hi", "the template itself is not changed"


def test_a_bare_value_sets_the_qr_value():
    result, _ = apply_modifications(clean_elements([QR]), {"qr": "https://example.com"})
    assert result[0]["value"] == "https://example.com"


def test_an_unknown_element_is_refused_with_a_suggestion():
    with pytest.raises(InvalidInput) as caught:
        apply_modifications(clean_elements([TITLE]), {"titel": "Hi"})
    assert caught.value.code == "unknown_element"
    assert "Did you mean 'title'" in caught.value.errors[0]["message"]


def test_modified_values_are_validated_and_name_and_type_are_fixed():
    with pytest.raises(InvalidInput) as caught:
        apply_modifications(
            clean_elements([TITLE]), [{"name": "title", "font_size": "big", "type": "rect", "colour": "#fff"}]
        )
    assert fields_of(caught.value) == {
        "modifications[0].font_size",
        "modifications[0].type",
        "modifications[0].colour",
    }
    assert "Did you mean 'color'" in " ".join(e["message"] for e in caught.value.errors)


def test_modifications_must_be_a_list_or_an_object():
    with pytest.raises(InvalidInput):
        apply_modifications(clean_elements([TITLE]), "title=Hi")
    with pytest.raises(InvalidInput):
        apply_modifications(clean_elements([TITLE]), [{"text": "no name"}])


@pytest.mark.parametrize("name", [{}, [], 3, ""])
def test_a_modification_whose_name_is_not_a_string_is_refused_even_without_fields(name):
    # Found by Schemathesis: [{"name": {}}] was silently dropped and the edit went through.
    with pytest.raises(InvalidInput) as caught:
        merge_modifications([], [{"name": name}])
    assert caught.value.errors[0]["field"] == "modifications[0].name"


def test_locked_is_a_boolean_kept_with_the_element_and_ignored_by_the_renderer():
    from templates_app.rendering import build_svg

    [box] = clean_elements([BOX])
    assert box["locked"] is False
    [locked] = clean_elements([{**BOX, "locked": True}])
    assert locked["locked"] is True
    with pytest.raises(InvalidInput) as caught:
        clean_elements([{**BOX, "locked": "yes"}])
    assert fields_of(caught.value) == {"elements[0].locked"}
    document = {"width": 100, "height": 100, "background": "#ffffff"}
    assert build_svg({**document, "elements": [locked]}) == build_svg({**document, "elements": [box]})


def test_a_render_cannot_modify_the_editors_lock():
    elements = clean_elements([BOX])
    with pytest.raises(InvalidInput) as caught:
        apply_modifications(elements, [{"name": "box", "locked": True}])
    assert fields_of(caught.value) == {"modifications[0].locked"}
