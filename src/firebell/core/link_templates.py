"""Links built from an alert's labels: `https://tempo.example/trace/{traceID}` becomes the trace of the
alert whose label `traceID` is `4bf92f35`. The templates are set on the organisation and per service
(config tree `links:`); a service's template replaces the organisation's of the same name.

Pure: the config checks a template with `template_problem`, the pages call `alert_links`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
LINK_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,39}$")
_SAFE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Link:
    text: str
    href: str


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def template_problem(template: str) -> str | None:
    """Why `template` cannot be a link template, as a sentence for the person editing the YAML; None
    when it can."""
    if urlsplit(template).scheme not in _SAFE_SCHEMES or not urlsplit(template).netloc:
        return f"{template!r} is not a link template; it must start with https:// or http://"
    if any(c.isspace() for c in template):
        return f"{template!r} has a space; a link template is one URL"
    # Braces that are not a placeholder are a typo ({trace ID}, {{traceID}}, a missing brace).
    rest = PLACEHOLDER.sub("", template)
    if "{" in rest or "}" in rest:
        return f"{template!r} has a brace that does not name a label; write {{label}}, such as {{traceID}}"
    if not placeholders(template):
        return (f"{template!r} names no label; put the label in braces where its value goes, "
                "such as https://tempo.example/trace/{traceID}")
    if urlsplit(template.replace("{", "").replace("}", "")).netloc != urlsplit(template).netloc:
        return f"{template!r} puts a label in the host name; labels may only fill the path or the query"
    return None


def fill(template: str, values: Mapping[str, str]) -> str | None:
    """The template with each {name} replaced by the value, percent-encoded so that it stays inside
    its part of the URL; None if a value is missing or empty (no half-made link is shown)."""
    missing = False

    def value_of(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1), "")
        if not value:
            missing = True
        return quote(value, safe="")

    filled = PLACEHOLDER.sub(value_of, template)
    return None if missing else filled


def merged_templates(organisation: Mapping[str, str], service: Mapping[str, str]) -> dict[str, str]:
    """The templates that apply to one service's alerts: the organisation's, each replaced by the
    service's of the same name, plus the service's own."""
    return dict(organisation) | dict(service)


def alert_links(templates: Mapping[str, str], labels: Mapping[str, str],
                annotations: Mapping[str, str]) -> list[Link]:
    """One link per template whose labels the alert carries (a label wins over an annotation of the
    same name), in the templates' order, named after the template (`trace`, `logs`)."""
    values = dict(annotations) | dict(labels)
    links = []
    for name, template in templates.items():
        href = fill(template, values)
        if href is not None:
            links.append(Link(text=name.replace("_", " ").replace("-", " ").capitalize(), href=href))
    return links


def is_safe_href(href: str) -> bool:
    """Whether a link that came in a payload may be rendered as one: http(s) only, so a sender
    cannot plant a javascript: or data: URL in a page people click at 3 a.m."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _SAFE_SCHEMES and bool(parts.netloc)
