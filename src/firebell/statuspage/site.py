"""The public status site as files: the HTML pages, the Atom and RSS feeds, Statuspage's v2 JSON and
the stylesheet, rendered from the plain PublicDocuments dict (see statuspage/public.py) and nothing
else, so the live routes and the static export (statuspage/export.py) serve the same bytes.

Every value from the documents is data: Jinja2 escapes it in the HTML, ElementTree in the feeds,
and links from the branding pass `core.status_site.safe_url` first."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from firebell.core import status_site as rules
from firebell.statuspage.feeds import atom, rss

# The templates live with the other pages (web/templates/status/); read as files, not imported.
TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates" / "status"
LEGEND = ("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def v2_files(docs: Mapping[str, Any]) -> dict[str, bytes]:
    """Statuspage's public v2 endpoints as files, cut from the documents as wire formats 5.1 says."""
    summary = docs["summary"]
    page = summary["page"]
    return {
        "api/v2/summary.json": _json(summary),
        "api/v2/status.json": _json({"page": page, "status": summary["status"]}),
        "api/v2/components.json": _json({"page": page, "components": summary["components"]}),
        "api/v2/incidents.json": _json({"page": page, "incidents": docs["incidents"]}),
        "api/v2/incidents/unresolved.json": _json({"page": page, "incidents": rules.unresolved(docs)}),
        "api/v2/scheduled-maintenances.json": _json({"page": page,
                                                     "scheduled_maintenances": docs["scheduled_maintenances"]}),
        "api/v2/scheduled-maintenances/upcoming.json": _json({"page": page,
                                                              "scheduled_maintenances": rules.upcoming(docs)}),
        "api/v2/scheduled-maintenances/active.json": _json({"page": page,
                                                            "scheduled_maintenances": rules.active(docs)}),
    }


def stylesheet(docs: Mapping[str, Any]) -> bytes:
    """status.css: the house style, then the page's accent, then its custom CSS last (so it wins)."""
    branding = docs.get("branding") or {}
    text = (TEMPLATES / "status.css").read_text()
    text += f"\n:root {{ --accent: {rules.accent(branding.get('accent'))}; }}\n"
    if branding.get("custom_css"):
        text += "\n/* The page's own CSS */\n" + str(branding["custom_css"]) + "\n"
    return text.encode()


def _names(docs: Mapping[str, Any], *, base_url: str, now: datetime, css: bytes) -> dict[str, Any]:
    """What every page's template gets: the page, its branding made safe, and the helpers in its zone."""
    summary = docs["summary"]
    page = summary["page"]
    tz = rules.zone(page.get("time_zone"))
    branding = docs.get("branding") or {}
    links = [{"label": str(link.get("label") or link.get("url") or ""), "url": rules.safe_url(link.get("url"))}
             for link in branding.get("footer_links") or ()]
    return {
        "page": page, "status": summary["status"], "base_url": base_url.rstrip("/"),
        "logo_url": rules.safe_url(branding.get("logo_url")),
        "support_url": rules.safe_url(branding.get("support_url")),
        "footer_links": links, "css_version": hashlib.sha256(css).hexdigest()[:10],
        "updated_at": page.get("updated_at") or now.isoformat(), "zone_name": tz.key,
        "at": partial(rules.local_time, tz=tz), "began": rules.began, "day_text": rules.day_text,
        "uptime_text": rules.uptime_text, "word_component": partial(rules.words, rules.COMPONENT_WORDS),
        "word_update": partial(rules.words, rules.UPDATE_WORDS),
        "word_impact": partial(rules.words, rules.IMPACT_WORDS),
        "word_indicator": partial(rules.words, rules.INDICATOR_WORDS), "canonical": None,
    }


def render_site(docs: Mapping[str, Any], *, base_url: str, now: datetime) -> dict[str, bytes]:
    """Every file of the public site, by its path relative to the site's root."""
    env = environment()
    css = stylesheet(docs)
    names = _names(docs, base_url=base_url, now=now, css=css)
    base = names["base_url"]
    summary = docs["summary"]
    tz = rules.zone(summary["page"].get("time_zone"))
    items = rules.every_item(docs)

    def html(template: str, root: str, canonical: str, **extra: Any) -> bytes:
        context = names | {"root": root, "canonical": f"{base}/{canonical}" if base else None} | extra
        return env.get_template(template).render(context).encode()

    files = {"status.css": css}
    files["index.html"] = html(
        "index.html", "", "", incidents=rules.with_status(summary["incidents"], rules.UNRESOLVED),
        maintenances=[("Maintenance in progress", "maint-now", rules.active(docs)),
                      ("Scheduled maintenance", "maint-next", rules.upcoming(docs))],
        tree=rules.component_tree(summary["components"]), uptimes=docs.get("uptime") or {}, legend=LEGEND)
    files["history.html"] = html("history.html", "", "history.html",
                                 months=rules.history_months(docs["history"], tz, now))
    for item in items:
        ident = rules.safe_id(item["id"])
        files[f"incidents/{ident}.html"] = html("incident.html", "../", f"incidents/{ident}.html", item=item)
    files["history.atom"] = atom(docs, items, base_url=base, now=now)
    files["history.rss"] = rss(docs, items, base_url=base, now=now)
    files |= v2_files(docs)
    return files


_NOT_FOUND = """{% extends "base.html" %}
{% block title %}Not found · {{ page.name }} status{% endblock %}
{% block main %}
<h1>Not found</h1>
<p>There is no such page here. The <a href="{{ root }}index.html">current status</a> and the
<a href="{{ root }}history.html">incident history</a> list every incident we have told of.</p>
{% endblock %}
"""


def not_found_page(docs: Mapping[str, Any], *, base_url: str, now: datetime, root: str = "../") -> bytes:
    """The page a reader gets for an incident id the site does not have (a 404), one level below
    the site's root like an incident's own page."""
    names = _names(docs, base_url=base_url, now=now, css=stylesheet(docs))
    return environment().from_string(_NOT_FOUND).render(names | {"root": root}).encode()


# What the pages made per request (site_page) show when no page is configured: a subscriber's links
# must keep working even then.
NO_PAGE: dict[str, Any] = {"summary": {"page": {"id": "", "name": "Status", "url": "", "time_zone": "Etc/UTC",
                                                "updated_at": None},
                                       "status": {"indicator": "none", "description": ""}, "components": []},
                           "branding": {}}


def site_page(docs: Mapping[str, Any] | None, template: str, *, root: str, now: datetime, css: bytes | None = None,
              **extra: Any) -> bytes:
    """A page of the site made per request, not a file (the subscribe form, a subscription link's
    page): the site's header, footer, name, logo and colours, with its links under `root` (absolute:
    "/status/" on Firebell's host, "/" on the page's own). `css`: the build's stylesheet, when at hand."""
    docs = docs or NO_PAGE
    names = _names(docs, base_url="", now=now, css=css if css is not None else stylesheet(docs))
    return environment().get_template(template).render(names | {"root": root} | extra).encode()
