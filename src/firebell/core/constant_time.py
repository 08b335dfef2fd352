"""Comparing secrets (signatures, tokens) in constant time, whatever text an outsider sends.

`hmac.compare_digest` raises TypeError for a str holding anything but ASCII, and header values and
URL paths can hold any character: a forged signature must be an unequal one, not an error (and not an
error for some secrets and a refusal for others, which tells an outsider something).
"""

from __future__ import annotations

import hmac


def _as_bytes(value: str | bytes) -> bytes:
    # surrogatepass: a str decoded with surrogateescape (or any lone surrogate) still encodes, and
    # distinct strings stay distinct byte strings.
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """True when `a` and `b` are the same text (str as UTF-8), compared in time independent of where
    they differ. Never raises for any str or bytes."""
    return hmac.compare_digest(_as_bytes(a), _as_bytes(b))
