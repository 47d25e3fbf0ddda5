"""A local fake of GitHub's and Google's OAuth 2 endpoints: a real HTTP server on a
free port that allauth's server-side calls (code exchange, profile, e-mails) reach
with `requests`. It also answers the browser's authorize step by sending it straight
back to the callback, as the provider does once the user has agreed."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN = "fake-access-token"
CODE = "fake-code"


@dataclass
class Person:
    """Who is signed in at the fake provider."""

    uid: int = 4242
    email: str = "ada@example.com"
    verified: bool = True
    name: str = "Ada Lovelace"


@dataclass
class FakeProvider:
    person: Person = field(default_factory=Person)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)
    url: str = ""

    def github(self, path: str):
        if path == "/api/v3/user":
            return {"id": self.person.uid, "login": "ada", "name": self.person.name, "email": None}
        if path == "/api/v3/user/emails":
            return [{"email": self.person.email, "verified": self.person.verified, "primary": True}]
        return None

    def google(self, path: str):
        if path == "/google/userinfo":
            return {
                "id": str(self.person.uid),
                "email": self.person.email,
                "verified_email": self.person.verified,
                "name": self.person.name,
            }
        return None


def _handler(fake: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def _answer(self, status: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path, _, query = self.path.partition("?")
            fake.requests.append(("GET", path, {"authorization": self.headers.get("Authorization", "")}))
            if path in ("/login/oauth/authorize", "/google/authorize"):
                params = parse_qs(query)
                back = f"{params['redirect_uri'][0]}?{urlencode({'code': CODE, 'state': params['state'][0]})}"
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()
                return
            if not self.headers.get("Authorization", "").endswith(TOKEN):
                self._answer(401, {"message": "Bad credentials"})
                return
            body = fake.github(path) if not path.startswith("/google/") else fake.google(path)
            self._answer(200 if body is not None else 404, body if body is not None else {"message": "Not Found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fake.requests.append(("POST", self.path, form))
            if form.get("code") != CODE:
                self._answer(400, {"error": "bad_verification_code"})
                return
            self._answer(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600})

    return Handler


def start(fake: FakeProvider) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def point_allauth_at(monkeypatch, base: str) -> None:
    """Send allauth's GitHub and Google adapters to the fake. allauth reads these URLs
    (GitHub's GITHUB_URL, Google's ACCESS_TOKEN_URL/AUTHORIZE_URL/IDENTITY_URL settings)
    once, when its provider modules are imported, so a fake on a port chosen at test
    time sets the class attributes those settings would have set."""
    from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
    from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter

    for name, value in {
        "access_token_url": f"{base}/login/oauth/access_token",
        "authorize_url": f"{base}/login/oauth/authorize",
        "profile_url": f"{base}/api/v3/user",
        "emails_url": f"{base}/api/v3/user/emails",
    }.items():
        monkeypatch.setattr(GitHubOAuth2Adapter, name, value)
    for name, value in {
        "access_token_url": f"{base}/google/token",
        "authorize_url": f"{base}/google/authorize",
        "identity_url": f"{base}/google/userinfo",
    }.items():
        monkeypatch.setattr(GoogleOAuth2Adapter, name, value)


def provider_settings() -> dict:
    """SOCIALACCOUNT_PROVIDERS as settings.py builds it from GITHUB_/GOOGLE_CLIENT_ID and _SECRET."""
    return {
        "github": {"APPS": [{"client_id": "gh-id", "secret": "gh-secret"}], "SCOPE": ["read:user", "user:email"]},
        "google": {"APPS": [{"client_id": "g-id", "secret": "g-secret"}], "SCOPE": ["openid", "email", "profile"]},
    }


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
