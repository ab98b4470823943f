"""In a real browser: import a file, clear the receipts queue, export balanced postings."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e

NEW_CUSTOMERS = (b"customer_no,name,currency,city\n"
                 b"E2E001,Browser Test Foods Ltd,GBP,Leeds\n")


def queue_ids(page) -> list[str]:
    """Receipt ids in the queue grid (the grid keeps an accessible copy of its cells in the DOM)."""
    cells = page.locator(".st-key-alloc_queue [role=row] [role=gridcell]:first-child")
    empty = page.locator(".st-key-alloc_queue").get_by_text(re.compile(r"^0 rows$"))
    for _ in range(100):  # the grid draws its cells a moment after the script run ends
        if cells.count() or empty.count():
            break
        page.wait_for_timeout(100)
    texts = [text.strip() for text in cells.all_inner_texts()]
    return [text for text in texts if text.isdigit()]


def left_queue(page, receipt_id: str) -> bool:
    """Whether the receipt is out of the queue (the grid redraws a moment after the run)."""
    for _ in range(30):
        if receipt_id not in queue_ids(page):
            return True
        page.wait_for_timeout(200)
    return False


def open_receipt(page, receipt_id: str) -> None:
    box = page.get_by_label("Search").first
    box.fill(f"#{receipt_id}")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text(f"Receipt #{receipt_id} · ").wait_for()


def click(page, name: str) -> None:
    page.get_by_role("button", name=re.compile(name)).first.click()
    wait_idle(page)


def test_import_clear_the_queue_and_export_postings(app_url, page, tmp_path):
    # 1. Import: upload a customer master with one new customer.
    page.goto(f"{app_url}/import")
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": "new_customers.csv", "mimeType": "text/csv", "buffer": NEW_CUSTOMERS}])
    wait_idle(page)
    page.get_by_text("new_customers.csv").first.wait_for()
    click(page, "^Import$")
    page.get_by_text("imported 1 customers rows").wait_for()

    # 2. Cash allocation: match, then decide every receipt left to do.
    page.goto(app_url)
    wait_idle(page)
    click(page, "Run matching")
    page.get_by_text(re.compile("matched .* receipts")).first.wait_for()
    ids = queue_ids(page)
    assert ids, "the demo leaves receipts for a clerk"

    # the first receipt is opened by clicking its row in the queue
    grid = page.locator(".st-key-alloc_queue canvas").first.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 17)  # the first row's selection box, under the header
    wait_idle(page)
    page.get_by_text(f"Receipt #{ids[0]} · ").wait_for()

    accepted = 0
    for _ in range(40):
        ids = queue_ids(page)
        if not ids:
            break
        open_receipt(page, ids[0])
        accept = page.get_by_role("button", name=re.compile(r"^Accept (all \d+|\d+ selected)"))
        if accept.count() and accept.is_enabled():
            accept.click()
            wait_idle(page)
            outcome = page.get_by_text(re.compile(r"^Accepted \d+ proposals?")).or_(
                page.locator("[data-testid='stAlertContentError']")).first
            outcome.wait_for()
            if page.get_by_text(re.compile(r"^Accepted \d+ proposals?")).count():
                accepted += 1
            else:  # the suggestion is stale (another receipt took the document): reject it
                click(page, r"^Reject (all \d+|\d+ selected)")
        if not left_queue(page, ids[0]):
            open_receipt(page, ids[0])
            click(page, "Put the rest on account")
            page.get_by_text(f"Put the rest of receipt #{ids[0]} on account").or_(
                page.locator("[data-testid='stAlertContentError']")).first.wait_for()
            errors = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
            assert not errors, errors
        assert left_queue(page, ids[0]), f"receipt {ids[0]} is still to do"
    assert accepted >= 1
    assert not queue_ids(page)
    assert page.locator(".st-key-alloc_queue").get_by_text(re.compile(r"^0 rows$")).count()

    # 3. Postings: export and download; every journal balances.
    page.goto(f"{app_url}/postings")
    wait_idle(page)
    click(page, "^Export postings$")
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile(r"^Download postings_\d+\.xlsx")).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    j, d, c = header.index("journal_no"), header.index("debit"), header.index("credit")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    lines = 0
    for row in rows:
        totals[row[j]] += Decimal(str(row[d] or 0)) - Decimal(str(row[c] or 0))
        lines += 1
    assert lines > 100 and len(totals) > 50
    assert all(v == 0 for v in totals.values()), {k: v for k, v in totals.items() if v}
