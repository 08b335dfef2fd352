"""Signing in with a password, signing out, and what a browser without a session sees."""

from __future__ import annotations

from tests.web.conftest import Web

PASSWORD = "correct horse battery"


def test_a_person_signs_in_with_a_password_and_lands_where_they_were_going(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    browser = web.browser()
    assert browser.get("/").headers["location"] == "/incidents"
    away = browser.get("/incidents?status=open")
    assert away.status_code == 303 and away.headers["location"] == "/sign-in?next=/incidents%3Fstatus%3Dopen"
    form = browser.get("/sign-in", params={"next": "/incidents?status=open"})
    assert form.status_code == 200 and 'name="password"' in form.text

    signed = browser.post("/sign-in", {"username": "alice", "password": PASSWORD, "next": "/incidents?status=open"})
    assert signed.status_code == 303 and signed.headers["location"] == "/incidents?status=open"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = browser.get("/incidents")
    assert page.status_code == 200 and "Alice Andersson" in page.text


def test_a_wrong_password_or_unknown_person_gets_the_same_answer_and_no_session(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    browser = web.browser()
    browser.get("/sign-in")
    wrong = browser.post("/sign-in", {"username": "alice", "password": "not it at all"})
    nobody = browser.post("/sign-in", {"username": "mallory", "password": PASSWORD})
    no_password = browser.post("/sign-in", {"username": "bob", "password": PASSWORD})
    for answer in (wrong, nobody, no_password):
        assert answer.status_code == 401 and "Wrong username or password." in answer.text
    assert browser.get("/incidents").status_code == 303


def test_sign_out_ends_the_session_and_needs_the_csrf_token(web: Web) -> None:
    alice = web.signed_in("alice")
    refused = alice.post("/sign-out", csrf=None)
    assert refused.status_code == 403 and "nothing was changed" in refused.text
    assert alice.post("/sign-out", csrf="forged").status_code == 403
    assert alice.get("/incidents").status_code == 200
    out = alice.post("/sign-out")
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert alice.get("/incidents").status_code == 303


def test_every_page_answer_carries_the_security_headers(web: Web) -> None:
    browser = web.browser()
    for answer in (browser.get("/sign-in"), browser.get("/incidents"), browser.get("/static/firebell.css")):
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers  # the public URL is http here
    assert "content-security-policy" not in web.browser().client.get("/api/v1/incidents").headers
