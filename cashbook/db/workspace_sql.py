"""SQL about the workspace as a whole: its own settings, which tables it holds, what it counts and imported."""

from __future__ import annotations


def table_exists_sql() -> str:
    """Parameter: the table's name; 1 when the workspace holds it (optional tables come with later features)."""
    return "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"


def settings_sql() -> str:
    """The workspace's own settings, as (key, value) text."""
    return "SELECT key, value FROM setting"


def set_setting_sql() -> str:
    """Parameters: key, value."""
    return "INSERT OR REPLACE INTO setting VALUES (?, ?)"


def count_sql(table: str, condition: str = "true") -> str:
    """Rows of ``table`` (a name from code) meeting ``condition`` (code too)."""
    return f"SELECT count(*) FROM {table} WHERE {condition}"


def active_customers_count_sql() -> str:
    return count_sql("customer", "active")


def open_items_count_sql() -> str:
    return count_sql("open_item", "status = 'open'")


def last_imports_sql(limit: int = 10) -> str:
    return ("SELECT import_id, kind, file_name, sha256, rows, imported_at, imported_by, summary FROM import_batch "
            f"ORDER BY import_id DESC LIMIT {int(limit)}")


def import_history_sql() -> str:
    return ("SELECT import_id, kind, file_name, rows, imported_at, imported_by, format, sha256, summary "
            "FROM import_batch ORDER BY import_id DESC")


def customers_page_sql() -> str:
    """Parameters: limit, offset."""
    return "SELECT * EXCLUDE (import_id) FROM customer ORDER BY customer_no LIMIT ? OFFSET ?"


def items_page_sql() -> str:
    """Parameters: limit, offset."""
    return "SELECT * EXCLUDE (import_id, doc_no_norm) FROM open_item ORDER BY doc_no LIMIT ? OFFSET ?"
