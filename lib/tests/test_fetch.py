"""The SSRF-safe image fetcher: address rules, redirects, deadlines, caps, content types and the cache.

Every server here is started by the test on 127.0.0.1. DNS is the "outside world":
an autouse fake resolves only the names a test maps, and IP literals, so nothing
leaves the machine. Refusals are proved by a socket connect that fails the test.
"""

from __future__ import annotations

import io
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from shutil import which

import pytest
from PIL import Image

from lib import fetch
from lib.fetch import FetchError, fetch_image, fetch_images, is_public_address
from templates_app.rendering import ImageFetchError, check_sources, render
from templates_app.sources import prefetch_sources

HOSTILE = Path(__file__).resolve().parents[2] / "templates_app" / "tests" / "hostile"


def png_bytes(colour=(255, 0, 0), size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 0, 255)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


GOOD_PNG = png_bytes()


# --- a local server --------------------------------------------------------------------------


class _QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN (reverse DNS): skip it, nothing leaves the machine.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class Server:
    """An HTTP server on 127.0.0.1 whose routes are functions of the request handler."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict = {}
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    reply(self, 404, b"not here", content_type="text/plain")
                else:
                    route(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = _QuietHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def hits(self, path: str) -> list[dict]:
        return [headers for seen, headers in self.requests if seen.split("?")[0] == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(handler, status=200, body=b"", *, content_type="image/png", headers=None, length=True) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str):
    return lambda h: reply(h, 302, content_type=None, headers={"Location": location})


def drip(handler, data: bytes, every: float = 0.1, limit: float = 5.0) -> None:
    started = time.monotonic()
    try:
        for byte in data:
            if time.monotonic() - started > limit:
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)
    except OSError:
        pass  # the client gave up, as it should


def slow_body(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    drip(handler, GOOD_PNG)


def slow_headers(handler) -> None:
    handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
    drip(handler, b"X-Padding: " + b"a" * 200 + b"\r\n")


def endless(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.end_headers()  # no Content-Length: read until the connection closes
    try:
        handler.wfile.write(GOOD_PNG[:16])
        for _ in range(32):
            handler.wfile.write(b"\x00" * 65536)
    except OSError:
        pass


def declared_huge(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", str(11 * 1024 * 1024))
    handler.end_headers()
    handler.wfile.write(GOOD_PNG)
    handler.wfile.flush()
    time.sleep(3)  # a client that read on would wait here


def short_body(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", str(len(GOOD_PNG) + 500))
    handler.end_headers()
    handler.wfile.write(GOOD_PNG)


def etag(handler) -> None:
    headers = {"ETag": '"v1"', "Cache-Control": "no-cache"}
    if handler.headers.get("If-None-Match") == '"v1"':
        reply(handler, 304, content_type=None, headers=headers, length=False)
    else:
        reply(handler, 200, GOOD_PNG, headers=headers)


LAST_MODIFIED = "Tue, 01 Sep 2026 10:00:00 GMT"


def last_modified(handler) -> None:
    headers = {"Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=30"}
    if handler.headers.get("If-Modified-Since") == LAST_MODIFIED:
        reply(handler, 304, content_type=None, headers=headers, length=False)
    else:
        reply(handler, 200, GOOD_PNG, headers=headers)


def sleepy(handler) -> None:
    time.sleep(0.4)
    reply(handler, 200, GOOD_PNG, headers={"Cache-Control": "no-store"})


def standard_routes(server: Server) -> None:
    fixture = lambda name: (HOSTILE / name).read_bytes()  # noqa: E731
    server.routes.update(
        {
            "/good.png": lambda h: reply(h, 200, GOOD_PNG),
            "/fresh.png": lambda h: reply(h, 200, GOOD_PNG, headers={"Cache-Control": "public, max-age=60"}),
            "/fresh2.png": lambda h: reply(h, 200, GOOD_PNG, headers={"Cache-Control": "max-age=60"}),
            "/fresh3.png": lambda h: reply(h, 200, GOOD_PNG, headers={"Cache-Control": "max-age=60"}),
            "/no-store.png": lambda h: reply(h, 200, GOOD_PNG, headers={"Cache-Control": "no-store"}),
            "/photo.jpg": lambda h: reply(h, 200, jpeg_bytes(), content_type="image/jpeg; charset=binary"),
            "/r0": redirect("/r1"),
            "/r1": redirect(server.url("/r2")),
            "/r2": redirect("/r3"),
            "/r3": redirect("good.png"),
            "/cookie": lambda h: reply(
                h, 302, content_type=None, headers={"Set-Cookie": "session=secret", "Location": "/no-store.png"}
            ),
            "/no-location": lambda h: reply(h, 302, content_type=None),
            "/missing.png": lambda h: reply(h, 404, b"gone", content_type="text/plain"),
            "/error.png": lambda h: reply(h, 500, b"oops", content_type="text/plain"),
            "/html": lambda h: reply(h, 200, fixture("page.html"), content_type="text/html"),
            "/no-type": lambda h: reply(h, 200, GOOD_PNG, content_type=None),
            "/svg": lambda h: reply(h, 200, fixture("entities.svg"), content_type="image/svg+xml"),
            "/html-as-png": lambda h: reply(h, 200, fixture("page.html")),
            "/svg-as-png": lambda h: reply(h, 200, fixture("entities.svg")),
            "/gzip-as-png": lambda h: reply(h, 200, fixture("gzip_bomb.png.gz")),
            "/gzip-encoded": lambda h: reply(h, 200, fixture("gzip_bomb.png.gz"), headers={"Content-Encoding": "gzip"}),
            "/gigapixel.png": lambda h: reply(h, 200, fixture("gigapixel.png")),
            "/bomb.png": lambda h: reply(h, 200, fixture("bomb.png")),
            "/truncated.jpg": lambda h: reply(h, 200, fixture("truncated.jpg"), content_type="image/jpeg"),
            "/slow-body": slow_body,
            "/slow-headers": slow_headers,
            "/endless": endless,
            "/declared-huge": declared_huge,
            "/short": short_body,
            "/etag": etag,
            "/last-modified": last_modified,
            "/sleepy": sleepy,
        }
    )


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_cache():
    fetch.clear_cache()
    yield
    fetch.clear_cache()


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names resolve only as the test maps them; IP literals resolve to themselves; no real DNS."""
    real = socket.getaddrinfo
    names: dict[str, list[str]] = {}
    names["calls"] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        names["calls"].append(host)
        if host in names:
            answer = names[host]
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
                if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in answer
            ]
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def server(settings):
    settings.ALLOW_PRIVATE_FETCH = True
    srv = Server()
    standard_routes(srv)
    yield srv
    srv.close()


