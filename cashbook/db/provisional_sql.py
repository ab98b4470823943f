"""SQL of missing and provisional customers: who the master lacks, and the customers made for them."""

from __future__ import annotations

KNOWN_CUSTOMERS = "SELECT customer_no FROM customer WHERE active"


def customer_exists_sql() -> str:
    """Parameter: the customer number; counts active and vanished rows alike."""
    return "SELECT count(*) FROM customer WHERE customer_no = ?"


def missing_payers_sql() -> str:
    """The matching engine's payers whose proposed customer the master lacks."""
    return (f"SELECT payer_key, proposed_customer_no, payer_name, payer_account, first_receipt_id "
            f"FROM missing_customer WHERE proposed_customer_no NOT IN ({KNOWN_CUSTOMERS}) ORDER BY payer_key")


def missing_receipt_payers_sql() -> str:
    """Payer numbers named on receipts that the master lacks, with how many receipts name each."""
    return (f"SELECT payer_customer_no, any_value(payer_name), any_value(payer_account), any_value(currency), count(*) "
            f"FROM receipt WHERE payer_customer_no IS NOT NULL AND payer_customer_no NOT IN ({KNOWN_CUSTOMERS}) "
            "GROUP BY payer_customer_no ORDER BY payer_customer_no")


def unknown_suspense_payers_sql() -> str:
    """Receipts with cash in suspense from a named payer whose account no customer holds."""
    return ("SELECT r.receipt_id, r.payment_ref, r.payer_name, r.payer_account, r.currency FROM receipt r "
            "WHERE r.payer_customer_no IS NULL AND coalesce(r.payer_name, r.payer_account) IS NOT NULL "
            "AND (SELECT coalesce(sum(amount), 0) FROM allocation_entry e "
            "     WHERE e.receipt_id = r.receipt_id AND e.kind = 'unidentified') > 0 "
            "AND NOT EXISTS (SELECT 1 FROM customer_bank_account b "
            "                WHERE b.account_norm = regexp_replace(upper(coalesce(r.payer_account, '')), '[^A-Z0-9]', '', 'g')) "
            "ORDER BY r.receipt_id")


def missing_document_customers_sql() -> str:
    """Customers named by open items that the master no longer lists, with how many items name each."""
    return (f"SELECT customer_no, count(*) FROM open_item WHERE status = 'open' AND customer_no NOT IN ({KNOWN_CUSTOMERS}) "
            "GROUP BY customer_no ORDER BY customer_no")


def made_for_sql() -> str:
    """Parameter: the origin key; how many provisional customers were made for it."""
    return "SELECT count(*) FROM provisional_customer WHERE origin_key = ?"


def provisional_count_sql() -> str:
    return "SELECT count(*) FROM provisional_customer"


def customer_state_sql() -> str:
    """Parameter: the customer number; (active, provisional)."""
    return "SELECT active, provisional FROM customer WHERE customer_no = ?"


def reactivate_customer_sql() -> str:
    """Parameters: now, customer number; a vanished customer brought back provisionally."""
    return "UPDATE customer SET active = true, provisional = true, updated_at = ? WHERE customer_no = ?"


def insert_customer_sql() -> str:
    """Parameters: number, name, currency, bank accounts, now."""
    return ("INSERT INTO customer (customer_no, name, currency, bank_accounts, active, provisional, updated_at) "
            "VALUES (?, ?, ?, ?, true, true, ?)")


def insert_bank_account_sql() -> str:
    return "INSERT INTO customer_bank_account VALUES (?, ?)"


def insert_provisional_sql() -> str:
    """Parameters: number, origin, origin key, now, user."""
    return "INSERT INTO provisional_customer VALUES (?, ?, ?, ?, ?, NULL)"


def provisional_rows_sql(pending_only: bool) -> str:
    """Provisional customers in the customer template's columns, with where and when they were made."""
    where = "c.provisional" if pending_only else "true"
    return ("SELECT c.customer_no, c.name, c.parent_no, c.currency, c.credit_limit, c.on_hold, c.customer_type, "
            "replace(c.bank_accounts, ';', '; '), c.email, c.city, p.origin, p.origin_key, p.created_at, p.created_by "
            f"FROM provisional_customer p JOIN customer c ON c.customer_no = p.customer_no WHERE {where} "
            "ORDER BY c.customer_no")


def mark_exported_sql() -> str:
    """Parameters: now, the list of customer numbers exported."""
    return "UPDATE provisional_customer SET exported_at = ? WHERE list_contains(?, customer_no)"
