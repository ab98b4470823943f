"""The Streamlit app's session state as typed fields, and its one cached connection to the workspace.

Only the app imports this module (it imports Streamlit); the core, the CLI and notebooks never do.
Pages read and write session values through ``state()`` instead of raw ``st.session_state`` keys,
and get their Workspace from ``workspace()``: one cached Database per file, wrapped for the clerk
named in the sidebar so that every change the app makes carries that name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import streamlit as st

from cashbook.db import Database, open_database
from cashbook.demo import build_demo_workspace, has_demo_files, write_demo
from cashbook.imports import current_user
from cashbook.service import Workspace

DEMO_FOLDER = "data"
USER_KEY = "user"  # the sidebar's text input
T = TypeVar("T")


class _Field(Generic[T]):
    """One session value with a typed default, stored under ``cb.<name>``."""

    def __init__(self, default: Callable[[], T]) -> None:
        self.default = default
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = f"cb.{name}"

    def __get__(self, obj: object, owner: type | None = None) -> T:
        if self.key not in st.session_state:
            st.session_state[self.key] = self.default()
        return st.session_state[self.key]

    def __set__(self, obj: object, value: T) -> None:
        st.session_state[self.key] = value


class SessionState:
    """Everything a page keeps between reruns of one browser session."""

    receipt_id = _Field[int | None](lambda: None)  # the receipt open on Cash allocation
    queue_pick = _Field[list[int]](list)  # the queue rows selected at the last run
    last_find = _Field[str](str)  # the search text typed at the last run
    found_pick = _Field[list[int]](list)  # the search results selected at the last run
    decision_report = _Field[list[str]](list)  # the last decisions workbook's report, for display
    group = _Field[str | None](lambda: None)  # the group open on Hierarchies
    customer_no = _Field[str | None](lambda: None)  # the customer open on Customer account
    notices = _Field[list[str]](list)  # messages shown once on the next run (after a change and st.rerun)
    downloads = _Field[dict[str, tuple[str, bytes]]](dict)  # prepared files: key -> (file name, bytes)
    import_results = _Field[list[dict[str, Any]]](list)  # the last import's reports, for display
    # What the memory-capped child read of each file (or why it refused it), by (name, digest, kind)
    upload_readings = _Field[dict[tuple[str, str, str], Any]](dict)
    demo_notice_shown = _Field[bool](lambda: False)

    @property
    def user(self) -> str:
        """The clerk's name from the sidebar, else CASHBOOK_USER or the login."""
        value = str(st.session_state.get(USER_KEY) or "").strip()
        return value or current_user()

    @staticmethod
    def set_widget(key: str, value: Any) -> None:
        """Put a value into a widget before it is drawn (a selection in one grid filling a form field)."""
        st.session_state[key] = value

    def notify(self, message: str) -> None:
        self.notices = [*self.notices, message]

    def take_notices(self) -> list[str]:
        out = self.notices
        self.notices = []
        return out


def state() -> SessionState:
    return SessionState()


def workspace_path() -> str:
    """CASHBOOK_DB, else the demo workspace in data/."""
    return os.environ.get("CASHBOOK_DB") or str(Path(DEMO_FOLDER) / "cashbook.duckdb")


@dataclass(frozen=True)
class Opened:
    db: Database
    generated: list[str]  # the demo's summary when this start generated it, else []


@st.cache_resource(show_spinner="Opening the workspace...")
def _open(path: str) -> Opened:
    """One Database per workspace file for the whole server; the demo is generated when it is missing."""
    generated: list[str] = []
    if not os.environ.get("CASHBOOK_DB") and not Path(path).exists():
        folder = Path(path).parent  # the sources in git are read, never rewritten; only the workspace is new
        generated = build_demo_workspace(folder) if has_demo_files(folder) else write_demo(folder)
    return Opened(open_database(path), generated)


def opened() -> Opened:
    return _open(workspace_path())


def workspace() -> Workspace:
    """The workspace for this run, acting as the clerk named in the sidebar."""
    return Workspace(opened().db, state().user)
