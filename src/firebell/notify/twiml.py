"""TwiML documents for page calls: what Twilio says to the person called and which key does what.

A page call reads the incident and waits for one key (4 acknowledge, 6 resolve, 9 repeat; see
`firebell.core.phone_replies.voice_digit_action`). Without a key it reads the incident once more, then
says goodbye and hangs up. Twilio posts the key to `gather_url` as the `Digits` form field; the answer
to that request is another TwiML document, e.g. `gather_result_twiml("Incident 12 acknowledged.")`.

Incident titles come from alerts, so they are untrusted: ElementTree escapes them, and characters XML 1.0
cannot carry at all (most control characters) are dropped rather than producing a document Twilio rejects.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

GATHER_TIMEOUT_S = 10
# Long enough for any sensible title, short enough that a call does not read out a stack trace and the
# document stays within the 4000 characters Twilio accepts inline, even when every character needs escaping.
_LONGEST_SPOKEN_TITLE = 200
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NUMBERED_REF = re.compile(r"INC-(\d+)", re.IGNORECASE)
_KEYS = "Press 4 to acknowledge, 6 to resolve, or 9 to hear this again."


def page_call_twiml(incident_ref: str, title: str, severity: str, gather_url: str, spoken: str = "") -> str:
    """The document for an outgoing page call. `spoken`: the words from a template (messages/), said
    before the keys; else Firebell's own. Raises ValueError for an empty or unusable `gather_url`."""
    if not gather_url or _NOT_XML_CHAR.search(gather_url):
        raise ValueError("a page call needs a gather URL that can travel in XML")
    said = _speakable(spoken, 1000, "") or (
        f"This is Firebell. {_spoken_ref(incident_ref)}, severity {_speakable(severity, 40, 'unknown')}: "
        f"{_speakable(title, _LONGEST_SPOKEN_TITLE, 'untitled')}."
    )
    announcement = f"{said} {_KEYS}"
    response = ET.Element("Response")
    for text in (announcement, "Once more. " + announcement):
        gather = ET.SubElement(
            response,
            "Gather",
            {"numDigits": "1", "action": gather_url, "method": "POST", "timeout": str(GATHER_TIMEOUT_S)},
        )
        ET.SubElement(gather, "Say").text = text
    ET.SubElement(response, "Say").text = "No key was pressed. Goodbye."
    ET.SubElement(response, "Hangup")
    return _document(response)


def gather_result_twiml(text: str) -> str:
    """The answer to a Gather action: say `text`, then hang up."""
    response = ET.Element("Response")
    ET.SubElement(response, "Say").text = _speakable(text, 1000, "Goodbye.")
    ET.SubElement(response, "Hangup")
    return _document(response)


def _document(root: ET.Element) -> str:
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode")


def _speakable(text: str, limit: int, fallback: str) -> str:
    """`text` without characters XML cannot hold, on one line, at most `limit` characters."""
    cleaned = " ".join(_NOT_XML_CHAR.sub(" ", text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3].rstrip() + "..."
    return cleaned or fallback


def _spoken_ref(incident_ref: str) -> str:
    """'Incident 12' for INC-12: text-to-speech reads the letters of 'INC' oddly."""
    numbered = _NUMBERED_REF.fullmatch(incident_ref.strip())
    if numbered:
        return f"Incident {numbered.group(1)}"
    return f"Incident {_speakable(incident_ref, 40, 'without a reference')}"
