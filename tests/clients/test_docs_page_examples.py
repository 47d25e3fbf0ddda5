"""The dashboard docs page's client snippets work as printed: logged in as the module's account over
HTTP, the Python and JavaScript snippets are copied from the page and run against the service."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

CLIENTS = Path(__file__).resolve().parents[2] / "clients"


@pytest.fixture(scope="module")
def browser(demo) -> requests.Session:
    """A signed-in dashboard session of the module's account."""
    browser = requests.Session()
    form = browser.get(f"{demo.base_url}/login", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = browser.post(
        f"{demo.base_url}/login",
        data={"csrfmiddlewaretoken": token, "login": demo.email, "password": demo.password},
        headers={"Referer": f"{demo.base_url}/login"},
        timeout=30,
    )
    assert answer.url.endswith("/dashboard/"), answer.url
    return browser


@pytest.fixture(scope="module")
def docs_page(demo, browser) -> str:
    return browser.get(f"{demo.base_url}/dashboard/docs", timeout=30).text


def example(page: str, slug: str) -> str:
    """The code of one quick-start example (its <section id=…>), as a user copies it."""
    block = page.split(f'<section class="card" id="{slug}"', 1)[1]
    return html.unescape(re.search(r'<code x-ref="source">(.*?)</code>', block, re.S).group(1))


def snippet(page: str, slug: str) -> str:
    block = page.split(f'data-testid="integration-{slug}"', 1)[1]
    return html.unescape(re.search(r'<code x-ref="source">(.*?)</code>', block, re.S).group(1))


def images_of(demo) -> set[str]:
    answer = demo.server.session(demo.test_key).get(f"{demo.base_url}/api/v1/images?limit=100", timeout=30)
    return {image["id"] for image in answer.json()["results"]}


def run_as_printed(demo, command: list[str], cwd: Path, **env: str) -> str:
    """Run a snippet with the two variables it asks for; returns the image id it printed."""
    before = images_of(demo)
    ran = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "IMAGIOR_API_KEY": demo.test_key, "IMAGIOR_BASE_URL": demo.base_url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    image_id, url = ran.stdout.split()
    assert image_id in images_of(demo) - before
    assert requests.get(url, timeout=30).content.startswith(b"\x89PNG")
    return image_id


def test_the_python_client_snippet_renders_as_printed(demo, docs_page, tmp_path):
    code = snippet(docs_page, "python-client")
    assert "export IMAGIOR_API_KEY=" in code
    (tmp_path / "render.py").write_text(code)
    # Outside the repository's root, where `imagior` would be the server's package.
    run_as_printed(demo, [sys.executable, "render.py"], tmp_path, PYTHONPATH=str(CLIENTS / "python" / "src"))


def test_the_javascript_client_snippet_renders_as_printed(demo, docs_page, tmp_path):
    code = snippet(docs_page, "js-client")
    (tmp_path / "render.mjs").write_text(code)
    # What `npm install ./clients/js` makes: node_modules/imagior (the package has no dependencies).
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "imagior").symlink_to(CLIENTS / "js")
    run_as_printed(demo, ["node", "render.mjs"], tmp_path)


def run_python(demo, code: str, tmp_path: Path) -> list[str]:
    """Run one snippet as printed, outside the repository (where `imagior` is the server's package)."""
    (tmp_path / "example.py").write_text(code)
    ran = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        env={
            **os.environ,
            "IMAGIOR_API_KEY": demo.test_key,
            "IMAGIOR_BASE_URL": demo.base_url,
            "PYTHONPATH": str(CLIENTS / "python" / "src"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.split()


def test_the_python_tabs_client_examples_run_as_printed(demo, browser, tmp_path):
    docs = f"{demo.base_url}/dashboard/docs?lang=python&template={demo.template}"
    page = browser.get(docs, timeout=30).text
    assert "import requests" not in page

    before = images_of(demo)
    image_id, url = run_python(demo, example(page, "render"), tmp_path)
    assert image_id in images_of(demo) - before
    assert requests.get(url, timeout=30).content.startswith(b"\x89PNG")

    pending, status, finished, url = run_python(demo, example(page, "render-async"), tmp_path)
    assert (status, finished) == ("pending", "completed") and pending in images_of(demo)
    assert requests.get(url, timeout=30).content.startswith(b"\x89PNG")

    count, *rows = run_python(demo, example(page, "list"), tmp_path)
    assert int(count) >= 2 and image_id in rows[0::3] and pending in rows[0::3]

    page = browser.get(docs, timeout=30).text  # now with one of the account's images to edit
    edit = example(page, "edit")
    assert "img_YOUR_IMAGE_ID" not in edit
    edited, url = run_python(demo, edit, tmp_path)
    assert edited not in before | {image_id, pending}
    assert requests.get(url, timeout=30).content.startswith(b"\x89PNG")

    before = images_of(demo)
    same, url = run_python(demo, example(page, "idempotency"), tmp_path)
    assert same == "True" and len(images_of(demo) - before) == 1  # the second create was replayed
