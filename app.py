"""Cashbook in the browser: the router. Each page lives in app_pages/; run with `streamlit run app.py`."""

import streamlit as st

from app_pages.widgets import sidebar

st.set_page_config(page_title="Cashbook", page_icon=":material/payments:", layout="wide")

pages = {
    "Work": [
        st.Page("app_pages/allocation.py", title="Cash allocation", icon=":material/payments:", default=True),
        st.Page("app_pages/exceptions.py", title="Exceptions", icon=":material/report:", url_path="exceptions"),
        st.Page("app_pages/credits.py", title="Credit centre", icon=":material/receipt_long:", url_path="credits"),
        st.Page("app_pages/account.py", title="Customer account", icon=":material/person:", url_path="account"),
        st.Page("app_pages/postings.py", title="Postings export", icon=":material/upload_file:", url_path="postings"),
    ],
    "Data": [
        st.Page("app_pages/import_files.py", title="Import", icon=":material/download:", url_path="import"),
        st.Page("app_pages/hierarchies.py", title="Hierarchies", icon=":material/account_tree:", url_path="hierarchies"),
        st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/monitoring:", url_path="dashboard"),
    ],
}
navigation = st.navigation(pages)
sidebar()
navigation.run()
