"""Configuration as code: one YAML tree describing the organisation, validated with line-accurate
errors, planned against the database and applied idempotently."""

from firebell.config.apply import apply
from firebell.config.errors import ApplyError, ConfigError
from firebell.config.export import export
from firebell.config.loader import LoadResult, load
from firebell.config.plan import Change, FieldChange, Plan, plan

__all__ = [
    "ApplyError", "Change", "ConfigError", "FieldChange", "LoadResult", "Plan", "apply", "export", "load", "plan",
]
