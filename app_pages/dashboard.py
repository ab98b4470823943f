"""Dashboard: straight-through rate, receipt volumes, cash still to allocate, unapplied cash and aging.

The headline numbers draw at once; the charts and tables below are tabs that run only while open (aging
alone reads all 1.5M open items of a full workspace when its cache is cold)."""

import streamlit as st

from app_pages.widgets import bars, cached, lazy_tabs, money, money_bars, frame_download
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

receipts_tab, aging_tab, unapplied_tab = lazy_tabs(
    ["Receipts", "Open receivables by age", "Largest unapplied cash"], "dash_tab")
with receipts_tab:
    if receipts_tab.open:
        left, right = st.columns(2)
        with left:
            st.subheader("Receipts by status")
            statuses = cached(views.status_counts)
            bars(st, statuses, "status", "receipts")
            frame_download("dash_status_dl", statuses, "receipts_by_status")
        with right:
            st.subheader("Receipts per value date")
            volumes = cached(views.receipt_volumes)
            money_bars(st, [str(d) for d in volumes["value_date"]], list(volumes["amount"]), "value_date", "amount")
with aging_tab:
    if aging_tab.open:
        st.subheader("Open receivables by age")
        aging = cached(views.aging)
        left, right = st.columns(2)
        money_bars(left, list(aging["bucket"]), list(aging["open_amount"]), "bucket", "open_amount")
        with right:
            grid(aging, "dash_aging")
            frame_download("dash_aging_dl", aging, "aging")
with unapplied_tab:
    if unapplied_tab.open:
        st.subheader("Largest unapplied cash")
        unapplied = cached(views.unapplied_by_customer)
        grid(unapplied, "dash_unapplied")
        frame_download("dash_unapplied_dl", unapplied, "unapplied_by_customer")
