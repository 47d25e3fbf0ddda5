"""What a design template may contain, and how modifications apply to it.

One table (`FIELDS`) describes every element field of docs/designer.md: its kind, limits
and default. Validation, defaults, the modification shapes and (later) the JSON
Schema of a template are all read off that table. Pure code: no ORM.
"""

import re
from dataclasses import dataclass
from typing import Any

from lib.errors import InvalidInput, did_you_mean, field_error

NAME_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
MAX_ELEMENTS = 200
MAX_TEXT_LENGTH = 5000
MAX_SRC_LENGTH = 1_000_000
MIN_SIZE, MAX_SIZE = 1, 4000


@dataclass(frozen=True)
class Field:
    kind: str  # number, integer, boolean, string, color, choice
    default: Any = None
    required: bool = False
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None


COMMON = {
    "x": Field("number", 0, minimum=-100_000, maximum=100_000),
    "y": Field("number", 0, minimum=-100_000, maximum=100_000),
    "width": Field("number", required=True, minimum=0, maximum=100_000),
    "height": Field("number", required=True, minimum=0, maximum=100_000),
    "rotation": Field("number", 0, minimum=-3600, maximum=3600),
    "opacity": Field("number", 1, minimum=0, maximum=1),
    "hidden": Field("boolean", False),
    # The designer's lock: kept with the template so every editor sees it; the renderer ignores it.
    "locked": Field("boolean", False),
}

FIELDS: dict[str, dict[str, Field]] = {
    "text": {
        "text": Field("string", "", max_length=MAX_TEXT_LENGTH),
        "font_family": Field("string", "Inter", max_length=64),
        "font_size": Field("number", 32, minimum=1, maximum=2000),
        "font_weight": Field("integer", 400, minimum=100, maximum=900),
        "italic": Field("boolean", False),
        "color": Field("color", "#000000"),
        "align": Field("choice", "left", choices=("left", "center", "right")),
        "vertical_align": Field("choice", "top", choices=("top", "middle", "bottom")),
        "line_height": Field("number", 1.2, minimum=0.5, maximum=5),
        "letter_spacing": Field("number", 0, minimum=-200, maximum=200),
        "text_transform": Field("choice", "none", choices=("none", "uppercase", "lowercase")),
        "fit": Field("choice", "shrink", choices=("shrink", "none")),
        "min_font_size": Field("number", 8, minimum=1, maximum=2000),
        "max_lines": Field("integer", None, nullable=True, minimum=1, maximum=1000),
        "background_color": Field("color", None, nullable=True),
    },
    "rect": {
        "fill": Field("color", "#cccccc", nullable=True),
        "stroke": Field("color", None, nullable=True),
        "stroke_width": Field("number", 0, minimum=0, maximum=1000),
        "border_radius": Field("number", 0, minimum=0, maximum=100_000),
    },
    "ellipse": {
        "fill": Field("color", "#cccccc", nullable=True),
        "stroke": Field("color", None, nullable=True),
        "stroke_width": Field("number", 0, minimum=0, maximum=1000),
    },
    "image": {
        "src": Field("string", "", max_length=MAX_SRC_LENGTH),
        "fit": Field("choice", "cover", choices=("cover", "contain", "fill")),
        "border_radius": Field("number", 0, minimum=0, maximum=100_000),
    },
    "qr_code": {
        "value": Field("string", "", max_length=2000),
        "color": Field("color", "#000000"),
        "background_color": Field("color", "#ffffff", nullable=True),
    },
}
ELEMENT_TYPES = tuple(FIELDS)

# What a bare value in a modification sets, per element type.
PRIMARY_FIELD = {"text": "text", "image": "src", "qr_code": "value", "rect": "fill", "ellipse": "fill"}


# Fields for the editor alone: stored with the template, never drawn, never modified by a render.
EDITOR_FIELDS = frozenset({"locked"})


def fields_for(element_type: str) -> dict[str, Field]:
    return {**COMMON, **FIELDS[element_type]}


def modifiable_fields(element_type: str) -> dict[str, Field]:
    """The fields a render's modifications may set (and the modifications schema lists)."""
    return {name: spec for name, spec in fields_for(element_type).items() if name not in EDITOR_FIELDS}


