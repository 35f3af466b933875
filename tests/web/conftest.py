"""Browser tests of the web console: one live server and one Chromium per test module, data committed for real.

The server is the app on a threaded loopback HTTP server with its own engine (no shared test transaction: the
browser makes requests in parallel) on the run's database and Redis DB, so what a module creates is committed; the
module's fixture deletes it
afterwards (every row with an id above the one each table had before: the module makes nothing keyed otherwise) and
empties its Redis DB.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
import redis
from sqlalchemy import Integer, func, select, text
from werkzeug.serving import make_server

from service import create_app
from service.models import Base
from service.settings import Settings

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (360, 1366)
LOGIN_MAX_FAILURES = 3  # per username and address: the throttle test needs few attempts


def _snapshot(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            for table in Base.metadata.sorted_tables
            if "id" in table.c and isinstance(table.c.id.type, Integer)
        }


def _clean(engine, before: dict[str, int]) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in before:
                conn.execute(table.delete().where(table.c.id > before[table.name]))
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA optimize"))


@pytest.fixture(scope="module")
def web_app(engine, database_url, redis_url, tmp_path_factory):
    """The app with committed data, cleaned up after the module."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    settings = dataclasses.replace(
        Settings.from_env({"APP_ENV": "test"}),
        database_url=database_url,
        redis_url=redis_url,
        login_max_failures=LOGIN_MAX_FAILURES,
        login_max_failures_per_address=1000,
        storage_dir=tmp_path_factory.mktemp("web-media"),
    )
    application = create_app(settings)
    before = _snapshot(engine)
    yield application
    application.extensions["sambang"].db.engine.dispose()
    _clean(engine, before)
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def web_db(web_app):
    """A session factory of the app's own: what tests create through it is committed for the server to see."""
    return web_app.extensions["sambang"].db.session


@pytest.fixture(scope="module")
def base_url(web_app):
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.exit("chromium is missing: apt-get install chromium", returncode=3)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        instance = playwright.chromium.launch(executable_path=executable, args=args)
        yield instance
        instance.close()


@pytest.fixture
def context(browser, base_url):
    """A fresh browser profile (its own cookies) per test."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


def assert_accessible(page) -> None:
    """axe-core, injected into the page, finds no serious or critical violation in it as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        # Evaluated by the browser's debugging protocol, which the page's CSP (no inline scripts) does not govern.
        page.evaluate(_axe_source() + "\n;true")
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}));
        }"""
    )
    assert violations == [], f"{page.url}: {json.dumps(violations, indent=1)}"


def assert_fits(page) -> None:
    """No horizontal scrolling at a phone's width nor at an office desktop's."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{page.url} at {width} px: the document is {scroll} px wide"
    page.set_viewport_size({"width": 1366, "height": 900})


def sign_in(page, username: str, password: str) -> None:
    page.goto("/app/masuk")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.form button[type=submit]")


SCREENS = ((1366, 1000, ""), (360, 780, "-360"))  # (width, height, the file name's suffix): a desk, a phone


def screenshot(page, name: str, screens=SCREENS) -> None:
    """Into $SCREENSHOT_DIR (the README's pictures) when it is set: what a desk's screen and a phone show first."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for width, height, suffix in screens:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(Path(folder) / f"{name}{suffix}.png"))
        page.set_viewport_size({"width": 1366, "height": 900})
