"""What every ``kmsearch`` command shares: the group, its context, error handling and output."""

from __future__ import annotations

import json
import sys
import traceback
from datetime import date
from functools import cached_property
from pathlib import Path

import click

from .. import __version__
from ..access import ANONYMOUS, staff
from ..config import Settings
from ..errors import KmsearchError, ValidationError
from ..library import Library

PATH = click.Path(path_type=Path)


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def library(self) -> Library:
        return Library(self.settings)


pass_context = click.make_pass_decorator(Context)


# whom ``--as`` answers for, in the commands that show notes
VIEWERS = {
    "anonymous": ANONYMOUS,
    "staff": staff("cli"),
    "reviewer": staff("cli", "reviewer"),
}
PROBLEMS_EXIT = 1  # the input has problems: each is reported
INTERNAL_EXIT = 3  # kmsearch itself failed unexpectedly: a fault to report, not the input's


class Commands(click.Group):
    """The command group: a domain error becomes its message and exit status 1, never a trace;
    an unexpected failure prints its trace and exits with status 3."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KmsearchError as exc:
            report_error(exc)
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


def main() -> None:
    """Console entry point."""
    cli()


def report_error(exc: KmsearchError) -> None:
    if isinstance(exc, ValidationError):
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)


def sync_indexes(library: Library) -> None:
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


def table(rows, headers) -> str:
    """A plain-text table with left-aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, found {value!r}") from exc


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
