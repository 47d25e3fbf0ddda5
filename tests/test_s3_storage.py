"""Files on S3 (docs/deploy.md, "Files on S3"): renders, thumbnails and fonts go to a bucket on
moto's S3 server, running as its own process on loopback (no internet needed), and come back
from it; deleting removes the objects; a store that stops answering fails a render cleanly.
"""

import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from PIL import Image as PILImage

from api.tests.fontfiles import square_font
from api.tests.pixels import dark_pixels_in
from billing.models import LedgerEntry
from conftest import BOX_AND_TITLE, assert_ledger_clean, balance
from imagior.settings import s3_storage
from templates_app.models import DesignTemplate, Image, UserFont
from tests.conftest import ROOT, free_port

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        moto = Path(sys.executable).with_name("moto_server")
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        self.process = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.endpoint, timeout=5)
                return
            except requests.RequestException:  # not listening yet, or too busy to answer yet
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
        )


@pytest.fixture(scope="module")
def moto():
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bucket(moto, request):
    """A fresh bucket for each test; the default storage points at it."""
    name = f"imagior-{request.node.name.replace('_', '-')[:40].lower().strip('-')}-{free_port()}"
    moto.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def on_s3(settings, moto, bucket):
    """The default storage on the test bucket, with presigned URLs (no MEDIA_PUBLIC_BASE_URL)."""
    settings.MEDIA_PUBLIC_BASE_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(bucket, endpoint_url=moto.endpoint, querystring_auth=True, **CREDENTIALS),
    }
    return bucket


def keys(moto, bucket, prefix: str = "") -> list[str]:
    listed = moto.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def read_object(moto, bucket, key: str) -> bytes:
    return moto.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def blank_font() -> bytes:
    """square_font with an empty 'A': same family, weight and style, nothing drawn."""
    font = TTFont(io.BytesIO(square_font()))
    font["glyf"]["A"] = TTGlyphPen(None).glyph()
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def dark_pixels(moto, bucket, image_id: str) -> int:
    image = Image.objects.get(public_id=image_id)
    picture = PILImage.open(io.BytesIO(read_object(moto, bucket, image.file.name)))
    return dark_pixels_in(picture, (0, 0, *picture.size))


def render(api, template_id: str, **body):
    return api.post("/api/v1/images", {"template": template_id, **body}, format="json")


def test_a_render_is_stored_in_the_bucket_and_its_url_is_presigned_and_downloadable(
    api, small_card, moto, on_s3, settings
):
    response = render(api, small_card["id"], scale=2)
    assert response.status_code == 201, response.content
    body = response.json()
    image = Image.objects.get(public_id=body["id"])

    # The object is in the bucket (read back with boto3, not through Django): a 240×160 PNG.
    assert keys(moto, on_s3, "images/") == [image.file.name]
    stored = read_object(moto, on_s3, image.file.name)
    assert stored[:8] == b"\x89PNG\r\n\x1a\n"
    assert PILImage.open(io.BytesIO(stored)).size == (240, 160)
    assert not (Path(settings.MEDIA_ROOT) / "images").exists()  # nothing on the local disk

    # `url` is a presigned URL on the S3 server, downloadable by anyone holding it for a while.
    url = body["url"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == moto.endpoint
    assert "X-Amz-Signature=" in parts.query and "X-Amz-Expires=3600" in parts.query
    downloaded = requests.get(url, timeout=5)
    assert downloaded.status_code == 200 and downloaded.content == stored

    # The server's own /files/… path still streams the same bytes from the bucket.
    path = f"/files/images/{image.file_token}/{image.filename}"
    served = api.get(path)
    assert served.status_code == 200 and b"".join(served.streaming_content) == stored
    assert_ledger_clean()


def test_download_my_data_reads_the_files_from_the_bucket(api, alice_client, small_card, moto, on_s3, settings):
    response = render(api, small_card["id"])
    assert response.status_code == 201, response.content
    image = Image.objects.get(public_id=response.json()["id"])
    export = alice_client.get("/dashboard/profile/export.zip")
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
    assert sorted(archive.namelist()) == [f"images/{image.filename}", "templates.json"]
    assert archive.read(f"images/{image.filename}") == read_object(moto, on_s3, image.file.name)
    assert not (Path(settings.MEDIA_ROOT) / "images").exists()  # it came from the bucket


def test_download_my_data_while_the_store_is_down_says_so(api, alice_client, small_card, moto, on_s3):
    assert render(api, small_card["id"]).status_code == 201
    moto.stop()
    try:
        response = alice_client.get("/dashboard/profile/export.zip")
    finally:
        moto.start()
    assert response.status_code == 302 and response["Location"] == "/dashboard/profile"
    assert "The file store is not answering" in alice_client.get("/dashboard/profile").content.decode()


def test_with_media_public_base_url_the_url_points_at_the_cdn(api, small_card, moto, on_s3, settings):
    settings.MEDIA_PUBLIC_BASE_URL = "https://cdn.example.test/media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(on_s3, endpoint_url=moto.endpoint, querystring_auth=False, **CREDENTIALS),
    }
    body = render(api, small_card["id"]).json()
    image = Image.objects.get(public_id=body["id"])
    assert body["url"] == f"https://cdn.example.test/media/{image.file.name}"
    assert image.file.name.startswith(f"images/{image.file_token}/")
    # The CDN's origin is the bucket: the same name there is the PNG.
    assert read_object(moto, on_s3, image.file.name)[:4] == b"\x89PNG"


