"""Credit centre."""

import streamlit as st

from app_pages.widgets import require_area

st.title("Credit centre")
require_area("cashbook.ledger_service", "Credit centre")
