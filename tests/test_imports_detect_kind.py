"""detect_kind: which import a dropped file is for, from its header row or its payment format."""

from __future__ import annotations

from pathlib import Path

import pytest

from cashbook.imports import detect_kind

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("path", "kind"), [
    ("erp/customers.csv", "customers"),
    ("erp/customers.xlsx", "customers"),
    ("erp/items.csv", "items"),
    ("erp/items.xlsx", "items"),
    ("erp/items_erp_synonyms.csv", "items"),      # an ERP's own headers, found through synonyms
    ("hierarchy/whitbread.csv", "hierarchy"),
    ("camt053/camt053_v02_batch_notprovided.xml", "payments"),
    ("bai2/multi_account.bai", "payments"),
    ("mt940/german_subfields.sta", "payments"),
    ("sheet/shared_service_multi_payment.csv", "payments"),  # a remittance advice kept as CSV
    ("sheet/whitbread_preamble_row9.xlsx", "payments"),
])
def test_fixture_files_are_told_apart(path: str, kind: str) -> None:
    assert detect_kind((FIXTURES / path).read_bytes(), Path(path).name) == kind


def test_the_template_matching_most_columns_wins() -> None:
    # customer_no fits the master, the items and the hierarchy; only the complete template counts
    master = b"customer_no,name,currency,parent_no\nC1,Acme,GBP,\n"
    hierarchy = b"group,customer_no,parent_customer_no,primary\nAcme,C1,,Y\n"
    assert detect_kind(master, "a.csv") == "customers"
    assert detect_kind(hierarchy, "b.csv") == "hierarchy"


def test_header_found_below_a_preamble() -> None:
    data = b"Open items export\nrun 2026-01-05\n\ndoc_no,doc_type,customer_no,doc_date,amount\nI1,INV,C1,2026-01-01,10.00\n"
    assert detect_kind(data, "items.csv") == "items"


def test_a_table_with_unknown_headers_is_a_payment_sheet_the_clerk_can_remap() -> None:
    assert detect_kind(b"Kundenref;Firma;Whg\nZ900;Zeta Foods Ltd;GBP\n", "odd.csv") == "payments"


@pytest.mark.parametrize(("data", "name"), [
    (b"", "empty.csv"),
    (b"just a sentence with no table in it\n", "notes.txt"),
    (b"\x00\x01\x02\x03binary" * 50, "blob.bin"),
    (b'{"not": "a payment file"}', "data.json"),
])
def test_anything_else_is_unknown(data: bytes, name: str) -> None:
    assert detect_kind(data, name) == "unknown"
