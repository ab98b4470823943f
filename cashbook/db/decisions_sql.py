"""SQL for the suggestions queue a clerk downloads to decide in Excel: every proposal still waiting, with its receipt."""

from __future__ import annotations

from cashbook.db.matching_sql import proposal_now_sql

SUGGESTIONS_ORDER = "receipt_id, proposal_id"
SUGGESTION_COLUMNS = ("proposal_id", "receipt_id", "payment_ref", "value_date", "payer_name", "receipt_amount",
                      "currency", "kind", "doc_no", "customer_no", "amount", "discount", "write_off", "deduction",
                      "reason_code", "rule", "score", "evidence")


def suggestions_sql() -> str:
    """Proposals waiting for a clerk (status now 'suggested'), each beside the receipt it would allocate."""
    return f"""
        SELECT p.proposal_id, p.receipt_id, r.payment_ref, r.value_date, r.payer_name, r.amount AS receipt_amount,
               r.currency, p.kind, p.doc_no, p.customer_no, p.amount, p.discount, p.write_off, p.deduction,
               p.reason_code, p.rule, p.score, p.evidence
        FROM ({proposal_now_sql()}) p JOIN receipt r ON r.receipt_id = p.receipt_id
        WHERE p.status_now = 'suggested'"""


def suggestion_rows_sql() -> str:
    """Every suggestion waiting, in the workbook's order."""
    return f"SELECT * FROM ({suggestions_sql()}) q ORDER BY {SUGGESTIONS_ORDER}"


def proposal_keys_sql() -> str:
    return "SELECT proposal_id, receipt_id, doc_no FROM proposal"


def known_documents_sql() -> str:
    """Parameter ``$docs`` (upper-cased doc_nos): those the workspace holds, upper-cased."""
    return "SELECT upper(doc_no) FROM open_item WHERE list_contains($docs, upper(doc_no))"
