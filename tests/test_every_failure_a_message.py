"""Every failure a message (issue 15, why 6 and 7): profiles, full disks, workspaces, names, exact ERP files."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from cashbook import exports
from cashbook.errors import CashbookError, FileRefused, NameRefused, WorkspaceError
from cashbook.exports import ExportError, table_bytes, write_file
from cashbook.names import shown_file_name, user_name_problem
from cashbook.service import Workspace
from tests.conftest import FIXTURES

ERP = FIXTURES / "erp"
ITEM_HEADER = "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount,po_number,discount_pct,discount_days"


def cashbook(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "CASHBOOK_USER": "carol", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cashbook.cli.main", *args], env=full, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


# -- mapping profiles -------------------------------------------------------------------------------
@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    workspace.import_customers(ERP / "customers.csv")
    yield workspace
    workspace.close()


@pytest.mark.parametrize("profile,expected", [
    ([{"doc_no": "Beleg"}], "a mapping profile is an object with 'columns' and 'date_format', not a list"),
    ({"columns": {"doc_no": "Beleg"}, "date_fromat": "%d.%m.%Y"}, "unknown key 'date_fromat' (did you mean date_format?)"),
    ({"colums": {"doc_no": "Beleg"}}, "unknown key 'colums' (did you mean columns?)"),
    ({"columns": {"doc_nr": "Beleg"}}, "unknown key 'doc_nr' (did you mean doc_no?)"),
    ({"columns": {"doc_no": "Beleg", "po_number": "beleg"}},
     "doc_no and po_number are mapped to the same header 'Beleg'"),
    ({"columns": {"doc_no": "Beleg"}, "date_format": "%Q-%Q"}, "date_format '%Q-%Q' has unknown directives %Q"),
    ({"columns": {"doc_no": "Beleg"}, "date_format": 7}, "date_format must be a text"),
])
def test_bad_profiles_are_refused_by_name_without_a_traceback(tmp_path: Path, profile: object, expected: str) -> None:
    """Why 6: a profile that is a JSON array raised AttributeError, a date_format of %Q-%Q InvalidInputException."""
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    items = tmp_path / "items.csv"
    items.write_text("Beleg,doc_type,customer_no,doc_date,amount\nI1,INV,C102,2026-01-01,5.00\n")
    done = cashbook("--db", str(tmp_path / "ws.duckdb"), "import", "items", str(items), "--mapping", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Mapping refused: profile.json:" in done.stderr and expected in done.stderr, done.stderr


def test_a_profile_header_the_file_lacks_is_refused(ws: Workspace, tmp_path: Path) -> None:
    """Why 7: a mapping to a header that does not exist was ignored silently."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"columns": {"doc_no": "Belegnummer", "po_number": "Bestellung"}}))
    data = "Belegnummer,doc_type,customer_no,doc_date,amount\nI1,INV,C102,2026-01-01,5.00\n".encode()
    with pytest.raises(FileRefused) as info:
        ws.import_items(data, file_name="items.csv", mapping=path)
    assert [p.message for p in info.value.problems] == [
        "the profile maps po_number to the header 'Bestellung', which this file does not have; the header has: "
        "Belegnummer, doc_type, customer_no, doc_date, amount"]
    path.write_text(json.dumps({"columns": {"doc_no": "Belegnummer", "group": "Gruppe"}}))
    with pytest.raises(FileRefused, match="the profile maps 'group', which is not a column of a items file"):
        ws.import_items(data, file_name="items.csv", mapping=path)
    path.write_text(json.dumps({"columns": {"doc_no": "Belegnummer"}, "date_format": "%d.%m.%Y"}))
    ws.import_items(data.replace(b"2026-01-01", b"01.02.2026"), file_name="items.csv", mapping=path)
    assert str(ws.db.scalar("SELECT doc_date FROM open_item WHERE doc_no = 'I1'")) == "2026-02-01"


