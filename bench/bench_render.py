"""Time the reference social card: the real sync API against naive CairoSVG (`make bench`).

In one run:

1. the whole API round trip: the real server (bin/run, private SQLite database) and
   `POST /api/v1/images` over HTTP, the photo given by URL from a local HTTP server;
2. naive CairoSVG: `cairosvg.svg2png(bytestring=…)` on an equivalent hand-written SVG
   (the photo embedded at full size as a base64 JPEG, the logo as a PNG, SVG <text>);
3. the pipeline alone (`rendering.render` in this process, the photo's bytes already
   fetched), the same through the worker-process runner, and each pipeline stage.

Medians go to the terminal and to docs/benchmarks.md (with the machine and date).
Until remote fetching is wired into the API, `--photo-as-data-uri` sends the photo
inside the template instead of by URL.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import datetime
import http.server
import io
import os
import platform
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagior.settings")

import django  # noqa: E402
import requests  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

WIDTH, HEIGHT = 1200, 630
TITLE = "Render beautiful social cards in milliseconds"
SUBTITLE = "Templates, typography and credits, done right"
BACKGROUND, PANEL, SUBTITLE_COLOUR = "#0f1117", "#1a1d29", "#a3abc2"
GOAL_API, GOAL_PIPELINE = 0.25, 0.15


# --- assets ----------------------------------------------------------------------------


def naive_svg2png(svg: bytes) -> bytes:
    """CairoSVG's own `svg2png` on a whole SVG: the naive baseline this benchmark compares against."""
    # CairoSVG as the rendering package imported it: that package stays its only importer.
    from templates_app.rendering import raster

    return raster.cairosvg.svg2png(bytestring=svg)


