"""The ``kmsearch`` command: argument parsing only; the work is done by library functions."""

from __future__ import annotations

import html
import json
import re
import sys
import tempfile
import textwrap
import traceback
from datetime import date
from functools import cached_property
from pathlib import Path

import click

from . import __version__
from .access import ANONYMOUS, ROLES, staff
from .config import Settings
from .errors import KmsearchError, ValidationError
from .files.corpus import case_files, read_corpus, to_csv, to_json, write_markdown
from .files.filetypes import TYPE_LABELS, human_size
from .files.importer import describe as describe_problem
from .files.importer import sheet_source
from .files.ingest import known_recommendations
from .files.mapping import identity_mapping, load_mapping
from .files.propose import propose_mapping as propose
from .files.sheets import read_rows
from .library import Library, User, normal_username
from .limits import whole_number
from .records import ACTION_STATUSES, IMPLEMENTATION_STATUSES, recommendation_id
from .search.evaluation import METRICS, evaluate, load_beir
from .search.request import MODES, SORTS, parse_search_request
from .search.serialize import plain_url, search_json

PATH = click.Path(path_type=Path)


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def library(self) -> Library:
        return Library(self.settings)


pass_context = click.make_pass_decorator(Context)


PROBLEMS_EXIT = 1  # the input has problems: each is reported
INTERNAL_EXIT = 3  # kmsearch itself failed unexpectedly: a fault to report, not the input's


class Commands(click.Group):
    """The command group: a domain error becomes its message and exit status 1, never a trace;
    an unexpected failure prints its trace and exits with status 3."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KmsearchError as exc:
            _report_error(exc)
            ctx.exit(PROBLEMS_EXIT)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - tell a crash from a report by the status
            traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {str(exc)[:200]}; please report "
                       f"it (exit status {INTERNAL_EXIT})", err=True)
            ctx.exit(INTERNAL_EXIT)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmsearch")
@click.option("--instance", type=PATH, envvar="KMSEARCH_INSTANCE_DIR",
              help="Instance folder: database, secret key, kmsearch.cfg (default ./instance).")
@click.option("--db", type=PATH, envvar="KMSEARCH_DB", help="SQLite database (system of record).")
@click.option("--index-dir", type=PATH, envvar="KMSEARCH_INDEX_DIR", help="Derived indexes folder.")
@click.option("--corpus", type=PATH, envvar="KMSEARCH_CORPUS_DIR", help="Corpus folder.")
@click.pass_context
def cli(ctx: click.Context, instance: Path | None, db: Path | None, index_dir: Path | None,
        corpus: Path | None) -> None:
    """kmsearch: search and good-practice library for UNECE's private-sector partnerships."""
    ctx.obj = Context(Settings.from_env(instance_dir=instance, db_path=db, index_dir=index_dir,
                                        corpus_dir=corpus))


@cli.command()
@pass_context
def init(ctx: Context) -> None:
    """Create the database and the index folder if they do not exist."""
    ctx.library.initialise()
    click.echo(f"Instance folder: {ctx.settings.instance_dir}")
    click.echo(f"Database ready: {ctx.settings.db_path}")
    click.echo(f"Index folder ready: {ctx.settings.index_dir}")


@cli.command()
@click.argument("path", type=PATH, required=False)
@click.option("--author", default="corpus", show_default=True, help="Recorded in revisions.")
@click.option("--no-index", is_flag=True, help="Update the database only; index later.")
@click.option("--source", "source", help="Name of this folder's source (default: \"corpus\" for "
              "the corpus folder, else the folder's path).")
