"""Twilio's request signature (`X-Twilio-Signature`), for checking that a callback really came from Twilio.

Twilio signs each webhook it sends (status callbacks, inbound SMS, Gather results) like this:

    1. start from the full URL it requested, query string included, exactly as configured;
    2. for a form POST, append every parameter, sorted by name (then by value for a repeated name),
       as name followed by value with no separators;
    3. HMAC-SHA1 the UTF-8 bytes with the account's Auth Token as the key, then base64 the digest.

Parameters are taken either as a `Mapping[str, str]` (a form without repeated names) or as an iterable of
`(name, value)` pairs, which is what `urllib.parse.parse_qsl(body, keep_blank_values=True)` returns and the
only way to keep a repeated name. Identical (name, value) pairs count once, as in Twilio's own validators.

Behind a proxy the URL Twilio signed is the public one, not the one the app sees: pass the public URL.
Twilio may sign an https or http URL with or without its default port, so verification accepts either form.
JSON-bodied webhooks (signed through a `bodySHA256` query parameter) are not covered here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from firebell.core.constant_time import constant_time_equals

FormParams = Mapping[str, str] | Iterable[tuple[str, str]]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_signature(auth_token: str, url: str, params: FormParams) -> str:
    """The `X-Twilio-Signature` value Twilio would send for a form POST of `params` to `url`."""
    pairs = params.items() if isinstance(params, Mapping) else params
    signed = url + "".join(name + value for name, value in sorted(set(pairs)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_twilio_signature(auth_token: str, url: str, params: FormParams, signature: str | None) -> bool:
    """True when `signature` is Twilio's signature of `params` posted to `url` under `auth_token`.

    A missing or empty signature, or an empty token, never verifies. Comparison is constant-time.
    """
    if not signature or not auth_token:
        return False
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    offered = signature.strip()
    return any(constant_time_equals(twilio_signature(auth_token, candidate, pairs), offered)
               for candidate in _url_variants(url))


def _url_variants(url: str) -> list[str]:
    """`url` as given, plus the same URL with its default port removed or added."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return [url]
    default = _DEFAULT_PORTS.get(parts.scheme)
    if default is None or parts.hostname is None:
        return [url]
    host = parts.netloc.rpartition("@")[2]
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    bare_host = host.rsplit(":", 1)[0] if port is not None else host
    if port is None:
        other = userinfo + f"{host}:{default}"
    elif port == default:
        other = userinfo + bare_host
    else:
        return [url]
    return [url, urlunsplit(parts._replace(netloc=other))]
