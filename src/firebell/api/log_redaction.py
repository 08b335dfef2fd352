"""Keep the secrets that travel in request paths out of the server's log.

Integration keys (`/integrations/alertmanager/<key>`), action-link tokens (`/act/<token>`), password
links (`/invite/<token>`, `/reset/<token>`), status page subscribers' confirm and unsubscribe links
(`/subscriptions/confirm/<token>`), calendar feed tokens (`/ical/<token>.ics`) and page-call
tokens (`/integrations/twilio/voice/<token>`) are credentials: whoever reads a log line holding one
can send alerts, acknowledge or resolve an incident for a day, set someone's password, or read a
schedule. `firebell serve` installs `RedactSecrets` on every handler
of its logging configuration, so the access log, the error log and their tracebacks show the route
template (`/act/{token}`) instead, and the value of any query parameter named like a secret as `***`.

Matching is on the text of the record, not on the route that served it: the same path also turns up
in messages of Firebell's own ("unhandled error on ..."), in uvicorn's debug output and in exception
messages. Each letter of a route's fixed part may be percent-encoded, as a client may send it
(`/integrations%2Fheartbeat%2F<key>` reaches the heartbeat route).

The log channel's pages (FIREBELL_LOG_CHANNELS, the demo) are left whole: writing the page, links
included, to the log is that channel's whole job, and it is never on unless asked for.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

# Fixed part of each route whose next path segment is a secret, and what that segment becomes.
SECRET_SEGMENTS = {
    "/integrations/alertmanager/": "{key}",
    "/integrations/grafana/": "{key}",
    "/integrations/webhook/": "{key}",
    "/integrations/heartbeat/": "{key}",
    "/integrations/twilio/voice/": "{token}",
    "/act/": "{token}",
    "/invite/": "{token}",
    "/reset/": "{token}",
    "/ical/": "{token}",
    "/subscriptions/confirm/": "{token}",  # a status page subscriber's confirmation link
    "/subscriptions/unsubscribe/": "{token}",  # and their signed unsubscribe link
}
SECRET_QUERY_WORDS = ("key", "token", "secret", "signature", "password", "auth")
_SEGMENT_END = r"/?#\s\"'<>\\"
_PAGES_LOGGER = "firebell.pages"  # notify/settings.py's LogChannel


def _lenient(literal: str) -> str:
    """A pattern for `literal` in which any character may also be written %XX."""
    return "".join(f"(?:{re.escape(char)}|%{ord(char):02x})" for char in literal)


_SEGMENT = re.compile(
    "|".join(f"(?P<p{n}>{_lenient(prefix)})[^{_SEGMENT_END}]+" for n, prefix in enumerate(SECRET_SEGMENTS)),
    re.IGNORECASE)
_PLACEHOLDER = {f"p{n}": placeholder for n, placeholder in enumerate(SECRET_SEGMENTS.values())}
_FEED = f"p{list(SECRET_SEGMENTS).index('/ical/')}"
_QUERY = re.compile(
    rf"(?P<name>[?&][^=&{_SEGMENT_END}]*(?:{'|'.join(SECRET_QUERY_WORDS)})[^=&{_SEGMENT_END}]*=)[^&#\s\"'<>]*",
    re.IGNORECASE)


def _segment(match: re.Match[str]) -> str:
    group = match.lastgroup or ""
    # A feed's URL ends in .ics, which says what the route is and is no part of the secret.
    suffix = ".ics" if group == _FEED and match.group(0).lower().endswith(".ics") else ""
    return match.group(group) + _PLACEHOLDER[group] + suffix


def redact(text: str) -> str:
    """`text` with every secret path segment replaced by its placeholder, and secret query values by ***."""
    return _QUERY.sub(r"\g<name>***", _SEGMENT.sub(_segment, text))


def _redact_value(value: Any) -> Any:
    """A log argument, redacted; a non-text one only becomes text when its text held a secret (so
    `%d` and friends still get their numbers)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | type(None)):
        return value
    shown = str(value)
    cleaned = redact(shown)
    return value if cleaned == shown else cleaned


class RedactSecrets(logging.Filter):
    """Redacts a record's message, arguments, traceback and stack in place; never drops a record.
    Arguments stay arguments: uvicorn's access formatter reads them one by one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _PAGES_LOGGER or record.name.startswith(_PAGES_LOGGER + "."):
            return True
        record.msg = _redact_value(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {name: _redact_value(arg) for name, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            # Formatted here, so that every handler's formatter prints this text instead of its own.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def server_log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with RedactSecrets on every handler, and a root handler, so
    that Firebell's and libraries' records go through it too instead of Python's unfiltered
    last-resort handler (which writes warnings and errors to stderr as they are)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_secrets": {"()": f"{__name__}.RedactSecrets"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_secrets"]
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
