"""The workspace database: connection, migrations and every SQL statement Cashbook runs."""

from cashbook.db.connection import Database, open_database

__all__ = ["Database", "open_database"]
