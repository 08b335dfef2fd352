"""`firebell me ...`: your own contact methods (list, add, remove, verify), notification rules, quiet hours
and calendar feed."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import typer

from firebell.cli import render
from firebell.cli.client import Client, fail
from firebell.cli.oncall_cmd import RotateOpt, print_feed

me_app = typer.Typer(help="Your own contact methods, notification rules, quiet hours and on-call calendar.",
                     no_args_is_help=True)


@me_app.command("methods")
def methods(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Your contact methods; unverified ones are never paged."""
    rows = Client.from_env().get("/api/v1/me/contact-methods")
    if as_json:
        render.print_json(rows)
        return
    render.table(["Type", "Address", "Label", "Verified"],
                 [[r["type"], r["address"], r["label"], "yes" if r["verified"] else "[red]no: not paged[/red]"]
                  for r in rows])


@me_app.command("verify")
def verify(method: Annotated[str, typer.Argument(help="The method's address, label or type (sms, email...)")],
           code: Annotated[str | None, typer.Option(help="The code you received; without it, a code is sent")] = None,
           ) -> None:
    """Verify a contact method: run once to get a code on it, then again with --code."""
    client = Client.from_env()
    path = f"/api/v1/me/contact-methods/{quote(method, safe='')}/verification"
    if code is None:
        sent = client.post(path)
        render.out.print(f"Code sent to {sent['sent_to']}; run `firebell me verify {method} --code CODE` "
                         "within 10 minutes.")
        return
    done = client.post(f"{path}/confirm", {"code": code})
    render.out.print(f"{done['type']} {done['address']} is verified: Firebell may page you there.")


@me_app.command("feed")
def feed(rotate: RotateOpt = False) -> None:
    """Your secret iCalendar URL (your shifts on every schedule), to subscribe to in a calendar app."""
    client = Client.from_env()
    who = client.get("/api/v1/me")["user"]
    print_feed(client, f"/api/v1/users/{quote(who, safe='')}/feed", rotate)


@me_app.command("add-method")
def add_method(kind: Annotated[str, typer.Argument(metavar="TYPE", help="sms, voice, email, slack or webhook")],
               address: Annotated[str, typer.Argument(help="+46701234567, you@example.com, U0123ABCD or a URL")],
               label: Annotated[str, typer.Option(help="A name for it, such as 'work phone'")] = "") -> None:
    """Add a contact method (when you keep your own settings); it is paged once verified."""
    made = Client.from_env().post("/api/v1/me/contact-methods", {"type": kind, "address": address, "label": label})
    render.out.print(f"Added {made['type']} {made['address']}; verify it: `firebell me verify {made['address']}`")


@me_app.command("remove-method")
def remove_method(method: Annotated[str, typer.Argument(help="The method's address, label or type")]) -> None:
    """Remove a contact method, and the notification rules that use it."""
    Client.from_env().request("DELETE", f"/api/v1/me/contact-methods/{quote(method, safe='')}")
    render.out.print(f"Removed {method}.")


RuleOpt = Annotated[list[str] | None, typer.Option(
    help="A rule: a method (address, label or type), or METHOD=MINUTES to wait that long; repeat in order. "
         "Giving any replaces that urgency's rules; --high none clears them.")]


def _rules_body(wanted: list[str] | None) -> list[dict[str, object]] | None:
    if wanted is None:
        return None
    rules: list[dict[str, object]] = []
    for text in wanted:
        if text == "none":
            continue
        method, _, minutes = text.rpartition("=") if text.rpartition("=")[2].isdigit() else (text, "", "0")
        rules.append({"method": method, "after_minutes": int(minutes)})
    return rules


@me_app.command("rules")
def rules(high: RuleOpt = None, low: RuleOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Your notification rules per urgency; with --high or --low, replace them (when you keep your own)."""
    client = Client.from_env()
    body = {k: v for k, v in (("high", _rules_body(high)), ("low", _rules_body(low))) if v is not None}
    found = client.request("PUT", "/api/v1/me/notification-rules", json_body=body) if body else client.get(
        "/api/v1/me/notification-rules")
    if as_json:
        render.print_json(found)
        return
    render.table(["Urgency", "After", "Type", "Address", "Verified"],
                 [[urgency, f"{r['after_minutes']} min", r["type"], r["address"], "yes" if r["verified"] else "no"]
                  for urgency in ("high", "low") for r in found[urgency]])
    if found["managed_by"] == "config":
        render.out.print("Set in the configuration tree: ask an admin to change them.")


@me_app.command("quiet-hours")
def quiet_hours(start: Annotated[str | None, typer.Option(help="HH:MM, such as 22:00")] = None,
                end: Annotated[str | None, typer.Option(help="HH:MM, such as 07:00")] = None,
                phone_low_urgency: Annotated[bool, typer.Option(
                    help="Let low-urgency pages ring your phone at night too")] = False) -> None:
    """Your quiet hours; with --start and --end, set them (when you keep your own)."""
    client = Client.from_env()
    if (start is None) != (end is None):
        fail("give both --start and --end")
    found = client.get("/api/v1/me/quiet-hours") if start is None else client.request(
        "PUT", "/api/v1/me/quiet-hours", json_body={"start": start, "end": end, "phone_low_urgency": phone_low_urgency})
    phone = "rings" if found["phone_low_urgency"] else "stays quiet"
    render.out.print(f"Quiet hours {found['start']} to {found['end']} ({found['timezone']}): your phone {phone} "
                     "for low urgency then.")