@pass_context
def ingest(ctx: Context, path: Path | None, author: str, no_index: bool,
           source: str | None) -> None:
    """Load case notes and evaluations from PATH (default: the corpus folder) into the database.

    Bad files are reported, one line per problem, while the good ones load; the command then
    exits with status 1. Unchanged files change nothing. Notes whose file has gone are reported,
    never deleted.
    """
    library = ctx.library
    path = path or ctx.settings.corpus_dir
    total = len(case_files(path)) if path.exists() else 0
    with Stages({"ingest": ("Ingesting", total), "index": ("Indexing", 0)}) as progress:
        report = library.ingest(path, author=author, index=not no_index,
                                source=source, progress=progress)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    for problem in report.errors:
        click.echo(f"internal error: {problem}", err=True)
    for case_id in report.missing_from_corpus:
        click.echo(f"warning: {case_id}: in the database but its file is no longer in {path} "
                   "(kept; archive it to silence this)", err=True)
    rows = [
        ("files read", report.files),
        ("created", len(report.created)),
        ("updated", len(report.updated)),
        ("unchanged", len(report.unchanged)),
        ("rejected (problems)", len(report.problems)),
        ("missing from corpus", len(report.missing_from_corpus)),
    ]
    if report.errors:
        rows.insert(-1, ("failed (internal errors)", len(report.errors)))
    rows += [(f"evaluation {k}", v) for k, v in report.evaluations.items()]
    click.echo(_table(rows, ("ingest", "count")))
    if not no_index:
        _sync_indexes(library)  # already open: reports what opening them did
    if report.errors:
        raise SystemExit(INTERNAL_EXIT)
    if not report.ok:
        raise SystemExit(PROBLEMS_EXIT)


@cli.command("import")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Mapping file (YAML): columns and words to corpus fields.")
@click.option("--propose-mapping", is_flag=True,
              help="Print a mapping proposed from the sheet's columns and values, to edit.")
@click.option("--dry-run", is_flag=True, help="Report row by row; change nothing.")
@click.option("--as-drafts/--publish", "as_drafts", default=True, show_default=True,
              help="New notes start as drafts for review, or are published at once.")
@click.option("--source", "source_name", help="Name of this source (default: the file name).")
@click.option("--author", default="import", show_default=True, help="Recorded in revisions.")
@click.option("--no-index", is_flag=True, help="Update the database only; index later.")
@pass_context
def import_sheet(ctx: Context, sheet: Path, mapping_file: Path | None, propose_mapping: bool,
                 dry_run: bool, as_drafts: bool, source_name: str | None, author: str,
                 no_index: bool) -> None:
    """Import a register kept as a sheet (.csv, .xlsx or a JSON list of objects).

    Each row becomes a case note of one source; importing the sheet again updates the notes it
    made, creates new ones, reports rows that left the sheet, and changes nothing when nothing
    changed. A sheet not in kmsearch's own layout needs a mapping: start with --propose-mapping.
    """
    library = ctx.library
    header, rows = read_rows(sheet)
    if propose_mapping:
        click.echo(propose(header, rows, library.taxonomy), nl=False)
        return
    mapping = load_mapping(mapping_file, header, library.taxonomy) if mapping_file \
        else identity_mapping(header)
    if mapping is None:
        raise click.UsageError(
            f"{sheet.name}: its columns ({', '.join(h for h in header[:8] if h)}, ...) are not "
            "kmsearch's (id, title, division, ...): write a mapping with "
            f"`kmsearch import {sheet} --propose-mapping > mapping.yaml`, edit it, then run "
            f"`kmsearch import {sheet} --mapping mapping.yaml --dry-run`")
    with Stages({"import": ("Checking" if dry_run else "Importing", 0)}) as progress:
        report = library.import_sheet(
            sheet, mapping, rows, source=sheet_source(sheet, source_name), author=author,
            state="draft" if as_drafts else "published", dry_run=dry_run, index=not no_index,
            progress=progress,
        )
    for problem in report.problems:
        click.echo(f"error: {describe_problem(problem)}", err=True)
    for case_id in report.removed:
        click.echo(f"warning: {case_id}: its row is no longer in {sheet.name} (kept; archive it "
                   "if the partnership should go)", err=True)
    would = "would be " if dry_run else ""
    rows_table = [
        ("rows read", report.rows),
        (f"{would}created", len(report.created)),
        (f"{would}updated", len(report.updated)),
        ("unchanged", len(report.unchanged)),
        ("rejected (problems)", len(report.problems)),
        ("no longer in the sheet", len(report.removed)),
    ]
    click.echo(_table(rows_table, (f"import {report.source}", "count")))
    if not report.ok:
        raise SystemExit(1)


