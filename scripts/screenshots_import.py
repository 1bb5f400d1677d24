"""Screenshots of migrating a register from the web: an upload's progress page while it runs,
its report, and the review queue with a whole import waiting, into ``docs/screenshots/``.

    python scripts/screenshots_import.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from pathlib import Path

import yaml

from kmsearch.config import PROJECT_ROOT
from kmsearch.files.mapping import check_mapping
from kmsearch.files.sheets import read_rows
from kmsearch.web import create_app

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from live import chromium, live_server  # noqa: E402  (test helpers shared with the browser tests)
from register import MAPPING, write_register  # noqa: E402
from screenshots import build_library  # noqa: E402

CONTRIBUTOR = {"X-Remote-User": "tina", "X-Remote-Roles": "contributor",
               "X-Remote-Divisions": "trade"}
REVIEWER = {"X-Remote-User": "rita", "X-Remote-Roles": "reviewer"}


def sheet(rows: int, prefix: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "division", "partners", "sdgs", "status", "summary", "body"])
    for n in range(1, rows + 1):
        writer.writerow([f"{prefix}-{n}", f"Grain corridor data exchange {n}", "Trade",
                         f"Grain Traders Association {n} (industry-association)", "2; 17.11",
                         "active", "Traders shared shipment data along the corridor.",
                         "## Context\n\nShipment data shared by traders. " * 4])
    return out.getvalue().encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-screenshots-") as tmp:
        settings = build_library(Path(tmp))
        app = create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                          "TRUST_ROLE_HEADERS": True, "SESSION_COOKIE_SECURE": False})
        library = app.extensions["kmsearch"]
        register = write_register(Path(tmp) / "register.xlsx", rows=40)
        header, rows = read_rows(register)
        mapping = check_mapping(yaml.safe_load(MAPPING), header, library.taxonomy, "mapping")
        library.import_sheet(register, mapping, rows, source="import:register", index=False)
        with live_server(app) as base, chromium() as browser:
            for width, height in ((1280, 800), (390, 844)):
                context = browser.new_context(viewport={"width": width, "height": height},
                                              extra_http_headers=CONTRIBUTOR)
                page = context.new_page()
                page.goto(base + "/contribute/upload")
                csv_file = Path(tmp) / f"grain-{width}.csv"
                csv_file.write_bytes(sheet(600, f"grain-{width}"))
                page.set_input_files("#files", str(csv_file))
                page.click("form.upload-form button[type=submit]")
                page.wait_for_selector("progress")
                page.wait_for_timeout(1500)
                shot(page, args.out / f"import-progress-{width}.png")
                page.wait_for_selector("text=Upload done", timeout=180_000)
                shot(page, args.out / f"import-report-{width}.png")
                context.close()
                context = browser.new_context(viewport={"width": width, "height": height},
                                              extra_http_headers=REVIEWER)
                page = context.new_page()
                page.goto(base + "/review")
                shot(page, args.out / f"import-review-{width}.png")
                context.close()
    return 0


def shot(page, target: Path) -> None:
    page.screenshot(path=str(target), full_page=False)
    print(target.relative_to(PROJECT_ROOT) if target.is_relative_to(PROJECT_ROOT) else target)


if __name__ == "__main__":
    sys.exit(main())
