"""Screenshots of the monitoring dashboard and the follow-up pages at 1280 and 390 px, into
``docs/screenshots/monitoring-*.png``, with "today" fixed at 2026-11-30.

Builds a throw-away database from the shipped corpus (no search index is needed), records some
follow-up (a key action on recommendation 5 with two dated updates, two recommendations done)
and some review activity, serves it on a free local port and photographs each page signed in as
a reviewer. With ``--report`` it also writes the DOCX report for 2025 and, when LibreOffice and
pdftoppm are installed, a PNG of its first pages:

    python scripts/monitoring_screenshots.py [--out docs/screenshots] [--report]
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from kmsearch.access import staff
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.ingest import ingest
from kmsearch.library import Library
from kmsearch.store import accounts
from kmsearch.web import create_app

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from live import chromium, live_server  # noqa: E402  (test helper shared with the browser tests)

PASSWORD = "screenshots only passphrase"
REVIEWER = staff("rita", "reviewer")
PAGES = {
    "dashboard": "/monitoring",
    "recommendation": "/recommendations/private-sector-2021/5",
    "recommendations": "/recommendations",
    "overdue": "/monitoring/actions?overdue=1",
}
VIEWPORTS = {"1280": (1280, 900), "390": (390, 844)}
TALLEST = {"1280": 1750, "390": 2600}  # the top of long pages, to keep each file small


def build(directory: Path) -> Settings:
    settings = Settings.from_env(environ={}, db_path=directory / "kmsearch.db",
                                 index_dir=directory / "indexes", today="2026-11-30")
    library = Library(settings)
    report = ingest(library.store, settings.corpus_dir, library.taxonomy,
                    default_evaluation=settings.default_evaluation)
    if not report.ok:
        raise SystemExit("\n".join(str(p) for p in report.problems))
    accounts.add_user(library.store, library.taxonomy, "rita", PASSWORD, roles=["reviewer"])
    monitoring = library.monitoring
    rec5 = "private-sector-2021/5"
    action = monitoring.add_action(REVIEWER, rec5, {
        "text": "Publish due diligence guidance for low-risk engagements and small "
                "financial contributions", "responsible_unit": "Programme Management Unit",
        "due_date": "2027-03-31", "status": "not-started"})
    monitoring.add_update(REVIEWER, rec5, action.id, {
        "date": "2026-10-15", "text": "Draft guidance circulated to the divisions.",
        "status": "in-progress", "evidence_url": "https://unece.org/partnerships"})
    monitoring.add_update(REVIEWER, rec5, action.id, {
        "date": "2026-11-20", "text": "Comments of five divisions integrated.",
        "evidence_case_id": "road-safety-campaign-sponsorship"})
    for number in (4, 6):
        rec_id = f"private-sector-2021/{number}"
        first = monitoring.followup.actions(rec_id)[0]
        monitoring.add_update(REVIEWER, rec_id, first.id, {
            "date": "2026-11-25", "text": "Delivered; see the partnerships report.",
            "status": "completed", "evidence_url": "https://unece.org/excom"})
    store = library.store
    reviewed = {
        "road-safety-campaign-sponsorship": ("draft", "submitted", "published"),
        "cefact-garment-traceability": ("draft", "submitted", "draft", "submitted", "published"),
    }
    for case_id, steps in reviewed.items():
        for state in steps:
            store.save_case(store.get_case(case_id).note, author="rita", state=state)  # no search
    store.close()
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    parser.add_argument("--report", action="store_true", help="also picture the DOCX report")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-monitoring-shots-") as tmp:
        settings = build(Path(tmp))
        app = create_app({"SETTINGS": settings, "SECRET_KEY": "screenshots-secret-key",
                          "SESSION_COOKIE_SECURE": False})
        with live_server(app) as base, chromium() as browser:
            for label, (width, height) in VIEWPORTS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(f"{base}/login?next=/monitoring")
                page.get_by_label("Username").fill("rita")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/monitoring")
                for name, path in PAGES.items():
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        raise SystemExit(f"{path} answered {response and response.status}")
                    if name == "recommendation":
                        for summary in page.locator(".key-action details summary").all()[-2:-1]:
                            summary.click()
                    target = args.out / f"monitoring-{name}-{label}.png"
                    tall = page.evaluate("document.documentElement.scrollHeight")
                    clip = {"x": 0, "y": 0, "width": width, "height": min(tall, TALLEST[label])}
                    page.screenshot(path=str(target), full_page=True, clip=clip)
                    print(target, target.stat().st_size // 1024, "KB")
                context.close()
        if args.report:
            picture_report(settings, args.out, Path(tmp))
    return 0


def picture_report(settings: Settings, out: Path, tmp: Path) -> None:
    """The 2025 DOCX report, converted to PDF by LibreOffice and its first pages to PNG."""
    library = Library(settings)
    monitoring = library.monitoring
    filters = monitoring.read_filters({"year_from": ["2025"], "year_to": ["2025"]})
    docx = tmp / "partnerships-report-2025.docx"
    docx.write_bytes(monitoring.report(REVIEWER, filters, "docx"))
    office, pdftoppm = shutil.which("libreoffice") or shutil.which("soffice"), \
        shutil.which("pdftoppm")
    if not (office and pdftoppm):
        raise SystemExit("LibreOffice and pdftoppm are needed for the report picture: "
                         "apt-get install libreoffice-writer-nogui poppler-utils")
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp),
                    str(docx)], check=True, capture_output=True, timeout=300)
    pages = tmp / "page"
    subprocess.run([pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "3", str(docx.with_suffix(
        ".pdf")), str(pages)], check=True, timeout=120)
    images = sorted(tmp.glob("page-*.png"))
    tags = "".join(f'<img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
                   for p in images)
    target = out / "monitoring-report-docx.png"
    with chromium() as browser:  # lays the pages side by side on a grey sheet
        page = browser.new_page(viewport={"width": 400, "height": 300})
        page.set_content("<body style='margin:0;background:#c8cdd4'><div style='display:flex;"
                         f"gap:16px;padding:16px;width:max-content'>{tags}</div></body>")
        page.locator("div").screenshot(path=str(target))
    print(target, target.stat().st_size // 1024, "KB")
    library.store.close()


if __name__ == "__main__":
    raise SystemExit(main())
