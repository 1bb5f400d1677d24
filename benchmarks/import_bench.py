"""Import speed: a generated register of N rows imported into a fresh library, then published
as a whole import and searchable; prints rows a second, per-row time and time to searchable.

    python benchmarks/import_bench.py --rows 1000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from kmsearch.access import staff
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.mapping import check_mapping
from kmsearch.files.sheets import read_rows
from kmsearch.library import Library
from kmsearch.search.request import SearchRequest

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from register import MAPPING, write_register  # noqa: E402  (the tests' register generator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kmsearch-import-bench-") as scratch:
        folder = Path(scratch)
        settings = Settings.from_env(db_path=folder / "kmsearch.db", index_dir=folder / "indexes")
        library = Library(settings)
        library.ingest()
        sheet = write_register(folder / "register.xlsx", rows=args.rows)
        header, rows = read_rows(sheet)
        mapping = check_mapping(yaml.safe_load(MAPPING), header, library.taxonomy, "mapping")
        stamps = [time.perf_counter()]

        def tick(*_: object) -> None:
            stamps.append(time.perf_counter())

        report = library.import_sheet(sheet, mapping, rows, source="import:register",
                                      author="bench", index=False, progress=tick)
        imported = stamps[-1] - stamps[0]
        again_start = time.perf_counter()
        _, rows = read_rows(sheet)
        again = library.import_sheet(sheet, mapping, rows, source="import:register",
                                     author="bench", index=False)
        again_seconds = time.perf_counter() - again_start
        start = time.perf_counter()
        reviewer = staff("bench", "reviewer")
        done = library.review_many(reviewer, "publish-import",
                                   library.waiting_from(reviewer, "import:register"))
        searchable = time.perf_counter() - start
        request = SearchRequest("clean water rural schools", "keyword", group=False)
        hits = library.search.search(request).total
        per_row = [(b - a) * 1000 for a, b in zip(stamps, stamps[1:], strict=False)]
        per_row.sort()
        p95 = per_row[int(0.95 * (len(per_row) - 1))]
        print(f"rows: {report.rows}, imported: {len(report.created)}, "
              f"reported: {len(report.problems)}")
        print(f"import: {imported:.1f} s, {report.rows / imported:.0f} rows/s; per row median "
              f"{statistics.median(per_row):.1f} ms, p95 {p95:.1f} ms")
        print(f"second import of the same sheet: {again_seconds:.1f} s, "
              f"{len(again.unchanged)} unchanged, {len(again.created) + len(again.updated)} saved")
        print(f"publish the whole import and index it (embedding included): {searchable:.1f} s "
              f"for {len(done.done)} notes; a keyword search then finds {hits}")


if __name__ == "__main__":
    main()
