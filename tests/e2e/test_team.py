"""In a real browser, a team on one workspace: sign-in, lock-out, reload, sign-out, what a clerk and a supervisor
each see, the audit trail naming them, the proxy header, and batch runs from another process beside the open app."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest

from cashbook.formats import camt
from cashbook.formats.base import ParsedPayment
from cashbook.service import Workspace
from tests.e2e.conftest import serve, wait_idle

pytestmark = pytest.mark.e2e

PASSWORDS = {"ada": "admin-pass-1", "alice": "clerk-pass-1", "cleo": "clerk-pass-2", "sam": "super-pass-1"}
CLI = [shutil.which("cashbook")] if shutil.which("cashbook") else [sys.executable, "-m", "cashbook.cli.main"]


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory):
    """A demo workspace with a team (ada admin, alice and cleo clerks, sam supervisor, batch the scheduled job)."""
    from cashbook.demo import write_demo

    folder = tmp_path_factory.mktemp("team")
    write_demo(folder, user="demo", match=False)
    db = folder / "cashbook.duckdb"
    with Workspace.open(db, user="ada") as ws:
        ws.users.add("ada", "admin", PASSWORDS["ada"])
    with Workspace.open(db, user="ada") as ws:
        for name, role in (("alice", "clerk"), ("cleo", "clerk"), ("sam", "supervisor")):
            ws.users.add(name, role, PASSWORDS[name])
        ws.users.add("batch", "clerk")
    with serve(db) as url:
        yield url, db


@pytest.fixture
def context(browser):
    """A browser context that records every request leaving this computer."""
    made = []

    def new(**options):
        ctx = browser.new_context(viewport={"width": 1600, "height": 1400}, **options)
        ctx.outside = []
        ctx.on("request", lambda r: ctx.outside.append(r.url)
               if urlparse(r.url).hostname not in ("127.0.0.1", "localhost", None) and
               not r.url.startswith(("data:", "blob:")) else None)
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        ctx.close()


def open_page(ctx, url: str):
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_idle(page)
    return page


def sign_in(page, name: str, password: str) -> None:
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)


def nav_links(page) -> list[str]:
    """The page titles in the sidebar's navigation (each link's last line; the icon's name comes first)."""
    return [t.strip().splitlines()[-1] for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]


