"""Cash allocation, the main screen: the receipts queue, one receipt's lines beside its group's open items, decisions."""

from decimal import Decimal

import streamlit as st

from app_pages.widgets import MONEY, cached, money, money_input, paged_table, run_action, show_error
from app_pages import views
from cashbook.errors import CashbookError
from cashbook.money import MoneyFormatError, parse_money
from app_pages.state import state, workspace

ws = workspace()
s = state()

st.title("Cash allocation")
top = st.columns([1, 5])
if top[0].button("Run matching", key="alloc_run", type="primary", help="Match every receipt not yet decided."):
    run_action(lambda: ws.matching.run(), lambda report: " ".join(report.lines()[:2]))
counts = cached(views.status_counts)
top[1].caption(" · ".join(f"**{r.status.replace('_', ' ')}** {r.receipts:,}" for r in counts.itertuples()) or "No receipts yet")

# -- the queue ------------------------------------------------------------------------------------------
with st.container(border=True):
    f = st.columns([1.2, 1, 1, 1.6, 1.6])
    status = f[0].selectbox("Status", list(views.QUEUE_FILTERS), key="alloc_status",
                            format_func=lambda v: v.replace("_", " "))
    low = money_input(f[1], "Amount from", "alloc_min", placeholder="")
    high = money_input(f[2], "to", "alloc_max", placeholder="")
    dates = f[3].date_input("Value date", value=[], key="alloc_dates")
    payer = f[4].text_input("Payer, customer or reference", key="alloc_payer")
    query = views.receipts_query(status, low, high,
                                 dates[0] if len(dates) > 0 else None, dates[1] if len(dates) > 1 else None, payer)
    queue, picked = paged_table("alloc_queue", query, page_size=100, selection="single-row", height=260,
                                column_config={"amount": MONEY, "to_allocate": MONEY})
    if picked and picked != s.queue_pick:  # a new click, not the selection left from an earlier run
        s.receipt_id = int(queue.iloc[picked[0]]["receipt_id"])
    s.queue_pick = picked
    find = st.text_input("Open a receipt by id or payment reference", key="alloc_find")
    if find and find != s.last_find:
        try:
            s.receipt_id = ws.receipts.find(find)
        except CashbookError as exc:
            show_error(exc)
    s.last_find = find

if s.receipt_id is None:
    st.info("Pick a receipt in the queue (click the box at the left of its row) to allocate it.")
    st.stop()

# -- one receipt ---------------------------------------------------------------------------------------------
rid = s.receipt_id
summary = cached(views.receipt_summary, rid)
receipt = summary["receipt"]
st.subheader(f"Receipt #{rid}: {receipt.payer_name or 'unknown payer'} · {receipt.payment_ref or ''} · "
             f"{receipt.value_date or ''}")
st.caption(f"Payer customer: **{receipt.payer_customer_no or 'not identified'}** · status **{receipt.status}** · "
           f"{receipt.source_formats} · {receipt.bank_text[:160]}")
m = st.columns(5)
m[0].metric("Amount", money(summary["amount"]))
m[1].metric("Applied", money(summary["applied"]))
m[2].metric("On account", money(summary["on_account"]))
m[3].metric("Unidentified", money(summary["unidentified"]))
m[4].metric("Left to allocate", money(summary["to_allocate"]))

suggested = cached(views.proposals, rid)
st.markdown(f"**Proposals waiting for you** ({len(suggested)})")
if suggested.empty:
    st.caption("No suggestions wait for this receipt.")
else:
    shown = suggested.assign(take=True, amount=suggested["amount"].map(lambda v: f"{v:.2f}"))
    edited = st.data_editor(shown, key="alloc_proposals", hide_index=True,
                            width="stretch", height=min(420, 40 + 35 * len(suggested)),
                            disabled=[c for c in suggested.columns if c != "amount"],
                            column_order=["take", *suggested.columns],
                            column_config={"take": st.column_config.CheckboxColumn("take", default=True),
                                           "amount": st.column_config.TextColumn("amount", help="type to change"),
                                           "score": st.column_config.ProgressColumn(
                                               "score", min_value=0.0, max_value=1.0, format="%.2f")})
    chosen = edited[edited["take"]]
    try:
        changed = {int(r.proposal_id): parse_money(r.amount)
                   for r, o in zip(chosen.itertuples(), shown[edited["take"]].itertuples()) if r.amount != o.amount}
    except MoneyFormatError as exc:
        st.error(f"An amount you typed is not an amount: {exc}")
        changed = None
    b = st.columns([1, 1, 4])
    if b[0].button(f"Accept {len(chosen)} ticked", key="alloc_accept", type="primary",
                   disabled=chosen.empty or changed is None):
        run_action(lambda: ws.allocation.accept(list(chosen["proposal_id"]), changed),
                   f"Accepted {len(chosen)} proposals of receipt #{rid}")
    if b[1].button(f"Reject {len(chosen)} ticked", key="alloc_reject", disabled=chosen.empty):
        run_action(lambda: ws.allocation.reject(list(chosen["proposal_id"])), f"Rejected {len(chosen)} proposals")

