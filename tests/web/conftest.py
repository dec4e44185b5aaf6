"""What the browser tests share: Debian's chromium, and a live server for an app.

Like PostgreSQL and Redis, a missing chromium or Playwright skips only when
HMIS_REQUIRE_SERVICES is unset; CI sets it, so there the browser tests fail instead.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..conftest import _service_missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HTMX = Path(__file__).resolve().parents[2] / "platform" / "hmis" / "web" / "static" / "vendor" / "htmx.min.js"


@contextmanager
def serving(app):
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    if not HTMX.exists():
        pytest.fail(f"{HTMX} is missing: run `npm ci && python scripts/vendor_assets.py`")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _service_missing("Playwright", str(exc))
    if not Path(CHROMIUM).exists():
        _service_missing("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


PASSWORD = "correct horse battery"


def sign_in(page, base: str, email: str = "staff@example.org", password: str = PASSWORD, *,
            start: str = "/sign-in") -> None:
    """Sign ``page`` in through the sign-in form, as a person would (two-factor is off in tests).

    ``start`` is where the person was going: a page that sends them to sign in first, and
    back there afterwards (the home page when they open the sign-in page itself).
    """
    page.goto(base + start)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + ("/" if start == "/sign-in" else start))
