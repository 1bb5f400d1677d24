"""Read uploaded contributions: corpus Markdown files, and CSV or Excel sheets with one note per
row, into the field mappings the one validator takes. Nothing is validated or saved here."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from ..errors import Problem
from ..files.cells import spreadsheet_value

SUFFIXES = (".md", ".csv", ".xlsx")
MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ROWS = 1000
LIST_COLUMNS = ("partnership_types", "nexus_areas", "sdgs", "recommendations")
PARTNER = re.compile(r"(?s)(.*\S)\s*\(([^()]*)\)\s*")  # "Example Ltd (business)"


@dataclass
class Entry:
    """One note to be: where it came from, its fields, and its body."""

    source: str
    fields: dict[str, Any]
    body: str = ""
    text: str | None = None  # a whole Markdown file, for line-precise problems


@dataclass
class Upload:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_files(files: list[tuple[str, bytes]]) -> list[Problem]:
    """Problems that refuse the whole upload: no files, a type other than .md/.csv/.xlsx, or
    more than ``MAX_UPLOAD_BYTES`` in all."""
    if not files:
        return [Problem("upload", "files", "expected one or more .md, .csv or .xlsx files")]
    problems = [
        Problem(name or "upload", "files",
                f"expected a .md, .csv or .xlsx file, found {PurePath(name).suffix or 'no suffix'}")
        for name, _ in files
        if PurePath(name).suffix.lower() not in SUFFIXES
    ]
    total = sum(len(data) for _, data in files)
    if total > MAX_UPLOAD_BYTES:
        problems.append(Problem("upload", "files", f"the files add up to {total:,} bytes; send at "
                                f"most {MAX_UPLOAD_BYTES:,} (1 MB) at a time"))
    return problems


def read_upload(
    name: str, data: bytes, is_partner_type: Callable[[str], bool] = lambda _: True
) -> Upload:
    """The entries of one file; unreadable files and rows become problems. A bracket after a
    partner's name is its type only when ``is_partner_type`` says so ("Acme Ltd (business)"),
    otherwise part of the name ("Zona Libre de Turismo (ZOLITUR)")."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsx":
        return _from_rows(name, _xlsx_rows(name, data), is_partner_type)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}; " \
                  "save the file with UTF-8 encoding"
        return Upload(problems=[Problem(name, "", message)])
    if suffix == ".md":
        return Upload(entries=[Entry(name, {}, text=text)])
    return _from_rows(name, _csv_rows(text), is_partner_type)


def _csv_rows(text: str) -> list[list[Any]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _xlsx_rows(name: str, data: bytes) -> list[list[Any]] | Problem:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a broken file
        return Problem(name, "", f"not a readable .xlsx workbook ({type(exc).__name__}); "
                       "save it again from Excel or LibreOffice as .xlsx, or as CSV")
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def _from_rows(
    name: str, rows: list[list[Any]] | Problem, is_partner_type: Callable[[str], bool]
) -> Upload:
    """Entries from a sheet whose first row names the corpus fields, plus ``body`` and
    ``extra``; the row numbers in sources are the sheet's, the header being row 1."""
    if isinstance(rows, Problem):
        return Upload(problems=[rows])
    if not rows or not any(_cell(c) for c in rows[0]):
        return Upload(problems=[Problem(name, "", "expected a first row naming the columns "
                                        "(id, title, division, ...), found an empty sheet")])
    if len(rows) > MAX_ROWS + 1:
        return Upload(problems=[Problem(name, "", f"more than {MAX_ROWS} rows; split the sheet")])
    header = [re.sub(r"\s+", "_", _cell(c).casefold()) for c in rows[0]]
    upload = Upload()
    for number, row in enumerate(rows[1:], start=2):
        values = {key: _cell(value) for key, value in zip(header, row, strict=False) if key}
        if not any(values.values()):
            continue
        upload.entries.append(
            _entry(f"{name} row {number}", values, upload.problems, is_partner_type))
    if not upload.entries and not upload.problems:
        upload.problems.append(Problem(name, "", "expected at least one row under the header"))
    return upload


def _entry(
    source: str, values: dict[str, str], problems: list[Problem],
    is_partner_type: Callable[[str], bool],
) -> Entry:
    fields: dict[str, Any] = {}
    extra = values.pop("extra", "")
    if extra:
        try:
            decoded = json.loads(extra)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            fields.update(decoded)
        else:
            problems.append(Problem(source, "extra", "expected a JSON object such as "
                                    f'{{"budget": 1000}}, found {extra[:40]!r}'))
    body = values.pop("body", "")
    for key, value in values.items():
        if not value:
            continue
        if key in LIST_COLUMNS:
            fields[key] = _split(value, ";")
        elif key == "partners":
            fields[key] = [_partner(item, is_partner_type) for item in _split(value, ";")]
        elif key == "lessons":
            fields[key] = [_lesson(item) for item in _split(value, "|")]
        else:
            fields[key] = value
    return Entry(source, fields, body)


def _split(value: str, separator: str) -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]


def _partner(item: str, is_partner_type: Callable[[str], bool]) -> dict[str, str | None]:
    """``Name (type)``; a name alone leaves the type missing, for the validator to report."""
    match = PARTNER.fullmatch(item)
    if match and is_partner_type(match.group(2).strip()):
        return {"name": match.group(1), "type": match.group(2).strip() or None}
    return {"name": item, "type": None}


PARTNER_SYNTAX = ('write each partner as "Name (type)", e.g. "Acme Ltd (business)", several '
                  'separated by ";"')


def teach(problem: Problem) -> Problem:
    """A sheet row's problem with the sheet syntax that fixes it, where the field has one."""
    if re.fullmatch(r"partners\[\d+\]\.type", problem.field) and "found nothing" in problem.message:
        return replace(problem, message=f"{problem.message}; {PARTNER_SYNTAX}")
    return problem


def _lesson(item: str) -> dict[str, str | None]:
    """``kind: text``; text alone leaves the kind missing, for the validator to report."""
    kind, colon, text = item.partition(":")
    if colon and re.fullmatch(r"[\w -]+", kind.strip()):
        return {"kind": kind.strip(), "text": text.strip()}
    return {"kind": None, "text": item}


def _cell(value: Any) -> str:
    """A cell as text: whole floats without ``.0`` (Excel stores years as floats), dates ISO,
    and the quote that exports put before formula characters taken off again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return spreadsheet_value(str(value).strip())


def describe(problem: Problem) -> str:
    """A problem as an upload report line: ``notes.csv row 3, sdgs: expected ...``."""
    where = f"{problem.source} line {problem.line}" if problem.line else problem.source
    return f"{where}, {problem.field}: {problem.message}" if problem.field else \
        f"{where}: {problem.message}"
