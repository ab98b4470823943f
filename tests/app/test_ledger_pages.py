"""Postings export, customer account and credit centre pages on the demo workspace."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

import openpyxl

from tests.app.conftest import texts, workspace


def balanced_journals(xlsx: bytes) -> dict[str, Decimal]:
    """Debit minus credit per journal of a postings file (all zero when it balances)."""
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    j, d, c = header.index("journal_no"), header.index("debit"), header.index("credit")
    out: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        out[row[j]] += Decimal(str(row[d] or 0)) - Decimal(str(row[c] or 0))
    return out


def test_export_postings_gives_balanced_journals(app, demo_workspace):
    at = app()
    at.button(key="alloc_run").click().run()
    at.switch_page("app_pages/postings.py")
    at.run()
    assert at.metric[0].label == "Ledger entries waiting to be posted"
    at.button(key="post_export").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "journals" in texts(at)
    name, data = at.session_state["cb.downloads"]["postings"]
    assert name.endswith(".xlsx")
    journals = balanced_journals(data)
    assert journals and all(v == 0 for v in journals.values())
    ws = workspace(demo_workspace)
    assert ws.db.scalar("SELECT exported_by FROM posting_export ORDER BY export_id DESC LIMIT 1") == "Ada Clerk"
    assert at.metric[0].value == "0"


def test_customer_account_and_statement(app, demo_workspace):
    ws = workspace(demo_workspace)
    customer = ws.db.scalar("SELECT customer_no FROM open_item WHERE status = 'open' ORDER BY doc_no LIMIT 1")
    at = app("account")
    at.text_input(key="acct_search").input(customer).run()
    assert not at.error, [e.value for e in at.error]
    assert "Balance" in [m.label for m in at.metric]
    assert customer in texts(at)
    assert len(at.dataframe[-1].value) > 0  # the statement


def test_credit_centre_lists_open_credit_memos(app):
    at = app("credits")
    memos = at.dataframe[0].value
    assert len(memos) > 0 and {s for badge in memos["status"] for s in badge} == {"open"}  # statuses as badges
    at.text_input(key="cred_crn").input(memos.iloc[0]["doc_no"])
    at.text_input(key="cred_doc").input("NO-SUCH-DOC")
    at.button(key="FormSubmitter:cred_form-Do it").click().run()
    assert at.error  # refused with a reason, nothing applied
