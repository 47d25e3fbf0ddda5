"""integrations/mcp: the imagior-mcp server spoken to over stdio by the MCP Python client,
against the real service."""

import base64
import contextlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from PIL import Image

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "integrations" / "mcp"


@contextlib.asynccontextmanager
async def connected(base_url: str, api_key: str | None):
    """A client session with `python -m imagior_mcp` from the source tree as a subprocess."""
    env = {"PYTHONPATH": str(PACKAGE / "src"), "IMAGIOR_BASE_URL": base_url}
    if api_key:
        env["IMAGIOR_API_KEY"] = api_key
    params = StdioServerParameters(command=sys.executable, args=["-m", "imagior_mcp"], env=env, cwd=str(ROOT))
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


class Agent:
    """A synchronous face on one MCP client session (importing the SDK takes the server
    seconds, so the tests share one process where they can)."""

    def __init__(self, portal: BlockingPortal, session: ClientSession):
        self.portal = portal
        self.session = session

    def call(self, tool: str, arguments: dict | None = None):
        return self.portal.call(self.session.call_tool, tool, arguments or {})

    def list_tools(self):
        return self.portal.call(self.session.list_tools).tools


@contextlib.contextmanager
def agent(base_url: str, api_key: str | None):
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(connected(base_url, api_key)) as session,
    ):
        yield Agent(portal, session)


@pytest.fixture(scope="module")
def live(demo):
    with agent(demo.base_url, demo.live_key) as connected_agent:
        yield connected_agent


