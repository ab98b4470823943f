"""Who is using the app: the sign-in form, the session cookie, sign-out and the trusted proxy's header.

A workspace without users has no sign-in (one person, on this computer only). Otherwise a browser
session is signed in by the form (or by the ``auth_header`` a trusted proxy sets), and a signed,
expiring cookie carries the sign-in across page reloads until it expires or the user signs out.
"""

from __future__ import annotations

import ipaddress
import json

import streamlit as st

from cashbook.access import has_users
from cashbook.errors import CashbookError
from cashbook.service import Workspace
from app_pages.state import current_db, state

COOKIE = "cashbook_session"


def gate() -> Workspace:
    """The workspace as the signed-in user; draws only the sign-in form (and stops) while nobody is."""
    db, s = current_db(), state()
    if not has_users(db):
        _refuse_remote()
        s.signed_in = None
        return Workspace(db, s.user)
    ws = Workspace(db, s.user)
    header = ws.settings.auth_header.strip()
    if header:
        return _from_proxy(ws, header)
    if s.signed_out:
        _set_cookie("", 0)
        s.signed_out = False
    elif s.signed_in is None:
        cookie_user = ws.users.session_user(st.context.cookies.get(COOKIE))
        if cookie_user is not None:
            s.signed_in, s.session_token = cookie_user.name, st.context.cookies.get(COOKIE)
    if s.signed_in is not None:
        still = ws.users.session_user(s.session_token)
        if still is not None and still.name == s.signed_in:
            return Workspace(db, s.signed_in)
        s.signed_in = s.session_token = None  # expired, signed out elsewhere, or disabled
    return _sign_in_form(ws)


def _sign_in_form(ws: Workspace) -> Workspace:
    s = state()
    holder = st.empty()
    with holder.container():
        st.title("Cashbook")
        st.caption("Sign in to work in this workspace.")
        with st.form("signin_form"):
            name = st.text_input("Name", key="signin_name")
            password = st.text_input("Password", type="password", key="signin_password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if not submitted:
            st.stop()
        try:
            user = ws.users.sign_in(name, password)
        except CashbookError as exc:
            st.error(f"**{exc.title}**\n\n{exc}")
            st.stop()
    holder.empty()
    token = ws.users.start_session(user.name)
    s.signed_in, s.session_token = user.name, token
    _set_cookie(token, int(ws.settings.session_hours * 3600))
    return Workspace(ws.db, user.name)


def _from_proxy(ws: Workspace, header: str) -> Workspace:
    """The user the trusted proxy names in ``header`` (no password: the proxy authenticated them)."""
    named = (st.context.headers.get(header) or "").strip()
    user = ws.users.active_user(named) if named else None
    if user is None:
        st.title("Cashbook")
        st.error(f"**Not signed in**\n\nThis workspace takes the user from the `{header}` header of its sign-in "
                 f"proxy, and {'it named no one' if not named else repr(named) + ' is not an active user'}. "
                 "Open Cashbook through your company's sign-in page, or ask an admin to add you.")
        st.stop()
    state().signed_in = user.name
    return Workspace(ws.db, user.name)


def sign_out() -> None:
    """End the session for good (the cookie no longer signs anyone in) and forget it in this browser."""
    s = state()
    Workspace(current_db(), s.user).users.end_session(s.session_token)
    s.signed_in = s.session_token = None
    s.signed_out = True


def _set_cookie(value: str, max_age: int) -> None:
    secure = "; Secure" if str(st.context.url or "").startswith("https") else ""
    cookie = f"{COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict{secure}"
    st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def _refuse_remote() -> None:
    """Without users the app is one person's: a browser on another computer is refused."""
    address = st.context.ip_address  # None for this computer (and not a str under AppTest)
    if not isinstance(address, str) or not address:
        return
    try:
        local = ipaddress.ip_address(address).is_loopback
    except ValueError:
        local = address == "localhost"
    if not local:
        st.title("Cashbook")
        st.error("**This workspace has no users**, so it is open only on the computer it runs on. An admin adds "
                 "users (`cashbook users add NAME --role admin`) to open it to a team.")
        st.stop()


def role_label(ws: Workspace) -> str:
    role = ws.role
    return "one-person workspace" if role is None else role.value

