"""Admin commands for people's web sign-in: invitations, password resets, browser sessions. They
talk to the store directly, like `firebell token`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from firebell.cli.admin import DbUrl, open_database
from firebell.cli.client import fail
from firebell.cli.render import out, table
from firebell.errors import DecisionError

user_app = typer.Typer(help="People's sign-in to the web console: invitations and password resets.",
                       no_args_is_help=True)
session_app = typer.Typer(help="Signed-in browser sessions of the web console.", no_args_is_help=True)


def send_link(user: str, purpose: str, database_url: str | None) -> str:
    """Issues a one-time password link, mails it if this server has an email channel, and returns
    its URL (which the caller prints: a server without mail still gets the person in)."""
    from firebell.auth.password_links import issue_link
    from firebell.notify.account_mail import send_password_link
    from firebell.notify.settings import channels_from_env

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            link = issue_link(session, user_name=user, purpose=purpose, now=datetime.now(UTC), actor="admin-cli")
    except DecisionError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    channels = channels_from_env()
    delivery = send_password_link(channels, link)
    if delivery is None:
        out.print("no email channel configured (FIREBELL_SMTP_HOST): send the link yourself")
    elif delivery.ok:
        out.print(f"mailed to {link.email}")
    else:
        out.print(f"could not mail {link.email} ({delivery.detail}): send the link yourself")
    expires = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    out.print(f"one-time link for {link.user_name}, works until {expires}:", highlight=False)
    return link.url(channels.public_url)


@user_app.command("invite")
def invite(user: Annotated[str, typer.Argument(help="The user's name in the config")],
           database_url: DbUrl = None) -> None:
    """Send (and print) a one-time link, good for 7 days, to choose a password and sign in."""
    print(send_link(user, "invite", database_url))


@user_app.command("reset-password")
def reset_password(user: Annotated[str, typer.Argument(help="The user's name in the config")],
                   database_url: DbUrl = None) -> None:
    """Send (and print) a one-time link, good for 1 hour, to choose a new password. The old password
    keeps working until the link is used; using it ends every session of the person."""
    print(send_link(user, "reset", database_url))


@session_app.command("list")
def session_list(user: Annotated[str | None, typer.Option("--user", "-u", help="Only this person's")] = None,
                 database_url: DbUrl = None) -> None:
    """Live sessions, most recently used first."""
    from firebell.auth.web_sessions import list_sessions

    db = open_database(database_url)
    with db.unit_of_work(write=False) as session:
        found = list_sessions(session, now=datetime.now(UTC), user_name=user)
    db.dispose()
    if not found:
        out.print("no live sessions")
        return
    table(["id", "user", "via", "signed in", "last seen", "ends", "address", "browser"],
          [[s.id, s.user_name, s.via, _at(s.created_at), _at(s.last_seen_at), _at(s.expires_at), s.client_address,
            s.user_agent[:40]] for s in found])


@session_app.command("revoke")
def session_revoke(session_id: Annotated[str | None, typer.Argument(help="A session's id")] = None,
                   user: Annotated[str | None, typer.Option("--user", "-u",
                                                            help="Every session of this person")] = None,
                   database_url: DbUrl = None) -> None:
    """End one session, or every session of a person; they must sign in again."""
    from firebell.auth.web_sessions import revoke_sessions

    if (session_id is None) == (user is None):
        fail("give a session id or --user, not both")
    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            ended = revoke_sessions(session, now=datetime.now(UTC), actor="admin-cli", user_name=user,
                                    session_id=session_id)
    except DecisionError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    out.print(f"{ended} session{'s' if ended != 1 else ''} ended")


def _at(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")
