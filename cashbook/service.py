"""The one public API: the CLI, the Streamlit pages and notebooks all work through a Workspace.

Each area keeps its logic in its own module and offers a small service object here
(``ws.hierarchy``, ``ws.receipts``, ``ws.matching``, ``ws.ledger``), so this facade stays short.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cashbook import access, imports
from cashbook.access import Role
from cashbook.batch_runs import announce
from cashbook.db import Database, open_database
from cashbook.db import workspace_sql as sql
from cashbook.errors import CashbookError, FileRefused, Problem
from cashbook.errors import WorkspaceError
from cashbook.batches import ImportReport
from cashbook.imports import Progress
from cashbook.model import ImportKind
from cashbook.names import shown_file_name
from cashbook.settings import Settings, checked_user, current_user, load_settings, settings_file
from cashbook.templates import MappingProfile

# Each area's service is loaded when first used: a command such as `cashbook import items` then
# starts without loading the matcher, the ledger, the parsers and what they load.
if TYPE_CHECKING:
    from cashbook.allocation import AllocationService
    from cashbook.decisions import DecisionReport
    from cashbook.erp_conflicts import ErpSyncService
    from cashbook.hierarchy import HierarchyService
    from cashbook.ledger_service import AccountService, CreditService, LedgerService, PostingService
    from cashbook.matching.service import MatchingService
    from cashbook.receipts import ReceiptService
    from cashbook.users import UserService

DEFAULT_DB = "cashbook.duckdb"
SIGN_IN_SETTINGS = frozenset({"auth_header", "session_hours", "sign_in_attempts", "lockout_minutes"})


@dataclass(frozen=True)
class ImportOutcome:
    """What importing one file did, whatever its kind: problems as data, never raised."""

    file: str
    ok: bool
    lines: tuple[str, ...]  # the report, for a person
    problems: tuple[Problem, ...] = ()


def default_db_path() -> str:
    """CASHBOOK_DB when set (it must then name a file: '' is refused), else ./cashbook.duckdb."""
    value = os.environ.get("CASHBOOK_DB")
    if value is None:
        return DEFAULT_DB
    if not value.strip():
        raise WorkspaceError("CASHBOOK_DB is set but empty; name a workspace file, or unset it to use "
                             f"./{DEFAULT_DB}", title="No workspace named")
    return value


def checked_workspace_path(path: str | Path, *, create: bool) -> str:
    """``path`` when it names a workspace, or (``create``) a new file in a folder that exists.

    Nothing is created here, and a folder is never made: a typing slip in CASHBOOK_DB or --db
    must not leave an empty workspace somewhere unexpected.
    """
    text = str(path)
    if text == ":memory:":
        return text
    if not text.strip():
        raise WorkspaceError("the workspace name is empty; name a workspace file", title="No workspace named")
    target = Path(text).expanduser()
    shown = shown_file_name(text)
    if target.is_dir():
        raise WorkspaceError(f"{shown} is a folder; name a workspace file inside it", title="No workspace named")
    if target.exists():
        return text
    if not target.parent.is_dir():
        raise WorkspaceError(f"{shown}: the folder {shown_file_name(str(target.parent))} does not exist; "
                             "create it first or name another workspace", title="No such folder")
    if not create:
        raise WorkspaceError(f"there is no workspace at {shown}; nothing was created (import a file to start one)",
                             title="No workspace")
    return text


@dataclass
class Workspace:
    """An open workspace file and the clerk working in it."""

    db: Database
    user: str

    _batch: ExitStack | None = field(default=None, repr=False, compare=False)
    _settings_read: tuple[tuple, Settings] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def open(cls, path: str | Path | None = None, *, user: str | None = None, read_only: bool = False,
             create: bool = True, batch: str | None = None) -> "Workspace":
        """Open the workspace at ``path`` (default: CASHBOOK_DB) as ``user``, who must be an active user
        once the workspace has users; ``create=False`` never makes a new one.

        ``batch`` (the command being run) announces the run beside the file for as long as the
        workspace is open, so that the open app waits for it and says whose run it is.
        """
        user = checked_user(user) if user is not None else current_user()
        path = checked_workspace_path(path if path is not None else default_db_path(), create=create and not read_only)
        stack = ExitStack()
        if batch is not None:
            stack.enter_context(announce(str(path), user, batch))
        try:
            db = open_database(path, read_only=read_only)
        except BaseException:
            stack.close()
            raise
        try:
            access.require_user(db, user)
        except BaseException:
            db.close()
            stack.close()
            raise
        return cls(db, user, stack)

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            if self._batch is not None:
                self._batch.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        return self.db.path

    # -- imports ----------------------------------------------------------------------------
    def import_file(self, source: str | Path | bytes, *, file_name: str | None = None, kind: ImportKind | str | None = None,
                    mapping: MappingProfile | str | Path | None = None,
                    progress: Progress | None = None) -> list[ImportOutcome]:
        """One file of any kind, detected from its content unless ``kind`` says: the one door the Import page uses.

        A refused file comes back as an outcome with its problems (nothing of it written); a bank
        file may hold several payment files' worth of outcomes.
        """
        data, name, _ = _source(source, file_name)
        found = ImportKind(kind or imports.detect_kind(data, name))
        if found == ImportKind.UNKNOWN:
            raise CashbookError(f"{name}: Cashbook cannot tell what kind of file this is; say which it is "
                                "(customers, items, hierarchy or payments)", title="Unknown kind of file")
        if found == ImportKind.PAYMENTS:
            return [ImportOutcome(r.file, r.ok, tuple(r.lines()), tuple(r.problems))
                    for r in self.receipts.import_files([(data, name)], progress)]
        try:
            if found == ImportKind.HIERARCHY:
                report = self.import_hierarchy(data, file_name=name, mapping=mapping)
            else:
                report = self._import_table(found.value, data, name, mapping, progress)
        except FileRefused as exc:
            return [ImportOutcome(name, False, (str(exc).splitlines()[0],), exc.problems)]
        return [ImportOutcome(name, True, tuple(report.lines()))]

    def import_customers(self, source: str | Path | bytes, *, file_name: str | None = None,
                         mapping: MappingProfile | str | Path | None = None,
                         progress: Progress | None = None) -> ImportReport:
        access.require(self.db, self.user, Role.SUPERVISOR, "importing the ERP customer master")
        return self._import_table("customers", source, file_name, mapping, progress)

    def import_items(self, source: str | Path | bytes, *, file_name: str | None = None,
                     mapping: MappingProfile | str | Path | None = None,
                     progress: Progress | None = None) -> ImportReport:
        access.require(self.db, self.user, Role.SUPERVISOR, "importing the ERP open items")
        return self._import_table("items", source, file_name, mapping, progress)

    def import_hierarchy(self, source: str | Path | bytes, *, file_name: str | None = None,
                         mapping: MappingProfile | str | Path | None = None) -> ImportReport:
        data, name, _ = _source(source, file_name)
        return self.hierarchy.import_file(data, name, profile=_profile(mapping))

    def _import_table(self, kind: str, source: str | Path | bytes, file_name: str | None,
                      mapping: MappingProfile | str | Path | None, progress: Progress | None) -> ImportReport:
        data, name, path = _source(source, file_name)
        warnings = None
        if kind == "customers":
            from cashbook.hierarchy import master_sync_warnings  # loaded when first used (see the imports above)

            warnings = master_sync_warnings
        return imports.import_table(self.db, kind, data, name, profile=_profile(mapping), user=self.user,
                                    path=path, progress=progress, window=self.settings.date_window,
                                    warnings=warnings)

    # -- areas ------------------------------------------------------------------------------
    @cached_property
    def hierarchy(self) -> HierarchyService:
        from cashbook.hierarchy import HierarchyService  # loaded when first used (see the imports above)

        return HierarchyService(self.db, self.user)

    @cached_property
    def receipts(self) -> ReceiptService:
        from cashbook.receipts import ReceiptService  # loaded when first used (see the imports above)

        return ReceiptService(self.db, self.user)

    @cached_property
    def matching(self) -> MatchingService:
        """Matching runs, explanations and candidates, with the settings of the moment each is used."""
        from cashbook.matching.service import MatchingService  # loaded when first used (see the imports above)

        return MatchingService(self.db, self.user, self._current_settings)

    @cached_property
    def allocation(self) -> AllocationService:
        """Every clerk action on receipts' cash: apply, on account, suspense, unapply, accept, reject."""
        from cashbook.allocation import AllocationService  # loaded when first used (see the imports above)

        return AllocationService(self.db, self.user, self._current_settings)

    @cached_property
    def credits(self) -> CreditService:
        """Credit memos and deductions."""
        from cashbook.ledger_service import CreditService  # loaded when first used (see the imports above)

        return CreditService(self.db, self.user, self._current_settings)

    @cached_property
    def accounts(self) -> AccountService:
        """Customers' accounts, holds, statements, and customers missing from the master."""
        from cashbook.ledger_service import AccountService  # loaded when first used (see the imports above)

        return AccountService(self.db, self.user, self._current_settings)

    @cached_property
    def postings(self) -> PostingService:
        """Journals for the ERP."""
        from cashbook.ledger_service import PostingService  # loaded when first used (see the imports above)

        return PostingService(self.db, self.user, self._current_settings)

    @cached_property
    def ledger(self) -> LedgerService:
        """The ledger's integrity (``verify``)."""
        from cashbook.ledger_service import LedgerService  # loaded when first used (see the imports above)

        return LedgerService(self.db, self.user)

    @cached_property
    def erp_sync(self) -> ErpSyncService:
        from cashbook.erp_conflicts import ErpSyncService  # loaded when first used (see the imports above)

        return ErpSyncService(self.db, self.user, self._current_settings)

    @cached_property
    def users(self) -> "UserService":
        from cashbook.users import UserService  # argon2 loads only for user work

        return UserService(self.db, self.user, self._current_settings)

    @property
    def role(self) -> Role | None:
        """The user's role; None in a workspace without users (one person, nothing refused)."""
        return access.role_of(self.db, self.user) if access.has_users(self.db) else None

    def may(self, role: Role) -> bool:
        """Whether the user may do what needs ``role`` (the app hides what is not allowed)."""
        return access.allows(self.db, self.user, role)

    @property
    def settings(self) -> Settings:
        """The settings file's values with the workspace's own overrides, read at every use: a clerk, or
        another program, may change them while this workspace is open. The areas read them here too.

        Cheap: one small query and a look at the file's time; the file is parsed again only after a change.
        """
        overrides = tuple(sorted(self.db.rows(sql.settings_sql())))
        path = settings_file(self.path)
        try:
            stamp = path.stat().st_mtime_ns if path is not None else None
        except OSError:
            stamp = None  # load_settings says what is wrong with the file
        key = (overrides, str(path), stamp)
        read = self._settings_read
        if read is not None and read[0] == key:
            return read[1]
        settings = load_settings(self.path, dict(overrides))
        self._settings_read = (key, settings)
        return settings

    def _current_settings(self) -> Settings:
        return self.settings

    def set_setting(self, key: str, value: str) -> Settings:
        """Keep a setting in the workspace; refused when the key or value is not valid.

        Settings need a supervisor; those that decide who gets in need an admin.
        """
        if key in SIGN_IN_SETTINGS:
            access.require(self.db, self.user, Role.ADMIN, f"changing the sign-in setting {key}")
        else:
            access.require(self.db, self.user, Role.SUPERVISOR, "changing settings")
        overrides = dict(self.db.rows(sql.settings_sql()))
        overrides[key] = value
        checked = load_settings(self.path, overrides)
        self.db.execute(sql.set_setting_sql(), [key, value])
        return checked

    # -- deciding in Excel ------------------------------------------------------------------
    def suggestions_xlsx(self) -> bytes:
        """Every suggestion waiting, as a workbook with a Decision column (cashbook.decisions)."""
        from cashbook.decisions import suggestions_xlsx  # loaded when first used (see the imports above)

        return suggestions_xlsx(self.db)

    def decide_in_excel(self, data: bytes, file_name: str) -> DecisionReport:
        """Apply the decisions of a suggestions workbook as this workspace's user; a DecisionReport.

        A file with any unreadable row is refused whole (FileRefused); decisions the ledger refuses
        are reported with why, and the rest are applied together.
        """
        from cashbook.decisions import apply_decisions, read_decisions  # loaded when first used (see the imports above)

        decisions, undecided = read_decisions(self.db, data, file_name)
        return apply_decisions(self.db, self.allocation, decisions, file_name, undecided)

    # -- reading ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counts of what the workspace holds and the last imports, for `cashbook status`."""
        db = self.db
        counts = {
            "customers": db.scalar(sql.active_customers_count_sql()),
            "open_items": db.scalar(sql.open_items_count_sql()),
            "group_members": _count_if_table(db, "group_member", "valid_to IS NULL"),
            "groups": _count_if_table(db, "customer_group", "valid_to IS NULL"),
            "payments": _count_if_table(db, "receipt", "true"),
        }
        last = db.dicts(sql.last_imports_sql(10))
        for row in last:
            row["imported_at"] = row["imported_at"].isoformat(sep=" ")
        return {**{k: int(v or 0) for k, v in counts.items()}, "workspace": self.path,
                "schema_version": db.schema_version(), "last_imports": last}

    def import_history(self):
        return self.db.frame(sql.import_history_sql())

    def customers_frame(self, limit: int = 1000, offset: int = 0):
        return self.db.frame(sql.customers_page_sql(), [limit, offset])

    def items_frame(self, limit: int = 1000, offset: int = 0):
        return self.db.frame(sql.items_page_sql(), [limit, offset])


def _count_if_table(db: Database, table: str, condition: str) -> int:
    exists = db.scalar(sql.table_exists_sql(), [table])
    return int(db.scalar(sql.count_sql(table, condition)) or 0) if exists else 0


def _profile(mapping: MappingProfile | str | Path | None) -> MappingProfile | None:
    if mapping is None or isinstance(mapping, MappingProfile):
        return mapping
    return MappingProfile.load(mapping)


def _source(source: str | Path | bytes, file_name: str | None) -> tuple[bytes, str, Path | None]:
    if isinstance(source, bytes):
        return source, file_name or "upload", None
    path = Path(source)
    return imports.read_file(path), file_name or path.name, path
