"""Screenshots of the document features at desktop and phone widths, into ``docs/screenshots/``:
a case note with attached files, a search hit on page 3 of a PDF, and the printable brief.

    .venv/bin/python scripts/screenshots_documents.py [--out docs/screenshots]

Builds a throw-away library from the shipped corpus, attaches two made-up documents (fpdf2 and
python-docx, from the dev extra) and photographs the pages with headless Chromium.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

from kmsearch.access import staff
from kmsearch.config import PROJECT_ROOT
from kmsearch.library import Library
from kmsearch.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from live import chromium, live_server  # noqa: E402  (test helper shared with the browser tests)
from screenshots import build_library  # noqa: E402

CASE = "cefact-garment-traceability"
REPORT_PAGES = [
    "Final report of the traceability pilot\n\nThis report sums up three years of work with "
    "brands, suppliers and standards bodies on traceability for garment and footwear.",
    "Method\n\nThe pilot followed cotton, leather and synthetic fibres from the farm or plant "
    "to the retailer, using the UN/CEFACT data model and a shared ledger.",
    "Findings\n\nCotton ginning records were the weakest link: most gins kept paper ledgers, "
    "so the pilot funded tablets and a simple form. Once ginning records were digital, a bale "
    "could be traced to its farm group within a day instead of three weeks.",
]
MINUTES = ["Steering committee, 14 March 2021: the committee approved the second pilot wave "
           "and asked the secretariat to publish the call for brands."]
PAGES = {
    "case": f"/cases/{CASE}",
    "search": "/search?q=cotton+ginning+records",
    "brief": f"/cases/{CASE}/brief",
}
VIEWPORTS = {"1280": (1280, 800), "390": (390, 844)}


def report_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=11)
    for text in REPORT_PAGES:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def minutes_docx() -> bytes:
    from docx import Document

    document = Document()
    for text in MINUTES:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-screenshots-") as tmp:
        settings = build_library(Path(tmp))
        library = Library(settings)
        service, reviewer = library.contributions, staff("pmu", "reviewer")
        service.attach(reviewer, CASE, "traceability-final-report.pdf", report_pdf())
        service.attach(reviewer, CASE, "steering-committee-minutes.docx", minutes_docx())
        library.search.indexes.flush()
        library.store.close()
        app = create_app({"SETTINGS": settings, "DEFAULT_VIEWER": "staff"})
        with live_server(app) as base, chromium() as browser:
            for label, (width, height) in VIEWPORTS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in PAGES.items():
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        status = response.status if response else "no response"
                        raise SystemExit(f"{path} answered {status}; no screenshot taken")
                    if name == "case":
                        page.locator("#attachments-heading").scroll_into_view_if_needed()
                    if name == "search":
                        page.locator(".hit").first.scroll_into_view_if_needed()
                    target = args.out / f"documents-{name}-{label}.png"
                    page.screenshot(path=str(target), full_page=name == "brief")
                    print(target.relative_to(PROJECT_ROOT) if target.is_relative_to(PROJECT_ROOT)
                          else target)
                page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
