"""Screenshots of the app's main pages for the README: a fresh demo workspace, matched, in headless Chromium.

Run from the repository root: ``python scripts/screenshots.py`` (writes docs/screenshots/*.png).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(db: Path, user: str = "Demo Clerk") -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CASHBOOK_DB": str(db), "CASHBOOK_USER": user}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                             "--server.port", str(port), "--server.fileWatcherType", "none",
                             "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the app did not start within 60 seconds")


def wait_idle(page) -> None:
    """Until Streamlit has finished running the script (the status widget disappears)."""
    page.wait_for_timeout(800)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=60_000)
    page.wait_for_timeout(700)


def main() -> None:
    from cashbook.demo import write_demo
    from cashbook.service import Workspace

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        write_demo(folder, user="demo")
        db = Path(folder) / "cashbook.duckdb"
        with Workspace.open(db, user="Demo Clerk") as ws:
            ws.matching.run()
            waiting = ws.matching.proposals(status="suggested")
            receipt = waiting[0].receipt_id if waiting else 1
        proc, url = start_app(db)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1600, "height": 2000})
                page.goto(url)
                wait_idle(page)
                page.get_by_label("Search").fill(f"#{receipt}")
                page.keyboard.press("Enter")
                wait_idle(page)
                page.screenshot(path=str(OUT / "cash_allocation.png"), full_page=True)
                for name in ("dashboard", "hierarchies", "import", "exceptions", "credits", "account", "postings"):
                    page.goto(f"{url}/{name}")
                    wait_idle(page)
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
