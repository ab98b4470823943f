"""Remittance imports into a real workspace: refusal, idempotence, duplicates, linking in either order, reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from cashbook import receipts
from cashbook.errors import CashbookError, NotFound, Problem
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.service import Workspace
from tests.conftest import FIXTURES

ACME = "GB29NWBK60161331926819"


def bank(ref: str | None, amount: str, day: int, name: str | None = "Acme Ltd", *, bank_ref: str | None = None,
         text: str = "", account: str | None = ACME, lines: tuple[RemittanceLine, ...] = (), loc: str = "",
         company: str | None = "DE44500105175407324931") -> ParsedPayment:
    return ParsedPayment("bank", ref, date(2024, 3, day), D(amount), "EUR", name, account, bank_ref=bank_ref,
                         bank_text=text, lines=lines, location=loc or f"entry {ref or bank_ref}", account=company)


def advice(ref: str | None, amount: str | None, day: int | None, name: str | None = "ACME LIMITED", *,
           lines: tuple[RemittanceLine, ...] = (), payer_id: str | None = None, loc: str = "") -> ParsedPayment:
    return ParsedPayment("advice", ref, date(2024, 3, day) if day else None, D(amount) if amount else None, "EUR",
                         name, payer_id=payer_id, lines=lines, location=loc or f"segment {ref}")


def line(ref: str, paid: str, **kw: object) -> RemittanceLine:
    return RemittanceLine(ref, D(paid), **kw)  # type: ignore[arg-type]


class Files:
    """A fake detector: file name -> ParsedFile, so the workspace side is tested without the parsers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: dict[str, ParsedFile] = {}
        monkeypatch.setattr(receipts, "parse_payment_file", lambda data, file: self.parsed[file])

    def add(self, name: str, fmt: str, *payments: ParsedPayment, **kw: object) -> tuple[bytes, str]:
        self.parsed[name] = ParsedFile(fmt, name, tuple(payments), **kw)  # type: ignore[arg-type]
        return (f"{name}:{len(self.parsed)}".encode(), name)


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    yield workspace
    workspace.close()


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> Files:
    return Files(monkeypatch)


def snapshot(ws: Workspace) -> list[tuple]:
    """Receipts and their lines by content, without ids, for comparing two workspaces."""
    out = []
    for rid, in ws.db.rows("SELECT receipt_id FROM receipt"):
        r = ws.receipts.receipt(rid)
        lines = tuple((ln.line_no, ln.reference, ln.paid_amount, ln.reference_norm) for ln in ws.receipts.lines(rid))
        out.append((r.payment_ref, r.value_date, r.amount, r.currency, r.payer_name, r.payer_account, r.bank_text,
                    r.source_formats, r.file_name, r.advice_amount, len(r.advice_source_ids), r.bank_source_id is not None,
                    lines))
    return sorted(out, key=repr)


def bank_and_advice(files: Files) -> tuple[tuple[bytes, str], tuple[bytes, str]]:
    statement = files.add("stmt.xml", "camt053",
                          bank("PAY-123", "100.00", 14, text="PAY-123"),
                          bank(None, "250.00", 15, "Widget GmbH", bank_ref="B2", text="BGC WIDGET", account=None),
                          bank(None, "75.50", 15, "Zenith", bank_ref="B3", text="REMIT ZX-99812 THANKS", account=None),
                          bank("E2E-9", "40.00", 15, "Lonely Ltd", lines=(line("INV-7", "40.00"),)))
    remit = files.add("remit.820", "x12_820",
                      advice("pay 123", "100.00", 13, lines=(line("INV-1", "60.00"), line("INV-2", "40.00"))),
                      advice("BACS", "250.00", 12, "Widget", lines=(line("INV-9", "250.00"),)),
                      advice("ZX-99812", "80.00", 15, "Zenith Foods", lines=(line("INV-5", "80.00"),)),
                      advice("NEVER-PAID", "10.00", 15, "Ghost", lines=(line("INV-6", "10.00"),)))
    return statement, remit


