"""The vocabulary every layer shares: statuses and kinds as enums, so a misspelt one fails at once.

They are ``StrEnum``s: each member equals the text stored in DuckDB (``EntryKind.ON_ACCOUNT ==
"on_account"``), so rows read back compare with members and members bind as query parameters
without conversion. SQL builders in ``cashbook.db`` spell the same values inside their statements.
"""

from __future__ import annotations

from enum import StrEnum


class EntryKind(StrEnum):
    """What a ledger entry does with cash or credit."""

    DOCUMENT = "document"          # cash settles an open document
    ON_ACCOUNT = "on_account"      # cash held for a customer, not yet on a document
    UNIDENTIFIED = "unidentified"  # cash in suspense: the payer is not known
    CREDIT = "credit"              # a credit memo settles a document
    REFUND = "refund"              # a credit memo paid out


CASH_KINDS = (EntryKind.DOCUMENT, EntryKind.ON_ACCOUNT, EntryKind.UNIDENTIFIED)
"""Kinds that spend a receipt's cash (credits and refunds spend a credit memo)."""


class ReceiptStatus(StrEnum):
    """A receipt's status, derived from the ledger and its open proposals (``matching_sql.receipt_status_sql``)."""

    UNMATCHED = "unmatched"
    SUGGESTED = "suggested"
    PARTIAL = "partial"
    APPLIED = "applied"
    ON_ACCOUNT = "on_account"
    UNIDENTIFIED = "unidentified"


class ProposalStatus(StrEnum):
    """Where a matching proposal stands: its latest decision, else the status it was proposed with."""

    SUGGESTED = "suggested"
    APPLIED = "applied"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class DecisionStatus(StrEnum):
    """What the matching rules decided for one receipt in a run."""

    APPLIED = "applied"
    ON_ACCOUNT = "on_account"
    UNIDENTIFIED = "unidentified"
    SUGGESTED = "suggested"


class CreditStatus(StrEnum):
    """A credit memo's status, derived in SQL (``cashbook.db.credits_sql``)."""

    OPEN = "open"
    PARTLY_APPLIED = "partly applied"
    APPLIED = "applied"
    REFUNDED = "refunded"


class DeductionAction(StrEnum):
    """How a clerk closes an open deduction."""

    WRITE_OFF = "write_off"
    REBILL = "rebill"
    REINSTATED = "reinstated"


class ImportKind(StrEnum):
    """What a file is imported as."""

    CUSTOMERS = "customers"
    ITEMS = "items"
    HIERARCHY = "hierarchy"
    PAYMENTS = "payments"
    UNKNOWN = "unknown"
