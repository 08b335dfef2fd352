"""Security headers on every answer a browser may render: pages, static files, errors and redirects
alike. The REST API and its documentation pages are left as they are (the interactive docs load
their own scripts), and /act/ links set stricter ones of their own."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY = _POLICY.format(images="")
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "same-origin",  # incident titles in URLs stay in Firebell
    "X-Content-Type-Options": "nosniff",
}
HSTS = "max-age=31536000"


def page_headers(*, https: bool, img_origin: str | None = None) -> dict[str, str]:
    """The headers of a page; `img_origin` (scheme://host, such as a status page's logo host) may
    serve it images besides this site."""
    headers = PAGE_HEADERS | ({"Strict-Transport-Security": HSTS} if https else {})
    if img_origin:
        headers["Content-Security-Policy"] = _POLICY.format(images=" " + img_origin)
    return headers
_NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/act/")


class WebHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = page_headers(https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NOT_PAGES):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
