"""Load the corpus folder into the store: evaluations first, then every case note file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Conflict, Problem, ValidationError
from ..records import CaseNote, Evaluation
from ..store.cases import Store
from ..taxonomy import Taxonomy
from .corpus import read_corpus
from .responses import load_evaluations


@dataclass
class IngestReport:
    """What one ingest did, note by note, and every problem that kept a file out."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing_from_corpus: list[str] = field(default_factory=list)  # reported, never deleted
    evaluations: dict[str, str] = field(default_factory=dict)  # id -> created/updated/unchanged
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def ingest(
    store: Store,
    corpus_dir: Path,
    taxonomy: Taxonomy,
    *,
    default_evaluation: str,
    author: str = "corpus",
    source: str = "corpus",
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the store up to date with the corpus; running it twice changes nothing.

    Bad files are reported and skipped while the good ones load. Unchanged notes are
    recognised by content hash in one query and never touched. A changed note keeps its
    workflow state, so a note archived on the web stays archived. The notes of the folder
    belong to ``source``; only that source's notes are reported missing when their file goes,
    so other folders, imports and web contributions are never reported.
    """
    corpus_dir = Path(corpus_dir)
    report = IngestReport()
    for evaluation in _evaluations(corpus_dir / "evaluations", report):
        try:
            report.evaluations[evaluation.id] = store.save_evaluation(evaluation)
        except Conflict as error:
            where = str(corpus_dir / "evaluations" / f"{evaluation.id}.yaml")
            report.problems.append(Problem(where, "recommendations", str(error)))
    corpus = read_corpus(
        corpus_dir,
        taxonomy=taxonomy,
        default_evaluation=default_evaluation,
        known_recommendations=store.recommendation_ids(),
    )
    report.files = corpus.files
    report.problems.extend(corpus.problems)
    hashes = store.case_hashes(states=None)
    for path, note in corpus.notes:
        if hashes.get(note.id) == note.content_hash():
            report.unchanged.append(note.id)
        else:
            _save(store, path, note, author, source, report, exists=note.id in hashes)
        if progress:
            progress(note.id)
    broken = list(dict.fromkeys(Path(p.source).stem for p in corpus.problems
                                if p.source.endswith(".md")))
    if progress:
        for name in broken:
            progress(name)
    present = {note.id for _, note in corpus.notes} | set(broken)
    store.claim([note.id for _, note in corpus.notes], source)
    kept = ("draft", "submitted", "published")
    report.missing_from_corpus = [
        case_id for case_id in store.case_ids(source=source, states=kept)
        if case_id not in present
    ]
    return report


def _evaluations(directory: Path, report: IngestReport) -> list[Evaluation]:
    """The evaluations a corpus folder ships; a folder of case files alone has none."""
    if not directory.is_dir():
        return []
    try:
        return load_evaluations(directory)
    except ValidationError as error:
        report.problems.extend(error.problems)
        return []


def _save(
    store: Store, path: Path, note: CaseNote, author: str, source: str, report: IngestReport,
    *, exists: bool,
) -> None:
    """Save one new or changed note; an existing note keeps its workflow state."""
    current = store.get_case(note.id) if exists else None
    try:
        result = store.save_case(
            note,
            author=author,
            comment=f"ingested from {path.name}",
            state=current.state if current else "published",
            origin="corpus",
            source=source,
            expected_revision=current.revision if current else 0,
        )
    except ValidationError as error:
        report.problems.extend(replace(problem, source=str(path)) for problem in error.problems)
    except Conflict as error:
        report.problems.append(Problem(str(path), "", str(error)))
    else:
        getattr(report, result.action).append(note.id)


def known_recommendations(evaluations_dir: Path) -> set[str]:
    """The recommendation ids that the evaluations in a corpus folder define."""
    return {rec.id for ev in load_evaluations(evaluations_dir) for rec in ev.recommendations}


def source_name(folder: Path, corpus_dir: Path) -> str:
    """The source a folder's notes belong to: "corpus" for the configured corpus folder, else
    the folder's path relative to the working directory (absolute when outside it)."""
    folder, corpus_dir = Path(folder).resolve(), Path(corpus_dir).resolve()
    if folder in (corpus_dir, corpus_dir / "cases"):
        return "corpus"
    try:
        return folder.relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return folder.as_posix()
