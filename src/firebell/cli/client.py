"""A small API client for the CLI: where the server is, which token to use, one-line errors."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console

from firebell import __version__

err = Console(stderr=True, soft_wrap=True)  # one error, one line, whatever the width


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "firebell" / "cli.json"


def save_login(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "token": token}))
    path.chmod(0o600)
    return path


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@dataclass
class Client:
    url: str
    token: str | None

    @classmethod
    def from_env(cls) -> Client:
        url, token = os.environ.get("FIREBELL_URL"), os.environ.get("FIREBELL_TOKEN")
        if not (url and token) and config_path().exists():
            try:
                saved = json.loads(config_path().read_text())
            except (OSError, ValueError):
                saved = {}
            url = url or saved.get("url")
            token = token or saved.get("token")
        if not url:
            fail("no server configured: set FIREBELL_URL and FIREBELL_TOKEN, or run `firebell login`")
        return cls(url=url.rstrip("/"), token=token)

    def request(self, method: str, path: str, *, json_body: Any = None,
                params: dict[str, Any] | None = None) -> Any:
        headers = {"User-Agent": f"firebell-cli/{__version__}", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = httpx.request(method, self.url + path, json=json_body, params=params, headers=headers,
                                     timeout=30)
        except httpx.HTTPError as exc:
            fail(f"cannot reach Firebell at {self.url}: {exc}", code=3)
        if response.status_code >= 400:
            fail(_problem_text(response))
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v not in (None, [], "")})

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json_body=body)


def _problem_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title") or response.reason_phrase
    except ValueError:
        detail = response.text.strip()[:200] or response.reason_phrase
    return f"{detail} (HTTP {response.status_code})"
