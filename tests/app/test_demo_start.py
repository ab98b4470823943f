"""The demo workspace is built, not committed: the first start builds it from data/'s files into an ignored file."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, ROOT, texts


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_workspace_file_is_ignored_and_not_tracked() -> None:
    tracked = subprocess.run(["git", "ls-files", "data"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "data/erp/open_items.csv" in tracked and "cashbook.duckdb" not in tracked
    ignored = subprocess.run(["git", "check-ignore", "data/cashbook.duckdb", "data/cashbook.duckdb.wal"], cwd=ROOT,
                             capture_output=True, text=True)
    assert ignored.stdout.split() == ["data/cashbook.duckdb", "data/cashbook.duckdb.wal"]
    assert "cashbook demo data --from-files" in (ROOT / "scripts" / "app").read_text()


def test_first_start_builds_the_workspace_from_the_files_and_leaves_them_alone(tmp_path, monkeypatch) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal"))
    before = _hashes(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASHBOOK_DB", raising=False)
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "demo workspace was built in `data/cashbook.duckdb`" in texts(at)
    assert (tmp_path / "data" / "cashbook.duckdb").is_file()
    after = {k: v for k, v in _hashes(tmp_path / "data").items() if not k.startswith("cashbook.duckdb")}
    assert after == before  # the tracked sources were read, not rewritten
    at.button(key="alloc_run").click().run()  # working in the app changes only the ignored workspace
    assert not at.exception
    assert {k: v for k, v in _hashes(tmp_path / "data").items() if not k.startswith("cashbook.duckdb")} == before
