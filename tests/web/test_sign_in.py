"""Signing in with a password, signing out, and what a browser without a session sees."""

from __future__ import annotations

from tests.web.conftest import Browser, Web

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


def test_a_post_without_the_csrf_token_signs_nobody_in(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    browser = web.browser()
    browser.get("/sign-in")
    for token in (None, "forged"):
        refused = browser.post("/sign-in", {"username": "alice", "password": PASSWORD}, csrf=token)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
    # Another browser's token is no good either: the token is bound to this browser's cookie.
    other = web.browser()
    other.get("/sign-in")
    assert browser.post("/sign-in", {"username": "alice", "password": PASSWORD}, csrf=other.csrf).status_code == 403
    assert browser.get("/incidents").status_code == 303


def test_five_failures_in_fifteen_minutes_lock_the_account_then_nothing_else_is_checked(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    browser = web.browser()
    browser.get("/sign-in")
    answers = [browser.post("/sign-in", {"username": "alice", "password": f"guess {n}"}) for n in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    # The clock stands at 03:00:00 and the first failure was then: sign-in opens again at 03:15.
    locked = "Too many attempts; try again at 03:15 (UTC)."
    assert locked in answers[-1].text
    right = browser.post("/sign-in", {"username": "alice", "password": PASSWORD})
    assert right.status_code == 429 and locked in right.text and "set-cookie" not in right.headers
    assert "Wrong username" not in right.text

    web.clock.advance(minutes=14, seconds=59)
    assert browser.post("/sign-in", {"username": "alice", "password": PASSWORD}).status_code == 429
    web.clock.advance(seconds=1)
    assert browser.post("/sign-in", {"username": "alice", "password": PASSWORD}).status_code == 303


def test_one_address_trying_many_names_is_locked_too_and_unknown_names_count_alike(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    browser = web.browser()
    browser.get("/sign-in")
    names = ["mallory", "bob", "carol", "dave", "erin"]
    assert [browser.post("/sign-in", {"username": n, "password": "x" * 12}).status_code for n in names] == [
        401, 401, 401, 401, 429]
    assert browser.post("/sign-in", {"username": "alice", "password": PASSWORD}).status_code == 429


def test_next_only_ever_leads_to_a_path_of_firebell(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    for target, landing in [("//evil.example/x", "/incidents"), ("https://evil.example", "/incidents"),
                            ("/\\evil.example", "/incidents"), ("/oncall?mine=1", "/oncall?mine=1")]:
        browser = web.browser()
        browser.get("/sign-in", params={"next": target})
        signed = browser.post("/sign-in", {"username": "alice", "password": PASSWORD, "next": target})
        assert signed.headers["location"] == landing, target
        # Already signed in, the sign-in page sends the browser on, as safely.
        assert browser.get("/sign-in", params={"next": target}).headers["location"] == landing


def test_signing_in_gives_a_new_session_id_and_ends_the_one_the_browser_had(web: Web) -> None:
    web.set_password("alice", PASSWORD)
    browser = web.signed_in("bob")
    cookie = web.app.state.web_settings.session_cookie
    before = browser.client.cookies[cookie]
    browser.get("/sign-in")  # signed in: sent on; the form of another browser tab posts with bob's token
    signed = browser.post("/sign-in", {"username": "alice", "password": PASSWORD})
    assert signed.status_code == 303 and browser.client.cookies[cookie] != before
    planted = web.browser()
    planted.client.cookies.set(cookie, before, domain="testserver.local")
    assert planted.get("/incidents").status_code == 303  # bob's old id signs nobody in any more
    assert "Alice Andersson" in browser.get("/incidents").text


def test_behind_https_the_cookies_are_secure_host_only_and_hsts_is_on(web: Web) -> None:
    from fastapi.testclient import TestClient

    from firebell.app import create_app
    from firebell.notify.settings import Channels

    app = create_app(web.db, web.clock, channels=Channels(public_url="https://firebell.example"))
    web.set_password("alice", PASSWORD)
    browser = Browser(TestClient(app, base_url="https://testserver", follow_redirects=False))
    form = browser.get("/sign-in")
    assert form.headers["strict-transport-security"].startswith("max-age=")
    assert "__Host-firebell_csrf=" in form.headers["set-cookie"] and "Secure" in form.headers["set-cookie"]
    signed = browser.post("/sign-in", {"username": "alice", "password": PASSWORD})
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("__Host-firebell_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "HttpOnly" in cookie
    assert browser.get("/incidents").status_code == 200
