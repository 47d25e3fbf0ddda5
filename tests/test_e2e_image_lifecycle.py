"""Issue 9 through real processes: an image deleted while the task worker renders it
(gunicorn + db_worker of bin/run, real HTTP). The worker is held inside its render
by a picture server that answers only when the test says so."""

import base64
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import last_line

pytestmark = pytest.mark.e2e


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 128, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


class HeldPicture:
    """Serves one PNG; each GET waits until `release` is set and marks `asked` on arrival."""

    def __init__(self) -> None:
        self.asked, self.release = threading.Event(), threading.Event()
        held = self
        body = png_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                held.asked.set()
                held.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/photo.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    pytest.fail("timed out")


def test_an_image_deleted_while_the_worker_renders_it_is_refunded_and_leaves_no_file(server):
    held = HeldPicture()
    try:
        server.manage("create_account", "lifecycle@example.com", "--plan", "starter", "--credits", "10")
        api = server.session(last_line(server.manage("create_api_key", "lifecycle@example.com")))
        base = server.base_url
        card = {
            "name": "Held card",
            "width": 100,
            "height": 100,
            "background": "#ffffff",
            "elements": [
                {
                    "name": "photo",
                    "type": "image",
                    "x": 0,
                    "y": 0,
                    "width": 100,
                    "height": 100,
                    # A data: URI in the template, so the thumbnail task never asks the held server.
                    "src": "data:image/png;base64," + base64.b64encode(png_bytes()).decode(),
                }
            ],
        }
        template = api.post(f"{base}/api/v1/templates", json=card).json()
        first = api.post(
            f"{base}/api/v1/images",
            json={"template": template["id"], "async": True, "modifications": {"photo": held.url}},
        )
        assert first.status_code == 202
        image_id = first.json()["id"]

        assert held.asked.wait(60), "the worker never fetched the picture"
        assert api.get(f"{base}/api/v1/images/{image_id}").json()["status"] == "rendering"
        assert api.delete(f"{base}/api/v1/images/{image_id}").status_code == 204
        gone = api.get(f"{base}/api/v1/images/{image_id}")
        assert gone.status_code == 404 and gone.json()["code"] == "not_found"
        assert api.get(f"{base}/api/v1/account").json()["credits"]["balance"] == 10

        held.release.set()  # the worker renders, writes its file, loses its update and removes the file
        # The next task runs after that one on the worker: once it is done, the first is too.
        second = api.post(f"{base}/api/v1/images", json={"template": template["id"], "async": True}).json()
        done = wait_until(
            lambda: (body := api.get(f"{base}/api/v1/images/{second['id']}").json())["status"] == "completed" and body
        )
        files = sorted(p.name for p in (Path(server.env["MEDIA_ROOT"]) / "images").rglob("*") if p.is_file())
        assert image_id + ".png" not in files and second["id"] + ".png" in files
        assert api.get(f"{base}/api/v1/images/{image_id}").status_code == 404
        assert api.get(f"{base}/api/v1/account").json()["credits"]["balance"] == 9 and done["credits_used"] == 1
        rows = server.manage(
            "shell",
            "-c",
            "from billing.models import LedgerEntry as L;"
            f"print(list(L.objects.filter(reference='{image_id}').order_by('id').values_list('kind', 'amount')))",
        )
        assert last_line(rows) == "[('render', -1), ('refund', 1)]"
        assert "OK" in server.manage("check_ledger")
    finally:
        held.release.set()
        held.server.shutdown()
