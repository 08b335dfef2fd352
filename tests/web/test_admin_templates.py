"""/admin/templates: admins only; the list says where each part comes from; the editor is prefilled
with the effective text, previews it (edited or not) against the sample or a real incident, shows
problems at their lines, and gives the `templates:` entry to paste; nothing is saved."""

from __future__ import annotations

import html

from firebell.messages.models import MessageTemplate
from tests.web.conftest import Web


def _configure(web: Web, **parts: str) -> None:
    with web.db.unit_of_work() as session:
        session.add(MessageTemplate(name="page/sms/api", purpose="page", channel="sms", service="api", parts=parts))


def test_only_admins_see_the_templates(web: Web) -> None:
    alice = web.signed_in("alice")
    for answer in (alice.get("/admin/templates"), alice.get("/admin/templates/page"),
                   alice.post("/admin/templates/page", {"text": "x"})):
        assert answer.status_code == 403 and "Admins only" in answer.text
    admin = web.signed_in("admin")
    assert admin.post("/admin/templates/page", {"text": "x"}, csrf=None).status_code == 403


def test_the_list_names_each_parts_source(web: Web) -> None:
    _configure(web, text="API {{ incident.ref }}")
    page = web.signed_in("admin").get("/admin/templates").text
    assert 'href="/admin/templates/escalation?channel=sms"' in page
    assert "<strong>service api</strong>" in page and 'aria-current="page">Message templates' in page


def test_the_editor_previews_the_effective_text_and_an_edit(web: Web) -> None:
    _configure(web, text="API {{ incident.ref }}")
    admin = web.signed_in("admin")
    shown = admin.get("/admin/templates/page?channel=sms&service=api")
    assert shown.status_code == 200
    assert ">API {{ incident.ref }}</textarea>" in shown.text and "(service api)" in shown.text
    assert '<pre class="rendered">API INC-42</pre>' in shown.text
    assert "no entry is needed" not in shown.text and "service: api" in shown.text  # differs from the built-in
    ref = web.browser().client.post("/api/v1/incidents", json={"title": "Checkout <down>", "severity": "P1",
                                                               "services": ["api"]},
                                    headers={"Authorization": f"Bearer {web.tokens['admin']}"}).json()["ref"]
    edited = admin.post("/admin/templates/page", {"channel": "sms", "service": "api", "incident": ref,
                                                  "text": "WAKE {{ incident.ref }}:\r\n{{ incident.title }}"})
    assert edited.status_code == 200
    assert f'<pre class="rendered">WAKE {ref}: Checkout &lt;down&gt;</pre>' in edited.text
    assert "from your edit" in edited.text and f'<option value="{ref}" selected>' in edited.text
    entry = html.unescape(edited.text.split('<pre class="mono entry"')[1].split("</pre>")[0])
    assert "templates:\n  - purpose: page\n    channel: sms\n    service: api\n    text: |-\n" \
           "      WAKE {{ incident.ref }}:\n      {{ incident.title }}" in entry
    with web.db.unit_of_work(write=False) as session:  # nothing saved
        assert [row.parts for row in session.query(MessageTemplate)] == [{"text": "API {{ incident.ref }}"}]
    builtin = admin.get("/admin/templates/escalation?channel=email").text
    assert "no entry is needed" in builtin and "needs help" in builtin and 'id="variables"' in builtin


def test_problems_are_shown_at_their_lines(web: Web) -> None:
    admin = web.signed_in("admin")
    admin.get("/admin/templates/escalation?channel=slack")
    broken = admin.post("/admin/templates/escalation", {"channel": "slack",
                                                        "text": "one\r\ntwo {{ escalation.hlep }}\r\nthree"})
    assert broken.status_code == 422
    assert "text, line 2: unknown variable &#39;escalation.hlep&#39;" in broken.text
    assert '<li value="2" class="bad"><code>two {{ escalation.hlep }}</code>' in broken.text
    assert 'aria-invalid="true"' in broken.text and "No preview until the problems above are fixed" in broken.text
    missing = admin.get("/admin/templates/nope")
    assert missing.status_code == 404 and "no template &#39;nope&#39;" in missing.text
    hidden = admin.get("/admin/templates/page?incident=INC-404")
    assert hidden.status_code == 404 and "incident INC-404 not found" in hidden.text
