"""The app on a big workspace: every page's first draw in a real browser, against a bare Streamlit page.

A clerk opens a page and waits until it has drawn. This benchmark starts `streamlit run app.py` on a
workspace, opens each page in headless Chromium (a fresh browser session each time, so nothing is
cached in the session) and, as a clerk does all day, switches to each page from the sidebar of an
open session; it times until the page's title is on screen and Streamlit reports the script run
finished. The baseline, measured in the same run on the same machine, is a bare two-page Streamlit
app served and driven the same way: the ratio says what Cashbook's own work costs on top of
Streamlit's. The target is absolute: every page switched to in under 1 s. A fresh session's open
also loads Streamlit's scripts into the browser, which alone takes about a second here.

    python bench/bench_app.py --scale tiny                 # builds a small matched workspace first
    python bench/bench_app.py --scale full                 # 100,000 receipts, ~1.5M open items (slow to build)
    python bench/bench_app.py --workspace path/to.duckdb   # any workspace you have

The workspace is built by bench/bench_match.py's prepare and match stages (standard world).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
USER = "Bench Clerk"
TARGET_SECONDS = 1.0
# (url path, the title the page draws first): the app's pages, as app.py routes them.
PAGES = [("", "Cash allocation"), ("exceptions", "Exceptions"), ("credits", "Credit centre"),
         ("account", "Customer account"), ("postings", "Postings export"), ("import", "Import"),
         ("hierarchies", "Hierarchies"), ("dashboard", "Dashboard")]
# The baseline: a bare two-page Streamlit app, opened and switched the same way.
BASELINE_APP = """import streamlit as st

def first():
    st.title("Baseline")

def second():
    st.title("Baseline two")

st.navigation([st.Page(first, title="Baseline", default=True),
               st.Page(second, title="Baseline two", url_path="two")]).run()
"""
BASELINE_PAGES = [("", "Baseline"), ("two", "Baseline two")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(script: Path, env_extra: dict[str, str], log_path: Path) -> Iterator[str]:
    """``streamlit run script`` headless on a free port; the URL once its health check answers."""
    port = _free_port()
    env = {**os.environ, **env_extra}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                                 "--server.port", str(port), "--server.fileWatcherType", "none",
                                 "--browser.gatherUsageStats", "false"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the app did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def first_draw(browser, url: str, title: str) -> float:  # noqa: ANN001 - a Playwright Browser
    """Seconds from navigation, in a fresh session, until ``title`` shows and the script run has finished."""
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(300_000)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.get_by_role("heading", name=title).first.wait_for()
        page.wait_for_selector("[data-test-script-state='notRunning']")
        seconds = time.perf_counter() - start
        errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
        if errors.count():
            raise SystemExit(f"{url} drew an error: {errors.first.inner_text()[:500]}")
        return seconds
    finally:
        context.close()


def switches(browser, url: str, pages: list[tuple[str, str]], repeat: int) -> dict[str, list[float]]:  # noqa: ANN001
    """A clerk's day: the app is open and she clicks from page to page in the sidebar. Seconds from the click
    until the next page's title shows and its script run has finished, ``repeat`` rounds over every page."""
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(300_000)
    times: dict[str, list[float]] = {path: [] for path, _ in pages}
    try:
        page.goto(f"{url}/{pages[-1][0]}")
        page.get_by_role("heading", name=pages[-1][1]).first.wait_for()
        page.wait_for_selector("[data-test-script-state='notRunning']")
        for _ in range(repeat):
            for path, title in pages:
                link = page.locator("[data-testid='stSidebarNavLink']").filter(has_text=title).first
                start = time.perf_counter()
                link.click()
                page.get_by_role("heading", name=title).first.wait_for()
                page.wait_for_selector("[data-test-script-state='notRunning']")
                times[path].append(time.perf_counter() - start)
    finally:
        context.close()
    return times


