"""The public site as a reader sees it: the banner, the components with their 90-day bars and
uptime, the incidents with their updates in order, the history by month, the branding, and the
v2 JSON files equal to the documents they came from."""

from __future__ import annotations

import json
from typing import Any

import pytest

from firebell.statuspage.site import render_site
from tests.statuspage.builders import DESCRIPTIONS, NOW, STATES, page_in
from tests.statuspage.dom import Node, parse

BASE = "https://status.pria.example"


def site(docs: dict[str, Any]) -> dict[str, bytes]:
    return render_site(docs, base_url=BASE, now=NOW)


def rows(index: Node) -> dict[str, Node]:
    """Component or group name -> its list item on the front page."""
    found = {}
    for li in index.all("li"):
        row = next((c for c in li.children if isinstance(c, Node) and "row" in c.classes), None)
        if row is not None:
            found[next(c for c in row.children if isinstance(c, Node) and "name" in c.classes).text] = li
    return found


@pytest.mark.parametrize("state", STATES)
def test_the_banner_says_the_overall_status_in_words(state: str) -> None:
    docs = page_in(state)
    index = parse(site(docs)["index.html"])
    banner = index.one("h1")
    assert banner.text == DESCRIPTIONS[docs["summary"]["status"]["indicator"]]
    assert f"i-{docs['summary']['status']['indicator']}" in banner.classes
    assert not index.all("script"), "the page needs no JavaScript"
    assert index.one("main").attrs["id"] == "main" and index.all("header") and index.all("footer")


def test_every_component_shows_its_status_its_bar_and_its_uptime() -> None:
    docs = page_in("several")
    shown = rows(parse(site(docs)["index.html"]))
    assert list(shown) == ["Website", "API", "Infrastructure", "Database", "Queue", "Status emails"]
    assert shown["API"].one("span", "state").text == "Major outage"
    assert shown["Website"].one("span", "state").text == "Degraded performance"
    assert shown["Infrastructure"].all("span", "state")[0].text == "Partial outage"
    for name, ident in (("Website", "cweb"), ("API", "capi"), ("Database", "cdb"), ("Queue", "cqueue")):
        bar = shown[name].one("ol", "bar")
        days = bar.all("li")
        assert len(days) == 90
        assert bar.attrs["aria-label"] == f"{name}: each of the last 90 days"
        assert all(day.attrs["title"] == day.text for day in days), "the tooltip and the spoken text agree"
        percent = docs["uptime"][ident]["percent"]
        assert shown[name].one("span", "uptime").text == f"{int(percent * 100) / 100:.2f}% uptime"
    api_days = shown["API"].one("ol", "bar").all("li")
    assert api_days[-1].text == "7 Dec 2026: Major outage" and "s-major_outage" in api_days[-1].classes
    assert api_days[-6].text == "2 Dec 2026: Partial outage"
    assert api_days[0].text == "9 Sep 2026: Operational"
    db_days = shown["Database"].one("ol", "bar").all("li")
    assert db_days[-21].text == "17 Nov 2026: Operational, with maintenance" and "maint" in db_days[-21].classes


def test_a_component_shown_only_when_degraded_is_left_out_while_it_is_operational() -> None:
    assert "Status emails" not in rows(parse(site(page_in("operational"))["index.html"]))
    assert "Status emails" in rows(parse(site(page_in("several"))["index.html"]))


def test_a_component_with_no_data_says_so() -> None:
    docs = page_in("operational")
    docs["uptime"]["capi"]["percent"] = None
    assert rows(parse(site(docs)["index.html"]))["API"].one("span", "uptime").text == "No data"


def test_active_incidents_show_their_updates_newest_first_in_the_page_zone() -> None:
    index = parse(site(page_in("several"))["index.html"])
    incidents = [a for a in index.all("article") if "incident" in a.classes]
    assert [a.one("h3").text for a in incidents] == [
        "API unavailable in eu-west", "Queue backlog delays notifications", "Dashboard charts load slowly",
        "Network maintenance"]
    queue = incidents[1]
    assert [u.one("strong").text for u in queue.one("ol", "updates").all("li")] == [
        "Monitoring", "Identified", "Investigating"]
    assert queue.one("ol", "updates").all("time")[0].text == "7 Dec 2026, 11:05 CET"  # 10:05 UTC in Berlin
    assert queue.one("p", "meta").text == "Major impact · Monitoring"
    upcoming = incidents[3]
    assert upcoming.one("p", "window").text == "Scheduled for 9 Dec 2026, 11:30 CET until 9 Dec 2026, 13:30 CET"


