"""Postings export."""

import streamlit as st

from app_pages.widgets import require_area

st.title("Postings export")
require_area("cashbook.ledger_service", "Postings export")
