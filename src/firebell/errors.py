"""Errors the shell raises; the API turns them into RFC 9457 problems, the CLI into one line."""

from __future__ import annotations

from firebell.core.errors import Conflict, DecisionError, Invalid

__all__ = ["Conflict", "DecisionError", "Forbidden", "Invalid", "NotFound", "Unauthorized"]


class NotFound(DecisionError):
    kind = "not_found"


class Forbidden(DecisionError):
    kind = "forbidden"


class Unauthorized(DecisionError):
    kind = "unauthorized"
