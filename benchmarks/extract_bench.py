"""Text extraction speed: pages a second for PDF, Word, Excel and PowerPoint files, read the way
an upload reads them (a worker process with a time budget), and the cost of a cached re-read.

    .venv/bin/python benchmarks/extract_bench.py [--pages 50] [--runs 7]

Needs the dev extra (fpdf2 writes the PDFs, with the tests' document makers). Prints median
and p95 over the runs.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kmsearch.config import Settings
from kmsearch.files.attachments import Attachments
from kmsearch.files.extract import extract
from kmsearch.store.cases import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from documents import docx_with_pages, pdf_with_pages  # noqa: E402  (the tests' document makers)

WORDS = ("partnership", "standard", "traceability", "customs", "emissions", "road", "safety",
         "data", "sharing", "forest", "housing", "energy", "methane", "statistics", "vehicle",
         "supplier", "audit", "results", "pilot", "division", "agreement", "annex", "budget")


def page_text(rng: random.Random, words: int = 450) -> str:
    """About one printed page of plausible words (450 words, ~3,000 characters)."""
    sentences, count = [], 0
    while count < words:
        length = rng.randint(8, 20)
        sentence = " ".join(rng.choice(WORDS) for _ in range(length))
        sentences.append(sentence.capitalize() + ".")
        count += length
    return " ".join(sentences)


def make_xlsx(pages: list[str]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for number, text in enumerate(pages, 1):
        sheet = book.create_sheet(f"Sheet {number}")
        words = text.split()
        for row in range(0, len(words), 6):
            sheet.append(words[row:row + 6])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_pptx(pages: list[str]) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for text in pages:
        slide = deck.slides.add_slide(deck.slide_layouts[6])
        slide.shapes.add_textbox(Inches(0.5), Inches(0.5), Inches(9), Inches(6)).text_frame.text = \
            text
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


MAKERS = {"pdf": pdf_with_pages, "docx": docx_with_pages, "xlsx": make_xlsx, "pptx": make_pptx}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50, help="pages (sheets, slides) a file")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    texts = [page_text(rng) for _ in range(args.pages)]
    print(f"{args.pages} pages of ~{len(texts[0]):,} characters a file, {args.runs} runs, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    rows = []
    for kind, make in MAKERS.items():
        data = make(texts)
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = extract(kind, data, max_pages=10_000, seconds=600)
            seconds.append(time.perf_counter() - started)
            assert found.searchable and len(found.pages) == args.pages, found.message
        median, p95 = statistics.median(seconds), percentile(seconds, 0.95)
        rows.append((kind, f"{len(data) / 1024:,.0f} KB", f"{median:.2f}", f"{p95:.2f}",
                     f"{args.pages / median:,.0f}", f"{args.pages / p95:,.0f}"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=Path(tmp) / "kmsearch.db")
        attachments = Attachments(Store(settings.db_path), settings)
        data = pdf_with_pages(texts)
        attachments.add("first.pdf", data)
        cached = []
        for _ in range(args.runs):
            started = time.perf_counter()
            attachments.add("again.pdf", data)
            cached.append(time.perf_counter() - started)
    headers = ("type", "size", "median s", "p95 s", "pages/s (median)", "pages/s (p95)")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    median, p95 = statistics.median(cached) * 1000, percentile(cached, 0.95) * 1000
    print(f"cached re-attach of the same PDF (hash, no extraction): median {median:.1f} ms, "
          f"p95 {p95:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
