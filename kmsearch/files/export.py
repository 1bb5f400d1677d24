"""Write case notes back out: corpus Markdown files, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..config import Settings
from ..records import CaseNote
from .cells import spreadsheet_safe
from .validation import FIELDS

CSV_COLUMNS = (*FIELDS, "extra", "body")
DEFAULT_EVALUATION = Settings.default_evaluation


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as people write front matter by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


class _OneLine(list):
    """A list of plain values written on one line, as in ``sdgs: [8, 12, 5]``."""


_Dumper.add_representer(
    _OneLine, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)


def to_markdown(note: CaseNote, *, default_evaluation: str = DEFAULT_EVALUATION) -> str:
    """A corpus file for the note: front matter with codes in the documented order, then body.

    Recommendations of the default evaluation are written as plain numbers; extra fields last.
    """
    values = _known_fields(note, default_evaluation)
    values.update((key, value) for key, value in note.extra.items() if key not in values)
    text = yaml.dump(values, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    return f"---\n{text}---\n{note.body}\n" if note.body else f"---\n{text}---\n"


def _known_fields(note: CaseNote, default_evaluation: str) -> dict[str, Any]:
    """The known fields as they are written, leaving out the empty ones."""
    prefix = f"{default_evaluation}/"
    values = {
        "id": note.id,
        "title": note.title,
        "summary": note.summary,
        "division": note.division,
        "partners": [{"name": p.name, "type": p.type} for p in note.partners],
        "partnership_types": _OneLine(note.partnership_types),
        "nexus_areas": _OneLine(note.nexus_areas),
        "sdgs": _OneLine(note.sdgs),
        "recommendations": _OneLine(
            int(r.removeprefix(prefix)) if r.removeprefix(prefix).isdecimal() else r
            for r in note.recommendations
        ),
        "start_year": note.start_year,
        "end_year": note.end_year,
        "status": note.status,
        "good_practice": note.good_practice,
        "visibility": note.visibility,
        "risk_level": note.risk_level,
        "lessons": [{"kind": lesson.kind, "text": lesson.text} for lesson in note.lessons],
    }
    return {key: value for key, value in values.items() if value not in (None, "", [])}


def write_markdown(
    notes: Iterable[CaseNote], directory: Path, *, default_evaluation: str = DEFAULT_EVALUATION
) -> list[Path]:
    """Write each note to ``<directory>/<id>.md``, replacing each file in one step."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for note in notes:
        path = directory / f"{note.id}.md"
        partial = path.with_name(f".{path.name}.partial")
        text = to_markdown(note, default_evaluation=default_evaluation)
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
        paths.append(path)
    return paths


def to_json(notes: Iterable[CaseNote]) -> str:
    """A JSON array of every note's fields, dates as ISO strings."""
    return json.dumps([note.to_dict() for note in notes], ensure_ascii=False, indent=2, default=str)


def to_csv(notes: Iterable[CaseNote]) -> str:
    """One row per note: lists joined with "; ", lessons as "kind: text" joined with " | ";
    every cell safe to open in a spreadsheet (``spreadsheet_safe``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for note in notes:
        row = {key: _cell(value) for key, value in note.to_dict().items() if key in CSV_COLUMNS}
        row["partners"] = "; ".join(f"{p.name} ({p.type})" for p in note.partners)
        row["lessons"] = " | ".join(f"{lesson.kind}: {lesson.text}" for lesson in note.lessons)
        row["extra"] = json.dumps(note.extra, ensure_ascii=False, default=str) if note.extra else ""
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
