"""The set-wise parts of a match run decide as the per-receipt Python did: contested documents in SQL,
the amount book built from SQL-sorted columns, fuzzy pairs as numbers, Arrow columns read fast."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa

from cashbook.cli import main
from cashbook.matching import rules
from cashbook.matching.passes import fuzzy_reference_hits
from cashbook.matching.service import _pylist
from tests.matching_helpers import NW, TODAY, D, allocations, group_world, line, receipt_id, status


def test_contested_documents_are_found_set_wise(tmp_path):
    world = group_world(tmp_path)
    world.item("INV9401", "S1", "700.00").item("INV9402", "S2", "1000.00").load()
    day = TODAY - timedelta(days=3)
    a = world.pay("700.00", account=NW, lines=[line("INV9401", "700.00")], value_date=day)
    b = world.pay("700.00", name="Northwind Holdings PLC", lines=[line("INV9401", "700.00")], value_date=day)
    later = world.pay("700.00", account=NW, lines=[line("INV9401", "700.00")], value_date=day + timedelta(days=1))
    c = world.pay("400.00", account=NW, lines=[line("INV9402", "400.00")], value_date=day)
    d = world.pay("400.00", account=NW, lines=[line("INV9402", "400.00")], value_date=day)
    world.ws.matching.run()
    ws = world.ws
    # a and b claim 1,400 of the 700 open on the same day: neither comes first, both go to a clerk.
    assert status(ws, a) == status(ws, b) == "suggested"
    explain_a = "\n".join(ws.matching.explain(receipt_id(ws, a)))
    assert f"INV9401 is also claimed by receipt #{receipt_id(ws, b)} on the same value date" in explain_a
    # A day later the document is nobody else's claim; 800 of 1,000 is no contest either.
    assert allocations(ws, later) == [("applied", "INV9401", "S1", D("700.00"), D("0.00"), D("0.00"))]
    assert allocations(ws, c) == allocations(ws, d) == [("applied", "INV9402", "S2", D("400.00"), D("0.00"),
                                                          D("0.00"))]


def _random_docs(seed: int) -> dict[str, rules.Doc]:
    rng = random.Random(seed)
    docs = {}
    for n in range(300):
        scope = f"G:{rng.randint(1, 4)}"
        customer = f"C{rng.randint(1, 9)}{scope[-1]}"
        open_cents = rng.choice([0, 500, 1000, 1500, 2500, -300, rng.randint(1, 9000)])
        doc_no = f"D{rng.randint(0, 10**6):07d}-{n}"
        docs[doc_no] = rules.Doc(doc_no, "INV", customer, date(2025, 1, 1) + timedelta(days=rng.randint(0, 60)),
                                 abs(open_cents) + 100, open_cents, scope, customer)
    return docs


def _snapshot(book: rules.OpenBook, scopes: list[str], rejected: frozenset[str]) -> list:
    out = []
    for scope in scopes:
        for amount in (500, 1000, 1500, 2500, 3000, 4000, 123):
            out.append(book.equal(scope, amount, rejected))
            out.append(book.members(scope, amount, rejected, 22))
    return out


def test_open_book_from_sorted_columns_is_the_same_book():
    for seed in range(5):
        docs = _random_docs(seed)
        scope_docs: dict[str, list[str]] = {}
        for doc in docs.values():
            if doc.open_start and doc.scope_key != "G:4":  # one scope not searched by amount
                scope_docs.setdefault(doc.scope_key, []).append(doc.doc_no)
        reference = rules.OpenBook(docs, scope_docs)
        rows = sorted((docs[d] for nos in scope_docs.values() for d in nos),
                      key=lambda d: (d.scope_key, d.customer_no, d.doc_date, d.doc_no))
        built = rules.OpenBook.from_sorted([d.scope_key for d in rows], [d.doc_no for d in rows],
                                           [d.customer_no for d in rows], np.array([d.open_start for d in rows]))
        scopes = ["G:1", "G:2", "G:3", "G:4", "C:none"]
        rejected = frozenset(list(docs)[:7])
        assert _snapshot(built, scopes, frozenset()) == _snapshot(reference, scopes, frozenset())
        assert _snapshot(built, scopes, rejected) == _snapshot(reference, scopes, rejected)
        for doc_no in list(docs)[::5]:  # what an applied decision leaves open, in both books
            reference.set_open(doc_no, 0)
            built.set_open(doc_no, 0)
        assert _snapshot(built, scopes, frozenset()) == _snapshot(reference, scopes, frozenset())
    assert rules.OpenBook.from_sorted([], [], [], np.zeros(0, dtype=np.int64)).equal("G:1", 5, frozenset()) == (0, [])


def test_fuzzy_hits_travel_as_numbers():
    refs = ["502034", "777001", "1234"]
    docs = ["502043", "502034", "999999", "777010", "12345"]
    ref_idx = np.array([0, 0, 0, 1, 1, 2, 2], dtype=np.int32)
    doc_idx = np.array([0, 1, 2, 3, 2, 4, 0], dtype=np.int32)
    keep, distances = fuzzy_reference_hits(refs, docs, ref_idx, doc_idx, 2)
    # a swap of two digits is one edit (OSA); a different number is not a near miss
    assert keep.tolist() == [0, 1, 3, 5]
    assert distances.tolist() == [1, 0, 1, 1]
    empty_keep, empty_distances = fuzzy_reference_hits(refs, docs, np.zeros(0, np.int32), np.zeros(0, np.int32), 2)
    assert len(empty_keep) == len(empty_distances) == 0


def test_arrow_columns_read_as_to_pylist_reads_them():
    dates = pa.chunked_array([pa.array([date(2025, 3, 1), None], pa.date32()), pa.array([date(1999, 12, 31)], pa.date32())])
    percents = pa.chunked_array([pa.array([Decimal("2.0000"), None, Decimal("1.5000")], pa.decimal128(9, 4)),
                                 pa.array([Decimal("2.0000")], pa.decimal128(9, 4))])
    texts = pa.chunked_array([pa.array(["a", None]), pa.array(["é"])])
    for column in (dates, percents, texts, pa.array([None], pa.date32()), pa.chunked_array([], pa.decimal128(9, 4)),
                   pa.chunked_array([], pa.date32()), pa.array([], pa.date32())):  # a run with no dates at all
        assert _pylist(column) == column.to_pylist()
        assert [type(v) for v in _pylist(column)] == [type(v) for v in column.to_pylist()]


def test_match_prints_its_stages(tmp_path, capsys):
    world = group_world(tmp_path)
    world.item("INV1001", "S1", "500.00").load()
    world.pay("500.00", account=NW, lines=[line("INV1001", "500.00")])
    world.ws.close()
    capsys.readouterr()
    assert main(["--db", str(world.path), "--user", "alice", "match", "--timings"]) == 0
    out = capsys.readouterr().out
    stages = next(row for row in out.splitlines() if row.startswith("stages: "))
    assert [part.split()[0] for part in stages[len("stages: "):].split(" (total")[0].split(", ")] == [
        "payers", "candidates", "fuzzy", "load", "decide", "write"]
