"""Import a register kept as a sheet: each row mapped, validated and saved as a case note of one
source; importing the same sheet again updates the notes it made and changes nothing else."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Conflict, Problem, ValidationError
from ..store.cases import Store
from ..store.imports import ImportKey, keys_of, record
from ..taxonomy import Taxonomy
from .mapping import Mapping, row_hash
from .sheets import Row
from .validation import note_from_fields


@dataclass
class ImportReport:
    """What one import did (or, in a dry run, would do), row by row."""

    source: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # notes whose row left the sheet: kept
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def saved(self) -> list[str]:
        return self.created + self.updated


def import_rows(
    store: Store,
    taxonomy: Taxonomy,
    name: str,
    rows: Collection[Row] | object,
    mapping: Mapping,
    *,
    source: str,
    author: str,
    state: str = "draft",
    default_evaluation: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Map, validate and save every row of sheet ``name`` as a note of ``source``.

    A row whose key was imported before updates the note it became (keeping its workflow state
    unless ``state`` is "published"); a new key creates a note in ``state``; a row whose mapped
    content is unchanged is not even validated again. Bad rows are reported and skipped.
    """
    report = ImportReport(source=source, dry_run=dry_run)
    known = keys_of(store, source)
    recommendations = store.recommendation_ids()
    taken: set[str] = set()
    seen_keys: dict[str, int] = {}
    new_keys: list[ImportKey] = []
    for row in rows:
        report.rows += 1
        where = f"{name} row {row.number}"
        fields, body = mapping.apply(row, taxonomy)
        key = mapping.key(row, fields) or mapping.wanted_id(row, fields)
        if key in seen_keys:
            report.problems.append(Problem(where, "", f"same key {key!r} as row {seen_keys[key]}; "
                                           "give each row its own value in the source-key column"))
            continue
        seen_keys[key] = row.number
        digest = row_hash(fields, body)
        previous = known.get(key)
        current = store.get_case(previous.case_id) if previous else None
        if previous and current and previous.row_hash == digest and \
                (state != "published" or current.state == "published"):
            report.unchanged.append(current.id)
            taken.add(current.id)
            _tick(progress, report)
            continue
        case_id = current.id if current else _free_id(store, mapping.wanted_id(row, fields), taken)
        taken.add(case_id)
        try:
            note = note_from_fields(
                {**fields, "id": case_id}, body, source=where, taxonomy=taxonomy,
                default_evaluation=default_evaluation, known_recommendations=recommendations,
            )
        except ValidationError as error:
            report.problems.extend(_one_line(p) for p in error.problems)
            _tick(progress, report)
            continue
        action = "updated" if current else "created"
        if not dry_run:
            action = _save(store, note, current, author, state, source, where, report)
        if action:
            getattr(report, action).append(case_id)
            new_keys.append(ImportKey(source, key, case_id, digest))
        _tick(progress, report)
    report.removed = sorted(k.case_id for key, k in known.items() if key not in seen_keys)
    if not dry_run and new_keys:
        record(store, new_keys)
    return report


def _save(store: Store, note, current, author: str, state: str, source: str, where: str,
          report: ImportReport) -> str | None:
    """Save one note; the action it took, or None when it was refused (reported)."""
    kept = current.state if current and state != "published" else state
    try:
        result = store.save_case(
            note, author=author, comment=f"imported from {where}", state=kept, origin="import",
            source=source, expected_revision=current.revision if current else 0,
        )
    except ValidationError as error:
        report.problems.extend(_one_line(p) for p in error.problems)
        return None
    except Conflict as error:
        report.problems.append(Problem(where, "", str(error)))
        return None
    return "unchanged" if result.action == "unchanged" else \
        ("created" if current is None else "updated")


def _free_id(store: Store, wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... when another note or row already has it."""
    candidate, n = wanted, 1
    while candidate in taken or store.get_case(candidate) is not None:
        n += 1
        candidate = f"{wanted[:56]}-{n}"
    return candidate


def _one_line(problem: Problem) -> Problem:
    return replace(problem, message=" ".join(problem.message.split()))


def _tick(progress: Callable[[int], None] | None, report: ImportReport) -> None:
    if progress:
        progress(report.rows)


def describe(problem: Problem) -> str:
    """A problem as one report line: ``register.xlsx row 3, sdgs: expected ...``."""
    return f"{problem.source}, {problem.field}: {problem.message}" if problem.field \
        else f"{problem.source}: {problem.message}"


def sheet_source(path: Path, name: str | None) -> str:
    """The source an import's notes belong to: ``import:<name>``, by default the file's stem."""
    return f"import:{name or Path(path).stem}"
