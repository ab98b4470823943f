"""`cashbook find` and `cashbook receipts list` on the demo workspace and on receipts without references."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cashbook.cli import main
from cashbook.demo import build_demo_workspace
from cashbook.search import search_terms
from cashbook.service import Workspace
from tests.conftest import FIXTURES, ROOT

STATUSES = ("unmatched", "suggested", "partial", "applied", "on_account", "unidentified")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("find") / "data"
    shutil.copytree(ROOT / "data", folder, ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal"))
    build_demo_workspace(folder, user="demo")
    return folder / "cashbook.duckdb"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_search_terms_read_every_kind_of_text() -> None:
    assert search_terms("11,294.79").low == search_terms("11,294.79").high == Decimal("11294.79")
    terms = search_terms("200 - 100")
    assert (terms.low, terms.high) == (Decimal("100"), Decimal("200"))
    assert search_terms("100..200").high == Decimal("200")
    assert search_terms("#94").receipt_id == 94
    assert search_terms("INV500558").doc_norm == "500558" and search_terms("INV500558").low is None
    assert search_terms("Whitbread").low is None and search_terms("Whitbread").receipt_id is None


def test_find_the_receipt_that_paid_a_document(demo_db: Path, capsys) -> None:
    with Workspace.open(demo_db, user="t") as ws:
        doc_no, receipt_id, ref = ws.db.one(
            "SELECT e.doc_no, e.receipt_id, r.payment_ref FROM allocation_entry e JOIN receipt r USING (receipt_id) "
            "WHERE e.kind = 'document' AND e.doc_no NOT IN (SELECT doc_no FROM allocation_entry WHERE kind = 'document' "
            "GROUP BY doc_no HAVING count(DISTINCT receipt_id) > 1) ORDER BY e.entry_id LIMIT 1")
    code, out, _ = run(capsys, "--db", str(demo_db), "find", doc_no)
    assert code == 0
    assert f"paid {doc_no}" in out.splitlines()[0]
    assert f"receipt #{receipt_id} " in out and f"ref {ref}" in out  # exactly one: shown whole


def test_find_by_named_proposed_amount_range_payer_and_bank_text(demo_db: Path, capsys) -> None:
    with Workspace.open(demo_db, user="t") as ws:
        named_rid, named = ws.db.one("SELECT receipt_id, reference FROM remittance_line ORDER BY receipt_id, line_no LIMIT 1")
        proposed_rid, proposed = ws.db.one("SELECT receipt_id, doc_no FROM proposal WHERE status = 'suggested' "
                                           "AND doc_no IS NOT NULL ORDER BY proposal_id LIMIT 1")
        amount_rid, amount = ws.db.one("SELECT receipt_id, amount FROM receipt ORDER BY receipt_id LIMIT 1")
        payer = ws.db.scalar("SELECT payer_name FROM receipt WHERE payer_name LIKE '%Shared Services%' LIMIT 1")
        word = ws.db.scalar("SELECT payment_ref FROM receipt WHERE payment_ref LIKE 'SSC%' LIMIT 1")
    for text, rid, why in ((named, named_rid, f"named {named}"), (proposed, proposed_rid, f"proposed for {proposed}"),
                           (f"{amount:,.2f}", amount_rid, "amount")):
        code, out, _ = run(capsys, "--db", str(demo_db), "find", text, "--json")
        assert code == 0
        assert any(f'"receipt_id": {rid},' in block and why in block for block in out.split("},")), (text, out[:800])
    low, high = amount - Decimal("1.00"), amount + Decimal("1.00")
    code, out, _ = run(capsys, "--db", str(demo_db), "find", f"{low}-{high}")
    assert code == 0 and re.search(rf"#{amount_rid}\s", out)
    code, out, _ = run(capsys, "--db", str(demo_db), "find", payer[:12])
    assert code == 0 and re.match(r"\d+ receipts found", out) and f"payer {payer}" in out
    code, out, _ = run(capsys, "--db", str(demo_db), "find", word)
    assert code == 0 and "bank text" in out


def test_find_says_plainly_when_nothing_fits(demo_db: Path, capsys) -> None:
    code, out, err = run(capsys, "--db", str(demo_db), "find", "NO-SUCH-THING-XYZ")
    assert code == 0 and "no receipt fits 'NO-SUCH-THING-XYZ'" in out
    code, out, err = run(capsys, "--db", str(demo_db), "find", "  ")
    assert code == 1 and "Nothing to search for" in err and "Traceback" not in err


@pytest.mark.parametrize("status", STATUSES)
def test_receipts_list_every_status_with_dates(demo_db: Path, capsys, status: str) -> None:
    code, out, err = run(capsys, "--db", str(demo_db), "receipts", "list", "--status", status)
    assert code == 0, err
    lines = out.splitlines()
    assert lines
    if lines[0] != f"no receipts with status {status}":
        for line in lines:
            assert re.match(r"#\d+\s+(\d{4}-\d\d-\d\d|-)\s", line), line
            assert f" {status} " in line


def test_receipts_list_refuses_an_unknown_status(demo_db: Path, capsys) -> None:
    code, _, err = run(capsys, "--db", str(demo_db), "receipts", "list", "--status", "paid")
    assert code == 1 and "there is no receipt status 'paid'" in err


def test_receipts_list_shows_receipts_without_a_reference(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "w.duckdb")
    files = [FIXTURES / "mt940/german_subfields.sta", FIXTURES / "bai_lockbox/two_batches_with_invoices.txt",
             FIXTURES / "sheet/bank_export_dr_cr.csv", FIXTURES / "camt053/camt053_v02_batch_notprovided.xml"]
    assert main(["--db", db, "import", "remittance", *map(str, files)]) == 0
    with Workspace.open(db, user="t") as ws:
        without = ws.db.scalar("SELECT count(*) FROM receipt WHERE payment_ref IS NULL")
        with_ref = ws.db.scalar("SELECT count(*) FROM receipt WHERE payment_ref IS NOT NULL")
    assert without and with_ref  # both kinds on one page
    capsys.readouterr()
    code, out, err = run(capsys, "--db", db, "receipts", "list")
    assert code == 0, err
    rows = out.splitlines()
    assert len(rows) == without + with_ref
    assert sum(1 for line in rows if re.match(r"#\d+\s+\S+\s+[\d,.]+ \S*\s+- ", line)) == without
    assert all(re.match(r"#\d+\s+(\d{4}-\d\d-\d\d|-)\s", line) for line in rows)
    code, out, err = run(capsys, "--db", db, "receipts", "list", "--status", "unmatched")
    assert code == 0 and "Traceback" not in err
