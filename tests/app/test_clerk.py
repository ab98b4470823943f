"""The workbench a clerk would choose: grids that read, search, decide in Excel, downloads and fast hands."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import openpyxl
import pandas as pd

from app_pages.grids import display_frame, label, readable_json
from app_pages import views
from tests.app.conftest import USER, texts, workspace


def _column_config(at, key: str, column: str | None = None) -> dict:
    """The column configuration Streamlit sends to the browser for the grid keyed ``key...`` (a grid without
    selection carries no key in AppTest: then the one showing ``column``)."""
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        if (frame.key and frame.key.startswith(key)) or (column and column in config):
            return config
    raise AssertionError(f"no grid {key}")


# -- 1. grids a clerk reads -------------------------------------------------------------------------------
def test_display_frame_gives_human_headers_money_badges_dates_and_readable_json() -> None:
    frame = pd.DataFrame({"receipt_id": [1, 2], "to_allocate": [Decimal("11294.79"), None],
                          "status": ["applied", "on_account"], "summary": ['{"new": 3, "changed": 0}', None],
                          "value_date": [pd.Timestamp("2026-11-03").date(), None]})
    shown, config = display_frame(frame)
    assert config["receipt_id"]["label"] == "Receipt" and config["to_allocate"]["label"] == "Left to allocate"
    assert config["to_allocate"]["type_config"]["format"] == "%,.2f"  # thousands, two decimals, right-aligned number
    badges = config["status"]["type_config"]["options"]  # coloured badges
    assert [(b["value"], b["label"]) for b in badges] == [("applied", "applied"), ("on_account", "on account")]
    assert all(b["color"].startswith("#") for b in badges)
    assert list(shown["status"]) == [["applied"], ["on_account"]]
    assert shown["summary"][0] == "new: 3 · changed: 0"
    assert config["value_date"]["type_config"]["format"] == "YYYY-MM-DD"
    assert label("source_formats") == "Formats" and label("some_new_column") == "Some new column"
    assert readable_json('{"after": {"parent": "C1", "primary": true}}') == "after: parent: C1 · primary: True"


def test_display_frame_writes_money_in_the_workspace_number_style() -> None:
    frame = pd.DataFrame({"amount": [Decimal("11294.79"), Decimal("-5.00"), None]})
    shown, config = display_frame(frame, style="1.234,56")
    assert list(shown["amount"][:2]) == ["11.294,79", "-5,00"] and pd.isna(shown["amount"][2])
    assert config["amount"]["alignment"] == "right"


def test_queue_grid_shows_readable_headers_and_blank_cells(app) -> None:
    at = app()
    config = _column_config(at, "alloc_queue")
    assert config["to_allocate"]["label"] == "Left to allocate"
    assert config["source_formats"]["label"] == "Formats"
    assert config["amount"]["type_config"]["format"] == "%,.2f"
    grids = [f for f in at.dataframe if f.key and f.key.startswith("alloc_queue")]
    assert grids[0].proto.placeholder == ""  # empty cells are blank, not "None"


def test_value_date_chart_turns_logarithmic_when_one_day_dwarfs_the_rest(app) -> None:
    at = app("dashboard")
    assert "Log scale:" in texts(at)  # the demo's 1,100-invoice payment run is one huge day


# -- 2. find anything ------------------------------------------------------------------------------------------
def test_search_a_document_opens_the_receipt_that_paid_it(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    doc_no, rid, ref = ws.db.one(
        "SELECT e.doc_no, e.receipt_id, r.payment_ref FROM allocation_entry e JOIN receipt r USING (receipt_id) "
        "WHERE e.kind = 'document' AND e.doc_no IN (SELECT doc_no FROM allocation_entry WHERE kind = 'document' "
        "GROUP BY doc_no HAVING count(DISTINCT receipt_id) = 1) AND e.doc_no NOT IN (SELECT doc_no FROM proposal "
        "WHERE receipt_id <> e.receipt_id AND doc_no IS NOT NULL) AND e.doc_no NOT IN (SELECT reference FROM "
        "remittance_line WHERE receipt_id <> e.receipt_id) ORDER BY e.entry_id LIMIT 1")
    at = app()
    at.text_input(key="alloc_search").input(doc_no).run()
    assert not at.exception
    assert f"Receipt #{rid} · {ref}" in texts(at)  # one hit opens, its payment reference in the heading


def test_search_with_many_hits_lists_them_with_why(app) -> None:
    at = app()
    at.text_input(key="alloc_search").input("Shared Services").run()
    assert "receipts found" in texts(at)
    config = _column_config(at, "alloc_found")
    assert config["found_by"]["label"] == "Found by"
    at.text_input(key="alloc_search").input("100-200").run()
    assert not at.exception and ("receipts found" in texts(at) or "Receipt #" in texts(at))


def test_customer_page_shows_payment_history_with_a_download(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    customer = ws.db.scalar("SELECT customer_no FROM allocation_entry WHERE kind = 'document' "
                            "GROUP BY customer_no ORDER BY count(*) DESC LIMIT 1")
    at = app("account")
    at.text_input(key="acct_search").input(customer).run()
    assert not at.exception
    config = _column_config(at, "acct_history", "created_by")
    assert config["created_by"]["label"] == "By" and config["payment_ref"]["label"] == "Payment reference"
    assert at.selectbox(key="acct_history_dl_fmt").options == ["xlsx", "csv"]
    assert at.button(key="acct_history_dl_prepare")


# -- 3. decide in Excel -------------------------------------------------------------------------------------------
def test_decide_in_excel_applies_two_decisions_as_the_clerk(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    at = app()
    at.button(key="alloc_suggestions_prepare").click().run()
    assert not at.exception
    book = openpyxl.load_workbook(io.BytesIO(ws.suggestions_xlsx()))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "Decision" and "Payment reference" in header
    assert sheet.cell(2, header.index("Amount") + 1).number_format == "#,##0.00"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    pid_at, kind_at, ref_at = header.index("Proposal"), header.index("Kind"), header.index("Payment reference")
    first = next(r for r in rows if r[kind_at] == "document")
    rejected = first[pid_at]
    # Accepted: a suggestion of another receipt that can still be applied as suggested (cash on account,
    # or a document that still has the amount open and that no other suggestion names).
    proposals = {p.proposal_id: p for p in ws.matching.proposals(ids=[r[pid_at] for r in rows])}
    named = [p.doc_no for p in proposals.values() if p.doc_no]
    open_now = ws.allocation.ledger.open_now(sorted(set(named)))
    accepted = next(p.proposal_id for r in rows for p in [proposals[r[pid_at]]] if r[ref_at] != first[ref_at] and (
        p.kind == "on_account" or (named.count(p.doc_no) == 1 and 0 < p.amount <= open_now.get(p.doc_no, Decimal(0)))))
    for r, row in enumerate(rows, start=2):
        if row[pid_at] == rejected:
            sheet.cell(r, len(header)).value = "reject"
        if row[pid_at] == accepted:
            sheet.cell(r, len(header)).value = "accept"
    folder = demo_workspace.parent / "decisions"
    folder.mkdir(exist_ok=True)
    book.save(folder / "decided.xlsx")
    at = app()
    at.selectbox(key="alloc_decisions_local").select("decisions/decided.xlsx").run()
    at.button(key="alloc_decisions_apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "2 decisions applied, 0 refused" in texts(at)
    status = dict(ws.db.rows("SELECT proposal_id, status_now FROM (" + __import__(
        "cashbook.db.matching_sql", fromlist=["x"]).proposal_now_sql() + ") WHERE proposal_id IN (?, ?)",
        [rejected, accepted]))
    assert status == {rejected: "rejected", accepted: "applied"}
    by = ws.db.scalar("SELECT decided_by FROM proposal_decision WHERE proposal_id = ? ORDER BY decision_id DESC "
                      "LIMIT 1", [accepted])
    assert by == USER  # the session's user


def test_a_workbook_with_a_bad_decision_changes_nothing(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    book = openpyxl.load_workbook(io.BytesIO(ws.suggestions_xlsx()))
    sheet = book.worksheets[0]
    last = sheet.max_column
    if sheet.max_row < 3:
        return
    sheet.cell(2, last).value = "accept"
    sheet.cell(3, last).value = "INV500627 12O.50"
    folder = demo_workspace.parent / "decisions"
    folder.mkdir(exist_ok=True)
    book.save(folder / "bad.xlsx")
    before = ws.db.scalar("SELECT count(*) FROM proposal_decision")
    at = app()
    at.selectbox(key="alloc_decisions_local").select("decisions/bad.xlsx").run()
    at.button(key="alloc_decisions_apply").click().run()
    assert any("row 2: Decision: in 'INV500627 12O.50' the amount '12O.50'" in e.value for e in at.error)
    assert ws.db.scalar("SELECT count(*) FROM proposal_decision") == before


# -- 4. every table downloads ---------------------------------------------------------------------------------------
def test_every_table_of_the_allocation_page_downloads(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    rid = ws.db.scalar("SELECT receipt_id FROM remittance_line GROUP BY receipt_id ORDER BY receipt_id LIMIT 1")
    at = app()
    at.text_input(key="alloc_search").input(f"#{rid}").run()
    for key in ("alloc_queue_dl", "alloc_items_dl", "alloc_entries_dl"):
        assert at.selectbox(key=f"{key}_fmt").options == ["xlsx", "csv"], key
    at.selectbox(key="alloc_items_dl_fmt").select("xlsx").run()
    at.button(key="alloc_items_dl_prepare").click().run()
    assert not at.exception
    data = views.file_bytes(ws, views.scope_items_query(ws.receipts.receipt(rid).payer_customer_no), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    header, first = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert isinstance(first[header.index("open_amount")], (int, float))  # numbers as numbers
    assert isinstance(first[header.index("days_overdue")], (int, float, type(None)))


# -- 7. fast hands ------------------------------------------------------------------------------------------------------
def _receipt_with_document_proposals(ws, at_least: int) -> int:
    return ws.db.scalar(
        "SELECT receipt_id FROM (" + __import__("cashbook.db.matching_sql", fromlist=["x"]).proposal_now_sql() +
        ") WHERE status_now = 'suggested' AND kind = 'document' GROUP BY receipt_id HAVING count(*) >= ? "
        "ORDER BY receipt_id LIMIT 1", [at_least])


def test_select_two_proposals_and_accept_them_at_once(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    rid = _receipt_with_document_proposals(ws, 2)
    assert rid, "the demo leaves a receipt with several suggestions"
    at = app()
    at.text_input(key="alloc_search").input(f"#{rid}").run()
    waiting = ws.matching.proposals(rid, status="suggested")
    at.session_state[views.proposals_grid_key(rid, views.version(ws))] = {
        "selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert at.button(key="alloc_accept").label == "Accept 2 selected"
    at.button(key="alloc_accept").click().run()
    assert not at.error, [e.value for e in at.error]
    messages = [m.value for m in at.success]
    assert messages == [f"Accepted 2 proposals of receipt #{rid}"]  # one clear message
    decided = {p.proposal_id for p in ws.matching.proposals(rid) if p.status == "applied"}
    assert {waiting[0].proposal_id, waiting[1].proposal_id} <= decided


def test_one_proposal_reads_in_the_singular_and_next_is_one_click_away(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    rid = _receipt_with_document_proposals(ws, 1)
    at = app()
    at.text_input(key="alloc_search").input(f"#{rid}").run()
    at.session_state[views.proposals_grid_key(rid, views.version(ws))] = {
        "selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="alloc_reject").click().run()
    assert [m.value for m in at.success] == [f"Rejected 1 proposal of receipt #{rid}"]
    following = views.next_receipt(ws, rid)
    assert following is not None
    at.button(key="alloc_next").click().run()
    assert f"Receipt #{following} · " in texts(at)


def test_a_mistyped_amount_says_so_once(app, demo_workspace) -> None:
    ws = workspace(demo_workspace)
    rid = ws.db.scalar("SELECT receipt_id FROM receipt WHERE status IN ('suggested', 'unmatched', 'partial') LIMIT 1")
    doc = ws.db.scalar("SELECT doc_no FROM open_item WHERE status = 'open' LIMIT 1")
    at = app()
    at.text_input(key="alloc_search").input(f"#{rid}").run()
    at.text_input(key="alloc_doc").input(doc)
    at.text_input(key="alloc_amount").input("12O.50")
    at.button(key="FormSubmitter:alloc_manual_form-Apply").click().run()
    assert len(at.error) == 1, [e.value for e in at.error]
    assert "12O.50" in at.error[0].value
