"""The `imagior-mcp` stdio server: Imagior's templates, renders and account as MCP tools."""

from __future__ import annotations

import argparse
import base64
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal
from urllib.parse import quote

import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent, TextContent, ToolAnnotations
from pydantic import Field

from imagior_mcp import __version__
from imagior_mcp.api import ApiError, ConfigurationError, ImagiorAPI

# Bigger files are left at their URL: base64 in a tool result costs the agent's context.
MAX_INLINE_BYTES = 1024 * 1024
INLINE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_TEMPLATES = 1000

INSTRUCTIONS = """\
Imagior renders images (social cards, banners, certificates…) from design templates.
To make an image: call list_templates to find a template and its elements, then
get_template_schema to see which fields each element takes, then render_image with
modifications such as {"title": "Hello", "title.color": "#ffffff"}. A render with a
live key costs one credit; get_account shows the balance."""

server = MCPServer(name="imagior", version=__version__, instructions=INSTRUCTIONS)

Content = TextContent | ImageContent
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)

TemplateId = Annotated[str, Field(description="The template's id (tpl_…), as list_templates shows it.")]
ImageId = Annotated[str, Field(description="The image's id (img_…), as render_image returned it.")]
Modifications = Annotated[
    list[dict[str, Any]] | dict[str, Any],
    Field(
        description=(
            "What to change in the template, by element name. Any of three shapes: a flat map "
            '{"title": "Hello", "title.color": "#ffffff", "photo": "https://…/a.jpg"} (a bare value sets a '
            "text's text, an image's src, a QR code's value); a map of objects "
            '{"title": {"text": "Hello", "color": "#ffffff"}}; or a list '
            '[{"name": "title", "text": "Hello"}]. Elements left out keep the template\'s values.'
        )
    ),
]
ImageFormat = Annotated[
    Literal["png", "jpeg", "webp", "pdf"] | None,
    Field(description="Output format; png when left out."),
]
Scale = Annotated[
    float | None,
    Field(ge=0.1, le=4, description="Multiplies the template's pixel size (0.1–4); 1 when left out."),
]


@asynccontextmanager
async def imagior() -> AsyncIterator[ImagiorAPI]:
    """An API client for one tool call; the API's problems become the tool's error."""
    try:
        async with ImagiorAPI() as api:
            yield api
    except (ApiError, ConfigurationError) as exc:
        raise ToolError(str(exc)) from None


def path_segment(value: str) -> str:
    if value in {"", ".", ".."}:
        raise ToolError(f"Not an id: {value!r}")
    return quote(value, safe="")


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@server.tool(annotations=READ_ONLY, structured_output=False)
async def list_templates() -> str:
    """List the account's design templates: id, name, size in pixels and their elements' names and types."""
    templates: list[dict[str, Any]] = []
    total = 0
    async with imagior() as api:
        while len(templates) < MAX_TEMPLATES:
            page = (await api.get("templates", params={"limit": 100, "offset": len(templates)})).body
            total = page["count"]
            templates.extend(page["results"])
            if not page["next"] or not page["results"]:
                break
    listing = [
        {
            "id": t["id"],
            "name": t["name"],
            "width": t["width"],
            "height": t["height"],
            "version": t.get("version"),
            "elements": [{"name": e.get("name"), "type": e.get("type")} for e in t.get("elements") or []],
        }
        for t in templates
    ]
    text = as_json(listing)
    if total > len(listing):
        text += f"\n(the first {len(listing)} of {total} templates)"
    return text


@server.tool(annotations=READ_ONLY, structured_output=False)
async def get_template_schema(template: TemplateId) -> str:
    """The JSON Schema of the modifications a template accepts: every element, its fields, types, limits
    and current values. Read it before render_image."""
    async with imagior() as api:
        schema = (await api.get(f"templates/{path_segment(template)}/schema")).body
    # Compact: the schema is the largest answer and every byte of it lands in the agent's context.
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


@server.tool(
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True),
    structured_output=False,
)
async def render_image(
    template: TemplateId,
    modifications: Modifications,
    format: ImageFormat = None,
    scale: Scale = None,
) -> list[Content]:
    """Render an image from a template with the given modifications. Returns the image's id and public URL
    and, when the file is under 1 MB, the image itself. Costs one credit with a live key (test keys are
    free and watermark the image)."""
    body: dict[str, Any] = {"template": template, "modifications": modifications}
    if format is not None:
        body["format"] = format
    if scale is not None:
        body["scale"] = scale
    async with imagior() as api:
        answer = await api.post("images", body)
        return await describe_image(api, answer.body, balance=answer.headers.get("x-credits-remaining"))


@server.tool(annotations=READ_ONLY, structured_output=False)
async def get_image(image: ImageId) -> list[Content]:
    """An image's status, URL, size and warnings (and the image itself when it is finished and under 1 MB)."""
    async with imagior() as api:
        found = (await api.get(f"images/{path_segment(image)}")).body
        return await describe_image(api, found)


@server.tool(annotations=READ_ONLY, structured_output=False)
async def get_account() -> str:
    """The account behind the API key: plan, credit balance, credits used this period and the key's mode."""
    async with imagior() as api:
        account = (await api.get("account")).body
    # Signing secrets would let whoever reads the conversation mint paid image URLs.
    account.pop("secrets", None)
    return as_json(account)


async def describe_image(api: ImagiorAPI, image: dict[str, Any], balance: str | None = None) -> list[Content]:
    status = image.get("status")
    lines = [f"Image {image['id']} ({status})", f"URL: {image.get('url') or '(none yet)'}"]
    lines.append(f"Template: {image.get('template')} (version {image.get('template_version')})")
    if image.get("width"):
        size = f"{image.get('format')}, {image['width']}×{image['height']} px"
        if image.get("file_size"):
            size += f", {image['file_size']} bytes"
        lines.append(f"Format: {size}")
    credits = f"Credits used: {image.get('credits_used', 0)}"
    if balance is not None:
        credits += f" (balance now {balance})"
    lines.append(credits)
    if image.get("sandbox"):
        lines.append("Sandbox: rendered with a test key — free, with a SANDBOX watermark.")
    for warning in image.get("warnings") or []:
        lines.append(f"Warning: {warning.get('code')} {warning.get('element') or ''}: {warning.get('message')}")
    if status == "failed" and image.get("error"):
        lines.append(f"Error: {image['error'].get('code')}: {image['error'].get('message')}")

    content: list[Content] = []
    mime = INLINE_TYPES.get(image.get("format") or "")
    if status == "completed" and image.get("url") and mime:
        data = None
        try:
            if (image.get("file_size") or 0) <= MAX_INLINE_BYTES:
                data = await api.download(image["url"], MAX_INLINE_BYTES)
        except httpx.HTTPError as exc:
            lines.append(f"The file is not attached: its URL could not be read ({type(exc).__name__}).")
        else:
            if data is None:
                lines.append("The file is over 1 MB, so it is not attached: fetch it from the URL.")
            else:
                content.append(ImageContent(type="image", data=base64.b64encode(data).decode(), mime_type=mime))
    return [TextContent(type="text", text="\n".join(lines)), *content]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="imagior-mcp",
        description="Imagior's MCP server on stdio. Set IMAGIOR_API_KEY (and IMAGIOR_BASE_URL for your server).",
    )
    parser.add_argument("--version", action="version", version=f"imagior-mcp {__version__}")
    parser.parse_args()
    # httpx logs every request at INFO, image URLs included: they are unguessable, keep them out of logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server.run("stdio")
