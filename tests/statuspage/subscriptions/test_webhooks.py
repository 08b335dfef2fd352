"""Webhook and chat subscribers against local stand-ins on 127.0.0.1: Statuspage's payloads signed the
Standard Webhooks way (checked by the receiver with the secret), 3xx counted as a failure, and short
cards in Slack's, Teams' and Google Chat's documented incoming-webhook formats."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from firebell.notify.channels.chat_webhooks import ADAPTIVE_CARD
from firebell.notify.channels.webhook import verify_standard_webhook
from tests.statuspage.subscriptions.conftest import WEBHOOK_SECRET, Subs, notice

OWN_SECRET = "whsec_" + "b3duLXN1YnNjcmliZXItc2VjcmV0LTAxMjM0NTY3"


@dataclass
class Receiver:
    url: str
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    answer: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            box[0].got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box[0].status)
            for name, value in box[0].headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(box[0].answer)))
            self.end_headers()
            self.wfile.write(box[0].answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-path"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()


def _add(subs: Subs, mode: str, endpoint: str, **fields: Any) -> dict[str, Any]:
    added = subs.api("POST", "/api/v1/status-page/subscribers", json={"mode": mode, "endpoint": endpoint} | fields)
    assert added.status_code == 201, added.text
    body: dict[str, Any] = added.json()
    return body


def test_webhook_subscribers_get_statuspages_payloads_signed_the_standard_webhooks_way(subs: Subs) -> None:
    with receiver() as own, receiver() as shared:
        _add(subs, "webhook", own.url, secret=OWN_SECRET)
        listed = _add(subs, "webhook", shared.url)
        assert listed["address"].endswith("/…") and "secret-path" not in json.dumps(listed)
        assert subs.queue(notice("i1:u1")) == 2
        assert subs.queue(notice("c1", kind="component", event="status_changed")) == 2
        assert subs.send_due() == 4
        for box, secret in ((own, OWN_SECRET), (shared, WEBHOOK_SECRET)):
            incident, component = (json.loads(body) for _, _, body in box.got)
            for _, headers, body in box.got:
                assert verify_standard_webhook(secret, headers, body, subs.clock())
                assert "." not in headers["webhook-id"]
            assert set(incident) == {"meta", "page", "incident"}
            assert set(incident["meta"]) == {"unsubscribe", "documentation"}
            assert set(incident["page"]) == {"id", "status_indicator", "status_description"}
            assert incident["incident"]["incident_updates"][0]["body"] == "We are investigating <errors>."
            assert set(component) == {"meta", "page", "component_update", "component"}
            assert set(component["component_update"]) == {"created_at", "new_status", "old_status", "id",
                                                          "component_id"}
            assert set(component["component"]) == {"created_at", "id", "name", "status"}
        assert not verify_standard_webhook(OWN_SECRET, shared.got[0][1], shared.got[0][2], subs.clock())


def test_a_redirect_is_a_failure_and_a_retry_keeps_its_webhook_id(subs: Subs) -> None:
    with receiver() as box:
        added = _add(subs, "webhook", box.url)
        box.status = 503
        subs.queue(notice("n1"))
        subs.send_due()
        subs.clock.advance(seconds=10)
        box.status = 200
        subs.send_due()
        first, second = (headers for _, headers, _ in box.got)
        assert first["webhook-id"] == second["webhook-id"]
        assert first["webhook-timestamp"] != second["webhook-timestamp"]

        box.status, box.headers = 302, {"location": "http://elsewhere.example/"}
        subs.queue(notice("n2"))
        subs.send_due()
        listed = subs.api("GET", "/api/v1/status-page/subscribers").json()
        [shown] = [s for s in listed if s["id"] == added["id"]]
        assert shown["state"] == "quarantined" and shown["last_error"].startswith("HTTP 302")
        assert "elsewhere" not in shown["last_error"]
        box.status, box.headers = 200, {}
        subs.queue(notice("n3"))
        subs.send_due()
        assert len(box.got) == 3  # nothing after the quarantine


def test_chat_subscribers_get_short_cards_in_each_services_format(subs: Subs) -> None:
    with receiver() as slack, receiver() as teams, receiver() as chat:
        teams.answer = b"1"
        chat.answer = b'{"name": "spaces/S/messages/M"}'
        chat.headers = {"content-type": "application/json"}
        _add(subs, "slack", slack.url)
        _add(subs, "teams", teams.url)
        _add(subs, "google_chat", chat.url + "?key=k&token=t")
        assert subs.queue(notice("n1", name="Checkout <!channel> errors")) == 3
        assert subs.send_due() == 3
        slack_body = json.loads(slack.got[0][2])
        assert slack_body["text"] == "[Acme] New incident: Checkout <!channel> errors"
        assert slack_body["blocks"][0]["text"]["text"] == "New incident: Checkout <!channel> errors"
        assert "&lt;errors&gt;" in slack_body["blocks"][1]["text"]["text"]  # mrkdwn escaped: pings nobody
        teams_body = json.loads(teams.got[0][2])
        assert teams_body["type"] == "message"
        card = teams_body["attachments"][0]
        assert card["contentType"] == ADAPTIVE_CARD and card["content"]["version"] == "1.4"
        path, _, body = chat.got[0]
        assert "messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD" in path
        chat_body = json.loads(body)
        assert chat_body["cardsV2"][0]["card"]["header"]["title"] == "New incident: Checkout <!channel> errors"
        assert "\u2039!channel\u203a" in chat_body["text"]  # no mention of everyone from a name
    with subs.db.unit_of_work(write=False) as session:
        from firebell.statuspage.subscriptions.models import StatusDelivery

        assert {d.status for d in session.query(StatusDelivery).all()} == {"sent"}
