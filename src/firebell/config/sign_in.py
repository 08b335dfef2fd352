"""The sign_in section: single sign-on with OpenID Connect, stored in auth's oidc_providers table (one
row, "oidc"). Only the names of the environment variables that hold the client id and secret are
stored; the server reads their values when someone signs in (environment.py checks they are set)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.auth.oidc_models import OidcProvider
from firebell.config.schema import SignInConfig

Values = dict[str, Any]
_FIELDS = ("title", "discovery_url", "client_id_env", "client_secret_env", "create_users", "default_access")
# Written to YAML only when they differ from the schema's defaults.
_DEFAULTS: Values = {"title": "", "create_users": False, "default_access": "viewer"}


def desired_sign_in(section: SignInConfig) -> dict[str, Values]:
    if section.oidc is None:
        return {}
    return {"oidc": {field: getattr(section.oidc, field) for field in _FIELDS}}


def current_sign_in(session: Session) -> dict[str, Values]:
    return {row.name: {field: getattr(row, field) for field in _FIELDS}
            for row in session.scalars(select(OidcProvider).order_by(OidcProvider.name))}


def write_sign_in(row: OidcProvider, values: Values, rows: Any) -> None:
    for field in _FIELDS:
        setattr(row, field, values[field])


def sign_in_yaml(values: Values) -> Values:
    return {key: value for key, value in values.items() if _DEFAULTS.get(key, object()) != value}
