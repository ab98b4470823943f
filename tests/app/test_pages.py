"""Every page of the app draws on the demo workspace without an error, and the sidebar names the clerk."""

from __future__ import annotations

import pytest

from tests.app.conftest import USER, texts

PAGES = {"allocation": "Cash allocation", "import_files": "Import", "hierarchies": "Hierarchies",
         "dashboard": "Dashboard", "exceptions": "Exceptions", "credits": "Credit centre",
         "account": "Customer account", "postings": "Postings export"}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_draws(app, page):
    at = app(None if page == "allocation" else page)
    assert at.title[0].value == PAGES[page]
    assert not at.error, [e.value for e in at.error]


def test_sidebar_names_the_clerk_without_a_name_box(app):
    at = app()
    assert f"Working as **{USER}** (one-person workspace)" in [c.value for c in at.sidebar.caption]
    assert not at.sidebar.text_input  # who works is not typed: without users it is CASHBOOK_USER or the login


def test_a_user_name_with_control_characters_is_not_used(app, monkeypatch):
    """Issue 15, why 7: a CASHBOOK_USER with a right-to-left override never reaches the ledger or the page."""
    monkeypatch.setenv("CASHBOOK_USER", "eve\u202etxt.exe")
    at = app()
    assert not at.exception
    shown = [str(e.value) for kind in ("markdown", "caption", "text") for e in getattr(at.sidebar, kind)]
    assert not any("\u202e" in text for text in shown), shown


def test_dashboard_numbers(app):
    at = app("dashboard")
    labels = [m.label for m in at.metric]
    assert "Straight-through" in labels and "Cash to allocate" in labels
    assert int(at.metric[0].value.replace(",", "")) > 0  # receipts


def test_exceptions_lists_claims_and_deductions(app):
    at = app("exceptions")
    assert "The ERP and Cashbook disagree" in texts(at)
    assert "Documents claimed twice" not in texts(at)  # a closed tab's list is not read on the first draw
    tables = {}
    for tab, heading in [("Unidentified receipts", "Unidentified receipts"),
                         ("Deductions by reason", "Deductions by reason code"),
                         ("Claimed twice", "Documents claimed twice"),
                         ("Possible duplicates", "Possible duplicate payments")]:
        at.session_state["exc_tab"] = tab  # what picking the tab does
        at.run()
        assert not at.exception and heading in texts(at), tab
        tables[tab] = len(at.dataframe)
    # unidentified, reasons and deductions, claimed twice, possible duplicates: each in its own tab
    assert list(tables.values()) == [1, 2, 1, 1], tables
