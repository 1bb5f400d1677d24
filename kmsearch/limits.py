"""Limits on untrusted input, in one place: uploads, spreadsheets, front matter and numbers.

Every reader of outside data (corpus files, uploads, request parameters, JSON bodies, CLI
arguments) checks against these, so that no input can take a server thread or the memory
hostage. The README's "Hostile input" section documents them.
"""

from __future__ import annotations

import re
from typing import Any

# Uploads (/contribute/upload): the request as sent, and what a spreadsheet may unpack to.
MAX_UPLOAD_BYTES = 1024 * 1024  # all files of one upload together, as sent
MAX_XLSX_UNCOMPRESSED = 8 * 1024 * 1024  # every member of a .xlsx archive together, unpacked
MAX_XLSX_ENTRIES = 100  # members of a .xlsx archive
MAX_IMPORT_XLSX_UNCOMPRESSED = 256 * 1024 * 1024  # `kmsearch import` of a local register
MAX_IMPORT_XLSX_ENTRIES = 1000
MAX_ROWS = 1000  # note rows of one sheet, below the header
MAX_COLUMNS = 64  # cells read from one row; any further cells are refused
MAX_CELL_CHARS = 100_000  # characters in one cell (a body column may be long)
UPLOAD_SECONDS = 5.0  # time budget for reading, checking and saving one upload request
BACKGROUND_UPLOAD_SECONDS = 600.0  # the same for a large upload on the background worker

# Front matter and other structured values (YAML, the JSON "extra" column, JSON bodies).
MAX_YAML_NODES = 5_000  # values in one front matter; anchors and aliases are refused outright
MAX_VALUES = 10_000  # values in one field of a note (a list, or a mapping in an extra field)
MAX_NESTING = 20  # levels of lists and mappings inside one another
MAX_NUMBER_DIGITS = 100  # digits of a whole number anywhere in a note
YEAR_DIGITS = re.compile(r"[0-9]{1,4}")  # ASCII digits only: '²'.isdigit() is true


def whole_number(text: Any, digits: int = 9) -> int | None:
    """``text`` as a whole number if it is 1 to ``digits`` ASCII digits (after trimming)."""
    if not isinstance(text, str | int) or isinstance(text, bool):
        return None
    text = str(text).strip() if isinstance(text, str) else text
    if isinstance(text, int):
        return text if abs(text) < 10**digits else None
    return int(text) if re.fullmatch(rf"[0-9]{{1,{digits}}}", text) else None


def lone_surrogate(value: Any, depth: int = 0) -> str | None:
    """The first lone surrogate (U+D800-U+DFFF) in a string or inside lists and mappings."""
    if depth > MAX_NESTING:
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            return value[error.start]
        return None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        for item in value:
            if found := lone_surrogate(item, depth + 1):
                return found
    return None
