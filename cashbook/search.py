"""Finding receipts by whatever a clerk has in hand: one search text, read as every kind of term it could be.

"INV500558" is a document (paid, named or proposed), "11,294.79" an amount, "100-200" a range of
amounts, "#94" a receipt id, and any text a payer, payment reference or words of the bank text.
The CLI's `cashbook find` and the app's Search box both call ``search_terms`` and ``search_sql``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from cashbook.errors import SearchRefused
from cashbook.normalize import normalize_ref
from cashbook.money import MoneyFormatError, parse_money

_RANGE = re.compile(r"^\s*(\S+?)\s*(?:\.\.|-|–| to )\s*(\S+)\s*$", re.I)


@dataclass(frozen=True)
class SearchTerms:
    """What one search text can mean; every term that applies is searched at once."""

    text: str
    doc_norm: str  # the document number's comparable form ('' when the text holds no digits or letters)
    receipt_id: int | None
    low: Decimal | None  # an amount (low == high) or a range of amounts
    high: Decimal | None


def _amount(text: str) -> Decimal | None:
    try:
        return parse_money(text)
    except MoneyFormatError:
        return None


def search_terms(text: str) -> SearchTerms:
    """Read a search text; an amount range is 'LOW-HIGH', 'LOW..HIGH' or 'LOW to HIGH'."""
    text = (text or "").strip()
    if not text:
        raise SearchRefused("type a payer, a payment reference, an amount (or 100-200), "
                            "a document number or words of the bank text")
    low = high = _amount(text)
    match = _RANGE.match(text)
    if low is None and match:
        first, second = _amount(match.group(1)), _amount(match.group(2))
        if first is not None and second is not None:
            low, high = min(first, second), max(first, second)
    digits = text.lstrip("#")
    receipt_id = int(digits) if digits.isdigit() and len(digits) < 12 else None
    return SearchTerms(text, normalize_ref(text), receipt_id, low, high)