@cli.command()
@click.argument("path", type=PATH)
@pass_context
def validate(ctx: Context, path: Path) -> None:
    """Check corpus files at PATH without writing anything; exit 1 if any file is rejected,
    3 if kmsearch failed unexpectedly on a file (every other file is still checked)."""
    library = ctx.library
    evaluations_dir = path / "evaluations" if (path / "evaluations").is_dir() else None
    known = known_recommendations(evaluations_dir or ctx.settings.corpus_dir / "evaluations")
    report = read_corpus(
        path,
        taxonomy=library.taxonomy,
        default_evaluation=ctx.settings.default_evaluation,
        known_recommendations=known,
    )
    for problem in report.problems:
        click.echo(str(problem))
    for problem in report.errors:
        click.echo(f"internal error: {problem}")
    bad = len({p.source for p in report.problems})
    failed = f", {len(report.errors)} failed with an internal error" if report.errors else ""
    click.echo(f"{report.files} files: {len(report.notes)} valid, {bad} with problems "
               f"({len(report.problems)} problems){failed}")
    if report.errors:
        raise SystemExit(INTERNAL_EXIT)
    if report.problems:
        raise SystemExit(PROBLEMS_EXIT)


@cli.command("import-response")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--evaluation", "evaluation_id", required=True, help="Id of the evaluation.")
@click.option("--title", help="Title (default: from the document header).")
@click.option("--period", help="Period of review, e.g. 2017-2021 (default: from the header).")
@click.option("--date", "report_date", help="Date of the evaluation report, YYYY-MM-DD.")
@click.option("--default/--no-default", "is_default", default=False,
              help="Make it the evaluation that plain recommendation numbers refer to.")
@pass_context
def import_response(ctx: Context, file: Path, evaluation_id: str, title: str | None,
                    period: str | None, report_date: str | None, is_default: bool) -> None:
    """Import a UN management-response document (.txt, .docx or .pdf) as an evaluation with
    its recommendations; a Word or PDF original is kept as a file of the evaluation."""
    when = _parse_date(report_date) if report_date else None
    evaluation, action, warnings = ctx.library.import_response(
        file.name, file.read_bytes(), evaluation_id=evaluation_id, title=title, period=period,
        date=when, default=is_default,
    )
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{evaluation.id}: {action}, {len(evaluation.recommendations)} recommendations "
               f"({evaluation.title}, {evaluation.period}, {evaluation.date})")
    rows = [(r.number, r.response, r.timeline or "-", _shorten(r.text, 60))
            for r in evaluation.recommendations]
    click.echo(_table(rows, ("no.", "response", "timeline", "recommendation")))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "csv"]),
              default="markdown", show_default=True)
@click.option("--output", "-o", type=PATH,
              help="Folder (markdown) or file (json, csv); json and csv default to stdout.")
@click.option("--state", "states", multiple=True, default=("published",), show_default=True,
              type=click.Choice(["draft", "submitted", "published", "archived"]))
