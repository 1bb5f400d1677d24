"""Screenshots of the main pages at desktop and phone widths, into ``screenshots/``.

Builds a throw-away library from the shipped corpus, serves it on a free local port and photographs
each page with headless Chromium: ``python scripts/screenshots.py [--out screenshots]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.library import Library
from kmsearch.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from live import chromium, live_server  # noqa: E402  (test helper shared with the browser tests)

PAGES = {
    "home": "/",
    "results": "/search?q=sharing+data+with+vehicle+manufacturers",
    "case": "/cases/cefact-garment-traceability",
    "recommendation": "/recommendations/private-sector-2021/6",
    "good-practices": "/good-practices",
}
VIEWPORTS = {"1280": (1280, 800), "390": (390, 844)}


def build_library(directory: Path) -> Settings:
    """Ingest the shipped corpus into a fresh database and build its indexes."""
    settings = Settings.from_env(db_path=directory / "kmsearch.db", index_dir=directory / "indexes")
    report = Library(settings).ingest()  # the corpus into the database, then the indexes
    if not report.ok:
        raise SystemExit("\n".join(str(problem) for problem in report.problems))
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-screenshots-") as tmp:
        app = create_app({"SETTINGS": build_library(Path(tmp)), "DEFAULT_VIEWER": "staff"})
        with live_server(app) as base, chromium() as browser:
            for label, (width, height) in VIEWPORTS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in PAGES.items():
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        status = response.status if response else "no response"
                        raise SystemExit(f"{path} answered {status}; no screenshot taken")
                    target = args.out / f"{name}-{label}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target.relative_to(PROJECT_ROOT) if target.is_relative_to(PROJECT_ROOT)
                          else target)
                page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
