"""Issue 9: uploaded fonts are parsed (fontTools: validation, names, WOFF/WOFF2 unpacking)
in a render worker under its time and memory limits, never in the web process.

The hostile fixture (templates_app/tests/hostile/subroutine_bomb.otf, made by
generate.py there) is a 1 KB CFF font whose one glyph expands to 16^10 outline
segments: parsed in the web process it spins for ever."""

import resource
import signal
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.tests.fontfiles import square_font
from templates_app.models import UserFont

BOMB = (Path(__file__).resolve().parents[2] / "templates_app/tests/hostile/subroutine_bomb.otf").read_bytes()


@pytest.fixture(autouse=True)
def _real_workers(settings):
    settings.RENDER_IN_PROCESS = False


@pytest.fixture
def alarm():
    """Turns a hang in this (the web) process into a failure instead of a stuck test run."""

    def give_up(signum, frame):
        raise TimeoutError("the upload hung the web process")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def upload(client, data: bytes, name: str):
    return client.post("/api/v1/fonts", {"file": SimpleUploadedFile(name, data)}, format="multipart")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize(
    ("seconds", "megabytes", "reason"),
    [(2, 1024, ("longer than 2 s",)), (20, 300, ("memory", "stopped unexpectedly"))],
    ids=["over the time budget", "over the memory budget"],
)
def test_a_hostile_font_hits_the_workers_limit_and_is_a_400(api, settings, alarm, seconds, megabytes, reason):
    settings.RENDER_TIMEOUT_SECONDS = seconds
    settings.RENDER_MEMORY_MB = megabytes
    assert upload(api, square_font(), "warm.ttf").status_code == 201  # the pool is up before the clock starts
    started, cpu_before = time.monotonic(), cpu_seconds()

    response = upload(api, BOMB, "bomb.otf")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "file" and body["errors"][0]["code"] == "invalid_font"
    # Out of address space, C code may abort the worker instead of raising MemoryError: either is the limit at work.
    assert "limits" in body["errors"][0]["message"]
    assert any(word in body["errors"][0]["message"] for word in reason)
    assert time.monotonic() - started < seconds + 8
    assert cpu_seconds() - cpu_before < 1.0, "the font was parsed in a worker, not in this process"
    assert list(UserFont.objects.values_list("family", flat=True)) == ["Acme Sans"]

    # The server keeps serving: the next upload is parsed by a fresh worker.
    again = upload(api, square_font(family="After Bomb", flavor="woff2"), "after.woff2")
    assert again.status_code == 201 and again.json()["family"] == "After Bomb"
