"""The connection to a workspace file: opening, migrating, transactions and error translation."""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # Arrow is loaded by the modules that hand tables over, not by every command
    import pyarrow as pa

from cashbook.errors import InputUnreadable, WorkspaceError

LOCK_WAIT_SECONDS = 30.0
HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers, before the first block
_DAMAGE_SIGNS = ("could not read enough bytes", "checksum", "corrupt", "not a valid duckdb", "invalid block",
                 "failed to read", "the file is not a valid")
_FULL_SIGNS = ("no space left", "disk full", "errno 28", "quota")
_DENIED_SIGNS = ("permission denied", "read-only file system", "operation not permitted")
_READ_ONLY = re.compile(r"\s*(SELECT|FROM|VALUES|PRAGMA|DESCRIBE|SHOW|EXPLAIN)\b", re.IGNORECASE)
_WITH_READ = re.compile(r"\s*WITH\b", re.IGNORECASE)
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|COPY|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def reads_only(sql: str) -> bool:
    """Whether a statement only reads (a SELECT, or a WITH that names no writing keyword)."""
    if _READ_ONLY.match(sql):
        return True
    return bool(_WITH_READ.match(sql)) and not _WRITE_WORD.search(sql)


def describe_failure(exc: BaseException, path: str = "") -> WorkspaceError:
    """A database or operating-system failure in one sentence: disk full, permission, damage, else its text."""
    text = str(exc)
    lower = text.lower()
    where = f"{path}: " if path else ""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or any(s in lower for s in _FULL_SIGNS):
        return WorkspaceError(f"{where}the disk is full; free some space and try again (nothing was written)",
                              title="Disk full")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or any(
            s in lower for s in _DENIED_SIGNS):
        return WorkspaceError(f"{where}permission denied; use a folder and file you may write to (nothing was written)",
                              title="Permission denied")
    if any(s in lower for s in _DAMAGE_SIGNS):
        return damaged(path, text.splitlines()[0] if text else "")
    first = text.splitlines()[0] if text else type(exc).__name__
    return WorkspaceError(f"{where}{first}", title="Workspace problem")


