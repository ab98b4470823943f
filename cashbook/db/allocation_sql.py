"""SQL of a clerk's actions (cashbook.allocation): lookups, the clerk's choice kept as a proposal, aliases learned."""

from __future__ import annotations

from cashbook.db.ledger_sql import open_items_now_sql


def receipt_count_sql() -> str:
    """Parameter: receipt id; 1 when the receipt exists."""
    return "SELECT count(*) FROM receipt WHERE receipt_id = ?"


def receipt_sql() -> str:
    """Parameter: receipt id."""
    return ("SELECT receipt_id, payment_ref, amount, currency, payer_customer_no, value_date "
            "FROM receipt WHERE receipt_id = ?")


def document_sql() -> str:
    """Parameter: doc_no."""
    return ("SELECT doc_no, doc_type, customer_no, currency, amount, status FROM open_item "
            "WHERE doc_no = ?")


def next_proposal_id_sql() -> str:
    return "SELECT nextval('proposal_seq')"


def insert_manual_proposal_sql() -> str:
    """Parameters: proposal id, receipt, kind, doc, customer, amount, discount, write-off, deduction, reason code,
    evidence, entry ids, when, by whom; an applied proposal of rule 'manual'."""
    return ("INSERT INTO proposal (proposal_id, run_id, receipt_id, kind, doc_no, customer_no, amount, discount, "
            "write_off, deduction, reason_code, rule, score, evidence, status, entry_ids, created_at, created_by) "
            "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'manual', 1.0, ?, 'applied', ?, ?, ?)")


def insert_decision_sql() -> str:
    """Parameters: proposal id, status, amount, entry ids, when, by whom, note."""
    return "INSERT INTO proposal_decision VALUES (nextval('proposal_decision_seq'), ?, ?, ?, ?, ?, ?, ?)"


def payer_of_receipt_sql() -> str:
    """Parameter: receipt id; its payer's name and account, and how the last run identified the payer."""
    return ("SELECT r.payer_name, r.payer_account, t.payer_method FROM receipt r "
            "LEFT JOIN (SELECT receipt_id, arg_max(payer_method, run_id) AS payer_method FROM match_trace "
            "GROUP BY receipt_id) t ON t.receipt_id = r.receipt_id WHERE r.receipt_id = ?")


def alias_customer_sql() -> str:
    """Parameter: alias key; the customer it names now (the latest)."""
    return "SELECT arg_max(customer_no, created_at) FROM payer_alias WHERE alias_key = ?"


def insert_alias_sql() -> str:
    """Parameters: alias key, customer, receipt id, by whom, when."""
    return "INSERT INTO payer_alias VALUES (?, ?, ?, ?, ?)"


def set_receipt_payer_sql() -> str:
    """Parameters: customer, receipt id; only a receipt whose payer is not known yet."""
    return "UPDATE receipt SET payer_customer_no = ? WHERE receipt_id = ? AND payer_customer_no IS NULL"


def active_customer_sql() -> str:
    """Parameter: customer number; 1 when it is an active customer of the master."""
    return "SELECT count(*) FROM customer WHERE customer_no = ? AND active"


def resolved_deductions_sql() -> str:
    """Parameter: a list of entry ids; those whose deduction was resolved, with the last action."""
    return ("SELECT entry_id, arg_max(action, event_id) FROM deduction_event "
            "WHERE list_contains(?, entry_id) GROUP BY entry_id")


def documents_open_now_sql() -> str:
    """Parameter ``$docs``: (doc_no, amount, open now) of those documents."""
    return f"SELECT doc_no, amount, open_now FROM ({open_items_now_sql('list_contains($docs, oi.doc_no)')})"


def customers_of_documents_sql() -> str:
    """Parameter: a list of doc_nos."""
    return "SELECT DISTINCT customer_no FROM open_item WHERE list_contains(?, doc_no)"
