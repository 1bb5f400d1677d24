"""``kmsearch`` commands for the follow-up of recommendations, the partnerships report,
due diligence and the partner register."""

from __future__ import annotations

from pathlib import Path

import click

from ..access import staff
from ..limits import whole_number
from ..records import ACTION_STATUSES, IMPLEMENTATION_STATUSES, recommendation_id
from .common import (
    VIEWERS,
    Commands,
    Context,
    cli,
    echo_json,
    pass_context,
    shorten,
    table,
)

# Follow-up of recommendations (key actions and progress) and the partnerships report.
# Older scripts say "implemented" for the recommendation; it completes the action.
STATUS_CHOICES = tuple(dict.fromkeys((*ACTION_STATUSES, *IMPLEMENTATION_STATUSES)))
REPORT_FORMATS = ("docx", "html", "md", "xlsx")


@cli.command("follow-up")
@click.argument("recommendation")
@click.option("--status", type=click.Choice(STATUS_CHOICES),
              help="The action's new status; give it with --note to record an update.")
@click.option("--note", "text", help="What was done, for the dated progress update.")
@click.option("--action", "action_id", type=int,
              help="Key action to update (default: the first one still open).")
@click.option("--evidence", help="An http(s) link that shows the progress.")
@click.option("--evidence-case", help="Id of a case note that shows the progress.")
@click.option("--add-action", "new_action", help="Add a key action with this text.")
@click.option("--unit", default="", help="Responsible unit of the added key action.")
@click.option("--due", default="", help="Due date of the added key action, YYYY-MM-DD.")
@click.option("--author", default="pmu", show_default=True, help="Who reports the progress.")
@click.option("--date", "when", help="Date of the progress, YYYY-MM-DD (default: today).")
@pass_context
def follow_up(ctx: Context, recommendation: str, status: str | None, text: str | None,
              action_id: int | None, evidence: str | None, evidence_case: str | None,
              new_action: str | None, unit: str, due: str, author: str,
              when: str | None) -> None:
    """Show or update the follow-up of a RECOMMENDATION (a number of the default evaluation,
    or evaluation-id/N): its key actions, their dated progress updates and what is overdue."""
    monitoring = ctx.library.monitoring
    rec_id = recommendation
    if (number := whole_number(recommendation)) is not None:
        rec_id = recommendation_id(ctx.settings.default_evaluation, number)
    writer = staff(author, "admin")
    if new_action:
        monitoring.add_action(writer, rec_id, {"text": new_action, "responsible_unit": unit,
                                               "due_date": due})
    if status or text:
        if not (status and text):
            raise click.UsageError("give both --status and --note to record progress")
        action = action_id or monitoring.followup.primary_action(rec_id).id
        monitoring.add_update(writer, rec_id, action, {
            "text": text, "status": "completed" if status == "implemented" else status,
            "date": when or "", "evidence_url": evidence or "",
            "evidence_case_id": evidence_case or ""})
    follow = monitoring.recommendation_followup(rec_id, staff(author, "admin"))
    rec = follow.recommendation
    late = f"; {len(follow.overdue)} overdue as of {follow.today}" if follow.overdue else ""
    click.echo(f"{rec.id}: {rec.status} (timeline {rec.timeline or '-'}; "
               f"{rec.responsibility}{late})")
    click.echo(shorten(rec.text, 100))
    rows = [(a.id, a.status, "OVERDUE" if a.id in follow.overdue else "", a.due_date or "-",
             shorten(a.responsible_unit, 30), shorten(a.text, 60)) for a in follow.actions]
    if rows:
        click.echo(table(rows, ("action", "status", "overdue", "due", "responsible", "text")))
    updates = [(u.date, a.id, u.status, u.author, shorten(u.text, 60), u.evidence_url)
               for a in follow.actions for u in a.updates]
    if updates:
        click.echo(table(sorted(updates, key=lambda row: (row[0], row[1])),
                          ("date", "action", "status", "by", "progress", "evidence")))


@cli.command()
@click.option("--year", type=int, help="The year reported on (partnerships running in it).")
@click.option("--year-from", type=int, help="First year of a longer period.")
@click.option("--year-to", type=int, help="Last year of a longer period.")
@click.option("--division", multiple=True, help="Code or name; repeat for several.")
@click.option("--evaluation", default="", help="Follow-up annex of this evaluation only.")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="docx",
              show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True,
              help="File to write.")
@click.option("--as", "viewer", type=click.Choice(["staff", "reviewer"]), default="staff",
              show_default=True, help="Whose view of the library the report counts "
              "(reviewer: restricted notes too).")