def check_value(spec: Field, value: Any) -> tuple[Any, str | None]:
    """The cleaned value, or an error message."""
    if value is None:
        return (None, None) if spec.nullable else (None, "This field may not be null.")
    if spec.kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return None, "Must be a number."
        if spec.kind == "integer" and not float(value).is_integer():
            return None, "Must be a whole number."
        if value in (float("inf"), float("-inf")):
            return None, "Must be a finite number."
        if spec.minimum is not None and value < spec.minimum:
            return None, f"Must be at least {spec.minimum:g}."
        if spec.maximum is not None and value > spec.maximum:
            return None, f"Must be at most {spec.maximum:g}."
        return (int(value) if spec.kind == "integer" else value), None
    if spec.kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "Must be true or false.")
    if not isinstance(value, str):
        return None, "Must be a string."
    if spec.kind == "color":
        return (value, None) if COLOR_RE.match(value) else (None, "Must be a colour: #rgb, #rrggbb or #rrggbbaa.")
    if spec.kind == "choice":
        if value not in spec.choices:
            return None, f"Must be one of: {', '.join(spec.choices)}."
        return value, None
    if "\x00" in value:
        return None, "Must not contain NUL characters."
    if spec.max_length is not None and len(value) > spec.max_length:
        return None, f"Must be at most {spec.max_length} characters."
    return value, None


def clean_element(raw: Any, path: str) -> tuple[dict, list[dict]]:
    """Validate one element and fill its defaults."""
    if not isinstance(raw, dict):
        return {}, [field_error(path, "Each element must be an object.")]
    errors = []
    name, element_type = raw.get("name"), raw.get("type")
    if not isinstance(name, str) or not NAME_RE.match(name):
        errors.append(field_error(f"{path}.name", "Required: 1–64 characters of a-z, 0-9, _ and -."))
    if not isinstance(element_type, str) or element_type not in FIELDS:  # a JSON object is unhashable
        hint = did_you_mean(element_type, ELEMENT_TYPES) if isinstance(element_type, str) else ""
        errors.append(field_error(f"{path}.type", f"Must be one of: {', '.join(ELEMENT_TYPES)}.{hint}"))
        return {}, errors
    specs = fields_for(element_type)
    clean = {"name": name, "type": element_type}
    for key in raw:
        if key not in specs and key not in ("name", "type"):
            errors.append(
                field_error(f"{path}.{key}", f"Unknown field for a {element_type} element.{did_you_mean(key, specs)}")
            )
    for key, spec in specs.items():
        if key not in raw:
            if spec.required:
                errors.append(field_error(f"{path}.{key}", "This field is required.", "required"))
            clean[key] = spec.default
            continue
        value, message = check_value(spec, raw[key])
        if message:
            errors.append(field_error(f"{path}.{key}", message))
        clean[key] = value
    return clean, errors


def clean_elements(raw: Any, path: str = "elements") -> list[dict]:
    """Validate a whole element list; raises InvalidInput listing every problem."""
    if not isinstance(raw, list):
        raise InvalidInput([field_error(path, "Must be a list of elements.")])
    if len(raw) > MAX_ELEMENTS:
        raise InvalidInput([field_error(path, f"At most {MAX_ELEMENTS} elements.")])
    cleaned, errors, seen = [], [], set()
    for index, item in enumerate(raw):
        element, problems = clean_element(item, f"{path}[{index}]")
        errors += problems
        name = element.get("name")
        if not isinstance(name, str):  # reported by clean_element
            continue
        if name in seen:
            errors.append(
                field_error(f"{path}[{index}].name", f"Another element is already named {name!r}.", "duplicate")
            )
        seen.add(name)
        cleaned.append(element)
    if errors:
        raise InvalidInput(errors)
    return cleaned


# --- Modifications ------------------------------------------------------------


def normalise_modifications(raw: Any) -> list[tuple[str, dict]]:
    """Turn any of the three shapes into a list of (path, {"name", field: value}).

    - list: [{"name": "title", "text": "Hi"}]
    - map: {"title": {"text": "Hi"}} or {"title": "Hi"}
    - flat map: {"title": "Hi", "title.color": "#fff"}
    A bare value is kept under the key "" and resolved once the element's type is known.
    """
    if raw is None:
        return []
    items: dict[str, dict] = {}
    paths: dict[str, str] = {}
    errors = []

    def add(name: Any, field: str, value: Any, path: str) -> None:
        if not isinstance(name, str) or not name:
            errors.append(field_error(path, "Each modification needs the element's name."))
            return
        paths.setdefault(name, path)
        items.setdefault(name, {"name": name})[field] = value

    if isinstance(raw, list):
        for index, item in enumerate(raw):
            path = f"modifications[{index}]"
            if not isinstance(item, dict):
                errors.append(field_error(path, "Each modification must be an object with a name."))
                continue
            name = item.get("name")
            if "name" not in item:
                errors.append(field_error(f"{path}.name", "Each modification needs the element's name.", "required"))
                continue
            if not isinstance(name, str) or not name:
                errors.append(field_error(f"{path}.name", "The element's name must be a non-empty string."))
                continue
            for field, value in item.items():
                if field != "name":
                    add(name, field, value, path)
            if isinstance(name, str) and name:
                items.setdefault(name, {"name": name})
                paths.setdefault(name, path)
    elif isinstance(raw, dict):
        for key, value in raw.items():
            path = f"modifications.{key}"
            if "." in key:
                name, field = key.split(".", 1)
                add(name, field, value, path)
            elif isinstance(value, dict):
                for field, inner in value.items():
                    add(key, field, inner, f"{path}.{field}")
                items.setdefault(key, {"name": key})
                paths.setdefault(key, path)
            else:
                add(key, "", value, path)
    else:
        errors.append(field_error("modifications", "Must be a list or an object."))
    if errors:
        raise InvalidInput(errors)
    return [(paths[name], item) for name, item in items.items()]