@pass_context
def export(ctx: Context, fmt: str, output: Path | None, states: tuple[str, ...]) -> None:
    """Write case notes out in the corpus format, as JSON, or as CSV."""
    notes = ctx.library.notes(states)
    if fmt == "markdown":
        folder = output or Path("export") / "cases"
        paths = write_markdown(notes, folder, default_evaluation=ctx.settings.default_evaluation)
        files = ctx.library.export_attachments(notes, folder)
        click.echo(f"wrote {len(paths)} notes to {folder}"
                   + (f", with {files} attached files" if files else ""))
        return
    text = to_json(notes) if fmt == "json" else to_csv(notes)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(notes)} notes to {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def stats(ctx: Context, as_json: bool) -> None:
    """Counts of what the database holds."""
    counts = ctx.library.counts()
    if as_json:
        _echo_json(counts)
    else:
        click.echo(_table(sorted(counts.items()), ("what", "count")))


@cli.command()
@pass_context
def reindex(ctx: Context) -> None:
    """Rebuild the keyword and vector indexes from the database (embeddings stay cached)."""
    with Stages({"index": ("Indexing", 0)}) as progress:
        report = ctx.library.reindex(progress)
    click.echo(f"reindexed {report.documents} documents")


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
    click.echo(_shorten(rec.text, 100))
    rows = [(a.id, a.status, "OVERDUE" if a.id in follow.overdue else "", a.due_date or "-",
             _shorten(a.responsible_unit, 30), _shorten(a.text, 60)) for a in follow.actions]
    if rows:
        click.echo(_table(rows, ("action", "status", "overdue", "due", "responsible", "text")))
    updates = [(u.date, a.id, u.status, u.author, _shorten(u.text, 60), u.evidence_url)
               for a in follow.actions for u in a.updates]
    if updates:
        click.echo(_table(sorted(updates, key=lambda row: (row[0], row[1])),
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
    rows += [(f"checklist:{q.code}", q.tier, f"if {q.flag_when}: {_shorten(q.question, 60)}")
             for q in rules.questions]
    click.echo(_table(rows, ("rule", "tier", "what")))
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
    click.echo(_table(rows, ("slug", "name", "cases", "proposals", "divisions")))


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
        _echo_json(figures)
        return
    rows = [(d["division"], d["proposals"], d["decided"],
             "-" if d["median_days_to_decision"] is None else d["median_days_to_decision"])
            for d in figures["divisions"]]
    click.echo(_table(rows, ("division", "proposals", "decided", "median days to decision")))


VIEWERS = {
    "anonymous": ANONYMOUS,
    "staff": staff("cli"),
    "reviewer": staff("cli", "reviewer"),
}
FILTER_OPTIONS = ("division", "nexus", "sdg", "partnership_type", "partner_type", "status",
                  "kind", "type")


@cli.command()
@click.argument("query", default="")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--division", multiple=True, help="Code or name; repeat for several.")
@click.option("--nexus", multiple=True, help="Nexus area code or name.")
@click.option("--sdg", multiple=True, help="SDG number.")
@click.option("--partnership-type", multiple=True)
@click.option("--partner-type", multiple=True)
@click.option("--status", multiple=True)
@click.option("--kind", multiple=True, help="Lesson kind: good-practice, lesson, pitfall.")
@click.option("--type", "doc_type", multiple=True, help="case or lesson.")
@click.option("--year-from", type=int)
@click.option("--year-to", type=int)
@click.option("--good-practice", is_flag=True, help="Good practices only.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=10, show_default=True)
@click.option("--like", is_flag=True,
              help="QUERY is a text to find similar notes for: its syntax is ignored.")
@click.option("--flat", is_flag=True, help="List lessons as hits of their own, not under cases.")
@click.option("--expand", metavar="CASE_ID", help="List all matching lessons of this case note.")
@click.option("--as", "viewer", type=click.Choice(list(VIEWERS)), default="staff",
              show_default=True, help="Whose view: restricted notes need reviewer.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON API's answer.")
@pass_context
def search(ctx: Context, query: str, doc_type: tuple[str, ...], year_from: int | None,
           year_to: int | None, good_practice: bool, page: int, per_page: int, like: bool,
           flat: bool, expand: str | None, viewer: str, as_json: bool,
           **options: object) -> None:
    """Search case notes and lessons; an empty QUERY lists everything, newest first."""
    library = ctx.library
    params: dict[str, object] = {name: list(values) for name, values in options.items()
                                 if isinstance(values, tuple)}
    params |= {"type": list(doc_type), "mode": options["mode"], "sort": options["sort"],
               "page": page, "per_page": per_page, "group": "0" if flat else "1",
               "like" if like else "q": query}
    for name, value in (("year_from", year_from), ("year_to", year_to), ("expand", expand)):
        if value is not None:
            params[name] = [str(value)]
    if good_practice:
        params["good_practice"] = ["1"]
    request = parse_search_request(params, library.taxonomy, library.search.limits, "options")
    results = library.search.search(request, VIEWERS[viewer])
    if as_json:
        _echo_json(search_json(results))
        return
    click.echo(f"{results.total} results ({results.mode}), page {results.page} of "
               f"{results.pages}")
    for note in results.notes:
        click.echo(f"Note: {note}")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    start = (results.page - 1) * results.per_page
    for rank, hit in enumerate(results.hits, start=start + 1):
        _echo_hit(f"{rank:>3}. ", hit)
        for lesson in hit.lessons:
            _echo_hit("       - ", lesson, indent=9)
        if hit.lesson_count > len(hit.lessons):
            click.echo(f"         ({hit.lesson_count} matching lessons; --expand {hit.doc.case_id}"
                       " lists them all)")


def _echo_hit(prefix: str, hit, indent: int = 5) -> None:
    doc = hit.doc
    years = "-".join(dict.fromkeys(str(y) for y in doc.years[:1] + doc.years[-1:])) or "-"
    label = "lesson" if doc.type == "lesson" else "case"
    pad = " " * indent
    click.echo(f"\n{prefix}[{label}] {doc.title}  ({doc.division}, {years}, "
               f"{doc.status}; score {hit.score:.4f})")
    click.echo(f"{pad}{plain_url(doc.type, doc.id)}")
    if hit.page is not None:
        click.echo(f"{pad}in {hit.page.name}, page {hit.page.page}")
    click.echo(textwrap.fill(_plain(hit.snippet), width=96, initial_indent=pad,
                             subsequent_indent=pad))


@cli.command("eval")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["all", *MODES]), default="all", show_default=True)
@click.option("--workdir", type=PATH, help="Keep the indexes (and embedding cache) here.")
def evaluate_command(path: Path, mode: str, workdir: Path | None) -> None:
    """Index a BEIR collection (corpus.jsonl, queries.jsonl, qrels/test.tsv) in a temporary
    place and print nDCG@10, Recall@100 and MRR@10 for each mode."""
    collection = load_beir(path)
    modes = list(MODES) if mode == "all" else [mode]
    click.echo(f"{path}: {len(collection.docs)} documents, {len(collection.queries)} queries",
               err=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-eval-") as scratch, Stages({}) as bars:
        scores = evaluate(collection, modes, workdir=workdir or Path(scratch), progress=bars)
    rows = [(m, *(f"{scores[m][metric]:.4f}" for metric in METRICS)) for m in modes]
    click.echo(_table(rows, ("mode", *METRICS)))


def _plain(snippet: str) -> str:
    """A snippet for the terminal: <mark> becomes [brackets], entities are unescaped."""
    text = snippet.replace("<mark>", "[").replace("</mark>", "]")
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@pass_context
def serve(ctx: Context, host: str, port: int, threads: int) -> None:
    """Serve the web UI and JSON API with waitress, after bringing the indexes up to date."""
    from .library.notifications import Courier
    from .web import create_app
    from .web import serve as run_server

    library = ctx.library
    app = create_app({"SETTINGS": ctx.settings}, library=library)
    _sync_indexes(library)
    library.search.warm()
    library.monitoring.warm()
    courier = Courier(library.notifications).start()  # the outbox and the digests
    click.echo(f"kmsearch on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_server(app, host=host, port=port, threads=threads)
    finally:
        courier.stop()


@cli.group()
def review() -> None:
    """Review many notes at once: a selection, or everything an import brought in."""


@review.command("list")
@pass_context
def review_list(ctx: Context) -> None:
    """Sources (imports, folders) whose notes wait for review, with their counts."""
    rows = ctx.library.sources_waiting(staff("cli", "reviewer"))
    click.echo(_table(rows, ("source", "waiting")) if rows else "Nothing waits for review.")


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
        _echo_json([{"username": u.username, "roles": list(u.roles),
                     "divisions": list(u.divisions), "email": u.email, "disabled": u.disabled,
                     "created_at": u.created_at, "last_login": u.last_login} for u in found])
        return
    rows = [(u.username, ", ".join(u.roles), ", ".join(u.divisions) or "-",
             "disabled" if u.disabled else "active", u.last_login or "never", u.email or "-")
            for u in found]
    click.echo(_table(rows, ("username", "roles", "divisions", "status", "last sign-in",
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
    click.echo(_table(rows, ("session", "browser", "address", "signed in", "last used")))


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
    click.echo(_table(rows, ("id", "to", "subject", "status", "attempts", "sent / next try",
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


def main() -> None:
    """Console entry point."""
    cli()


def _report_error(exc: KmsearchError) -> None:
    if isinstance(exc, ValidationError):
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)


def _sync_indexes(library: Library) -> None:
    with Stages({"index": ("Indexing", 0)}) as progress:
        report = library.open_indexes(progress)
    for reason in report.rebuilt:
        click.echo(f"rebuilt the {reason} index", err=True)
    click.echo(f"indexes: {report.documents} documents, {len(report.updated)} notes updated, "
               f"{len(report.deleted)} removed")


class Stages:
    """Progress on standard error, one bar per stage: ``stages`` maps each stage the library
    reports to its label and length (0 when unknown); a new stage closes the previous bar."""

    def __init__(self, stages: dict[str, tuple[str, int]]):
        self.stages = stages
        self.stage: str | None = None
        self.bar = None

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        """One more step of ``stage``, or, given ``done`` and ``total``, that far of it."""
        if stage != self.stage:
            self.close()
            label, length = self.stages.get(stage, (stage.capitalize(), 0))
            self.bar = click.progressbar(length=total or length or 0, label=f"{label:<14}",
                                         file=sys.stderr, show_pos=True, show_eta=True)
            self.bar.__enter__()
            self.stage = stage
        if total:
            self.bar.length = total
        self.bar.update(1 if done is None else max(0, done - self.bar.pos))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar, self.stage = None, None

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _table(rows, headers) -> str:
    """A plain-text table with left-aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, found {value!r}") from exc


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


@cli.command()
@click.argument("note")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "username", default="cli", show_default=True,
              help="Recorded in the revision; attaches with a reviewer's rights.")
@click.option("--publish", is_flag=True,
              help="On a published note, also submit and publish the change at once, as --by "
                   "(refused when KMSEARCH_FOUR_EYES is on).")
@pass_context
def attach(ctx: Context, note: str, files: tuple[Path, ...], username: str,
           publish: bool) -> None:
    """Attach FILES (PDF, DOCX, XLSX, PPTX, Markdown, text) to the case note NOTE.

    Each file is checked by its content, kept beside the database and read page by page;
    one that cannot be read (encrypted, scanned, damaged) is kept and reported. On a published
    note the files are a change that waits for review beside it, unless --publish.
    """
    viewer, pending = staff(username, "reviewer"), False
    for path in files:
        outcome = ctx.library.contributions.attach(viewer, note, path.name, path.read_bytes())
        added, saved = outcome.added, outcome.saved
        pending = pending or saved.pending
        pages = f", {added.file.pages} pages read" if added.file.pages else ""
        waits = " (a change waiting for review beside the published note)" if saved.pending \
            else ""
        click.echo(f"{note}: {added.attachment.name} ({TYPE_LABELS[added.file.type]}, "
                   f"{human_size(added.file.size)}{pages}) {saved.action}, "
                   f"revision {saved.revision}{waits}")
        if added.message:
            click.echo(f"warning: {added.attachment.name}: {added.message}", err=True)
    if pending and publish:
        ctx.library.submit(viewer, note)
        click.echo(f"{note}: published, revision {ctx.library.publish(viewer, note).revision}")


@cli.command()
@click.argument("note")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the Word file (default: <note>-brief.docx).")
@pass_context
def brief(ctx: Context, note: str, output: Path | None) -> None:
    """Write the one-page brief of the published case note NOTE as a Word file."""
    output = output or Path(f"{note}-brief.docx")
    output.write_bytes(ctx.library.brief_docx(note, staff("cli", "reviewer")))
    click.echo(f"{output}: brief of {note} ({human_size(output.stat().st_size)})")
