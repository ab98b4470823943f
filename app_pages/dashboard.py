"""Dashboard: straight-through rate, receipt volumes, cash still to allocate, unapplied cash and aging."""

import streamlit as st

from app_pages.widgets import bars, cached, money, money_bars, frame_download
from app_pages import views
from app_pages.grids import grid

st.title("Dashboard")
numbers = cached(views.dashboard_numbers)
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Receipts", f"{int(numbers['receipts'] or 0):,}")
c2.metric("Straight-through", f"{numbers['straight_through_rate']:.1%}",
          help="Receipts fully allocated by matching with no clerk's touch and nothing in suspense, of all receipts.")
c3.metric("Receipts open", f"{int(numbers['open_receipts'] or 0):,}")
c4.metric("Cash to allocate", money(numbers["to_allocate"]))
c5.metric("Unapplied (on account)", money(numbers["on_account"]),
          help=f"In suspense (payer unknown): {money(numbers['unidentified'])}")

left, right = st.columns(2)
with left:
    st.subheader("Receipts by status")
    statuses = cached(views.status_counts)
    bars(st, statuses, "status", "receipts")
    frame_download("dash_status_dl", statuses, "receipts_by_status")
    st.subheader("Receipts per value date")
    volumes = cached(views.receipt_volumes)
    money_bars(st, [str(d) for d in volumes["value_date"]], list(volumes["amount"]), "value_date", "amount")
with right:
    st.subheader("Open receivables by age")
    aging = cached(views.aging)
    money_bars(st, list(aging["bucket"]), list(aging["open_amount"]), "bucket", "open_amount")
    grid(aging, "dash_aging")
    frame_download("dash_aging_dl", aging, "aging")
    st.subheader("Largest unapplied cash")
    unapplied = cached(views.unapplied_by_customer)
    grid(unapplied, "dash_unapplied")
    frame_download("dash_unapplied_dl", unapplied, "unapplied_by_customer")
