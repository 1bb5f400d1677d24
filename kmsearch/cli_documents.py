"""``kmsearch attach`` and ``kmsearch brief``: attached files and case briefs from the shell."""

from __future__ import annotations

from pathlib import Path

import click

from .access import staff
from .files.filetypes import TYPE_LABELS, human_size

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("note")
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option("--by", "username", default="cli", show_default=True,
              help="Recorded in the revision; attaches with a reviewer's rights.")
@click.pass_obj
def attach(ctx, note: str, files: tuple[Path, ...], username: str) -> None:
    """Attach FILES (PDF, DOCX, XLSX, PPTX, Markdown, text) to the case note NOTE.

    Each file is checked by its content, kept beside the database and read page by page;
    one that cannot be read (encrypted, scanned, damaged) is kept and reported.
    """
    from .workflow.contributions import Contributions

    service = Contributions(ctx.library)
    viewer = staff(username, "reviewer")
    for path in files:
        outcome = service.attach(viewer, note, path.name, path.read_bytes())
        added, saved = outcome.added, outcome.saved
        pages = f", {added.file.pages} pages read" if added.file.pages else ""
        click.echo(f"{note}: {added.attachment.name} ({TYPE_LABELS[added.file.type]}, "
                   f"{human_size(added.file.size)}{pages}) {saved.action}, "
                   f"revision {saved.revision}")
        if added.message:
            click.echo(f"warning: {added.attachment.name}: {added.message}", err=True)


@click.command()
@click.argument("note")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the Word file (default: <note>-brief.docx).")
@click.pass_obj
def brief(ctx, note: str, output: Path | None) -> None:
    """Write the one-page brief of the published case note NOTE as a Word file."""
    from .files.briefs import brief_docx

    found = ctx.library.brief(note, staff("cli", "reviewer"))
    output = output or Path(f"{note}-brief.docx")
    output.write_bytes(brief_docx(found))
    click.echo(f"{output}: brief of {note} ({human_size(output.stat().st_size)})")