with st.expander("Why: the matching explanation"):
    st.code("\n".join(ws.matching.explain(rid)), language=None)

left, right = st.columns(2)
with left:
    st.markdown("**Remittance lines**")
    st.dataframe(cached(views.remittance_lines, rid), hide_index=True, width="stretch", height=360,
                 key="alloc_lines", column_config={"paid_amount": MONEY, "gross_amount": MONEY})
with right:
    scope_text = st.text_input("Open items of the payer's group: filter by document, customer, name or PO",
                               key="alloc_item_filter")
    items, picked_item = paged_table("alloc_items", views.scope_items_query(receipt.payer_customer_no, scope_text),
                                     page_size=500, selection="single-row", height=320,
                                     column_config={"amount": MONEY, "open_amount": MONEY})
    if picked_item:
        s.set_widget("alloc_doc", str(items.iloc[picked_item[0]]["doc_no"]))

with st.form("alloc_manual_form", border=True):
    st.markdown("**Apply to any document** (pick one in the grid above or type its number)")
    c = st.columns([2, 1.2, 1, 1, 1, 1.4, 0.8])
    doc_no = c[0].text_input("Document", key="alloc_doc")
    amount = money_input(c[1], "Cash to apply", "alloc_amount")
    discount = money_input(c[2], "Discount", "alloc_discount")
    deduction = money_input(c[3], "Deduction", "alloc_deduction")
    reason = c[4].text_input("Reason code", key="alloc_reason", help="why the payer paid less, e.g. DAM, PRC, PRO")
    write_rest = c[5].checkbox("Write off the rest (within tolerance)", key="alloc_writeoff")
    applied = c[6].form_submit_button("Apply", type="primary")
if applied and doc_no.strip():
    cash = amount or Decimal("0.00")
    run_action(lambda: ws.allocation.apply_manual(rid, doc_no.strip(), cash, discount or Decimal("0.00"), Decimal("0.00"),
                                                deduction or Decimal("0.00"), reason.strip() or None,
                                                write_off_rest=write_rest),
               f"Applied {cash:,.2f} of receipt #{rid} to {doc_no.strip()}")

c = st.columns([2, 1, 3])
holder = c[0].text_input("On account of (empty: the group's primary customer)", key="alloc_on_account_customer")
c[1].write("")
if c[1].button("Put the rest on account", key="alloc_on_account", disabled=summary["to_allocate"] <= 0):
    run_action(lambda: ws.allocation.on_account(rid, holder.strip() or None),
               f"Put the rest of receipt #{rid} on account")

if summary["unidentified"] > 0:
    c = st.columns([1.5, 1.5, 1, 2])
    suspense_doc = c[0].text_input("Suspense cash to document", key="alloc_suspense_doc",
                                   help="as much as the document has open; the rest on account of its group's primary")
    suspense_customer = c[1].text_input("or on account of customer", key="alloc_suspense_customer")
    c[2].write("")
    if c[2].button("Move suspense cash", key="alloc_suspense_move",
                   disabled=not (suspense_doc.strip() or suspense_customer.strip())):
        run_action(lambda: ws.allocation.reassign_suspense(rid, customer_no=suspense_customer.strip() or None,
                                                           doc_no=suspense_doc.strip() or None),
                   f"Moved the suspense cash of receipt #{rid}")

with st.expander("What the ledger holds for this receipt"):
    paged_table("alloc_entries", views.allocations_query(rid), page_size=200, column_config={"amount": MONEY})
    u = st.columns([2, 1, 3])
    undo_doc = u[0].text_input("Unapply one document (empty: the whole receipt)", key="alloc_unapply_doc")
    u[1].write("")
    if u[1].button("Unapply", key="alloc_unapply"):
        run_action(lambda: ws.allocation.unapply(rid, undo_doc.strip() or None),
                   f"Reversed {'the allocation to ' + undo_doc.strip() if undo_doc.strip() else 'receipt #' + str(rid)}")