def merge_modifications(original: list[dict], changes) -> list[dict]:
    """`changes` (any shape) laid over an image's normalised modifications, per element and field."""
    merged = {item["name"]: dict(item) for item in original}
    for _path, change in normalise_modifications(changes):
        merged.setdefault(change["name"], {"name": change["name"]}).update(change)
    return list(merged.values())


def apply_modifications(elements: list[dict], raw: Any) -> tuple[list[dict], list[dict]]:
    """Elements with the modifications applied and validated, plus the normalised list.

    Raises InvalidInput (code "unknown_element" for a name the template lacks).
    """
    by_name = {element["name"]: index for index, element in enumerate(elements)}
    result = [dict(element) for element in elements]
    normalised, errors = [], []
    for path, change in normalise_modifications(raw):
        name = change["name"]
        if name not in by_name:
            hint = did_you_mean(name, by_name) or (" Elements: " + ", ".join(by_name) + "." if by_name else "")
            raise InvalidInput(
                [field_error(f"{path}.name", f"This template has no element named {name!r}.{hint}", "unknown_element")],
                code="unknown_element",
            )
        element = result[by_name[name]]
        specs = modifiable_fields(element["type"])
        clean = {"name": name}
        for field, value in change.items():
            if field == "name":
                continue
            if field == "":
                field = PRIMARY_FIELD[element["type"]]
            if field == "type":
                errors.append(field_error(f"{path}.type", "An element's type cannot be modified."))
                continue
            if field not in specs:
                hint = did_you_mean(field, specs)
                errors.append(
                    field_error(f"{path}.{field}", f"A {element['type']} element has no field {field!r}.{hint}")
                )
                continue
            cleaned, message = check_value(specs[field], value)
            if message:
                errors.append(field_error(f"{path}.{field}", message))
                continue
            clean[field] = cleaned
        element.update({k: v for k, v in clean.items() if k != "name"})
        normalised.append(clean)
    if errors:
        raise InvalidInput(errors)
    return result, normalised


def drawable(elements: list[dict]) -> list[dict]:
    """The elements the renderer draws: hidden ones and empty images or QR codes are skipped."""
    shown = []
    for element in elements:
        if element.get("hidden"):
            continue
        if element["type"] == "image" and not element.get("src"):
            continue
        if element["type"] == "qr_code" and not element.get("value"):
            continue
        shown.append(element)
    return shown


# --- Templates ----------------------------------------------------------------

TEMPLATE_FIELDS = {
    "name": Field("string", "Untitled", max_length=200),
    "width": Field("integer", required=True, minimum=MIN_SIZE, maximum=MAX_SIZE),
    "height": Field("integer", required=True, minimum=MIN_SIZE, maximum=MAX_SIZE),
    "background": Field("color", "#ffffff", nullable=True),
}


def clean_template(data: Any, *, partial: bool = False) -> dict:
    """Validate a template body (all of it, or with `partial` only the fields given).

    Returns the cleaned fields; raises InvalidInput listing every problem.
    """
    if not isinstance(data, dict):
        raise InvalidInput([field_error("body", "Must be a JSON object.")])
    errors, clean = [], {}
    allowed = {*TEMPLATE_FIELDS, "elements"}
    read_only = {"id", "version", "preview_url", "created_at", "updated_at"}
    for key in data:
        if key not in allowed and key not in read_only:
            errors.append(field_error(key, f"Unknown field.{did_you_mean(key, allowed)}"))
    for key, spec in TEMPLATE_FIELDS.items():
        if key not in data:
            if partial:
                continue
            if spec.required:
                errors.append(field_error(key, "This field is required.", "required"))
                continue
            clean[key] = spec.default
            continue
        value, message = check_value(spec, data[key])
        if message:
            errors.append(field_error(key, message))
        else:
            clean[key] = value
    if "name" in clean and not clean["name"].strip():
        errors.append(field_error("name", "May not be blank."))
    if "elements" in data or not partial:
        try:
            clean["elements"] = clean_elements(data.get("elements", []))
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput(errors)
    return clean
