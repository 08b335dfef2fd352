"""A small client of Statuspage's management API (v1), written from Statuspage's documented request
shapes and nothing of Firebell's: base URL, `Authorization: OAuth <key>`, bodies wrapped in their
resource's key. It is what an existing script would do, pointed at another base URL."""

from __future__ import annotations

from typing import Any

import httpx


class StatuspageClient:
    def __init__(self, http: httpx.Client, api_key: str, page_id: str = "") -> None:
        self.http, self.page_id = http, page_id
        self.headers = {"Authorization": f"OAuth {api_key}"}

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              idempotency_key: str | None = None) -> httpx.Response:
        headers = dict(self.headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self.http.request(method, f"/v1{path}", json=body, headers=headers)

    def _page(self, path: str) -> str:
        return f"/pages/{self.page_id}{path}"

    def pages(self) -> httpx.Response:
        return self._call("GET", "/pages")

    def components(self) -> httpx.Response:
        return self._call("GET", self._page("/components"))

    def create_component(self, name: str, **fields: Any) -> httpx.Response:
        return self._call("POST", self._page("/components"), {"component": {"name": name, **fields}})

    def update_component(self, component_id: str, **fields: Any) -> httpx.Response:
        return self._call("PATCH", self._page(f"/components/{component_id}"), {"component": fields})

    def delete_component(self, component_id: str) -> httpx.Response:
        return self._call("DELETE", self._page(f"/components/{component_id}"))

    def groups(self) -> httpx.Response:
        return self._call("GET", self._page("/component-groups"))

    def create_group(self, name: str, components: list[str], description: str = "") -> httpx.Response:
        return self._call("POST", self._page("/component-groups"),
                          {"component_group": {"name": name, "description": description, "components": components}})

    def incidents(self, which: str = "") -> httpx.Response:
        return self._call("GET", self._page(f"/incidents{'/' + which if which else ''}"))

    def create_incident(self, idempotency_key: str | None = None, **fields: Any) -> httpx.Response:
        return self._call("POST", self._page("/incidents"), {"incident": fields}, idempotency_key)

    def update_incident(self, incident_id: str, **fields: Any) -> httpx.Response:
        return self._call("PATCH", self._page(f"/incidents/{incident_id}"), {"incident": fields})

    def delete_incident(self, incident_id: str) -> httpx.Response:
        return self._call("DELETE", self._page(f"/incidents/{incident_id}"))

    def incident(self, incident_id: str) -> httpx.Response:
        return self._call("GET", self._page(f"/incidents/{incident_id}"))

    def postmortem(self, incident_id: str) -> httpx.Response:
        return self._call("GET", self._page(f"/incidents/{incident_id}/postmortem"))

    def put_postmortem(self, incident_id: str, **fields: Any) -> httpx.Response:
        return self._call("PUT", self._page(f"/incidents/{incident_id}/postmortem"), {"postmortem": fields})

    def subscribers(self) -> httpx.Response:
        return self._call("GET", self._page("/subscribers"))

    def create_subscriber(self, **fields: Any) -> httpx.Response:
        return self._call("POST", self._page("/subscribers"), {"subscriber": fields})
