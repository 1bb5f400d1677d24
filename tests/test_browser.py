"""Headless Chromium against a live server: a search session end to end, no console errors,
and axe-core accessibility checks on the main pages."""

import contextlib

import pytest
from live import VIEWPORTS, chromium_path, live_server
from web_library import make_app

from kmsearch.config import PROJECT_ROOT
from kmsearch.errors import Conflict
from kmsearch.library import Library

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium is not installed (/usr/bin/chromium); on Debian: apt-get install chromium",
    ),
]

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "/",
    "results": "/search?q=data+sharing&division=transport",
    "empty results": "/search?q=zzyzx&mode=keyword",
    "grouped results": "/search?q=hydrogen&expand=hydrogen-industry-task-force",
    "query notes": "/search?q=the+and+of+*tion",
    "case": "/cases/cefact-garment-traceability",
    "lesson": "/lessons/cefact-garment-traceability--1",
    "recommendation": "/recommendations/private-sector-2021/6",
    "recommendations": "/recommendations",
    "good practices": "/good-practices",
    "nexus area": "/nexus/smart-cities",
    "SDG list": "/sdgs",
    "not found": "/cases/no-such-note",
    "bad request": "/search?page=-1",
    "sign in": "/login",
}


@pytest.fixture(scope="module")
def base_url(web_settings):
    app = make_app(web_settings, DEFAULT_VIEWER="staff")
    with live_server(app) as url:
        yield url


def test_search_facet_case_recommendation_and_back(page, base_url):
    page.goto(base_url + "/")
    page.get_by_label("Search case notes and lessons").fill("traceability")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=traceability*")
    assert "results for" in page.locator("#results-heading").inner_text()

    page.locator(".facet a", has_text="Trade").first.click()
    page.wait_for_url("**division=trade*")
    chip = page.locator("a.chip", has_text="Division: Trade")
    assert chip.is_visible()
    divisions = page.locator(".hit .meta span:first-child").all_inner_texts()
    assert divisions and set(divisions) == {"Trade"}

    chip.click()
    page.wait_for_load_state()
    assert "division=" not in page.url
    assert page.locator("a.chip").count() == 0

    page.locator(".hit-case .hit-title a").first.click()
    page.wait_for_url("**/cases/*")
    title = page.locator("h1").inner_text()

    page.locator(".facts a[href^='/recommendations/']").first.click()
    page.wait_for_url("**/recommendations/private-sector-2021/*")
    assert page.locator("h1").inner_text().startswith("Recommendation ")
    assert page.get_by_role("link", name=title).count() >= 1  # the case is listed as linked

    page.go_back()
    page.wait_for_url("**/cases/*")
    assert page.locator("h1").inner_text() == title
    assert page.errors == []


def test_pages_work_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    page.get_by_label("Search case notes and lessons").fill("road safety")
    page.get_by_label("Search mode").select_option("keyword")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**mode=keyword*")
    assert page.locator(".hit").count() > 0
    page.locator("details.facet summary", has_text="Status").click()
    context.close()


def test_keyboard_focus_is_visible_and_the_skip_link_comes_first(page, base_url):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {text: el.textContent.trim(), outline: style.outlineStyle, top: box.top};
    }""")
    assert focused["text"] == "Skip to main content"
    assert focused["outline"] != "none" and focused["top"] >= 0
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_or_critical_violations(page, base_url, name, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` in {PROJECT_ROOT} (see package.json)")
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(base_url + PAGES[name])
    assert serious_violations(page) == []
    assert page.errors == [] or name in ("not found", "bad request")



@pytest.mark.parametrize("name", PAGES)
def test_pages_fit_a_phone_screen_without_sideways_scrolling(page, base_url, name):
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(base_url + PAGES[name])
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, plus heading order and labels."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # not a script tag, which the CSP refuses
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical") or v["id"] in ("heading-order", "label")
    ]


@pytest.fixture(scope="module")
def browser_account(web_settings):
    """A contributor account in the shared library, for signing in through the form."""
    library = Library(web_settings)
    with contextlib.suppress(Conflict):
        library.accounts.add("browser-cora",
                          "a browser test passphrase", roles=["contributor"],
                          divisions=["trade"])
    library.close()
    return "browser-cora", "a browser test passphrase"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_and_out_through_the_header(page, base_url, browser_account, viewport):
    username, password = browser_account
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(base_url + "/recommendations")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/recommendations")
    assert "browser-cora (contributor)" in page.locator(".site-nav").inner_text()
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert page.errors == []
