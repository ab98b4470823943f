"""Database.one_between_writes: the app's cache token is read once per script run, and again as soon as the
run itself has written, whichever way the write went through the connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from cashbook.db import open_database
from cashbook.db.connection import reads_only

COUNT = "SELECT count(*), coalesce(max(n), 0) FROM t"


@pytest.fixture
def db(tmp_path: Path):
    opened = open_database(tmp_path / "w.duckdb")
    opened.execute("CREATE TABLE t (n INTEGER)")
    yield opened
    opened.close()


def test_a_read_is_kept_until_the_connection_writes(db) -> None:
    assert db.one_between_writes(COUNT) == (0, 0)
    db.rows("SELECT * FROM t")  # reads leave the kept row alone
    db.frame("WITH x AS (SELECT n FROM t) SELECT * FROM x")
    assert db.one_between_writes(COUNT) == (0, 0)
    db.execute("INSERT INTO t VALUES (1)")
    assert db.one_between_writes(COUNT) == (1, 1)


@pytest.mark.parametrize("write", [
    lambda db: db.executemany("INSERT INTO t VALUES (?)", [[5], [6]]),
    "transaction",
    lambda db: db.execute("WITH x AS (SELECT 8 AS n) INSERT INTO t SELECT n FROM x"),
    lambda db: db.execute("  update t SET n = 100"),
])
def test_every_way_of_writing_asks_again(db, write) -> None:
    db.execute("INSERT INTO t VALUES (1)")
    before = db.one_between_writes(COUNT)
    writes = db.writes
    if write == "transaction":  # statements on the transaction's own cursor bypass Database.execute
        with db.transaction() as cur:
            cur.execute("INSERT INTO t VALUES (7)")
    else:
        write(db)
    assert db.writes > writes
    assert db.one_between_writes(COUNT) != before
    assert db.one_between_writes(COUNT) == db.one(COUNT)


@pytest.mark.parametrize("sql, reads", [
    ("SELECT 1", True), ("  select * from t", True), ("WITH a AS (SELECT 1) SELECT * FROM a", True),
    ("FROM t", True), ("INSERT INTO t VALUES (1)", False), ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", False),
    ("CREATE TEMP TABLE x AS SELECT 1", False), ("DELETE FROM t", False), ("BEGIN TRANSACTION", False),
])
def test_which_statements_count_as_reads(sql: str, reads: bool) -> None:
    assert reads_only(sql) is reads
