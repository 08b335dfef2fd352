"""Configuration errors: loading mistakes pinned to a place in a file, and the few problems that
only show when applying (the environment the apply runs in)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ConfigError:
    """A configuration mistake at `file:line:column` (both 1-based), as editors and CI expect.

    Field order matters: sorting a list of errors orders them by file, then position.
    """

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Mark:
    """Where a YAML node starts."""

    file: str
    line: int
    column: int

    def error(self, message: str) -> ConfigError:
        return ConfigError(self.file, self.line, self.column, message)

    def where(self, relative_to: str | None = None) -> str:
        """'line 4' in the same file, 'people.yaml:4' in another: short but unambiguous."""
        if relative_to == self.file:
            return f"line {self.line}"
        return f"{self.file}:{self.line}"


class ApplyError(Exception):
    """The tree is valid but cannot be applied here; nothing was written. The message is meant for
    the person running `firebell config apply` and may span several lines, one per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
