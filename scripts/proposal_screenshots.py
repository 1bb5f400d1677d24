"""Screenshots of the one-stop shop at desktop and phone widths, into ``docs/screenshots/``:
the proposal form, the reviewers' queue, a proposal with its channelling, and a partner page.

Builds a throw-away library from the shipped corpus, adds a few fictional proposals (one
screened and assigned) and an old screening, serves it on a free local port and photographs
each page with headless Chromium: ``python scripts/proposal_screenshots.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from screenshots import VIEWPORTS, build_library  # beside this script

from kmsearch.access import ANONYMOUS, Viewer
from kmsearch.config import PROJECT_ROOT
from kmsearch.library import Library
from kmsearch.store.screenings import save_screening
from kmsearch.web import create_app
from kmsearch.workflow.screening import Facts, screening_row

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from live import chromium, live_server  # noqa: E402  (test helper shared with the browser tests)

MAX_HEIGHT = {("proposal", "1280"): 1500, ("proposal", "390"): 2600}
REVIEWER = Viewer("rita", frozenset({"reviewer"}))
SHORT = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no"}
PROPOSALS = [
    ("Veltra Tyres GmbH", "business", "Germany", "Winter tyre safety campaign for delivery riders",
     "We would like to fund a road safety awareness campaign on winter tyres and safe riding for "
     "delivery riders on scooters and motorcycles, with road safety authorities.", "8000"),
    ("Nordwald Sawmills AB", "business", "Sweden", "Sawmill data for timber market forecasts",
     "Sawmill and panel producers offer production and price data for forest products market "
     "statistics and the annual timber market forecast.", ""),
    ("Paydex Payments S.A.", "business", "Luxembourg", "Card payment data for consumption "
     "statistics", "Aggregated card transaction data by region and retail category, to nowcast "
     "household consumption and improve price indices.", ""),
]


def add_proposals(library: Library) -> str:
    """Fictional proposals; the first screened and assigned. Returns its reference."""
    references = []
    for organisation, kind, country, title, description, amount in PROPOSALS:
        proposal, _ = library.proposals.submit(ANONYMOUS, {
            "organisation": organisation, "partner_type": kind, "country": country,
            "contact_name": "A. Contact", "contact_email": "contact@example.com", "title": title,
            "description": description, "contribution_kind": "financial" if amount else "none",
            "amount": amount, "currency": "EUR"})
        references.append(proposal.reference)
    library.proposals.screen(REVIEWER, references[0], "simplified", SHORT, "Small and low risk")
    library.proposals.assign(REVIEWER, references[0], "transport", "Road safety")
    old = screening_row(
        library.due_diligence, subject_type="case", subject_id="road-safety-campaign-sponsorship",
        division="transport", facts=Facts("Veltra Tyres", "business", amount=60000),
        path="full", answers=SHORT | {"litigation": "no", "global-compact": "yes",
                                      "governance": "yes"},
        author="rita", when=datetime(2023, 3, 1, 9, 30, tzinfo=UTC))
    save_screening(library.store, old)
    return references[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmsearch-proposal-screenshots-") as tmp:
        library = Library(build_library(Path(tmp)))
        reference = add_proposals(library)
        app = create_app({"TRUST_USER_HEADER": True, "TRUST_ROLE_HEADERS": True},
                         library=library)
        pages = {"form": ("/propose", {}), "queue": ("/proposals", REVIEWER),
                 "proposal": (f"/proposals/{reference}", REVIEWER),
                 "partner": ("/partners/veltra-tyres", REVIEWER)}
        with live_server(app) as base, chromium() as browser:
            for label, (width, height) in VIEWPORTS.items():
                for name, (path, viewer) in pages.items():
                    headers = {"X-Remote-User": viewer.username,
                               "X-Remote-Roles": ",".join(viewer.roles)} if viewer else {}
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  extra_http_headers=headers)
                    page = context.new_page()
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        raise SystemExit(f"{path} answered {response and response.status}")
                    target = args.out / f"proposals-{name}-{label}.png"
                    tall = page.evaluate("document.documentElement.scrollHeight")
                    # the proposal page is long: its top (channelling, lessons) tells the story
                    cap = MAX_HEIGHT.get((name, label), tall)
                    page.screenshot(path=str(target), full_page=True,
                                    clip={"x": 0, "y": 0, "width": width,
                                          "height": min(tall, cap)})
                    print(target)
                    context.close()
        library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
