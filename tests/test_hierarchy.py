"""Named hierarchies through the Python API: rules and refusals, the canonical file, history, views and search."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from cashbook.errors import FileRefused, HierarchyError
from cashbook.hierarchy import HierarchyService, find_cycles
from cashbook.service import Workspace
from cashbook.templates import MappingProfile
from tests.conftest import FIXTURES

HERE = FIXTURES / "hierarchy"
TODAY = date(2024, 6, 15)
HEADER = "group,customer_no,parent_customer_no,primary\n"


def snapshot(ws: Workspace) -> dict[str, list[tuple]]:
    """Everything a hierarchy change may write, to prove that a refusal wrote nothing."""
    return {table: ws.db.rows(f"SELECT * FROM {table} ORDER BY ALL")
            for table in ("customer_group", "group_member", "hierarchy_audit", "hierarchy_row", "import_batch")}


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    workspace.import_customers((HERE / "customers.csv").read_bytes(), file_name="c.csv")
    workspace.import_items((HERE / "items.csv").read_bytes(), file_name="i.csv")
    yield workspace
    workspace.close()


@pytest.fixture
def loaded(ws):
    """The workspace with the Whitbread (three levels) and DHL 2 groups imported from the canonical file."""
    ws.import_hierarchy((HERE / "whitbread.csv").read_bytes(), file_name="whitbread.csv")
    return ws


def current(ws: Workspace) -> list[tuple]:
    return ws.db.rows("SELECT group_name, customer_no, parent_customer_no, is_primary FROM group_member "
                      "WHERE valid_to IS NULL ORDER BY ALL")


# -- commands -----------------------------------------------------------------------------------
def test_commands_build_a_tree_and_the_first_member_is_primary(ws):
    h = ws.hierarchy
    assert h.create("Whitbread") == ["created group 'Whitbread'"]
    assert h.groups()[0]["members"] == 0
    h.add("C001", "Whitbread")
    h.add("C010", "Whitbread", parent="C001")
    h.add("C100", "Whitbread", parent="C010")
    rows = h.tree("Whitbread")
    assert [(r["customer_no"], r["depth"], r["path"], r["is_primary"]) for r in rows] == [
        ("C001", 1, "C001", True), ("C010", 2, "C001 / C010", False), ("C100", 3, "C001 / C010 / C100", False)]
    assert rows[2]["name"] == "Premier Inn Leeds" and rows[2]["balance"] == Decimal("80.50")
    assert h.add("C011", "Whitbread", parent="C001", primary=True) == [
        "C001 is no longer the primary of 'Whitbread'", "added C011 to 'Whitbread' under C001 as primary"]
    assert h.primary_of("C100") == "C011"
    assert ws.status()["group_members"] == 4 and ws.status()["groups"] == 1


def test_scope_primary_and_group_of(loaded):
    h = loaded.hierarchy
    assert h.scope("C110") == ["C001", "C010", "C011", "C100", "C101", "C110"]
    assert h.scope("C300") == ["C300"]
    assert h.primary_of("C201") == "C200" and h.primary_of("C300") == "C300"
    assert h.group_of("C101") == "Whitbread" and h.group_of("C300") is None
    members = loaded.db.rows(f"SELECT count(*) FROM ({h.members_sql()}) WHERE group_name = 'DHL 2'")
    assert members == [(2,)]


def test_move_remove_set_primary_rename(loaded):
    h = loaded.hierarchy
    assert h.move("C100", "C011") == ["moved C100 from C010 to C011"]
    assert h.move("C110", None) == ["moved C110 from C011 to the top"]
    messages = h.remove("C010")  # its child C101 moves up to C001
    assert "removed C010 from 'Whitbread'" in messages and "moved C101 from C010 to C001" in messages
    assert h.set_primary("Whitbread", "C011") == ["C001 is no longer the primary of 'Whitbread'",
                                                  "C011 is now the primary of 'Whitbread'"]
    h.remove("C001")
    assert h.rename("Whitbread", "Whitbread Group") == ["renamed group 'Whitbread' to 'Whitbread Group'"]
    assert h.group_of("C011") == "Whitbread Group"
    actions = [r["action"] for r in h.history("Whitbread")]
    assert actions[-1] == "rename" and "set-primary" in actions
    assert h.history("Whitbread") == h.history("Whitbread Group")


def test_removing_the_last_member_leaves_an_empty_group(ws):
    h = ws.hierarchy
    h.create("Solo")
    h.add("C300", "Solo")
    h.remove("C300")
    assert h.groups()[0]["members"] == 0 and h.group_of("C300") is None


REFUSALS = [
    ("cycle", lambda h: h.move("C001", "C100"), "would make a cycle"),
    ("own parent", lambda h: h.move("C010", "C010"), "cannot be its own parent"),
    ("in two groups", lambda h: h.add("C200", "Whitbread"), "at most one group"),
    ("already a member", lambda h: h.add("C100", "Whitbread"), "already a member"),
    ("parent outside group (add)", lambda h: h.add("C300", "Whitbread", parent="C200"), "same group"),
    ("parent outside group (move)", lambda h: h.move("C100", "C201"), "same group"),
    ("parent in no group", lambda h: h.move("C100", "C300"), "in no group"),
    ("unknown customer", lambda h: h.add("X999", "Whitbread"), "unknown customer X999"),
    ("unknown parent", lambda h: h.add("C300", "Whitbread", parent="X998"), "unknown customer X998"),
    ("unknown group", lambda h: h.add("C300", "Whitbred"), "no group 'Whitbred'"),
    ("remove primary", lambda h: h.remove("C001"), "set another member primary first"),
    ("remove non-member", lambda h: h.remove("C300"), "in no group"),
    ("primary outside group", lambda h: h.set_primary("Whitbread", "C200"), "not a member"),
    ("empty group name", lambda h: h.create("  "), "the name is empty"),
    ("formula-like name", lambda h: h.create("=cmd"), "must start with a letter or digit"),
    ("duplicate name", lambda h: h.create("whitbread"), "exists already"),
    ("rename onto existing", lambda h: h.rename("Whitbread", "DHL 2"), "exists already"),
    ("rename to empty", lambda h: h.rename("Whitbread", ""), "the name is empty"),
]


@pytest.mark.parametrize("change, message", [pytest.param(c, m, id=i) for i, c, m in REFUSALS])
def test_refusals_say_why_and_change_nothing(loaded, change, message):
    before = snapshot(loaded)
    with pytest.raises(HierarchyError, match=message):
        change(loaded.hierarchy)
    assert snapshot(loaded) == before


def test_cycles_are_found():
    assert find_cycles({"A": "B", "B": "C", "C": "A", "D": "A", "E": None}) == [["A", "B", "C"]]
    assert find_cycles({"A": None, "B": "A"}) == []


# -- the canonical file -------------------------------------------------------------------------
def test_import_reports_changes_and_keeps_raw_rows(ws):
    report = ws.import_hierarchy((HERE / "whitbread.csv").read_bytes(), file_name="whitbread.csv")
    assert not report.noop and report.counts == {"groups created": 2, "added": 8}
    assert report.samples["groups created"] == ["Whitbread", "DHL 2"]
    assert ws.db.rows("SELECT count(*) FROM hierarchy_row WHERE import_id = ?", [report.import_id]) == [(8,)]
    assert ws.db.rows("SELECT kind, file_name, rows, imported_by FROM import_batch WHERE import_id = ?",
                      [report.import_id]) == [("hierarchy", "whitbread.csv", 8, "alice")]
    assert {g["group"]: g["primary"] for g in ws.hierarchy.groups()} == {"DHL 2": "C200", "Whitbread": "C001"}


def test_the_same_file_twice_is_a_noop_that_writes_nothing(loaded):
    before = snapshot(loaded)
    report = loaded.import_hierarchy((HERE / "whitbread.csv").read_bytes(), file_name="again.csv")
    assert report.noop and "whitbread.csv" in report.message
    assert "nothing changed" in report.lines()[0]
    assert snapshot(loaded) == before


def test_named_groups_become_exactly_the_file_and_others_stay(loaded):
    text = HEADER + "Whitbread,C001,,N\nWhitbread,C011,C001,Y\nWhitbread,C110,C011,N\nWhitbread,C100,C001,N\n"
    report = loaded.import_hierarchy(text.encode(), file_name="w2.csv")
    assert report.counts == {"moved": 1, "primary changed": 2, "removed": 2}
    assert sorted(report.samples["removed"]) == ["C010 (Whitbread)", "C101 (Whitbread)"]
    assert [r["customer_no"] for r in loaded.hierarchy.tree("Whitbread")] == ["C001", "C011", "C110", "C100"]
    assert loaded.hierarchy.scope("C201") == ["C200", "C201"]  # DHL 2 is not named: it stays


def test_a_file_may_move_a_customer_between_groups_it_names(loaded):
    text = HEADER + "Whitbread,C001,,Y\nDHL 2,C200,,Y\nDHL 2,C201,C200,N\nDHL 2,C010,C200,N\n"
    report = loaded.import_hierarchy(text.encode(), file_name="w3.csv")
    assert loaded.hierarchy.group_of("C010") == "DHL 2" and report.counts["removed"] == 5


def test_mapping_and_synonym_headers(ws):
    report = ws.import_hierarchy((HERE / "erp_headers.csv").read_bytes(), file_name="erp.csv")
    assert report.counts == {"groups created": 1, "added": 2}
    profile = MappingProfile(columns={"group": "Konzern", "customer_no": "Kunde", "parent_customer_no": "Oben",
                                      "primary": "Haupt"})
    text = "Konzern,Kunde,Oben,Haupt\nAcme,C300,,Y\n"
    assert ws.hierarchy.import_file(text.encode(), "de.csv", profile=profile).counts == {"groups created": 1, "added": 1}


FILE_REFUSALS = [
    ("cycle", "G,C300,C011,Y\nG,C011,C300,N\n",
     [("2", "parent_customer_no", "cycle (C300 -> C011 -> C300)"), ("3", "parent_customer_no", "cycle")]),
    ("two primaries", "G,C300,,Y\nG,C011,C300,Y\n", [("3", "primary", "more than one primary")]),
    ("no primary", "G,C300,,N\nG,C011,C300,\n", [("2", "primary", "has no primary customer")]),
    ("parent outside group", "G,C300,,Y\nH,C011,C300,Y\n", [("3", "parent_customer_no", "not a member of group 'H'")]),
    ("unknown customer", "G,C300,,Y\nG,X999,C300,N\n", [("3", "customer_no", "unknown customer X999")]),
    ("twice in the file", "G,C300,,Y\nH,C300,,Y\n", [("3", "customer_no", "appears more than once; first on row 1")]),
    ("stays in an unnamed group", "G,C300,,Y\nG,C100,C300,N\n",
     [("3", "customer_no", "stays in group 'Whitbread', which this file does not name")]),
    ("empty cells", ",C300,,Y\nG,,,Y\nG,C011,,maybe\n",
     [("2", "group", "is empty"), ("3", "customer_no", "is empty"), ("4", "primary", "not yes/no")]),
    ("case-only name clash", "whitbread,C300,,Y\n", [("2", "group", "only in case")]),
]


@pytest.mark.parametrize("body, expected", [pytest.param(b, e, id=i) for i, b, e in FILE_REFUSALS])
def test_file_problems_are_all_reported_by_row_and_nothing_is_written(loaded, body, expected):
    before = snapshot(loaded)
    with pytest.raises(FileRefused) as caught:
        loaded.import_hierarchy((HEADER + body).encode(), file_name="bad.csv")
    problems = caught.value.problems
    assert all(p.file == "bad.csv" for p in problems)
    for row, column, text in expected:
        assert any(p.location == str(int(row) - 1) and p.column == column and text in p.message for p in problems), \
            (row, column, text, problems)
    assert snapshot(loaded) == before


def test_a_file_without_the_required_columns_is_refused(ws):
    with pytest.raises(FileRefused, match="required column"):
        ws.import_hierarchy(b"name,city\nx,y\n", file_name="bad.csv")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_then_import_is_a_noop(loaded, tmp_path, suffix):
    loaded.hierarchy.move("C110", "C100")
    path = tmp_path / f"hierarchy.{suffix}"
    assert loaded.hierarchy.export_file(path) == 8
    before = snapshot(loaded)
    report = loaded.import_hierarchy(path)
    assert report.noop and snapshot(loaded) == before


def test_export_writes_parents_before_children(loaded, tmp_path):
    path = tmp_path / "h.csv"
    loaded.hierarchy.export_file(path)
    rows = list(csv.DictReader(path.open()))
    assert rows[0] == {"group": "DHL 2", "customer_no": "C200", "parent_customer_no": "", "primary": "true"}
    seen = set()
    for row in rows:
        assert not row["parent_customer_no"] or row["parent_customer_no"] in seen
        seen.add(row["customer_no"])


# -- history ------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 1, 10, 9, 0)

    def __call__(self) -> datetime:
        return self.now


def test_as_of_view_shows_the_hierarchy_as_it_was(ws, tmp_path):
    clock = Clock()
    h = HierarchyService(ws.db, "bob", clock=clock)
    h.create("Whitbread")
    h.add("C001", "Whitbread")
    h.add("C010", "Whitbread", parent="C001")
    clock.now = datetime(2024, 3, 1, 12, 0)
    h.move("C010", None)
    h.add("C100", "Whitbread", parent="C010")
    h.set_primary("Whitbread", "C010")
    clock.now = datetime(2024, 5, 1, 8, 0)
    h.rename("Whitbread", "WB")

    def as_of(moment):
        path = tmp_path / "asof.csv"
        h.export_file(path, as_of=moment)
        return [tuple(r.values()) for r in csv.DictReader(path.open())]

    assert as_of(date(2024, 1, 9)) == []
    assert as_of(date(2024, 2, 1)) == [("Whitbread", "C001", "", "true"), ("Whitbread", "C010", "C001", "false")]
    march = [("Whitbread", "C001", "", "false"), ("Whitbread", "C010", "", "true"),
             ("Whitbread", "C100", "C010", "false")]
    assert as_of(date(2024, 3, 1)) == march  # a date means the end of that day
    assert as_of(datetime(2024, 3, 1, 11, 59)) == as_of(date(2024, 2, 1))
    assert as_of(date(2024, 5, 1)) == [("WB",) + r[1:] for r in march]
    assert as_of(None) == as_of(date(2024, 5, 1))
    assert [r["path"] for r in h.tree("Whitbread", as_of=date(2024, 2, 1))] == ["C001", "C001 / C010"]


def test_audit_export_lists_who_when_what_before_and_after(ws, tmp_path):
    clock = Clock()
    h = HierarchyService(ws.db, "bob", clock=clock)
    h.create("G")
    h.add("C300", "G")
    h.add("C011", "G", parent="C300")
    clock.now = datetime(2024, 2, 2, 10, 30)
    h.move("C011", None)
    path = tmp_path / "audit.csv"
    assert h.export_audit(path) == 4
    rows = list(csv.DictReader(path.open()))
    assert [r["action"] for r in rows] == ["create", "add", "add", "move"]
    last = rows[-1]
    assert last["changed_by"] == "bob" and last["changed_at"] == "2024-02-02 10:30:00"
    assert last["group"] == "G" and last["customer_no"] == "C011"
    assert json.loads(last["before"]) == {"group": "G", "parent": "C300", "primary": False}
    assert json.loads(last["after"]) == {"group": "G", "parent": None, "primary": False}
    assert rows[0]["customer_no"] == "" and json.loads(rows[0]["after"]) == {"group": "G"}


def test_history_is_append_only(loaded):
    rows_before = loaded.db.rows("SELECT * FROM group_member WHERE valid_to IS NOT NULL ORDER BY ALL")
    loaded.hierarchy.move("C110", "C010")
    closed = loaded.db.rows("SELECT * FROM group_member WHERE valid_to IS NOT NULL ORDER BY ALL")
    assert set(rows_before) <= set(closed) and len(closed) == len(rows_before) + 1
    assert loaded.db.rows("SELECT count(*) FROM group_member") == [(9,)]
    imported = loaded.hierarchy.history()
    assert {r["action"] for r in imported if r["import_id"]} == {"create", "add"}


# -- one view of a group ------------------------------------------------------------------------
def test_group_items_with_original_customer_paths_and_aging(loaded, tmp_path):
    h = loaded.hierarchy
    items = {r["doc_no"]: r for r in h.group_items("Whitbread", today=TODAY)}
    assert set(items) == {"INV-1001", "INV-1002", "INV-1003", "INV-1004", "INV-1005", "CRN-2001"}
    assert items["INV-1003"]["customer_no"] == "C100"
    assert items["INV-1003"]["member_path"] == "C001 / C010 / C100"
    assert items["CRN-2001"]["member_path"] == "C001 / C011 / C110"
    assert (items["INV-1002"]["days_overdue"], items["INV-1002"]["aging_bucket"]) == (76, "61-90")
    assert (items["CRN-2001"]["days_overdue"], items["CRN-2001"]["aging_bucket"]) == (0, "current")
    assert items["INV-1002"]["open_amount"] == Decimal("150.00")
    [aging] = h.aging("Whitbread", today=TODAY)
    assert aging == {"currency": "GBP", "balance": Decimal("1257.75"), "current": Decimal("-30.00"),
                     "1-30": Decimal("1080.50"), "31-60": Decimal("12.00"), "61-90": Decimal("150.00"),
                     "over 90": Decimal("45.25"), "items": 6}
    assert all(isinstance(v, Decimal) for k, v in aging.items() if k not in ("currency", "items"))
    path = tmp_path / "items.csv"
    assert h.export_group_items("Whitbread", path, today=TODAY) == 6
    rows = list(csv.DictReader(path.open()))
    assert rows[0]["member_path"] == "C001" and rows[0]["open_amount"] == "1000.00"
    table = h.group_items_table("Whitbread", today=TODAY)
    assert table.num_rows == 6 and str(table.schema.field("open_amount").type) == "decimal128(18, 2)"
    unordered = h.group_items_table("Whitbread", today=TODAY, ordered=False).to_pylist()
    assert sorted(unordered, key=lambda r: r["doc_no"]) == sorted(table.to_pylist(), key=lambda r: r["doc_no"])


def test_tree_balances(loaded):
    tree = {r["customer_no"]: r for r in loaded.hierarchy.tree("Whitbread")}
    assert tree["C110"]["balance"] == Decimal("-18.00") and tree["C011"]["balance"] == Decimal("0.00")


# -- search -------------------------------------------------------------------------------------
def test_search_by_number_name_and_bank_account(loaded):
    h = loaded.hierarchy
    [hit] = [r for r in h.search("c101") if r["matched_on"] == "customer_no"]
    assert (hit["customer_no"], hit["group"], hit["score"]) == ("C101", "Whitbread", 100.0)
    by_name = h.search("premier inn yrok")
    assert by_name[0]["customer_no"] == "C101" and by_name[0]["matched_on"] == "name"
    by_account = h.search("DE89 3704-0044-0532-0130-00")
    assert by_account[0] == {"customer_no": "C200", "name": "DHL Express UK", "group": "DHL 2", "score": 100.0,
                             "matched_on": "bank_account"}
    by_group = h.search("DHL 2")
    assert by_group[0]["group"] == "DHL 2"
    assert h.search("zzzz qqqq") == [] and h.search("  ") == []
    outside = h.search("C300")[0]
    assert outside["group"] is None


# -- ERP master sync ----------------------------------------------------------------------------
def test_master_reimport_reports_vanished_and_reparented_members(loaded):
    lines = (HERE / "customers.csv").read_text().splitlines()
    kept = [line for line in lines if not line.startswith("C101,")]
    kept = [line.replace("C110,Brewers Fayre Bath,C011", "C110,Brewers Fayre Bath,C010") for line in kept]
    report = loaded.import_customers(("\n".join(kept) + "\n").encode(), file_name="c2.csv")
    assert any("C101 is no longer in the ERP master" in w and "'Whitbread'" in w for w in report.warnings)
    assert any("C110 changed its ERP parent from C011 to C010" in w for w in report.warnings)
    assert len(report.warnings) == 2
    assert loaded.hierarchy.group_of("C101") == "Whitbread"
    assert {r["customer_no"]: r["parent"] for r in loaded.hierarchy.tree("Whitbread")}["C110"] == "C011"
