"""history.atom and history.rss parse with the standard library and hold one entry per public
incident with its latest update; and whatever text an incident carries, it stays text in every
page and feed (hypothesis)."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebell.core.status_site import every_item, instant
from firebell.statuspage.site import render_site
from tests.statuspage.builders import NOW, page_in
from tests.statuspage.dom import Node, parse

BASE = "https://status.pria.example"
A = "{http://www.w3.org/2005/Atom}"


def test_the_atom_feed_has_one_entry_per_incident_with_its_latest_update() -> None:
    docs = page_in("several")
    feed = ET.fromstring(render_site(docs, base_url=BASE, now=NOW)["history.atom"])
    assert feed.tag == f"{A}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{A}{required}") is not None
    assert feed.find(f"{A}link[@rel='self']").get("href") == f"{BASE}/history.atom"  # type: ignore[union-attr]
    entries = feed.findall(f"{A}entry")
    items = every_item(docs)
    assert [e.findtext(f"{A}title") for e in entries] == [i["name"] for i in items]
    assert len({e.findtext(f"{A}id") for e in entries}) == len(entries) == 6
    queue = next(e for e in entries if e.findtext(f"{A}title") == "Queue backlog delays notifications")
    assert queue.find(f"{A}link").get("href") == f"{BASE}/incidents/incqueue.html"  # type: ignore[union-attr]
    assert instant(queue.findtext(f"{A}updated") or "") == instant("2026-12-07T10:05:00.000Z")
    content = queue.find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert parse(content.text or "").text == ("7 Dec 2026, 11:05 CET Monitoring - Disk freed; the backlog is "
                                              "draining. We will post again within the hour.")
    assert instant(feed.findtext(f"{A}updated") or "") == max(instant(i["updated_at"]) for i in items)


def test_the_rss_feed_has_the_same_entries() -> None:
    docs = page_in("major")
    rss = ET.fromstring(render_site(docs, base_url=BASE, now=NOW)["history.rss"])
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Pria status history" and channel.findtext("link") == f"{BASE}/history.html"
    assert channel.findtext("description")
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == [i["name"] for i in every_item(docs)]
    first = items[0]
    assert first.findtext("link") == f"{BASE}/incidents/incmajor.html"
    assert parsedate_to_datetime(first.findtext("pubDate") or "") == NOW.replace(minute=18)
    assert "rolling it back" in parse(first.findtext("description") or "").text


def test_an_empty_page_has_valid_empty_feeds() -> None:
    files = render_site(page_in("empty"), base_url=BASE, now=NOW)
    assert ET.fromstring(files["history.atom"]).findall(f"{A}entry") == []
    assert ET.fromstring(files["history.rss"]).find("channel").findall("item") == []  # type: ignore[union-attr]


def _markup(node: Node) -> set[tuple[str, tuple[str, ...]]]:
    """Every element and its attribute names: what the page is built of, apart from its text."""
    return {(n.tag, tuple(sorted(n.attrs))) for n in node.walk()}


def _with(name: str, body: str) -> dict[str, Any]:
    docs = copy.deepcopy(page_in("several"))
    for incident in [*docs["summary"]["incidents"], *docs["incidents"], *docs["history"]]:
        if incident["id"] == "incweb":
            incident["name"] = name
            incident["incident_updates"][0]["body"] = body
    for component in docs["summary"]["components"]:
        if component["id"] == "capi":
            component["name"] = name
    return docs


BENIGN = render_site(_with("Slow charts", "A fix is coming."), base_url=BASE, now=NOW)
NASTY = st.text() | st.sampled_from(["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                                     "]]><evil/>", "&amp; &lt;b&gt;", "</title><h1>x", "{{ 7*7 }}"])


def _folded(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NASTY, body=NASTY)
def test_incident_text_never_becomes_markup(name: str, body: str) -> None:
    files = render_site(_with(name, body), base_url=BASE, now=NOW)
    for path in ("index.html", "history.html", "incidents/incweb.html"):
        page = parse(files[path])
        assert _markup(page) <= _markup(parse(BENIGN[path])), path
    page = parse(files["incidents/incweb.html"])
    assert page.one("h1").text == _folded(name)
    assert page.one("ol", "updates").all("p", "body")[0].text == _folded(body)
    atom = ET.fromstring(files["history.atom"])
    entry = next(e for e in atom.findall(f"{A}entry") if e.findtext(f"{A}id", "").endswith(":incweb"))
    content = parse(entry.findtext(f"{A}content") or "")
    assert {n.tag for n in content.walk()} <= {"p", "small", "br", "strong"}
    rss = ET.fromstring(files["history.rss"])
    item = next(i for i in rss.iter("item") if i.findtext("guid", "").endswith(":incweb"))
    assert {n.tag for n in parse(item.findtext("description") or "").walk()} <= {"p", "small", "br", "strong"}
    if name == name.strip() and all(c.isprintable() for c in name):
        assert entry.findtext(f"{A}title") == name and item.findtext("title") == name
