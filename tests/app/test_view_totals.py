"""The app's whole-book views (aging, documents claimed twice) are written for speed on 1.5M documents;
here they are checked against plain definitions computed row by row in Python on the demo workspace."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app_pages import views
from cashbook.db.ledger_sql import open_items_now_sql
from cashbook.service import Workspace


def _bucket(days: int) -> str:
    return ("current" if days <= 0 else "1-30" if days <= 30 else "31-60" if days <= 60
            else "61-90" if days <= 90 else "over 90")


@pytest.fixture
def ws(demo_workspace: Path):
    opened = Workspace.open(demo_workspace, user="test")
    yield opened
    opened.close()


@pytest.mark.parametrize("shift", [0, -400, 400])
def test_aging_is_open_now_per_bucket(ws: Workspace, shift: int) -> None:
    today = date.today() + timedelta(days=shift)
    frame = ws.db.frame(open_items_now_sql("oi.status = 'open'"))
    want: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for due, open_now in zip(frame["due_date"], frame["open_now"]):
        if open_now != 0:
            bucket = want[_bucket((today - due).days)]
            bucket[0] += 1
            bucket[1] += open_now
    got = views.aging(ws, today)
    assert set(got["bucket"]) == set(want)
    for bucket, items, amount in zip(got["bucket"], got["items"], got["open_amount"]):
        assert int(items) == want[bucket][0], bucket
        # the chart's figure is a display float; it must round to the cent of the exact Decimal sum
        assert Decimal(str(amount)).quantize(Decimal("0.01")) == want[bucket][1], bucket


def test_claimed_twice_lists_every_document_two_receipts_name_or_hold(ws: Workspace) -> None:
    by_norm: dict[str, list[str]] = defaultdict(list)
    for doc_no, norm in ws.db.rows("SELECT doc_no, doc_no_norm FROM open_item"):
        by_norm[norm].append(doc_no)
    claims: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for receipt_id, norm in ws.db.rows("SELECT receipt_id, reference_norm FROM remittance_line"):
        for doc_no in by_norm.get(norm, ()):
            claims[doc_no].add((receipt_id, "remittance"))
    reversed_ids = {r for (r,) in ws.db.rows("SELECT reverses FROM allocation_entry WHERE reverses IS NOT NULL")}
    for entry_id, receipt_id, doc_no in ws.db.rows(
            "SELECT entry_id, receipt_id, doc_no FROM allocation_entry "
            "WHERE kind = 'document' AND receipt_id IS NOT NULL AND reverses IS NULL"):
        if entry_id not in reversed_ids:
            claims[doc_no].add((receipt_id, "applied"))
    want = {doc: sorted({r for r, _ in c}) for doc, c in claims.items() if len({r for r, _ in c}) > 1}
    assert want, "the demo world has documents two receipts claim"
    frame = views.page(ws, views.claimed_twice_query(), 100_000)
    got = {doc: sorted(int(r) for r in ids.split(", ")) for doc, ids in zip(frame["doc_no"], frame["receipt_ids"])}
    assert got == want
    assert views.count(ws, views.claimed_twice_query()) == len(want)
    for doc, receipts, claimed_by in zip(frame["doc_no"], frame["receipts"], frame["claimed_by"]):
        assert receipts == len(want[doc])
        assert claimed_by.split(", ") == sorted({how for _, how in claims[doc]})