def test_advice_after_bank_attaches_to_the_bank_receipt(ws: Workspace, files: Files) -> None:
    statement, remit = bank_and_advice(files)
    first, second = ws.receipts.import_files([statement, remit])
    assert (first.ok, first.payments, first.new_receipts, first.links) == (True, 4, 4, 0)
    assert (second.ok, second.payments, second.line_count, second.links, second.attached, second.new_receipts) == \
        (True, 4, 5, 3, 3, 1)
    assert ws.status()["payments"] == 5
    rid = ws.receipts.find("PAY-123")
    r = ws.receipts.receipt(rid)
    assert (r.amount, r.value_date, r.source_formats, r.file_name) == (D("100.00"), date(2024, 3, 14), "camt053+x12_820", "stmt.xml")
    assert [(ln.reference, ln.paid_amount) for ln in ws.receipts.lines(rid)] == [("INV-1", D("60.00")), ("INV-2", D("40.00"))]
    # linked by amount, date and fuzzy payer when the advice's reference is useless
    widget = ws.receipts.receipt(ws.receipts.find("B2"))
    assert (widget.amount, widget.advice_amount, len(widget.advice_source_ids)) == (D("250.00"), D("250.00"), 1)
    # a reference found only in the bank text links; the bank amount is the receipt's, the advice's is kept
    zenith = ws.receipts.receipt(ws.receipts.find("B3"))
    assert (zenith.amount, zenith.advice_amount, zenith.payment_ref) == (D("75.50"), D("80.00"), "ZX-99812")
    # a bank entry carrying its own lines keeps them; an advice without a bank entry is a receipt itself
    assert [ln.reference for ln in ws.receipts.lines(ws.receipts.find("E2E-9"))] == ["INV-7"]
    ghost = ws.receipts.receipt(ws.receipts.find("NEVER-PAID"))
    assert (ghost.amount, ghost.bank_source_id, ghost.source_formats) == (D("10.00"), None, "x12_820")


def test_either_order_gives_the_same_receipts(tmp_path: Path, files: Files) -> None:
    statement, remit = bank_and_advice(files)
    with Workspace.open(tmp_path / "a.duckdb", user="alice") as a, Workspace.open(tmp_path / "b.duckdb", user="bob") as b:
        a.receipts.import_files([statement, remit])
        reports = b.receipts.import_files([remit, statement])
        assert reports[1].links == 3 and reports[1].attached == 3
        assert snapshot(a) == snapshot(b)
        assert len(snapshot(a)) == 5


def test_receipt_id_stays_when_the_advice_arrives(ws: Workspace, files: Files) -> None:
    statement, remit = bank_and_advice(files)
    ws.receipts.import_files([statement])
    before = ws.receipts.find("PAY-123")
    ws.receipts.import_files([remit])
    assert ws.receipts.find("PAY-123") == before
    # the advice came first in the other order: its receipt takes the bank entry's amount, date and account


def test_the_same_file_twice_changes_nothing(ws: Workspace, files: Files) -> None:
    statement, remit = bank_and_advice(files)
    ws.receipts.import_files([statement, remit])
    before = snapshot(ws)
    batches = ws.db.scalar("SELECT count(*) FROM import_batch")
    again = ws.receipts.import_files([remit, statement])
    assert all(r.noop and r.ok for r in again)
    assert "already imported" in again[0].lines()[0]
    assert snapshot(ws) == before
    assert ws.db.scalar("SELECT count(*) FROM import_batch") == batches
    assert ws.db.scalar("SELECT count(*) FROM payment_source") == 8


def test_the_same_entry_in_two_files_is_one_receipt(ws: Workspace, files: Files) -> None:
    entry = bank("E2E-1", "500.00", 14, bank_ref="ACC-1", text="statement text")
    notified = bank("E2E-1", "500.00", 14, bank_ref="NTF-77", text="notification text",
                    lines=(line("INV-1", "500.00"),), loc="notification 1 entry 1")
    other_day = bank("E2E-1", "500.00", 15, bank_ref="ACC-2")  # same reference, another day: another payment
    reports = ws.receipts.import_files([files.add("s.053", "camt053", entry),
                                        files.add("n.054", "camt054", notified, other_day)])
    assert reports[1].skipped == {"duplicates": 1}
    assert reports[1].payments == 1
    assert ws.status()["payments"] == 2
    rid = ws.db.scalar("SELECT receipt_id FROM receipt WHERE value_date = DATE '2024-03-14'")
    kinds = [(s.format, s.duplicate_of is not None) for s in ws.receipts.sources(rid)]
    assert kinds == [("camt053", False), ("camt054", True)]


