"""The chat section (`chat.routes`: Google Chat spaces and Teams channels) and `slack.fallback`,
stored in chat's chat_routes table: one row per route, the fallback as the delay on the route it
names. Only the name of the variable holding a route's webhook URL is stored, never the URL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.chat.models import ChatRoute
from firebell.config.schema import Config
from firebell.core.durations import format_duration

Values = dict[str, Any]
_FIELDS = ("kind", "url_env", "description", "severities", "tags", "slack_fallback_after_s")


def desired_chat_routes(config: Config) -> dict[str, Values]:
    fallback = config.slack.fallback
    return {route.name: {"kind": route.kind, "url_env": route.url_env, "description": route.description,
                         "severities": sorted(route.severities), "tags": sorted(route.tags),
                         "slack_fallback_after_s": int(fallback.after.total_seconds())
                         if fallback is not None and fallback.route == route.name else None}
            for route in config.chat.routes}


def current_chat_routes(session: Session) -> dict[str, Values]:
    return {row.name: {"kind": row.kind, "url_env": row.url_env, "description": row.description,
                       "severities": sorted(row.severities or []), "tags": sorted(row.tags or []),
                       "slack_fallback_after_s": row.slack_fallback_after_s}
            for row in session.scalars(select(ChatRoute).order_by(ChatRoute.name))}


def write_chat_route(row: ChatRoute, values: Values, rows: Any) -> None:
    for field in _FIELDS:
        setattr(row, field, list(values[field]) if field in ("severities", "tags") else values[field])


def chat_yaml(routes: dict[str, Values]) -> tuple[list[Values], Values | None]:
    """The `chat.routes` entries and `slack.fallback` (None when no route is the fallback)."""
    entries, fallback = [], None
    for name, values in sorted(routes.items()):
        entry: Values = {"name": name, "kind": values["kind"], "url_env": values["url_env"]}
        entry |= {key: values[key] for key in ("description", "severities", "tags") if values[key]}
        entries.append(entry)
        if values["slack_fallback_after_s"] is not None:
            fallback = {"after": format_duration(timedelta(seconds=values["slack_fallback_after_s"])), "route": name}
    return entries, fallback
