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


def test_sidebar_asks_for_the_clerk(app):
    at = app()
    name = at.sidebar.text_input(key="user")
    assert name.value == USER


def test_dashboard_numbers(app):
    at = app("dashboard")
    labels = [m.label for m in at.metric]
    assert "Straight-through" in labels and "Cash to allocate" in labels
    assert int(at.metric[0].value.replace(",", "")) > 0  # receipts


def test_exceptions_lists_claims_and_deductions(app):
    at = app("exceptions")
    assert "Documents claimed twice" in texts(at)
    assert "Deductions by reason code" in texts(at)
    assert "Possible duplicate payments" in texts(at)
    assert len(at.dataframe) >= 5  # unidentified, reasons, deductions, claimed twice, possible duplicates
