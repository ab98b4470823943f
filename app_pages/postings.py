"""Postings export: the balanced journals the ERP needs for everything allocated since the last export."""

from datetime import datetime

import streamlit as st

from app_pages.widgets import cached, download, paged_table, require_area, show_error
from app_pages import views
from cashbook.errors import CashbookError
from app_pages.state import state, workspace

st.title("Postings export")
require_area("cashbook.ledger_service", "The postings export")
ws = workspace()
s = state()

waiting = cached(views.unposted_count)
st.metric("Ledger entries waiting to be posted", f"{waiting:,}")
st.write("Each receipt becomes one journal: debit bank, credit receivables per document and customer, debit "
         "discount and write-off, credit on account or suspense. Every journal balances; an entry is exported once.")
c = st.columns([1, 1, 3])
fmt = c[0].selectbox("Format", ["xlsx", "csv"], key="post_fmt")
if c[1].button("Export postings", key="post_export", type="primary", disabled=waiting == 0):
    name = f"postings_{datetime.now():%Y%m%d%H%M%S}.{fmt}"  # the name the export is recorded under
    try:
        with st.spinner("Writing journals..."):
            data, journals = ws.postings.as_bytes(fmt, name)
        s.downloads = {**s.downloads, "postings": (name, data)}
        s.notify(f"{name}: {journals:,} journals ready to download" if journals else
                 f"{name}: no new journals; what was waiting cancelled out")
        st.rerun()
    except CashbookError as exc:
        show_error(exc)
ready = s.downloads.get("postings")
if ready:
    c[2].download_button(f"Download {ready[0]}", data=ready[1], file_name=ready[0], key="post_download",
                         type="primary")

st.subheader("Earlier exports")
exports, picked = paged_table("post_exports", views.posting_exports_query(), page_size=50, selection="single-row")
export_id = int(exports.iloc[picked[0]]["export_id"]) if picked else None
st.subheader(f"Journal lines{f' of export #{export_id}' if export_id else ''}")
paged_table("post_lines", views.journal_lines_query(export_id), page_size=500)
download("post_lines_dl", views.journal_lines_query(export_id), f"journal_lines_{export_id or 'all'}")
