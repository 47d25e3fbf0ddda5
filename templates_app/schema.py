"""The JSON Schema (2020-12) of the modifications a template accepts.

SDKs and no-code tools (Zapier's dynamic fields) are generated from it. One
`$defs` entry per element gives every field its type, limits, enum and default
(the template's current value); the accepted body is either the list shape or
one object that covers both the map shape ("title": {...} or "title": "Hi") and
the flat shape ("title.color": "#fff").
"""

from django.conf import settings
from django.urls import reverse

from templates_app.elements import COLOR_RE, PRIMARY_FIELD, Field, modifiable_fields
from templates_app.models import DesignTemplate

JSON_TYPES = {"number": "number", "integer": "integer", "boolean": "boolean", "string": "string", "color": "string"}


def base_field_schema(spec: Field) -> dict:
    """A field's type, enum or pattern and limits: what JSON Schema and OpenAPI 3.0 share."""
    if spec.kind == "choice":
        schema: dict = {"type": "string", "enum": list(spec.choices)}
    else:
        schema = {"type": JSON_TYPES[spec.kind]}
        if spec.kind == "color":
            schema["pattern"] = COLOR_RE.pattern
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    if spec.max_length is not None:
        schema["maxLength"] = spec.max_length
    return schema


def field_schema(spec: Field, default) -> dict:
    """The JSON Schema 2020-12 of one field, with `default` (the template's current value)."""
    schema = base_field_schema(spec)
    if spec.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "default": default}


def modifications_schema(template: DesignTemplate) -> dict:
    """The schema of `modifications` for this template."""
    definitions, list_items, map_properties = {}, [], {}
    for element in template.elements:
        name, element_type = element["name"], element["type"]
        fields = {
            field: field_schema(spec, element.get(field, spec.default))
            for field, spec in modifiable_fields(element_type).items()
        }
        primary = PRIMARY_FIELD[element_type]
        definitions[name] = {
            "title": f"{name} ({element_type})",
            "type": "object",
            "properties": fields,
            "additionalProperties": False,
            "x-imagior-type": element_type,
            "x-imagior-primary-field": primary,
        }
        list_items.append(
            {
                "type": "object",
                "properties": {
                    "name": {"const": name},
                    **{field: {"$ref": f"#/$defs/{name}/properties/{field}"} for field in fields},
                },
                "required": ["name"],
                "additionalProperties": False,
            }
        )
        map_properties[name] = {
            "anyOf": [{"$ref": f"#/$defs/{name}"}, {"$ref": f"#/$defs/{name}/properties/{primary}"}]
        }
        for field in fields:
            map_properties[f"{name}.{field}"] = {"$ref": f"#/$defs/{name}/properties/{field}"}
    path = reverse("template-schema", kwargs={"template_id": template.public_id})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": settings.PUBLIC_BASE_URL + path,
        "title": f"Modifications for {template.name}",
        "description": "A list of {name, field: value} objects, or one object keyed by element name or name.field.",
        "x-imagior-template": template.public_id,
        "x-imagior-template-version": template.version,
        "anyOf": [
            {"type": "array", "items": {"oneOf": list_items} if list_items else False},
            {"type": "object", "properties": map_properties, "additionalProperties": False},
        ],
        "$defs": definitions,
    }
