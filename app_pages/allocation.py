"""Cash allocation, the main screen: search, the receipts queue, one receipt's proposals, lines and open items, decisions."""

from decimal import Decimal

import streamlit as st

from app_pages.widgets import (bytes_download, cached, download, money, money_input, money_text_ok, paged_table, plural,
                               run_action, show_error)
from app_pages import views
from cashbook.errors import CashbookError
from app_pages.state import state, workspace
from app_pages.grids import grid

ws = workspace()
s = state()

st.title("Cash allocation")
top = st.columns([1, 5])
if top[0].button("Run matching", key="alloc_run", type="primary", help="Match every receipt not yet decided."):
    bar = st.progress(0.0, text="Matching...")
    stages: list[str] = []

    def shown(stage: str, seconds: float) -> None:  # the run's stages, as they finish; how many is not known ahead
        stages.append(stage)
        bar.progress(1 - 0.8 ** len(stages), text=f"Matching: {stage} ({seconds:.0f}s)")

    run_action(lambda: ws.matching.run(progress=shown), lambda report: " ".join(report.lines()[:2]))
counts = cached(views.status_counts)
top[1].caption(" · ".join(f"**{r.status.replace('_', ' ')}** {r.receipts:,}" for r in counts.itertuples()) or "No receipts yet")

# -- find anything -------------------------------------------------------------------------------------------
search = st.text_input("Search", key="alloc_search",
                       placeholder="payer, payment reference, amount or range (100-200), bank text, "
                                   "receipt id or any document number a receipt paid, named or was proposed for")
if search.strip():
    try:
        found_query = views.search_query(search)
    except CashbookError as exc:
        show_error(exc)
        found_query = None
    if found_query is not None:
        found_count = views.count(ws, found_query)
        if found_count == 1 and search != s.last_find:  # exactly one: open it
            s.receipt_id = int(views.page(ws, found_query, 1)["receipt_id"].iloc[0])
        elif found_count == 0:
            st.warning(f"No receipt fits {search.strip()!r}.")
        elif found_count > 1:
            with st.container(border=True):
                st.markdown(f"**{found_count:,} receipts found** · pick one to open it")
                found, picked_found = paged_table("alloc_found", found_query, page_size=50, selection="single-row",
                                                  height=min(320, 40 + 35 * found_count), hide=("rank",),
                                                  order=["receipt_id", "found_by", "status", "value_date", "amount",
                                                         "payer_name", "payment_ref", "to_allocate", "customer_no"])
                if picked_found and picked_found != s.found_pick:
                    s.receipt_id = int(found.iloc[picked_found[0]]["receipt_id"])
                s.found_pick = picked_found
s.last_find = search

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
    queue, picked = paged_table("alloc_queue", query, page_size=100, selection="single-row", height=260)
    if picked and picked != s.queue_pick:  # a new click, not the selection left from an earlier run
        s.receipt_id = int(queue.iloc[picked[0]]["receipt_id"])
    s.queue_pick = picked
    download("alloc_queue_dl", query, "receipts_queue")

# -- decide in Excel -----------------------------------------------------------------------------------------
with st.container(border=True, key="alloc_excel"):
    st.markdown("**Decide in Excel**: every suggestion as a workbook with a Decision column")
    st.caption("Write **accept**, **reject**, or a document and an amount (**INV500627 100.00**) in the Decision "
               "column, then upload the workbook: each decision is applied under your name, and what cannot be "
               "applied is listed with why.")
    bytes_download("alloc_suggestions", "Prepare suggestions.xlsx", lambda: ("suggestions.xlsx", ws.suggestions_xlsx()))
    d = st.columns([2, 1])
    upload = d[0].file_uploader("Upload the decided workbook", type=["xlsx"], key="alloc_decisions_file")
    local = d[1].selectbox("or one in the decisions/ folder beside the workspace", views.decision_files(ws),
                           index=None, key="alloc_decisions_local", placeholder="none")
    chosen_file = (upload.name, upload.getvalue()) if upload is not None else \
        (local.split("/")[-1], views.read_local_file(ws, local)) if local else None
    if st.button("Apply the decisions", key="alloc_decisions_apply", type="primary", disabled=chosen_file is None) \
            and chosen_file is not None:
        try:
            report = ws.decide_in_excel(chosen_file[1], chosen_file[0])
        except CashbookError as exc:
            show_error(exc)
        else:
            s.decision_report = report.lines()
            s.notify(report.lines()[0])
            st.rerun()
    if s.decision_report:
        head, *rest = s.decision_report
        (st.warning if any(r.startswith("refused") for r in rest) else st.success)(head)
        if rest:
            st.code("\n".join(rest), language=None)

if s.receipt_id is None:
    st.info("Search above, or pick a receipt in the queue (click the box at the left of its row), to allocate it.")
    st.stop()

# -- one receipt ---------------------------------------------------------------------------------------------
rid = s.receipt_id
try:
    summary = cached(views.receipt_summary, rid)
except CashbookError as exc:
    show_error(exc)
    st.stop()
