"""``kmsearch`` commands that search: ``search``, ``eval`` and ``serve``."""

from __future__ import annotations

import html
import re
import tempfile
import textwrap
from pathlib import Path

import click

from ..search.evaluation import METRICS, evaluate, load_beir
from ..search.request import MODES, SORTS, parse_search_request
from ..search.serialize import plain_url, search_json
from .common import (
    PATH,
    VIEWERS,
    Context,
    Stages,
    cli,
    echo_json,
    pass_context,
    sync_indexes,
    table,
)

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
        echo_json(search_json(results))
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
    click.echo(table(rows, ("mode", *METRICS)))


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
    from ..library.notifications import Courier
    from ..web import create_app
    from ..web import serve as run_server

    library = ctx.library
    app = create_app({"SETTINGS": ctx.settings}, library=library)
    sync_indexes(library)
    library.search.warm()
    library.monitoring.warm()
    courier = Courier(library.notifications).start()  # the outbox and the digests
    click.echo(f"kmsearch on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_server(app, host=host, port=port, threads=threads)
    finally:
        courier.stop()
