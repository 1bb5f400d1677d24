"""Load the corpus folder into the store: evaluations first, then every case note file."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import Settings
from ..errors import Conflict, Problem, ValidationError
from ..records import CaseNote, Evaluation
from ..store.cases import Store
from ..store.corpusfiles import CorpusFile, corpus_files, remember
from ..taxonomy import Taxonomy
from .attachments import Attachments
from .corpus import read_corpus
from .responses import load_evaluations

log = logging.getLogger(__name__)
# What a case file's bytes mean: raise it when reading or validating changes, so that every file
# is parsed again at the next ingest instead of being known unchanged by its bytes.
READING_VERSION = 1


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
    errors: list[Problem] = field(default_factory=list)  # unexpected failures, file by file
    not_parsed: int = 0  # files known unchanged by their bytes (among ``unchanged``)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.errors


def ingest(
    store: Store,
    corpus_dir: Path,
    taxonomy: Taxonomy,
    *,
    default_evaluation: str,
    author: str = "corpus",
    source: str = "corpus",
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
) -> IngestReport:
    """Bring the store up to date with the corpus; running it twice changes nothing.

    Bad files are reported and skipped while the good ones load. Unchanged notes are
    recognised by content hash in one query and never touched. A changed note keeps its
    workflow state, so a note archived on the web stays archived. The notes of the folder
    belong to ``source``; only that source's notes are reported missing when their file goes,
    so other folders, imports and web contributions are never reported.
    Attached files named in the front matter are kept under ``settings.attachments_dir``
    (default: beside the database).
    """
    attachments = Attachments(store, settings or Settings(db_path=store.path))
    corpus_dir = Path(corpus_dir)
    report = IngestReport()
    for evaluation in _evaluations(corpus_dir / "evaluations", report):
        try:
            report.evaluations[evaluation.id] = store.save_evaluation(evaluation)
        except Conflict as error:
            where = str(corpus_dir / "evaluations" / f"{evaluation.id}.yaml")
            report.problems.append(Problem(where, "recommendations", str(error)))
    recommendations = store.recommendation_ids()
    context = _reading_context(taxonomy, default_evaluation, recommendations)
    recorded = corpus_files(store)
    hashes = store.case_hashes(states=None)
    digests: dict[Path, str] = {}

    def known(path: Path, raw: bytes) -> str | None:
        """The note a file holds when its bytes were ingested before and the note is as then."""
        digests[path] = digest = hashlib.sha256(context + raw).hexdigest()
        entry = recorded.get(_key(path))
        if entry and entry.digest == digest and hashes.get(entry.case_id) == entry.content_hash:
            return entry.case_id
        return None

    corpus = read_corpus(
        corpus_dir,
        taxonomy=taxonomy,
        default_evaluation=default_evaluation,
        known_recommendations=recommendations,
        known=known,
    )
    report.files = corpus.files
    report.problems.extend(corpus.problems)
    report.errors.extend(corpus.errors)
    report.not_parsed = len(corpus.known)
    for _, case_id in corpus.known:
        report.unchanged.append(case_id)
        if progress:
            progress(case_id)
    for path, note in corpus.notes:
        try:
            note = attachments.resolve(note, path)
        except ValidationError as error:
            report.problems.extend(error.problems)
            continue
        if hashes.get(note.id) == note.content_hash():
            report.unchanged.append(note.id)
        else:
            _save(store, path, note, author, source, report, exists=note.id in hashes)
        if progress:
            progress(note.id)
    _remember_files(store, corpus.notes, digests, recorded, report)
    broken = list(dict.fromkeys(Path(p.source).stem for p in corpus.problems + corpus.errors
                                if p.source.endswith(".md")))
    if progress:
        for name in broken:
            progress(name)
    ids = [note.id for _, note in corpus.notes] + [case_id for _, case_id in corpus.known]
    present = set(ids) | set(broken)
    store.claim(ids, source)
    kept = ("draft", "submitted", "published")
    report.missing_from_corpus = [
        case_id for case_id in store.case_ids(source=source, states=kept)
        if case_id not in present
    ]
    return report


def _reading_context(taxonomy: Taxonomy, default_evaluation: str,
                     recommendations: Collection[str]) -> bytes:
    """Everything besides a file's bytes that its note depends on, as a digest."""
    context = [READING_VERSION, default_evaluation, sorted(recommendations), taxonomy.to_dict()]
    return hashlib.sha256(json.dumps(context, sort_keys=True, default=str).encode()).digest()


def _key(path: Path) -> str:
    return str(Path(path).resolve())


def _remember_files(store: Store, notes: list[tuple[Path, CaseNote]], digests: dict[Path, str],
                    recorded: dict[str, CorpusFile], report: IngestReport) -> None:
    """Record the files parsed whose note is now in the store, when not recorded so already;
    not those with attached files, which may change while the note file does not."""
    done = set(report.created) | set(report.updated) | set(report.unchanged)
    after = store.case_hashes(states=None)
    files = [
        CorpusFile(_key(path), digests[path], note.id, after[note.id])
        for path, note in notes
        if not note.attachments and note.id in done and note.id in after and path in digests
    ]
    remember(store, [f for f in files if recorded.get(f.path) != f])


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
    except Exception as error:  # noqa: BLE001 - one note's failure must not stop the others
        log.exception("unexpected error saving %s", path)
        report.errors.append(Problem(str(path), "", f"internal error while saving it "
                                     f"({type(error).__name__}: {str(error)[:200]})"))
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