def texts(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def images(result) -> list:
    return [block for block in result.content if block.type == "image"]


def blog_card(demo) -> dict:
    answer = demo.server.session(demo.live_key).get(f"{demo.base_url}/api/v1/templates/{demo.template}", timeout=30)
    answer.raise_for_status()
    return answer.json()


def test_it_offers_the_five_tools_with_their_arguments(live):
    tools = {tool.name: tool for tool in live.list_tools()}
    assert set(tools) == {"list_templates", "get_template_schema", "render_image", "get_image", "get_account"}
    schema = {name: tool.input_schema for name, tool in tools.items()}
    assert schema["list_templates"]["properties"] == {}
    assert schema["get_account"]["properties"] == {}
    assert schema["get_template_schema"]["required"] == ["template"]
    assert schema["get_image"]["required"] == ["image"]
    render = schema["render_image"]
    assert render["required"] == ["template", "modifications"]
    assert set(render["properties"]) == {"template", "modifications", "format", "scale"}
    assert {option["type"] for option in render["properties"]["modifications"]["anyOf"]} == {"array", "object"}
    formats = next(o for o in render["properties"]["format"]["anyOf"] if o.get("type") == "string")
    assert formats["enum"] == ["png", "jpeg", "webp", "pdf"]
    scale = next(o for o in render["properties"]["scale"]["anyOf"] if o.get("type") == "number")
    assert (scale["minimum"], scale["maximum"]) == (0.1, 4)
    assert tools["get_image"].annotations.read_only_hint is True
    assert tools["render_image"].annotations.read_only_hint is False
    assert all(tool.description for tool in tools.values())


def test_list_templates_shows_the_blog_card_and_its_elements(demo, live):
    result = live.call("list_templates")
    assert not result.is_error
    card = next(t for t in json.loads(texts(result)) if t["name"] == "Blog card")
    template = blog_card(demo)
    assert card["id"] == demo.template
    assert (card["width"], card["height"]) == (template["width"], template["height"])
    assert card["elements"] == [{"name": e["name"], "type": e["type"]} for e in template["elements"]]


def test_get_template_schema_is_the_apis_schema(demo, live):
    result = live.call("get_template_schema", {"template": demo.template})
    assert not result.is_error
    answer = demo.server.session(demo.live_key).get(
        f"{demo.base_url}/api/v1/templates/{demo.template}/schema", timeout=30
    )
    assert json.loads(texts(result)) == answer.json()
    assert "title" in answer.json()["$defs"]


def test_render_image_returns_its_id_url_and_the_png_and_get_image_reads_it_back(demo, live):
    template = blog_card(demo)
    before = demo.balance()
    rendered = live.call("render_image", {"template": demo.template, "modifications": {"title": "Hello from an agent"}})
    assert not rendered.is_error, texts(rendered)
    text = texts(rendered)
    image_id = text.split()[1]
    assert image_id.startswith("img_")
    url = next(line.removeprefix("URL: ") for line in text.splitlines() if line.startswith("URL: "))
    assert f"Credits used: 1 (balance now {before - 1})" in text
    assert demo.balance() == before - 1

    [attached] = images(rendered)
    assert attached.mime_type == "image/png"
    png = base64.b64decode(attached.data)
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    assert picture.size == (template["width"], template["height"])
    assert requests.get(url, timeout=30).content == png
    api_image = demo.server.session(demo.live_key).get(f"{demo.base_url}/api/v1/images/{image_id}", timeout=30).json()
    assert api_image["url"] == url
    assert {"name": "title", "text": "Hello from an agent"}.items() <= next(
        m for m in api_image["modifications"] if m["name"] == "title"
    ).items()

    read_back = live.call("get_image", {"image": image_id})
    assert not read_back.is_error
    assert texts(read_back).startswith(f"Image {image_id} (completed)")
    assert f"URL: {url}" in texts(read_back)
    assert base64.b64decode(images(read_back)[0].data) == png
    assert demo.balance() == before - 1


def test_render_image_takes_a_format_a_scale_and_the_list_shape(demo, live):
    template = blog_card(demo)
    result = live.call(
        "render_image",
        {
            "template": demo.template,
            "modifications": [{"name": "title", "text": "Small"}],
            "format": "jpeg",
            "scale": 0.5,
        },
    )
    assert not result.is_error, texts(result)
    [attached] = images(result)
    assert attached.mime_type == "image/jpeg"
    picture = Image.open(io.BytesIO(base64.b64decode(attached.data)))
    assert picture.format == "JPEG"
    assert picture.size == (template["width"] // 2, template["height"] // 2)


def test_get_account_shows_the_balance_but_not_the_secrets(demo, live):
    result = live.call("get_account")
    assert not result.is_error
    account = json.loads(texts(result))
    assert account["credits"]["balance"] == demo.balance()
    assert account["key"]["mode"] == "live"
    assert "secrets" not in account
    assert "uss_" not in texts(result) and "whsec_" not in texts(result)


def test_an_unknown_template_is_a_tool_error_with_the_servers_code(demo, live):
    before = demo.balance()
    result = live.call("render_image", {"template": "tpl_doesnotexist", "modifications": {"title": "x"}})
    assert result.is_error
    assert "Imagior API error 404 not_found" in texts(result)
    assert "request id req_" in texts(result)
    assert "Traceback" not in texts(result)
    assert demo.balance() == before

    schema = live.call("get_template_schema", {"template": "tpl_doesnotexist"})
    assert schema.is_error
    assert "404 not_found" in texts(schema)


def test_an_unknown_element_is_a_tool_error_with_the_servers_code(demo, live):
    result = live.call("render_image", {"template": demo.template, "modifications": {"titel": "x"}})
    assert result.is_error
    assert "400 unknown_element" in texts(result)
    assert "title" in texts(result)


def test_a_wrong_key_and_a_missing_key_are_tool_errors(demo):
    with agent(demo.base_url, "imk_live_" + "x" * 32) as wrong_key:
        wrong = wrong_key.call("get_account")
    assert wrong.is_error
    assert "401 invalid_api_key" in texts(wrong)
    with agent(demo.base_url, None) as no_key:
        missing = no_key.call("get_account")
    assert missing.is_error
    assert "IMAGIOR_API_KEY is not set" in texts(missing)


def test_a_dropped_render_is_retried_with_the_same_idempotency_key_and_charged_once(demo, dropping_proxy):
    before = demo.balance()
    dropping_proxy.drop(1, "POST", "/api/v1/images")
    with agent(dropping_proxy.url, demo.live_key) as through_proxy:
        result = through_proxy.call("render_image", {"template": demo.template, "modifications": {"title": "Once"}})
    assert not result.is_error, texts(result)
    posts = [seen for seen in dropping_proxy.seen if seen["method"] == "POST"]
    assert [p["dropped"] for p in posts] == [True, False]
    assert posts[0]["idempotency_key"] and posts[0]["idempotency_key"] == posts[1]["idempotency_key"]
    assert demo.balance() == before - 1
    assert demo.check_ledger().startswith("OK")
    assert len(images(result)) == 1


def test_the_package_builds_a_wheel_with_the_console_script(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(PACKAGE),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    [wheel] = tmp_path.glob("imagior_mcp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "imagior_mcp/server.py" in names
    assert "imagior-mcp = imagior_mcp.server:main" in entry_points
    assert "Requires-Python: >=3.10" in metadata
    assert "Requires-Dist: mcp" in metadata and "Requires-Dist: httpx" in metadata
