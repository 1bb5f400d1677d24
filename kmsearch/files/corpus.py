"""Read and validate corpus files (``corpus/cases/<id>.md``: YAML front matter, Markdown body)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from ..errors import Problem, ValidationError
from ..records import CaseNote
from ..taxonomy import Taxonomy
from .export import to_csv, to_json, to_markdown, write_markdown
from .validation import FieldCheck, derive_summary, note_from_fields, show

# Validation and export live in their own modules; their public functions are part of this API.
__all__ = [
    "CorpusReport", "case_files", "derive_summary", "note_from_fields", "parse_case_text",
    "read_case_file", "read_corpus", "to_csv", "to_json", "to_markdown", "write_markdown",
]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class CorpusReport:
    """What reading a corpus folder gave: the good notes, every problem, and how many files."""

    notes: list[tuple[Path, CaseNote]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def read_corpus(
    directory: Path,
    *,
    taxonomy: Taxonomy,
    default_evaluation: str,
    known_recommendations: Collection[str] | None = None,
) -> CorpusReport:
    """Read every case file under ``directory``; bad files become problems, never stop good ones."""
    try:
        paths = case_files(directory)
    except FileNotFoundError:
        problem = Problem(str(directory), "", "not found: expected a corpus folder or a .md file")
        return CorpusReport(problems=[problem])
    report = CorpusReport(files=len(paths))
    owners: dict[str, Path] = {}
    for path in paths:
        try:
            note = read_case_file(
                path,
                taxonomy=taxonomy,
                default_evaluation=default_evaluation,
                known_recommendations=known_recommendations,
            )
        except ValidationError as exc:
            report.problems.extend(exc.problems)
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
) -> CaseNote:
    """Read one case file; its id must equal the file name without ``.md``.

    The bytes must be UTF-8 (a byte-order mark is fine); any problem raises ``ValidationError``.
    """
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(source, f"cannot read the file: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = (
            f"not UTF-8: invalid byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
            "save the file with UTF-8 encoding"
        )
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _fail(source, message, line) from exc
    return parse_case_text(
        text,
        source=source,
        taxonomy=taxonomy,
        default_evaluation=default_evaluation,
        known_recommendations=known_recommendations,
        expected_id=path.stem,
    )


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
    loader = None
    try:
        loader = _Loader(front)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else None
        lines = front.splitlines()
        written = lines[mark.line] if mark and mark.line < len(lines) else ""
        raise _fail(source, _yaml_message(exc, offset, written), line) from exc
    except yaml.reader.ReaderError as exc:
        line = front.count("\n", 0, exc.position) + offset
        message = (f"invalid character U+{exc.character:04X} in front matter: control characters "
                   "are not allowed; delete it (it may be invisible in your editor)")
        raise _fail(source, message, line) from exc
    except yaml.YAMLError as exc:
        message = " ".join(f"invalid YAML in front matter: {exc}".split())
        raise _fail(source, message, offset) from exc
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        expected = "front matter is not a mapping: expected 'field: value' lines"
        message = f"{expected}, found {show(data)}"
        raise _fail(source, message, node.start_mark.line + offset)
    check = FieldCheck(source)
    if node is not None:
        _walk(node, "", offset, check, front.splitlines())
    return data, body, check


NEEDS_QUOTES = ("mapping values are not allowed", "cannot start any token")


def _yaml_message(exc: yaml.MarkedYAMLError, offset: int, written: str = "") -> str:
    """One line: what YAML found, and, where quoting the value is the fix, the line quoted."""
    problem = " ".join(str(exc.problem).split())
    message = f"invalid YAML in front matter: {problem}"
    key, colon, value = written.partition(":")
    if colon and value.strip() and any(text in problem for text in NEEDS_QUOTES):
        quoted = value.strip().replace("\\", "\\\\").replace('"', '\\"')
        return (f"{message}: a value containing \": \" or starting with @, ` or a similar sign "
                f"must be quoted; write  {key.strip()}: \"{quoted}\"")
    if exc.context and exc.context_mark:
        return f"{message} ({exc.context} from line {exc.context_mark.line + offset})"
    return f"{message} ({exc.context})" if exc.context else message


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

