"""A real OpenID provider for tests: oidc-provider-mock's app served over HTTP on 127.0.0.1, on a free
port, from a thread. It accepts any client id and secret. A thin WSGI wrapper records what clients
send to its authorization and token endpoints, so tests can check the PKCE pair end to end (the mock
itself ignores code_challenge)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving

CLIENT_ID = "firebell-test"
CLIENT_SECRET = "test-secret-value"


@dataclass
class Provider:
    url: str
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def add_person(self, email: str, *, verified: bool = True, name: str = "") -> None:
        claims: dict[str, Any] = {"email": email, "email_verified": verified}
        if name:
            claims["name"] = name
        httpx.put(f"{self.url}/users/{quote(email, safe='')}", json=claims).raise_for_status()

    def authorize(self, authorization_url: str, subject: str) -> str:
        """What a person does on the provider's page: sign in as `subject`. Returns the callback URL
        the provider redirects the browser to."""
        response = httpx.post(authorization_url, data={"sub": subject})
        assert response.status_code == 302, response.text
        return response.headers["location"]


def _first(query: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in query.items()}


def _recording(app: Callable[..., Iterable[bytes]], provider: Provider) -> Callable[..., Iterable[bytes]]:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            provider.authorize_requests.append(_first(parse_qs(environ.get("QUERY_STRING", ""))))
        elif path == "/oauth2/token":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            provider.token_requests.append(_first(parse_qs(body.decode())))
            environ["wsgi.input"] = BytesIO(body)
        return app(environ, start_response)
    return wrapped


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider(url="")
    app = _recording(oidc_provider_mock.app(require_nonce=True), provider)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    """One provider for the session (each test signs its own people in); import it where it is used."""
    with running_provider() as running:
        yield running
