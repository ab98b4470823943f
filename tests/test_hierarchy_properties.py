"""Property: whatever sequence of commands a clerk runs, the rules hold and every refusal changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashbook.errors import HierarchyError
from cashbook.hierarchy import find_cycles
from cashbook.service import Workspace
from tests.conftest import FIXTURES
from tests.test_hierarchy import snapshot

CUSTOMERS = ["C001", "C010", "C011", "C100", "C101", "C110", "C200", "C201", "C300"]
GROUPS = ["A", "B"]

customer = st.sampled_from(CUSTOMERS)
maybe_customer = st.one_of(st.none(), customer)
group = st.sampled_from(GROUPS)
operation = st.one_of(
    st.tuples(st.just("create"), group),
    st.tuples(st.just("add"), customer, group, maybe_customer, st.booleans()),
    st.tuples(st.just("move"), customer, maybe_customer),
    st.tuples(st.just("remove"), customer),
    st.tuples(st.just("set_primary"), group, customer),
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = Workspace.open(tmp_path_factory.mktemp("prop") / "ws.duckdb", user="prop")
    workspace.import_customers((FIXTURES / "hierarchy" / "customers.csv").read_bytes(), file_name="c.csv")
    yield workspace
    workspace.close()


def check_rules(ws: Workspace) -> None:
    rows = ws.db.rows("SELECT group_name, customer_no, parent_customer_no, is_primary FROM group_member "
                      "WHERE valid_to IS NULL")
    customers = [c for _, c, _, _ in rows]
    assert len(customers) == len(set(customers)), "a customer in two groups"
    by_group: dict[str, dict[str, str | None]] = {}
    for g, c, parent, _ in rows:
        by_group.setdefault(g, {})[c] = parent
    for g, parents in by_group.items():
        assert all(p is None or p in parents for p in parents.values()), "a parent outside the group"
        assert find_cycles(parents) == [] and all(p != c for c, p in parents.items())
        assert sum(1 for g2, _, _, primary in rows if g2 == g and primary) == 1, "not exactly one primary"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=1, max_size=12))
def test_rules_hold_and_refusals_change_nothing(ws, operations):
    h = ws.hierarchy
    for op, *args in operations:
        before = snapshot(ws)
        try:
            if op == "add":
                c, g, parent, primary = args
                h.add(c, g, parent=parent, primary=primary)
            else:
                getattr(h, op)(*args)
        except HierarchyError:
            assert snapshot(ws) == before
        check_rules(ws)
    for g in ws.db.rows("SELECT group_name FROM customer_group WHERE valid_to IS NULL"):
        assert len(h.tree(g[0])) == len(ws.db.rows("SELECT 1 FROM group_member WHERE valid_to IS NULL "
                                                    "AND group_name = ?", [g[0]]))
