"""What every client and integration test needs: the real service in its own
processes (bin/run on its own SQLite file), an account like the demo one for
each test module, and a proxy in front of the service that can drop a
connection after the server has answered.
"""

import re
import socket
import threading
from dataclasses import dataclass, field

import pytest

from tests.conftest import Server, running_server

PASSWORD = "clients-password"

# An account like the one `make run` seeds (Starter, verified, the sample templates,
# a live and a test key), made in one manage.py process.
MAKE_ACCOUNT = """
from accounts.models import ApiKey, User
from billing import ledger
from billing.models import Plan
from templates_app import services
from templates_app.samples import SAMPLES
user = User.objects.create_user({email!r}, {password!r})
user.mark_email_verified()
ledger.open_account(user, plan=Plan.objects.get(slug="starter"))
made = [services.create_template(owner=user, data=sample) for sample in SAMPLES]
print("template", next(t.public_id for t in made if t.name == "Blog card"))
print("live", ApiKey.issue(user, name="live", mode="live")[1])
print("test", ApiKey.issue(user, name="test", mode="test")[1])
"""


@dataclass
class Demo:
    """The service and one module's account: Starter, verified, the demo's sample templates."""

    server: Server
    email: str
    live_key: str
    test_key: str
    template: str  # the "Blog card" sample's public id
    password: str = PASSWORD

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def balance(self) -> int:
        """The account's balance as the API reports it (the ledger's sum)."""
        answer = self.server.session(self.live_key).get(f"{self.base_url}/api/v1/account", timeout=30)
        answer.raise_for_status()
        return answer.json()["credits"]["balance"]

    def check_ledger(self) -> str:
        return self.server.manage("check_ledger")


@pytest.fixture(scope="session")
def clients_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("clients")) as server:
        # Rate limits are not what these tests measure: a roomy live minute (test keys keep the
        # sandbox's 30 a minute per account, which is why each module has its own account).
        server.manage(
            "shell",
            "-c",
            "from billing.models import Plan; Plan.objects.filter(slug='starter').update(rate_limit_per_minute=10_000)",
        )
        yield server


@pytest.fixture(scope="module")
def demo(clients_server, request):
    """An account of this module's own, so modules never share a rate-limit minute."""
    email = f"{request.module.__name__.rsplit('.', 1)[-1].replace('_', '-')}@clients.example.com"
    printed = clients_server.manage("shell", "-c", MAKE_ACCOUNT.format(email=email, password=PASSWORD))
    found = dict(re.findall(r"^(template|live|test) (\S+)$", printed, re.MULTILINE))
    return Demo(clients_server, email, found["live"], found["test"], found["template"])


@dataclass
class DroppingProxy:
    """A loopback HTTP proxy to the service. `drop(n, method, path)` makes it pass
    the next n matching requests on, wait for the server's whole answer (so the
    work is done and charged), then reset the client's connection without
    answering: a connection dropped at the worst moment."""

    upstream: tuple[str, int]
    url: str = ""
    seen: list[dict] = field(default_factory=list)
    _drops: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def drop(self, n: int = 1, method: str = "POST", path: str = "/api/v1/images") -> None:
        with self._lock:
            self._drops.extend([(method, path)] * n)

    def _should_drop(self, method: str, path: str) -> bool:
        with self._lock:
            for i, (m, p) in enumerate(self._drops):
                if m == method and path.startswith(p):
                    del self._drops[i]
                    return True
        return False

    def serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with client:
            client.settimeout(60)
            request = _read_request(client)
            if request is None:
                return
            head, body = request
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = [line for line in lines[1:] if line and not line.lower().startswith("connection:")]
            names = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip() for line in headers}
            dropped = self._should_drop(method, path)
            self.seen.append(
                {"method": method, "path": path, "idempotency_key": names.get("idempotency-key"), "dropped": dropped}
            )
            upstream_request = "\r\n".join([lines[0], *headers, "Connection: close", "", ""]).encode("latin-1") + body
            with socket.create_connection(self.upstream, timeout=120) as upstream:
                upstream.sendall(upstream_request)
                answer = b""
                while chunk := upstream.recv(65536):
                    answer += chunk
            if dropped:
                # RST instead of FIN: the client sees "connection reset", no answer.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return
            client.sendall(answer)


def _read_request(client: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


@pytest.fixture
def dropping_proxy(demo):
    host, port = demo.base_url.removeprefix("http://").split(":")
    proxy = DroppingProxy(upstream=(host, int(port)))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    proxy.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    threading.Thread(target=proxy.serve, args=(listener,), daemon=True).start()
    yield proxy
    listener.close()