@pytest.fixture
def connects(monkeypatch) -> list:
    """Every socket connect attempted; only the test server on 127.0.0.1 may actually be reached."""
    attempts: list = []
    original = socket.socket.connect

    def guarded(sock, address):
        attempts.append(address)
        if address[0] != "127.0.0.1":
            raise AssertionError(f"connection attempted to {address}")
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("create_connection called"))
    return attempts


# --- fetching --------------------------------------------------------------------------------


def test_it_fetches_a_png(server) -> None:
    assert fetch_image(server.url("/good.png")) == GOOD_PNG


def test_it_fetches_a_jpeg(server) -> None:
    data = fetch_image(server.url("/photo.jpg"))
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_it_sends_a_plain_request_with_the_right_host(server, dns) -> None:
    dns["images.example"] = ["127.0.0.1"]
    fetch_image(server.url("/good.png", host="images.example"))
    (headers,) = server.hits("/good.png")
    assert headers["host"] == f"images.example:{server.port}"
    assert headers["user-agent"] == "Imagior/1.0"
    assert "cookie" not in headers and "authorization" not in headers


def test_it_follows_up_to_three_redirects(server) -> None:
    assert fetch_image(server.url("/r1")) == GOOD_PNG
    assert [path for path, _ in server.requests] == ["/r1", "/r2", "/r3", "/good.png"]


def test_it_refuses_a_fourth_redirect(server) -> None:
    with pytest.raises(FetchError):
        fetch_image(server.url("/r0"))
    assert not server.hits("/good.png")


