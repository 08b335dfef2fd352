"""The size a Content-Length header states, read without trusting it.

`str.isdigit()` is true for "²" and other non-ASCII digits that int() refuses, and int() refuses more
than 4,300 digits: either turned a hostile header into an unhandled ValueError. Only ASCII digits
state a length; a number longer than any real body reads as AT_LEAST_HUGE, past every limit.
"""

from __future__ import annotations

AT_LEAST_HUGE = 10**18  # bytes: no body is this large; longer numbers are read as this


def declared_length(value: str) -> int | None:
    """The byte count `value` (a Content-Length header) states, None if it states none."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) < len(str(AT_LEAST_HUGE)) else AT_LEAST_HUGE