def damaged(path: str, why: str) -> WorkspaceError:
    return WorkspaceError(f"the workspace {path} is damaged ({why}); restore it from a backup. Nothing was changed.",
                          title="Workspace damaged")


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    folder = resources.files("cashbook.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = re.match(r"^(\d{4})_(.+)\.sql$", entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One workspace file. Every statement binds its values; a fresh cursor serves each call,
    so threads of the app can share one Database."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path
        self._local = threading.local()
        self.writes = 0  # statements through this connection that may have written: see ``one_between_writes``
        self._kept: dict[str, tuple[int, tuple | None]] = {}

    # -- plumbing ---------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The cursor of the current transaction, or a fresh one outside transactions."""
        current = getattr(self._local, "tx", None)
        return current if current is not None else self._con.cursor()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        if not reads_only(sql):
            self.writes += 1
        cur = self.cursor()
        try:
            return cur.execute(sql, params) if params is not None else cur.execute(sql)
        except duckdb.Error as exc:
            failure = describe_failure(exc, self.path)
            if failure.title != "Workspace problem":  # disk full, permission, damage: the sentence is the message
                raise failure from exc
            raise WorkspaceError(f"{exc}\nin: {sql.strip()[:400]}", title="Database error") from exc

    def read_input(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        """Run a statement that reads a user's file (DuckDB's CSV reader): any failure is the file's fault,
        raised as InputUnreadable with DuckDB's first line, for the import to refuse the file by name."""
        self.writes += 1
        cur = self.cursor()
        try:
            cur.execute(sql, params) if params is not None else cur.execute(sql)
        except duckdb.Error as exc:
            raise InputUnreadable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def one_between_writes(self, sql: str) -> tuple | None:
        """The row of a reading statement without parameters, asked again only once this connection has
        written since. The app's cache token is read by every cached view of a page: once a script run is enough."""
        kept = self._kept.get(sql)
        if kept is not None and kept[0] == self.writes:
            return kept[1]
        row = self.one(sql)
        self._kept[sql] = (self.writes, row)
        return row

    def forget_kept_reads(self) -> None:
        """Ask every ``one_between_writes`` statement again: another connection may have written since."""
        self._kept.clear()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def dicts(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pa.Table:
        """A query's result as Arrow (DECIMAL stays decimal), read to the end so the cursor is free again.

        Through a relation (``sql``), not an executed cursor: DuckDB then hands Arrow the rows without a copy.
        """
        if not reads_only(sql):
            self.writes += 1
        try:
            return self.cursor().sql(sql, params=params).to_arrow_table()
        except duckdb.Error as exc:
            raise WorkspaceError(f"{exc}\nin: {sql.strip()[:400]}", title="Database error") from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many rows of values (small batches; large ones go through ``registered`` Arrow)."""
        self.writes += 1
        try:
            self.cursor().executemany(sql, rows)
        except duckdb.Error as exc:
            raise WorkspaceError(f"{exc}\nin: {sql.strip()[:400]}", title="Database error") from exc

    @contextmanager
    def registered(self, name: str, table: pa.Table) -> Iterator[None]:
        """``table`` visible to SQL as ``name`` (a name from code) for the block, on this transaction's cursor."""
        cur = self.cursor()
        cur.register(name, table)
        try:
            yield
        finally:
            cur.unregister(name)

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None):
        """A pandas frame for display: DECIMAL columns stay exact as Python Decimal objects."""
        import pandas as pd  # display only; the CLI and the core never pay for loading pandas

        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: a failure inside rolls every statement back."""
        self.writes += 1  # statements run on the yielded cursor bypass ``execute``
        if getattr(self._local, "tx", None) is not None:
            yield self._local.tx  # nested: join the outer transaction
            return
        cur = self._con.cursor()
        cur.execute("BEGIN TRANSACTION")
        self._local.tx = cur
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            try:
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                raise WorkspaceError(
                    f"another change touched the same rows at the same time; nothing was written ({exc})",
                    title="Concurrent change",
                ) from exc
        finally:
            self._local.tx = None
            self.writes += 1
            cur.close()

    def close(self) -> None:
        self._con.close()

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_version") or 0)

    def migrate(self) -> list[int]:
        """Apply every migration newer than the workspace, each in its own transaction."""
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
        )
        current = self.schema_version()
        applied = []
        for version, name, sql in migration_scripts():
            if version <= current:
                continue
            with self.transaction() as cur:
                for statement in _split_sql(sql):
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_version VALUES (?, ?, current_timestamp)", [version, name])
            applied.append(version)
        return applied


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (they hold no semicolons inside literals)."""
    no_comments = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in no_comments.split(";") if s.strip()]


def open_database(path: str | Path, *, read_only: bool = False, wait: float = LOCK_WAIT_SECONDS) -> Database:
    """Open (creating if needed) and migrate a workspace file.

    Another process holding the file's write lock is waited for, up to ``wait`` seconds, so
    that two clerks' batch runs queue instead of failing.
    """
    path = str(path)
    if path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        _check_not_cut(path)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                failure = describe_failure(exc, path)
                if failure.title != "Workspace problem":
                    raise failure from exc
                raise WorkspaceError(f"cannot open workspace {path}: {exc}", title="Workspace unreadable") from exc
            if time.monotonic() >= deadline:
                raise WorkspaceError(
                    f"{path} is open for writing in another program (the Cashbook app, or another cashbook "
                    f"command); waited {wait:.0f} s. Close it, or try again when it has finished.",
                    title="Workspace busy") from exc
            time.sleep(0.1)
        except duckdb.Error as exc:
            failure = describe_failure(exc, path)
            if failure.title != "Workspace problem":
                raise failure from exc
            raise WorkspaceError(f"{path} is not a Cashbook workspace ({exc})", title="Workspace unreadable") from exc
    db = Database(con, path)
    if not read_only:
        db.migrate()
    return db


def _check_not_cut(path: str) -> None:
    """A file shorter than DuckDB's own header is damaged (a copy cut short), not a new workspace."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return  # no file yet: a new workspace
    if 0 < size < HEADER_BYTES:
        raise damaged(path, f"the file is only {size:,} bytes")