def test_cookies_are_not_sent_back(server) -> None:
    fetch_image(server.url("/cookie"))
    (headers,) = server.hits("/no-store.png")
    assert "cookie" not in headers


@pytest.mark.parametrize("path", ["/missing.png", "/error.png", "/no-location", "/short"])
def test_unsuccessful_answers_are_refused(server, path) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_image(server.url(path))
    assert str(caught.value) == "The image could not be fetched."
    assert caught.value.url == server.url(path)


@pytest.mark.parametrize(
    "path", ["/html", "/no-type", "/svg", "/html-as-png", "/svg-as-png", "/gzip-as-png", "/gzip-encoded"]
)
def test_only_image_content_is_accepted(server, path) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError):
        fetch_image(server.url(path))
    assert time.monotonic() - started < 2


def test_a_body_that_drips_past_the_deadline_is_cut_off(server, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "TOTAL_DEADLINE", 1.0)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_image(server.url("/slow-body"))
    assert time.monotonic() - started < 2
    assert "deadline" in caught.value.reason


def test_headers_that_drip_past_the_deadline_are_cut_off(server, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "TOTAL_DEADLINE", 1.0)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_image(server.url("/slow-headers"))
    assert time.monotonic() - started < 2
    assert "deadline" in caught.value.reason


def test_a_body_without_length_stops_at_the_cap(server, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "MAX_BYTES", 256 * 1024)
    with pytest.raises(FetchError) as caught:
        fetch_image(server.url("/endless"))
    assert "larger than" in caught.value.reason


def test_a_declared_length_over_the_cap_is_refused_before_reading(server) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_image(server.url("/declared-huge"))
    assert time.monotonic() - started < 1
    assert "Content-Length" in caught.value.reason


def test_the_connect_timeout_is_three_seconds(server, monkeypatch) -> None:
    seen = []
    original = socket.socket.connect

    def spy(sock, address):
        seen.append(sock.gettimeout())
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    fetch_image(server.url("/good.png"))
    assert seen == [fetch.CONNECT_TIMEOUT] and fetch.CONNECT_TIMEOUT == 3.0


# --- address rules ---------------------------------------------------------------------------

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "100.64.0.1",
    "169.254.169.254",
    "172.16.0.1",
    "192.168.1.1",
    "0.0.0.0",  # noqa: S104 (an address under test)
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::a00:1",
    "64:ff9b::a00:1",
    "64:ff9b:1::1",
    "100::1",
    "2001::1",
    "2001:db8::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2002:0a00:0001::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_refused_addresses_are_never_connected_to(settings, dns, connects, address) -> None:
    settings.ALLOW_PRIVATE_FETCH = False
    dns["evil.example"] = [address]
    assert not is_public_address(address)
    with pytest.raises(FetchError) as caught:
        fetch_image("http://evil.example/a.png")
    assert connects == []
    assert address in caught.value.reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"])
def test_public_addresses_pass_the_check(address) -> None:
    assert is_public_address(address)


def test_one_refused_address_among_public_ones_refuses_the_name(settings, dns, connects) -> None:
    settings.ALLOW_PRIVATE_FETCH = False
    dns["mixed.example"] = ["93.184.216.34", "10.0.0.1"]
    with pytest.raises(FetchError):
        fetch_image("http://mixed.example/a.png")
    assert connects == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.png",
        "http://[::1]/a.png",
        "http://2130706433/a.png",  # 127.0.0.1 as one number
        "http://0x7f.1/a.png",
        "http://127.1/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    ],
)
def test_private_ip_literals_are_refused(settings, connects, url) -> None:
    settings.ALLOW_PRIVATE_FETCH = False
    with pytest.raises(FetchError):
        fetch_image(url)
    assert connects == []


def test_the_local_server_is_refused_when_private_fetch_is_off(server, settings, connects) -> None:
    settings.ALLOW_PRIVATE_FETCH = False
    with pytest.raises(FetchError):
        fetch_image(server.url("/good.png"))
    assert connects == []
    assert server.requests == []


