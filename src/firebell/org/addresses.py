"""What a contact method's address must look like for its type: the one check behind the config
tree's contact methods and the ones people add themselves (on /me and through the API)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
URL = re.compile(r"^https?://[^\s/]+\S*$")


def check_email(value: str) -> str:
    # Only the syntax is checked: config must validate offline, without DNS lookups. The
    # address is kept as written so that plan and export compare exactly what the author wrote.
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return value


def check_address(kind: str, value: str) -> str:
    """`value` when it suits a method of type `kind`, else ValueError saying how to write one."""
    if kind == "email":
        return check_email(value)
    if kind in ("sms", "voice") and not PHONE.match(value):
        raise ValueError(f"{value!r} is not a phone number; write it in E.164 form, such as +46701234567")
    if kind == "webhook" and not URL.match(value):
        raise ValueError(f"{value!r} is not a webhook URL; it must start with https:// or http://")
    return value
