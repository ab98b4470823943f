"""Hierarchies: groups as trees with balances and the primary customer; create, move, set primary, remove; audit; search."""

from decimal import Decimal

import streamlit as st

from app_pages.widgets import cached, run_action, frame_download, money
from app_pages import views
from app_pages.state import state, workspace
from cashbook.access import Role
from app_pages.grids import grid

ws = workspace()
s = state()
st.title("Hierarchies")

search = st.text_input("Find a customer by number, name or bank account", key="hier_search")
if search:
    grid(views.search_customers(ws, search), "hier_search_hits")

groups = cached(views.groups)
if groups.empty:
    st.info("No groups yet: import a hierarchy file on the Import page, or create one below.")
names = list(groups["group"])
left, right = st.columns([3, 2])
with left:
    if names:
        current = s.group if s.group in names else names[0]
        group = st.selectbox("Group", names, index=names.index(current), key="hier_group")
        s.group = group
        row = groups[groups["group"] == group].iloc[0]
        tree = cached(views.tree, group)
        c1, c2, c3 = st.columns(3)
        c1.metric("Members", int(row["members"]))
        c2.metric("Primary customer", row["primary"] or "none")
        c3.metric("Group balance", money(sum(tree["balance"], Decimal(0))) if not tree.empty else money(Decimal(0)))
        shown = tree[["member", "customer_no", "parent", "is_primary", "balance", "open_items", "path"]] \
            if not tree.empty else tree
        grid(shown, "hier_tree", height=480)
        frame_download("hier_tree_dl", shown, f"group_{group}")
    else:
        group = None

with right:
    st.subheader("Change the group")
    action = None
    if not ws.may(Role.SUPERVISOR):
        st.caption("Changing a group needs the supervisor role.")
    else:
        action = st.radio("Action", ["Add or move a customer", "Set primary", "Remove a customer", "Create a group",
                                     "Rename the group"], key="hier_action")
    if action == "Add or move a customer":
        customer = st.text_input("Customer number", key="hier_customer").strip()
        parent = st.text_input("Under (parent customer number; empty for the top)", key="hier_parent").strip() or None
        if st.button("Add or move", key="hier_apply", disabled=not (customer and group)):
            if ws.hierarchy.group_of(customer) == group:
                run_action(lambda: ws.hierarchy.move(customer, parent), lambda r: "; ".join(r) or "no change")
            else:
                run_action(lambda: ws.hierarchy.add(customer, group, parent), lambda r: "; ".join(r) or "no change")
    elif action == "Set primary":
        members = list(cached(views.tree, group)["customer_no"]) if group else []
        primary = st.selectbox("New primary customer", members, key="hier_primary")
        if st.button("Set primary", key="hier_apply", disabled=not primary):
            run_action(lambda: ws.hierarchy.set_primary(group, primary), lambda r: "; ".join(r) or "no change")
    elif action == "Remove a customer":
        customer = st.text_input("Customer number", key="hier_customer").strip()
        if st.button("Remove", key="hier_apply", disabled=not customer):
            run_action(lambda: ws.hierarchy.remove(customer), lambda r: "; ".join(r) or "no change")
    elif action == "Create a group":
        new_name = st.text_input("Name", key="hier_new").strip()
        if st.button("Create", key="hier_apply", disabled=not new_name):
            s.group = new_name
            run_action(lambda: ws.hierarchy.create(new_name), lambda r: "; ".join(r) or f"created {new_name}")
    elif action == "Rename the group":
        new_name = st.text_input("New name", key="hier_new").strip()
        if st.button("Rename", key="hier_apply", disabled=not (new_name and group)):
            s.group = new_name
            run_action(lambda: ws.hierarchy.rename(group, new_name), lambda r: "; ".join(r) or "renamed")

st.subheader("History")
history = cached(views.hierarchy_history, group) if group else cached(views.hierarchy_history)
history = history.iloc[::-1] if not history.empty else history
grid(history, "hier_history", height=260)
frame_download("hier_history_dl", history, f"hierarchy_history_{group or 'all'}")
