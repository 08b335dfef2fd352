from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc.provider import Provider, running_provider


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running