def test_clerk_and_supervisor_each_see_their_own_and_the_audit_names_them(team, context, tmp_path) -> None:
    url, db = team
    clerk = context()
    page = open_page(clerk, url)
    page.get_by_role("button", name="Sign in").wait_for()  # the first run may not have drawn when the page is idle
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert not page.locator("[data-testid='stSidebarNav']").count()  # nothing but the form
    sign_in(page, "alice", PASSWORDS["alice"])
    page.get_by_text("Signed in as").wait_for()
    assert "alice" in page.locator("[data-testid='stSidebar']").inner_text()
    links = nav_links(page)
    assert "Cash allocation" in links and "Postings export" not in links
    page.get_by_role("button", name="Run matching").click()
    wait_idle(page)
    page.get_by_text(re.compile("matched .* receipts")).first.wait_for()
    page.screenshot(path=str(tmp_path / "clerk.png"), full_page=True)
    page.goto(f"{url}/hierarchies")
    wait_idle(page)
    page.get_by_text("Changing a group needs the supervisor role.").wait_for()

    page.reload()  # the cookie keeps her signed in
    wait_idle(page)
    page.get_by_text("Signed in as").wait_for()
    assert page.get_by_role("button", name="Sign in").count() == 0

    supervisor = context()
    page2 = open_page(supervisor, url)
    sign_in(page2, "sam", PASSWORDS["sam"])
    page2.get_by_text("Signed in as").wait_for()
    assert "Postings export" in nav_links(page2)
    page2.goto(f"{url}/postings")
    wait_idle(page2)
    page2.get_by_role("button", name="Export postings").click()
    wait_idle(page2)
    page2.get_by_role("button", name=re.compile(r"^Download postings_\d+")).wait_for()
    page2.goto(f"{url}/hierarchies")
    wait_idle(page2)
    assert page2.get_by_text("Changing a group needs the supervisor role.").count() == 0
    page2.screenshot(path=str(tmp_path / "supervisor.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()  # alice signs out: the form again, also after a reload
    wait_idle(page)
    page.get_by_role("button", name="Sign in").wait_for()
    page.reload()
    wait_idle(page)
    page.get_by_role("button", name="Sign in").wait_for()

    with Workspace.open(db, user="ada") as ws:
        applied_by = {r[0] for r in ws.db.rows("SELECT DISTINCT created_by FROM allocation_entry")}
        exported_by = {r[0] for r in ws.db.rows("SELECT exported_by FROM posting_export")}
        events = [(e["name"], e["action"]) for e in ws.users.events()]
    assert applied_by == {"alice"} and exported_by == {"sam"}
    assert ("alice", "signed_in") in events and ("sam", "signed_in") in events and ("alice", "signed_out") in events
    assert clerk.outside == [] and supervisor.outside == []  # no fonts, icons or statistics from the internet


def test_five_wrong_passwords_lock_the_name_in_the_browser(team, context) -> None:
    url, _ = team
    page = open_page(context(), url)
    for attempt in range(5):
        sign_in(page, "cleo", f"guess-{attempt}")
    page.get_by_text(re.compile("cleo is locked for 15 minutes")).wait_for()
    sign_in(page, "cleo", PASSWORDS["cleo"])
    page.get_by_text(re.compile("locked until")).wait_for()
    assert page.get_by_text("Signed in as").count() == 0


def _remittance(path: Path, refs: list[str]) -> None:
    payments = [ParsedPayment("bank", ref, date.today(), Decimal("123.45"), "GBP", payer_name="Batch Test Payer Ltd",
                              payer_account="GB00BATCH0000000001") for ref in refs]
    path.write_bytes(camt.render(payments))


def test_batch_runs_beside_the_open_app(team, context, tmp_path) -> None:
    url, db = team
    page = open_page(context(), url)
    sign_in(page, "alice", PASSWORDS["alice"])
    page.get_by_text("Signed in as").wait_for()
    box = page.get_by_role("textbox", name="Search", exact=True)
    box.fill("BATCH-E2E-1")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text(re.compile("BATCH-E2E-1")).first.wait_for()  # not found yet
    assert page.get_by_text(re.compile(r"^Receipt #\d+ · ")).count() == 0

    # a scheduled job, in another process, while alice's session is open
    file = tmp_path / "overnight.xml"
    _remittance(file, ["BATCH-E2E-1", "BATCH-E2E-2"])
    env = {**os.environ, "CASHBOOK_DB": str(db), "CASHBOOK_USER": "batch"}
    took, said = [], []
    for args in (["import", "remittance", str(file)], ["match"]):
        started = time.monotonic()
        done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)
        took.append(time.monotonic() - started)
        assert done.returncode == 0, done.stderr
        assert "busy" not in done.stderr.lower()
        said.append(done.stdout)
    assert "2 new receipts" in said[0] and "matched" in said[1]

    # without anyone touching the page, it redraws with the batch's results
    page.get_by_text(re.compile(r"Updated: cashbook match by batch finished")).wait_for(timeout=30_000)
    box = page.get_by_role("textbox", name="Search", exact=True)
    box.fill("BATCH-E2E-2")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text(re.compile(r"^Receipt #\d+ · ")).first.wait_for()
    with Workspace.open(db, user="ada") as ws:
        made_by = ws.db.rows("SELECT imported_by FROM import_batch WHERE file_name = 'overnight.xml'")
    assert made_by == [("batch",)]
    print(f"batch commands beside the open app took {took[0]:.1f} s (import) and {took[1]:.1f} s (match)")


def test_the_app_says_whose_batch_run_it_waits_for(team, context) -> None:
    url, db = team
    page = open_page(context(), url)
    sign_in(page, "alice", PASSWORDS["alice"])
    page.get_by_text("Signed in as").wait_for()
    page.get_by_label("Payer, customer or reference").fill("some text she typed")
    with Workspace.open(db, user="batch", batch="import remittance"):  # what the CLI does for a run
        page.get_by_text(re.compile(r"Batch run: cashbook import remittance by batch since")).wait_for(timeout=30_000)
        page.get_by_role("button", name="Run matching").click()  # her click waits for the batch run
        page.get_by_text(re.compile(r"Batch run in progress: cashbook import remittance by batch")).wait_for()
        time.sleep(2)
    wait_idle(page)
    page.get_by_text(re.compile("matched .* receipts|nothing to match")).first.wait_for()
    assert page.get_by_label("Payer, customer or reference").input_value() == "some text she typed"


def test_the_trusted_proxy_header_signs_the_user_in(team, context) -> None:
    url, db = team
    with Workspace.open(db, user="ada") as ws:
        ws.set_setting("auth_header", "X-Forwarded-User")
    try:
        page = open_page(context(extra_http_headers={"X-Forwarded-User": "sam"}), url)
        page.get_by_text("Signed in as").wait_for()
        assert "sam" in page.locator("[data-testid='stSidebar']").inner_text()
        assert page.get_by_role("button", name="Sign in").count() == 0
        stranger = open_page(context(extra_http_headers={"X-Forwarded-User": "mallory"}), url)
        stranger.get_by_text(re.compile("'mallory' is not an active user")).wait_for()
    finally:
        with Workspace.open(db, user="ada") as ws:
            ws.set_setting("auth_header", "")
