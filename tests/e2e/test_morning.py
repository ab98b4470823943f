"""In a real browser, a clerk's morning: find who paid a document, accept two proposals at once, apply a
partial payment by hand, decide suggestions in Excel and upload them back.

With CASHBOOK_SCREENSHOTS=1 the pages it passes are also saved to docs/screenshots/.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.conftest import ROOT, need_chromium, serve_app, wait_idle

pytestmark = pytest.mark.e2e
SHOTS = ROOT / "docs" / "screenshots"


@dataclass(frozen=True)
class Morning:
    """What the workspace holds this morning, found before the app opens it (one process holds the file)."""

    url: str
    paid_doc: str  # a document exactly one receipt paid
    paid_by: int
    paid_ref: str
    pair_receipt: int  # a receipt with two or more document suggestions
    partial_receipt: int  # a receipt with cash left, its payer known
    partial_doc: str  # an open invoice of that payer's group with more open than we apply
    partial_amount: Decimal
    accept_pid: int  # a suggestion the clerk accepts in Excel: its document (if any) still has its amount open
    reject_pid: int  # a document suggestion of another receipt, rejected in Excel


@pytest.fixture(scope="module")
def morning(tmp_path_factory: pytest.TempPathFactory):
    need_chromium()
    from cashbook.db.matching_sql import proposal_now_sql
    from cashbook.demo import write_demo
    from cashbook.service import Workspace

    folder = tmp_path_factory.mktemp("morning")
    write_demo(folder, user="batch")  # the overnight batch has matched
    with Workspace.open(folder / "cashbook.duckdb", user="setup") as ws:
        doc, rid, ref = ws.db.one(
            "SELECT e.doc_no, e.receipt_id, r.payment_ref FROM allocation_entry e JOIN receipt r USING (receipt_id) "
            "WHERE e.kind = 'document' AND e.doc_no IN (SELECT doc_no FROM allocation_entry WHERE kind = 'document' "
            "GROUP BY doc_no HAVING count(DISTINCT receipt_id) = 1) AND e.doc_no NOT IN (SELECT doc_no FROM proposal "
            "WHERE receipt_id <> e.receipt_id AND doc_no IS NOT NULL) AND e.doc_no NOT IN (SELECT reference FROM "
            "remittance_line WHERE receipt_id <> e.receipt_id) AND r.payment_ref IS NOT NULL ORDER BY e.entry_id LIMIT 1")
        pair = ws.db.scalar(f"SELECT receipt_id FROM ({proposal_now_sql()}) WHERE status_now = 'suggested' "
                            "AND kind = 'document' GROUP BY receipt_id HAVING count(*) >= 2 ORDER BY receipt_id LIMIT 1")
        partial, customer = ws.db.one(
            f"SELECT p.receipt_id, r.payer_customer_no FROM ({proposal_now_sql()}) p JOIN receipt r USING (receipt_id) "
            "WHERE p.status_now = 'suggested' AND r.payer_customer_no IS NOT NULL "
            "AND p.receipt_id <> ? ORDER BY p.kind = 'on_account' DESC, p.receipt_id LIMIT 1", [pair])
        item = ws.db.scalar("SELECT doc_no FROM open_item WHERE list_contains(?, customer_no) AND doc_type = 'INV' "
                            "AND status = 'open' "
                            "AND open_amount > 500 AND doc_no NOT IN (SELECT doc_no FROM allocation_entry "
                            "WHERE doc_no IS NOT NULL) AND doc_no NOT IN (SELECT doc_no FROM proposal "
                            "WHERE doc_no IS NOT NULL) ORDER BY doc_no LIMIT 1", [ws.allocation.scope(customer)])
        # In Excel: accept a suggestion of a third receipt that can still be applied as suggested (cash on
        # account, or a document with the suggested amount open and named by no other suggestion), and
        # reject a document suggestion of yet another receipt.
        suggested = ws.db.rows(f"SELECT proposal_id, receipt_id, kind, doc_no, amount FROM ({proposal_now_sql()}) "
                               "WHERE status_now = 'suggested' ORDER BY proposal_id")
        named = [d for _, _, _, d, _ in suggested if d]
        open_now = ws.allocation.ledger.open_now(sorted(set(named)))
        accept_pid, accept_rid = next(
            (pid, r) for pid, r, kind, d, amount in suggested if r not in (pair, partial)
            and (kind == "on_account" or (d and named.count(d) == 1 and amount > 0
                                          and open_now.get(d, Decimal(0)) >= amount)))
        reject_pid = next(pid for pid, r, kind, _, _ in suggested
                          if kind == "document" and r not in (accept_rid, pair))
    assert doc and pair and partial and item, "the demo world holds every case of the morning"
    with serve_app(folder) as url:
        yield Morning(url, doc, int(rid), ref, int(pair), int(partial), item, Decimal("123.45"), accept_pid, reject_pid)


def shot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if os.environ.get("CASHBOOK_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def search(page, text: str) -> None:
    box = page.get_by_label("Search").first
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def success(page, pattern: str) -> None:
    page.locator("[data-testid='stAlertContentSuccess']").filter(has_text=re.compile(pattern)).first.wait_for()


def test_a_clerks_morning(morning: Morning, page, tmp_path: Path) -> None:
    page.goto(morning.url)
    wait_idle(page)

    # 1. Who paid this document? Search it: the one receipt that paid it opens, its reference in the heading.
    search(page, morning.paid_doc)
    page.get_by_text(f"Receipt #{morning.paid_by} · {morning.paid_ref}").wait_for()
    shot(page, "cash_allocation_search", tmp_path)
    search(page, "Shared Services")  # many hits: a list that says why each was found
    page.get_by_text(re.compile(r"^\d+ receipts found")).first.wait_for()
    for _ in range(100):  # the grid keeps an accessible copy of its cells; it draws a moment after the run
        cells = page.locator(".st-key-alloc_found [role=gridcell]").all_inner_texts()
        if any(text.startswith(("payer ", "bank text")) for text in cells):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the search results do not say why each receipt was found")

    # 2. A receipt with several suggestions: select two rows of the proposals grid and accept them at once.
    search(page, f"#{morning.pair_receipt}")
    page.get_by_text(f"Receipt #{morning.pair_receipt} · ").wait_for()
    for row, label in ((0, "Accept 1 selected"), (1, "Accept 2 selected")):
        grid = page.locator(".st-key-alloc_proposals canvas").first  # measured again: the page moves on a rerun
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * row + 17)  # the row's selection box, under the header
        wait_idle(page)
        page.get_by_role("button", name=label).wait_for()
    accept = page.get_by_role("button", name="Accept 2 selected")
    accept.wait_for()
    shot(page, "cash_allocation", tmp_path)
    accept.click()
    wait_idle(page)
    success(page, rf"^Accepted 2 proposals of receipt #{morning.pair_receipt}$")
    assert page.locator("[data-testid='stAlertContentSuccess']").count() == 1  # one clear message

    # 3. A partial payment by hand: less than the document's open amount.
    search(page, f"#{morning.partial_receipt}")
    page.get_by_text(f"Receipt #{morning.partial_receipt} · ").wait_for()
    form = page.locator("[data-testid='stForm']")
    form.get_by_label("Document").fill(morning.partial_doc)
    form.get_by_label("Cash to apply").fill(f"{morning.partial_amount}")
    form.get_by_role("button", name="Apply").click()
    wait_idle(page)
    success(page, rf"^Applied {morning.partial_amount:,.2f} of receipt #{morning.partial_receipt} "
                  rf"to {morning.partial_doc}$")
    page.get_by_role("button", name=re.compile("Next receipt")).wait_for()

    # 4. Decide in Excel: download the suggestions, change two decisions, upload, see them applied.
    page.get_by_role("button", name="Prepare suggestions.xlsx").click()
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download suggestions.xlsx").click()
    path = tmp_path / "suggestions.xlsx"
    info.value.save_as(path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    decision, pid = header.index("Decision") + 1, header.index("Proposal") + 1
    kind = header.index("Kind") + 1
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, pid).value]
    assert len(rows) >= 2
    accepted = next(r for r in rows if sheet.cell(r, pid).value == morning.accept_pid)
    rejected = next(r for r in rows if sheet.cell(r, pid).value == morning.reject_pid
                    and sheet.cell(r, kind).value == "document")
    sheet.cell(accepted, decision).value = "accept"
    sheet.cell(rejected, decision).value = "reject"
    decided = io.BytesIO()
    book.save(decided)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(files=[{
        "name": "suggestions_decided.xlsx", "buffer": decided.getvalue(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    wait_idle(page)
    page.get_by_role("button", name="Apply the decisions").click()
    wait_idle(page)
    success(page, r"suggestions_decided\.xlsx: 2 decisions applied, 0 refused")
    page.get_by_text(f"proposal #{morning.accept_pid} of receipt").first.wait_for()
    shot(page, "decide_in_excel", tmp_path)


def test_customer_payment_history_and_dashboard(morning: Morning, page, tmp_path: Path) -> None:
    page.goto(f"{morning.url}/account")
    wait_idle(page)
    box = page.get_by_label("Customer number, name or bank account")
    box.fill("C10002")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("tab", name="Payment history").click()
    wait_idle(page)
    page.get_by_text("Every receipt that paid this customer's documents").wait_for()
    shot(page, "account", tmp_path)
    page.goto(f"{morning.url}/dashboard")
    wait_idle(page)
    page.get_by_text(re.compile(r"^Log scale:")).wait_for()
    shot(page, "dashboard", tmp_path)
    # A table on screen downloads as it shows; the file is written when the button is clicked.
    page.get_by_role("tab", name="Open receivables by age").click()
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download aging.xlsx").click()
    aging = tmp_path / "aging.xlsx"
    info.value.save_as(aging)
    sheet = openpyxl.load_workbook(aging).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["bucket", "items"]
    assert sheet.max_row >= 2