def test_without_s3_urls_stay_on_this_server(api, small_card, settings):
    """No S3 variable: files on the local disk and served by /files/… as before."""
    body = render(api, small_card["id"]).json()
    image = Image.objects.get(public_id=body["id"])
    assert body["url"] == f"https://img.example.test/files/images/{image.file_token}/{image.filename}"
    assert (Path(settings.MEDIA_ROOT) / image.file.name).read_bytes()[:4] == b"\x89PNG"


def test_thumbnails_land_in_the_bucket_and_are_served_from_it(api, moto, on_s3, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/templates", BOX_AND_TITLE, format="json")
    assert created.status_code == 201
    template = DesignTemplate.objects.get(public_id=created.json()["id"])
    assert template.thumbnail and keys(moto, on_s3, "thumbnails/") == [template.thumbnail.name]
    stored = read_object(moto, on_s3, template.thumbnail.name)
    assert PILImage.open(io.BytesIO(stored)).size == (120, 80)
    served = api.get("/files/" + template.thumbnail.name)
    assert served.status_code == 200 and b"".join(served.streaming_content) == stored


def test_a_font_upload_lands_in_the_bucket_and_renders_from_a_local_copy(api, moto, on_s3, settings, tmp_path):
    settings.MEDIA_CACHE_DIR = tmp_path / "cache"
    font = square_font()
    response = api.post("/api/v1/fonts", {"file": SimpleUploadedFile("acme.ttf", font)}, format="multipart")
    assert response.status_code == 201, response.content
    stored = UserFont.objects.get(public_id=response.json()["id"])
    assert keys(moto, on_s3, "fonts/") == [stored.file.name]
    assert read_object(moto, on_s3, stored.file.name)[:4] == b"\x00\x01\x00\x00"

    card = {
        "width": 200,
        "height": 100,
        "background": "#ffffff",
        "elements": [
            {
                "name": "t",
                "type": "text",
                "x": 0,
                "y": 0,
                "width": 200,
                "height": 100,
                "text": "AAA",
                "font_family": "Acme Sans",
                "font_weight": 700,
                "font_size": 60,
                "color": "#000000",
            },
        ],
    }
    template = api.post("/api/v1/templates", card, format="json").json()
    rendered = render(api, template["id"])
    assert rendered.status_code == 201, rendered.content
    assert not [w for w in rendered.json()["warnings"] if "Acme" in w.get("message", "")]
    # The render worker read the font from a local copy of the object, and drew its block.
    assert (settings.MEDIA_CACHE_DIR / stored.file.name).read_bytes() == read_object(moto, on_s3, stored.file.name)
    assert dark_pixels(moto, on_s3, rendered.json()["id"]) > 1000

    # Replacing the font (same family, weight and style) gives a new object, and renders draw
    # the new file, not a stale local copy: this one's 'A' is empty.
    again = api.post("/api/v1/fonts", {"file": SimpleUploadedFile("acme.ttf", blank_font())}, format="multipart")
    assert again.status_code == 201 and again.json()["id"] == stored.public_id
    stored.refresh_from_db()
    assert keys(moto, on_s3, "fonts/") == [stored.file.name]
    redrawn = render(api, template["id"])
    assert redrawn.status_code == 201
    assert dark_pixels(moto, on_s3, redrawn.json()["id"]) == 0

    assert api.delete(f"/api/v1/fonts/{stored.public_id}").status_code == 204
    assert keys(moto, on_s3, "fonts/") == []


def test_deleting_an_image_removes_its_object(api, small_card, moto, on_s3):
    body = render(api, small_card["id"]).json()
    assert len(keys(moto, on_s3, "images/")) == 1
    assert api.delete(f"/api/v1/images/{body['id']}").status_code == 204
    assert keys(moto, on_s3, "images/") == []


def test_deleting_an_account_removes_all_its_objects(
    api, alice, alice_client, bob_api, moto, on_s3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_card = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
        bob_card = bob_api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
    assert render(api, alice_card["id"]).status_code == 201
    assert api.post("/api/v1/fonts", {"file": SimpleUploadedFile("a.ttf", square_font())}, format="multipart")
    assert render(bob_api, bob_card["id"]).status_code == 201
    bobs = {
        Image.objects.get(owner__email="bob@example.com").file.name,
        DesignTemplate.objects.get(public_id=bob_card["id"]).thumbnail.name,
    }
    assert len(keys(moto, on_s3)) == 5  # alice: image, thumbnail, font; bob: image, thumbnail

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            "/dashboard/profile/delete", {"email": "alice@example.com", "password": "correct horse battery staple"}
        )
    assert response.status_code == 302
    assert set(keys(moto, on_s3)) == bobs


def test_an_unreachable_store_fails_the_render_cleanly_and_refunds(api, alice, small_card, moto, on_s3):
    earlier = Image.objects.get(public_id=render(api, small_card["id"]).json()["id"])
    before = balance(alice)
    moto.stop()
    try:
        started = time.monotonic()
        response = render(api, small_card["id"])
        elapsed = time.monotonic() - started
        served = api.get(f"/files/images/{earlier.file_token}/{earlier.filename}")
    finally:
        moto.start()  # the same port: later tests in this module keep their server
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "render_failed"
    assert "could not be stored" in problem["detail"] and "Traceback" not in response.content.decode()
    assert elapsed < 30

    image = Image.objects.exclude(pk=earlier.pk).get(owner=alice)
    assert image.status == Image.Status.FAILED and image.credits_used == 0 and not image.file
    assert balance(alice) == before
    entries = LedgerEntry.objects.filter(account__user=alice, reference=image.public_id)
    assert sorted(entries.values_list("amount", flat=True)) == [-1, 1]  # charged, then refunded
    assert_ledger_clean()

    # Reading a stored file while the store is down is a problem too, not a traceback.
    assert served.status_code == 500 and served["Content-Type"] == "application/problem+json"
    assert served.json()["code"] == "internal_error"


def test_deleting_a_template_removes_its_thumbnail(api, moto, on_s3, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        card = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
    assert len(keys(moto, on_s3, "thumbnails/")) == 1
    assert api.delete(f"/api/v1/templates/{card['id']}").status_code == 204
    assert keys(moto, on_s3, "thumbnails/") == []


def manage_shell(code: str, **env: str) -> list[str]:
    skip = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "AWS_STORAGE_BUCKET_NAME", "MEDIA_PUBLIC_BASE_URL"}
    environment = {k: v for k, v in os.environ.items() if k not in skip} | env
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2:]  # after the shell's own banner, if any


