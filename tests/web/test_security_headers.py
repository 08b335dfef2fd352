"""Every answer of the console carries its security headers, whatever it is: a page, an error page,
a redirect, a fragment, a static file. The Content-Security-Policy lets no inline script run and no
other site frame a page; HSTS is sent only when the public URL is https. The pages themselves hold
no inline script, handler attribute or style attribute (the policy would block them)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.alerts.models import Alert
from firebell.app import create_app
from firebell.notify.settings import Channels
from firebell.web.render import static_url
from tests.web.conftest import Browser, Web
from tests.web.test_alerts_pages import three_alerts

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style", re.IGNORECASE)


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def answers(web: Web, app_browser: Browser, anonymous: Browser) -> dict[str, httpx.Response]:
    """The answers to check, by what they are."""
    three_alerts(web)
    with web.db.unit_of_work(write=False) as session:
        alert = session.execute(select(Alert.id).limit(1)).scalar_one()
    found = {"sign-in": anonymous.get("/sign-in"), "forgot": anonymous.get("/forgot-password"),
             "anonymous 404": anonymous.get("/nothing-here"), "to sign-in": anonymous.get("/incidents"),
             "root": anonymous.get("/")}
    for path in ("/incidents", "/incidents/INC-1", "/incidents/INC-999", "/oncall", "/oncall/schedules/primary",
                 "/alerts", f"/alerts/{alert}", "/alerts/explain", "/services", "/services/api", "/me",
                 "/admin", "/admin/sessions", "/admin/audit", "/no-such-page", "/incidents/suggest",
                 static_url("firebell.css"), static_url("live.js")):
        found[path] = app_browser.get(path)
    found["form refused"] = app_browser.post("/incidents/INC-1/acknowledge", csrf=None)
    found["form done"] = app_browser.post("/incidents/INC-1/notes", {"text": "checked the headers"})
    found["405"] = app_browser.get("/incidents/INC-1/acknowledge")
    return found


def _check(answers: dict[str, httpx.Response], *, https: bool) -> None:
    for what, answer in answers.items():
        assert answer.status_code < 500, what
        headers = answer.headers
        policy = _directives(headers.get("content-security-policy", ""))
        assert policy.get("frame-ancestors") == ["'none'"], what
        scripts = policy.get("script-src", policy.get("default-src"))
        assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
        assert policy.get("object-src") == ["'none'"] and policy.get("base-uri") == ["'none'"], what
        assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), what
        assert headers.get("x-content-type-options") == "nosniff", what
        assert ("strict-transport-security" in headers) is https, what
        if https:
            assert int(headers["strict-transport-security"].split("max-age=")[1].split(";")[0]) >= 15_552_000
        if headers.get("content-type", "").startswith("text/html"):
            assert not INLINE.search(answer.text), (what, INLINE.search(answer.text))


@pytest.mark.parametrize("public_url", ["http://firebell.example", "https://firebell.example"])
def test_every_answer_of_the_console_carries_the_security_headers(web: Web, public_url: str) -> None:
    https = public_url.startswith("https")
    app = create_app(web.db, web.clock, channels=Channels(public_url=public_url))
    base = "https://testserver" if https else "http://testserver"

    def browser() -> Browser:
        return Browser(TestClient(app, base_url=base, follow_redirects=False))

    admin = web.signed_in("admin")
    signed_in = browser()
    cookie = web.app.state.web_settings.session_cookie
    signed_in.client.cookies.set(app.state.web_settings.session_cookie, admin.client.cookies[cookie],
                                 domain="testserver.local")
    signed_in.csrf = admin.csrf
    found = answers(web, signed_in, browser())
    assert found["/incidents/INC-1"].status_code == 200 and found["form done"].status_code == 303
    assert found["/no-such-page"].status_code == 404 and found["form refused"].status_code == 403
    _check(found, https=https)


def test_the_api_documents_keep_their_own_scripts(web: Web) -> None:
    """The interactive API documents run an inline script: the console's policy would break them."""
    docs = web.browser().client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
