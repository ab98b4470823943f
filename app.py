"""Cashbook in the browser: the router. Each page lives in app_pages/; run with `cashbook app` (or `streamlit run app.py`).

Each run opens the workspace, lets only a signed-in user past (once the workspace has users),
offers the pages the user's role may use, and gives the workspace back when the run ends (see app_pages.state).
"""

from pathlib import Path

import streamlit as st

from app_pages.auth import gate
from app_pages.widgets import sidebar
from cashbook.access import Role
from app_pages.state import run_workspace

st.set_page_config(page_title="Cashbook", page_icon=str(Path(__file__).parent / "app_pages" / "favicon.png"),
                   layout="wide")

with run_workspace():
    ws = gate()
    supervisor = ws.may(Role.SUPERVISOR)
    pages = {
        "Work": [
            st.Page("app_pages/allocation.py", title="Cash allocation", icon=":material/payments:", default=True),
            st.Page("app_pages/exceptions.py", title="Exceptions", icon=":material/report:", url_path="exceptions"),
            st.Page("app_pages/credits.py", title="Credit centre", icon=":material/receipt_long:", url_path="credits"),
            st.Page("app_pages/account.py", title="Customer account", icon=":material/person:", url_path="account"),
            *([st.Page("app_pages/postings.py", title="Postings export", icon=":material/upload_file:",
                       url_path="postings")] if supervisor else []),
        ],
        "Data": [
            st.Page("app_pages/import_files.py", title="Import", icon=":material/download:", url_path="import"),
            st.Page("app_pages/hierarchies.py", title="Hierarchies", icon=":material/account_tree:",
                    url_path="hierarchies"),
            st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/monitoring:", url_path="dashboard"),
        ],
    }
    navigation = st.navigation(pages)
    sidebar(ws)
    navigation.run()
