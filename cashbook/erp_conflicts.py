"""The Exceptions list of ERP conflicts as a supervisor works it: list the documents the ERP and
Cashbook disagree on, and resolve each by reversing Cashbook's unbooked allocations or accepting the
ERP's figure, with who, when and why recorded (append-only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cashbook.access import Role, require
from cashbook.db import Database
from cashbook.db import erp_sync_sql as sql
from cashbook.erp_sync import conflicted
from cashbook.errors import AllocationError, NotFound
from cashbook.ledger import workspace_lock
from cashbook.allocation import AllocationService
from cashbook.settings import Settings, SettingsSource, UsesSettings

RESOLUTIONS = ("reverse", "accept_erp")


class ErpSyncService(UsesSettings):
    """The Exceptions list of ERP conflicts (``ws.erp_sync``): read by anyone, resolved by a supervisor."""

    def __init__(self, db: Database, user: str, settings: Settings | SettingsSource) -> None:
        self.db = db
        self.user = user
        self._use_settings(settings)

    def conflicts(self, *, open_only: bool = True, doc_no: str | None = None) -> list[dict[str, Any]]:
        """Conflicts (by default the open ones) with each document's position now."""
        where, params = ["true"], {}
        if open_only:
            where.append("r.conflict_id IS NULL")
        if doc_no is not None:
            where.append("c.doc_no = $doc")
            params["doc"] = doc_no.strip()
        return self.db.dicts(sql.conflicts_sql(" AND ".join(where)), params or None)

    def conflicts_frame(self, open_only: bool = True):
        import pandas as pd  # for display only, loaded when a page asks

        return pd.DataFrame(self.conflicts(open_only=open_only), columns=list(sql.CONFLICT_COLUMNS))

    def resolve(self, doc_no: str, action: str, *, note: str | None = None) -> dict[str, Any]:
        """Close a document's open conflict: ``reverse`` Cashbook's allocations the ERP has not booked
        (reversing ledger entries), or ``accept_erp`` (the ERP's figure stands: what Cashbook exported
        counts as booked). Refused, with nothing written, if the document would still disagree."""
        require(self.db, self.user, Role.SUPERVISOR, "resolving a conflict with the ERP")
        if action not in RESOLUTIONS:
            raise AllocationError(f"resolve a conflict by reverse or accept_erp; not {action!r}")
        self._require_supervisor(f"resolving the ERP conflict on {doc_no}")
        doc = doc_no.strip()
        with workspace_lock(self.db), self.db.transaction():
            found = conflicted(self.db, [doc])
            if doc not in found:
                raise NotFound(f"{doc} has no open conflict with the ERP")
            conflict_id = found[doc]
            now = datetime.now()
            entry_ids: list[int] = []
            if action == "reverse":
                allocation = AllocationService(self.db, self.user, self._settings_source)
                ids = [int(i) for (i,) in self.db.rows(sql.unbooked_live_entries_sql(), {"doc": doc})]
                if not ids:
                    raise AllocationError(f"Cashbook holds nothing on {doc} that the ERP has not booked; "
                                          "accept the ERP's figure instead (--accept-erp)")
                entry_ids = allocation.reverse(allocation.ledger.live_by_ids(ids),
                                               reason=f"ERP conflict #{conflict_id} on {doc} reversed by {self.user}")
            else:
                units = self.db.rows(sql.pending_units_of_document_sql(), {"doc": doc})
                rows = [[journal, doc, amount, "accepted", None, conflict_id, now, self.user]
                        for _doc, journal, amount, _seq in units]
                if rows:
                    self.db.executemany(sql.insert_booking_sql(), rows)
            self._refuse_if_still_disagree(doc, action)
            self.db.execute(sql.insert_resolution_sql(),
                            [conflict_id, action, ",".join(map(str, entry_ids)) or None, note, now, self.user])
        return self.conflicts(open_only=False, doc_no=doc)[-1]

    def _refuse_if_still_disagree(self, doc: str, action: str) -> None:
        rows = self.db.dicts(sql.disagreeing_position_sql(), {"doc": doc})
        if not rows:
            return
        p = rows[0]
        if action == "accept_erp":
            raise AllocationError(
                f"{doc} still carries {p['unexported']:,.2f} of Cashbook's cash not yet exported, more than the "
                f"{p['erp_open']:,.2f} the ERP has open; reverse the allocation (--reverse), or unapply part of it, "
                "then accept the ERP's figure", title="Conflict not resolved")
        raise AllocationError(f"after reversing Cashbook's unbooked allocations {doc} would still have "
                              f"{p['open_now']:,.2f} open against the ERP's {p['erp_open']:,.2f}; accept the ERP's "
                              "figure instead (--accept-erp)", title="Conflict not resolved")

    def _require_supervisor(self, action: str) -> None:
        """The one place where resolving a conflict will demand the supervisor role.

        Roles are being built beside this (issue 15 / engineer `team`, ``cashbook.access``); once
        they are on main this calls ``access.require(self.db, self.user, Role.SUPERVISOR, action)``.
        Until then anyone may resolve, and who did is recorded with every resolution.
        """