def test_a_refused_file_writes_nothing_and_the_others_import(ws: Workspace, files: Files) -> None:
    good = files.add("good.xml", "camt053", bank("P-1", "10.00", 14))
    bad = files.add("bad.xml", "camt053", problems=(Problem("bad.xml", "entry 2", "Amt", "not a number"),))
    odd = files.add("odd.820", "x12_820", advice("A-1", "1.005", 14), advice("A-2", None, 14))
    reports = ws.receipts.import_files([bad, good, odd])
    assert [r.ok for r in reports] == [False, True, False]
    assert "bad.xml:entry 2: Amt: not a number" in "\n".join(reports[0].lines())
    assert {(p.location, p.column, p.message) for p in reports[2].problems} == {
        ("segment A-1", "amount", "1.005 has more than two decimal places"),
        ("segment A-2", "amount", "the payment has no amount and its lines no paid amounts to add up")}
    assert ws.db.rows("SELECT file_name FROM import_batch") == [("good.xml",)]
    assert ws.db.scalar("SELECT count(*) FROM payment_source") == 1


def test_missing_files_are_reported_among_the_others(ws: Workspace, files: Files, tmp_path: Path) -> None:
    (tmp_path / "good.xml").write_bytes(b"x")
    files.add("good.xml", "camt053", bank("P-1", "10.00", 14))
    reports = ws.receipts.import_paths([tmp_path / "nope.xml", tmp_path / "good.xml"])
    assert [r.ok for r in reports] == [False, True]
    assert "no such file" in reports[0].problems[0].message


def test_ambiguous_candidates_link_nothing_and_say_so(ws: Workspace, files: Files) -> None:
    statement = files.add("s.xml", "camt053", bank(None, "99.00", 14, bank_ref="B1", loc="entry 1"),
                          bank(None, "99.00", 15, bank_ref="B2", loc="entry 2"))
    remit = files.add("r.xlsx", "sheet", advice("REMITTANCE", "99.00", 14, loc="row 2"))
    report = ws.receipts.import_files([statement, remit])[1]
    assert report.links == 0 and report.new_receipts == 1
    assert report.notes and "2 bank entries fit" in report.notes[0] and "s.xml entry 1" in report.notes[0]
    assert ws.status()["payments"] == 3


def test_amount_links_need_the_date_window_and_the_payer(tmp_path: Path, files: Files) -> None:
    statement = files.add("s.xml", "camt053", bank(None, "99.00", 20, bank_ref="B1"),
                          bank(None, "55.00", 14, "Someone Else", bank_ref="B2", account=None))
    remit = files.add("r.csv", "sheet", advice(None, "99.00", 13), advice(None, "55.00", 14))
    with Workspace.open(tmp_path / "a.duckdb", user="alice") as a:
        assert a.receipts.import_files([statement, remit])[1].links == 0  # 7 days apart; another payer
    with Workspace.open(tmp_path / "b.duckdb", user="alice") as b:
        b.db.execute("INSERT INTO setting VALUES ('link_days', '7')")
        assert b.receipts.import_files([statement, remit])[1].links == 1


def test_a_useful_reference_that_matches_nothing_does_not_fall_back_to_amount(ws: Workspace, files: Files) -> None:
    statement = files.add("s.xml", "camt053", bank("OTHER-REF", "99.00", 14))
    remit = files.add("r.820", "x12_820", advice("PAY-77", "99.00", 14))
    assert ws.receipts.import_files([statement, remit])[1].links == 0


def test_payer_id_links_by_amount(ws: Workspace, files: Files) -> None:
    entry = ParsedPayment("bank", None, date(2024, 3, 14), D("12.00"), "EUR", "X", payer_id="DE811234567",
                          bank_ref="B9", location="entry 1")
    remit = files.add("r.820", "x12_820", advice(None, "12.00", 14, "Completely different", payer_id="de 811234567"))
    assert ws.receipts.import_files([files.add("s.xml", "camt053", entry), remit])[1].links == 1


