"""The browser fixtures of tests/web/browser (Debian's chromium by path, never downloaded), for the
status site's screenshots."""

from tests.web.browser.conftest import chromium, desktop, phone, playwright

__all__ = ["chromium", "desktop", "phone", "playwright"]
