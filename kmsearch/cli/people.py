"""``kmsearch`` commands for people: review queues, user accounts, the outbox and digests."""

from __future__ import annotations

import sys

import click

from ..access import ROLES, staff
from ..library import User, normal_username
from .common import (
    PROBLEMS_EXIT,
    Context,
    Stages,
    cli,
    echo_json,
    pass_context,
    table,
)


@cli.group()
def review() -> None:
    """Review many notes at once: a selection, or everything an import brought in."""


@review.command("list")
@pass_context
def review_list(ctx: Context) -> None:
    """Sources (imports, folders) whose notes wait for review, with their counts."""
    rows = ctx.library.sources_waiting(staff("cli", "reviewer"))
    click.echo(table(rows, ("source", "waiting")) if rows else "Nothing waits for review.")


@review.command("publish")
@click.argument("case_ids", nargs=-1)
@click.option("--source", help="Every draft or submitted note of this source, e.g. "
              "import:register.")
@click.option("--comment", default="", help="Recorded in each note's history.")
@click.option("--as", "reviewer", default="pmu", show_default=True, help="Reviewer's name.")
@pass_context
def review_publish(ctx: Context, case_ids: tuple[str, ...], source: str | None, comment: str,
                   reviewer: str) -> None:
    """Publish CASE_IDS, or a whole --source, as a reviewer; search follows in one pass."""
    _bulk(ctx, "publish-import", case_ids, source, comment, reviewer)


@review.command("return")
@click.argument("case_ids", nargs=-1)
@click.option("--source", help="Every submitted note of this source.")
@click.option("--comment", required=True, help="What the authors should change.")
@click.option("--as", "reviewer", default="pmu", show_default=True, help="Reviewer's name.")
@pass_context
def review_return(ctx: Context, case_ids: tuple[str, ...], source: str | None, comment: str,
                  reviewer: str) -> None:
    """Return CASE_IDS, or a whole --source, to their authors with a comment."""
    _bulk(ctx, "return", case_ids, source, comment, reviewer)


def _bulk(ctx: Context, action: str, case_ids: tuple[str, ...], source: str | None,
          comment: str, reviewer: str) -> None:
    if not case_ids and not source:
        raise click.UsageError("name the notes (CASE_IDS) or a whole --source")
    library = ctx.library
    viewer = staff(reviewer, "reviewer")
    ids = [*case_ids, *(library.waiting_from(viewer, source) if source else [])]
    with Stages({action: (action.replace("-import", "").capitalize() + "ing", len(ids))}) as bars:
        report = library.review_many(viewer, action, ids, comment, progress=bars)
    for problem in report.refused:
        click.echo(f"error: {problem.source}: {problem.message}", err=True)
    click.echo(f"{len(report.done)} notes {'returned' if action == 'return' else 'published'}, "
               f"{len(report.refused)} refused")
    if report.refused:
        raise SystemExit(1)


@cli.group()
def users() -> None:
    """Accounts that sign in to the web UI: roles, divisions, passwords."""


ROLE_OPTION = click.option(
    "--role", "roles", multiple=True, type=click.Choice(ROLES),
    help="Repeat for several roles.",
)
DIVISION_OPTION = click.option(
    "--division", "divisions", multiple=True,
    help="Division code or name; repeat for several. Contributors need one.",
)
PASSWORD_STDIN_OPTION = click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)


@users.command("add")
@click.argument("username")
@ROLE_OPTION
@DIVISION_OPTION
@click.option("--email", default="", help="Where notifications are e-mailed (optional).")
@PASSWORD_STDIN_OPTION
@pass_context
def users_add(ctx: Context, username: str, roles: tuple[str, ...], divisions: tuple[str, ...],
              email: str, password_stdin: bool) -> None:
    """Create an account (roles default to viewer); asks for the password twice, hidden."""
    password = _new_password(password_stdin)
    user = ctx.library.accounts.add(username, password, roles=roles or ("viewer",),
                                    divisions=divisions, email=email)
    click.echo(f"added {_describe(user)}")


@users.command("set-email")
@click.argument("username")
@click.argument("email", default="")
@pass_context
def users_set_email(ctx: Context, username: str, email: str) -> None:
    """Set the address the user's notifications are e-mailed to (none given: remove it)."""
    user = ctx.library.accounts.set_email(username, email)
    click.echo(f"{user.username}: {user.email or 'no e-mail address (notifications in-app only)'}")


@users.command("set-role")
@click.argument("username")
@ROLE_OPTION
@pass_context
def users_set_role(ctx: Context, username: str, roles: tuple[str, ...]) -> None:
    """Replace the user's roles with those given."""
    if not roles:
        raise click.UsageError("give at least one --role")
    click.echo(f"updated {_describe(ctx.library.accounts.set_roles(username, roles))}")


@users.command("set-division")
@click.argument("username")
@DIVISION_OPTION
@pass_context
def users_set_division(ctx: Context, username: str, divisions: tuple[str, ...]) -> None:
    """Replace the user's divisions with those given (none: no division)."""
    user = ctx.library.accounts.set_divisions(username, divisions)
    click.echo(f"updated {_describe(user)}")


