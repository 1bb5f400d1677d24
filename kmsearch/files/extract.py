"""Text extraction with a budget: each file is read in a separate process with a time limit and
a memory cap, so a corrupt, encrypted, scanned or hostile file is reported, never a crash."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

from .readers import Unreadable, read_pages

MAX_MEMORY = 1024 * 1024 * 1024  # address space of the reading process
NOT_SEARCHABLE = "kept as a file, not searchable"


@dataclass(frozen=True)
class Extraction:
    """The text of each page read, how many pages the file has, and what went wrong if anything."""

    pages: list[str]
    total: int
    message: str = ""
    seconds: float = 0.0

    @property
    def searchable(self) -> bool:
        return any(page.strip() for page in self.pages)


def extract(kind: str, data: bytes, *, max_pages: int, seconds: float,
            unsafe: str = "") -> Extraction:
    """Read the text of ``data`` (of type ``kind``) page by page, within ``seconds``."""
    started = time.monotonic()
    if unsafe:
        return Extraction([], 0, f"{unsafe}; {NOT_SEARCHABLE}")
    if kind == "pdf" and b"%%EOF" not in data:  # told without opening it: no reader needed
        return Extraction([], 0, f"a damaged PDF (it has no end-of-file mark: cut short?); "
                          f"{NOT_SEARCHABLE}")
    try:
        if kind in ("md", "txt"):
            pages, total = read_pages(kind, data, max_pages)
        else:
            pages, total = _in_worker(kind, data, max_pages, seconds)
    except Unreadable as error:
        return Extraction([], 0, f"{error}; {NOT_SEARCHABLE}", time.monotonic() - started)
    elapsed = time.monotonic() - started
    found = Extraction(pages, total, seconds=elapsed)
    if not found.searchable:
        unit = "page" if kind in ("pdf", "docx") else "part"
        what = "no text layer (a scanned image?)" if kind == "pdf" else f"no text on any {unit}"
        return Extraction(pages, total, f"{what}; not searchable", elapsed)
    if total > len(pages):
        message = f"only the first {len(pages)} of {total} pages are searchable"
        return Extraction(pages, total, message, elapsed)
    return found


def _in_worker(kind: str, data: bytes, max_pages: int, seconds: float) -> tuple[list[str], int]:
    command = [sys.executable, "-m", "kmsearch.files.readers", kind, str(max_pages),
               str(MAX_MEMORY)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=seconds,
                              check=False)
    except subprocess.TimeoutExpired as error:
        raise Unreadable(f"reading its text took longer than {seconds:g} s") from error
    try:
        answer = json.loads(done.stdout or b"{}")
    except ValueError:
        answer = {}
    if done.returncode != 0 or not answer:
        reason = "ran out of memory" if b"MemoryError" in done.stderr else "failed"
        raise Unreadable(f"reading its text {reason}")
    if "error" in answer:
        raise Unreadable(answer["error"])
    return [str(page) for page in answer["pages"]], int(answer["total"])