def test_line_amounts_that_do_not_fit_are_refused_with_their_line(ws: Workspace, files: Files) -> None:
    remit = files.add("r.820", "x12_820", advice("P-1", "1.00", 14, lines=(
        line("INV-1", "1.00"), line("INV-2", "0.00", discount=D("0.001"), adjustment=D("1E+20")))))
    (report,) = ws.receipts.import_files([remit])
    assert [(p.location, p.column) for p in report.problems] == [("segment P-1 line 2", "discount"),
                                                                 ("segment P-1 line 2", "adjustment")]
    assert "too large" in report.problems[1].message
    assert ws.db.scalar("SELECT count(*) FROM payment_source") == 0


def test_an_advice_without_a_total_adds_up_its_lines(ws: Workspace, files: Files) -> None:
    remit = files.add("r.xlsx", "sheet", advice("P-5", None, 14, lines=(line("INV-1", "10.10"), line("CN-1", "-0.10"))))
    ws.receipts.import_files([remit])
    assert ws.receipts.receipt(ws.receipts.find("P-5")).amount == D("10.00")


def test_lines_are_typed_and_normalized(ws: Workspace, files: Files) -> None:
    full = RemittanceLine("Inv. 00O12-3", D("90.00"), gross_amount=D("100.00"), discount=D("2.00"),
                          adjustment=D("8.00"), reason_code="DAMG", adjustment_text="dented", doc_date=date(2024, 1, 5),
                          ref_type="IV", po_number="PO-1", customer_ref="SITE-9")
    ws.receipts.import_files([files.add("r.820", "x12_820", advice("P-9", "90.00", 14, lines=(full,)))])
    (stored,) = ws.receipts.lines(ws.receipts.find("P-9"))
    assert (stored.reference, stored.reference_norm, stored.paid_amount, stored.gross_amount, stored.discount,
            stored.adjustment, stored.reason_code, stored.adjustment_text, stored.doc_date, stored.ref_type,
            stored.po_number, stored.customer_ref) == \
        ("Inv. 00O12-3", "123", D("90.00"), D("100.00"), D("2.00"), D("8.00"), "DAMG", "dented", date(2024, 1, 5),
         "IV", "PO-1", "SITE-9")
    assert ws.db.scalar("SELECT typeof(amount) FROM receipt") == "DECIMAL(18,2)"


def test_find_by_id_reference_and_ambiguity(ws: Workspace, files: Files) -> None:
    ws.receipts.import_files([files.add("s.xml", "camt053", bank("SAME", "1.00", 14, bank_ref="K1"),
                                        bank("SAME", "2.00", 15, bank_ref="K2"), bank("UNIQUE-1", "3.00", 15))])
    rid = ws.receipts.find("unique 1")
    assert ws.receipts.find(str(rid)) == rid == ws.receipts.find(f"#{rid}")
    assert ws.receipts.find("k2") == ws.db.scalar("SELECT receipt_id FROM receipt WHERE amount = 2")
    with pytest.raises(CashbookError) as ambiguous:
        ws.receipts.find("SAME")
    assert "fits 2 receipts" in str(ambiguous.value) and "2.00" in str(ambiguous.value)
    with pytest.raises(NotFound):
        ws.receipts.find("NOPE")
    with pytest.raises(NotFound):
        ws.receipts.receipt(999)


def test_export_payments_csv_and_xlsx(ws: Workspace, files: Files, tmp_path: Path) -> None:
    statement, remit = bank_and_advice(files)
    ws.receipts.import_files([statement, remit])
    assert ws.receipts.export_payments(tmp_path / "p.csv") == 5
    import csv

    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8")))
    assert {"payment_ref", "value_date", "amount", "currency", "payer_name", "customer_no", "source_format",
            "receipt_id", "payer_account", "bank_text", "lines", "advices"} <= set(rows[0])
    pay = next(r for r in rows if r["payment_ref"] == "pay 123")
    assert (pay["amount"], pay["lines"], pay["advices"], pay["source_format"]) == \
        ("100.00", "2", "x12_820 remit.820 segment pay 123", "camt053+x12_820")
    assert ws.receipts.export_payments(tmp_path / "p.xlsx") == 5
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "p.xlsx").active
    header = [c.value for c in sheet[1]]
    cells = [sheet.cell(row=i, column=header.index("amount") + 1) for i in range(2, 7)]
    assert {(c.data_type, c.number_format) for c in cells} == {("n", "#,##0.00")}  # numbers for Excel users
    assert sorted(sheet.cell(row=i, column=header.index("payment_ref") + 1).value for i in range(2, 7)) == \
        ["BACS", "E2E-9", "NEVER-PAID", "ZX-99812", "pay 123"]


