"""Random sequences of apply, unapply, credit, refund and export keep every ledger invariant."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashbook.errors import CashbookError
from cashbook.postings import journal_lines, unbalanced_journals
from cashbook.service import Workspace
from tests.postings_reference import expected_csv
from tests.test_ledger_service import make_world

DOCS = ("INV1", "INV2", "INV3")
RECEIPTS = ("PAY1", "PAY2")

cents = st.integers(min_value=1, max_value=30_000).map(lambda c: D(c) / 100)
small = st.integers(min_value=0, max_value=300).map(lambda c: D(c) / 100)
operation = st.one_of(
    st.tuples(st.just("apply"), st.sampled_from(RECEIPTS), st.sampled_from(DOCS), cents, small, small),
    st.tuples(st.just("unapply"), st.sampled_from(RECEIPTS), st.sampled_from((*DOCS, "CRN1", None))),
    st.tuples(st.just("on_account"), st.sampled_from(RECEIPTS), cents),
    st.tuples(st.just("credit_apply"), st.sampled_from(DOCS), st.one_of(st.none(), cents)),
    st.tuples(st.just("credit_unapply"), st.sampled_from(DOCS)),
    st.tuples(st.just("refund"), cents),
    st.tuples(st.just("export"),),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ws.duckdb"
    make_world(path).close()
    return path


def _run(ws: Workspace, op: tuple, folder: Path) -> None:
    name, *args = op
    if name == "apply":
        receipt, doc, amount, discount, write_off = args
        ws.allocation.apply_manual(receipt, doc, amount, discount=discount, write_off=write_off)
    elif name == "unapply":
        ws.allocation.unapply(args[0], args[1])
    elif name == "on_account":
        ws.allocation.on_account(args[0], amount=args[1])
    elif name == "credit_apply":
        ws.credits.apply("CRN1", args[0], args[1])
    elif name == "credit_unapply":
        ws.credits.unapply("CRN1", args[0])
    elif name == "refund":
        ws.credits.refund("CRN1", args[0])
    else:
        expected = expected_csv(ws.db, ws.settings)  # the Python reference of what the export must write
        path = folder / f"postings{len(list(folder.iterdir()))}.csv"
        ws.postings.export(path)
        assert path.read_bytes() == expected
        assert unbalanced_journals(ws.db) == []


def _recompute(ws: Workspace) -> tuple[dict[str, D], dict[int, D]]:
    """Open amounts and receipt allocations from the raw entries, in plain Python."""
    opened = {doc: amount for doc, amount in ws.db.rows("SELECT doc_no, open_amount FROM open_item")}
    allocated: dict[int, D] = {}
    for receipt_id, kind, doc, source, amount, discount, write_off, deduction in ws.db.rows(
            "SELECT receipt_id, kind, doc_no, source_doc_no, amount, discount, write_off, deduction "
            "FROM allocation_entry"):
        if kind in ("document", "credit"):
            opened[doc] -= amount + discount + write_off + deduction
        if kind in ("credit", "refund"):
            opened[source] += amount
        if receipt_id is not None:
            allocated[receipt_id] = allocated.get(receipt_id, D(0)) + amount
    return opened, allocated


def _check_invariants(ws: Workspace) -> None:
    assert ws.ledger.verify() == []  # hash chain, nothing over-applied, every journal balanced
    opened, allocated = _recompute(ws)
    derived = ws.allocation.ledger.open_now(list(opened))
    assert derived == opened
    for doc, erp_open in ws.db.rows("SELECT doc_no, open_amount FROM open_item"):
        if erp_open >= 0:
            assert D(0) <= opened[doc] <= erp_open, doc
        else:
            assert erp_open <= opened[doc] <= D(0), doc
    for receipt_id, amount in ws.db.rows("SELECT receipt_id, amount FROM receipt"):
        balance = ws.allocation.ledger.receipt_balance(receipt_id)
        assert balance.amount - balance.unallocated == allocated.get(receipt_id, D(0))
        assert D(0) <= allocated.get(receipt_id, D(0)) <= amount
    by_journal: dict[str, D] = {}
    for line in journal_lines(ws.db):
        by_journal[line["journal_no"]] = by_journal.get(line["journal_no"], D(0)) + line["debit"] - line["credit"]
    assert all(v == 0 for v in by_journal.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=1, max_size=10))
def test_random_sequences_keep_invariants(template: Path, ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ws.duckdb"
        shutil.copy(template, path)
        exports = folder / "exports"
        exports.mkdir()
        with Workspace.open(path, user="prop") as ws:
            for op in ops:
                before = ws.db.scalar("SELECT count(*) FROM allocation_entry")
                try:
                    _run(ws, op, exports)
                except CashbookError:
                    assert ws.db.scalar("SELECT count(*) FROM allocation_entry") == before  # refused: nothing written
                _check_invariants(ws)
