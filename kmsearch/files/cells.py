"""Spreadsheet cells that cannot run: OWASP's rule against CSV and formula injection on the way
out, and its exact inverse on the way back in, so exported values round-trip unchanged."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet could take for a formula (starting with ``= + - @``, tab or carriage
    return) gets a leading single quote; so does one already starting with a quote, so that
    ``spreadsheet_value`` can tell the two apart."""
    if value.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + value
    return value


def spreadsheet_value(cell: str) -> str:
    """The value ``spreadsheet_safe`` protected: one leading quote removed where it stands
    before a formula character or another quote; any other cell is returned as it is."""
    if cell.startswith(QUOTE) and cell[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return cell[1:]
    return cell
