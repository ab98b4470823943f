"""SQL of the ERP sync: what an items import shows booked, and the documents the ERP and Cashbook disagree on.

Reads the temp tables an items import builds (``typed``: the file, ``diff``: what changed) and
the ledger's derived positions (cashbook.db.ledger_sql).
"""

from __future__ import annotations

from cashbook.db.ledger_sql import (POSITION_COLUMNS, document_positions_sql, in_conflict_sql, live_entries_sql,
                                    open_conflicts_sql, pending_units_sql, unreflected_entries_sql)

MOVED = "SELECT key FROM diff WHERE change IN ('changed', 'vanished', 'returned')"


def import_pending_units_sql() -> str:
    """Exported journals not yet seen booked on the documents this import changes or drops."""
    return pending_units_sql(MOVED)


def import_open_moves_sql() -> str:
    """Per document of $docs: the ERP's open amount before this import and after it (0 when dropped)."""
    return """
        SELECT d.key, CASE WHEN i.status = 'open' THEN i.open_amount ELSE 0 END AS erp_before,
               CASE WHEN d.change = 'vanished' THEN 0 ELSE t.open_amount END AS erp_after
        FROM diff d JOIN open_item i ON i.doc_no = d.key LEFT JOIN typed t ON t.doc_no = d.key
        WHERE d.change IN ('changed', 'vanished', 'returned') AND list_contains($docs, d.key)"""


def insert_booking_sql() -> str:
    return "INSERT INTO erp_booking VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def ledger_documents_sql() -> str:
    """Every document the ledger moves: the only ones that can be over-applied."""
    return """
        SELECT doc_no FROM allocation_entry WHERE doc_no IS NOT NULL
        UNION SELECT source_doc_no FROM allocation_entry WHERE source_doc_no IS NOT NULL"""


def new_conflicts_sql() -> str:
    """Positions in conflict that no open conflict lists yet."""
    columns = ", ".join(f"p.{c}" for c in POSITION_COLUMNS)
    return f"""
        SELECT {columns} FROM ({document_positions_sql(f'oi.doc_no IN ({ledger_documents_sql()})')}) p
        WHERE {in_conflict_sql('p')}
          AND p.doc_no NOT IN (SELECT doc_no FROM ({open_conflicts_sql()}))
        ORDER BY p.doc_no"""


def insert_conflict_sql() -> str:
    return "INSERT INTO erp_conflict VALUES (nextval('erp_conflict_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING conflict_id"


CONFLICT_COLUMNS = ("conflict_id", "doc_no", "customer_no", "currency", "amount", "import_id", "detected_at",
                    "detected_by", "reason", "erp_status", "erp_open", "unexported", "pending", "open_now",
                    "resolved_action", "resolved_at", "resolved_by", "note")


def conflicts_sql(where: str = "true") -> str:
    """Conflicts with the document's position now and, once resolved, how, by whom and when."""
    return f"""
        SELECT c.conflict_id, c.doc_no, oi.customer_no, oi.currency, oi.amount, c.import_id, c.detected_at,
               c.detected_by, c.reason, p.status AS erp_status, p.erp_open, p.unexported, p.pending, p.open_now,
               r.action AS resolved_action, r.resolved_at, r.resolved_by, r.note
        FROM erp_conflict c
        JOIN open_item oi ON oi.doc_no = c.doc_no
        JOIN ({document_positions_sql('oi.doc_no IN (SELECT doc_no FROM erp_conflict)')}) p ON p.doc_no = c.doc_no
        LEFT JOIN erp_conflict_resolution r ON r.conflict_id = c.conflict_id
        WHERE {where}
        ORDER BY c.conflict_id"""


def conflicted_documents_sql() -> str:
    """Of $docs, those with an open conflict, and the conflict's id."""
    return f"SELECT doc_no, conflict_id FROM ({open_conflicts_sql()}) WHERE list_contains($docs, doc_no)"


def unbooked_live_entries_sql() -> str:
    """Live ledger entries that move $doc and that the ERP has not booked (not exported, or not seen booked)."""
    return f"""
        SELECT DISTINCT u.entry_id FROM ({unreflected_entries_sql('SELECT $doc')}) u
        WHERE u.entry_id IN (SELECT entry_id FROM ({live_entries_sql()}))
        ORDER BY u.entry_id"""


def insert_resolution_sql() -> str:
    return "INSERT INTO erp_conflict_resolution VALUES (?, ?, ?, ?, ?, ?)"


def pending_units_of_document_sql() -> str:
    """Parameter ``$doc``: the exported units of one document the ERP has not booked yet."""
    return pending_units_sql("SELECT $doc")


def disagreeing_position_sql() -> str:
    """Parameter ``$doc``: the document's position when the ERP and Cashbook still disagree on it (else no row)."""
    return f"SELECT * FROM ({document_positions_sql('oi.doc_no = $doc')}) p WHERE {in_conflict_sql('p')}"