def test_each_public_incident_has_its_page() -> None:
    files = site(page_in("several"))
    assert {name for name in files if name.startswith("incidents/")} == {
        f"incidents/{i}.html" for i in ("incapi", "incqueue", "incweb", "mntnext", "inc0old", "mnt0done")}
    page = parse(files["incidents/incweb.html"])
    assert page.one("h1").text == "Dashboard charts load slowly"
    assert page.one("p", "affects").text == "Affects: Website, Status emails"
    assert [t.attrs["datetime"] for t in page.one("ol", "updates").all("time")] == [
        "2026-12-07T07:50:00.000Z", "2026-12-07T07:30:00.000Z"]
    links = {link.attrs.get("href") for link in page.all("link")}
    assert any((h or "").startswith("../status.css?v=") for h in links)
    assert "../history.atom" in links and "../history.rss" in links


def test_the_history_lists_every_month_of_the_90_days_newest_first() -> None:
    history = parse(site(page_in("major"))["history.html"])
    months = history.all("section", "month")
    assert [m.one("h2").text for m in months] == ["December 2026", "November 2026", "October 2026",
                                                  "September 2026"]
    assert [h.text for h in months[0].all("h3")] == ["Elevated API error rates"]
    assert [h.text for h in months[1].all("h3")] == ["Database upgrade to PostgreSQL 17", "Delayed status emails"]
    assert months[2].one("p", "none").text == "No incidents reported this month."


def test_feeds_are_linked_from_the_head_of_every_page() -> None:
    files = site(page_in("operational"))
    for name in ("index.html", "history.html"):
        alternates = {(link.attrs["type"], link.attrs["href"]) for link in parse(files[name]).all("link")
                      if link.attrs.get("rel") == "alternate"}
        assert alternates == {("application/atom+xml", "history.atom"), ("application/rss+xml", "history.rss")}


def test_the_branding_the_accent_and_custom_css_come_last() -> None:
    docs = page_in("operational")
    docs["branding"] |= {"logo_url": "https://pria.example/logo.svg", "custom_css": ".banner { border-radius: 0 }",
                         "footer_links": [{"label": "Home", "url": "https://pria.example"},
                                          {"label": "Trap", "url": "javascript:alert(1)"}]}
    files = site(docs)
    css = files["status.css"].decode()
    assert css.rstrip().endswith(".banner { border-radius: 0 }")
    assert "--accent: #6f42c1;" in css
    index = parse(files["index.html"])
    logo = index.one("a", "brand").one("img")
    assert logo.attrs["src"] == "https://pria.example/logo.svg" and logo.attrs["alt"] == "Pria"
    footer = index.one("ul", "foot-links")
    assert [(a.text, a.attrs["href"]) for a in footer.all("a")] == [("Home", "https://pria.example")]
    assert "Trap" in footer.text  # the label stays, the javascript: link does not
    docs["branding"]["accent"] = "red; } body { display: none"
    assert "--accent: #0b5cad;" in site(docs)["status.css"].decode()


@pytest.mark.parametrize("state", STATES)
def test_the_v2_json_files_hold_the_documents(state: str) -> None:
    docs = page_in(state)
    files = site(docs)
    summary = docs["summary"]
    page = summary["page"]

    def read(name: str) -> Any:
        return json.loads(files[f"api/v2/{name}"])

    assert read("summary.json") == summary
    assert read("status.json") == {"page": page, "status": summary["status"]}
    assert read("components.json") == {"page": page, "components": summary["components"]}
    assert read("incidents.json") == {"page": page, "incidents": docs["incidents"]}
    assert read("incidents/unresolved.json") == {"page": page, "incidents": summary["incidents"]}
    assert read("scheduled-maintenances.json") == {"page": page,
                                                   "scheduled_maintenances": docs["scheduled_maintenances"]}
    assert read("scheduled-maintenances/upcoming.json")["scheduled_maintenances"] == [
        m for m in docs["scheduled_maintenances"] if m["status"] == "scheduled"]
    assert read("scheduled-maintenances/active.json")["scheduled_maintenances"] == [
        m for m in docs["scheduled_maintenances"] if m["status"] in ("in_progress", "verifying")]
    assert list(read("summary.json")) == list(summary), "the keys keep the documents' order"
