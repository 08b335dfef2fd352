"""The admin's side on both stores: the API (list with quarantine shown, add, remove, release, CSV
import with and without confirmation; viewers and responders refused) and the CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from firebell.cli.main import app as cli
from tests.statuspage.subscriptions.conftest import Subs, notice

PATH = "/api/v1/status-page/subscribers"
CSV = ("email,components\n"
       "ana@example.com,c-api\n"
       "ben@example.com,\n"
       "not-an-address,\n"
       "ana@example.com,\n")


def test_csv_import_sends_confirmations_unless_the_admin_skips_them(subs: Subs) -> None:
    imported = subs.client.post(f"{PATH}/import", content=CSV.encode(),
                                headers={"Authorization": f"Bearer {subs.tokens['admin']}", "content-type": "text/csv"})
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"added": 2, "existing": 1,
                               "invalid": [{"line": 4, "reason": "'not-an-address' is not an email address"}]}
    assert subs.queue(notice("n1")) == 0  # both pending
    subs.send_due()
    assert [m["Subject"] for m in subs.sink.received] == ["Confirm your subscription to the status page"] * 2

    skipped = subs.client.post(f"{PATH}/import?skip_confirmation=true", content=b"email\ncy@example.com\n",
                               headers={"Authorization": f"Bearer {subs.tokens['admin']}"})
    assert skipped.json()["added"] == 1
    assert subs.queue(notice("n2")) == 1
    subs.send_due()
    assert subs.mails_to("cy@example.com")[0]["Subject"] == "[Acme] New incident: Elevated API errors"
    listed = {s["address"]: s for s in subs.api("GET", PATH).json()}
    assert listed["ana@example.com"]["component_ids"] == ["c-api"] and listed["ana@example.com"]["state"] == "pending"
    assert listed["cy@example.com"]["state"] == "confirmed" and listed["cy@example.com"]["source"] == "import"


def test_only_admins_see_or_change_subscribers_and_secrets_never_come_back(subs: Subs) -> None:
    for who in ("vera", "alice"):
        assert subs.api("GET", PATH, who=who).status_code == 403
        assert subs.api("POST", PATH, who=who, json={"email": "x@example.com"}).status_code == 403
    added = subs.api("POST", PATH, json={"mode": "webhook", "endpoint": "https://hooks.example/p/SECRETPATH",
                                         "secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"})
    assert added.status_code == 201
    text = subs.api("GET", PATH).text
    assert "SECRETPATH" not in text and "whsec_" not in text and "c2VjcmV0" not in text
    assert subs.api("POST", PATH, json={"mode": "slack", "endpoint": "ftp://x"}).status_code == 422
    assert subs.api("POST", PATH, json={"mode": "email"}).status_code == 422
    assert subs.api("POST", PATH, json={"email": "a@example.com", "secret": "whsec_AAAA"}).status_code == 422
    subscriber_id = added.json()["id"]
    assert subs.api("DELETE", f"{PATH}/{subscriber_id}", who="vera").status_code == 403
    assert subs.api("DELETE", f"{PATH}/{subscriber_id}").status_code == 204
    assert subs.api("DELETE", f"{PATH}/{subscriber_id}").status_code == 404


def test_the_cli_lists_adds_imports_releases_and_removes(subs: Subs, database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"FIREBELL_DATABASE_URL": database_url, "COLUMNS": "200"}
    added = runner.invoke(cli, ["statuspage", "subscriber", "add", "dee@example.com", "--skip-confirmation"], env=env)
    assert added.exit_code == 0, added.output
    assert "is confirmed" in added.output
    csv = tmp_path / "people.csv"
    csv.write_text("email\neve@example.com\n")
    imported = runner.invoke(cli, ["statuspage", "subscriber", "import", str(csv)], env=env)
    assert imported.exit_code == 0 and "1 added" in imported.output
    subs.sink.rcpt_reply = "550 no such user"
    subs.queue(notice("n1"))
    subs.send_due()
    listed = runner.invoke(cli, ["statuspage", "subscriber", "list", "--state", "quarantined"], env=env)
    assert "dee@example.com" in listed.output and "SMTP 550" in listed.output
    dee = subs.subscriber("dee@example.com")
    assert runner.invoke(cli, ["statuspage", "subscriber", "release", dee.id], env=env).exit_code == 0
    assert subs.subscriber("dee@example.com").quarantined_at is None
    assert runner.invoke(cli, ["statuspage", "subscriber", "remove", dee.id], env=env).exit_code == 0
    missing = runner.invoke(cli, ["statuspage", "subscriber", "remove", dee.id], env=env)
    assert missing.exit_code != 0 and "no subscriber" in missing.output