receipt = summary["receipt"]
head = st.columns([5, 1.2])
head[0].subheader(f"Receipt #{rid} · {receipt.payment_ref or 'no payment reference'}")
following = views.next_receipt(ws, rid)
if head[1].button("Next receipt ▶" if following else "Queue is empty", key="alloc_next", disabled=following is None,
                  shortcut="Alt+N", help="the next receipt to do in the queue (Alt+N)", width="stretch"):
    s.receipt_id = following
    st.rerun()
st.caption(f"**{receipt.payer_name or 'unknown payer'}** · value date {receipt.value_date or 'unknown'} · "
           f"payer customer **{receipt.payer_customer_no or 'not identified'}** · status **{receipt.status.replace('_', ' ')}** · "
           f"{receipt.source_formats} · {receipt.bank_text[:160]}")
m = st.columns(5)
m[0].metric("Amount", money(summary["amount"]))
m[1].metric("Applied", money(summary["applied"]))
m[2].metric("On account", money(summary["on_account"]))
m[3].metric("Unidentified", money(summary["unidentified"]))
m[4].metric("Left to allocate", money(summary["to_allocate"]))

suggested = cached(views.proposals, rid)
count = len(suggested)
st.markdown(f"**Proposals waiting for you** ({count})")
if suggested.empty:
    st.caption("No suggestions wait for this receipt.")
else:
    st.caption("Select rows (the boxes at the left; Shift or Ctrl for several) to decide them at once; "
               "with none selected the buttons take every proposal.")
    with st.container(key="alloc_proposals"):  # a stable name for the grid, whatever its widget key
        picked_rows = grid(suggested, views.proposals_grid_key(rid, views.version(ws)), selection="multi-row",
                           height=min(420, 40 + 35 * count), hide=("status",))
    chosen = suggested.iloc[picked_rows] if picked_rows else suggested
    ids = [int(i) for i in chosen["proposal_id"]]
    what = f"{len(ids)} selected" if picked_rows else f"all {len(ids)}"
    b = st.columns([1, 1, 4])
    if b[0].button(f"Accept {what}", key="alloc_accept", type="primary", shortcut="Alt+A"):
        run_action(lambda: ws.allocation.accept(ids),
                   f"Accepted {len(ids)} {plural(len(ids), 'proposal')} of receipt #{rid}")
    if b[1].button(f"Reject {what}", key="alloc_reject"):
        run_action(lambda: ws.allocation.reject(ids),
                   f"Rejected {len(ids)} {plural(len(ids), 'proposal')} of receipt #{rid}")

with st.expander("Why: the matching explanation"):
    st.code("\n".join(ws.matching.explain(rid)), language=None)

st.markdown("**Remittance lines**")
lines = cached(views.remittance_lines, rid)
grid(lines, "alloc_lines", height=min(360, 40 + 35 * max(len(lines), 1)))

scope_text = st.text_input("Open items of the payer's group: filter by document, customer, name or PO",
                           key="alloc_item_filter")
scope_query = views.scope_items_query(receipt.payer_customer_no, scope_text)
items, picked_item = paged_table("alloc_items", scope_query, page_size=500, selection="single-row", height=320)
if picked_item:
    s.set_widget("alloc_doc", str(items.iloc[picked_item[0]]["doc_no"]))
download("alloc_items_dl", scope_query, f"open_items_receipt_{rid}")

with st.form("alloc_manual_form", border=True):
    st.markdown("**Apply to any document** (pick one in the grid above or type its number); less than is open "
                "is a partial payment")
    c = st.columns([2, 1.2, 1, 1, 1, 1.4, 0.8])
    doc_no = c[0].text_input("Document", key="alloc_doc")
    amount = money_input(c[1], "Cash to apply", "alloc_amount")
    discount = money_input(c[2], "Discount", "alloc_discount")
    deduction = money_input(c[3], "Deduction", "alloc_deduction")
    reason = c[4].text_input("Reason code", key="alloc_reason", help="why the payer paid less, e.g. DAM, PRC, PRO")
    write_rest = c[5].checkbox("Write off the rest (within tolerance)", key="alloc_writeoff")
    applied = c[6].form_submit_button("Apply", type="primary")
typed_ok = money_text_ok("alloc_amount", "alloc_discount", "alloc_deduction")  # a bad amount says so once, above
if applied and doc_no.strip() and typed_ok:
    cash = amount or Decimal("0.00")
    run_action(lambda: ws.allocation.apply_manual(rid, doc_no.strip(), cash, discount or Decimal("0.00"), Decimal("0.00"),
                                                deduction or Decimal("0.00"), reason.strip() or None,
                                                write_off_rest=write_rest),
               f"Applied {money(cash)} of receipt #{rid} to {doc_no.strip()}")

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
    paged_table("alloc_entries", views.allocations_query(rid), page_size=200)
    download("alloc_entries_dl", views.allocations_query(rid), f"allocations_receipt_{rid}")
    u = st.columns([2, 1, 3])
    undo_doc = u[0].text_input("Unapply one document (empty: the whole receipt)", key="alloc_unapply_doc")
    u[1].write("")
    if u[1].button("Unapply", key="alloc_unapply"):
        run_action(lambda: ws.allocation.unapply(rid, undo_doc.strip() or None),
                   f"Reversed {'the allocation to ' + undo_doc.strip() if undo_doc.strip() else 'receipt #' + str(rid)}")
