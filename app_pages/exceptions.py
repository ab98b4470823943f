"""Exceptions: documents the ERP and Cashbook disagree on, receipts nobody could identify, deductions by
reason code, documents claimed twice, possible duplicates.

Each list is a tab whose content runs only when it is open: on 1.5M open items a page that drew all five
at once took over a second (documents claimed twice alone is a whole-book query)."""

import streamlit as st

from app_pages.widgets import MONEY, cached, download, lazy_tabs, money_bars, paged_table, run_action, frame_download
from app_pages import views
from app_pages.state import state, workspace
from app_pages.grids import grid

s = state()
st.title("Exceptions")
conflicts_tab, unidentified_tab, deductions_tab, twice_tab, duplicates_tab = lazy_tabs(
    ["ERP disagrees", "Unidentified receipts", "Deductions by reason", "Claimed twice", "Possible duplicates"],
    "exc_tab")

with conflicts_tab:
    if conflicts_tab.open:
        st.subheader("The ERP and Cashbook disagree")
        st.caption("An open-items import left these documents with less open in the ERP than Cashbook holds on "
                   "them (over-applied, or dropped while carrying cash not yet exported). Nothing more is applied to "
                   "them until a supervisor reverses Cashbook's unbooked allocations or accepts the ERP's figure.")
        conflict_money = {c: MONEY for c in ("amount", "erp_open", "unexported", "pending", "open_now")}
        conflicts = cached(views.erp_conflicts, True)
        st.dataframe(conflicts, hide_index=True, width="stretch", key="exc_conflicts", column_config=conflict_money,
                     column_order=("conflict_id", "doc_no", "customer_no", "erp_status", "erp_open", "unexported",
                                   "pending", "open_now", "reason", "import_id", "detected_at"))
        if not conflicts.empty:
            with st.form("exc_conflict_form"):
                c = st.columns([1.2, 1.6, 2])
                doc = c[0].selectbox("Document", list(conflicts["doc_no"]), key="exc_conflict_doc")
                how = c[1].radio("Resolve by", ["reverse", "accept_erp"], key="exc_conflict_how", horizontal=True,
                                 format_func=lambda h: "reverse Cashbook's allocation" if h == "reverse"
                                 else "accept the ERP")
                note = c[2].text_input("Note (why)", key="exc_conflict_note")
                go = st.form_submit_button("Resolve", type="primary")
            if go and doc:
                ws = workspace()
                run_action(lambda: ws.erp_sync.resolve(doc, how, note=note or None),
                           f"Conflict on {doc} resolved ({'reversed' if how == 'reverse' else 'ERP accepted'})")
        with st.expander("Resolved conflicts"):
            st.dataframe(cached(views.erp_conflicts, False), hide_index=True, width="stretch",
                         key="exc_conflicts_done", column_config=conflict_money)

with unidentified_tab:
    if unidentified_tab.open:
        st.subheader("Unidentified receipts")
        st.caption("Payer unknown: pick one and open it on Cash allocation to apply it to any document or put it on "
                   "account.")
        frame, picked = paged_table("exc_unidentified", views.unidentified_query(), page_size=100,
                                    selection="single-row")
        if picked:
            s.receipt_id = int(frame.iloc[picked[0]]["receipt_id"])
            st.page_link("app_pages/allocation.py", label=f"Open receipt #{s.receipt_id} on Cash allocation",
                         icon=":material/payments:")
        download("exc_unidentified_dl", views.unidentified_query(), "unidentified_receipts")

with deductions_tab:
    if deductions_tab.open:
        st.subheader("Deductions by reason code")
        left, right = st.columns([1, 2])
        by_reason = cached(views.deductions_by_reason)
        with left:
            grid(by_reason, "exc_reasons")
            frame_download("exc_reasons_dl", by_reason, "deductions_by_reason")
        if not by_reason.empty:
            money_bars(right, list(by_reason["reason_code"]), list(by_reason["deducted"]), "reason_code", "deducted")
        paged_table("exc_deductions", views.deductions_query(), page_size=100)
        download("exc_deductions_dl", views.deductions_query(), "deductions")

with twice_tab:
    if twice_tab.open:
        st.subheader("Documents claimed twice")
        st.caption("Documents that two or more receipts name in their remittance or have applied.")
        paged_table("exc_twice", views.claimed_twice_query(), page_size=100)
        download("exc_twice_dl", views.claimed_twice_query(), "documents_claimed_twice")

with duplicates_tab:
    if duplicates_tab.open:
        st.subheader("Possible duplicate payments")
        st.caption("Receipts that paid documents already settled, by an earlier receipt or in the ERP. Their cash "
                   "is on account; refund it or ask the customer.")
        paged_table("exc_duplicates", views.possible_duplicates_query(), page_size=100,
                    column_config={"amount": MONEY})
        download("exc_duplicates_dl", views.possible_duplicates_query(), "possible_duplicates")
