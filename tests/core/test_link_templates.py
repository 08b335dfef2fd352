from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.link_templates import Link, alert_links, fill, is_safe_href, merged_templates, template_problem

TRACE = "https://tempo.example/trace/{traceID}"
LOGS = "https://logs.example/search?q=trace_id%3D{traceID}&service={service}"


def test_a_template_is_filled_from_the_labels_and_annotations_and_labels_win() -> None:
    links = alert_links({"trace": TRACE, "logs": LOGS}, {"traceID": "4bf92f35", "service": "api"},
                        {"traceID": "ignored", "summary": "x"})
    assert links == [Link("Trace", "https://tempo.example/trace/4bf92f35"),
                     Link("Logs", "https://logs.example/search?q=trace_id%3D4bf92f35&service=api")]


def test_a_template_whose_label_is_missing_or_empty_makes_no_link() -> None:
    assert alert_links({"trace": TRACE}, {}, {}) == []
    assert alert_links({"trace": TRACE}, {"traceID": ""}, {}) == []
    assert alert_links({"logs": LOGS}, {"traceID": "1"}, {}) == []  # service missing: no half-made link


def test_a_service_template_replaces_the_organisations_of_the_same_name() -> None:
    merged = merged_templates({"trace": TRACE, "logs": LOGS}, {"trace": "https://jaeger.example/t/{traceID}"})
    assert merged == {"trace": "https://jaeger.example/t/{traceID}", "logs": LOGS}


@pytest.mark.parametrize(("template", "reason"), [
    ("tempo.example/trace/{traceID}", "must start with https://"),
    ("javascript:alert({x})", "must start with https://"),
    ("https://tempo.example/trace", "names no label"),
    ("https://tempo.example/trace/{trace ID}", "has a space"),
    ("https://tempo.example/trace/{traceID", "brace that does not name a label"),
    ("https://tempo.example/trace/{{traceID}}", "brace that does not name a label"),
    ("https://{region}.tempo.example/trace/{traceID}", "host name"),
])
def test_template_problems_say_what_to_write(template: str, reason: str) -> None:
    problem = template_problem(template)
    assert problem is not None and reason in problem


def test_good_templates_have_no_problem() -> None:
    assert template_problem(TRACE) is None and template_problem(LOGS) is None


@pytest.mark.parametrize("href", ["javascript:alert(1)", "data:text/html,x", "//evil.example", "ftp://x", " ", ""])
def test_only_http_links_from_payloads_are_safe(href: str) -> None:
    assert not is_safe_href(href)


@given(st.text(min_size=1, max_size=60))
def test_a_value_stays_inside_its_place_and_reads_back(value: str) -> None:
    filled = fill("https://tempo.example/trace/{id}?x=1", {"id": value})
    assert filled is not None
    parts = urlsplit(filled)
    # Whatever the label holds, it cannot change the host, add a path segment, a query or a fragment.
    assert parts.netloc == "tempo.example" and parts.query == "x=1" and not parts.fragment
    assert parts.path.count("/") == 2 and unquote(parts.path.rsplit("/", 1)[1]) == value
    assert is_safe_href(filled)


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.text(max_size=5)),
       st.dictionaries(st.sampled_from(["a", "b", "c"]), st.text(max_size=5)))
def test_a_link_exists_exactly_when_every_label_it_names_has_a_value(labels: dict[str, str],
                                                                     annotations: dict[str, str]) -> None:
    templates = {"ab": "https://x.example/{a}/{b}", "c": "https://x.example/{c}"}
    values = annotations | labels
    made = {link.text for link in alert_links(templates, labels, annotations)}
    assert made == {name.capitalize() for name, needs in (("ab", "ab"), ("c", "c"))
                    if all(values.get(n) for n in needs)}
