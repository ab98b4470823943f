"""SQL of the postings export: ledger entries and deduction resolutions not yet sent to the ERP."""

from __future__ import annotations

POSTABLE_COLUMNS = ("entry_id", "receipt_id", "kind", "doc_no", "customer_no", "source_doc_no", "source_customer_no",
                    "amount", "discount", "write_off", "deduction", "reason_code", "reverses", "created_at",
                    "payment_ref", "value_date", "currency", "reverses_journal")


def unposted_entries_sql() -> str:
    """Every allocation entry no export carried yet, with what a journal line needs.

    ``reverses_journal`` is the journal that carried the entry this one reverses: such a reversal
    gets a reversing journal of its own; a reversal of an entry not yet exported nets out with it.
    """
    return """
        SELECT e.entry_id, e.receipt_id, e.kind, e.doc_no, coalesce(e.customer_no, d.customer_no) AS customer_no,
               e.source_doc_no, s.customer_no AS source_customer_no, e.amount, e.discount, e.write_off,
               e.deduction, e.reason_code, e.reverses, e.created_at, r.payment_ref, r.value_date,
               coalesce(r.currency, d.currency, s.currency) AS currency, nullif(op.journal_no, '') AS reverses_journal
        FROM allocation_entry e
        LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
        LEFT JOIN open_item d ON d.doc_no = e.doc_no
        LEFT JOIN open_item s ON s.doc_no = e.source_doc_no
        LEFT JOIN posted_entry op ON op.entry_id = e.reverses
        WHERE NOT EXISTS (SELECT 1 FROM posted_entry p WHERE p.entry_id = e.entry_id)
        ORDER BY e.entry_id"""


EVENT_COLUMNS = ("event_id", "entry_id", "action", "amount", "new_doc_no", "created_at", "doc_no", "customer_no",
                 "reason_code", "payment_ref", "currency")


def unposted_deduction_events_sql() -> str:
    """Deduction write-offs and re-bills no export carried yet (a reinstatement is a ledger entry)."""
    return """
        SELECT v.event_id, v.entry_id, v.action, v.amount, v.new_doc_no, v.created_at, e.doc_no,
               coalesce(e.customer_no, d.customer_no) AS customer_no, e.reason_code, r.payment_ref,
               coalesce(r.currency, d.currency) AS currency
        FROM deduction_event v
        JOIN allocation_entry e ON e.entry_id = v.entry_id
        LEFT JOIN open_item d ON d.doc_no = e.doc_no
        LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
        WHERE v.action IN ('write_off', 'rebill')
          AND NOT EXISTS (SELECT 1 FROM posted_deduction_event p WHERE p.event_id = v.event_id)
        ORDER BY v.event_id"""


LINE_COLUMNS = ("journal_no", "line_no", "payment_ref", "date", "account", "customer_no", "doc_no", "debit", "credit",
                "currency", "description", "journal_type", "export_id")


def journal_lines_sql(where: str = "true") -> str:
    """Lines of exported journals as they were written, e.g. for ``$export_id``."""
    return f"""
        SELECT l.journal_no, l.line_no, r.payment_ref, j.posting_date AS date, l.account, l.customer_no, l.doc_no,
               l.debit, l.credit, coalesce(r.currency, '') AS currency, l.description, j.journal_type, j.export_id
        FROM posting_line l JOIN posting_journal j ON j.journal_no = l.journal_no
        LEFT JOIN receipt r ON r.receipt_id = j.receipt_id
        WHERE {where}
        ORDER BY j.seq, l.line_no"""


def unbalanced_journals_sql() -> str:
    """Journals whose debits and credits differ: none, ever."""
    return """
        SELECT journal_no, sum(debit) AS debit, sum(credit) AS credit FROM posting_line
        GROUP BY journal_no HAVING sum(debit) <> sum(credit)"""


# -- recording an export: one insert per table from registered Arrow tables (names from code) ------------
def next_export_id_sql() -> str:
    return "SELECT nextval('posting_export_seq')"


def last_journal_seq_sql() -> str:
    """The number of the last journal ever exported (0 before the first)."""
    return "SELECT coalesce(max(seq), 0) FROM posting_journal"


def insert_export_sql() -> str:
    """export_id, exported_at, exported_by, file_name, journals."""
    return "INSERT INTO posting_export VALUES (?, ?, ?, ?, ?)"


def insert_journals_sql(source: str) -> str:
    """The export's journals from ``source`` (journal_no, seq, export_id, journal_type, receipt_id,
    source_doc_no, posting_date, total)."""
    return ("INSERT INTO posting_journal SELECT journal_no, seq, export_id, journal_type, receipt_id, source_doc_no, "
            f"posting_date, total FROM {source}")


def insert_lines_sql(source: str) -> str:
    """The journals' lines from ``source`` (journal_no, line_no, account, customer_no, doc_no, debit, credit, description)."""
    return ("INSERT INTO posting_line SELECT journal_no, line_no, account, customer_no, doc_no, debit, credit, "
            f"description FROM {source}")


def insert_posted_entries_sql(source: str) -> str:
    """Which entries the export carried, from ``source`` (entry_id, export_id, journal_no)."""
    return f"INSERT INTO posted_entry SELECT entry_id, export_id, journal_no FROM {source}"


def insert_posted_events_sql(source: str) -> str:
    """Which deduction resolutions the export carried, from ``source`` (event_id, export_id, journal_no)."""
    return f"INSERT INTO posted_deduction_event SELECT event_id, export_id, journal_no FROM {source}"
