"""Import: a refused file lists every problem by row and writes nothing; unknown headers are mapped and saved."""

from __future__ import annotations

import json

from tests.app.conftest import texts, workspace


def _pick(at, name):
    at.multiselect(key="import_local").select(name).run()
    return at


def test_refused_file_lists_problems_and_writes_nothing(app, demo_workspace):
    folder = demo_workspace.parent
    (folder / "erp" / "bad_items.csv").write_text(
        "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount\n"
        "X1,INV,C10001,2026-13-45,2026-02-01,GBP,10.00,10.00\n"
        "X2,INV,C10001,2026-01-05,2026-02-01,GBP,ten,10.00\n", encoding="utf-8")
    ws = workspace(demo_workspace)
    before = ws.db.scalar("SELECT count(*) FROM open_item")
    at = _pick(app("import_files"), "erp/bad_items.csv")
    assert at.selectbox(key="import_kind_0").value == "items"
    at.button(key="import_go").click().run()
    assert any("refused" in e.value for e in at.error)
    problems = at.dataframe[-2].value if len(at.dataframe) > 1 else at.dataframe[0].value
    assert {"file", "location", "column", "message"} <= set(problems.columns)
    assert len(problems) >= 2
    assert ws.db.scalar("SELECT count(*) FROM open_item") == before


def test_unknown_headers_are_mapped_and_saved_as_a_profile(app, demo_workspace):
    folder = demo_workspace.parent
    (folder / "erp" / "odd_customers.csv").write_text(
        "Kundenref;Firma;Whg\nZ900;Zeta Foods Ltd;GBP\nZ901;Zeta Bakery;GBP\n", encoding="utf-8")
    at = _pick(app("import_files"), "erp/odd_customers.csv")
    at.selectbox(key="import_kind_0").select("customers").run()
    assert "Required columns not found" in texts(at)
    at.selectbox(key="import_map_0_customer_no").select("Kundenref")
    at.selectbox(key="import_map_0_name").select("Firma")
    at.selectbox(key="import_map_0_currency").select("Whg").run()
    at.text_input(key="import_profile_name_0").input("zeta erp").run()
    at.button(key="import_profile_save_0").click().run()
    saved = folder / "mappings" / "customers__zeta_erp.json"
    assert json.loads(saved.read_text())["columns"]["customer_no"] == "Kundenref"
    at.button(key="import_go").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "imported 2 customers rows" in texts(at)
    ws = workspace(demo_workspace)
    assert ws.db.scalar("SELECT name FROM customer WHERE customer_no = 'Z901'") == "Zeta Bakery"


def test_payment_file_imported_again_changes_nothing(app, demo_workspace):
    bank = sorted(p.name for p in (demo_workspace.parent / "bank").iterdir())[0]
    at = _pick(app("import_files"), f"bank/{bank}")
    assert at.selectbox(key="import_kind_0").value == "payments"
    at.button(key="import_go").click().run()
    assert "already imported" in texts(at)


def test_file_of_unknown_kind_waits_for_the_clerk_to_say_what_it_is(app, demo_workspace):
    (demo_workspace.parent / "erp" / "mystery.txt").write_text("nothing here looks like a table\n" * 40)
    at = _pick(app("import_files"), "erp/mystery.txt")
    assert "cannot tell what kind of file" in texts(at)
    assert at.selectbox(key="import_kind_0").value is None
    assert at.button(key="import_go").disabled  # nothing to import until a kind is chosen
    at.selectbox(key="import_kind_0").select("payments").run()
    assert not at.button(key="import_go").disabled


def test_a_statement_with_missing_entries_imports_with_a_prominent_warning(app, demo_workspace):
    folder = demo_workspace.parent
    (folder / "bank" / "gap.sta").write_bytes(
        b":20:GAP\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C260101EUR10,00\n"
        b":61:2601020102C5,00NTRFPAY-GAP-1//BGAP1\n:86:/NAME/ACME LTD/REMI/INV 1/\n:62F:C260102EUR99,00\n-\n")
    at = _pick(app("import_files"), "bank/gap.sta")
    at.button(key="import_go").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("ENTRIES MAY BE MISSING" in w.value for w in at.warning)
