"""`firebell incident customer-email draft|show|preview|approve|discard INC-3`: the customer email, through
the API (/api/v1/incidents/{ref}/customer-email)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from firebell.cli import render
from firebell.cli.client import Client

app = typer.Typer(help="The customer email (P1): draft, preview per customer, approve (a second person), send.",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of text.")]
Ref = Annotated[str, typer.Argument(help="Incident reference, e.g. INC-7")]
Words = Annotated[str | None, typer.Option()]


def _path(ref: str, action: str = "") -> str:
    return f"/api/v1/incidents/{ref}/customer-email" + (f"/{action}" if action else "")


def _say(text: str, *, markup: bool = True) -> None:
    """One line as written: no wrapping at the terminal's width, no highlighting of addresses."""
    render.out.print(text, highlight=False, soft_wrap=True, markup=markup)


def _print(draft: dict[str, Any], as_json: bool) -> None:
    if as_json:
        render.print_json(draft)
        return
    approval = {"second_person": "a second person approves it", "single_person": "its writer may send it alone",
                None: "this severity does not email customers"}[draft["approval"]]
    _say(f"{draft['incident']} customer email: {draft['state']} (written by {draft['written_by']}; "
              f"{approval})")
    for name in ("summary", "impact", "root_cause", "remediation", "prevention"):
        _say(f"  {name.replace('_', ' ').upper()}: {draft[name] or '-'}")
    people = ", ".join(f"{r['name']} <{r['email']}>" for r in draft["recipients"]) or "nobody"
    verb = "Sent to" if draft["state"] == "sent" else "Would go to"
    _say(f"  {verb}: {people}")
    if draft["approved_by"]:
        override = " (private incident: override)" if draft["override_private"] else ""
        _say(f"  Approved by {draft['approved_by']}{override}")


@app.command()
def draft(ref: Ref, summary: Words = None, impact: Words = None,
          root_cause: Annotated[str | None, typer.Option("--root-cause")] = None,
          remediation: Words = None, prevention: Words = None, as_json: JsonOpt = False) -> None:
    """Write the draft (commander, communications lead or admin); options left out keep what it says."""
    body = {"summary": summary, "impact": impact, "root_cause": root_cause, "remediation": remediation,
            "prevention": prevention}
    _print(Client.from_env().post(_path(ref), {k: v for k, v in body.items() if v is not None}), as_json)


@app.command()
def show(ref: Ref, as_json: JsonOpt = False) -> None:
    """The open draft, or the last email sent or discarded."""
    _print(Client.from_env().get(_path(ref)), as_json)


@app.command()
def preview(ref: Ref, as_json: JsonOpt = False) -> None:
    """The email exactly as each customer would receive it."""
    shown = Client.from_env().get(_path(ref, "preview"))
    if as_json:
        render.print_json(shown)
        return
    if not shown["previews"]:
        _say(f"{shown['incident']}'s services have no customers (config: customers.recipients)")
    for item in shown["previews"]:
        render.out.rule(f"To: {item['name']} <{item['email']}>")
        _say(f"Subject: {item['subject']}\n\n{item['text']}", markup=False)
        for problem in item["fell_back"]:
            _say(f"[yellow]configured template failed, built-in used:[/] {problem}")


@app.command()
def approve(ref: Ref, override_private: Annotated[bool, typer.Option(
        "--override-private", help="Send it although the incident is private (recorded on the timeline)")] = False,
        as_json: JsonOpt = False) -> None:
    """Approve the draft, which sends it: one mail per customer."""
    _print(Client.from_env().post(_path(ref, "approve"), {"override_private": override_private}), as_json)


@app.command()
def discard(ref: Ref, reason: Annotated[str, typer.Option(help="Why, for the timeline")] = "",
            as_json: JsonOpt = False) -> None:
    """Discard the open draft."""
    _print(Client.from_env().post(_path(ref, "discard"), {"reason": reason}), as_json)
