"""Sign-in in the app (AppTest): only the form until someone signs in, lock-out, reload by cookie, sign-out,
what a clerk and a supervisor see, the trusted proxy's header, and the signed-in user on every change."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest

from cashbook.service import Workspace
from tests.app.conftest import APP, texts
from tests.test_ledger_service import make_world

PASSWORDS = {"ada": "admin-pass-1", "alice": "clerk-pass-1", "sam": "super-pass-1"}


@pytest.fixture()
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "team.duckdb"
    make_world(path).close()
    with Workspace.open(path, user="ada") as ws:
        ws.users.add("ada", "admin", PASSWORDS["ada"])
    with Workspace.open(path, user="ada") as ws:
        ws.users.add("alice", "clerk", PASSWORDS["alice"])
        ws.users.add("sam", "supervisor", PASSWORDS["sam"])
    monkeypatch.setenv("CASHBOOK_DB", str(path))
    monkeypatch.delenv("CASHBOOK_USER", raising=False)
    return path


@pytest.fixture()
def browser(monkeypatch: pytest.MonkeyPatch):
    """What the browser sends with its connection: cookies and headers (AppTest cannot seed them itself)."""
    sent: dict[str, dict[str, str]] = {"cookies": {}, "headers": {}}
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: sent["cookies"]))
    monkeypatch.setattr(ContextProxy, "headers", property(lambda self: sent["headers"]))
    return sent


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.value for e in at.exception]
    return at


def showing_sign_in_only(at: AppTest) -> bool:
    return [t.value for t in at.title] == ["Cashbook"] and len(at.text_input) == 2 and not at.sidebar.caption


def test_only_the_sign_in_form_until_someone_signs_in(team: Path, browser) -> None:
    at = start()
    assert showing_sign_in_only(at)
    sign_in(at, "alice", "not-her-password")
    assert "wrong name or password" in texts(at) and showing_sign_in_only(at)
    sign_in(at, "alice", PASSWORDS["alice"])
    assert [t.value for t in at.title] == ["Cash allocation"]
    assert "Signed in as **alice** (clerk)" in [c.value for c in at.sidebar.caption]
    token = at.session_state["cb.session_token"]
    assert token and "document.cookie" in str(at.get("html")[0].proto.body) and token in str(at.get("html")[0].proto.body)


def test_five_wrong_passwords_lock_the_name(team: Path, browser) -> None:
    at = start()
    for attempt in range(4):
        sign_in(at, "sam", f"guess-{attempt}")
        assert "wrong name or password" in texts(at)
    sign_in(at, "sam", "guess-5")
    assert "locked for 15 minutes" in texts(at)
    sign_in(at, "sam", PASSWORDS["sam"])
    assert "locked until" in texts(at) and showing_sign_in_only(at)
    sign_in(at, "alice", PASSWORDS["alice"])  # another name is not locked
    assert [t.value for t in at.title] == ["Cash allocation"]


def test_a_reload_keeps_the_session_and_sign_out_ends_it(team: Path, browser) -> None:
    at = sign_in(start(), "sam", PASSWORDS["sam"])
    token = at.session_state["cb.session_token"]
    browser["cookies"]["cashbook_session"] = token  # what the page's script left in the browser
    reloaded = start()  # a reload is a new session that brings the cookie
    assert [t.value for t in reloaded.title] == ["Cash allocation"]
    assert "Signed in as **sam** (supervisor)" in [c.value for c in reloaded.sidebar.caption]
    reloaded.sidebar.button(key="signout").click().run()
    assert showing_sign_in_only(reloaded)
    assert "Max-Age=0" in str(reloaded.get("html")[0].proto.body)  # the cookie is removed
    assert showing_sign_in_only(start())  # the same cookie no longer signs anyone in
    browser["cookies"]["cashbook_session"] = token[:-3] + "xyz"
    assert showing_sign_in_only(start())


def test_a_clerk_sees_no_supervisor_controls(team: Path, browser) -> None:
    at = sign_in(start(), "alice", PASSWORDS["alice"])
    at.switch_page("app_pages/hierarchies.py").run()
    assert "Changing a group needs the supervisor role." in texts(at)
    assert not [r for r in at.radio if r.key == "hier_action"]
    at.switch_page("app_pages/credits.py").run()
    assert at.radio(key="cred_action").options == ["apply", "unapply"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not among a clerk's pages
        at.switch_page("app_pages/postings.py")


def test_a_supervisor_sees_them(team: Path, browser) -> None:
    at = sign_in(start(), "sam", PASSWORDS["sam"])
    at.switch_page("app_pages/hierarchies.py").run()
    assert at.radio(key="hier_action").options[0] == "Add or move a customer"
    at.switch_page("app_pages/credits.py").run()
    assert at.radio(key="cred_action").options == ["apply", "unapply", "refund"]
    at.switch_page("app_pages/postings.py").run()
    assert [t.value for t in at.title] == ["Postings export"]


def test_the_signed_in_user_is_who_changes_record(team: Path, browser) -> None:
    at = sign_in(start(), "alice", PASSWORDS["alice"])
    at.button(key="alloc_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Workspace.open(team, user="ada") as ws:
        runs = ws.db.rows("SELECT DISTINCT created_by FROM allocation_entry")
        assert runs == [("alice",)]


def test_the_trusted_proxy_header_names_the_user(team: Path, browser) -> None:
    with Workspace.open(team, user="ada") as ws:
        ws.set_setting("auth_header", "X-Forwarded-User")
    browser["headers"]["X-Forwarded-User"] = "sam"
    at = start()
    assert [t.value for t in at.title] == ["Cash allocation"]  # no form: the proxy signed sam in
    assert "Signed in as **sam** (supervisor)" in [c.value for c in at.sidebar.caption]
    assert not at.sidebar.button  # signing out is the proxy's business
    browser["headers"]["X-Forwarded-User"] = "mallory"
    at = start()
    assert "'mallory' is not an active user" in texts(at) and not at.text_input
    browser["headers"].clear()
    assert "it named no one" in texts(start())