def test_it_connects_to_the_address_it_checked(settings, dns, monkeypatch) -> None:
    """DNS rebinding: a second answer pointing inside is never asked for, let alone used."""
    settings.ALLOW_PRIVATE_FETCH = False
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    dns["rebind.example"] = next(answers)
    original_dns = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        result = original_dns(host, *args, **kwargs)
        if host == "rebind.example":
            dns["rebind.example"] = next(answers)
        return result

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    attempts = []

    def capture(sock, address):
        attempts.append(address)
        raise ConnectionRefusedError("refused by the test before any I/O")

    monkeypatch.setattr(socket.socket, "connect", capture)
    with pytest.raises(FetchError):
        fetch_image("http://rebind.example:8080/a.png")
    assert attempts == [("93.184.216.34", 8080)]
    assert dns["calls"].count("rebind.example") == 1


def test_a_redirect_to_a_private_address_is_refused(server, settings, dns, connects, monkeypatch) -> None:
    """Each hop is checked again: the first server is 'public' here, its redirect targets are not."""
    settings.ALLOW_PRIVATE_FETCH = False
    checked = fetch.is_public_address
    monkeypatch.setattr(fetch, "is_public_address", lambda ip: ip == "127.0.0.1" or checked(ip))
    dns["internal.example"] = ["10.0.0.1"]
    targets = [
        f"http://127.0.0.2:{server.port}/good.png",
        f"http://[::1]:{server.port}/good.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.example/admin",
        "http://100.64.0.1/",
        "file:///etc/passwd",
        "ftp://127.0.0.1/",
    ]
    for index, target in enumerate(targets):
        server.routes[f"/to-private-{index}"] = redirect(target)
        with pytest.raises(FetchError):
            fetch_image(server.url(f"/to-private-{index}"))
    assert {address for address in connects} == {("127.0.0.1", server.port)}
    assert not server.hits("/good.png")


# --- URL rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://cdn.example/a.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "gopher://cdn.example:70/_",
        "../../etc/passwd",
        "//cdn.example/a.png",
        "http://user:pass@cdn.example/a.png",
        "http://user@cdn.example/a.png",
        "http://cdn.example@127.0.0.1/a.png",
        "http:///a.png",
        "http://cdn.example:99999/a.png",
        "https://cdn.example/" + "a" * 2100,
        "",
    ],
)
def test_urls_outside_the_rules_are_refused_without_resolving(dns, connects, url) -> None:
    with pytest.raises(FetchError):
        fetch_image(url)
    assert dns["calls"] == [] and connects == []


