"""One-time links to choose a password: invitations and resets, each used once, for a while; and the
"forgot password" form, which tells nobody whether an account exists."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select
from typer.testing import CliRunner

from firebell.auth.models import PasswordLink
from firebell.auth.password_links import issue_link
from firebell.cli.main import app as cli
from firebell.notify.channels.base import Delivery, Message
from tests.notify.test_email import MailSink, smtp_server
from tests.web.conftest import Browser, Web

NEW = "a brand new passphrase"


def _link(web: Web, user: str = "alice", purpose: str = "invite") -> str:
    with web.db.unit_of_work() as session:
        issued = issue_link(session, user_name=user, purpose=purpose, now=web.clock(), actor="test")
    return issued.url("")


def _choose(browser: Browser, link: str, password: str = NEW, again: str | None = None) -> object:
    if browser.get(link).status_code != 200 and browser.csrf is None:
        browser.get("/sign-in")  # a dead link's page has no form: a token from another page of the site
    return browser.post(link, {"password": password, "again": password if again is None else again})


def test_an_invitation_sets_a_password_once_and_signs_the_person_in(web: Web) -> None:
    link = _link(web)
    browser = web.browser()
    form = browser.get(link)
    assert form.status_code == 200 and "Alice Andersson, choose a password" in form.text
    assert form.headers["referrer-policy"] == "no-referrer"
    assert _choose(browser, link, again="something else").status_code == 400  # the link still works
    short = _choose(browser, link, "short")
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert browser.post(link, {"password": NEW, "again": NEW}, csrf=None).status_code == 403  # nor is it spent

    done = _choose(browser, link)
    assert done.status_code == 303 and done.headers["location"] == "/incidents"
    assert "Alice Andersson" in browser.get("/incidents").text
    again = web.browser()
    assert again.get(link).status_code == 404
    assert _choose(again, link).status_code == 404
    # The password chosen is the password.
    other = web.browser()
    other.get("/sign-in")
    assert other.post("/sign-in", {"username": "alice", "password": NEW}).status_code == 303


def test_an_invitation_lasts_seven_days_and_a_reset_one_hour(web: Web) -> None:
    invite, reset = _link(web, "alice", "invite"), _link(web, "bob", "reset")
    web.clock.advance(hours=1)
    assert web.browser().get(reset).status_code == 404
    assert web.browser().get(invite).status_code == 200
    web.clock.advance(days=7)
    assert web.browser().get(invite).status_code == 404
    assert web.browser().get(invite.replace("/invite/", "/reset/")).status_code == 404  # a link has one purpose


def test_using_a_reset_link_ends_the_persons_sessions_and_spends_their_other_links(web: Web) -> None:
    elsewhere = web.signed_in("alice")
    first, second = _link(web, purpose="reset"), _link(web, purpose="reset")
    browser = web.browser()
    assert _choose(browser, second).status_code == 303
    assert elsewhere.get("/incidents").status_code == 303
    assert browser.get("/incidents").status_code == 200
    assert web.browser().get(first).status_code == 404


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> Delivery:
        self.sent.append(message)
        return Delivery.delivered("250 ok")


def test_forgot_password_answers_the_same_for_anyone_and_mails_only_real_accounts(web: Web) -> None:
    outbox = Outbox()
    web.app.state.channels.by_name["email"] = outbox
    answers = []
    for who in ("alice", "nobody", "BOB@example.com"):
        browser = web.browser()
        browser.get("/forgot-password")
        answer = browser.post("/forgot-password", {"who": who})
        answers.append((answer.status_code, answer.text.replace(browser.csrf or "", "")))
    assert len({a for a in answers}) == 1 and answers[0][0] == 200
    assert [m.recipient for m in outbox.sent] == ["alice@example.com", "bob@example.com"]
    assert outbox.sent[0].title == "Reset your Firebell password"
    (url,) = re.findall(r"http://\S+/reset/\S+", outbox.sent[0].summary)
    assert _choose(web.browser(), url.split("8080", 1)[1]).status_code == 303

    forged = web.browser()
    forged.get("/forgot-password")
    assert forged.post("/forgot-password", {"who": "alice"}, csrf=None).status_code == 403
    for _ in range(5):  # a flood of requests mails three links an hour at most
        forged.post("/forgot-password", {"who": "bob"})
    assert sum(m.recipient == "bob@example.com" for m in outbox.sent) == 3


def test_the_admin_cli_prints_an_invitation_that_works(web: Web, database_url: str) -> None:
    web.clock.now = datetime.now(UTC)  # the CLI reads the real clock
    result = CliRunner(env={"FIREBELL_PUBLIC_URL": "https://firebell.example"}).invoke(
        cli, ["user", "invite", "vera", "--database-url", database_url])
    assert result.exit_code == 0, result.stdout
    assert "no email channel configured" in result.stdout
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith("https://firebell.example/invite/")
    assert _choose(web.browser(), link.removeprefix("https://firebell.example")).status_code == 303
    with web.db.unit_of_work(write=False) as session:
        assert session.execute(select(func.count()).select_from(PasswordLink)).scalar_one() == 1
    missing = CliRunner().invoke(cli, ["user", "reset-password", "nobody", "--database-url", database_url])
    assert missing.exit_code == 1


def test_an_invitation_is_mailed_through_the_servers_smtp_settings(web: Web, database_url: str) -> None:
    web.clock.now = datetime.now(UTC)
    sink = MailSink()
    with smtp_server(sink) as port:
        env = {"FIREBELL_SMTP_HOST": "127.0.0.1", "FIREBELL_SMTP_PORT": str(port), "FIREBELL_SMTP_SECURITY": "none",
               "FIREBELL_SMTP_FROM": "firebell@example.com", "FIREBELL_PUBLIC_URL": "https://firebell.example"}
        result = CliRunner(env=env).invoke(cli, ["user", "invite", "alice", "--database-url", database_url])
    assert result.exit_code == 0 and "mailed to alice@example.com" in result.stdout, result.stdout
    (mail,) = sink.received
    assert mail["Subject"] == "You are invited to Firebell" and mail["To"] == "alice@example.com"
    printed = result.stdout.strip().splitlines()[-1]
    body = mail.get_body(("plain",))
    assert body is not None and printed in body.get_content()  # the same link, mailed and printed
