from tests.api.conftest import api  # noqa: F401  (the same live-app fixture as the API tests)
from tests.fuzz.senders import client  # noqa: F401  (the app with Slack and Twilio configured)
