"""Screenshots of the main web pages at desktop and phone widths, into ``docs/screenshots/``.

Builds a throw-away library from the shipped corpus, serves it on a free local port and photographs
each page with headless Chromium, as the local demo shows it (staff, no account) and, for the
contribution form, signed in as a contributor: ``python scripts/screenshots.py [--out DIR]``.
Each picture is cut to its first screens and saved with a 256-colour palette to stay small.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image

from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.library import Library
from kmsearch.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from live import chromium, live_server  # noqa: E402  (test helper shared with the browser tests)

CONTRIBUTOR = {"X-Remote-User": "cora", "X-Remote-Roles": "contributor",
               "X-Remote-Divisions": "transport"}
# name -> (path, who asks: None for the demo's default viewer, else identity headers)
PAGES = {
    "home": ("/", None),
    "search": ("/search?q=data+sharing&division=transport&division=statistics", None),
    "good-practices": ("/good-practices", None),
    "case": ("/cases/cefact-garment-traceability", None),
    "recommendation": ("/recommendations/private-sector-2021/6", None),
    "contribute": ("/contribute/new", CONTRIBUTOR),
}
VIEWPORTS = {"1280": (1280, 800), "390": (390, 844)}
MAX_HEIGHT = {"1280": 1700, "390": 2600}  # the first screens tell the story; keep files small
STORY = {
    "Title": "Crash data from a vehicle manufacturers' association",
    "Summary": "A vehicle manufacturers' association shared anonymised crash data with road "
               "safety authorities, to improve vehicle regulations.",
    "The story, in Markdown": "## Context\n\nRoad safety regulations needed real crash data. "
                              "The association shared anonymised data from its members.\n\n"
                              "## Results\n\nTwo vehicle regulations were amended.",
}


def build_library(directory: Path) -> Settings:
    """Ingest the shipped corpus into a fresh database and build its indexes."""
    settings = Settings.from_env(db_path=directory / "kmsearch.db", index_dir=directory / "indexes")
    report = Library(settings).ingest()  # the corpus into the database, then the indexes
    if not report.ok:
        raise SystemExit("\n".join(str(problem) for problem in report.problems))
    return settings


def prepare(page, name: str) -> None:
    """Bring a page to the state worth showing: a group of good practices open, the
    contribution form written and its links suggested."""
    if name == "good-practices":
        page.locator("details.practice-group > summary").first.click()
    elif name == "contribute":
        for label, text in STORY.items():
            page.get_by_label(label).fill(text)
        page.get_by_role("button", name="Suggest links from the text").click()
        page.wait_for_load_state()
        page.evaluate("window.scrollTo(0, 0)")


def photograph(page, target: Path, width: int, label: str) -> None:
    """The page's top, up to MAX_HEIGHT, as a palette PNG."""
    tall = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(target), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": min(tall, MAX_HEIGHT[label])})
    with Image.open(target) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(target, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-screenshots-") as tmp:
        app = create_app({"SETTINGS": build_library(Path(tmp)), "DEFAULT_VIEWER": "staff",
                          "TRUST_USER_HEADER": True, "TRUST_ROLE_HEADERS": True})
        with live_server(app) as base, chromium() as browser:
            for label, (width, height) in VIEWPORTS.items():
                for name, (path, headers) in PAGES.items():
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  extra_http_headers=headers or {})
                    page = context.new_page()
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        status = response.status if response else "no response"
                        raise SystemExit(f"{path} answered {status}; no screenshot taken")
                    prepare(page, name)
                    target = args.out / f"pages-{name}-{label}.png"
                    photograph(page, target, width, label)
                    print(target.relative_to(PROJECT_ROOT) if target.is_relative_to(PROJECT_ROOT)
                          else target)
                    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
