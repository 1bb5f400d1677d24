"""``kmsearch`` commands for the corpus: set up, ingest, import, validate, export, attach."""

from __future__ import annotations

from pathlib import Path

import click

from ..access import staff
from ..files.corpus import case_files, read_corpus, to_csv, to_json, write_markdown
from ..files.filetypes import TYPE_LABELS, human_size
from ..files.importer import describe as describe_problem
from ..files.importer import sheet_source
from ..files.ingest import known_recommendations
from ..files.mapping import identity_mapping, load_mapping
from ..files.propose import propose_mapping as propose
from ..files.sheets import read_rows
from .common import (
    INTERNAL_EXIT,
    PATH,
    PROBLEMS_EXIT,
    Context,
    Stages,
    cli,
    echo_json,
    parse_date,
    pass_context,
    shorten,
    sync_indexes,
    table,
)


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
    click.echo(table(rows, ("ingest", "count")))
    if not no_index:
        sync_indexes(library)  # already open: reports what opening them did
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
    click.echo(table(rows_table, (f"import {report.source}", "count")))
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
    when = parse_date(report_date) if report_date else None
    evaluation, action, warnings = ctx.library.import_response(
        file.name, file.read_bytes(), evaluation_id=evaluation_id, title=title, period=period,
        date=when, default=is_default,
    )
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{evaluation.id}: {action}, {len(evaluation.recommendations)} recommendations "
               f"({evaluation.title}, {evaluation.period}, {evaluation.date})")
    rows = [(r.number, r.response, r.timeline or "-", shorten(r.text, 60))
            for r in evaluation.recommendations]
    click.echo(table(rows, ("no.", "response", "timeline", "recommendation")))


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
        echo_json(counts)
    else:
        click.echo(table(sorted(counts.items()), ("what", "count")))


@cli.command()
@pass_context
def reindex(ctx: Context) -> None:
    """Rebuild the keyword and vector indexes from the database (embeddings stay cached)."""
    with Stages({"index": ("Indexing", 0)}) as progress:
        report = ctx.library.reindex(progress)
    click.echo(f"reindexed {report.documents} documents")


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