def test_receipts_frame_filters_by_status(ws: Workspace, files: Files) -> None:
    statement, remit = bank_and_advice(files)
    ws.receipts.import_files([statement, remit])
    ws.db.execute("UPDATE receipt SET status = 'applied' WHERE receipt_id = 1")
    frame = ws.receipts.receipts()
    assert list(frame["receipt_id"]) == [1, 2, 3, 4, 5]
    assert isinstance(frame["amount"][0], D)
    assert list(ws.receipts.receipts(status="applied")["receipt_id"]) == [1]
    assert list(ws.receipts.receipts(limit=2, offset=1)["receipt_id"]) == [2, 3]


def test_an_advice_joining_a_decided_receipt_is_a_warning(ws: Workspace, files: Files) -> None:
    statement, remit = bank_and_advice(files)
    ws.receipts.import_files([statement])
    ws.db.execute("UPDATE receipt SET status = 'applied' WHERE payment_ref = 'PAY-123'")
    report = ws.receipts.import_files([remit])[0]
    assert any("already applied" in w for w in report.warnings)


# -- the same bank entry twice in one file (issue 15, Why 7) -------------------------------------------
def _camt_with_entry_repeated(times: int) -> bytes:
    text = (FIXTURES / "camt053" / "camt053_v02_batch_notprovided.xml").read_text(encoding="utf-8")
    start = text.index("<Ntry>")
    end = text.index("</Ntry>", start) + len("</Ntry>")
    return (text[:end] + text[start:end] * (times - 1) + text[end:]).encode("utf-8")


def test_five_identical_camt_entries_are_one_receipt_with_a_warning(ws: Workspace) -> None:
    (report,) = ws.receipts.import_files([(_camt_with_entry_repeated(5), "five.xml")])
    assert report.ok, report.problems
    assert report.new_receipts == 5 and report.payments == 5  # the first copy plus the file's four other entries
    assert report.skipped["duplicates"] == 4
    # The repeated entries also put the statement's balances out (opening + entries != closing): warned too.
    assert any("ENTRIES MAY BE MISSING" in w for w in report.warnings)
    (warning,) = [w for w in report.warnings if "ENTRIES MAY BE MISSING" not in w]
    assert warning.startswith("five.xml: the bank entry at statement 1 entry 1 (bank reference TX-2024031400001234-1, "
                              "11,662.00 on 2024-03-14) is listed 5 times in this file")
    assert "it is one receipt" in warning
    receipt_id = ws.receipts.find("TX-2024031400001234-1")
    assert ws.receipts.receipt(receipt_id).amount == D("11662.00")
    sources = ws.receipts.sources(receipt_id)
    assert len(sources) == 5 and sum(1 for s in sources if s.duplicate_of is None) == 1
    assert ws.db.one("SELECT count(*) FROM receipt")[0] == 5


def test_two_entries_sharing_only_a_bank_reference_stay_two(ws: Workspace) -> None:
    data = _camt_with_entry_repeated(2).decode("utf-8")
    second = data.index("<Ntry>", data.index("<Ntry>") + 1)
    data = data[:second] + data[second:].replace(">11662.00<", ">11600.00<", 1)
    (report,) = ws.receipts.import_files([(data.encode("utf-8"), "two.xml")])
    assert report.ok, report.problems
    assert "duplicates" not in report.skipped
    assert [w for w in report.warnings if "ENTRIES MAY BE MISSING" not in w] == []  # only the balances' gap
    assert ws.db.one("SELECT count(*) FROM receipt")[0] == 6
