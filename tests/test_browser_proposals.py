"""Headless Chromium against a live server: an anonymous visitor proposes a partnership and gets a
reference; a reviewer sees it in the queue with a suggested division, similar cases and an
earlier engagement with the same partner, screens it low risk with the simplified checklist and
assigns it; the division's focal point accepts it and edits the draft case note it became; the
proposer's status page says "accepted" and nothing internal. Plus axe-core on every page."""

import re

import pytest
from live import chromium_path, live_server, sign_in
from test_browser import AXE, VIEWPORTS, serious_violations
from test_browser_contribute import PASSWORD
from web_library import watch_errors

from kmsearch.library import Library
from kmsearch.web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]
TITLE = "Winter tyre safety campaign for delivery riders"
INTERNAL_COMMENT = "Checked with the legal office, fine"


@pytest.fixture(scope="module")
def base_url(library_copy):
    settings = library_copy("browser-proposals")
    library = Library(settings)
    for name, roles, divisions in (("rita", ["reviewer"], []),
                                   ("tom", ["contributor"], ["transport"])):
        library.accounts.add(name, PASSWORD, roles=roles, divisions=divisions)
    library.close()
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "browser-proposal-secret",
                      "SESSION_COOKIE_SECURE": False})
    with live_server(app) as url:
        yield url


def new_page(context):
    return watch_errors(context.new_page())


def propose(page, base_url) -> tuple[str, str]:
    page.goto(f"{base_url}/propose")
    # "Veltra Tyres" in the shipped corpus, spelt with a legal form
    page.get_by_label("Organisation", exact=True).fill("Veltra Tyres GmbH")
    page.get_by_label("Type of organisation").select_option("business")
    page.get_by_label("Country").fill("Germany")
    page.get_by_label("Contact person").fill("Lena Vogt")
    page.get_by_label("Contact e-mail").fill("lena.vogt@example.com")
    page.get_by_label("Title of the proposal").fill(TITLE)
    page.get_by_label("What you propose").fill(
        "We would like to fund a road safety awareness campaign on winter tyres and safe "
        "riding for delivery riders on scooters and motorcycles, with road safety authorities.")
    page.get_by_label("Intended outcomes").fill("Fewer winter crashes among delivery riders.")
    page.get_by_label("Contribution you offer").select_option("financial")
    page.get_by_label("Amount or value").fill("8000")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_load_state()
    reference = page.locator("#reference").inner_text()
    token = page.locator("#token").inner_text()
    return reference, token


def test_a_proposal_goes_from_the_public_form_to_an_edited_draft_case_note(browser, base_url):
    visitor = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = new_page(visitor)
    reference, token = propose(page, base_url)
    assert re.fullmatch(r"P-\d{4}-[A-Z2-9]{6}", reference) and len(token) > 20
    assert TITLE not in page.content()  # nothing the visitor wrote is shown back

    staff = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = new_page(staff)
    sign_in(page, base_url, "rita", PASSWORD, "/proposals")
    item = page.locator(".proposal-item", has_text=TITLE)
    assert "suggested: Transport" in item.inner_text()
    item.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/proposals/{reference}")
    assert page.locator("#suggested-divisions li").first.locator("strong").inner_text() \
        == "Transport"
    assert page.locator("#similar-cases li").count() >= 3
    earlier = page.locator("#earlier-engagement")
    assert earlier.locator("a").get_attribute("href") == "/partners/veltra-tyres"
    assert "1 case note" in earlier.inner_text()
    assert "Tyre company sponsorship" in page.locator("#earlier").locator("..").inner_text()

    page.get_by_role("link", name="Screen this proposal").click()
    assert page.get_by_role("heading", name="Simplified checklist for low-risk engagements") \
        .is_visible()
    page.get_by_role("group", name=re.compile("confirmed that it has no activity")) \
        .get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("controversies")).get_by_label("No").check()
    page.get_by_role("group", name=re.compile("commercial advantage")).get_by_label("No").check()
    page.get_by_label("Comment").fill(INTERNAL_COMMENT)
    page.get_by_role("button", name="Record the screening").click()
    page.wait_for_url("**?done=screened")
    screenings = page.locator("#screenings").inner_text()
    assert "Low risk" in screenings and "simplified:no-flags" in screenings
    assert page.get_by_label("Assign to division").input_value() == "transport"
    page.locator("#assign-comment").fill("Road safety: Transport")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url("**?done=assigned")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    sign_in(page, base_url, "tom", PASSWORD, "/proposals")
    page.locator(".proposal-item", has_text=TITLE).get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Accept and create a draft case note").click()
    page.wait_for_url("**?done=accepted")
    page.get_by_role("link", name="Edit the draft case note").click()
    assert page.get_by_label("Title").input_value() == TITLE
    assert page.locator("#division").input_value() == "transport"
    assert page.get_by_label("Partner 1 name").input_value() == "Veltra Tyres GmbH"
    page.get_by_label("Summary").fill("A tyre maker funds a winter safety campaign for riders.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit?saved=2")
    assert "Saved as revision 2" in page.locator("[role=status]").first.inner_text()
    assert page.errors == []
    staff.close()

    page = new_page(visitor)
    page.goto(f"{base_url}/propose/status")
    page.get_by_label("Reference number").fill(reference)
    page.get_by_label("Secret token").fill(token)
    page.get_by_role("button", name="Show the status").click()
    assert page.locator("#proposal-state").inner_text() == "accepted"
    text = page.locator("main").inner_text()
    for internal in (INTERNAL_COMMENT, "Road safety: Transport", "rita", "tom", "Transport",
                     "Low risk", TITLE, "Veltra"):
        assert internal not in text
    assert page.errors == []
    visitor.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_proposal_and_partner_pages_pass_axe_and_fit_a_phone(browser, base_url, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (see package.json)")
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = new_page(context)
    reference, _ = propose(page, base_url)
    found = {"done": serious_violations(page)}
    sign_in(page, base_url, "rita", PASSWORD, "/proposals")
    paths = {"form": "/propose", "status": "/propose/status", "queue": "/proposals",
             "proposal": f"/proposals/{reference}", "screen": f"/proposals/{reference}/screen",
             "partners": "/partners", "partner": "/partners/veltra-tyres",
             "case screening": "/cases/road-safety-campaign-sponsorship/screening"}
    for name, path in paths.items():
        page.goto(base_url + path)
        found[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        found[name] += [f"{overflow}px sideways scrolling"] if overflow > 0 else []
    assert found == dict.fromkeys(["done", *paths], [])
    assert page.errors == []
    context.close()