def opens(browser, url: str, pages: list[tuple[str, str]], repeat: int) -> dict[str, list[float]]:  # noqa: ANN001
    """Each page opened by its address in a fresh session ``repeat`` times, interleaved so that a noisy
    moment hits every page alike."""
    times: dict[str, list[float]] = {path: [] for path, _ in pages}
    for _ in range(repeat):
        for path, title in pages:
            times[path].append(first_draw(browser, f"{url}/{path}", title))
    return times


def build_workspace(scale: str, folder: Path) -> Path:
    """A matched workspace of the standard world at ``scale``, by bench_match's own prepare and match stages."""
    world = folder / "standard"
    world.mkdir(parents=True, exist_ok=True)
    for stage in ("prepare", "match"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_match.py"), "--stage", stage, "--dir", str(world),
                        "--scale", scale, "--conventions", "standard", "--in-process"], check=True)
    matched = world / "matched.duckdb"
    if not matched.exists():
        raise SystemExit(f"bench_match wrote no matched workspace at {matched}")
    return matched


def workspace_size(db: Path) -> str:
    """The workspace's counts, read by the `cashbook status` command as a user would."""
    result = subprocess.run(["cashbook", "--db", str(db), "status", "--json"], capture_output=True, text=True,
                            check=True)
    status = json.loads(result.stdout)
    return f"{status['customers']:,} customers, {status['open_items']:,} open items, {status['payments']:,} payments"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=None, help="an existing workspace to open")
    parser.add_argument("--scale", choices=("tiny", "small", "mid", "full"), default="tiny",
                        help="build a matched workspace of this scale when --workspace is not given")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the workspace (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=3, help="draws of each page; the median is reported")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a test dependency, only for this benchmark

    folder = args.dir or Path(tempfile.mkdtemp(prefix="cashbook-bench-app-"))
    db = args.workspace or build_workspace(args.scale, folder)
    print(f"workspace {db}: {workspace_size(db)}")
    baseline_script = folder / "baseline_app.py"
    baseline_script.write_text(BASELINE_APP)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with serve(baseline_script, {}, folder / "baseline.log") as url:
                first_draw(browser, url, "Baseline")  # the server's first run compiles; not counted
                bare_open = statistics.median(opens(browser, url, BASELINE_PAGES[:1], args.repeat)[""])
                bare_switch = statistics.median(sum(switches(browser, url, BASELINE_PAGES, args.repeat).values(), []))
            with serve(ROOT / "app.py", {"CASHBOOK_DB": str(db), "CASHBOOK_USER": USER}, folder / "app.log") as url:
                first_draw(browser, url, PAGES[0][1])  # warms the server's imports once, like a clerk's first page
                opened = opens(browser, url, PAGES, args.repeat)
                switched = switches(browser, url, PAGES, args.repeat)
        finally:
            browser.close()
    print(f"baseline, a bare two-page Streamlit app: opened in a fresh session {bare_open:.2f}s, "
          f"switched to in the sidebar {bare_switch:.2f}s (medians of {args.repeat})")
    print(f"{'page':<18} {'opened':>8} {'x bare':>7} {'switched':>9} {'max':>6} {'x bare':>7}  "
          f"target: switched < {TARGET_SECONDS:.0f}s")
    worst = 0.0
    for path, title in PAGES:
        cold, warm, top = (statistics.median(opened[path]), statistics.median(switched[path]), max(switched[path]))
        worst = max(worst, warm)
        print(f"{title:<18} {cold:7.2f}s {cold / bare_open:6.1f}x {warm:8.2f}s {top:5.2f}s {warm / bare_switch:6.1f}x  "
              f"{'PASS' if warm < TARGET_SECONDS else 'FAIL'}")
    print(f"slowest page switched to: {worst:.2f}s; "
          f"{'every page under' if worst < TARGET_SECONDS else 'NOT every page under'} {TARGET_SECONDS:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
