"""The varied world: banks and customers that write their files their own way, end to end (import + match)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cashbook.cli import main
from cashbook.demo import build_world, payment_files
from cashbook.demo_varied import BANK_CONVENTIONS, Conventions
from cashbook.formats.detect import parse_payment_file
from bench.evaluation import load_world, score_world
from cashbook.service import Workspace


@pytest.fixture(scope="module")
def varied():
    return build_world(seed=5, customers=220, receipts=220, conventions="varied")


def test_styles_are_drawn_per_bank_and_per_customer_and_reproducible():
    first, second = Conventions.draw(3), Conventions.draw(3)
    assert first.banks == second.banks
    assert {b.format for b in first.banks.values()} == set(BANK_CONVENTIONS)
    assert first.customer("C10001") == second.customer("C10001")
    habits = {(s.advice, s.states_currency, s.sheet_style) for s in (first.customer(f"C{n}") for n in range(10001, 10100))}
    assert len(habits) > 8, "customers write in many different ways"


def test_the_standard_world_is_unchanged_by_the_varied_option():
    plain = build_world(seed=9, customers=120, receipts=60)
    again = build_world(seed=9, customers=120, receipts=60, conventions="standard")
    assert [p.bank for p in plain.payments] == [p.bank for p in again.payments]
    assert plain.conventions is None


def test_varied_files_name_the_payer_in_text_and_advices_state_no_currency(varied):
    files = payment_files(varied)
    parsed = {name: parse_payment_file(data, name.split("/")[1]) for name, data in files.items()}
    assert all(p.ok for p in parsed.values()), {n: p.problems[:2] for n, p in parsed.items() if not p.ok}
    formats = {p.format for p in parsed.values()}
    assert {"camt053", "bai2", "mt940"} <= formats and formats & {"x12_820", "edifact_remadv", "sheet"}
    texts = [pay.bank_text for name, p in parsed.items() if name.startswith("bank/") and p.format != "camt053"
             for pay in p.payments]
    conventions = {b.convention for b in varied.conventions.banks.values()}
    assert len(conventions) >= 4
    # Wherever the payer was written only in the text, the parser found a name there again.
    text_banks = [p for name, p in parsed.items() if name.startswith("bank/") and p.format in ("bai2", "mt940")]
    named = [pay for p in text_banks for pay in p.payments if pay.payer_name]
    assert texts and len(named) >= 0.95 * sum(len(p.payments) for p in text_banks)
    advices = [pay for name, p in parsed.items() if name.startswith("remittance/") for pay in p.payments]
    assert any(a.currency is None for a in advices) and any(a.currency == "GBP" for a in advices)
    assert Counter(p.scenario for p in varied.payments)["third_party"] > 0


@pytest.fixture(scope="module")
def matched(varied, tmp_path_factory):
    """The varied world imported from its files and matched once, for the tests that read the result."""
    path = tmp_path_factory.mktemp("varied") / "ws.duckdb"
    with Workspace.open(path, user="alice") as ws:
        load_world(ws, varied)
        report = ws.matching.run()
        score = score_world(ws, varied)
    return path, report, score


def test_varied_world_end_to_end(varied, matched):
    _, report, score = matched
    assert report.receipts > 150
    assert score.payments == sum(1 for p in varied.payments if p.bank is not None)
    assert score.precision >= 0.99, score.wrong[:5]
    assert score.straight_through_rate >= 0.85, score.missed


def test_varied_banks_keep_other_currencies_and_a_bai2_bank_states_none(varied):
    banks = varied.conventions.banks.values()
    assert {b.currency for b in banks} >= {"GBP", "EUR", "USD"}
    blank = [b for b in banks if not b.states_currency]
    assert blank and all(b.format == "bai2" for b in blank)
    files = payment_files(varied)
    for b in blank:
        parsed = parse_payment_file(files[f"bank/{b.code}_bai2.bai"], f"{b.code}_bai2.bai")
        assert parsed.payments and {p.currency for p in parsed.payments} == {None}


def test_varied_receipts_take_a_currency_from_their_files_or_the_master_never_an_invented_one(matched):
    path, _, _ = matched
    with Workspace.open(path, user="alice") as ws:
        currencies = dict(ws.db.rows("SELECT coalesce(currency, '?'), count(*) FROM receipt GROUP BY ALL"))
        crossed = ws.db.rows("SELECT r.payment_ref, r.currency, o.doc_no, o.currency FROM allocation_entry e "
                             "JOIN receipt r ON r.receipt_id = e.receipt_id JOIN open_item o ON o.doc_no = e.doc_no "
                             "WHERE r.currency IS DISTINCT FROM o.currency")
    assert set(currencies) >= {"GBP", "EUR", "USD"}, currencies
    # Only payments nothing identifies (no file states a currency, no payer in the master) stay unknown.
    assert currencies.get("?", 0) <= 0.05 * sum(currencies.values()), currencies
    assert crossed == [], crossed[:5]


def test_cli_writes_a_varied_demo(tmp_path: Path):
    folder = tmp_path / "varied"
    assert main(["--user", "demo", "demo", str(folder), "--conventions", "varied", "--customers", "120",
                 "--no-workspace"]) == 0
    banks = sorted(p.name for p in (folder / "bank").iterdir())
    assert len(banks) >= 3 and any(n.endswith(".bai") for n in banks) and any(n.endswith(".sta") for n in banks)


def _sheet_payments(files: dict[str, bytes]) -> tuple[Counter, dict[str, int]]:
    """Every payment the customers' sheets carry (reference, amount, payer, lines), and payments a file."""
    seen: Counter = Counter()
    per_file: dict[str, int] = {}
    for name, data in files.items():
        if not name.endswith((".csv", ".xlsx")):
            continue
        parsed = parse_payment_file(data, name.split("/")[1])
        assert parsed.ok, (name, parsed.problems[:3])
        per_file[name] = len(parsed.payments)
        for p in parsed.payments:
            seen[(p.payment_ref, p.value_date, p.amount,
                  tuple((l.reference, l.paid_amount, l.discount, l.adjustment, l.reason_code) for l in p.lines))] += 1
    return seen, per_file


def test_batched_sheets_carry_the_same_payments_as_one_sheet_per_customer(varied):
    """The day benchmark's bureau batches (issue 13): fewer, larger files, read back to the same payments."""
    alone, _ = _sheet_payments(payment_files(varied))
    small, small_files = _sheet_payments(payment_files(varied, sheet_batch=2))
    large, large_files = _sheet_payments(payment_files(varied, sheet_batch=10_000))
    assert small == alone and large == alone and sum(alone.values()) > 20
    assert max(small_files.values()) <= 2 < max(large_files.values())
    layouts = {(s.sheet_fmt, s.sheet_style, varied.conventions.currency(p.payer_no))
               for p in varied.payments if p.advice is not None and p.channel.endswith("+sheet")
               for s in [varied.conventions.customer(p.payer_no)]}
    assert len(large_files) <= len(layouts), "one file per layout, file type and currency when the batch is big"
