"""`firebell me methods`, `firebell me verify`, `firebell me feed`: your own contact methods and calendar."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import typer

from firebell.cli import render
from firebell.cli.client import Client
from firebell.cli.oncall_cmd import RotateOpt, print_feed

me_app = typer.Typer(help="Your own contact methods, their verification, and your on-call calendar.",
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
