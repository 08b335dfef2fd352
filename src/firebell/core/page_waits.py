"""Why a page has not reached its person yet, and why one failed, in words a responder can read at
3 a.m. on the incident page: from what the outbox keeps on the row (its state, the reason it was
held, when it is next tried, its attempts and its last error).

A channel's error may quote what it was sending to (a webhook or Slack URL whose path is the secret,
a URL with a token in its query); `plain_error` keeps the host, so a person knows where it went,
and drops the rest. Pure: `now` is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_CHARS = 300
STALE_AFTER = timedelta(minutes=1)  # a due page the engine has not taken in this long: is it running?

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]*")
_SCHEME_SECRET = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s,;'\"<>]+")
_NAMED_SECRET = re.compile(r"(?i)\b((?:[a-z]+[_\-])?(?:token|key|secret|password|passwd|signature|sig|auth|"
                           r"authorization|credentials?))(\s*[=:]\s*)[^\s,;&'\"<>]+")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-+=]{24,}")  # long enough to be a key (host names split at their dots)


@dataclass(frozen=True)
class Wait:
    """Why a page waits, and until when it waits (None: it is due now or being sent)."""

    reason: str
    until: datetime | None = None


def _host_only(match: re.Match[str]) -> str:
    url = match.group(0)
    scheme, _, rest = url.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = authority.rpartition("@")[2]  # user:password@ is never shown
    host = host if len(host) < 100 else "…"
    return f"{scheme}://{host}/…" if len(authority) < len(rest) or "@" in authority else f"{scheme}://{host}"


def plain_error(text: str) -> str:
    """A delivery error on one line without what could be a secret: URLs keep only their host, a
    value after a word like token/key/secret/password is starred, and any long key-like run is cut."""
    shown = " ".join(str(text).split())
    shown = _URL.sub(_host_only, shown)
    for named in (_SCHEME_SECRET, _NAMED_SECRET):
        shown = named.sub(lambda m: f"{m.group(1)}{m.group(2)}***", shown)
    shown = _TOKEN_LIKE.sub("…", shown)
    return shown if len(shown) <= MAX_CHARS else shown[:MAX_CHARS - 1] + "…"


def page_wait(state: str, held_reason: str, next_attempt_at: datetime | None, attempts: int, last_error: str,
              now: datetime) -> Wait | None:
    """Why a pending (or in-flight) page has not reached its person yet; None for a page that is
    done (sent, failed, cancelled: the error says why)."""
    if state == "sending":
        return Wait("being sent now")
    if state != "pending":
        return None
    later = next_attempt_at is not None and next_attempt_at > now
    until = next_attempt_at if later else None
    if attempts > 0 and last_error:
        tried = "attempt" if attempts == 1 else f"{attempts} attempts"
        return Wait(f"{tried} failed ({plain_error(last_error)}); retried with backoff", until)
    if later:
        return Wait(" ".join(held_reason.split()) or "scheduled", until)
    if next_attempt_at is not None and now - next_attempt_at > STALE_AFTER:
        return Wait("due but not taken yet: is the engine (firebell worker) running?")
    return Wait("due now: goes out within seconds")
