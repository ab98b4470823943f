"""Remittance imports from real files: the fixtures, and rendered camt and X12 820 files linked end to end."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from cashbook import receipts
from cashbook.cli.main import main
from cashbook.formats import camt, x12_820
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.service import Workspace
from tests.conftest import FIXTURES

CAMT053 = FIXTURES / "camt053" / "camt053_v02_batch_notprovided.xml"
CAMT054 = FIXTURES / "camt054" / "camt054_v04_batch_returns_cdtnote.xml"
TRUNCATED = FIXTURES / "camt053" / "camt053_truncated_MALFORMED.xml"


@pytest.fixture(autouse=True)
def detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real detector once it exists; until then the parsers that have landed, chosen by their sniff."""
    try:
        importlib.import_module("cashbook.formats.detect")
        return
    except ModuleNotFoundError:
        pass
    modules = [importlib.import_module(f"cashbook.formats.{name}") for name in ("camt", "x12_820", "bai2", "mt940")]

    def parse(data: bytes, file: str) -> ParsedFile:
        for module in modules:
            if module.sniff(data):
                return module.parse(data, file)
        raise AssertionError(f"no parser for {file}")

    monkeypatch.setattr(receipts, "parse_payment_file", parse)


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    yield workspace
    workspace.close()


def test_camt_fixture_imports_with_its_structured_lines(ws: Workspace) -> None:
    (report,) = ws.receipts.import_paths([CAMT053])
    assert report.ok and report.format == "camt053"
    assert (report.payments, report.skipped) == (5, {"debits": 1, "returns": 1})
    rid = ws.receipts.find("TX-2024031400001234-1")
    r = ws.receipts.receipt(rid)
    assert (r.amount, r.currency, r.payer_name) == (D("11662.00"), "EUR", "Hafenlogistik Bremen AG")
    assert [(ln.reference, ln.paid_amount) for ln in ws.receipts.lines(rid)] == \
        [("2024-0117", D("12250.00")), ("2024-0009", D("-588.00"))]
    assert ws.receipts.import_paths([CAMT053])[0].noop


def test_a_malformed_fixture_is_refused_with_its_location(ws: Workspace) -> None:
    reports = ws.receipts.import_paths([TRUNCATED, CAMT054])
    assert [r.ok for r in reports] == [False, True]
    assert reports[0].problems[0].location.startswith("line ")
    assert ws.status()["payments"] == 3


BANK = [
    ParsedPayment("bank", "TRN-1001", date(2024, 3, 15), D("100.00"), "USD", "ACME CORP", "123456", bank_ref="BR1",
                  bank_text="ACH CREDIT"),
    ParsedPayment("bank", None, date(2024, 3, 16), D("2500.00"), "USD", "GLOBEX CORPORATION", "999111",
                  bank_ref="BR2", bank_text="ACH CREDIT GLOBEX"),
    ParsedPayment("bank", None, date(2024, 3, 16), D("42.00"), "USD", "INITECH", "555", bank_ref="BR3",
                  bank_text="WIRE INITECH"),
]
ADVICES = [
    ParsedPayment("advice", "trn 1001", date(2024, 3, 14), D("100.00"), "USD", "Acme Corp", payer_id="ACME01",
                  lines=(RemittanceLine("INV-1", D("60.00")), RemittanceLine("INV-2", D("40.00")))),
    ParsedPayment("advice", "NONREF", date(2024, 3, 14), D("2500.00"), "USD", "Globex Corp",
                  lines=(RemittanceLine("INV-77", D("2550.00"), discount=D("50.00")),)),
]


def _snapshot(ws: Workspace) -> list[tuple]:
    out = []
    for (rid,) in ws.db.rows("SELECT receipt_id FROM receipt"):
        r = ws.receipts.receipt(rid)
        out.append((r.payment_ref, r.amount, r.value_date, r.payer_name, r.source_formats, r.advice_amount,
                    tuple((ln.reference, ln.paid_amount, ln.discount) for ln in ws.receipts.lines(rid))))
    return sorted(out, key=repr)


