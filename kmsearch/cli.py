"""The ``kmsearch`` command: argument parsing only; the work is done by library functions."""

from __future__ import annotations

import json
import sys
from datetime import date
from functools import cached_property
from pathlib import Path

import click

from . import __version__
from .config import Settings
from .corpus import case_files, read_corpus, to_csv, to_json, write_markdown
from .errors import KmsearchError, ValidationError
from .ingest import ingest as run_ingest
from .ingest import known_recommendations
from .library import Library
from .responses import parse_management_response

PATH = click.Path(path_type=Path)


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def library(self) -> Library:
        return Library(self.settings)


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmsearch")
@click.option("--db", type=PATH, envvar="KMSEARCH_DB", help="SQLite database (system of record).")
@click.option("--index-dir", type=PATH, envvar="KMSEARCH_INDEX_DIR", help="Derived indexes folder.")
@click.option("--corpus", type=PATH, envvar="KMSEARCH_CORPUS_DIR", help="Corpus folder.")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, index_dir: Path | None, corpus: Path | None) -> None:
    """kmsearch: search and good-practice library for UNECE's private-sector partnerships."""
    ctx.obj = Context(Settings.from_env(db_path=db, index_dir=index_dir, corpus_dir=corpus))


@cli.command()
@pass_context
def init(ctx: Context) -> None:
    """Create the database and the index folder if they do not exist."""
    library = ctx.library
    library.store  # noqa: B018 - opening the store creates the schema
    ctx.settings.index_dir.mkdir(parents=True, exist_ok=True)
    click.echo(f"Database ready: {ctx.settings.db_path}")
    click.echo(f"Index folder ready: {ctx.settings.index_dir}")


@cli.command()
@click.argument("path", type=PATH, required=False)
@click.option("--author", default="corpus", show_default=True, help="Recorded in revisions.")
@click.option("--no-index", is_flag=True, help="Update the database only; index later.")
@pass_context
def ingest(ctx: Context, path: Path | None, author: str, no_index: bool) -> None:
    """Load case notes and evaluations from PATH (default: the corpus folder) into the database.

    Bad files are reported, one line per problem, while the good ones load; the command then
    exits with status 1. Unchanged files change nothing. Notes whose file has gone are reported,
    never deleted.
    """
    library = ctx.library
    path = path or ctx.settings.corpus_dir
    total = len(case_files(path)) if path.exists() else 0
    with click.progressbar(length=total, label="Ingesting", file=sys.stderr) as bar:
        report = run_ingest(
            library.store,
            path,
            library.taxonomy,
            default_evaluation=ctx.settings.default_evaluation,
            author=author,
            progress=lambda _: bar.update(1),
        )
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    for case_id in report.missing_from_corpus:
        click.echo(f"warning: {case_id}: in the database but no longer in the corpus "
                   "(kept; archive it to silence this)", err=True)
    rows = [
        ("files read", report.files),
        ("created", len(report.created)),
        ("updated", len(report.updated)),
        ("unchanged", len(report.unchanged)),
        ("rejected (problems)", len(report.problems)),
        ("missing from corpus", len(report.missing_from_corpus)),
    ]
    rows += [(f"evaluation {k}", v) for k, v in report.evaluations.items()]
    click.echo(_table(rows, ("ingest", "count")))
    if not no_index:
        _sync_indexes(library)
    if not report.ok:
        raise SystemExit(1)


@cli.command()
@click.argument("path", type=PATH)
@pass_context
def validate(ctx: Context, path: Path) -> None:
    """Check corpus files at PATH without writing anything; exit 1 if any file is rejected."""
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
    bad = len({p.source for p in report.problems})
    click.echo(f"{report.files} files: {len(report.notes)} valid, {bad} with problems "
               f"({len(report.problems)} problems)")
    if report.problems:
        raise SystemExit(1)


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
    """Import a UN management-response document as an evaluation with its recommendations."""
    when = _parse_date(report_date) if report_date else None
    text = _read_text(file)
    evaluation = parse_management_response(
        text, evaluation_id=evaluation_id, title=title, period=period, date=when,
        source=str(file),
    )
    evaluation.default = is_default
    action = ctx.library.store.save_evaluation(evaluation)
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
    notes = [stored.note for stored in ctx.library.store.iter_cases(states=states)]
    if fmt == "markdown":
        folder = output or Path("export") / "cases"
        paths = write_markdown(notes, folder, default_evaluation=ctx.settings.default_evaluation)
        click.echo(f"wrote {len(paths)} notes to {folder}")
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
    counts = ctx.library.store.counts()
    if as_json:
        _echo_json(counts)
    else:
        click.echo(_table(sorted(counts.items()), ("what", "count")))


@cli.command()
@pass_context
def reindex(ctx: Context) -> None:
    """Rebuild the keyword and vector indexes from the database (embeddings stay cached)."""
    with click.progressbar(length=0, label="Indexing", file=sys.stderr) as bar:
        report = ctx.library.search.reindex(progress=lambda *_: bar.update(1))
    click.echo(f"reindexed {report.documents} documents")


def main() -> None:
    """Console entry point: domain errors become a message and exit status 1, never a trace."""
    try:
        cli(standalone_mode=True)
    except KmsearchError as exc:
        _report_error(exc)
        sys.exit(1)


def _report_error(exc: KmsearchError) -> None:
    if isinstance(exc, ValidationError):
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)


def _sync_indexes(library: Library) -> None:
    with click.progressbar(length=0, label="Indexing", file=sys.stderr) as bar:
        report = library.search.open(progress=lambda *_: bar.update(1))
    for reason in report.rebuilt:
        click.echo(f"rebuilt the {reason} index", err=True)
    click.echo(f"indexes: {report.documents} documents, {len(report.updated)} notes updated, "
               f"{len(report.deleted)} removed")


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


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.FileError(str(path), f"not UTF-8: invalid byte at offset {exc.start}") from exc


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


