"""Postings export: balanced journals per receipt, only what is new, reversing journals, numbering, xlsx."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from cashbook.postings import EXPORT_COLUMNS
from cashbook.service import Workspace
from tests.test_ledger_service import ws  # noqa: F401  (fixture)


def _journals(path: Path) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(path.open()):
        out[row["journal_no"]].append(row)
    return dict(out)


def _assert_balanced(journals: dict[str, list[dict[str, str]]]) -> None:
    for number, lines in journals.items():
        assert sum(D(line["debit"]) for line in lines) == sum(D(line["credit"]) for line in lines), number


def test_one_balanced_journal_per_receipt(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    ws.allocation.apply_manual("PAY1", "INV1", D("440.00"), discount=D("5.00"), write_off=D("5.00"), deduction=D("50.00"),
                           reason_code="DAMAGED")
    ws.allocation.apply_manual("PAY1", "INV3", D("200.00"))
    ws.allocation.on_account("PAY1")
    ws.allocation.unidentified("PAY3")
    path = tmp_path / "postings.csv"
    report = ws.postings.export(path)
    journals = _journals(path)
    assert list(journals) == ["CP000001", "CP000002"] and report.journals == 2
    _assert_balanced(journals)
    lines = {(r["account"], r["customer_no"], r["doc_no"]): (r["debit"], r["credit"]) for r in journals["CP000001"]}
    assert lines == {
        ("1000", "", ""): ("800.00", "0.00"),          # bank: the receipt's cash
        ("1100", "C1", "INV1"): ("0.00", "500.00"),    # A/R per document and customer
        ("1100", "C2", "INV3"): ("0.00", "200.00"),
        ("6800", "C1", "INV1"): ("5.00", "0.00"),      # discount expense
        ("6810", "C1", "INV1"): ("5.00", "0.00"),      # write-off
        ("1150", "C1", "INV1"): ("50.00", "0.00"),     # deduction, open for review
        ("2150", "C1", ""): ("0.00", "160.00"),        # on account with the primary
    }
    assert {r["account"]: r["credit"] for r in journals["CP000002"]}["2190"] == "50.00"  # suspense
    assert set(journals["CP000001"][0]) >= {"journal_no", "payment_ref", "date", "account", "customer_no", "doc_no",
                                            "debit", "credit", "description"}
    # the next export carries only what is new
    again = ws.postings.export(tmp_path / "again.csv")
    assert again.journals == 0 and _journals(tmp_path / "again.csv") == {}


def test_unapply_after_export_yields_reversing_journal(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    ws.allocation.apply_manual("PAY1", "INV1", D("500.00"))
    ws.allocation.apply_manual("PAY1", "INV2", D("300.00"))
    ws.postings.export(tmp_path / "1.csv")
    ws.allocation.unapply("PAY1", "INV2")
    ws.allocation.apply_manual("PAY1", "INV3", D("200.00"))
    ws.postings.export(tmp_path / "2.csv")
    journals = _journals(tmp_path / "2.csv")
    _assert_balanced(journals)
    by_type = {lines[0]["journal_type"]: lines for lines in journals.values()}
    reversal = {(r["account"], r["doc_no"]): (r["debit"], r["credit"]) for r in by_type["reversal"]}
    assert reversal == {("1000", ""): ("0.00", "300.00"), ("1100", "INV2"): ("300.00", "0.00")}
    assert by_type["reversal"][0]["description"].startswith("Reversal of CP000001")
    assert {(r["account"], r["doc_no"]) for r in by_type["receipt"]} == {("1000", ""), ("1100", "INV3")}
    assert [j for j in journals] == ["CP000002", "CP000003"]


def test_apply_and_unapply_before_export_net_out(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    ws.allocation.apply_manual("PAY2", "INV1", D("100.00"))
    ws.allocation.unapply("PAY2")
    report = ws.postings.export(tmp_path / "p.csv")
    assert report.journals == 0 and report.netted_entries == 2
    assert ws.db.scalar("SELECT count(*) FROM posted_entry") == 2
    assert ws.postings.export(tmp_path / "q.csv").netted_entries == 0


def test_credit_refund_and_deduction_journals_xlsx(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    ws.set_setting("journal_prefix", "AR")
    ws.set_setting("journal_digits", "4")
    ws.set_setting("accounts.refunds", "2999")
    ws.credits.apply("CRN1", "INV1", D("60.00"))
    ws.credits.refund("CRN1", D("40.00"))
    ws.allocation.apply_manual("PAY1", "INV2", D("270.00"), deduction=D("30.00"), reason_code="PRICING")
    ws.postings.export(tmp_path / "1.xlsx")
    [deduction] = ws.credits.deductions()
    ws.credits.resolve_deduction(deduction["deduction_id"], "rebill", new_doc_no="DBN1")
    path = tmp_path / "2.xlsx"
    ws.postings.export(path)
    rows = []
    for file in (tmp_path / "1.xlsx", path):
        sheet = openpyxl.load_workbook(file).active
        header = [c.value for c in sheet[1]]
        rows += [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    journals: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        journals[row["journal_no"]].append(row)
    assert sorted(journals) == ["AR0001", "AR0002", "AR0003"]
    for number, lines in journals.items():
        assert isinstance(lines[0]["debit"], (int, float)) and lines[0]["date"].year > 2000  # numbers and dates
        assert round(sum(r["debit"] for r in lines), 2) == round(sum(r["credit"] for r in lines), 2), number
    credit = sorted((r["account"], r["doc_no"], r["debit"], r["credit"]) for r in journals["AR0001"])
    assert credit == [("1100", "CRN1", 40, 0), ("1100", "CRN1", 60, 0), ("1100", "INV1", 0, 60), ("2999", "CRN1", 0, 40)]
    assert journals["AR0002"][0]["journal_type"] == "receipt"
    rebill = {(r["account"], r["doc_no"]): (r["debit"], r["credit"]) for r in journals["AR0003"]}
    assert rebill == {("1100", "DBN1"): (30, 0), ("1150", "INV2"): (0, 30)}
    assert ws.ledger.verify() == []


def test_postings_bytes_records_the_export_like_a_file(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    ws.allocation.apply_manual("PAY1", "INV1", D("500.00"))
    ws.allocation.unidentified("PAY3")
    data, journals = ws.postings.as_bytes("csv", "postings_today.csv")
    assert journals == 2
    rows = list(csv.DictReader(data.decode("utf-8").splitlines()))
    assert sorted({r["journal_no"] for r in rows}) == ["CP000001", "CP000002"]
    assert sum(D(r["debit"]) for r in rows) == sum(D(r["credit"]) for r in rows) == D("550.00")
    export = ws.db.one("SELECT export_id, exported_by, file_name, journals FROM posting_export")
    assert export[1:] == ("alice", "postings_today.csv", 2)
    assert ws.db.scalar("SELECT count(*) FROM posted_entry WHERE export_id = ?", [export[0]]) == 2
    # exactly what export_postings records: the next export, bytes or file, carries nothing again
    assert ws.postings.as_bytes("xlsx")[1] == 0
    assert ws.postings.export(tmp_path / "again.csv").journals == 0
    # without a name, the export is recorded as postings_<export id>.<fmt>
    ws.allocation.apply_manual("PAY1", "INV2", D("300.00"))
    data, journals = ws.postings.as_bytes("xlsx")
    assert journals == 1 and data[:2] == b"PK"
    assert ws.db.one("SELECT file_name FROM posting_export ORDER BY export_id DESC LIMIT 1")[0] == \
        f"postings_{ws.db.scalar('SELECT max(export_id) FROM posting_export')}.xlsx"


def test_postings_bytes_refuses_an_unknown_format_and_records_nothing(ws: Workspace) -> None:  # noqa: F811
    from cashbook.errors import CashbookError

    ws.allocation.apply_manual("PAY1", "INV1", D("500.00"))
    with pytest.raises(CashbookError):
        ws.postings.as_bytes("pdf")
    assert ws.db.scalar("SELECT count(*) FROM posting_export") == 0
    assert ws.postings.as_bytes("csv")[1] == 1


def test_the_file_is_byte_for_byte_the_python_reference(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    """Journals are built in SQL and the CSV written by DuckDB: every kind of journal, netting, reversals of
    two journals at once, deduction resolutions, awkward references (commas, quotes, line breaks) and
    numbers that outgrow their digits must read exactly as the Python builder wrote them."""
    from tests.postings_reference import expected_csv

    ws.set_setting("journal_digits", "1")
    ws.db.execute("UPDATE receipt SET payment_ref = 'PAY,1 \"quoted\"' WHERE payment_ref = 'PAY1'")
    ws.db.execute("UPDATE receipt SET payment_ref = 'PAY3' || chr(10) || 'next' WHERE payment_ref = 'PAY3'")
    ws.db.execute("UPDATE receipt SET payment_ref = 'PAY9' || chr(13) || 'line' WHERE payment_ref = 'PAY9'")
    ws.db.execute("UPDATE receipt SET payment_ref = '' WHERE payment_ref = 'PAY2'")  # falls back to 'receipt #'
    pay1 = ws.db.scalar("SELECT receipt_id FROM receipt WHERE payment_ref LIKE 'PAY,1%'")
    files = []

    def export() -> None:
        expected = expected_csv(ws.db, ws.settings)
        path = tmp_path / f"{len(files)}.csv"
        ws.postings.export(path)
        files.append(path.read_bytes())
        assert files[-1] == expected, len(files)

    ws.allocation.apply_manual(pay1, "INV1", D("440.00"), discount=D("5.00"), write_off=D("5.00"), deduction=D("50.00"),
                               reason_code='SHORT, "damaged"')
    ws.allocation.apply_manual(pay1, "INV2", D("100.00"))
    ws.allocation.apply_manual("PAY2", "INV3", D("60.00"))
    ws.allocation.apply_manual("PAY9", "INV9", D("300.00"), deduction=D("100.00"), reason_code="PRICING")
    ws.allocation.unidentified("PAY3")
    ws.credits.apply("CRN1", "INV3", D("30.00"))
    ws.credits.refund("CRN1", D("20.00"))
    export()
    deductions = sorted(ws.credits.deductions(), key=lambda d: d["deduction_id"])
    ws.credits.resolve_deduction(deductions[0]["deduction_id"], "write_off")
    ws.credits.resolve_deduction(deductions[1]["deduction_id"], "rebill", new_doc_no="DBN,7")
    ws.allocation.unapply(pay1, "INV2")  # a reversing journal
    ws.allocation.apply_manual(pay1, "INV2", D("120.00"))
    ws.allocation.apply_manual("PAY2", "INV2", D("5.00"))  # applied and unapplied before any export: nets out
    ws.allocation.unapply("PAY2", "INV2")
    ws.allocation.apply_manual("PAY2", "INV2", D("10.00"))
    export()
    ws.allocation.unapply("PAY2")  # reverses entries of two journals at once
    ws.credits.unapply("CRN1", "INV3")
    for _ in range(4):  # past journal 9: the numbers outgrow their one digit
        ws.allocation.apply_manual(pay1, "INV2", D("1.00"))
        export()
    export()
    text = b"".join(files)
    # quoted as Python's csv module quotes (a carriage return alone is not: the file has always been so)
    assert b',"PAY,1 ""quoted""",' in text and b',"PAY3\nnext",' in text and b",PAY9\rline," in text
    assert re.search(rb"Reversal of CP\d+, CP\d+: ", text) and b"Receipt receipt #2," in text
    assert re.search(rb"\nCP10,1,", text) and re.search(rb"\nCP11,1,", text)
    types = {t for (t,) in ws.db.rows("SELECT DISTINCT journal_type FROM posting_journal")}
    assert types == {"receipt", "reversal", "credit", "deduction"}
    assert files[-1] == ",".join(EXPORT_COLUMNS).encode() + b"\n"  # nothing new: the header alone
    assert ws.ledger.verify() == []
