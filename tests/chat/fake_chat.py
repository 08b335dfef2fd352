"""Local stand-ins for Google Chat's and Microsoft Teams' incoming webhooks: real HTTP servers on
127.0.0.1 that check what each service documents and refuse the rest.

Google Chat (`{base_url}/v1/spaces/AAAA/messages?key=KEY&token=TOKEN`):
- the key and token of the space's webhook, else 401 UNAUTHENTICATED;
- `Content-Type: application/json`, else 400; a body of at most 32,000 bytes (the message size
  limit), else 400 INVALID_ARGUMENT;
- a JSON object of Message fields only (an unknown name is 400 "Invalid JSON payload received");
  `text` or `cardsV2`; each card with a `header.title`, sections of 1 or more widgets, at most 100
  widgets, each widget one of textParagraph/decoratedText/buttonList/divider with its required field,
  buttons with text and an `onClick.openLink.url`; `cardId` on each card when there are several;
- `messageReplyOption`, when given, one of the documented values;
- success: 200 with the created Message (`name`, `thread.name`); a `thread.threadKey` reuses the
  thread of an earlier message with the same key.

Microsoft Teams (`{base_url}/webhookb2/TEAMS/IncomingWebhook/HOOK`):
- `Content-Type: application/json`, else 400; at most 28 KB, else 413;
- `{"type": "message", "attachments": [...]}` with 1 attachment of contentType
  `application/vnd.microsoft.card.adaptive` whose content is an AdaptiveCard of version 1.0 to 1.5, with
  a body of known elements (TextBlock with text, FactSet with title/value facts, Container, ColumnSet,
  Image) and actions of known types (Action.OpenUrl with a url); else 400 "Bad payload received by
  generic incoming webhook.";
- success: 200 `1`.

`fail_next(count, status)` makes the next requests fail (e.g. 429 or 503) before any check.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GOOGLE_KEY = "AIzaFAKEKEY"
GOOGLE_TOKEN = "fake-token-123"
SPACE = "AAAAfake"
GOOGLE_MAX_BYTES = 32_000
TEAMS_PATH = "/webhookb2/TEAMS/IncomingWebhook/HOOK"
TEAMS_MAX_BYTES = 28 * 1024
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
_MESSAGE_FIELDS = {"text", "cardsV2", "thread", "fallbackText", "accessoryWidgets", "privateMessageViewer",
                   "attachment", "annotations", "formattedText", "argumentText", "quotedMessageMetadata"}
_REPLY_OPTIONS = {"MESSAGE_REPLY_OPTION_UNSPECIFIED", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
                  "REPLY_MESSAGE_OR_FAIL"}
_WIDGETS = {"textParagraph": "text", "decoratedText": "text", "buttonList": "buttons", "divider": None}
_TEAMS_ELEMENTS = {"TextBlock", "FactSet", "Container", "ColumnSet", "Image"}
_TEAMS_ACTIONS = {"Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"}


def google_chat_problems(body: Any) -> list[str]:
    """Why Google Chat would refuse this Message; [] when it would take it."""
    if not isinstance(body, dict):
        return ["the body is not a Message object"]
    problems = [f"Invalid JSON payload received. Unknown name \"{name}\"" for name in body
                if name not in _MESSAGE_FIELDS]
    if not body.get("text") and not body.get("cardsV2"):
        problems.append("a message needs text or cardsV2")
    if "text" in body and not isinstance(body["text"], str):
        problems.append("text must be a string")
    cards = body.get("cardsV2", [])
    if not isinstance(cards, list):
        return [*problems, "cardsV2 must be a list"]
    for i, entry in enumerate(cards):
        where = f"cardsV2[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("card"), dict):
            problems.append(f"{where}: needs a card")
            continue
        if len(cards) > 1 and not entry.get("cardId"):
            problems.append(f"{where}: cardId is required when a message has several cards")
        problems += _card_problems(entry["card"], where)
    thread = body.get("thread")
    if thread is not None and (not isinstance(thread, dict) or set(thread) - {"name", "threadKey"}):
        problems.append("thread: only name and threadKey")
    return problems


def _card_problems(card: dict[str, Any], where: str) -> list[str]:
    problems = []
    header = card.get("header")
    if header is not None and (not isinstance(header, dict) or not isinstance(header.get("title"), str)
                               or not header["title"]):
        problems.append(f"{where}.header: needs a title")
    sections = card.get("sections")
    if not isinstance(sections, list) or not sections:
        return [*problems, f"{where}: needs sections"]
    count = 0
    for s, section in enumerate(sections):
        widgets = section.get("widgets") if isinstance(section, dict) else None
        if not isinstance(widgets, list) or not widgets:
            problems.append(f"{where}.sections[{s}]: needs widgets")
            continue
        count += len(widgets)
        for w, widget in enumerate(widgets):
            problems += _widget_problems(widget, f"{where}.sections[{s}].widgets[{w}]")
    if count > 100:
        problems.append(f"{where}: {count} widgets; the limit is 100")
    return problems


def _widget_problems(widget: Any, where: str) -> list[str]:
    if not isinstance(widget, dict) or len(widget) != 1 or next(iter(widget)) not in _WIDGETS:
        return [f"{where}: one of {sorted(_WIDGETS)}"]
    kind, value = next(iter(widget.items()))
    required = _WIDGETS[kind]
    if required is None:
        return []
    if not isinstance(value, dict) or not value.get(required):
        return [f"{where}.{kind}: needs {required}"]
    if kind == "buttonList":
        return [f"{where}: a button needs text and onClick.openLink.url" for b in value["buttons"]
                if not isinstance(b, dict) or not b.get("text")
                or not (((b.get("onClick") or {}).get("openLink") or {}).get("url"))]
    return [] if isinstance(value[required], str) else [f"{where}.{kind}.{required}: must be a string"]


def teams_problems(body: Any) -> list[str]:
    """Why a Teams incoming webhook would refuse this message; [] when it would take it."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return ["type must be message"]
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return ["attachments must hold one card"]
    attachment = attachments[0]
    if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE:
        return [f"contentType must be {ADAPTIVE}"]
    card = attachment.get("content")
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return ["content must be an AdaptiveCard"]
    problems = []
    if card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
        problems.append(f"version {card.get('version')!r} is not one Teams renders (1.0 to 1.5)")
    elements = card.get("body")
    if not isinstance(elements, list) or not elements:
        problems.append("body must list elements")
        elements = []
    for i, element in enumerate(elements):
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in _TEAMS_ELEMENTS:
            problems.append(f"body[{i}]: unknown element {kind!r}")
        elif kind == "TextBlock" and not isinstance(element.get("text"), str):
            problems.append(f"body[{i}]: a TextBlock needs text")
        elif kind == "FactSet" and not all(isinstance(f, dict) and isinstance(f.get("title"), str)
                                           and isinstance(f.get("value"), str) for f in element.get("facts", [None])):
            problems.append(f"body[{i}]: facts need a title and a value")
    for i, action in enumerate(card.get("actions", [])):
        if not isinstance(action, dict) or action.get("type") not in _TEAMS_ACTIONS:
            problems.append(f"actions[{i}]: unknown action")
        elif action["type"] == "Action.OpenUrl" and not action.get("url"):
            problems.append(f"actions[{i}]: Action.OpenUrl needs a url")
    return problems


