"""Customer account."""

import streamlit as st

from app_pages.widgets import require_area

st.title("Customer account")
require_area("cashbook.ledger_service", "Customer account")
