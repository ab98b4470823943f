"""Exceptions: receipts nobody could identify, deductions by reason code, documents claimed twice, possible duplicates."""

import streamlit as st

from app_pages.grids import grid
from app_pages.widgets import cached, download, frame_download, money_bars, paged_table
from cashbook import views
from cashbook.ui_state import state

s = state()
st.title("Exceptions")

st.subheader("Unidentified receipts")
st.caption("Payer unknown: pick one and open it on Cash allocation to apply it to any document or put it on account.")
frame, picked = paged_table("exc_unidentified", views.unidentified_query(), page_size=100, selection="single-row")
if picked:
    s.receipt_id = int(frame.iloc[picked[0]]["receipt_id"])
    st.page_link("app_pages/allocation.py", label=f"Open receipt #{s.receipt_id} on Cash allocation", icon=":material/payments:")
download("exc_unidentified_dl", views.unidentified_query(), "unidentified_receipts")

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

st.subheader("Documents claimed twice")
st.caption("Documents that two or more receipts name in their remittance or have applied.")
paged_table("exc_twice", views.claimed_twice_query(), page_size=100)
download("exc_twice_dl", views.claimed_twice_query(), "documents_claimed_twice")

st.subheader("Possible duplicate payments")
st.caption("Receipts that paid documents already settled, by an earlier receipt or in the ERP. Their cash is on "
           "account; refund it or ask the customer.")
paged_table("exc_duplicates", views.possible_duplicates_query(), page_size=100, column_config={"amount": MONEY})
download("exc_duplicates_dl", views.possible_duplicates_query(), "possible_duplicates")
