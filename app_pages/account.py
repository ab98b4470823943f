"""Customer account: where a customer stands (balance, aging, credit, holds) and its statement."""

import streamlit as st

from app_pages.grids import grid
from app_pages.widgets import cached, download, frame_download, paged_table, money, money_bars, require_area, show_error

st.title("Customer account")
require_area("cashbook.ledger_service", "Customer accounts")

from app_pages import views  # noqa: E402
from cashbook.errors import CashbookError  # noqa: E402
from app_pages.state import state, workspace  # noqa: E402

ws = workspace()
s = state()
text = st.text_input("Customer number, name or bank account", value=s.customer_no or "", key="acct_search")
if text and text != s.customer_no:
    hits = views.search_customers(ws, text)
    if hits.empty:
        st.warning(f"No customer fits {text!r}.")
    else:
        choice = st.selectbox("Customer", list(hits["customer_no"]), key="acct_pick",
                              format_func=lambda c: f"{c} {hits.set_index('customer_no').at[c, 'name']}")
        s.customer_no = choice
if not s.customer_no:
    st.stop()

try:
    account = cached(views.account, s.customer_no)
except CashbookError as exc:
    show_error(exc)
    st.stop()
summary = account["summary"]
st.subheader(f"{summary['customer_no']} {summary['name']} ({summary['currency']})")
m = st.columns(5)
m[0].metric("Balance", money(summary["balance"]))
m[1].metric("Past due", money(summary["amount_due"]))
m[2].metric("On account", money(summary["on_account"]))
m[3].metric("Available credit", money(summary.get("available_credit")))
m[4].metric("Hold", "ON HOLD" if summary.get("on_hold") else "no")
if summary.get("hold_reasons"):
    st.warning("; ".join(summary["hold_reasons"]))
aging = summary.get("aging") or {}
if aging:
    money_bars(st, list(aging), list(aging.values()), "bucket", "amount", horizontal=True, height=200)

statement_tab, history_tab = st.tabs(["Statement: open items", "Payment history"])
with statement_tab:
    grid(account["statement"], "acct_statement")
    frame_download("acct_statement_dl", account["statement"], f"statement_{summary['customer_no']}")
with history_tab:
    st.caption("Every receipt that paid this customer's documents or put cash on its account: what, when, by whom, "
               "and what was unapplied since.")
    history = views.payment_history_query(summary["customer_no"])
    paged_table("acct_history", history, page_size=200, height=360)
    download("acct_history_dl", history, f"payment_history_{summary['customer_no']}")
if not account["holds"].empty:
    with st.expander("Hold history"):
        grid(account["holds"], "acct_holds")
        frame_download("acct_holds_dl", account["holds"], f"holds_{summary['customer_no']}")