def make_logo() -> bytes:
    """A 256 px PNG logo with alpha: a rounded square in a diagonal gradient with a ring, anti-aliased."""
    big = 1024
    gradient = Image.linear_gradient("L").rotate(45, expand=False).resize((big, big))
    colour = Image.merge(
        "RGB",
        (
            gradient.point(lambda v: 90 + v * 0.6),
            gradient.point(lambda v: 70 + v * 0.2),
            Image.new("L", (big, big), 252),
        ),
    )
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=220, fill=255)
    draw.ellipse((300, 300, 724, 724), fill=0)  # a hole: real transparency inside the logo
    draw.ellipse((400, 400, 624, 624), fill=200)
    logo = colour.convert("RGBA")
    logo.putalpha(mask)
    buffer = io.BytesIO()
    logo.resize((256, 256), Image.Resampling.LANCZOS).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def make_photo() -> bytes:
    """A 1600×1200 camera-like JPEG (q90): soft gradients and shapes, texture and sensor noise."""
    width, height = 1600, 1200
    rnd = random.Random(42)
    vertical = Image.linear_gradient("L").resize((width, height))
    horizontal = Image.linear_gradient("L").rotate(90).resize((width, height))
    base = Image.merge(
        "RGB",
        (
            vertical.point(lambda v: 40 + v * 0.5),
            vertical.point(lambda v: 90 + v * 0.4),
            horizontal.point(lambda v: 120 + v * 0.45),
        ),
    )
    draw = ImageDraw.Draw(base)
    for _ in range(60):
        x, y, size = rnd.randrange(width), rnd.randrange(height), rnd.randrange(40, 400)
        draw.ellipse((x - size, y - size // 2, x + size, y + size // 2), fill=tuple(rnd.randrange(256) for _ in "rgb"))
    base = base.filter(ImageFilter.GaussianBlur(12))
    texture = Image.effect_noise((width // 4, height // 4), 60).resize((width, height), Image.Resampling.BICUBIC)
    base = Image.blend(base, Image.merge("RGB", (texture,) * 3), 0.15)
    noise = Image.merge("RGB", [Image.effect_noise((width, height), 64) for _ in "rgb"])
    base = Image.blend(base, noise, 0.12)  # ~8 levels of per-channel sensor noise
    buffer = io.BytesIO()
    base.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def card_template(logo_src: str, photo_src: str) -> dict:
    """The reference card as a template (docs/designer.md)."""
    return {
        "name": "Reference social card",
        "width": WIDTH,
        "height": HEIGHT,
        "background": BACKGROUND,
        "elements": [
            {
                "name": "panel",
                "type": "rect",
                "x": 40,
                "y": 40,
                "width": 1120,
                "height": 550,
                "fill": PANEL,
                "border_radius": 32,
            },
            {
                "name": "photo",
                "type": "image",
                "x": 700,
                "y": 70,
                "width": 430,
                "height": 490,
                "src": photo_src,
                "fit": "cover",
                "border_radius": 24,
            },
            {"name": "logo", "type": "image", "x": 80, "y": 80, "width": 96, "height": 96, "src": logo_src},
            {
                "name": "title",
                "type": "text",
                "x": 80,
                "y": 200,
                "width": 580,
                "height": 240,
                "text": TITLE,
                "font_family": "Inter",
                "font_size": 64,
                "font_weight": 700,
                "color": "#ffffff",
                "line_height": 1.15,
            },
            {
                "name": "subtitle",
                "type": "text",
                "x": 80,
                "y": 470,
                "width": 580,
                "height": 80,
                "text": SUBTITLE,
                "font_family": "Inter",
                "font_size": 28,
                "color": SUBTITLE_COLOUR,
            },
        ],
    }


def naive_svg(logo: bytes, photo: bytes) -> bytes:
    """The same card written by hand, as someone using CairoSVG directly would: the photo
    embedded whole, SVG <text> wrapped by hand at the same line breaks."""
    title_lines = ["Render beautiful", "social cards in", "milliseconds"]
    tspans = "".join(
        f'<tspan x="80" y="{200 + 64 * 0.95 + i * 64 * 1.15:.1f}">{line}</tspan>' for i, line in enumerate(title_lines)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">
  <defs><clipPath id="photo-clip"><rect x="700" y="70" width="430" height="490" rx="24"/></clipPath></defs>
  <rect width="{WIDTH}" height="{HEIGHT}" fill="{BACKGROUND}"/>
  <rect x="40" y="40" width="1120" height="550" rx="32" fill="{PANEL}"/>
  <image x="700" y="70" width="430" height="490" preserveAspectRatio="xMidYMid slice"
         clip-path="url(#photo-clip)" xlink:href="{data_uri("image/jpeg", photo)}"/>
  <image x="80" y="80" width="96" height="96" xlink:href="{data_uri("image/png", logo)}"/>
  <text font-family="Inter" font-weight="bold" font-size="64" fill="#ffffff">{tspans}</text>
  <text x="80" y="497" font-family="Inter" font-size="28" fill="{SUBTITLE_COLOUR}">{SUBTITLE}</text>
</svg>""".encode()


# --- timing helpers ----------------------------------------------------------------------


def timed(fn: Callable[[int], object], runs: int, warmup: int) -> list[float]:
    """Milliseconds of each of `runs` calls after `warmup` untimed ones; fn gets the run number."""
    for i in range(warmup):
        fn(-1 - i)
    return [time_one(fn, i) for i in range(runs)]


def time_one(fn: Callable[[int], object], i: int) -> float:
    started = time.perf_counter()
    fn(i)
    return (time.perf_counter() - started) * 1000


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] if len(samples) >= 2 else samples[0]


# --- the photo server and the real Imagior server ----------------------------------------------


class PhotoServer:
    """A local HTTP server for the photo; counts the requests it answers."""

    def __init__(self, photo: bytes) -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(photo)))
                self.end_headers()
                self.wfile.write(photo)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/photo.jpg"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ImagiorServer:
    """bin/run on a private SQLite database, as tests/conftest.py starts it."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(folder / "media"),
            "STATIC_ROOT": str(folder / "static"),
            "STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SECRET_KEY": "bench-only-secret",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "ALLOW_PRIVATE_FETCH": "1",  # the photo server is on loopback
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        (folder / "static").mkdir()
        self.manage("migrate", "--noinput")
        self.log = open(folder / "server.log", "w+")  # noqa: SIM115 (lives as long as the server)
        self.process = subprocess.Popen(
            ["bin/run"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{self.base_url}/api/v1/account", timeout=30)
                return
            except requests.RequestException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    self.stop()
                    raise SystemExit(f"The server did not start:\n{self.log.read()}") from None
                time.sleep(0.2)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


# --- the measurements ----------------------------------------------------------------------


def bench_api(args, logo: bytes, photo: bytes, photo_server: PhotoServer) -> dict:
    """Round trips of POST /api/v1/images against the real server."""
    with tempfile.TemporaryDirectory(prefix="imagior-bench-") as folder:
        server = ImagiorServer(Path(folder))
        try:
            server.manage("create_account", "bench@example.com", "--plan", "business", "--credits", "100000")
            key = server.manage("create_api_key", "bench@example.com", "--name", "bench").strip().splitlines()[-1]
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {key}"
            photo_src = data_uri("image/jpeg", photo) if args.photo_as_data_uri else photo_server.url
            response = session.post(
                f"{server.base_url}/api/v1/templates", json=card_template(data_uri("image/png", logo), photo_src)
            )
            if response.status_code != 201:
                raise SystemExit(f"Creating the template failed: {response.status_code} {response.text[:500]}")
            template_id = response.json()["id"]
            server_ms: list[float] = []
            sizes: list[int] = []

            def one(i: int) -> None:
                modifications = {"title": f"{TITLE} #{i}"}
                if not args.photo_as_data_uri:
                    # A new URL each time: every render fetches the photo (no cache hit).
                    modifications["photo"] = f"{photo_server.url}?run={i}"
                response = session.post(
                    f"{server.base_url}/api/v1/images",
                    json={"template": template_id, "modifications": modifications, "format": "png"},
                    timeout=120,
                )
                body = response.json()
                if response.status_code != 201 or body.get("status") != "completed":
                    raise RuntimeError(f"{response.status_code} {body.get('code')}: {body.get('message') or body}")
                if i >= 0:
                    server_ms.append(body.get("render_ms") or 0)
                    sizes.append(body.get("file_size") or 0)

            hits_before = photo_server.hits
            try:
                samples = timed(one, args.runs, args.warmup)
            except RuntimeError as exc:
                return {"error": str(exc)}
            return {
                "samples": samples,
                "server_ms": server_ms,
                "file_size": int(median(sizes)),
                "photo_fetches": photo_server.hits - hits_before,
            }
        finally:
            server.stop()


def pipeline_document(logo: bytes, photo: bytes, photo_url: str) -> dict:
    """The document services hands the pipeline: cleaned template, photo bytes already fetched."""
    from templates_app.elements import clean_template, drawable

    cleaned = clean_template(card_template(data_uri("image/png", logo), photo_url))
    return {
        "width": cleaned["width"],
        "height": cleaned["height"],
        "background": cleaned["background"],
        "elements": drawable(cleaned["elements"]),
        "images": {photo_url: photo},
    }


def with_title(document: dict, i: int) -> dict:
    # A different title each run, so text shaping is measured, not a cache hit.
    elements = [dict(el, text=f"{TITLE} #{i}") if el["name"] == "title" else el for el in document["elements"]]
    return {**document, "elements": elements}


def bench_stages(document: dict, runs: int, warmup: int) -> dict[str, list[float]]:
    """Each pipeline stage timed on its own, with the pipeline's internal functions."""
    from templates_app.rendering import images, raster, svg, text

    stages: dict[str, list[float]] = {name: [] for name in ("text", "images", "svg", "rasterise", "encode")}

    def one(i: int) -> None:
        doc = with_title(document, i)
        keep = i >= 0
        started = time.perf_counter()
        for el in doc["elements"]:
            if el["type"] == "text":
                text.layout_text(el)
        layout_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for el in doc["elements"]:
            if el["type"] == "image":
                images.image_data_uri(el, 1.0, doc["images"])
        images_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        markup, _ = svg.build_svg(doc, scale=1.0)
        build_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        picture = raster._rasterise(markup, WIDTH, HEIGHT)
        raster_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        raster._encode(picture, "png", 90)
        encode_ms = (time.perf_counter() - started) * 1000
        if keep:
            stages["text"].append(layout_ms)
            stages["images"].append(images_ms)
            # build_svg lays out text and prepares images again itself: the rest is assembly.
            stages["svg"].append(max(0.0, build_ms - layout_ms - images_ms))
            stages["rasterise"].append(raster_ms)
            stages["encode"].append(encode_ms)

    timed(one, runs, warmup)
    return stages


def profile_pipeline(document: dict, runs: int) -> str:
    from templates_app import rendering

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(runs):
        rendering.render(with_title(document, 10_000 + i), fmt="png", scale=1.0, quality=90, watermark=False)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    out.write("\n--- by own time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


# --- report ------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("CairoSVG", "cairocffi", "pillow", "uharfbuzz", "fonttools", "Django", "gunicorn")
    )
    import cairocffi

    return {
        "uname": subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "libraries": f"{versions}, cairo {cairocffi.cairo_version_string()}",
    }


def row(name: str, samples: list[float] | None, naive_ms: float, note: str = "") -> str:
    if not samples:
        return f"| {name} | n/a | n/a | n/a | {note} |"
    return f"| {name} | {median(samples):.1f} | {p90(samples):.1f} | {median(samples) / naive_ms:.3f}× | {note} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each measurement (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument(
        "--photo-as-data-uri",
        action="store_true",
        help="put the photo in the template as a data: URI instead of serving it by URL (before fetching lands)",
    )
    parser.add_argument("--no-api", action="store_true", help="skip the API round trips (no server)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the pipeline")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="report file ('' for none)")
    parser.add_argument("--save-images", metavar="DIR", help="write the naive and pipeline PNGs here to compare")
    args = parser.parse_args()

    django.setup()
    from templates_app import render_runner, rendering

    logo, photo = make_logo(), make_photo()
    print(f"Assets: logo 256×256 PNG {len(logo) / 1024:.0f} KB, photo 1600×1200 JPEG q90 {len(photo) / 1024:.0f} KB")
    photo_server = PhotoServer(photo)

    # 1. naive CairoSVG
    markup = naive_svg(logo, photo)
    naive = timed(lambda i: naive_svg2png(markup), args.runs, args.warmup)
    naive_ms = median(naive)
    print(f"naive cairosvg.svg2png             median {naive_ms:7.1f} ms")

    # 2. the pipeline alone, in this process and through the worker-process runner
    document = pipeline_document(logo, photo, photo_server.url)
    options = {"fmt": "png", "scale": 1.0, "quality": 90, "watermark": False}
    results: dict[str, rendering.RenderResult] = {}

    def in_process(i: int) -> None:
        results["pipeline"] = rendering.render(with_title(document, i), **options)

    def via_runner(i: int) -> None:
        results["runner"] = render_runner.run_render(with_title(document, i), **options)

    # Interleave the two so drift (thermal, noisy neighbours) hits both alike.
    pipeline, runner = [], []
    for _ in range(args.warmup):
        in_process(-1)
        via_runner(-1)
    for i in range(args.runs):
        pipeline.append(time_one(in_process, i))
        runner.append(time_one(via_runner, i))
    print(f"pipeline, in process               median {median(pipeline):7.1f} ms")
    print(f"pipeline, worker process           median {median(runner):7.1f} ms")
    overhead = [r - p for r, p in zip(runner, pipeline, strict=True)]
    stages = bench_stages(document, args.runs, args.warmup)
    for name, samples in stages.items():
        print(f"  stage {name:<10}                 median {median(samples):7.1f} ms")

    if args.save_images:
        folder = Path(args.save_images)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "naive.png").write_bytes(naive_svg2png(markup))
        (folder / "pipeline.png").write_bytes(results["pipeline"].content)
        print(f"Images written to {folder}")

    # 3. the API round trip
    api = None if args.no_api else bench_api(args, logo, photo, photo_server)
    photo_server.close()
    if api and "error" in api:
        print(f"API round trips failed: {api['error']}")
        if not args.photo_as_data_uri:
            print("  (until remote fetching is wired into the API, re-run with --photo-as-data-uri)")
    elif api:
        print(f"API POST /api/v1/images            median {median(api['samples']):7.1f} ms")

    api_samples = api.get("samples") if api else None
    api_ratio = median(api_samples) / naive_ms if api_samples else None
    pipeline_ratio = median(pipeline) / naive_ms
    print()
    print(f"API round trip ÷ naive: {f'{api_ratio:.3f}' if api_ratio else 'n/a'} (goal ≤ {GOAL_API})")
    print(f"pipeline ÷ naive:       {pipeline_ratio:.3f} (goal ≤ {GOAL_PIPELINE})")
    print(f"runner overhead:        median {median(overhead):.2f} ms per render")

    if args.profile:
        print(profile_pipeline(document, args.runs))

    if args.output:
        write_report(Path(args.output), args, naive, pipeline, runner, overhead, stages, api, results, len(photo))
        print(f"\nWrote {args.output}")
    render_runner.shutdown()


def write_report(path, args, naive, pipeline, runner, overhead, stages, api, results, photo_bytes) -> None:
    info = machine()
    naive_ms = median(naive)
    photo_mode = "a data: URI inside the template" if args.photo_as_data_uri else "URL from a local HTTP server"
    api_samples = api.get("samples") if api else None
    if api is None:
        api_note = "skipped (--no-api)"
    elif "error" in api:
        api_note = f"failed: {api['error'][:120]}"
    else:
        api_note = (
            f"server render_ms median {median(api['server_ms']):.0f}; "
            f"{api['photo_fetches']} photo fetches in {args.runs + args.warmup} requests"
        )
    lines = [
        "# Benchmarks",
        "",
        "The reference social card (issue 3, item 6): 1200×630, dark background, rounded panel,",
        "a 64 px bold title that wraps, a 28 px subtitle, a 256 px PNG logo with alpha and a",
        f"1600×1200 camera-like JPEG photo (q90, {photo_bytes / 1024:.0f} KB) given as {photo_mode}.",
        "",
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{args.runs} timed runs after {args.warmup} warm-ups, PNG output.",
        "",
        "| measurement | median ms | p90 ms | ÷ naive | notes |",
        "|---|---:|---:|---:|---|",
        row("naive `cairosvg.svg2png` (hand-written SVG, photo embedded)", naive, naive_ms),
        row(
            "**API round trip** `POST /api/v1/images` (real server, HTTP)",
            api_samples,
            naive_ms,
            f"goal ≤ {GOAL_API}×; {api_note}",
        ),
        row(
            "**pipeline alone** `rendering.render`, in process",
            pipeline,
            naive_ms,
            f"goal ≤ {GOAL_PIPELINE}×; photo bytes pre-fetched",
        ),
        row("pipeline through `render_runner` (worker process)", runner, naive_ms, "what the API runs"),
        row("· stage: text layout (HarfBuzz, wrap, fit)", stages["text"], naive_ms, "title + subtitle"),
        row("· stage: image prepare (decode, fit, PNG)", stages["images"], naive_ms, "photo + logo"),
        row("· stage: SVG assembly", stages["svg"], naive_ms, "build_svg minus the two stages above"),
        row("· stage: rasterise (CairoSVG → surface)", stages["rasterise"], naive_ms, ""),
        row("· stage: encode (Pillow PNG)", stages["encode"], naive_ms, ""),
        "",
        f"Runner overhead (worker process − in process, paired runs): median {median(overhead):.2f} ms "
        f"for a {len(results['runner'].content) / 1024:.0f} KB PNG.",
        "",
        "Where the time goes: `.venv/bin/python bench/bench_render.py --profile`.",
        "",
        "## Machine",
        "",
        f"- `uname -a`: {info['uname']}",
        f"- CPU: {info['cpu']}, {info['cores']} cores (load average at the end of the run: {info['load']})",
        f"- Python {info['python']}",
        f"- {info['libraries']}",
        "",
        "## Reproduce",
        "",
        "```",
        "make bench",
        "# or, with options:",
        ".venv/bin/python bench/bench_render.py --runs 30 --warmup 3 [--photo-as-data-uri] [--profile]",
        "```",
        "",
    ]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
