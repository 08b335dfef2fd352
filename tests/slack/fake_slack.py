"""A local stand-in for Slack's hosted side: a real HTTP server on 127.0.0.1 that checks what Slack checks.

Web API (`{base_url}/api/<method>`), JSON bodies only:

- `Authorization: Bearer <token>`: absent gives `not_authed`, any other token `invalid_auth`.
- `Content-Type` must be JSON (else `invalid_form_data`); JSON without `charset=utf-8` is accepted with
  `"warning": "missing_charset"`, as Slack does. A body that is not a JSON object gives `invalid_json`.
- `channel` must be one of the configured ids (`channel_not_found`) and not archived (`is_archived`).
- `text` or `blocks` is required (`no_text`); `text` is at most 40,000 characters (`msg_too_long`);
  `blocks` must pass `block_kit_problems` (`invalid_blocks`, with the problems under `errors`).
- chat.update needs a `ts` that was posted in that channel (`message_not_found`); it adds a version to
  that message, so tests can see one message updated in place.
- Success: HTTP 200 `{"ok": true, "channel": ..., "ts": "1700000000.000100", "message": {...}}`, with
  `ts` increasing per post.

Incoming webhook (`{base_url}/services/T000/B000/XXXX`): 200 `ok`; 400 `invalid_payload` for a body that
is not a JSON object, `missing_text_or_fallback_or_attachments`, or `invalid_blocks`; or whatever
`webhook_failure` is set to, e.g. `(404, "channel_not_found")` or `(410, "channel_is_archived")`.

Response URLs (`new_response_url()`). An emulation, since Slack documents only the limit itself ("at most
5 times within 30 minutes"): the first 5 posts within 30 minutes of issue get 200 `ok`; a 6th gets
404 `used_url`; any post after 30 minutes gets 404 `expired_url`. Time comes from the `clock` given.

Scripted answers (`respond_next`, `fail_next`) take precedence over everything above for the next
requests to any path, e.g. three 429s with `Retry-After: 30`, an HTTP 500, a redirect, or a reply held
until the client has given up (`hold_s`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TOKEN = "xoxb-fake-token"
CHANNEL = "C0INCIDENT"
WEBHOOK_PATH = "/services/T000/B000/XXXX"
MAX_MESSAGE_TEXT = 40_000
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_LIFETIME_S = 30 * 60

_BLOCK_KEYS = {
    "header": {"type", "block_id", "text"},
    "section": {"type", "block_id", "text", "fields", "accessory"},
    "context": {"type", "block_id", "elements"},
    "actions": {"type", "block_id", "elements"},
    "divider": {"type", "block_id"},
}
_BUTTON_KEYS = {"type", "text", "action_id", "value", "style", "url", "confirm", "accessibility_label"}


def _unexpected_keys(obj: dict[str, Any], allowed: set[str], where: str) -> list[str]:
    extra = set(obj) - allowed
    return [f"{where}: unexpected keys {sorted(extra)}"] if extra else []


def _text_problems(obj: Any, where: str, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: must be a text object"]
    kind = obj.get("type")
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if kind not in allowed:
        return [f"{where}: type must be one of {sorted(allowed)}, got {kind!r}"]
    problems = _unexpected_keys(obj, {"type", "text", "emoji" if kind == "plain_text" else "verbatim"}, where)
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: text must be a non-empty string")
    elif len(text) > limit:
        problems.append(f"{where}: text is {len(text)} characters; the limit is {limit}")
    return problems


def _button_problems(button: Any, where: str) -> list[str]:
    if not isinstance(button, dict) or button.get("type") != "button":
        return [f"{where}: only buttons are emulated"]
    problems = _unexpected_keys(button, _BUTTON_KEYS, where)
    problems += _text_problems(button.get("text"), f"{where}.text", 75, plain_only=True)
    for key, limit in (("action_id", 255), ("value", 2000), ("url", 3000)):
        value = button.get(key)
        if value is not None and (not isinstance(value, str) or not value or len(value) > limit):
            problems.append(f"{where}.{key}: must be a string of 1 to {limit} characters")
    if "style" in button and button["style"] not in ("primary", "danger"):
        problems.append(f"{where}.style: must be primary or danger")
    return problems


def _elements_problems(elements: Any, where: str, limit: int, check: Callable[[Any, str], list[str]]) -> list[str]:
    if not isinstance(elements, list) or not 1 <= len(elements) <= limit:
        return [f"{where}: must be a list of 1 to {limit} elements"]
    return [problem for i, element in enumerate(elements) for problem in check(element, f"{where}[{i}]")]


def _context_element_problems(element: Any, where: str) -> list[str]:
    if isinstance(element, dict) and element.get("type") == "image":
        return [] if element.get("image_url") and element.get("alt_text") else [f"{where}: image needs url and alt"]
    return _text_problems(element, where, 3000)


def _block_problems(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in _BLOCK_KEYS:
        kind = block.get("type") if isinstance(block, dict) else type(block).__name__
        return [f"{where}: unsupported block type {kind!r}"]
    kind = block["type"]
    problems = _unexpected_keys(block, _BLOCK_KEYS[kind], where)
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or not block_id or len(block_id) > 255):
        problems.append(f"{where}.block_id: must be a string of 1 to 255 characters")
    if kind == "header":
        problems += _text_problems(block.get("text"), f"{where}.text", 150, plain_only=True)
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where}: a section needs text or fields")
        if "text" in block:
            problems += _text_problems(block["text"], f"{where}.text", 3000)
        if "fields" in block:
            problems += _elements_problems(
                block["fields"], f"{where}.fields", 10, lambda f, w: _text_problems(f, w, 2000)
            )
        if "accessory" in block:
            problems += _button_problems(block["accessory"], f"{where}.accessory")
    elif kind == "context":
        problems += _elements_problems(block.get("elements"), f"{where}.elements", 10, _context_element_problems)
    elif kind == "actions":
        problems += _elements_problems(block.get("elements"), f"{where}.elements", 25, _button_problems)
        elements = block.get("elements") if isinstance(block.get("elements"), list) else []
        action_ids = [e.get("action_id") for e in elements if isinstance(e, dict) and e.get("action_id")]
        if len(action_ids) != len(set(action_ids)):
            problems.append(f"{where}: action_id values must be unique within a block")
    return problems


def block_kit_problems(message: Mapping[str, Any]) -> list[str]:
    """Why Slack would refuse this message's `text`/`blocks` (limits from wire-formats §4.5); [] if valid.

    Only the block and element types Firebell uses are known; anything else counts as a problem.
    """
    problems: list[str] = []
    if "text" in message and not isinstance(message["text"], str):
        problems.append("text: must be a string")
    if "blocks" not in message:
        return problems
    blocks = message["blocks"]
    if not isinstance(blocks, list):
        return [*problems, "blocks: must be a list"]
    if len(blocks) > 50:
        problems.append(f"blocks: {len(blocks)} blocks; the limit is 50")
    for i, block in enumerate(blocks):
        problems += _block_problems(block, f"blocks[{i}]")
    block_ids = [b["block_id"] for b in blocks if isinstance(b, dict) and isinstance(b.get("block_id"), str)]
    if len(block_ids) != len(set(block_ids)):
        problems.append("blocks: block_id values must be unique within a message")
    return problems


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class PostedMessage:
    """One message in a channel and every version of it, oldest first (versions[0] is what was posted)."""

    channel: str
    ts: str
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[-1]


@dataclass
class ScriptedResponse:
    status: int
    body: str = ""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    hold_s: float = 0.0  # wait this long (or until the server stops) before answering


@dataclass
class _ResponseUrl:
    issued_at: float
    posts: list[dict[str, Any]] = field(default_factory=list)


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; point clients at `slack.api_url` / `slack.webhook_url`."""

    def __init__(
        self,
        token: str = TOKEN,
        channels: Iterable[str] = (CHANNEL,),
        archived_channels: Iterable[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.channels = set(channels)
        self.archived_channels = set(archived_channels)
        self.clock = clock
        self.messages: list[PostedMessage] = []
        self.requests: list[RecordedRequest] = []
        self.warnings: list[str] = []
        self.webhook_posts: list[dict[str, Any]] = []
        self.webhook_failure: tuple[int, str] | None = None
        self.user_emails: dict[str, str] = {}  # users.info: member id -> profile email
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._scripted: deque[ScriptedResponse] = deque()
        self._ts_counter = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the next poll, and tests start one server each.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}{WEBHOOK_PATH}"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # releases held replies so shutdown does not wait for them
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def respond_next(self, *responses: ScriptedResponse) -> None:
        with self._lock:
            self._scripted.extend(responses)

    def fail_next(self, count: int, status: int = 429, retry_after: int | None = 30) -> None:
        """The next `count` requests get `status`: 429 as Slack sends it (JSON `ratelimited` plus
        Retry-After), anything else as a bare plain-text error page."""
        if status == 429:
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            scripted = ScriptedResponse(
                429, json.dumps({"ok": False, "error": "ratelimited"}), "application/json", headers
            )
        else:
            scripted = ScriptedResponse(status, "upstream error")
        self.respond_next(*[scripted] * count)

    def new_response_url(self) -> str:
        with self._lock:
            url_id = f"R{len(self._response_urls) + 1:04d}"
            self._response_urls[url_id] = _ResponseUrl(issued_at=self.clock())
        return f"{self.base_url}/response/{url_id}"

    def response_posts(self, url: str) -> list[dict[str, Any]]:
        return self._response_urls[url.rsplit("/", 1)[1]].posts

    def message(self, channel: str, ts: str) -> PostedMessage:
        return next(m for m in self.messages if m.channel == channel and m.ts == ts)

    # The rest runs on the server's request threads, under self._lock.

    def _next_scripted(self) -> ScriptedResponse | None:
        return self._scripted.popleft() if self._scripted else None

    def _api(self, method: str, request: RecordedRequest) -> dict[str, Any]:
        if method not in ("chat.postMessage", "chat.update", "users.info"):
            return {"ok": False, "error": "unknown_method"}
        authorization = request.headers.get("authorization", "")
        if not authorization:
            return {"ok": False, "error": "not_authed"}
        if authorization != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        if method == "users.info":  # form-encoded, as Slack documents for this method
            user = parse_qs(request.body.decode()).get("user", [""])[0]
            if user not in self.user_emails:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": self.user_emails[user]}}}
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            return {"ok": False, "error": "invalid_form_data"}
        try:
            body = request.json()
        except ValueError:
            return {"ok": False, "error": "invalid_json"}
        if not isinstance(body, dict):
            return {"ok": False, "error": "invalid_json"}
        answer = self._chat(method, body)
        if "charset=utf-8" not in content_type.replace(" ", "").lower():
            answer["warning"] = "missing_charset"
            self.warnings.append("missing_charset")
        return answer

    def _chat(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.archived_channels:
            return {"ok": False, "error": "is_archived"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if isinstance(body.get("text"), str) and len(body["text"]) > MAX_MESSAGE_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        problems = block_kit_problems(body)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        content = {key: body[key] for key in ("text", "blocks") if key in body}
        if method == "chat.update":
            ts = body.get("ts")
            posted = [m for m in self.messages if m.channel == channel and m.ts == ts]
            if not posted:
                return {"ok": False, "error": "message_not_found"}
            posted[0].versions.append(content)
        else:
            ts = f"1700000000.{next(self._ts_counter) * 100:06d}"
            self.messages.append(PostedMessage(channel, ts, [content]))
        return {"ok": True, "channel": channel, "ts": ts, "message": {"type": "message", "ts": ts, **content}}

    def _webhook(self, request: RecordedRequest) -> tuple[int, str]:
        if self.webhook_failure is not None:
            return self.webhook_failure
        try:
            body = request.json()
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        if not body.get("text") and not body.get("blocks") and not body.get("attachments"):
            return 400, "missing_text_or_fallback_or_attachments"
        if block_kit_problems(body):
            return 400, "invalid_blocks"
        self.webhook_posts.append(body)
        return 200, "ok"

    def _response_url(self, url_id: str, request: RecordedRequest) -> tuple[int, str]:
        issued = self._response_urls.get(url_id)
        if issued is None or self.clock() - issued.issued_at > RESPONSE_URL_LIFETIME_S:
            return 404, "expired_url"
        if len(issued.posts) >= RESPONSE_URL_MAX_POSTS:
            return 404, "used_url"
        try:
            body = request.json()
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(body, dict) or block_kit_problems(body):
            return 400, "invalid_payload"
        if not body.get("text") and not body.get("blocks") and not body.get("delete_original"):
            return 400, "no_text"
        issued.posts.append(body)
        return 200, "ok"

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            self.requests.append(request)
            scripted = self._next_scripted()
            if scripted is not None:
                return scripted
            if request.path.startswith("/api/"):
                answer = self._api(request.path.removeprefix("/api/"), request)
                return ScriptedResponse(200, json.dumps(answer), "application/json; charset=utf-8")
            if request.path == WEBHOOK_PATH:
                status, text = self._webhook(request)
            elif request.path.startswith("/response/"):
                status, text = self._response_url(request.path.removeprefix("/response/"), request)
            else:
                status, text = 404, "no_service"
            return ScriptedResponse(status, text, "text/html")


def _handler_for(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class SlackEndpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = slack._answer(RecordedRequest("POST", self.path, headers, body))
            if reply.hold_s:
                slack._stopping.wait(reply.hold_s)
            payload = reply.body.encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting (timeout tests); nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return SlackEndpoint
