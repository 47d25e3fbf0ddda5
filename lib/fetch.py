"""The one way the server reaches another host: SSRF-safe, bounded, cached (docs/rendering.md).

Every address a host name resolves to is checked against an explicit list of
non-public networks and the connection is then made to that checked address, never
to the name again (no DNS rebinding). Redirects are followed by hand and checked
hop by hop. A watchdog closes the socket when the total deadline passes, so a server
that drips bytes cannot hold a worker. Every failure looks the same from outside
(no probing oracle); the real cause is kept in `FetchError.reason` for the logs.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

# Module constants rather than arguments so tests can lower them.
CONNECT_TIMEOUT = 3.0  # seconds per connection attempt
TOTAL_DEADLINE = 10.0  # seconds for the whole fetch: DNS, every hop, headers and body
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048
FETCH_WORKERS = 4
CACHE_MAX_ENTRIES = 64
CACHE_MAX_BYTES = 64 * 1024 * 1024
# Freshness given to a response that carries no Cache-Control/Expires of its own
# (RFC 9111 §4.2.2 allows a heuristic); keeps a burst of renders from refetching.
HEURISTIC_FRESHNESS = 60.0
USER_AGENT = "Imagior/1.0"

ALLOWED_CONTENT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/jpg",
        "image/pjpeg",
        "image/webp",
        "image/gif",
        "image/bmp",
        "image/x-ms-bmp",
    }
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Explicit, because `ipaddress` calls 100.64.0.1 not private and NAT64 addresses
# global (docs/rendering.md, "Remote images"). `is_global` is only a second net.
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved
        "255.255.255.255/32",
        "::/96",  # unspecified, loopback and deprecated IPv4-compatible addresses
        "::ffff:0:0/96",  # IPv4-mapped (unwrapped and checked as IPv4 too)
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, …)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4 (embedded IPv4 checked too)
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)

_TLS_CONTEXT = ssl.create_default_context()
# getaddrinfo cannot be given a timeout: resolve on a small pool and stop waiting at the deadline.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="imagior-dns")
_now = time.monotonic


class FetchError(Exception):
    """A remote image could not be fetched. The message never says why; `reason` does, for logs."""

    message = "The image could not be fetched."

    def __init__(self, reason: str = "", *, url: str | None = None) -> None:
        super().__init__(self.message)
        self.reason = reason
        self.url = url


def is_public_address(address: str) -> bool:
    """True if `address` (an IP literal) is outside every refused network, IPv4 inside IPv6 included."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += [embedded for embedded in (ip.ipv4_mapped, ip.sixtofour) if embedded is not None]
    for candidate in candidates:
        if not candidate.is_global or any(
            candidate in net for net in _REFUSED_NETWORKS if net.version == candidate.version
        ):
            return False
    return True


# --- the fetch -------------------------------------------------------------------------------


class _Deadline:
    """The fetch's total time budget; a timer shuts the live socket down when it runs out."""

    def __init__(self, seconds: float) -> None:
        self.expires_at = _now() + seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.expires_at - _now()
        if left <= 0 or self.expired:
            raise FetchError("total deadline passed")
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            # The plain socket's shutdown, also on an SSLSocket: it wakes a blocked recv
            # in another thread without touching the TLS object that thread is using.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to an address already checked; the host name only goes into Host and TLS SNI."""

    def __init__(self, host: str, port: int, *, tls: bool, addrinfo: list[tuple], deadline: _Deadline) -> None:
        super().__init__(host, port)
        self.default_port = 443 if tls else 80  # so Host carries the port only when it is not the default
        self._tls = tls
        self._addrinfo = addrinfo
        self._deadline = deadline

    def connect(self) -> None:
        errors: list[OSError] = []
        for family, sockaddr in self._addrinfo:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                self._deadline.watch(sock)
                sock.settimeout(min(CONNECT_TIMEOUT, self._deadline.remaining()))
                sock.connect(sockaddr)
                sock.settimeout(self._deadline.remaining())
                if self._tls:
                    # Handshake after watch(): a server that stalls the handshake is cut off too.
                    sock = _TLS_CONTEXT.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
                    self._deadline.watch(sock)
                    sock.do_handshake()
            except OSError as exc:  # this address failed: try the next checked one
                sock.close()
                errors.append(exc)
                continue
            except BaseException:
                sock.close()
                raise
            self.sock = sock
            return
        raise errors[-1] if errors else OSError("no address to connect to")


