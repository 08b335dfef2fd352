"""SMS and voice channels from the environment, and the URLs Twilio calls us back on.

Providers are tried in this order; either may be left out, not both halves of one:

    FIREBELL_TWILIO_ACCOUNT_SID / _AUTH_TOKEN / _FROM   Twilio (all three, or none); _API_URL overrides
                                                        https://api.twilio.com (tests point it at a fake)
    FIREBELL_SMS_HTTP_URL + FIREBELL_SMS_HTTP_SECRET    a generic gateway (see GenericHttpProvider), whsec_...

Twilio reports back to `{public_url}/integrations/twilio/...` (notify/phone_api.py): delivery receipts
of every SMS and call go to `/status`; a key pressed during a page call goes to `/voice/<token>`, where
the token is the page's own signed acknowledge-link token (who, which incident, a one-time nonce), so a
call can act for the person called and nobody else. Inbound SMS replies arrive at `/sms`, the URL to set
as the Twilio number's messaging webhook. Only Twilio signs these requests (with the auth token), so
receipts are asked for only when Twilio is configured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from firebell.notify.channels.base import Message
from firebell.notify.channels.phone import GenericHttpProvider, PhoneProvider, SmsChannel, TwilioProvider, VoiceChannel
from firebell.notify.twiml import gather_result_twiml, page_call_twiml

TWILIO_API_URL = "https://api.twilio.com"
TWILIO_PATH = "/integrations/twilio"
TWILIO_VARIABLES = ("FIREBELL_TWILIO_ACCOUNT_SID", "FIREBELL_TWILIO_AUTH_TOKEN", "FIREBELL_TWILIO_FROM")
GENERIC_VARIABLES = ("FIREBELL_SMS_HTTP_URL", "FIREBELL_SMS_HTTP_SECRET")
_ACT_PATH = "/act/"
_NUMBERED_REF = re.compile(r"INC-(\d+)", re.IGNORECASE)
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhoneSettings:
    """The phone channels to register and the token that verifies Twilio's requests ('' without Twilio)."""

    sms: SmsChannel | None
    voice: VoiceChannel | None
    twilio_auth_token: str


def status_callback_url(public_url: str) -> str:
    return f"{public_url}{TWILIO_PATH}/status"


def voice_gather_url(public_url: str, token: str) -> str:
    return f"{public_url}{TWILIO_PATH}/voice/{token}"


def action_token(link: str | None) -> str | None:
    """The signed token at the end of an acknowledge/resolve link ('.../act/<token>'), or None."""
    if not link or _ACT_PATH not in link:
        return None
    return link.rpartition(_ACT_PATH)[2] or None


def call_twiml(message: Message, public_url: str) -> str:
    """What a page call says. With an acknowledge link, keys act on the page (via the link's token);
    without one, and for a resolution, the call only reads the message."""
    token = action_token(message.links.acknowledge)
    if token is not None and message.kind != "resolved":
        return page_call_twiml(message.incident_ref, message.title, message.severity,
                               voice_gather_url(public_url, token),
                               message.rendered.text if message.rendered is not None else "")
    numbered = _NUMBERED_REF.fullmatch(message.incident_ref.strip())
    spoken_ref = f"Incident {numbered.group(1)}" if numbered else f"Incident {message.incident_ref}"
    state = " is resolved" if message.kind == "resolved" else f", severity {message.severity}"
    text = f"This is Firebell. {spoken_ref}{state}: {message.title or 'untitled'}."
    return gather_result_twiml(f"{text} Once more. {text}")


def _configured(env: Mapping[str, str], names: tuple[str, ...], what: str) -> dict[str, str] | None:
    """The values of `names` when all are set, None when none is; a ValueError naming the missing ones
    when only some are (a half-configured provider would fail at the first page, at night)."""
    values = {name: env.get(name, "").strip() for name in names}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(names):
        return None
    if missing:
        raise ValueError(f"{what} is only partly configured: set {', '.join(missing)} as well "
                         f"(or unset {', '.join(n for n in names if n not in missing)})")
    return values


def phone_from_env(env: Mapping[str, str], public_url: str) -> PhoneSettings:
    """The SMS and voice channels over every configured provider (none when no provider is configured).
    Raises ValueError for a provider that is configured wrongly."""
    providers: list[PhoneProvider] = []
    twilio = _configured(env, TWILIO_VARIABLES, "Twilio")
    auth_token = ""
    if twilio is not None:
        auth_token = twilio["FIREBELL_TWILIO_AUTH_TOKEN"]
        try:
            providers.append(TwilioProvider(
                twilio["FIREBELL_TWILIO_ACCOUNT_SID"], auth_token, twilio["FIREBELL_TWILIO_FROM"],
                base_url=env.get("FIREBELL_TWILIO_API_URL", "").strip() or TWILIO_API_URL))
        except ValueError as exc:
            raise ValueError(f"FIREBELL_TWILIO_*: {exc}") from None
    generic = _configured(env, GENERIC_VARIABLES, "The SMS gateway (FIREBELL_SMS_HTTP_*)")
    if generic is not None:
        try:
            providers.append(GenericHttpProvider(generic["FIREBELL_SMS_HTTP_URL"],
                                                 generic["FIREBELL_SMS_HTTP_SECRET"]))
        except ValueError as exc:
            raise ValueError(f"FIREBELL_SMS_HTTP_SECRET: {exc}") from None
    if not providers:
        return PhoneSettings(sms=None, voice=None, twilio_auth_token="")
    callback = status_callback_url(public_url) if auth_token else None
    if auth_token and urlsplit(public_url).hostname in _LOCAL_HOSTS:
        log.warning("FIREBELL_PUBLIC_URL is %s, which Twilio cannot reach: SMS replies, keys pressed during "
                    "calls and delivery receipts will not arrive", public_url)

    def receipts_to(_message: Message) -> str | None:
        return callback

    return PhoneSettings(
        sms=SmsChannel(providers, status_callback_for=receipts_to),
        voice=VoiceChannel(providers, twiml_for=lambda message: call_twiml(message, public_url),
                           status_callback_for=receipts_to),
        twilio_auth_token=auth_token,
    )