@pass_context
def report(ctx: Context, year: int | None, year_from: int | None, year_to: int | None,
           division: tuple[str, ...], evaluation: str, fmt: str, output: Path,
           viewer: str) -> None:
    """Write the partnerships report by subprogramme (DOCX, HTML, Markdown or XLSX): each
    division's partnerships, good practices, SDG 5 and cross-sectoral work, and an annex with
    the follow-up of the evaluation's recommendations."""
    if year is not None and (year_from is not None or year_to is not None):
        raise click.UsageError("give --year, or --year-from/--year-to, not both")
    low, high = (year, year) if year is not None else (year_from, year_to)
    args = {"division": list(division), "evaluation": [evaluation],
            "year_from": [str(low)] if low is not None else [],
            "year_to": [str(high)] if high is not None else []}
    monitoring = ctx.library.monitoring
    filters = monitoring.read_filters(args)
    body = monitoring.report(VIEWERS[viewer], filters, fmt)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    click.echo(f"wrote the {fmt} report for {filters.period()} to {output} "
               f"({len(body):,} bytes)", err=True)


@cli.command("due-diligence")
@pass_context
def due_diligence(ctx: Context) -> None:
    """Check the due-diligence rules (corpus/due-diligence.yaml and its sanctions list) and
    summarise them; exit 1 with one line per problem."""
    rules = ctx.library.due_diligence
    click.echo(f"{rules.source}: rules {rules.version}, amounts in {rules.currency}")
    rows = [(f"exclusion:{s.code}", "high", s.label) for s in rules.sectors]
    rows.append(("exclusion:sanctions", "high", f"{len(rules.sanctions)} listed entities"))
    rows += [(f"factor:{f.code}", f.tier, f.label) for f in rules.factors]
    rows += [(f"checklist:{q.code}", q.tier, f"if {q.flag_when}: {shorten(q.question, 60)}")
             for q in rules.questions]
    click.echo(table(rows, ("rule", "tier", "what")))
    click.echo(f"simplified path: {len(rules.simplified_questions)} questions, contributions "
               f"up to {rules.simplified_max_amount:,.0f} {rules.currency}")


@cli.group(cls=Commands)
def partners() -> None:
    """Partner profiles, and reviewers' merges and splits of partners (each can be undone)."""


@partners.command("list")
@click.option("--as", "viewer", type=click.Choice(["anonymous", "staff", "reviewer"]),
              default="reviewer", show_default=True, help="Whose view.")
@pass_context
def partners_list(ctx: Context, viewer: str) -> None:
    """Every partner, with its engagements."""
    rows = [(p.slug, p.name, len(p.cases), len(p.proposals), ", ".join(p.divisions))
            for p in ctx.library.partners.directory(VIEWERS[viewer])]
    click.echo(table(rows, ("slug", "name", "cases", "proposals", "divisions")))


@partners.command("merge")
@click.argument("source")
@click.argument("target")
@click.option("--by", "author", required=True, help="The reviewer making the change.")
@click.option("--comment", default="", help="Why.")
@pass_context
def partners_merge(ctx: Context, source: str, target: str, author: str, comment: str) -> None:
    """Put every name of partner SOURCE (a slug) under partner TARGET."""
    change = ctx.library.partners.merge(staff(author, "reviewer"), source, target, comment)
    click.echo(f"change {change.id}: {len(change.rows)} name(s) now under {target}")


@partners.command("split")
@click.argument("name")
@click.option("--by", "author", required=True, help="The reviewer making the change.")
@click.option("--comment", default="", help="Why.")
@pass_context
def partners_split(ctx: Context, name: str, author: str, comment: str) -> None:
    """Make the exact spelling NAME a partner of its own."""
    change = ctx.library.partners.split(staff(author, "reviewer"), name, comment)
    click.echo(f"change {change.id}: {name!r} is now partner {change.rows[0][3]}")


@partners.command("undo")
@click.argument("change_id", type=int)
@click.option("--by", "author", required=True, help="The reviewer making the change.")
@pass_context
def partners_undo(ctx: Context, change_id: int, author: str) -> None:
    """Undo merge or split CHANGE_ID."""
    change = ctx.library.partners.undo(staff(author, "reviewer"), change_id)
    click.echo(f"change {change.id} undid change {change_id}")


@cli.command("proposal-stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def proposal_stats(ctx: Context, as_json: bool) -> None:
    """Proposals by state and median days from receipt to decision, per division."""
    figures = ctx.library.proposals.stats(staff("cli", "reviewer"))
    if as_json:
        echo_json(figures)
        return
    rows = [(d["division"], d["proposals"], d["decided"],
             "-" if d["median_days_to_decision"] is None else d["median_days_to_decision"])
            for d in figures["divisions"]]
    click.echo(table(rows, ("division", "proposals", "decided", "median days to decision")))