def test_any_port_is_allowed(server) -> None:
    assert server.port not in (80, 443)
    assert fetch_image(server.url("/good.png")) == GOOD_PNG


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, Path]:
    assert which("openssl"), "openssl (Debian's openssl package) makes the test certificates"
    folder = tmp_path_factory.mktemp("tls")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca_extensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    run(
        "req", "-x509", *ec, *ca_extensions, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA"
    )
    (folder / "leaf.ext").write_text(
        "subjectAltName=DNS:images.test\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    run("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=images.test")
    run(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    )
    return {"ca": folder / "ca.pem", "cert": folder / "leaf.pem", "key": folder / "leaf.key"}


@pytest.fixture
def tls_server(settings, certificates, monkeypatch, dns):
    settings.ALLOW_PRIVATE_FETCH = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    names: list = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    srv = Server(tls=context)
    srv.sni = names
    standard_routes(srv)
    monkeypatch.setattr(fetch, "_TLS_CONTEXT", ssl.create_default_context(cafile=str(certificates["ca"])))
    dns["images.test"] = ["127.0.0.1"]
    dns["wrong.test"] = ["127.0.0.1"]
    yield srv
    srv.close()


def test_https_verifies_the_name_on_the_pinned_address(tls_server, connects) -> None:
    assert fetch_image(tls_server.url("/good.png", host="images.test", scheme="https")) == GOOD_PNG
    assert tls_server.sni == ["images.test"]
    assert connects == [("127.0.0.1", tls_server.port)]
    (headers,) = tls_server.hits("/good.png")
    assert headers["host"] == f"images.test:{tls_server.port}"


def test_https_refuses_a_certificate_for_another_name(tls_server) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_image(tls_server.url("/good.png", host="wrong.test", scheme="https"))
    assert "certificate" in caught.value.reason.lower()
    assert not tls_server.hits("/good.png")


def test_https_refuses_an_untrusted_certificate(tls_server, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "_TLS_CONTEXT", ssl.create_default_context())
    with pytest.raises(FetchError):
        fetch_image(tls_server.url("/good.png", host="images.test", scheme="https"))


# --- the cache -------------------------------------------------------------------------------


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.offset = 0.0
        monkeypatch.setattr(fetch, "_now", lambda: time.monotonic() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def test_a_fresh_copy_is_reused_without_any_request(server, dns) -> None:
    url = server.url("/fresh.png")
    assert fetch_image(url) == fetch_image(url) == GOOD_PNG
    assert len(server.hits("/fresh.png")) == 1
    assert dns["calls"].count("127.0.0.1") == 1  # not even DNS the second time


def test_a_stale_copy_without_validators_is_fetched_again(server, monkeypatch) -> None:
    clock = Clock(monkeypatch)
    url = server.url("/fresh.png")
    fetch_image(url)
    clock.advance(61)
    fetch_image(url)
    hits = server.hits("/fresh.png")
    assert len(hits) == 2 and "if-none-match" not in hits[1] and "if-modified-since" not in hits[1]


def test_an_etag_is_revalidated_and_a_304_reuses_the_bytes(server) -> None:
    url = server.url("/etag")
    assert fetch_image(url) == GOOD_PNG
    assert fetch_image(url) == GOOD_PNG  # no-cache: asks every time, gets 304
    first, second = server.hits("/etag")
    assert "if-none-match" not in first
    assert second["if-none-match"] == '"v1"'


def test_last_modified_is_revalidated_when_max_age_has_passed(server, monkeypatch) -> None:
    clock = Clock(monkeypatch)
    url = server.url("/last-modified")
    fetch_image(url)
    fetch_image(url)
    assert len(server.hits("/last-modified")) == 1  # fresh for 30 s
    clock.advance(31)
    assert fetch_image(url) == GOOD_PNG
    hits = server.hits("/last-modified")
    assert len(hits) == 2 and hits[1]["if-modified-since"] == LAST_MODIFIED
    fetch_image(url)  # the 304 made it fresh again
    assert len(server.hits("/last-modified")) == 2


def test_no_store_is_never_reused(server) -> None:
    url = server.url("/no-store.png")
    fetch_image(url)
    fetch_image(url)
    assert len(server.hits("/no-store.png")) == 2


def test_a_response_without_cache_headers_is_reused_briefly(server, monkeypatch) -> None:
    clock = Clock(monkeypatch)
    url = server.url("/good.png")
    fetch_image(url)
    fetch_image(url)
    assert len(server.hits("/good.png")) == 1
    clock.advance(fetch.HEURISTIC_FRESHNESS + 1)
    fetch_image(url)
    assert len(server.hits("/good.png")) == 2


def test_the_cache_is_bounded_least_recently_used_first(server, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "CACHE_MAX_ENTRIES", 2)
    first, second, third = (server.url(p) for p in ("/fresh.png", "/fresh2.png", "/fresh3.png"))
    fetch_image(first)
    fetch_image(second)
    fetch_image(first)  # first is now the most recently used
    fetch_image(third)  # evicts second
    fetch_image(first)
    fetch_image(second)
    assert len(server.hits("/fresh.png")) == 1
    assert len(server.hits("/fresh2.png")) == 2


def test_the_cache_is_bounded_in_bytes(server, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "CACHE_MAX_BYTES", len(GOOD_PNG) - 1)
    url = server.url("/fresh.png")
    fetch_image(url)
    fetch_image(url)
    assert len(server.hits("/fresh.png")) == 2


def test_failures_are_not_cached(server) -> None:
    with pytest.raises(FetchError):
        fetch_image(server.url("/missing.png"))
    with pytest.raises(FetchError):
        fetch_image(server.url("/missing.png"))
    assert len(server.hits("/missing.png")) == 2


def test_threads_share_the_cache_safely(server) -> None:
    urls = [server.url(p) for p in ("/fresh.png", "/fresh2.png", "/fresh3.png", "/good.png")]
    results, errors = [], []

    def work() -> None:
        try:
            for _ in range(5):
                results.extend(fetch_image(url) for url in urls)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 160 and set(results) == {GOOD_PNG}


# --- several at once, and the pipeline -------------------------------------------------------


def test_fetch_images_deduplicates(server) -> None:
    url = server.url("/no-store.png")
    assert fetch_images([url, url, server.url("/photo.jpg")]).keys() == {url, server.url("/photo.jpg")}
    assert len(server.hits("/no-store.png")) == 1


def test_fetch_images_runs_concurrently(server) -> None:
    urls = [server.url(f"/sleepy?n={n}") for n in range(4)]
    started = time.monotonic()
    assert set(fetch_images(urls)) == set(urls)
    assert time.monotonic() - started < 1.2  # four 0.4 s answers in parallel, not 1.6 s in a row


def test_fetch_images_names_the_first_failing_url(server) -> None:
    urls = [server.url("/good.png"), server.url("/missing.png"), server.url("/html")]
    with pytest.raises(FetchError) as caught:
        fetch_images(urls)
    assert caught.value.url == server.url("/missing.png")


def image_element(name: str, src: str, **overrides) -> dict:
    element = {"name": name, "type": "image", "x": 0, "y": 0, "width": 100, "height": 100, "hidden": False}
    element.update({"src": src, "fit": "fill", "border_radius": 0, "rotation": 0, "opacity": 1})
    element.update(overrides)
    return element


def test_prefetch_fetches_visible_remote_images_only(server) -> None:
    elements = [
        {"name": "box", "type": "rect", "x": 0, "y": 0, "width": 10, "height": 10},
        image_element("logo", server.url("/good.png")),
        image_element("again", server.url("/good.png")),
        image_element("hidden", server.url("/photo.jpg"), hidden=True),
        image_element("inline", "data:image/png;base64,iVBORw0KGgo="),
        image_element("local", "file:///etc/passwd"),
    ]
    assert prefetch_sources(elements) == {server.url("/good.png"): GOOD_PNG}
    assert not server.hits("/photo.jpg")


def test_prefetch_names_the_element_with_one_message_for_every_cause(server, settings) -> None:
    messages = set()
    for path in ("/missing.png", "/html", "/svg", "/gzip-encoded"):
        with pytest.raises(ImageFetchError) as caught:
            prefetch_sources([image_element("ok", server.url("/good.png")), image_element("photo", server.url(path))])
        assert caught.value.element == "photo"
        assert caught.value.code == "image_fetch_failed"
        messages.add(caught.value.message)
    settings.ALLOW_PRIVATE_FETCH = False
    with pytest.raises(ImageFetchError) as caught:
        prefetch_sources([image_element("photo", server.url("/no-store.png"))])
    messages.add(caught.value.message)
    assert messages == {"The image for element 'photo' could not be fetched."}


@pytest.mark.parametrize("path", ["/gigapixel.png", "/bomb.png", "/truncated.jpg"])
def test_hostile_pictures_fetch_but_fail_the_render_cleanly(server, path) -> None:
    element = image_element("photo", server.url(path))
    images = prefetch_sources([element])  # right content type and magic bytes: fetched
    started = time.monotonic()
    with pytest.raises(ImageFetchError) as caught:
        check_sources([element], images)
    assert caught.value.message == "The image for element 'photo' could not be fetched."
    assert time.monotonic() - started < 2


def test_a_fetched_photo_lands_in_its_box(server) -> None:
    element = image_element("photo", server.url("/photo.jpg"), x=50, y=50, width=100, height=50)
    document = {"width": 200, "height": 200, "background": "#ffffff", "elements": [element]}
    document["images"] = prefetch_sources(document["elements"])
    picture = Image.open(io.BytesIO(render(document).content)).convert("RGB")
    assert all(abs(a - b) <= 8 for a, b in zip(picture.getpixel((100, 75)), (0, 0, 255), strict=True))
    assert picture.getpixel((100, 20)) == (255, 255, 255)
    assert picture.getpixel((100, 130)) == (255, 255, 255)
