"""What a matching decision must satisfy before the ledger sees it, and what happens to one that does not.

The bulk writer refuses a whole run when one entry breaks a ledger rule; one bad decision must
not cost the other 99,999 receipts their run. So every certain decision is checked here, in
cents, against the same rules the ledger enforces (``ledger._check_shape`` and the over-
application checks), and a decision that breaks one becomes a review for a clerk with the
reason, while the rest of the run is written. Pure functions: no I/O, inputs never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from cashbook.model import DecisionStatus, EntryKind
from cashbook.matching.rules import SCORES, SUGGESTION_FACTOR, Decision, Doc, Draft, doc_label, money_text


def decision_problems(decision: Decision, amount: int, docs: Mapping[str, Doc], open_now: Mapping[str, int]) -> list[str]:
    """Why the ledger would refuse this certain decision of a receipt of ``amount`` cents (empty: it would not).

    ``open_now`` holds what earlier decisions of the run left open (else a document's open_start)."""
    if not decision.certain:
        return []
    problems: list[str] = []
    settles: dict[str, int] = {}
    for d in decision.drafts:
        if d.kind == EntryKind.DOCUMENT:
            if not d.doc_no or d.doc_no not in docs:
                problems.append(f"document {d.doc_no or '(none)'} is not an open item of this workspace")
                continue
            settles[d.doc_no] = settles.get(d.doc_no, 0) + d.settles
        elif d.kind in (EntryKind.ON_ACCOUNT, EntryKind.UNIDENTIFIED):
            if d.amount <= 0:
                what = "on account" if d.kind == EntryKind.ON_ACCOUNT else "in suspense"
                problems.append(f"{money_text(d.amount)} {what} is not a positive amount")
            if d.kind == EntryKind.ON_ACCOUNT and not d.customer_no:
                problems.append("cash on account has no customer to hold it")
        else:
            problems.append(f"a match run does not make {d.kind} entries")
    for doc_no, settled in settles.items():
        available = open_now.get(doc_no, docs[doc_no].open_start)
        if settled == 0:
            continue
        if available >= 0 and not 0 <= settled <= available:
            problems.append(f"{doc_no} has {money_text(available)} open; {money_text(settled)} would over-apply it")
        elif available < 0 and not available <= settled <= 0:
            problems.append(f"credit {doc_no} has {money_text(-available)} left; {money_text(-settled)} is more than that")
    placed = sum(d.amount for d in decision.drafts)
    if placed != amount:
        problems.append(f"the decision places {money_text(placed)} of a receipt of {money_text(amount)}")
    return problems


def to_review(decision: Decision, amount: int, reasons: list[str]) -> Decision:
    """The decision as suggestions for a clerk, with the reason it could not be applied.

    Drafts the ledger could never take (a negative amount on account) are left out; when nothing
    is left to suggest, the whole receipt is suggested on account to the payer (or to suspense)."""
    why = "sent to review: " + "; ".join(reasons)
    drafts = []
    for d in decision.drafts:
        if d.kind in (EntryKind.ON_ACCOUNT, EntryKind.UNIDENTIFIED) and d.amount <= 0:
            continue
        drafts.append(Draft(d.kind, d.amount, doc_no=d.doc_no, customer_no=d.customer_no, discount=d.discount,
                            write_off=d.write_off, deduction=d.deduction, reason_code=d.reason_code, rule=d.rule,
                            score=round(d.score * SUGGESTION_FACTOR, 3), evidence={**d.evidence, "review": why}))
    if not drafts:
        payer = decision.payer
        kind = EntryKind.ON_ACCOUNT if payer.primary_no else EntryKind.UNIDENTIFIED
        rule = "no_match_on_account" if payer.primary_no else "unidentified"
        drafts.append(Draft(kind, amount, customer_no=payer.primary_no, rule=rule,
                            score=round(SCORES[rule] * SUGGESTION_FACTOR, 3), evidence={"review": why}))
    trace = decision.trace + (why, "verdict: suggested, nothing applied")
    return Decision(decision.receipt_id, False, tuple(drafts), trace, decision.payer, DecisionStatus.SUGGESTED,
                    review=why)


def currency_review(decision: Decision, amount: int, currency: str | None, docs: Mapping[str, Doc],
                    currencies: Mapping[str, str]) -> Decision:
    """The decision with no cash across currencies: what would apply the receipt's cash to a document,
    or hold it on account for a customer, in another currency is taken out and the receipt goes to a
    clerk with the reason ("invoice INV-1 is in GBP, the receipt in USD"); a receipt whose currency
    is not known (``currency`` None: no file, identified payer or company account gives it) is never
    applied to a document, only suggested. ``currencies`` maps customers to their master currency.

    The rules already keep other currencies out of every pass; this is the last word before the
    ledger, which refuses such an entry too (``ledger._check_currencies``) and would fail the run."""
    reasons: list[str] = []
    keep: list[Draft] = []
    foreign: dict[str, list[Doc]] = {}  # currency -> the documents in it
    for d in decision.drafts:
        doc = docs.get(d.doc_no or "") if d.kind == EntryKind.DOCUMENT else None
        if doc is not None and currency is not None and doc.currency != currency:
            if doc not in foreign.setdefault(str(doc.currency), []):
                foreign[str(doc.currency)].append(doc)
            continue
        holder = currencies.get(d.customer_no or "") if d.kind == EntryKind.ON_ACCOUNT else None
        if holder is not None and currency is not None and holder != currency:
            reasons.append(f"customer {d.customer_no} holds {holder} and the receipt is in {currency}; "
                           "its cash cannot stay on that account")
            continue
        keep.append(d)
    for other, found in foreign.items():
        named = (f"{doc_label(found[0])} {found[0].doc_no} is" if len(found) == 1 else
                 ", ".join(d.doc_no for d in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "") + " are")
        reasons.insert(0, f"{named} in {other}, the receipt in {currency}")
    if currency is None and decision.certain and any(d.kind == EntryKind.DOCUMENT for d in keep):
        reasons.append("the receipt's currency is not known (no file, identified payer or company account gives it)")
    if not reasons:
        return decision
    why = "sent to review: " + "; ".join(dict.fromkeys(reasons))
    factor = SUGGESTION_FACTOR if decision.certain else 1.0
    drafts = [replace(d, score=round(d.score * factor, 3), evidence={**d.evidence, "review": why}) for d in keep
              if not (d.kind in (EntryKind.ON_ACCOUNT, EntryKind.UNIDENTIFIED) and d.amount <= 0)]
    if not drafts:
        holder_no = decision.payer.primary_no
        holds = holder_no is not None and currency is not None and currencies.get(holder_no) in (None, currency)
        rule = "no_match_on_account" if holds else "unidentified"
        drafts.append(Draft(EntryKind.ON_ACCOUNT if holds else EntryKind.UNIDENTIFIED, amount,
                            customer_no=holder_no if holds else None, rule=rule,
                            score=round(SCORES[rule] * SUGGESTION_FACTOR, 3), evidence={"review": why}))
    trace = decision.trace + (why, "verdict: suggested, nothing applied")
    return Decision(decision.receipt_id, False, tuple(drafts), trace, decision.payer, DecisionStatus.SUGGESTED,
                    review=why)