# -- full disks and refused folders -----------------------------------------------------------------
def _fail_with(code: int):
    real = os.fdopen

    def failing(fd: int, *args: object, **kwargs: object):
        handle = real(fd, *args, **kwargs)

        class Full(io.BufferedWriter):
            pass

        def write(data: bytes) -> int:
            raise OSError(code, os.strerror(code))

        handle.write = write  # type: ignore[method-assign]
        return handle

    return failing


@pytest.mark.parametrize("code,sentence", [(errno.ENOSPC, "the disk is full"), (errno.EACCES, "permission denied")])
def test_write_file_reports_one_sentence_and_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 code: int, sentence: str) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"the previous export\n")
    monkeypatch.setattr(exports.os, "fdopen", _fail_with(code))
    with pytest.raises(ExportError) as info:
        write_file(target, b"new,data\n")
    assert str(info.value) == f"{target} was not written: {sentence}" + (
        "; free some space and try again" if code == errno.ENOSPC else "; choose a folder you may write to") + \
        "; nothing was written"
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no .part left behind
    assert target.read_bytes() == b"the previous export\n"  # the old file is untouched


def test_write_file_to_a_missing_folder_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="the folder does not exist"):
        write_file(tmp_path / "nope" / "out.csv", b"x")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_real_enospc_from_the_kernel_is_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The temp file's descriptor is /dev/full, which refuses every write with ENOSPC: no half file stays."""
    part = tmp_path / ".out.csv.part"
    part.write_bytes(b"")

    def full_temp(dir: str, prefix: str, suffix: str) -> tuple[int, str]:
        return os.open("/dev/full", os.O_WRONLY), str(part)

    monkeypatch.setattr(exports.tempfile, "mkstemp", full_temp)
    with pytest.raises(ExportError, match="the disk is full"):
        write_file(tmp_path / "out.csv", b"x" * 100_000)
    assert list(tmp_path.iterdir()) == []


def test_a_device_or_folder_is_never_replaced(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="is not a regular file"):
        write_file("/dev/null", b"x")
    assert Path("/dev/null").is_char_device()
    with pytest.raises(ExportError, match="that is a folder"):
        write_file(tmp_path, b"x")


