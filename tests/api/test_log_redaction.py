"""Every route that takes a secret in its path is logged without it (see tests/cli/test_log_secrets.py
for the server's log end to end)."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter
from fastapi.routing import APIRoute

import firebell.app
from firebell.api.log_redaction import RedactSecrets, redact
from firebell.web.routes import ROUTERS

SECRET = "s3cr3t-0123456789abcdefABCDEF_xyz"
SECRET_PARAMETERS = {"key", "token", "secret"}


def test_every_route_with_a_secret_path_parameter_is_redacted() -> None:
    # The routers create_app includes (FastAPI keeps included routers' routes behind private classes).
    # And the web console's pages (web/routes.py).
    routers = [r for r in vars(firebell.app).values() if isinstance(r, APIRouter)] + ROUTERS
    routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]
    secret_routes = []
    for route in routes:
        parameters = set(re.findall(r"{(\w+)}", route.path))
        if parameters & SECRET_PARAMETERS:
            path = re.sub(r"{(\w+)}", lambda m: SECRET if m.group(1) in SECRET_PARAMETERS else "x", route.path)
            secret_routes.append(route.path)
            assert SECRET not in redact(f'127.0.0.1:5000 - "POST {path} HTTP/1.1" 202'), route.path
    # The routes the filter was written for are all among them.
    assert {"/integrations/alertmanager/{key}", "/integrations/grafana/{key}", "/integrations/webhook/{key}",
            "/integrations/heartbeat/{key}", "/act/{token}", "/ical/{token}.ics",
            "/integrations/twilio/voice/{token}", "/invite/{token}", "/reset/{token}"} <= set(secret_routes)


def test_a_traceback_and_a_non_text_argument_are_redacted_and_numbers_stay_numbers() -> None:
    try:
        raise RuntimeError(f"cannot reach http://firebell.example/act/{SECRET}")
    except RuntimeError as exc:
        record = logging.LogRecord("firebell", logging.ERROR, __file__, 1, "failed on %s after %d tries: %s",
                                   ("/integrations/heartbeat/" + SECRET, 3, exc), (type(exc), exc, exc.__traceback__))
    assert RedactSecrets().filter(record)
    shown = logging.Formatter().format(record)
    assert SECRET not in shown
    assert shown.startswith("failed on /integrations/heartbeat/{key} after 3 tries: "
                            "cannot reach http://firebell.example/act/{token}\nTraceback")
