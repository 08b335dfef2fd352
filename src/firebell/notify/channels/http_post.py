"""A small keep-alive HTTP/1.1 POST client for outgoing webhooks, on the standard library's http.client.

Why not httpx, which the other HTTP channels use: the sender posts one page after another on one
thread, and httpx's per-request machinery cost 0.48 ms of CPU a page against 0.16 ms here (measured
against the same loopback receiver). That CPU is taken from the engine's escalation thread, which
shares the interpreter: in a storm of pages, the sender slowed the timers by a quarter.

What it keeps of the httpx client it replaces: one kept-alive connection per origin (reused whatever
the answer, when its body was read), separate connect and read timeouts, certificate checks for
https (against the same authorities), no redirect ever followed. URLs that need more (a proxy from the
environment, credentials in the URL, non-ASCII hosts or paths) are not posted here: the caller
sends those with httpx (`needs_httpx`).
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from firebell.core.content_length import declared_length

# What a kept-alive connection the receiver has since closed fails with (over TLS: an EOF). The page is
# sent again on a new connection; a receiver that did get it sees the same webhook-id twice.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ssl.SSLEOFError)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes | None  # None when it was not read: streamed, too big, compressed or too slow


class PostFailed(Exception):
    """No status arrived. `kind`: "unusable" (the URL), "connect", "connect_timeout", "timeout",
    "connection" (dropped after connecting)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def small_body_length(headers: Mapping[str, str], limit: int) -> int | None:
    """The declared length of a response body worth reading whole: stated, within `limit`, not
    encoded (compressed or chunked bodies are not waited for). None otherwise."""
    declared = declared_length(headers.get("content-length", ""))
    if declared is None or declared > limit or headers.get("content-encoding"):
        return None
    return declared


def needs_httpx(url: str) -> bool:
    """Whether this URL needs what only httpx does here: a proxy from the environment (HTTP_PROXY,
    HTTPS_PROXY, ALL_PROXY, NO_PROXY), credentials in the URL (sent as Basic auth), or a host or path
    outside ASCII (IDNA and percent-encoding)."""
    if not url.isascii():
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False  # unusable: the poster says why
    if parts.username is not None or parts.password is not None:
        return True
    proxies = urllib.request.getproxies()
    return bool(proxies.get(parts.scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(
        parts.hostname or "")


def _tls_context() -> ssl.SSLContext:
    """Certificates checked against the same authorities httpx uses: SSL_CERT_FILE or SSL_CERT_DIR
    when set, else certifi's bundle."""
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class Poster:
    """POSTs to any http(s) URL, keeping one idle connection per origin. Safe to share between threads:
    a connection is in one request's hands at a time."""

    def __init__(self, connect_timeout_s: float, read_timeout_s: float, max_body: int, body_budget_s: float) -> None:
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self.max_body, self.body_budget_s = max_body, body_budget_s
        self._idle: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    def close(self) -> None:
        with self._lock:
            idle, self._idle, self._closed = self._idle, {}, True
        for connection in idle.values():
            connection.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        origin, target = _split(url)
        with self._lock:
            connection = self._idle.pop(origin, None)
        if connection is not None:
            try:
                return self._exchange(origin, connection, target, body, headers)
            except _STALE:
                connection.close()  # the receiver had closed the idle connection: a fresh one below
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                raise self._failed(exc) from exc
        connection = self._connect(origin)
        try:
            return self._exchange(origin, connection, target, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise self._failed(exc) from exc

    def _failed(self, exc: BaseException) -> PostFailed:
        if isinstance(exc, TimeoutError):
            return PostFailed("timeout", f"no answer within {self.read_timeout_s:g} s")
        return PostFailed("connection", f"{type(exc).__name__}: {exc}")

    def _connect(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            if self._tls is None:
                self._tls = _tls_context()
            connection = http.client.HTTPSConnection(host, port, timeout=self.connect_timeout_s, context=self._tls)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.connect_timeout_s)
        try:
            connection.connect()
        except TimeoutError as exc:
            raise PostFailed("connect_timeout", str(exc)) from exc
        except (OSError, ValueError) as exc:  # refused, unreachable, DNS, TLS handshake or certificate
            raise PostFailed("connect", f"{type(exc).__name__}: {exc}") from exc
        connection.sock.settimeout(self.read_timeout_s)
        return connection

    def _exchange(self, origin: tuple[str, str, int], connection: http.client.HTTPConnection, target: str,
                  body: bytes, headers: dict[str, str]) -> Answer:
        connection.request("POST", target, body=body, headers=headers)
        sock = connection.sock
        response = connection.getresponse()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        # A response that ends the connection owns the socket now (its timeout stays the read timeout).
        answer = Answer(response.status, answer_headers,
                        self._read_small(None if response.will_close else sock, response, answer_headers))
        if answer.body is None or response.will_close:
            connection.close()
        else:
            with self._lock:
                spare = connection if self._closed else self._idle.pop(origin, None)
                if not self._closed:
                    self._idle[origin] = connection
            if spare is not None:
                spare.close()
        return answer

    def _read_small(self, sock: socket.socket | None, response: http.client.HTTPResponse,
                    headers: dict[str, str]) -> bytes | None:
        """The body, when it declares a length within the limit, comes unencoded and arrives within
        the body budget; else None (and the connection is dropped, not drained)."""
        declared = small_body_length(headers, self.max_body)
        if declared is None:
            return None
        deadline = time.monotonic() + self.body_budget_s
        collected = b""
        try:
            while len(collected) < declared:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if sock is not None:
                    sock.settimeout(min(left, self.read_timeout_s))
                chunk = response.read1(declared - len(collected))
                if not chunk:
                    return None
                collected += chunk
            response.read()  # nothing is left: this marks the response complete, so the connection can be reused
        except (OSError, http.client.HTTPException):
            return None
        finally:
            if sock is not None:
                sock.settimeout(self.read_timeout_s)
        return collected


def _split(url: str) -> tuple[tuple[str, str, int], str]:
    """((scheme, host, port), request target), or PostFailed("unusable")."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise PostFailed("unusable", str(exc)) from exc
    if parts.scheme not in ("http", "https"):
        raise PostFailed("unusable", f"unsupported scheme {parts.scheme!r}" if parts.scheme else "not a URL")
    if not parts.hostname:
        raise PostFailed("unusable", "no host")
    if any(c in url for c in "\r\n\t ") or not url.isascii():
        raise PostFailed("unusable", "spaces, control or non-ASCII characters in the URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname
    return (parts.scheme, host, port or (443 if parts.scheme == "https" else 80)), target
