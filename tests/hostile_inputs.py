"""Hostile inputs the tests share: the corpus files that crashed the validator (issue 16), the
YAML alias bomb and the .xlsx zip bomb (issue 11), and the Hypothesis settings of the
fuzzing tests: derandomized, no example database, no deadline, so every CI run is the same."""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from contribution_library import xlsx_bytes
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
GOOD_ID = "vehicle-event-data-road-safety"
GOOD = (ROOT / "corpus" / "cases" / f"{GOOD_ID}.md").read_text(encoding="utf-8")
HUGE = "9" * 5000  # more digits than Python converts (4,300) by default

# name -> (field to replace, the YAML line that replaces it): each crashed `kmsearch validate`.
CRASHING_FIELDS = {
    "impossible-month": ("end_year", "end_year: 2019-13-01"),
    "impossible-day": ("start_year", "start_year: 2019-02-30"),
    "year-zero": ("end_year", "end_year: 0000-01-01"),
    "impossible-hour": ("end_year", "end_year: 2019-01-01 25:00:00"),
    "long-integer": ("budget", f"budget: {HUGE}"),
    "empty-hex": ("foo", "foo: 0x_"),
    "bad-int-tag": ("start_year", "start_year: !!int 'abc'"),
    "bad-float-tag": ("sdgs", "sdgs: [!!float 'x']"),
    "bad-bool-tag": ("good_practice", "good_practice: !!bool maybe"),
    "bad-timestamp-tag": ("end_year", "end_year: !!timestamp 'nope'"),
    "quoted-long-year": ("start_year", f'start_year: "{HUGE}"'),
    "long-sdg": ("sdgs", f'sdgs: ["{HUGE}"]'),
    "long-hex-flag": ("good_practice", "good_practice: 0x" + "f" * 5000),
    "date-keyed-mapping": ("visibility", "visibility: {2019-01-01: x}"),
    "deep-extra": ("nested", "nested: " + "[" * 491 + "]" * 491),
}

# An eight-level alias bomb (~330 bytes): 9**8 = 43 million strings if every alias is followed.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9 if previous else ['x'] * 9)}]\n"
    for previous, name in zip(["", *"abcdefg"], "abcdefgh", strict=True)
)


def note_text(case_id: str, field_name: str | None = None, line: str | None = None) -> str:
    """The good corpus note under ``case_id``, with ``field_name``'s line replaced by ``line``."""
    text = GOOD.replace(f"id: {GOOD_ID}", f"id: {case_id}", 1)
    if field_name is None:
        return text
    head, body = text[4:].split("\n---\n", 1)
    kept = [row for row in head.split("\n") if not row.startswith(f"{field_name}:")]
    return "---\n" + "\n".join([*kept, line]) + "\n---\n" + body


def alias_bomb_note(case_id: str = "alias-bomb") -> str:
    return note_text(case_id, "bomb", "bomb:\n" + re.sub("(?m)^", "  ", ALIAS_BOMB).rstrip())


def xlsx_bomb(unpacked_mb: int = 64) -> bytes:
    """A real workbook whose sheet XML inflates to ``unpacked_mb`` MB of empty rows."""
    plain = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["title", "division"], ["A", "trade"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in plain.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, plain.read(item))
                continue
            sheet = plain.read(item).decode()
            head, tail = sheet.split("<sheetData>", 1)
            with bomb.open(item.filename, "w") as member:
                member.write((head + "<sheetData>").encode())
                chunk = b"<row><c t='inlineStr'><is><t>x</t></is></c></row>" * 20_000
                for _ in range(unpacked_mb * 2**20 // len(chunk)):
                    member.write(chunk)
                member.write(tail.encode())
    return out.getvalue()


@dataclass
class Cost:
    """Seconds and peak traced bytes of each call measured, and the slowest case."""

    runs: int = 0
    slowest: float = 0.0
    slowest_case: str = ""
    peak: int = 0
    traced: int = 0
    cases: list = field(default_factory=list)


@contextmanager
def measured(cost: Cost, case: object, seconds: float, megabytes: float, every: int = 5):
    """Run the block once, then assert it took under ``seconds``; one run in ``every`` is
    traced (tracemalloc slows Python several times) and must peak under ``megabytes``."""
    traced = cost.runs % every == 0
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        if traced:
            tracemalloc.stop()
    cost.runs += 1
    cost.traced += traced
    cost.peak = max(cost.peak, peak)
    if elapsed > cost.slowest:
        cost.slowest, cost.slowest_case = elapsed, repr(case)[:120]
    assert elapsed < seconds, f"{elapsed:.2f} s for {case!r:.200}"
    assert peak < megabytes * 2**20, f"{peak / 2**20:.1f} MB for {case!r:.200}"


# Every fuzzing test: the same examples on every run (derandomize), no example database
# written into the work tree, no per-example deadline (timing is asserted by `measured`).
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def report_line(config, line: str) -> None:
    """Print ``line`` in pytest's terminal output, outside the output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


def fuzz(examples: int) -> settings:
    """The fuzzing settings with ``examples`` generated inputs."""
    return settings(FUZZ, max_examples=examples)
