"""Untrusted values seen safely: shown in messages at bounded length, and checked for depth,
size, outsize numbers and unpaired surrogates before any validator touches them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..limits import MAX_NESTING, MAX_NUMBER_DIGITS, MAX_VALUES, lone_surrogate


def show(value: Any) -> str:
    """A value as the message shows it: JSON-like, so strings are quoted and lists bracketed."""
    shown = json.dumps(_preview(value), ensure_ascii=False, default=str)
    return shown if len(shown) <= 80 else shown[:79] + "…"


_HUGE = 10**MAX_NUMBER_DIGITS


def _preview(value: Any, depth: int = 0) -> Any:
    """Enough of a value to show: any key or number, a few items, no unpaired surrogate."""
    if depth > 3:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:10]
        return {str(_preview(k, depth + 1)): _preview(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple | set | frozenset):
        return [_preview(v, depth + 1) for v in list(value)[:10]]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _HUGE:
        return f"a number of more than {MAX_NUMBER_DIGITS} digits"
    if isinstance(value, str):
        return value[:100].encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return value if value is None or isinstance(value, int | float) else str(value)[:100]


def bounded(data: dict[Any, Any], report: Callable[[str, str], None]) -> dict[Any, Any]:
    """The fields, those nesting too deep or holding an outsize number or an unpaired surrogate
    reported (``report(field, message)``) and left out, so that no later check trips on them."""
    kept = {}
    for key, value in data.items():
        problem = _oversize(key) or _oversize(value)
        if problem:
            report(str(_preview(key)), problem)
        else:
            kept[key] = value
    return kept


def _oversize(value: Any) -> str | None:
    stack, seen = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if depth > MAX_NESTING:
            return f"values nested more than {MAX_NESTING} levels deep (limit {MAX_NESTING})"
        if seen > MAX_VALUES:
            return f"more than {MAX_VALUES:,} values (limit {MAX_VALUES:,})"
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= _HUGE:
            return (f"expected a number of at most {MAX_NUMBER_DIGITS} digits (limit "
                    f"{MAX_NUMBER_DIGITS}), found a longer one")
        if isinstance(item, str) and (bad := lone_surrogate(item)):
            return f"expected text, found the unpaired surrogate U+{ord(bad):04X}; remove it"
        if isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend((part, depth + 1) for part in item)
    return None