@users.command("set-password")
@click.argument("username")
@PASSWORD_STDIN_OPTION
@pass_context
def users_set_password(ctx: Context, username: str, password_stdin: bool) -> None:
    """Give the user a new password; their signed-in sessions end."""
    accounts = ctx.library.accounts
    accounts.require(username)
    user = accounts.set_password(username, _new_password(password_stdin))
    click.echo(f"new password for {user.username}")


@users.command("disable")
@click.argument("username")
@pass_context
def users_disable(ctx: Context, username: str) -> None:
    """Refuse the user from now on, signed-in sessions included; nothing is deleted."""
    click.echo(f"disabled {ctx.library.accounts.disable(username).username}")


@users.command("enable")
@click.argument("username")
@pass_context
def users_enable(ctx: Context, username: str) -> None:
    """Let a disabled user sign in again."""
    click.echo(f"enabled {ctx.library.accounts.enable(username).username}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def users_list(ctx: Context, as_json: bool) -> None:
    """Every account with its roles, divisions, status and last sign-in."""
    found = ctx.library.accounts.users()
    if as_json:
        echo_json([{"username": u.username, "roles": list(u.roles),
                     "divisions": list(u.divisions), "email": u.email, "disabled": u.disabled,
                     "created_at": u.created_at, "last_login": u.last_login} for u in found])
        return
    rows = [(u.username, ", ".join(u.roles), ", ".join(u.divisions) or "-",
             "disabled" if u.disabled else "active", u.last_login or "never", u.email or "-")
            for u in found]
    click.echo(table(rows, ("username", "roles", "divisions", "status", "last sign-in",
                             "e-mail")))


@users.command("sessions")
@click.argument("username")
@pass_context
def users_sessions(ctx: Context, username: str) -> None:
    """The user's open sign-in sessions: browser, address, when signed in and last used."""
    library = ctx.library
    user = library.accounts.require(username)
    found = library.sessions.active_for(user.username)
    if not found:
        click.echo(f"{user.username} has no open sessions")
        return
    rows = [(s.id[:12], s.user_agent, s.address or "-", s.created_at, s.last_seen)
            for s in found]
    click.echo(table(rows, ("session", "browser", "address", "signed in", "last used")))


@users.command("sign-out-everywhere")
@click.argument("username")
@pass_context
def users_sign_out_everywhere(ctx: Context, username: str) -> None:
    """End every open session of the user at once (they must sign in again)."""
    library = ctx.library
    user = library.accounts.require(username)
    ended = library.sessions.end_all(user.username, "ended by an administrator")
    click.echo(f"ended {ended} session{'' if ended == 1 else 's'} of {user.username}")


@users.command("unlock")
@click.argument("username")
@pass_context
def users_unlock(ctx: Context, username: str) -> None:
    """Lift the sign-in back-off on a username, from every address."""
    library = ctx.library
    name = normal_username(username)
    cleared = library.lockout.unlock(name)
    click.echo(f"unlocked {name}: failed sign-ins forgotten from {cleared} "
               f"address{'' if cleared == 1 else 'es'}")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@cli.group()
def outbox() -> None:
    """E-mail of notifications waiting to be sent, sent, or given up on."""


@outbox.command("send")
@click.option("--all", "every", is_flag=True,
              help="Also messages still waiting for their next attempt (after a failure).")
@pass_context
def outbox_send(ctx: Context, every: bool) -> None:
    """Send the messages that are due now; a failure is recorded and retried later."""
    if not ctx.settings.email_on:
        raise click.ClickException("e-mail is off: set KMSEARCH_SMTP_HOST (see the README, "
                                   "\"Notifications\")")
    report = ctx.library.notifications.send_outbox(every=every)
    click.echo(f"{report.sent} sent, {report.failed} failed"
               + (f" (last error: {report.last_error})" if report.failed else ""))
    if report.failed:
        raise SystemExit(PROBLEMS_EXIT)


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]),
              help="Only messages in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@pass_context
def outbox_list(ctx: Context, status: str | None, limit: int) -> None:
    """The newest messages: recipient, subject, state, attempts and the last error."""
    mails = ctx.library.notifications.outbox(status, limit)
    if not mails:
        click.echo("The outbox is empty." if status is None else f"No {status} messages.")
        return
    rows = [(m.id, m.recipient, m.subject[:60], m.status, m.attempts,
             m.sent_at or m.next_attempt_at, (m.last_error or "-")[:60]) for m in mails]
    click.echo(table(rows, ("id", "to", "subject", "status", "attempts", "sent / next try",
                             "last error")))


@cli.group()
def digest() -> None:
    """Digests of what users follow: new and changed published notes."""


@digest.command("send")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]),
              help="Only follows with this frequency (default: both).")
@pass_context
def digest_send(ctx: Context, frequency: str | None) -> None:
    """Send the digests that are due, in-app and through the outbox; `kmsearch serve` does
    this by itself."""
    count = ctx.library.notifications.send_digests(frequency)
    click.echo(f"{count} digest{'' if count == 1 else 's'} sent")


def _describe(user: User) -> str:
    divisions = f" in {', '.join(user.divisions)}" if user.divisions else ""
    return f"{user.username} ({', '.join(user.roles)}){divisions}"
