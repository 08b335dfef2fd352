"""Walking a state machine given as a {(state, event): state} table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

S = TypeVar("S")
E = TypeVar("E")


def reachable(transitions: Mapping[tuple[S, E], S], start: S) -> set[S]:
    """Every state some sequence of events leads to from `start` (itself included)."""
    seen, frontier = {start}, [start]
    while frontier:
        state = frontier.pop()
        for (source, _event), target in transitions.items():
            if source == state and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen
