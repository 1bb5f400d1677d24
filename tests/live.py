"""Run the application in a background thread and drive it with headless Chromium.

Used by the browser tests and ``scripts/screenshots.py``; Playwright is a dev dependency and is
imported only when a browser is launched.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> Path | None:
    """The system Chromium (Debian's ``chromium``), or None when it is not installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


@contextmanager
def live_server(app: Flask, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` with waitress on a free port of ``host``; yields the base URL."""
    from waitress.server import create_server

    server = create_server(app, host=host, port=0, threads=4)
    thread = threading.Thread(target=server.run, name="kmsearch-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser from the system, driven by Playwright (nothing downloaded)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError("Chromium is not installed; on Debian: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def new_page(browser: Any, viewport: str = "desktop", javascript: bool = True) -> Any:
    """A page in a fresh context (no cookies), recording console errors in ``page.errors``."""
    from web_library import watch_errors

    context = browser.new_context(viewport=VIEWPORTS[viewport], java_script_enabled=javascript)
    return watch_errors(context.new_page())


def sign_in(page: Any, base_url: str, username: str, password: str, next_path: str) -> None:
    """Sign in through the form and wait to land on ``next_path``."""
    page.goto(f"{base_url}/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")