def test_rendered_820_links_to_rendered_camt_in_either_order(tmp_path: Path) -> None:
    statement = (camt.render(BANK), "stmt.xml")
    remit = (x12_820.render(ADVICES), "remit.820")
    with Workspace.open(tmp_path / "a.duckdb", user="alice") as a, Workspace.open(tmp_path / "b.duckdb", user="bob") as b:
        first = a.receipts.import_files([statement, remit])
        second = b.receipts.import_files([remit, statement])
        assert [r.links for r in first] == [0, 2] and [r.links for r in second] == [0, 2]
        assert _snapshot(a) == _snapshot(b)
        globex = a.receipts.receipt(a.receipts.find("BR2"))
        assert (globex.amount, globex.value_date, globex.payer_account, globex.source_formats) == \
            (D("2500.00"), date(2024, 3, 16), "999111", "camt053+x12_820")
        assert a.status()["payments"] == 3


def test_camt053_and_camt054_of_the_same_entries_are_one_receipt_each(ws: Workspace) -> None:
    reports = ws.receipts.import_files([(camt.render(BANK, version="053.001.02"), "s.053.xml"),
                                        (camt.render(BANK, version="054.001.08"), "n.054.xml")])
    assert reports[1].skipped.get("duplicates") == 3 and reports[1].payments == 0
    assert ws.status()["payments"] == 3


def test_cli_imports_several_files_and_lists_the_failures(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "ws.duckdb")
    remit = tmp_path / "remit.820"
    remit.write_bytes(x12_820.render(ADVICES))
    stmt = tmp_path / "stmt.xml"
    stmt.write_bytes(camt.render(BANK))
    code = main(["--db", db, "--user", "alice", "import", "remittance", str(TRUNCATED), str(remit), str(stmt)])
    out = capsys.readouterr()
    assert code == 1
    assert "1 of 3 files refused: camt053_truncated_MALFORMED.xml" in out.err
    assert "stmt.xml: camt053" in out.out and "2 linked" in out.out
    assert main(["--db", db, "import", "remittance", str(stmt), "--json"]) == 0
    assert '"noop": true' in capsys.readouterr().out
    assert main(["--db", db, "receipts", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("\n") == 3 and "camt053+x12_820" in listing
    assert main(["--db", db, "receipts", "show", "TRN-1001"]) == 0
    shown = capsys.readouterr().out
    assert "INV-1" in shown and "remit.820" in shown and "stmt.xml" in shown
    assert main(["--db", db, "export", "payments", str(tmp_path / "p.csv")]) == 0
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").count("\n") == 4
    assert main(["--db", db, "receipts", "show", "NOPE"]) == 1


FORMAT_FOLDERS = ("camt053", "camt054", "bai2", "bai_lockbox", "mt940", "x12_820", "edifact_remadv", "nacha", "sheet")
ALL_FIXTURES = sorted(p for folder in FORMAT_FOLDERS if (FIXTURES / folder).is_dir()
                      for p in (FIXTURES / folder).iterdir() if p.is_file() and p.suffix != ".py")


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_imports_whole_or_not_at_all(ws: Workspace, path: Path) -> None:
    data = path.read_bytes()
    parsed = receipts.parse_payment_file(data, path.name)
    (report,) = ws.receipts.import_files([(data, path.name)])
    written = ws.db.scalar("SELECT count(*) FROM payment_source")
    if not report.ok:
        assert report.problems and all(p.message for p in report.problems)
        assert written == 0 and ws.status()["payments"] == 0
        assert ws.db.scalar("SELECT count(*) FROM import_batch") == 0
        return
    assert parsed.ok and written == len(parsed.payments) == report.payments
    assert report.format == parsed.format
    assert report.line_count == sum(len(p.lines) for p in parsed.payments)
    assert ws.db.scalar("SELECT count(*) FROM remittance_line") <= report.line_count
    assert ws.db.scalar("SELECT sum(amount) FROM payment_source") == \
        sum((receipts.advice_total(p) for p in parsed.payments), D("0.00")) or not parsed.payments
    assert ws.receipts.import_files([(data, path.name)])[0].noop
