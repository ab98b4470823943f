"""The Streamlit app's session state as typed fields, and the workspace each script run works in.

Only the app imports this module (it imports Streamlit); the core, the CLI and notebooks never do.
Pages read and write session values through ``state()`` instead of raw ``st.session_state`` keys,
and get their Workspace from ``workspace()``: the workspace file held while script runs draw
(``run_workspace``) and closed a moment after the last one ends, so that a batch run from the command
line can have the file between two clicks; every change the app makes carries the signed-in user's name.
"""

from __future__ import annotations

import getpass
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import streamlit as st

from cashbook.batch_runs import BatchRun, running
from cashbook.db import Database, open_database
from cashbook.demo import build_demo_workspace, has_demo_files, write_demo
from cashbook.errors import NameRefused, WorkspaceError
from cashbook.settings import current_user
from cashbook.service import Workspace

DEMO_FOLDER = "data"
BATCH_WAIT_SECONDS = 15 * 60.0  # a page waits this long for a batch run before saying it gave up
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
    signed_in = _Field[str | None](lambda: None)  # the user signed in in this browser session
    session_token = _Field[str | None](lambda: None)  # the signed token of that sign-in (also the cookie)
    signed_out = _Field[bool](lambda: False)  # just signed out: the cookie is removed on this run
    batch_mark = _Field[int | None](lambda: None)  # which batch run had ended last when this page last looked

    @property
    def user(self) -> str:
        """The signed-in user; in a workspace without users, CASHBOOK_USER or the login."""
        if self.signed_in:
            return self.signed_in
        try:
            return current_user()
        except NameRefused:  # a CASHBOOK_USER that is not a plain name gives way to the login
            return getpass.getuser() or "unknown"

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
    path: str
    generated: list[str]  # the demo's summary when this start generated it, else []


@st.cache_resource(show_spinner="Preparing the workspace...")
def _prepare(path: str) -> Opened:
    """Once per server: the demo is generated when no workspace was named and data/ has none."""
    generated: list[str] = []
    if not os.environ.get("CASHBOOK_DB") and not Path(path).exists():
        folder = Path(path).parent  # the sources in git are read, never rewritten; only the workspace is new
        generated = build_demo_workspace(folder) if has_demo_files(folder) else write_demo(folder)
    return Opened(path, generated)


def opened() -> Opened:
    return _prepare(workspace_path())


_RUN = threading.local()  # the Database of the script run on this thread


def _wait_for_batch(path: str, where: "st.delta_generator.DeltaGenerator") -> Database:
    """Open the file, first letting announced batch runs finish; the page says whose run it waits for."""
    deadline = time.monotonic() + BATCH_WAIT_SECONDS
    shown: list[BatchRun] | None = None
    while True:
        runs = running(path)
        if not runs:
            try:
                return open_database(path, wait=2.0)
            except WorkspaceError as exc:
                if exc.title != "Workspace busy" or time.monotonic() > deadline:
                    raise
                runs = running(path)
        if time.monotonic() > deadline:
            raise WorkspaceError(f"waited {BATCH_WAIT_SECONDS / 60:.0f} minutes for "
                                 f"{'; '.join(r.describe() for r in runs) or 'another program'}; try again later",
                                 title="Workspace busy")
        if runs != shown:
            shown = runs
            text = "; ".join(r.describe() for r in runs) or "another program"
            where.info(f"**Batch run in progress:** {text}. This page continues when it has finished; "
                       "nothing you typed is lost.", icon=":material/hourglass_top:")
        time.sleep(0.5)


KEEP_SECONDS = 2.0  # how long the file stays open after a run, for the clerk's next click


@dataclass
class _Kept:
    """The workspace file kept open between script runs: by how many runs now, and the timer that closes it."""

    db: Database
    runs: int = 0
    timer: threading.Timer | None = None


_KEEP_LOCK = threading.Lock()
_KEPT: dict[str, _Kept] = {}


def _borrow(path: str, where: "st.delta_generator.DeltaGenerator") -> Database:
    """The kept connection when there is one and no batch run is announced; else a fresh open (after the batch).

    Opening the file costs 0.1-0.5 s on a busy machine (DuckDB starts a database instance each time) and
    its page cache starts cold: paid on every click, that was a third of a page switch on a full workspace."""
    batch = running(path)
    with _KEEP_LOCK:
        kept = _KEPT.get(path)
        if kept is not None and batch and kept.runs == 0:  # give the file to the batch run now
            _KEPT.pop(path)
            kept.db.close()
        elif kept is not None and not batch:
            if kept.timer is not None:
                kept.timer.cancel()
                kept.timer = None
            kept.runs += 1
            kept.db.forget_kept_reads()  # an in-process connection may have written since
            return kept.db
    db = _wait_for_batch(path, where)
    with _KEEP_LOCK:
        if path not in _KEPT:
            _KEPT[path] = _Kept(db, runs=1)
    return db


def _give_back(path: str, db: Database) -> None:
    """End a run's use of the file: a connection that is not the kept one closes; the kept one closes when the
    last run using it ends and a batch run is waiting, else ``KEEP_SECONDS`` later unless a run borrows it."""
    with _KEEP_LOCK:
        kept = _KEPT.get(path)
        if kept is None or kept.db is not db:
            db.close()
            return
        kept.runs -= 1
        if kept.runs > 0:
            return
        if running(path):
            _KEPT.pop(path)
            db.close()
            return
        kept.timer = threading.Timer(KEEP_SECONDS, _expire, args=(path, kept))
        kept.timer.daemon = True
        kept.timer.start()


def _expire(path: str, kept: _Kept) -> None:
    with _KEEP_LOCK:
        if _KEPT.get(path) is kept and kept.runs == 0:
            _KEPT.pop(path)
            kept.db.close()


@contextmanager
def run_workspace() -> Iterator[Database]:
    """The workspace file for one script run (app.py wraps the whole run). The file is held while runs draw and
    for ``KEEP_SECONDS`` after the last one ends, so that clicking from page to page does not reopen it each
    time; a command-line batch run announced meanwhile gets it at once when no run is drawing, else within
    ``KEEP_SECONDS`` (it waits up to 30 s for the file)."""
    where = st.empty()
    path = opened().path
    db = _borrow(path, where)
    where.empty()
    _RUN.db = db
    try:
        yield db
    finally:
        _RUN.db = None
        _give_back(path, db)


def current_db() -> Database:
    db = getattr(_RUN, "db", None)
    if db is None:
        raise WorkspaceError("the workspace is opened by app.py for each script run; this code ran outside one",
                             title="Workspace not open")
    return db


def workspace() -> Workspace:
    """The workspace for this run, acting as the signed-in user."""
    return Workspace(current_db(), state().user)
