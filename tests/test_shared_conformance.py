"""Every real-world sample in ../shared/fixtures through the whole import, as a clerk would run it.

Files named *_MALFORMED* are refused cleanly (problems named, nothing written). Every other file
imports, except one refused for a reason a clerk would put to the bank (REFUSED below, with
why). Files whose meaning is clear but which a clerk must look at import with warnings in the
import report (WARNED below, with why); the rest import without one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cashbook.service import Workspace
from tests.conftest import SHARED_FIXTURES

FOLDERS = ["bai2", "bai_lockbox", "camt053", "camt054", "csv_excel", "edifact_remadv", "mt940", "nacha", "x12_820"]

# Refused although not named MALFORMED, and why the bank is at fault.
REFUSED = {
    # Its 49/98/99 trailers were edited upstream: the control totals are off by billions from the
    # records, so records may be missing; Cashbook refuses bank files whose control totals disagree.
    "bai2_newline_delimited_continuations_no_slash.bai": {"control total", "record count", "number of accounts"},
}

_GAP = "ENTRIES MAY BE MISSING"  # opening balance plus entries does not reach the closing balance
# Imported with a warning in the report: file -> (words the warning holds, why).
WARNED = {
    "bai2_citi_gbp_faster_payments_88_text.bai": (_GAP, "010 opening 100.00 + 0.01 credit, but 015 closing 100.00"),
    "bai2_daily_03_summary_continued_88.bai": (_GAP, "010 and 015 are 0.00 around a 250.01 credit"),
    "camt053_v02_abnamro_style_btch_rtrinf_no_xml_decl.xml": (_GAP, "OPBD + booked entries is not CLBD"),
    "camt053_v02_ch_amtdtls_instdamt_txamt_prtryamt.xml": (_GAP, "OPBD 100 + 4,500 is not CLBD 4,500"),
    "camt053_v02_dbtr_prvtid_nidn_orgid_party_ids.xml": (_GAP, "sample balances in three currencies"),
    "camt053_v02_rltdpties_ultmtdbtr_ultmtcdtr.xml": (_GAP, "sample balances in three currencies"),
    "camt053_v02_strd_cdtrrefinf.xml": (_GAP, "sample balances in three currencies"),
    "camt053_v08_strd.xml": (_GAP, "sample balances in three currencies"),
    "remadv_d96a_three_invoices_credit_discount.edi": ("UNT", "the message's segment count is off by one"),
    "mt940_abnamro_multiple_statements.sta": (_GAP, "statements edited upstream"),
    "mt940_bcr_ro_platitor_codfisc_roc_rfb_forward_balance.sta": (_GAP, "entries moved to a deposit not shown"),
    "mt940_de_86_abwa_ultimate_debtor_60_63.sta": (_GAP, "a snippet of one entry"),
    "mt940_de_86_wrapped_line_looks_like_tag.sta": ("30 February", "value date 30 February taken as 1 March"),
    "mt940_february_30_invalid_date.sta": ("30 February", "value date 30 February taken as 1 March"),
    "mt940_ing_structured_86.sta": (_GAP, "opening 0.00, closing 3.47, entries -45.59"),
    "mt940_mbank_pl_od_tyt_faktura_soh_etx.sta": (_GAP, "a snippet of a longer statement"),
    "mt940_postfinance_ch_auftraggeber_mitteilungen.sta": (_GAP, "amounts anonymised upstream"),
    "mt940_rabobank_legacy.sta": (_GAP, "statements edited upstream"),
    "mt940_rabobank_sepa_ordp_name_remi_invoice_refs.sta": (_GAP, "statements edited upstream"),
    "mt940_raiffeisen_hu_86_payer_on_third_line.sta": (_GAP, "a snippet of a longer statement"),
    "mt940_sepa_snippet_86_subfields.sta": (_GAP, "a snippet of a longer statement"),
    "mt940_sns_nl_swift_blocks_padded_86_factuur.940": ("without a closing balance", "a SWIFT block ends with no :62F:"),
    "nacha_ccd_prenote_batch_one_cent_credit_zero_effective_date.ach": ("batch count", "says 2 batches, holds 1"),
    "nacha_ccdplus_txp_tax_addenda.ach": ("effective entry date", "blank effective date: creation date used"),
    "nacha_usbank_ppd_multi_batch_micro_deposits.ach": ("batch count", "says 5 batches, holds 4; totals agree"),
}


def shared_samples() -> list:
    files = [p for folder in FOLDERS if (SHARED_FIXTURES / folder).is_dir()
             for p in sorted((SHARED_FIXTURES / folder).iterdir()) if p.name != "SOURCES.md"]
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/fixtures is absent"))]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in files]


@pytest.mark.parametrize("path", shared_samples())
def test_shared_sample_imports_or_is_refused_cleanly(path: Path, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.duckdb", user="conformance") as ws:
        (report,) = ws.receipts.import_paths([path])
        receipts = ws.db.scalar("SELECT count(*) FROM receipt")
        sources = ws.db.scalar("SELECT count(*) FROM payment_source")
    if "MALFORMED" in path.name or path.name in REFUSED:
        assert not report.ok and report.problems, "a broken file must be refused with its problems"
        assert all(p.file and p.message for p in report.problems)
        assert receipts == 0 and sources == 0, "a refused file writes nothing"
        if path.name in REFUSED:
            assert {p.column for p in report.problems} <= REFUSED[path.name]
        return
    assert report.ok, "\n".join(str(p) for p in report.problems)
    assert report.payments == receipts or report.payments + sum(report.skipped.values()) > 0
    if path.name in WARNED:
        words, _why = WARNED[path.name]
        assert any(words in w for w in report.warnings), report.warnings
        assert any("warning: " in line and words in line for line in report.lines())
    else:
        assert report.warnings == [], report.warnings


def test_every_warned_or_refused_sample_exists() -> None:
    present = {p.name for folder in FOLDERS if (SHARED_FIXTURES / folder).is_dir()
               for p in (SHARED_FIXTURES / folder).iterdir()}
    if not present:
        pytest.skip("../shared/fixtures is absent")
    assert set(WARNED) | set(REFUSED) <= present
