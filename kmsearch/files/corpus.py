"""Read and validate corpus files (``corpus/cases/<id>.md``: YAML front matter, Markdown body)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from ..errors import Problem, ValidationError
from ..limits import lone_surrogate
from ..records import CaseNote
from ..taxonomy import Taxonomy
from .export import to_csv, to_json, to_markdown, write_markdown
from .safeyaml import load_yaml
from .validation import FieldCheck, derive_summary, note_from_fields
from .values import show

# Validation and export live in their own modules; their public functions are part of this API.
__all__ = [
    "CorpusReport", "case_files", "derive_summary", "note_from_fields", "parse_case_text",
    "read_case_file", "read_corpus", "to_csv", "to_json", "to_markdown", "write_markdown",
]
log = logging.getLogger(__name__)


@dataclass
class CorpusReport:
    """What reading a corpus folder gave: the good notes, every problem, and how many files.

    ``errors`` are files whose reading failed in an unexpected way (a fault of kmsearch, not
    of the file): reported apart, so that scripts can tell them from problems.
    """

    notes: list[tuple[Path, CaseNote]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    errors: list[Problem] = field(default_factory=list)
    known: list[tuple[Path, str]] = field(default_factory=list)  # (file, note id) not parsed


def read_corpus(
    directory: Path,
    *,
    taxonomy: Taxonomy,
    default_evaluation: str,
    known_recommendations: Collection[str] | None = None,
    known: Callable[[Path, bytes], str | None] | None = None,
) -> CorpusReport:
    """Read every case file under ``directory``; bad files become problems, never stop good ones.

    ``known(path, bytes)`` may name the note a file is already known to hold unchanged: that
    file is not parsed again and lands in ``report.known``.
    """
    try:
        paths = case_files(directory)
    except FileNotFoundError:
        problem = Problem(str(directory), "", "not found: expected a corpus folder or a .md file")
        return CorpusReport(problems=[problem])
    report = CorpusReport(files=len(paths))
    owners: dict[str, Path] = {}
    for path in paths:
        try:
            raw = _read(path)
            case_id = known(path, raw) if known else None
            if case_id is not None and case_id not in owners:
                owners[case_id] = path
                report.known.append((path, case_id))
                continue
            note = read_case_file(
                path,
                taxonomy=taxonomy,
                default_evaluation=default_evaluation,
                known_recommendations=known_recommendations,
                raw=raw,
            )
        except ValidationError as exc:
            report.problems.extend(exc.problems)
            continue
        except Exception as exc:  # noqa: BLE001 - one file's fault must not stop the others
            log.exception("unexpected error reading %s", path)
            message = (f"internal error while reading this file ({type(exc).__name__}: "
                       f"{str(exc)[:200]}); the other files were still read; please report it")
            report.errors.append(Problem(str(path), "", message))
            continue
        if note.id in owners:
            message = f"expected a unique id, found {show(note.id)}, used by {owners[note.id]}"
            report.problems.append(Problem(str(path), "id", message))
            continue
        owners[note.id] = path
        report.notes.append((path, note))
    return report


def case_files(directory: Path) -> list[Path]:
    """The ``*.md`` files a corpus path stands for: one file, or every file under a folder, sorted.

    A corpus root (a folder with a ``cases/`` subfolder) stands for its ``cases/``.
    """
    directory = Path(directory)
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise FileNotFoundError(directory)
    if (directory / "cases").is_dir():
        directory = directory / "cases"
    return sorted(
        path
        for path in directory.rglob("*.md")
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(directory).parts)
    )


def read_case_file(
    path: Path,
    *,
    taxonomy: Taxonomy,
    default_evaluation: str,
    known_recommendations: Collection[str] | None = None,
    raw: bytes | None = None,
) -> CaseNote:
    """Read one case file (or its bytes ``raw``, already read); its id must equal the file name
    without ``.md``.

    The bytes must be UTF-8 (a byte-order mark is fine); any problem raises ``ValidationError``.
    """
    path = Path(path)
    source = str(path)
    if raw is None:
        raw = _read(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = (
            f"not UTF-8: invalid byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
            "save the file with UTF-8 encoding"
        )
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _fail(source, message, line) from exc
    note = parse_case_text(
        text,
        source=source,
        taxonomy=taxonomy,
        default_evaluation=default_evaluation,
        known_recommendations=known_recommendations,
        expected_id=path.stem,
    )
    missing = [a.source for a in note.attachments if not (path.parent / a.source).is_file()]
    if missing:
        raise ValidationError([
            Problem(source, "attachments", f"file not found: {name} (paths are relative to "
                    f"the note file, {path.parent})")
            for name in missing
        ])
    return note


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(str(path), f"cannot read the file: {exc.strerror}") from exc


def parse_case_text(
    text: str,
    *,
    source: str,
    taxonomy: Taxonomy,
    default_evaluation: str,
    known_recommendations: Collection[str] | None = None,
    expected_id: str | None = None,
) -> CaseNote:
    """Split front matter from body and validate both; ``ValidationError`` lists every problem."""
    data, body, check = _front_matter(text, source)
    return note_from_fields(
        data,
        body,
        source=source,
        taxonomy=taxonomy,
        default_evaluation=default_evaluation,
        known_recommendations=known_recommendations,
        expected_id=expected_id,
        check=check,
    )


def _fail(source: str, message: str, line: int | None = None) -> ValidationError:
    return ValidationError([Problem(source, "", message, line)])


def _front_matter(text: str, source: str) -> tuple[dict[str, Any], str, FieldCheck]:
    """The front matter mapping, the body, and a checker that knows every field's line."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if bad := lone_surrogate(text):
        line = text.count("\n", 0, text.index(bad)) + 1
        raise _fail(source, f"the unpaired surrogate U+{ord(bad):04X} is not a character; "
                    "remove it", line)
    if not text.strip():
        message = "empty file: expected YAML front matter between '---' lines, then Markdown"
        raise _fail(source, message)
    stripped = text.lstrip()
    skipped = text.count("\n", 0, len(text) - len(stripped))
    handler = YAMLHandler()
    start = handler.FM_BOUNDARY.match(stripped)
    if not start:
        first = stripped.splitlines()[0]
        message = f"no front matter: expected a first line '---', found {show(first)}"
        raise _fail(source, message, skipped + 1)
    try:
        front, body = handler.split(stripped)
    except ValueError as exc:
        message = "front matter not closed: expected a '---' line after the fields"
        raise _fail(source, message, skipped + 1) from exc
    offset = skipped + stripped.count("\n", 0, start.end()) + 1
    data, node = load_yaml(front, source, offset)
    data = {} if data is None else data
    if not isinstance(data, dict):
        expected = "front matter is not a mapping: expected 'field: value' lines"
        message = f"{expected}, found {show(data)}"
        raise _fail(source, message, node.start_mark.line + offset)
    check = FieldCheck(source)
    if node is not None:
        _walk(node, "", offset, check, front.splitlines())
    return data, body, check