SAVE_AND_SHOW = (
    "from django.core.files.base import ContentFile; from django.core.files.storage import default_storage as s;"
    "name = s.save('images/probe/x.png', ContentFile(b'probe'));"
    "print(type(s._wrapped).__name__, s.url(name), sep='\\n')"
)


def test_the_environment_alone_selects_s3_and_the_url_style(moto, bucket, tmp_path):
    s3 = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": moto.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    backend, url = manage_shell(SAVE_AND_SHOW, **s3)
    assert backend == "S3Storage" and url.startswith(f"{moto.endpoint}/{bucket}/images/probe/x.png?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url
    assert read_object(moto, bucket, "images/probe/x.png") == b"probe"
    assert not (tmp_path / "media").exists()

    backend, url = manage_shell(SAVE_AND_SHOW, **s3, MEDIA_PUBLIC_BASE_URL="https://cdn.example.test/")
    assert backend == "S3Storage" and "?" not in url  # no signatures when a public base is set

    backend, url = manage_shell(SAVE_AND_SHOW, MEDIA_ROOT=str(tmp_path / "media"))
    assert backend == "FileSystemStorage" and url == "/files/images/probe/x.png"
    assert (tmp_path / "media" / "images" / "probe" / "x.png").read_bytes() == b"probe"


def test_deleting_an_account_while_the_store_is_down_completes_and_logs_what_is_left(
    api, alice, alice_client, small_card, moto, on_s3, django_capture_on_commit_callbacks, caplog
):
    image = Image.objects.get(public_id=render(api, small_card["id"]).json()["id"])
    moto.stop()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = alice_client.post(
                "/dashboard/profile/delete", {"email": "alice@example.com", "password": "correct horse battery staple"}
            )
    finally:
        moto.start()
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert f"Left behind after deleting an account: {image.file.name}" in caplog.text


def test_deleting_an_image_while_the_store_is_down_answers_and_logs_what_is_left(api, small_card, moto, on_s3, caplog):
    body = render(api, small_card["id"]).json()
    name = Image.objects.get(public_id=body["id"]).file.name
    moto.stop()
    try:
        response = api.delete(f"/api/v1/images/{body['id']}")
    finally:
        moto.start()
    assert response.status_code == 204
    assert api.get(f"/api/v1/images/{body['id']}").status_code == 404
    assert f"Left behind after deleting image {body['id']}: {name}" in caplog.text


def test_an_async_render_on_another_machine_makes_its_own_copy_of_the_font(
    api, alice, moto, on_s3, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_CACHE_DIR = tmp_path / "web-cache"
    assert api.post("/api/v1/fonts", {"file": SimpleUploadedFile("a.ttf", square_font())}, format="multipart")
    card = {
        "width": 200,
        "height": 100,
        "background": "#ffffff",
        "elements": [
            {"name": "t", "type": "text", "x": 0, "y": 0, "width": 200, "height": 100, "text": "AAA"}
            | {"font_family": "Acme Sans", "font_weight": 700, "font_size": 60, "color": "#000000"}
        ],
    }
    template = api.post("/api/v1/templates", card, format="json").json()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        accepted = render(api, template["id"], **{"async": True})
    assert accepted.status_code == 202, accepted.content

    # The worker runs on another machine: the web machine's copy is not there, its own cache is empty.
    shutil.rmtree(tmp_path / "web-cache")
    settings.MEDIA_CACHE_DIR = tmp_path / "worker-cache"
    for callback in queued:
        callback()
    image = Image.objects.get(public_id=accepted.json()["id"])
    assert image.status == Image.Status.COMPLETED, image.error
    assert dark_pixels(moto, on_s3, image.public_id) > 1000
    font = UserFont.objects.get(owner=alice)
    assert (tmp_path / "worker-cache" / font.file.name).exists()