@dataclass
class _Target:
    url: str
    tls: bool
    host: str  # ASCII (IDNA) host name or IP literal, no brackets
    port: int
    path: str


def _parse(url: str) -> _Target:
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise FetchError("URL missing or too long")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"scheme {scheme!r} refused")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchError("credentials in URL refused")
    if not parts.hostname:
        raise FetchError("URL without a host")
    try:
        host = parts.hostname.encode("idna").decode("ascii") if not parts.hostname.isascii() else parts.hostname
    except UnicodeError:
        raise FetchError("host name not encodable") from None
    if port == 0:
        raise FetchError("port 0 refused")
    # Percent-encode what is not safe on the request line; existing escapes are kept.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _Target(url, scheme == "https", host, port or (443 if scheme == "https" else 80), path)


def _resolve(target: _Target, deadline: _Deadline) -> list[tuple]:
    """Every address of the host, each checked; one refused address refuses the whole name."""
    future = _RESOLVER.submit(socket.getaddrinfo, target.host, target.port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=deadline.remaining())
    except FutureTimeout:
        raise FetchError("DNS resolution timed out") from None
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"DNS resolution failed: {exc}") from None
    addresses: list[tuple] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if not getattr(settings, "ALLOW_PRIVATE_FETCH", False) and not is_public_address(sockaddr[0]):
            raise FetchError(f"{target.host} resolves to refused address {sockaddr[0]}")
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError("no usable address")
    return addresses


def _looks_like_image(head: bytes) -> bool:
    return head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    )


@dataclass
class _Entry:
    data: bytes
    fresh_until: float
    etag: str | None
    last_modified: str | None


def _freshness(headers: http.client.HTTPMessage) -> float | None:
    """Seconds the response may be reused without asking; None when it must not be stored."""
    directives = {}
    for part in ",".join(headers.get_all("Cache-Control") or []).split(","):
        name, _, value = part.strip().partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives:
        return None
    if "no-cache" in directives:
        return 0.0
    for name in ("s-maxage", "max-age"):  # we are a cache shared by every account
        if name in directives:
            try:
                lifetime = float(int(directives[name]))
            except ValueError:
                return 0.0
            try:
                age = float(int(headers.get("Age", "0")))
            except ValueError:
                age = 0.0
            return max(0.0, lifetime - age)
    if headers.get("Expires") is not None:
        return 0.0  # no clock-skew games: an Expires-only response is revalidated
    return HEURISTIC_FRESHNESS


def _fetch(url: str, cached: _Entry | None) -> _Entry | None:
    """One fetch with its redirects; returns the new entry, or None when `cached` is still valid (304)."""
    deadline = _Deadline(TOTAL_DEADLINE)
    try:
        target = _parse(url)
        for _hop in range(MAX_REDIRECTS + 1):
            addresses = _resolve(target, deadline)
            conn = _PinnedConnection(target.host, target.port, tls=target.tls, addrinfo=addresses, deadline=deadline)
            try:
                headers = {"User-Agent": USER_AGENT, "Accept": "image/*", "Connection": "close"}
                if cached is not None:
                    if cached.etag:
                        headers["If-None-Match"] = cached.etag
                    if cached.last_modified:
                        headers["If-Modified-Since"] = cached.last_modified
                conn.request("GET", target.path, headers=headers)
                response = conn.getresponse()
                if deadline.expired:  # headers cut short by the watchdog parse as complete
                    raise FetchError("total deadline passed")
                if response.status in _REDIRECTS:
                    location = response.getheader("Location")
                    if not location:
                        raise FetchError(f"redirect {response.status} without Location")
                    target = _parse(urljoin(target.url, location))
                    continue
                if response.status == 304 and cached is not None:
                    fresh = _freshness(response.msg)
                    cached.fresh_until = _now() + (fresh or 0.0)
                    return None
                if response.status != 200:
                    raise FetchError(f"HTTP status {response.status}")
                return _read_image(response, deadline)
            finally:
                conn.close()
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")
    except FetchError as exc:
        if deadline.expired and "deadline" not in exc.reason:
            exc.reason = f"total deadline passed ({exc.reason})"
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = "total deadline passed" if deadline.expired else f"{type(exc).__name__}: {exc}"
        raise FetchError(reason) from None
    finally:
        deadline.cancel()


