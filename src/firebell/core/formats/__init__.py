"""Parsers from each wire format to AlertEvent. Pure: they return events or a list of errors."""

from __future__ import annotations


class PayloadError(Exception):
    """The payload is not a valid event; `errors` names each bad field."""

    def __init__(self, errors: list[str], message: str = "Event object is invalid") -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.message = message
