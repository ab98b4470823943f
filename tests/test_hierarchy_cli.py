"""The hierarchy commands end to end: exit codes, what they print, and the files they write."""

from __future__ import annotations

import csv
import json

import pytest

from cashbook.cli import main
from cashbook.service import Workspace
from tests.conftest import FIXTURES

HERE = FIXTURES / "hierarchy"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "ws.duckdb"
    with Workspace.open(path, user="alice") as ws:
        ws.import_customers((HERE / "customers.csv").read_bytes(), file_name="c.csv")
        ws.import_items((HERE / "items.csv").read_bytes(), file_name="i.csv")
    return path


def run(db, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--user", "carol", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_show_search_and_exports(db, tmp_path, capsys):
    code, out, _ = run(db, capsys, "import", "hierarchy", str(HERE / "whitbread.csv"))
    assert code == 0 and "imported 8 hierarchy rows" in out and "2 groups created" in out
    code, out, _ = run(db, capsys, "import", "hierarchy", str(HERE / "whitbread.csv"))
    assert code == 0 and "nothing changed" in out

    code, out, _ = run(db, capsys, "hierarchy", "show", "Whitbread")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("C001  Whitbread PLC") and "[primary]" in lines[0]
    assert lines[2].startswith("    C100  Premier Inn Leeds") and "80.50 GBP" in lines[2]
    assert lines[-1].startswith("balance 1,257.75 GBP")

    code, out, _ = run(db, capsys, "hierarchy", "search", "GB29 NWBK 6016 1331 9268 19")
    assert code == 0 and out.startswith("C001") and "bank_account" in out
    code, out, _ = run(db, capsys, "hierarchy", "search", "nothing like it", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(db, capsys, "hierarchy", "list")
    assert code == 0 and "DHL 2" in out and "primary C200" in out

    items = tmp_path / "items.xlsx"
    code, out, _ = run(db, capsys, "export", "group-items", "Whitbread", str(items))
    assert code == 0 and "wrote 6 open items" in out and items.stat().st_size > 0

    canonical = tmp_path / "h.csv"
    code, out, _ = run(db, capsys, "export", "hierarchy", str(canonical))
    assert code == 0 and "wrote 8 group members" in out
    code, out, _ = run(db, capsys, "import", "hierarchy", str(canonical))
    assert code == 0 and "nothing changed" in out

    code, out, _ = run(db, capsys, "export", "hierarchy", str(canonical), "--as-of", "2000-01-01")
    assert code == 0 and canonical.read_text() == "group,customer_no,parent_customer_no,primary\n"


def test_change_commands_and_audit(db, tmp_path, capsys):
    assert run(db, capsys, "hierarchy", "create", "DHL 2")[:2] == (0, "created group 'DHL 2'\n")
    code, out, _ = run(db, capsys, "hierarchy", "add", "C200", "--group", "DHL 2")
    assert code == 0 and "as primary" in out
    assert run(db, capsys, "hierarchy", "add", "C201", "--group", "DHL 2", "--parent", "C200")[0] == 0
    assert run(db, capsys, "hierarchy", "add", "C300", "--group", "DHL 2", "--primary")[0] == 0
    assert run(db, capsys, "hierarchy", "move", "C300", "--parent", "C201")[1] == "moved C300 from the top to C201\n"
    assert run(db, capsys, "hierarchy", "move", "C300", "--top")[0] == 0
    assert run(db, capsys, "hierarchy", "set-primary", "DHL 2", "C200")[0] == 0
    assert run(db, capsys, "hierarchy", "remove", "C300")[1] == "removed C300 from 'DHL 2'\n"
    assert run(db, capsys, "hierarchy", "rename", "DHL 2", "DHL")[0] == 0

    audit = tmp_path / "audit.csv"
    code, out, _ = run(db, capsys, "export", "audit", str(audit))
    assert code == 0 and "wrote 11 hierarchy changes" in out
    rows = list(csv.DictReader(audit.open()))
    assert [(r["action"], r["customer_no"]) for r in rows] == [
        ("create", ""), ("add", "C200"), ("add", "C201"), ("set-primary", "C200"), ("add", "C300"), ("move", "C300"),
        ("move", "C300"), ("set-primary", "C200"), ("set-primary", "C300"), ("remove", "C300"), ("rename", "")]
    assert {r["changed_by"] for r in rows} == {"carol"}
    assert rows[-1]["action"] == "rename" and json.loads(rows[-1]["before"]) == {"group": "DHL 2"}


@pytest.mark.parametrize("args, message", [
    (["hierarchy", "add", "X999", "--group", "G"], "no group 'G'"),
    (["hierarchy", "create", " "], "the name is empty"),
    (["hierarchy", "move", "C100", "--parent", "C001"], "C100 is in no group"),
    (["hierarchy", "remove", "C100"], "in no group"),
    (["hierarchy", "show", "Nope"], "no group 'Nope'"),
])
def test_refusals_exit_1_with_a_message(db, capsys, args, message):
    code, out, err = run(db, capsys, *args)
    assert code == 1 and out == ""
    assert err.startswith("Hierarchy change refused: ") and message in err


def test_a_refused_file_lists_every_problem(db, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("group,customer_no,parent_customer_no,primary\nG,C300,C011,Y\nG,C011,C300,Y\nG,X1,,N\n")
    code, out, err = run(db, capsys, "import", "hierarchy", str(bad))
    assert code == 1 and "refused, 4 problems; nothing was written" in err
    assert "bad.csv:3: customer_no: unknown customer X1" in err
    assert run(db, capsys, "status")[1].count("groups: 0") == 1


def test_bad_as_of_date_is_a_usage_error(db, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--db", str(db), "export", "hierarchy", str(tmp_path / "h.csv"), "--as-of", "yesterday"])
    assert caught.value.code == 2
    assert "is not a date" in capsys.readouterr().err
