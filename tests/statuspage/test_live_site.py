"""The public site served live from the same in-memory build as the JSON: the pages, the feeds, the
page's own host at `/`, the 404 page, the logo's host in the image policy, nothing private, and no
database work per request once built (a change shows at once in this process, and within the version
check's period when another process made it)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from firebell.statuspage import live
from firebell.store.uow import Database
from tests.api.conftest import Api
from tests.statements import statements_sent
from tests.statuspage.conftest import STATUS_PAGE, page_api_with

PAGES = ["/status/", "/status/history", "/status/status.css", "/history.atom", "/history.rss",
         "/status/history.atom", "/status/history.rss", "/status/index.html", "/status/history.html"]


def _open(api: Api, name: str = "Elevated API errors", **extra: Any) -> dict[str, Any]:
    response = api.post("/api/v1/status-page/incidents", {
        "name": name, "body": "We are investigating.", "components": {"API": "partial_outage"}} | extra)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_every_page_and_feed_is_served_live(page_api: Api) -> None:
    api = page_api
    opened = _open(api)
    for path in PAGES:
        response = api.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "public, max-age=10"
    index = api.client.get("/status/")
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert "Elevated API errors" in index.text and "Testorg Status" in index.text
    assert "Content-Security-Policy" in index.headers and index.headers["x-frame-options"] == "DENY"
    page = api.client.get(f"/status/incidents/{opened['id']}")
    assert page.status_code == 200 and "We are investigating." in page.text
    assert api.client.get(f"/status/incidents/{opened['id']}.html").text == page.text
    assert api.client.get("/status/status.css").headers["content-type"] == "text/css; charset=utf-8"
    assert api.client.get("/history.atom").headers["content-type"].startswith("application/atom+xml")
    assert "Elevated API errors" in api.client.get("/history.rss").text
    head = api.client.head("/status/")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == len(index.content)


def test_an_unknown_incident_is_a_404_page(page_api: Api) -> None:
    response = page_api.client.get("/status/incidents/no-such-incident")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Not found" in response.text and 'href="../index.html"' in response.text


def test_the_pages_own_host_gets_the_site_at_the_root(page_api: Api) -> None:
    api = page_api
    own = {"host": "status.testorg.example"}
    index = api.client.get("/", headers=own)
    assert index.status_code == 200 and "Testorg Status" in index.text
    assert api.client.get("/history.html", headers=own).text == api.client.get("/status/history").text
    assert api.client.get("/status.css", headers=own).status_code == 200
    elsewhere = api.client.get("/", follow_redirects=False)
    assert "Testorg Status" not in elsewhere.text  # the console's front door, as before


def test_a_logo_on_another_host_is_allowed_as_an_image_and_nothing_else(database: Database,
                                                                       tmp_path: Path) -> None:
    logo = 'branding: {logo_url: "https://cdn.testorg.example/logo.png", accent: "#123456",'
    api = page_api_with(database, tmp_path, STATUS_PAGE.replace('branding: {accent: "#123456",', logo))
    policy = api.client.get("/status/").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["img-src"] == "'self' data: https://cdn.testorg.example"
    assert "cdn.testorg.example" not in policy.replace(directives["img-src"], "")
    assert 'src="https://cdn.testorg.example/logo.png"' in api.client.get("/status/").text


def test_nothing_private_reaches_the_pages_or_feeds(page_api: Api) -> None:
    api = page_api
    api.declare(title="Secret breach of Project Nightjar", severity="P1", private=True, services=["api"])
    api.declare(title="Internal: db01 disk full, Alice paged", severity="P1")
    _open(api, name="Elevated API errors")
    for path in [*PAGES, "/api/v2/summary.json", "/api/v2/incidents.json"]:
        body = api.client.get(path).text
        for secret in ("Nightjar", "Secret breach", "db01", "Alice paged"):
            assert secret not in body, (path, secret)


def test_a_steady_stream_of_readers_costs_the_database_nothing(page_api: Api,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    api = page_api
    monkeypatch.setattr(live, "CHECK_S", 3600.0)  # no version check within this test's reads
    for path in [*PAGES, "/api/v2/summary.json"]:
        api.client.get(path)  # built once
    with statements_sent(api.db.engine) as seen:
        for _ in range(20):
            for path in [*PAGES, "/api/v2/summary.json", "/api/v2/status.json"]:
                assert api.client.get(path).status_code == 200
    assert seen == []
    opened = _open(api, name="Database slow")  # this process's change: seen by the very next read
    assert "Database slow" in api.client.get("/status/").text
    assert opened["id"] in api.client.get("/api/v2/incidents/unresolved.json").text


def test_another_process_change_shows_within_the_check_period(page_api: Api,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    api = page_api
    monkeypatch.setattr(live, "CHECK_S", 0.2)
    before = api.client.get("/api/v2/status.json").json()["page"]["updated_at"]
    # Another process: a commit that runs none of this process's hooks.
    with api.db.engine.begin() as conn:
        conn.execute(text("UPDATE status_pages SET data_version = data_version + 1, name = 'Renamed Status'"))
    deadline = time.monotonic() + 3.0
    with statements_sent(api.db.engine) as seen:
        while "Renamed Status" not in api.client.get("/api/v2/status.json").text:
            assert time.monotonic() < deadline, "another process's change never showed"
            time.sleep(0.02)
        reads = len([s for s in seen if "data_version" in s])
    assert 1 <= reads <= 20, f"{reads} version checks: at most one per period, never one per request"
    assert "Renamed Status" in api.client.get("/status/").text
    assert before is not None


def test_a_reader_never_gets_the_old_build_while_the_new_one_is_being_made(page_api: Api,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporter thread asks for the build right after a commit; a reader may already be making the
    new one. Until it is stored, the lock-free path must say "not ready", never hand out the old one
    (bench/statuspage.py lost about one export in fifty that way)."""
    api = page_api
    monkeypatch.setattr(live, "CHECK_S", 3600.0)
    api.client.get("/api/v2/summary.json")  # the old build
    site = live.site_of(api.db.engine)
    opened = _open(api, name="Queue backlog")  # committed: the old build is stale
    making, release = threading.Event(), threading.Event()
    real = live.public_documents

    def slow(*args: Any, **kwargs: Any) -> Any:
        making.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(live, "public_documents", slow)
    now = api.clock()
    reader = threading.Thread(target=site.build, args=(now,))
    reader.start()
    try:
        assert making.wait(10)
        assert site.ready(now) is live.NOT_READY
    finally:
        release.set()
        reader.join(10)
    built = site.ready(now)
    assert built is not live.NOT_READY and opened["id"] in json.dumps(built.documents["summary"])
