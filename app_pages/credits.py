"""Credit centre: open credit memos applied to invoices or refunded, and deductions resolved.

The two tabs run only while open: the deductions tab draws every deduction of its status in one grid."""

from decimal import Decimal

import streamlit as st

from app_pages.grids import grid
from app_pages.widgets import (cached, download, frame_download, lazy_tabs, money_input, paged_table, require_area,
                               run_action)

st.title("Credit centre")
require_area("cashbook.ledger_service", "The credit centre")

from app_pages import views  # noqa: E402
from app_pages.state import workspace  # noqa: E402
from cashbook.access import Role  # noqa: E402

ws = workspace()
credits_tab, deductions_tab = lazy_tabs(["Credit memos", "Deductions"], "cred_tab")
with credits_tab:
    if credits_tab.open:
        status = st.selectbox("Show", ["open", "partly applied", "applied", "refunded", "all"], key="cred_status")
        memos = views.credits_query(None if status == "all" else status)
        paged_table("cred_memos", memos, page_size=200, height=320)
        download("cred_memos_dl", memos, f"credit_memos_{status.replace(' ', '_')}")
        with st.form("cred_form"):
            c = st.columns([1.2, 1.2, 1, 1])
            crn = c[0].text_input("Credit memo", key="cred_crn")
            doc = c[1].text_input("Apply to document (empty to refund)", key="cred_doc")
            amount = money_input(c[2], "Amount (empty: as much as fits)", "cred_amount", placeholder="")
            actions = ["apply", "unapply", "refund"] if ws.may(Role.SUPERVISOR) else ["apply", "unapply"]
            action = c[3].radio("Action", actions, key="cred_action", horizontal=True)
            go = st.form_submit_button("Do it", type="primary")
        if go and crn.strip():
            value = amount or None
            if action == "apply":
                run_action(lambda: ws.credits.apply(crn, doc, value), f"Applied {crn} to {doc}")
            elif action == "unapply":
                run_action(lambda: ws.credits.unapply(crn, doc), f"Unapplied {crn} from {doc}")
            else:
                run_action(lambda: ws.credits.refund(crn, value or Decimal(0)), f"Refunded {crn}")

with deductions_tab:
    if deductions_tab.open:
        status = st.selectbox("Show", ["open", "all"], key="ded_status")
        found = cached(views.deductions, None if status == "all" else status)
        grid(found, "ded_table", height=320)
        frame_download("ded_dl", found, f"deductions_{status}")
        with st.form("ded_form"):
            c = st.columns([1, 1.2, 1.2, 2])
            deduction_id = c[0].number_input("Deduction id", min_value=0, step=1, key="ded_id")
            action = c[1].selectbox("Resolve by", ["write_off", "rebill", "reinstated"], key="ded_action",
                                    format_func=lambda a: a.replace("_", " "))
            new_doc = c[2].text_input("New document (re-bill)", key="ded_new_doc")
            note = c[3].text_input("Note", key="ded_note")
            go = st.form_submit_button("Resolve", type="primary")
        if go and deduction_id:
            run_action(lambda: ws.credits.resolve_deduction(int(deduction_id), action, new_doc_no=new_doc or None,
                                                           note=note or None),
                       f"Deduction #{int(deduction_id)} resolved ({action.replace('_', ' ')})")
