"""Hierarchies: trees with balances, set primary (audited under the clerk's name), search."""

from __future__ import annotations

from tests.app.conftest import USER, texts, workspace


def test_tree_and_set_primary_is_audited(app, demo_workspace):
    at = app("hierarchies")
    group = at.selectbox(key="hier_group").value
    assert "Primary customer" in texts(at)
    at.radio(key="hier_action").set_value("Set primary").run()
    members = at.selectbox(key="hier_primary").options
    new_primary = members[-1]
    at.selectbox(key="hier_primary").select(new_primary).run()
    at.button(key="hier_apply").click().run()
    assert not at.error, [e.value for e in at.error]
    ws = workspace(demo_workspace)
    assert ws.hierarchy.primary_of(new_primary) == new_primary
    last = ws.hierarchy.history(group)[-1]
    assert last["changed_by"] == USER


def test_move_refused_with_a_reason(app):
    at = app("hierarchies")
    at.text_input(key="hier_customer").input("NOPE-1").run()
    at.button(key="hier_apply").click().run()
    assert at.error


def test_search_by_name(app):
    at = app("hierarchies")
    at.text_input(key="hier_search").input("Shared Services").run()
    hits = at.dataframe[0].value
    assert len(hits) > 0 and "customer_no" in hits.columns
