"""Read the rows of a register kept as a sheet (CSV, XLSX or a JSON list of objects), one at a
time, so that a sheet of any size is read in bounded memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import Problem, ValidationError
from .cells import spreadsheet_value

SHEET_SUFFIXES = (".csv", ".xlsx", ".json")


@dataclass
class Row:
    """One row: its number as the sheet shows it (the header is row 1) and its cells by column."""

    number: int
    cells: dict[str, str]


def read_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    """The column names of a sheet and an iterator over its non-empty rows."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise _fail(path, f"expected a .csv, .xlsx or .json file, found {suffix or 'no suffix'}")
    if not path.is_file():
        raise _fail(path, "not found: expected a sheet file")
    if suffix == ".json":
        return _json_rows(path)
    rows = _xlsx_cells(path) if suffix == ".xlsx" else _csv_cells(path)
    try:
        header = [cell_text(c) for c in next(rows)]
    except StopIteration:
        raise _fail(path, "empty sheet: expected a first row naming the columns") from None
    if not any(header):
        raise _fail(path, "expected a first row naming the columns, found an empty row")
    return header, _rows(header, rows)


def _rows(header: list[str], rows: Iterator[list[Any]]) -> Iterator[Row]:
    for number, values in enumerate(rows, start=2):
        cells = {name: cell_text(value) for name, value in zip(header, values, strict=False)
                 if name}
        if any(cells.values()):
            yield Row(number, cells)


def _csv_cells(path: Path) -> Iterator[list[Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.reader(handle)
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 (invalid byte at offset {exc.start}); save the sheet as "
                    "CSV UTF-8, or as .xlsx") from exc


def _xlsx_cells(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a broken file
        raise _fail(path, f"not a readable .xlsx workbook ({type(exc).__name__}); save it again "
                    "from Excel or LibreOffice as .xlsx, or as CSV") from exc
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def _json_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _fail(path, f"not a readable JSON file: {exc}") from exc
    if isinstance(data, dict):  # {"rows": [...]}, as many APIs wrap their lists
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise _fail(path, "expected a JSON list of objects, one per row")
    header = list(dict.fromkeys(key for item in data for key in item))
    rows = (Row(n, {str(k): cell_text(v) for k, v in item.items()})
            for n, item in enumerate(data, start=1))
    return header, (row for row in rows if any(row.cells.values()))


def cell_text(value: Any) -> str:
    """A cell as text: whole floats without ``.0`` (Excel stores years as floats), dates ISO,
    lists (JSON) joined by "; ", and the quote exports put before formula characters taken off."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return spreadsheet_value(str(value).strip())


def _fail(path: Path, message: str) -> ValidationError:
    return ValidationError([Problem(str(path), "", message)])
