"""Mail about a person's account (an invitation, a password reset), sent through the email channel
the server pages with (FIREBELL_SMTP_*), when there is one."""

from __future__ import annotations

from firebell.auth.password_links import IssuedLink
from firebell.auth.web_sessions import hash_secret
from firebell.notify.channels.base import Delivery, Message
from firebell.notify.settings import Channels

_WORDING = {
    "invite": ("You are invited to Firebell",
               "{name}, you have a Firebell account ({user}). Choose your password here (the link works once, "
               "until {expires} UTC):\n\n{url}\n"),
    "reset": ("Reset your Firebell password",
              "{name}, someone (hopefully you) asked to reset the password of the Firebell account {user}. "
              "Choose a new one here (the link works once, until {expires} UTC):\n\n{url}\n\n"
              "If it was not you, ignore this mail: your password stays as it is."),
}


def send_password_link(channels: Channels, link: IssuedLink) -> Delivery | None:
    """Mails the link to the person; None when this server has no email channel."""
    channel = channels.channel("email")
    if channel is None or not link.email:
        return None
    title, text = _WORDING[link.purpose]
    url = link.url(channels.public_url)
    summary = text.format(name=link.full_name, user=link.user_name, url=url,
                          expires=link.expires_at.strftime("%Y-%m-%d %H:%M"))
    message = Message(idempotency_key=f"password-link:{hash_secret(link.token)[:24]}", kind="account",
                      incident_ref="", title=title, severity="", summary=summary, recipient=link.email,
                      details={"user": link.user_name, "purpose": link.purpose})
    try:
        return channel.send(message)
    except Exception as exc:  # a channel bug must come back as an answer, not a crash
        return Delivery.failed(f"channel error: {type(exc).__name__}")
