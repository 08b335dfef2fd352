from tests.api.conftest import api  # noqa: F401  (the same live-app fixture as the API tests)