def _walk(
    node: yaml.Node, path: str, offset: int, check: FieldCheck, lines: list[str]
) -> None:
    """Record the line of every field and list item, report keys given twice, and note values
    that YAML read as a comment (``id: #OceanAction21244``) so the message can say to quote them."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = f"{path}.{key.value}" if path else str(key.value)
            if sub in check.lines:
                line = key.start_mark.line + offset
                message = f"given twice, also on line {check.lines[sub]}: expected each field once"
                check.problems.append(Problem(check.source, sub, message, line))
            else:
                check.lines[sub] = key.start_mark.line + offset
            _note_comment(value, sub, lines, check)
            _walk(value, sub, offset, check, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value, 1):
            check.lines.setdefault(f"{path}[{index}]", item.start_mark.line + offset)
            _note_comment(item, f"{path}[{index}]", lines, check)
            _walk(item, f"{path}[{index}]", offset, check, lines)


def _note_comment(node: yaml.Node, path: str, lines: list[str], check: FieldCheck) -> None:
    """An empty value followed by ``#...`` on its line: the user meant the ``#`` as text."""
    if not (isinstance(node, yaml.ScalarNode) and node.value == "" and not node.style):
        return
    line = lines[node.start_mark.line] if node.start_mark.line < len(lines) else ""
    head, colon, rest = line.partition(":") if ":" in line else ("", "", line.lstrip(" -"))
    if rest.strip().startswith("#"):
        value = rest.strip().replace('"', '\\"')
        check.comments[path] = f'{head.strip()}: "{value}"' if colon else f'- "{value}"'