def test_export_postings_onto_a_full_disk_rolls_back_and_leaves_no_file(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Why 6: `export postings` onto a full disk ended with `OSError: [Errno 28]`."""
    db = tmp_path / "ws.duckdb"
    demo = cashbook("demo", str(tmp_path / "demo"), "--customers", "12")
    assert demo.returncode == 0, demo.stderr
    db = tmp_path / "demo" / "cashbook.duckdb"
    code = (
        "import errno, os, sys\n"
        "import cashbook.exports as e\n"
        "real = os.fdopen\n"
        "def full(fd, *a, **k):\n"
        "    h = real(fd, *a, **k)\n"
        "    def write(data): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "    h.write = write\n"
        "    return h\n"
        "e.os.fdopen = full\n"
        "from cashbook.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    out = tmp_path / "postings.csv"
    done = subprocess.run([sys.executable, "-c", code, "--db", str(db), "--user", "carol", "export", "postings",
                           str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "the disk is full" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    again = cashbook("--db", str(db), "export", "postings", str(out))  # nothing was recorded: all still waiting
    assert again.returncode == 0 and out.exists(), again.stderr
    assert len(out.read_text().splitlines()) > 1


def test_disk_full_inside_the_workspace_is_a_sentence() -> None:
    import duckdb

    from cashbook.db.connection import describe_failure

    error = describe_failure(duckdb.IOException('Could not write file "ws.duckdb": No space left on device'), "ws.duckdb")
    assert (error.title, str(error)) == (
        "Disk full", "ws.duckdb: the disk is full; free some space and try again (nothing was written)")
    error = describe_failure(PermissionError(errno.EACCES, "Permission denied"), "ws.duckdb")
    assert error.title == "Permission denied"


# -- CASHBOOK_DB and damaged workspaces ------------------------------------------------------------
def test_cashbook_db_empty_or_in_a_missing_folder_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    """Why 7: CASHBOOK_DB pointing into a missing folder, or set to '', silently created an empty workspace."""
    done = cashbook("status", env={"CASHBOOK_DB": ""}, cwd=tmp_path)
    assert done.returncode == 1 and "CASHBOOK_DB is set but empty" in done.stderr and "Traceback" not in done.stderr
    done = cashbook("import", "customers", str(ERP / "customers.csv"),
                    env={"CASHBOOK_DB": str(tmp_path / "missing" / "ws.duckdb")}, cwd=tmp_path)
    assert done.returncode == 1 and "does not exist" in done.stderr
    assert list(tmp_path.iterdir()) == []
    done = cashbook("status", env={"CASHBOOK_DB": str(tmp_path / "new.duckdb")})
    assert done.returncode == 1 and "there is no workspace at" in done.stderr and "nothing was created" in done.stderr
    assert list(tmp_path.iterdir()) == []  # status never creates a workspace
    done = cashbook("import", "customers", str(ERP / "customers.csv"), env={"CASHBOOK_DB": str(tmp_path / "new.duckdb")})
    assert done.returncode == 0, done.stderr  # a new file in a folder that exists is a new workspace
    assert cashbook("status", env={"CASHBOOK_DB": str(tmp_path / "new.duckdb")}).returncode == 0


@pytest.mark.parametrize("command", [["status"], ["import", "items", "ITEMS"], ["export", "postings", "OUT"],
                                     ["verify"]])
def test_a_workspace_cut_in_half_is_reported_damaged_by_every_command(tmp_path: Path, command: list[str]) -> None:
    """Why 7: a DuckDB file cut in half gave `status` exit 0."""
    db = tmp_path / "ws.duckdb"
    with Workspace.open(db, user="carol") as workspace:
        workspace.import_customers(ERP / "customers.csv")
        workspace.import_items(ERP / "items.csv")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    args = [str(ERP / "items.csv") if a == "ITEMS" else str(tmp_path / "p.csv") if a == "OUT" else a for a in command]
    done = cashbook("--db", str(db), *args)
    if done.returncode == 2 and "invalid choice" in done.stderr:
        pytest.skip(f"no `{command[0]}` command on this branch")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Workspace damaged:" in done.stderr and "is damaged" in done.stderr, done.stderr
    assert db.read_bytes() == data[: len(data) // 2]  # nothing was changed


def test_a_tiny_file_is_damaged_not_a_new_workspace(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    db.write_bytes(b"DUCK" * 100)
    done = cashbook("--db", str(db), "status")
    assert done.returncode == 1 and "Workspace damaged" in done.stderr


# -- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,why", [
    ("\x1b[31mmallory", "control or text-direction"), ("bob\nalice", "control or text-direction"),
    ("eve\u202etxt.exe", "control or text-direction"), ("x" * 101, "at most 100"), ("   ", "only spaces"),
    ("", "only spaces"),
])
def test_odd_user_names_are_refused(tmp_path: Path, name: str, why: str) -> None:
    """Why 7: `--user` was stored and echoed raw (ANSI escapes, newlines, RTL overrides, 100,000 characters)."""
    db = tmp_path / "ws.duckdb"
    for how in ("flag", "env"):
        args = ["--user", name] if how == "flag" else []
        env = {"CASHBOOK_USER": name} if how == "env" else {}
        done = cashbook("--db", str(db), *args, "import", "customers", str(ERP / "customers.csv"), env=env)
        assert done.returncode == 1 and "Name refused:" in done.stderr and why in done.stderr, done.stderr
        assert "\x1b" not in done.stderr and "\u202e" not in done.stderr
    assert not db.exists()
    with pytest.raises(NameRefused):
        Workspace.open(db, user=name)


def test_plain_names_in_any_script_are_kept_exactly() -> None:
    for name in ("Zoë Ünal", "山田 太郎", "O'Brien-Smith", "a" * 100):
        assert user_name_problem(name) is None


def test_file_names_are_stored_as_received_and_shown_escaped(tmp_path: Path) -> None:
    name = "items\x1b[2J\n\u202eVSC.csv"
    (tmp_path / name).write_text(f"{ITEM_HEADER}\nI1,INV,NOPE,2026-01-01,,GBP,5.00,,,,\n")
    db = tmp_path / "ws.duckdb"
    assert cashbook("--db", str(db), "import", "customers", str(ERP / "customers.csv")).returncode == 0
    done = cashbook("--db", str(db), "import", "items", str(tmp_path / name))
    assert done.returncode == 1 and "\x1b" not in done.stderr and "\u202e" not in done.stderr
    assert "items\\x1b[2J\\n\\u202eVSC.csv:1: customer_no:" in done.stderr
    fixed = tmp_path / name
    fixed.write_text(f"{ITEM_HEADER}\nI1,INV,C102,2026-01-01,,GBP,5.00,,,,\n")
    done = cashbook("--db", str(db), "import", "items", str(fixed))
    assert done.returncode == 0 and "items\\x1b[2J\\n\\u202eVSC.csv: imported" in done.stdout
    status = cashbook("--db", str(db), "status")
    assert "\x1b" not in status.stdout and "items\\x1b[2J" in status.stdout
    with Workspace.open(db, user="carol") as workspace:
        assert workspace.db.scalar("SELECT file_name FROM import_batch WHERE kind = 'items'") == name  # as received
    assert shown_file_name("plain name é.csv") == "plain name é.csv"
    assert shown_file_name("y" * 1000).endswith("... (1,000 characters)")


# -- exact files for the ERP, protected files for people ---------------------------------------------
def test_postings_for_the_erp_carry_references_exactly_while_people_files_are_protected() -> None:
    """Why 7: references in the postings file for the ERP carried the apostrophe against formulas ('+REF2)."""
    columns = ["doc_no", "description", "amount"]
    rows = [["+REF2", "=HYPERLINK(1)", Decimal("1.00")], ["-7", "@SUM", Decimal("2.00")]]
    machine = list(csv.reader(io.StringIO(table_bytes(columns, rows, "csv", for_machine=True).decode())))
    assert machine[1:] == [["+REF2", "=HYPERLINK(1)", "1.00"], ["-7", "@SUM", "2.00"]]
    people = list(csv.reader(io.StringIO(table_bytes(columns, rows, "csv").decode())))
    assert people[1:] == [["'+REF2", "'=HYPERLINK(1)", "1.00"], ["'-7", "'@SUM", "2.00"]]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(table_bytes(columns, rows, "xlsx")), read_only=False).active
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    types = [[c.data_type for c in row] for row in sheet.iter_rows(min_row=2, max_col=2)]
    assert [r[:2] for r in cells] == [["+REF2", "=HYPERLINK(1)"], ["-7", "@SUM"]]
    assert types == [["s", "s"], ["s", "s"]]  # text cells: Excel shows them and never runs them


def test_export_postings_writes_references_as_received(tmp_path: Path) -> None:
    from datetime import date

    from cashbook.formats import camt
    from cashbook.formats.base import ParsedPayment

    with Workspace.open(tmp_path / "ws.duckdb", user="carol") as workspace:
        workspace.import_customers(ERP / "customers.csv")
        workspace.import_items(f"{ITEM_HEADER}\n+REF2,INV,C102,2026-09-01,,GBP,100.00,,,,\n".encode(),
                               file_name="items.csv")
        payment = ParsedPayment("bank", "=PAY1", date(2026, 9, 20), Decimal("100.00"), "GBP", payer_name="@Payer")
        assert workspace.receipts.import_files([(camt.render([payment]), "bank.xml")])[0].problems == ()
        owner = getattr(workspace, "allocation", workspace.ledger)  # the one owner of clerk actions
        owner.apply_manual("=PAY1", "+REF2", Decimal("100.00"))
        out = tmp_path / "postings.csv"
        workspace.postings.export(out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["doc_no"] for r in rows} >= {"+REF2"} and {r["payment_ref"] for r in rows} == {"=PAY1"}
    assert not any(v.startswith("'") for r in rows for v in r.values() if v)
