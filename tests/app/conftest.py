"""AppTest fixtures: one demo workspace per test session, named by CASHBOOK_DB, and a clerk's name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cashbook.demo import write_demo

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
USER = "Ada Clerk"


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, user="demo")
    db = folder / "cashbook.duckdb"
    saved = {k: os.environ.get(k) for k in ("CASHBOOK_DB", "CASHBOOK_USER")}
    os.environ["CASHBOOK_DB"] = str(db)
    os.environ["CASHBOOK_USER"] = USER
    yield db
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def app(demo_workspace: Path):
    """A function that opens a page of the app and runs it: ``app("allocation")``."""

    def open_page(page: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        if page:
            at.switch_page(f"app_pages/{page}.py")
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def workspace(demo_workspace: Path):
    """The test's own connection to the app's workspace (in one process, DuckDB shares the open file)."""
    from cashbook.service import Workspace

    return Workspace.open(demo_workspace, user="test")


def texts(at: AppTest) -> str:
    """Everything the page says in markdown, captions, titles, metrics and alerts, as one text."""
    parts = [e.value for kind in ("markdown", "caption", "title", "subheader", "success", "info", "warning", "error")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)
