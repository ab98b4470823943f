"""A real Streamlit server on a fresh demo workspace, and headless Chromium driving it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
USER = "Eve Clerk"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(db: Path, **env_extra: str) -> Iterator[str]:
    """``streamlit run app.py`` on the workspace ``db`` (from the repository, with its .streamlit config);
    the URL once /_stcore/health answers."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    port = _free_port()
    env = {**os.environ, "CASHBOOK_DB": str(db), **env_extra}
    log_path = db.parent / f"streamlit-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.headless", "true", "--server.port", str(port), "--server.fileWatcherType", "none",
                             "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def serve_app(folder: Path) -> Iterator[str]:
    """The app on the workspace in ``folder`` for the one clerk USER (a workspace without users)."""
    with serve(folder / "cashbook.duckdb", CASHBOOK_USER=USER) as url:
        yield url


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    """The app on a fresh demo workspace (no users: one clerk, named by CASHBOOK_USER)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from cashbook.demo import write_demo

    folder = tmp_path_factory.mktemp("e2e")
    write_demo(folder, user="demo", match=False)  # the clerk runs matching in the browser
    with serve(folder / "cashbook.duckdb", CASHBOOK_USER=USER) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def wait_idle(page) -> None:
    """Until Streamlit has finished the script run the last action started."""
    page.wait_for_timeout(600)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=120_000)
    page.wait_for_timeout(400)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of the page when a browser test fails (in the test's tmp_path)."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if report.when == "call" and report.failed else None
    tmp = item.funcargs.get("tmp_path")
    if page is not None and tmp is not None:
        try:
            page.screenshot(path=str(tmp / "failure.png"), full_page=True)
            report.sections.append(("screenshot", str(tmp / "failure.png")))
        except Exception:  # noqa: BLE001 - a screenshot is a courtesy; the failure itself is reported
            pass
