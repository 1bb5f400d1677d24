"""Progress bars for the command line: one bar per stage, with counts and the time left."""

from __future__ import annotations

import sys
from typing import Any

import click


class StageBars:
    """``progress(stage, done, total)`` drawn as one click progress bar per stage, in turn."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}
        self._open: Any = None

    def update(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            self._close()
            bar = self._bars[stage] = click.progressbar(
                length=max(total, 1), label=f"{stage:<14}", file=sys.stderr, show_pos=True,
                show_eta=True)
            bar.__enter__()
            self._open = bar
        if total and bar.length != total:
            bar.length = total
        bar.update(max(0, done - bar.pos))

    def _close(self) -> None:
        if self._open is not None:
            self._open.__exit__(None, None, None)
            self._open = None

    def __enter__(self) -> StageBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()