@dataclass
class Posted:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    thread: str = ""


@dataclass
class FakeChat:
    """Both services on one loopback server. Start with `with FakeChat() as chat:`."""

    google: list[Posted] = field(default_factory=list)
    teams: list[Posted] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    threads: dict[str, str] = field(default_factory=dict)  # threadKey -> thread name

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: deque[int] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def google_url(self) -> str:
        return f"{self.base_url}/v1/spaces/{SPACE}/messages?key={GOOGLE_KEY}&token={GOOGLE_TOKEN}"

    @property
    def teams_url(self) -> str:
        return f"{self.base_url}{TEAMS_PATH}"

    def __enter__(self) -> FakeChat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, str, str]:
        """(status, content type, body) for one POST."""
        with self._lock:
            if self._failures:
                status = self._failures.popleft()
                return status, "text/plain", "throttled" if status == 429 else "unavailable"
            split = urlsplit(path)
            query = parse_qs(split.query)
            if split.path == f"/v1/spaces/{SPACE}/messages":
                return self._google(split.path, query, headers, raw)
            if split.path == TEAMS_PATH:
                return self._teams(split.path, query, headers, raw)
            return 404, "text/plain", "not found"

    def _refuse(self, status: int, why: str, content_type: str = "application/json") -> tuple[int, str, str]:
        self.refused.append((status, why))
        if content_type == "application/json":
            return status, content_type, json.dumps({"error": {"code": status, "message": why,
                                                               "status": "INVALID_ARGUMENT"}})
        return status, content_type, why

    def _google(self, path: str, query: dict[str, list[str]], headers: dict[str, str],
                raw: bytes) -> tuple[int, str, str]:
        if query.get("key") != [GOOGLE_KEY] or query.get("token") != [GOOGLE_TOKEN]:
            return self._refuse(401, "UNAUTHENTICATED: the webhook's key and token are required")
        if not headers.get("content-type", "").startswith("application/json"):
            return self._refuse(400, "Content-Type must be application/json")
        if len(raw) > GOOGLE_MAX_BYTES:
            return self._refuse(400, f"message is {len(raw)} bytes; the limit is {GOOGLE_MAX_BYTES}")
        option = query.get("messageReplyOption", ["MESSAGE_REPLY_OPTION_UNSPECIFIED"])[0]
        if option not in _REPLY_OPTIONS:
            return self._refuse(400, f"unknown messageReplyOption {option}")
        try:
            body = json.loads(raw)
        except ValueError:
            return self._refuse(400, "Invalid JSON payload received")
        problems = google_chat_problems(body)
        if problems:
            return self._refuse(400, "; ".join(problems))
        key = (body.get("thread") or {}).get("threadKey")
        replying = key and option != "MESSAGE_REPLY_OPTION_UNSPECIFIED"
        thread = self.threads.get(key, "") if replying else ""
        number = len(self.google) + 1
        thread = thread or f"spaces/{SPACE}/threads/T{number}"
        if key:
            self.threads.setdefault(key, thread)
        self.google.append(Posted(path, query, headers, body, thread))
        return 200, "application/json", json.dumps({"name": f"spaces/{SPACE}/messages/M{number}",
                                                    "text": body.get("text", ""), "thread": {"name": thread}})

    def _teams(self, path: str, query: dict[str, list[str]], headers: dict[str, str],
               raw: bytes) -> tuple[int, str, str]:
        if not headers.get("content-type", "").startswith("application/json"):
            return self._refuse(400, "Bad payload received by generic incoming webhook.", "text/plain")
        if len(raw) > TEAMS_MAX_BYTES:
            return self._refuse(413, "Message size too large.", "text/plain")
        try:
            body = json.loads(raw)
        except ValueError:
            return self._refuse(400, "Bad payload received by generic incoming webhook.", "text/plain")
        if teams_problems(body):
            return self._refuse(400, "Bad payload received by generic incoming webhook.", "text/plain")
        self.teams.append(Posted(path, query, headers, body))
        return 200, "text/plain", "1"


def _handler(chat: FakeChat) -> type[BaseHTTPRequestHandler]:
    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, content_type, text = chat.answer(self.path, headers, raw)
            payload = text.encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Endpoint
