"""Errors raised by pure decisions; the shell maps them to HTTP statuses and CLI exits."""

from __future__ import annotations


class DecisionError(Exception):
    """A request the rules refuse. `kind` tells the shell which status to answer with."""

    kind = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(DecisionError):
    """The request is valid but the current state does not allow it (HTTP 409)."""

    kind = "conflict"


class Invalid(DecisionError):
    """The request itself is wrong (HTTP 422)."""

    kind = "invalid"
