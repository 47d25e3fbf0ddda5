"""The renderer's input: a template with its modifications applied and the fonts it names.

Used by renders (templates_app/services.py) and by previews and thumbnails
(templates_app/previews.py), which therefore need not import each other.
"""

import os
from pathlib import Path

from django.conf import settings

from templates_app import rendering
from templates_app.elements import apply_modifications, drawable
from templates_app.models import DesignTemplate, UserFont


def prepare_document(*, user, template: DesignTemplate, modifications=None) -> tuple[dict, list[dict], list[dict]]:
    """The renderer's input for `template` with `modifications` applied: the document,
    the normalised modifications and warnings found on the way (unknown fonts)."""
    elements, normalised = apply_modifications(template.elements, modifications)
    shown = drawable(elements)
    document = template.document(shown)
    fonts, warnings = _fonts_for(user, shown)
    if fonts:
        document["fonts"] = fonts
    return document, normalised, warnings


def _fonts_for(user, elements: list[dict]) -> tuple[list[dict], list[dict]]:
    """The account fonts these text elements name, and a warning for each family nobody has."""
    shipped = {name.casefold() for name in rendering.fonts.family_names()}
    wanted = {el["font_family"].casefold() for el in elements if el["type"] == "text"} - shipped
    if not wanted:
        return [], []
    fonts = [font for font in account_fonts(user) if font["family"].casefold() in wanted]
    found = {font["family"].casefold() for font in fonts}
    warnings = [
        {
            "code": "font_not_found",
            "element": el["name"],
            "message": f"No font named {el['font_family']!r} in the catalogue or this account; drawn with Inter.",
        }
        for el in elements
        if el["type"] == "text" and el["font_family"].casefold() in wanted - found
    ]
    return fonts, warnings


def account_fonts(owner) -> list[dict]:
    """The account's fonts as the renderer takes them: family, weight, italic and a local path
    (plus the stored name, so another machine can make its own copy: see `localized`)."""
    return [
        {
            "family": font.family,
            "weight": font.weight,
            "italic": font.italic,
            "name": font.file.name,
            "path": local_path(font.file.storage, font.file.name),
        }
        for font in UserFont.objects.filter(owner=owner)
    ]


def localized(document: dict) -> dict:
    """The document with its account fonts' paths valid on this machine: an asynchronous
    render may run on another machine than the one that accepted it (docs/deploy.md)."""
    fonts = document.get("fonts")
    if not fonts:
        return document
    storage = UserFont._meta.get_field("file").storage
    return {
        **document,
        "fonts": [{**font, "path": local_path(storage, font["name"])} if font.get("name") else font for font in fonts],
    }


def local_path(storage, name: str) -> str:
    """A path on this machine for a stored file (copied to a local cache when storage is remote)."""
    try:
        return storage.path(name)
    except NotImplementedError:
        cached = Path(settings.MEDIA_CACHE_DIR) / name
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as source:
                data = source.read()
            # Written aside and renamed: another worker never reads half a font.
            partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")
            partial.write_bytes(data)
            partial.replace(cached)
        return str(cached)
