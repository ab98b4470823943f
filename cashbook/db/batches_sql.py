"""SQL of the import batches: one row per imported file, with who, when, its digest and what it changed."""

from __future__ import annotations

BATCH_COLUMNS = ("import_id", "kind", "file_name", "rows", "imported_at", "imported_by", "format", "sha256", "summary")


def next_import_id_sql() -> str:
    return "SELECT nextval('import_seq')"


def insert_batch_sql() -> str:
    return "INSERT INTO import_batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


def set_summary_sql() -> str:
    return "UPDATE import_batch SET summary = ? WHERE import_id = ?"


def previous_batch_sql(*, first: bool = False) -> str:
    """(file_name, imported_at) of the last (or first) batch of a kind (``?``) with a digest (``?``)."""
    return ("SELECT file_name, imported_at FROM import_batch WHERE kind = ? AND sha256 = ? "
            f"ORDER BY import_id {'ASC' if first else 'DESC'} LIMIT 1")


def history_sql(limit: int | None = None) -> str:
    """Every batch, newest first (at most ``limit``)."""
    return (f"SELECT {', '.join(BATCH_COLUMNS)} FROM import_batch ORDER BY import_id DESC"
            + (f" LIMIT {int(limit)}" if limit is not None else ""))


def next_import_ids_sql() -> str:
    """$n fresh import ids, in order (one command's files recorded together)."""
    return "SELECT nextval('import_seq') FROM range($n) ORDER BY range"


def insert_batches_sql() -> str:
    """The rows of the registered table ``new_batch`` (BATCH_COLUMNS) into import_batch."""
    return f"INSERT INTO import_batch ({', '.join(BATCH_COLUMNS)}) SELECT {', '.join(BATCH_COLUMNS)} FROM new_batch"


def previous_batches_sql() -> str:
    """(sha256, file_name, imported_at) of the first batch of a kind ($kind) for each digest of $shas imported before."""
    return """SELECT sha256, arg_min(file_name, import_id), arg_min(imported_at, import_id) FROM import_batch
              WHERE kind = $kind AND list_contains($shas, sha256) GROUP BY sha256"""
