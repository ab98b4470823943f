"""Dashboard: straight-through rate, receipt volumes, cash still to allocate, unapplied cash and aging."""

import streamlit as st

from app_pages.widgets import cached, money, money_bars
from app_pages import views

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
    st.bar_chart(statuses, x="status", y="receipts")
    st.subheader("Receipts per value date")
    volumes = cached(views.receipt_volumes)
    st.bar_chart(volumes, x="value_date", y="amount")
with right:
    st.subheader("Open receivables by age")
    aging = cached(views.aging)
    money_bars(st, list(aging["bucket"]), list(aging["open_amount"]), "bucket", "open_amount")
    st.dataframe(aging, hide_index=True, width="stretch", key="dash_aging",
                 column_config={"open_amount": st.column_config.NumberColumn(format="%.2f")})
    st.subheader("Largest unapplied cash")
    st.dataframe(cached(views.unapplied_by_customer), hide_index=True, width="stretch", key="dash_unapplied",
                 column_config={"on_account": st.column_config.NumberColumn(format="%.2f")})