def _read_image(response: http.client.HTTPResponse, deadline: _Deadline) -> _Entry:
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise FetchError(f"content type {content_type or 'missing'!r} refused")
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchError(f"content encoding {encoding!r} refused")  # we asked for identity: no bombs
    declared = response.getheader("Content-Length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > MAX_BYTES):
        raise FetchError(f"Content-Length {declared!r} refused")
    chunks, total = [], 0
    while True:
        deadline.remaining()
        chunk = response.read1(64 * 1024)  # read1: returns what arrived, so the deadline is checked between
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_BYTES:
            raise FetchError(f"body larger than {MAX_BYTES} bytes")
        chunks.append(chunk)
    if deadline.expired:
        raise FetchError("total deadline passed")
    if response.length:  # the server closed before sending its Content-Length
        raise FetchError("body shorter than Content-Length")
    data = b"".join(chunks)
    if not _looks_like_image(data[:12]):
        raise FetchError("body is not a PNG, JPEG, WebP, GIF or BMP image")
    fresh = _freshness(response.msg)
    return _Entry(
        data,
        fresh_until=-1.0 if fresh is None else _now() + fresh,
        etag=response.getheader("ETag"),
        last_modified=response.getheader("Last-Modified"),
    )


# --- the cache -------------------------------------------------------------------------------


class _Cache:
    """LRU by URL, bounded in entries and bytes; shared by the server's threads."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, url: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
            return entry

    def put(self, url: str, entry: _Entry) -> None:
        with self._lock:
            self._drop(url)
            if len(entry.data) > CACHE_MAX_BYTES:
                return
            self._entries[url] = entry
            self._bytes += len(entry.data)
            while len(self._entries) > CACHE_MAX_ENTRIES or self._bytes > CACHE_MAX_BYTES:
                self._drop(next(iter(self._entries)))

    def discard(self, url: str) -> None:
        with self._lock:
            self._drop(url)

    def _drop(self, url: str) -> None:
        old = self._entries.pop(url, None)
        if old is not None:
            self._bytes -= len(old.data)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_cache = _Cache()


def clear_cache() -> None:
    """Forget every cached image (tests, or after changing ALLOW_PRIVATE_FETCH)."""
    _cache.clear()


def fetch_image(url: str) -> bytes:
    """The bytes of the image at `url`, from the cache while fresh; raises FetchError."""
    cached = _cache.get(url)
    if cached is not None and _now() < cached.fresh_until:
        return cached.data
    if cached is not None and not (cached.etag or cached.last_modified):
        cached = None
    try:
        entry = _fetch(url, cached)
    except FetchError as exc:
        exc.url = url
        raise
    if entry is None:  # 304: the cached bytes are still right
        return cached.data
    if entry.fresh_until < 0:  # no-store
        _cache.discard(url)
    else:
        _cache.put(url, entry)
    return entry.data


def fetch_images(urls: Iterable[str]) -> dict[str, bytes]:
    """Fetch each distinct URL, a few at a time; raises FetchError naming the first failing URL (in order)."""
    unique = list(dict.fromkeys(urls))
    if len(unique) <= 1:
        return {url: fetch_image(url) for url in unique}
    pool = ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(unique)), thread_name_prefix="imagior-fetch")
    try:
        futures = {url: pool.submit(fetch_image, url) for url in unique}
        return {url: future.result() for url, future in futures.items()}
    finally:
        # On failure, do not wait for the others: each stops at its own deadline.
        pool.shutdown(wait=False, cancel_futures=True)


# --- webhooks: the same address rules for outgoing POSTs ------------------------------------


def check_url(url: str) -> None:
    """Raise FetchError unless `url` has a form the fetcher accepts (addresses are checked when used)."""
    _parse(url)


@dataclass(frozen=True)
class PostResult:
    status: int
    body: str  # the first KB of the answer, for the delivery log


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0) -> PostResult:
    """POST `body` to `url` under the fetcher's address rules; redirects are not followed.

    Raises FetchError when the URL or its addresses are refused, or on a network error or timeout.
    """
    deadline = _Deadline(timeout)
    try:
        target = _parse(url)
        addresses = _resolve(target, deadline)
        conn = _PinnedConnection(target.host, target.port, tls=target.tls, addrinfo=addresses, deadline=deadline)
        try:
            conn.request("POST", target.path, body=body, headers={"User-Agent": USER_AGENT, **headers})
            response = conn.getresponse()
            answer = response.read(1024)
            if deadline.expired:
                raise FetchError("total deadline passed")
            return PostResult(response.status, answer.decode("utf-8", "replace"))
        finally:
            conn.close()
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = "timed out" if deadline.expired else f"{type(exc).__name__}: {exc}"
        raise FetchError(reason, url=url) from None
    finally:
        deadline.cancel()
