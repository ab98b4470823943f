"""Every real-world sample in ../shared/fixtures through the whole import, as a clerk would run it.

Files named *_MALFORMED* must be refused cleanly (problems named, nothing written); every other
file must import. One documented exception: the Goldman-style BAI2 sample's trailers were
edited upstream and disagree with its records (counts and control totals), and Cashbook
refuses bank files whose control totals do not reconcile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cashbook.service import Workspace
from tests.conftest import SHARED_FIXTURES

FOLDERS = ["bai2", "bai_lockbox", "camt053", "camt054", "csv_excel", "edifact_remadv", "mt940", "nacha", "x12_820"]
CONTROL_TOTALS_DISAGREE = {"bai2_newline_delimited_continuations_no_slash.bai"}


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
    if "MALFORMED" in path.name or path.name in CONTROL_TOTALS_DISAGREE:
        assert not report.ok and report.problems, "a broken file must be refused with its problems"
        assert all(p.file and p.message for p in report.problems)
        assert receipts == 0 and sources == 0, "a refused file writes nothing"
        if path.name in CONTROL_TOTALS_DISAGREE:
            assert {p.column for p in report.problems} <= {"control total", "record count", "number of accounts"}
    else:
        assert report.ok, "\n".join(str(p) for p in report.problems)
        assert report.payments == receipts or report.payments + sum(report.skipped.values()) > 0
