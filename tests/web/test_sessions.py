"""Browser sessions end when idle, at their absolute end, when revoked and when the person is
deactivated; the CLI lists and revokes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from firebell.auth.web_sessions import list_sessions, revoke_sessions
from firebell.cli.main import app as cli
from firebell.config import apply, load
from firebell.core.sign_in import SessionLifetimes
from tests.api.conftest import ORG
from tests.web.conftest import Web

runner = CliRunner(env={"COLUMNS": "200"})  # ids whole on one line


def test_a_session_ends_after_twelve_idle_hours_and_use_keeps_it_alive(web: Web) -> None:
    used = web.signed_in("alice")
    idle = web.signed_in("alice")
    for _ in range(3):
        web.clock.advance(hours=11)
        assert used.get("/incidents").status_code == 200
    assert idle.get("/incidents").status_code == 303  # 33 hours without a request


def test_a_session_ends_at_its_absolute_end_however_much_it_is_used(web: Web) -> None:
    settings = web.app.state.web_settings
    web.app.state.web_settings = replace(settings, lifetimes=SessionLifetimes(idle=timedelta(hours=12),
                                                                              absolute=timedelta(days=1)))
    alice = web.signed_in("alice")
    for _ in range(4):
        web.clock.advance(hours=5, minutes=59)
        assert alice.get("/incidents").status_code == 200
    web.clock.advance(minutes=5)  # 24 h 1 min after sign-in
    assert alice.get("/incidents").status_code == 303


def test_an_admin_revokes_one_session_or_all_of_a_persons(web: Web, database_url: str) -> None:
    web.clock.now = datetime.now(UTC)  # the CLI reads the real clock
    laptop, phone, bob = web.signed_in("alice"), web.signed_in("alice"), web.signed_in("bob")
    with web.db.unit_of_work(write=False) as session:
        (phone_id,) = [s.id for s in list_sessions(session, now=web.clock(), user_name="alice")][:1]
    with web.db.unit_of_work() as session:
        assert revoke_sessions(session, now=web.clock(), actor="test", session_id=phone_id) == 1
    assert [b.get("/incidents").status_code for b in (laptop, phone, bob)].count(303) == 1

    listed = runner.invoke(cli, ["session", "list", "--user", "alice", "--database-url", database_url])
    assert listed.exit_code == 0 and listed.stdout.count("alice") == 1, listed.stdout
    revoked = runner.invoke(cli, ["session", "revoke", "--user", "alice", "--database-url", database_url])
    assert revoked.exit_code == 0 and "1 session ended" in revoked.stdout, revoked.stdout
    assert laptop.get("/incidents").status_code == 303 and bob.get("/incidents").status_code == 200
    by_id = runner.invoke(cli, ["session", "list", "--database-url", database_url])
    (bob_id,) = [line.split()[1] for line in by_id.stdout.splitlines() if " bob " in line]
    assert runner.invoke(cli, ["session", "revoke", bob_id, "--database-url", database_url]).exit_code == 0
    assert bob.get("/incidents").status_code == 303
    unknown = runner.invoke(cli, ["session", "revoke", "--user", "nobody", "--database-url", database_url])
    assert unknown.exit_code == 1


def test_deactivating_a_person_in_the_config_ends_their_sessions(web: Web) -> None:
    otto, alice = web.signed_in("otto"), web.signed_in("alice")
    loaded = load(ORG)
    assert loaded.config is not None
    without_otto = loaded.config.model_copy(update={"users": [u for u in loaded.config.users if u.name != "otto"]})
    with web.db.unit_of_work() as session:
        plan = apply(session, without_otto, now=web.clock())
    assert [(c.action, c.kind, c.name) for c in plan.changes] == [("delete", "user", "otto")]
    assert otto.get("/incidents").status_code == 303 and alice.get("/incidents").status_code == 200
    with web.db.unit_of_work(write=False) as session:
        assert list_sessions(session, now=web.clock(), user_name="otto") == []
