"""history.atom (Atom 1.0, RFC 4287) and history.rss (RSS 2.0): one entry per public incident or
maintenance, carrying its latest update, newest first. Built with ElementTree, which escapes every
value; the entry's HTML content is escaped once more inside it, so an incident's text is never markup."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from firebell.core import status_site as rules

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all (control characters): dropped, or the feed would not parse.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def _link(base_url: str, path: str) -> str:
    return f"{base_url}/{path}" if base_url else path


def _latest(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    updates = item.get("incident_updates") or []
    return updates[0] if updates else None


def _content(item: Mapping[str, Any], tz: Any) -> str:
    """The latest update as a small piece of HTML, every value escaped."""
    update = _latest(item)
    if update is None:
        return f"<p>{html.escape(rules.words(rules.UPDATE_WORDS, item.get('status')))}</p>"
    at = rules.local_time(update.get("display_at") or update.get("created_at"), tz)
    body = html.escape(_text(update.get("body"))).replace("\n", "<br>")
    return (f"<p><small>{html.escape(at)}</small><br><strong>"
            f"{html.escape(rules.words(rules.UPDATE_WORDS, update.get('status')))}</strong> - {body}</p>")


def _feed_updated(docs: Mapping[str, Any], items: Sequence[Mapping[str, Any]], now: datetime) -> datetime:
    """When the feed's entries last changed; the page's last change (or now) while it has none."""
    if items:
        return max(rules.instant(i["updated_at"]) for i in items)
    page_updated = docs["summary"]["page"].get("updated_at")
    return rules.instant(page_updated) if page_updated else now


def _sub(parent: ET.Element, tag: str, text: object = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _text(text)
    return element


def atom(docs: Mapping[str, Any], items: Sequence[Mapping[str, Any]], *, base_url: str, now: datetime) -> bytes:
    page = docs["summary"]["page"]
    tz = rules.zone(page.get("time_zone"))
    # Plain names with the namespace declared by hand: ElementTree's default_namespace refuses
    # the unqualified attributes (rel, href) Atom uses.
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _sub(feed, "id", f"urn:firebell:status:{page['id']}:history")
    _sub(feed, "title", f"{page['name']} status history")
    _sub(feed, "updated", _feed_updated(docs, items, now).isoformat())
    _sub(feed, "link", rel="alternate", type="text/html", href=_link(base_url, "history.html"))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=_link(base_url, "history.atom"))
    _sub(_sub(feed, "author"), "name", page["name"])
    for item in items:
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:firebell:status:{page['id']}:incident:{item['id']}")
        _sub(entry, "title", item["name"])
        _sub(entry, "published", rules.instant(item["created_at"]).isoformat())
        _sub(entry, "updated", rules.instant(item["updated_at"]).isoformat())
        _sub(entry, "link", rel="alternate", type="text/html",
             href=_link(base_url, f"incidents/{rules.safe_id(item['id'])}.html"))
        _sub(entry, "content", _content(item, tz), type="html")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def rss(docs: Mapping[str, Any], items: Sequence[Mapping[str, Any]], *, base_url: str, now: datetime) -> bytes:
    page = docs["summary"]["page"]
    tz = rules.zone(page.get("time_zone"))
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", f"{page['name']} status history")
    _sub(channel, "link", _link(base_url, "history.html") if base_url else page.get("url") or "history.html")
    _sub(channel, "description", f"Incidents and maintenance on the {page['name']} status page")
    _sub(channel, "language", "en")
    _sub(channel, "lastBuildDate", format_datetime(_feed_updated(docs, items, now)))
    for item in items:
        entry = _sub(channel, "item")
        link = _link(base_url, f"incidents/{rules.safe_id(item['id'])}.html")
        _sub(entry, "title", item["name"])
        _sub(entry, "link", link)
        _sub(entry, "guid", f"urn:firebell:status:{page['id']}:incident:{item['id']}", isPermaLink="false")
        _sub(entry, "pubDate", format_datetime(rules.instant(item["updated_at"])))
        _sub(entry, "description", _content(item, tz))
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
