"""`firebell template ...`: what each message says, through the API (a responder's commands).
Templates change in the config tree's `templates:` section; these commands read and preview."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from firebell.cli import render
from firebell.cli.client import Client, fail

app = typer.Typer(help="Message templates: list, show, variables, preview.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of text.")]
Name = Annotated[str, typer.Argument(help="The purpose, e.g. escalation (see `firebell template list`)")]
Channel = Annotated[str | None, typer.Option(help="slack, email, sms, voice, chat, status_page, webhook")]
Service = Annotated[str | None, typer.Option(help="As for an incident of this service")]


def _say(text: str, **style: Any) -> None:
    render.out.print(text, markup=False, highlight=False, **style)


def _sources(part: dict[str, Any]) -> str:
    services = ", ".join(f"service {s}" for s in part["services"])
    return str(part["source"]) + (f" (and {services})" if services else "")


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every purpose, its channels, and where each part's text comes from."""
    found = Client.from_env().get("/api/v1/templates")
    if as_json:
        render.print_json(found)
        return
    table = Table(header_style="bold")
    for column in ("Template", "Channel", "Parts (source)"):
        table.add_column(column)
    for template in found:
        for position, channel in enumerate(template["channels"]):
            parts = "; ".join(f"{p['part']}: {_sources(p)}" for p in channel["parts"])
            table.add_row(template["name"] if position == 0 else "", channel["channel"], parts)
    render.out.print(table)


@app.command()
def show(name: Name, channel: Channel = None, service: Service = None, as_json: JsonOpt = False) -> None:
    """The effective template text of each part (on one channel, or all)."""
    found = Client.from_env().get(f"/api/v1/templates/{name}", service=service)
    channels = [c for c in found["channels"] if channel in (None, c["channel"])]
    if channel and not channels:
        fail(f"'{name}' is not rendered for channel '{channel}'; its channels: "
             f"{', '.join(c['channel'] for c in found['channels'])}")
    if as_json:
        render.print_json(found | {"channels": channels})
        return
    _say(f"{found['name']}: {found['title']} (built-in words: {found['wording']})", style="bold")
    for each in channels:
        for part in each["parts"]:
            _say(f"\n--- {each['channel']} {part['part']} ({_sources(part)})", style="dim")
            _say(part["text"].rstrip("\n") or "(none)")


@app.command("vars")
def vars_(name: Name, as_json: JsonOpt = False) -> None:
    """The variables a purpose's templates may use, with their meaning."""
    found = Client.from_env().get(f"/api/v1/templates/{name}/variables")
    if as_json:
        render.print_json(found)
        return
    table = Table(header_style="bold")
    table.add_column("Variable")
    table.add_column("Meaning")
    for variable in found:
        table.add_row("{{ " + variable["name"] + " }}", variable["meaning"])
    render.out.print(table)


@app.command()
def preview(
    name: Name,
    incident: Annotated[str | None, typer.Option(help="Render against this incident (default: a made-up P1)")] = None,
    channel: Channel = None,
    service: Service = None,
    file: Annotated[Path | None, typer.Option(help="Template text not yet saved, e.g. from your editor")] = None,
    part: Annotated[str, typer.Option(help="The part --file holds: subject, text, html, title or body")] = "text",
    as_json: JsonOpt = False,
) -> None:
    """Render a template against an incident or the sample, saying which source each part used."""
    body: dict[str, Any] = {"channel": channel, "incident": incident, "service": service}
    if file is not None:
        try:
            body["parts"] = {part: file.read_text(encoding="utf-8")}
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
    shown = Client.from_env().post(f"/api/v1/templates/{name}/preview", body)
    if as_json:
        render.print_json(shown)
        return
    against = "the sample incident" if shown["incident"] == "sample" else shown["incident"]
    _say(f"{shown['name']} on {shown['channel']}, rendered against {against}", style="bold")
    for part_name, text in shown["parts"].items():
        _say(f"\n--- {part_name} (from {shown['sources'][part_name]})", style="dim")
        _say(text or "(empty)")
    for problem in shown["fell_back"]:
        _say(f"\nfell back: {problem['part']}: {problem['message']}", style="yellow")
