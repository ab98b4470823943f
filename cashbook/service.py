"""The one public API: the CLI, the Streamlit pages and notebooks all work through a Workspace.

Each area keeps its logic in its own module and offers a small service object here
(``ws.hierarchy``, ``ws.receipts``, ``ws.matching``, ``ws.ledger``), so this facade stays short.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cashbook import imports
from cashbook.allocation import AllocationService
from cashbook.db import Database, open_database
from cashbook.decisions import DecisionReport, apply_decisions, read_decisions, suggestions_xlsx
from cashbook.hierarchy import HierarchyService, master_sync_warnings
from cashbook.imports import ImportReport, Progress, current_user
from cashbook.ledger_service import LedgerService
from cashbook.matching.service import MatchingService
from cashbook.receipts import ReceiptService
from cashbook.settings import Settings, load_settings
from cashbook.templates import MappingProfile

DEFAULT_DB = "cashbook.duckdb"


def default_db_path() -> str:
    return os.environ.get("CASHBOOK_DB") or DEFAULT_DB


@dataclass
class Workspace:
    """An open workspace file and the clerk working in it."""

    db: Database
    user: str

    @classmethod
    def open(cls, path: str | Path | None = None, *, user: str | None = None, read_only: bool = False) -> "Workspace":
        return cls(open_database(path or default_db_path(), read_only=read_only), user or current_user())

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        return self.db.path

    # -- ERP imports ------------------------------------------------------------------------
    def import_customers(self, source: str | Path | bytes, *, file_name: str | None = None,
                         mapping: MappingProfile | str | Path | None = None,
                         progress: Progress | None = None) -> ImportReport:
        return self._import_table("customers", source, file_name, mapping, progress)

    def import_items(self, source: str | Path | bytes, *, file_name: str | None = None,
                     mapping: MappingProfile | str | Path | None = None,
                     progress: Progress | None = None) -> ImportReport:
        return self._import_table("items", source, file_name, mapping, progress)

    def import_hierarchy(self, source: str | Path | bytes, *, file_name: str | None = None,
                         mapping: MappingProfile | str | Path | None = None) -> ImportReport:
        data, name, _ = _source(source, file_name)
        return self.hierarchy.import_file(data, name, profile=_profile(mapping))

    def _import_table(self, kind: str, source: str | Path | bytes, file_name: str | None,
                      mapping: MappingProfile | str | Path | None, progress: Progress | None) -> ImportReport:
        data, name, path = _source(source, file_name)
        return imports.import_table(self.db, kind, data, name, profile=_profile(mapping), user=self.user,
                                    path=path, progress=progress,
                                    warnings=master_sync_warnings if kind == "customers" else None)

    # -- areas ------------------------------------------------------------------------------
    @cached_property
    def hierarchy(self) -> HierarchyService:
        return HierarchyService(self.db, self.user)

    @cached_property
    def receipts(self) -> ReceiptService:
        return ReceiptService(self.db, self.user)

    @cached_property
    def matching(self) -> MatchingService:
        return MatchingService(self.db, self.user, self.settings)

    @cached_property
    def allocation(self) -> AllocationService:
        """Every clerk action on receipts' cash: apply, on account, suspense, unapply, accept, reject."""
        return AllocationService(self.db, self.user, self.settings)

    @cached_property
    def ledger(self) -> LedgerService:
        return LedgerService(self.db, self.user, self.settings)

    @property
    def settings(self) -> Settings:
        """The settings file's values with the workspace's own overrides (read fresh: clerks change them)."""
        overrides = dict(self.db.rows("SELECT key, value FROM setting"))
        return load_settings(self.path, overrides)

    def set_setting(self, key: str, value: str) -> Settings:
        """Keep a setting in the workspace; refused when the key or value is not valid."""
        overrides = dict(self.db.rows("SELECT key, value FROM setting"))
        overrides[key] = value
        checked = load_settings(self.path, overrides)
        self.db.execute("INSERT OR REPLACE INTO setting VALUES (?, ?)", [key, value])
        return checked

    # -- deciding in Excel ------------------------------------------------------------------
    def suggestions_xlsx(self) -> bytes:
        """Every suggestion waiting, as a workbook with a Decision column (cashbook.decisions)."""
        return suggestions_xlsx(self.db)

    def decide_in_excel(self, data: bytes, file_name: str) -> DecisionReport:
        """Apply the decisions of a suggestions workbook as this workspace's user; a DecisionReport.

        A file with any unreadable row is refused whole (FileRefused); decisions the ledger refuses
        are reported with why, and the rest are applied together.
        """
        decisions, undecided = read_decisions(self.db, data, file_name)
        return apply_decisions(self.db, self.allocation, decisions, file_name, undecided)

    # -- reading ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counts of what the workspace holds and the last imports, for `cashbook status`."""
        db = self.db
        counts = {
            "customers": db.scalar("SELECT count(*) FROM customer WHERE active"),
            "open_items": db.scalar("SELECT count(*) FROM open_item WHERE status = 'open'"),
            "group_members": _count_if_table(db, "group_member", "valid_to IS NULL"),
            "groups": _count_if_table(db, "customer_group", "valid_to IS NULL"),
            "payments": _count_if_table(db, "receipt", "true"),
        }
        last = db.dicts(
            "SELECT import_id, kind, file_name, sha256, rows, imported_at, imported_by, summary FROM import_batch "
            "ORDER BY import_id DESC LIMIT 10")
        for row in last:
            row["imported_at"] = row["imported_at"].isoformat(sep=" ")
        return {**{k: int(v or 0) for k, v in counts.items()}, "workspace": self.path,
                "schema_version": db.schema_version(), "last_imports": last}

    def import_history(self):
        return self.db.frame("SELECT import_id, kind, file_name, rows, imported_at, imported_by, format, sha256, summary "
                             "FROM import_batch ORDER BY import_id DESC")

    def customers_frame(self, limit: int = 1000, offset: int = 0):
        return self.db.frame("SELECT * EXCLUDE (import_id) FROM customer ORDER BY customer_no LIMIT ? OFFSET ?",
                             [limit, offset])

    def items_frame(self, limit: int = 1000, offset: int = 0):
        return self.db.frame("SELECT * EXCLUDE (import_id, doc_no_norm) FROM open_item ORDER BY doc_no LIMIT ? OFFSET ?",
                             [limit, offset])


def _count_if_table(db: Database, table: str, condition: str) -> int:
    exists = db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table])
    return int(db.scalar(f"SELECT count(*) FROM {table} WHERE {condition}") or 0) if exists else 0


def _profile(mapping: MappingProfile | str | Path | None) -> MappingProfile | None:
    if mapping is None or isinstance(mapping, MappingProfile):
        return mapping
    return MappingProfile.load(mapping)


def _source(source: str | Path | bytes, file_name: str | None) -> tuple[bytes, str, Path | None]:
    if isinstance(source, bytes):
        return source, file_name or "upload", None
    path = Path(source)
    return imports.read_file(path), file_name or path.name, path
