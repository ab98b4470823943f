"""The matching rules: what one receipt pays, decided from its references, candidates and open amounts.

Pure functions over typed records (no I/O, inputs never mutated); amounts are integer cents.
The SQL passes (``cashbook.db.matching_sql``) and the fuzzy pass find the candidates; here each
receipt gets proposals with a rule, a score and evidence, and a verdict: certain (applied) or not
(suggested). A decision also says how much of each document it consumes, so the runner can
keep later receipts from paying the same money twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import numpy as np

from cashbook.matching.subset import subset_solutions
from cashbook.model import DecisionStatus, EntryKind
from cashbook.money import from_cents
from cashbook.settings import Settings

TIER_ORDER = ("exact", "normalized", "po", "fuzzy")
TIER_RULE = {"exact": "exact_reference", "normalized": "normalized_reference", "po": "po_number",
             "fuzzy": "fuzzy_reference"}
SCORES = {"exact_reference": 1.0, "normalized_reference": 0.97, "po_number": 0.95, "fuzzy_reference": 0.9,
          "unique_amount": 0.9, "combination": 0.85, "walk_in_takings": 0.95, "overpayment": 1.0,
          "no_open_document": 0.9, "no_match_on_account": 0.7, "unidentified": 1.0, "possible_duplicate": 1.0}
SUGGESTION_FACTOR = 0.5
MAX_SUGGESTIONS = 10


class Doc(NamedTuple):
    """An open item as the matcher sees it: amounts in cents, scope and primary of its customer.

    Named tuples rather than frozen dataclasses for Doc, Ref and Hit: just as immutable and typed,
    and a run builds hundreds of thousands of them straight from Arrow columns."""

    doc_no: str
    doc_type: str
    customer_no: str
    doc_date: date
    amount: int
    open_start: int
    scope_key: str
    primary_no: str
    discount_pct: Decimal | None = None
    discount_days: int | None = None
    erp_conflict: bool = False  # on the Exceptions list: the ERP and Cashbook disagree, nothing is applied to it
    currency: str | None = None  # cash applies only within one currency


class DocColumns(Mapping[str, Doc]):
    """The run's documents by number, each made a ``Doc`` when a decision first reads it.

    A run loads every open document of the scopes searched by amount (a million or more on a
    big world) but its decisions read a small share of them; the rest need not become objects."""

    def __init__(self, columns: Sequence[Sequence[Any]]) -> None:
        self._columns = columns
        self._row = {doc_no: i for i, doc_no in enumerate(columns[0])}
        self._made: dict[str, Doc] = {}

    def __getitem__(self, doc_no: str) -> Doc:
        doc = self._made.get(doc_no)
        if doc is None:
            row = self._row[doc_no]
            doc = self._made[doc_no] = Doc._make([column[row] for column in self._columns])
        return doc

    def __contains__(self, doc_no: object) -> bool:
        return doc_no in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


@dataclass(frozen=True)
class Payer:
    """Who sent the money, how that was found, and where its cash may go."""

    customer_no: str | None
    method: str  # payer_id, bank_account, alias, name, name_fuzzy, ambiguous, unknown
    detail: str = ""
    scope_key: str | None = None
    primary_no: str | None = None
    customer_type: str | None = None
    scopes: tuple[str, ...] = ()  # candidate scope keys when the payer is ambiguous

    @property
    def known(self) -> bool:
        return self.customer_no is not None


class Ref(NamedTuple):
    """One reference of a receipt: a remittance line (key = line number) or a bank-text window (key < 0)."""

    key: int
    source: str  # line, text
    reference: str
    paid: int | None = None
    gross: int | None = None
    discount: int | None = None
    adjustment: int | None = None
    reason_code: str | None = None
    ref_type: str | None = None


class Hit(NamedTuple):
    ref_key: int
    doc_no: str
    tier: str  # exact, normalized, po, fuzzy
    distance: int = 0


@dataclass(frozen=True)
class Case:
    """Everything known about one receipt when it is decided."""

    receipt_id: int
    payment_ref: str | None
    value_date: date
    amount: int
    bank_text: str
    payer: Payer
    refs: tuple[Ref, ...] = ()
    hits: tuple[Hit, ...] = ()
    contested: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # doc -> other receipts, same date
    rejected: frozenset[str] = frozenset()  # documents a clerk rejected for this receipt
    currency: str | None = None  # the receipt's, else its identified payer's or account's; None: not known

    def same_currency(self, doc: Doc) -> bool:
        """Whether cash of this receipt may apply to the document automatically: both in one known currency."""
        return self.currency is not None and self.currency == doc.currency

    def currency_reason(self, doc: Doc) -> str:
        """Why the receipt's cash may not apply to ``doc`` automatically, in a clerk's words ("" when it may)."""
        if self.same_currency(doc):
            return ""
        if self.currency is None:
            return (f"the receipt's currency is not known (no file, identified payer or company account gives it); "
                    f"{doc_label(doc)} {doc.doc_no} is in {doc.currency}")
        return f"{doc_label(doc)} {doc.doc_no} is in {doc.currency}, the receipt in {self.currency}"


DOC_LABELS = {"INV": "invoice", "CRN": "credit note", "DBN": "debit note"}


def doc_label(doc: Doc) -> str:
    return DOC_LABELS.get(doc.doc_type, "document")


@dataclass(frozen=True)
class Draft:
    """A proposed allocation: cash (and discount, write-off, deduction) of the receipt to a document,
    or the receipt's cash on account or in suspense."""

    kind: str  # document, on_account, unidentified
    amount: int
    doc_no: str | None = None
    customer_no: str | None = None
    discount: int = 0
    write_off: int = 0
    deduction: int = 0
    reason_code: str | None = None
    rule: str = ""
    score: float = 0.0
    evidence: Mapping[str, object] = field(default_factory=dict)

    @property
    def settles(self) -> int:
        return self.amount + self.discount + self.write_off + self.deduction


@dataclass(frozen=True)
class Decision:
    receipt_id: int
    certain: bool
    drafts: tuple[Draft, ...]
    trace: tuple[str, ...]
    payer: Payer
    status: DecisionStatus
    review: str = ""  # why a decision the ledger would refuse went to a clerk instead
    notices: tuple[tuple[str, str], ...] = ()  # (kind, doc_no): possible_duplicate, for Exceptions

    def consumed(self) -> dict[str, int]:
        """What each document loses when the decision is applied (nothing for a suggestion)."""
        if not self.certain:
            return {}
        out: dict[str, int] = {}
        for d in self.drafts:
            if d.kind == EntryKind.DOCUMENT and d.doc_no:
                out[d.doc_no] = out.get(d.doc_no, 0) + d.settles
        return out


def money_text(cents: int) -> str:
    return f"{from_cents(cents):,.2f}"


class OpenBook:
    """What is open now of the documents searched by amount, per scope, as integer-cent arrays.

    The amount passes ask "which open document of this scope has exactly this amount" and "which
    member's open items could add up to it" for thousands of receipts of the same large group;
    scanning the group's documents in Python for each receipt made a run quadratic. The runner
    builds the book once per run and updates it (``set_open``) after every applied decision, as
    it does ``open_now``; the rules only read it. Documents of a scope are ordered by customer,
    date and number, so that each member's open items are one slice.
    """

    def __init__(self, docs: Mapping[str, Doc], scope_docs: Mapping[str, Sequence[str]]) -> None:
        self._nos: dict[str, list[str]] = {}
        self._open: dict[str, np.ndarray] = {}
        self._members: dict[str, tuple[list[str], np.ndarray]] = {}
        self._where: dict[str, tuple[str, int]] = {}
        for scope, nos in scope_docs.items():
            nos = sorted(nos, key=lambda d: (docs[d].customer_no, docs[d].doc_date, d))
            self._nos[scope] = nos
            self._open[scope] = np.fromiter((docs[d].open_start for d in nos), dtype=np.int64, count=len(nos))
            names: list[str] = []
            starts: list[int] = []
            for i, d in enumerate(nos):
                self._where[d] = (scope, i)
                if not names or names[-1] != docs[d].customer_no:
                    names.append(docs[d].customer_no)
                    starts.append(i)
            self._members[scope] = (names, np.asarray(starts, dtype=np.int64))

    @classmethod
    def from_sorted(cls, scopes: Sequence[str], nos: Sequence[str], customers: Sequence[str],
                    opens: Sequence[int]) -> OpenBook:
        """The same book from columns already in book order (scope, then customer, date and number),
        as the run's SQL sorts them: no Python sort and no Doc per document on a run's hot path."""
        book = cls({}, {})
        n = len(nos)
        if not n:
            return book
        scope_arr, customer_arr = np.asarray(scopes, dtype=object), np.asarray(customers, dtype=object)
        bounds = [0, *(np.nonzero(scope_arr[1:] != scope_arr[:-1])[0] + 1).tolist(), n]
        new_member = np.ones(n, dtype=bool)
        new_member[1:] = (customer_arr[1:] != customer_arr[:-1]) | (scope_arr[1:] != scope_arr[:-1])
        values = np.asarray(opens, dtype=np.int64)
        for a, b in zip(bounds[:-1], bounds[1:]):
            scope = scopes[a]
            scope_nos = list(nos[a:b])
            book._nos[scope] = scope_nos
            book._open[scope] = values[a:b].copy()
            starts = np.nonzero(new_member[a:b])[0].astype(np.int64)
            book._members[scope] = ([customers[a + i] for i in starts.tolist()], starts)
            book._where.update(zip(scope_nos, zip([scope] * (b - a), range(b - a))))
        return book

    def set_open(self, doc_no: str, cents: int) -> None:
        where = self._where.get(doc_no)
        if where is not None:
            self._open[where[0]][where[1]] = cents

    def _live(self, scope: str, rejected: frozenset[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        nos = self._nos.get(scope, [])
        values = self._open.get(scope, np.zeros(0, dtype=np.int64))
        live = values != 0
        for d in rejected:
            where = self._where.get(d)
            if where is not None and where[0] == scope:
                live[where[1]] = False
        return nos, values, live

    def equal(self, scope: str, amount: int, rejected: frozenset[str]) -> tuple[int, list[str]]:
        """(open documents of the scope, those of them with exactly ``amount`` open), the latter in book order."""
        nos, values, live = self._live(scope, rejected)
        return int(live.sum()), [nos[i] for i in np.nonzero(live & (values == amount))[0].tolist()]

    def members(self, scope: str, amount: int, rejected: frozenset[str], max_candidates: int,
                min_items: int = 2) -> tuple[int, list[tuple[str, list[tuple[str, int]]]]]:
        """(members with something open, the members whose open items might add up to ``amount``
        with their (doc_no, open) in date order). A member is left out only when no combination of
        its items can fit: fewer than ``min_items``, or invoices only and their total too small
        or even the two smallest too large."""
        nos, values, live = self._live(scope, rejected)
        if not len(nos):
            return 0, []
        names, starts = self._members[scope]
        counts = np.add.reduceat(live.astype(np.int64), starts)
        sums = np.add.reduceat(np.where(live, values, 0), starts)
        negative = np.add.reduceat((live & (values < 0)).astype(np.int64), starts)
        smallest = np.minimum.reduceat(np.where(live, values, np.iinfo(np.int64).max // 4), starts)
        keep = (counts >= min_items) & ((counts > max_candidates) | (negative > 0)
                                        | ((sums >= amount) & (smallest * min_items <= amount)))
        ends = np.append(starts[1:], len(nos))
        out = []
        for m in np.nonzero(keep)[0].tolist():
            out.append((names[m], [(nos[i], int(values[i])) for i in range(int(starts[m]), int(ends[m])) if live[i]]))
        return int(np.count_nonzero(counts)), out


# -- amounts ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settlement:
    """How a paid amount settles one document."""

    cash: int
    discount: int = 0
    deduction: int = 0
    write_off: int = 0
    rest: int = 0  # paid beyond the document: goes on account
    reason_code: str | None = None
    how: str = "paid_equals_open"
    agrees: bool = True  # the amount confirms the document
    certain: bool = True
    note: str = ""


def expected_discount(doc: Doc, value_date: date, settings: Settings) -> int | None:
    """The earned discount in cents, or None when the document has no terms or was paid too late."""
    if not doc.discount_pct or not doc.discount_days or doc.open_start != doc.amount or doc.amount <= 0:
        return None
    last_day = doc.doc_date + timedelta(days=int(doc.discount_days) + settings.discount_grace_days)
    if value_date > last_day:
        return None
    return int((Decimal(doc.amount) * doc.discount_pct / 100).quantize(Decimal(1), ROUND_HALF_UP))


def write_off_allowed(short: int, open_cents: int, settings: Settings) -> bool:
    """A small difference: within the write-off amount and the write-off percent of the document."""
    limit = int(settings.write_off_amount * 100)
    percent = Decimal(abs(open_cents)) * settings.write_off_percent / 100
    return 0 < short <= limit and short <= percent


def shortfall_kind(short: int, open_cents: int, settings: Settings) -> str | None:
    """How a document paid ``short`` cents less than ``open_cents`` is closed without a clerk, if at all.

    ``bank_charge``: an intermediary bank's flat fee (usually 10 to 35 in the currency, whatever
    the invoice's size), up to ``bank_charge_amount``, when the cash still covers three quarters of
    the document (a larger gap is a part payment, not a fee: 32.05 of a 64.09 invoice is half of it). ``write_off``: a small difference
    within the write-off tolerance (absolute amount and percent of the document)."""
    if short <= 0:
        return None
    if short <= int(settings.bank_charge_amount * 100) and 4 * short <= abs(open_cents):
        return "bank_charge"
    if write_off_allowed(short, open_cents, settings):
        return "write_off"
    return None


def settle(ref: Ref | None, paid: int | None, doc: Doc, open_now: int, value_date: date, settings: Settings) -> Settlement:
    """Match a paid amount against what is open on the document now."""
    if doc.erp_conflict:
        return Settlement(0, rest=paid or 0, how="erp_conflict", agrees=False, certain=False,
                          note=f"{doc.doc_no} is on the Exceptions list: the ERP and Cashbook disagree on what is open; "
                               "nothing is applied to it until a supervisor resolves it")
    if open_now == 0:
        return Settlement(0, rest=paid or 0, how="already_settled", agrees=False,
                          note=f"{doc.doc_no} has nothing open any more")
    if paid is None:
        return Settlement(open_now, how="open_amount", agrees=False)
    if paid == open_now:
        return Settlement(paid)
    if (paid > 0) != (open_now > 0):
        return Settlement(0, rest=paid, how="sign_mismatch", agrees=False, certain=False,
                          note=f"paid {money_text(paid)} against {doc.doc_no} with {money_text(open_now)} open")
    if abs(paid) > abs(open_now):
        return Settlement(open_now, rest=paid - open_now, how="overpaid", agrees=False,
                          note=f"{money_text(paid - open_now)} more than {doc.doc_no} has open")
    gap = open_now - paid  # same sign as the document; positive for an invoice paid short
    tolerance = int(settings.discount_tolerance * 100)
    disc = ref.discount if ref is not None else None
    adj = ref.adjustment if ref is not None else None
    earned = expected_discount(doc, value_date, settings)
    if disc:
        if paid + disc == open_now:
            if earned is not None and abs(disc - earned) <= tolerance:
                return Settlement(paid, discount=disc, how="discount")
            why = ("the document has no discount terms" if not doc.discount_pct else
                   f"terms give {money_text(earned)}" if earned is not None else "paid after the discount period")
            return Settlement(paid, discount=disc, how="discount_outside_terms", certain=False,
                              note=f"discount {money_text(disc)} taken; {why}")
        return Settlement(paid, how="amounts_disagree", agrees=False, certain=False,
                          note=f"paid {money_text(paid)} + discount {money_text(disc)} is not the open {money_text(open_now)}")
    if adj:
        if paid + adj == open_now:
            if ref is not None and ref.reason_code:
                return Settlement(paid, deduction=adj, reason_code=ref.reason_code, how="deduction")
            return Settlement(paid, deduction=adj, how="deduction_without_reason", certain=False,
                              note="a deduction without a reason code")
        return Settlement(paid, how="amounts_disagree", agrees=False, certain=False,
                          note=f"paid {money_text(paid)} + deduction {money_text(adj)} is not the open {money_text(open_now)}")
    if earned is not None and abs(gap - earned) <= tolerance:
        return Settlement(paid, discount=gap, how="discount")
    if doc.discount_pct and doc.discount_days and earned is None and doc.open_start == doc.amount and doc.amount > 0:
        late = int((Decimal(doc.amount) * doc.discount_pct / 100).quantize(Decimal(1), ROUND_HALF_UP))
        if abs(gap - late) <= tolerance:
            return Settlement(paid, discount=gap, how="discount_outside_terms", certain=False,
                              note="the discount was taken after the discount period")
    kind = shortfall_kind(gap, open_now, settings)
    if kind is not None:
        return Settlement(paid, write_off=gap, how=kind, agrees=False,
                          note=f"{money_text(gap)} short, written off as a "
                               + ("bank charge" if kind == "bank_charge" else "small difference within the tolerance"))
    return Settlement(paid, how="partial", agrees=False, note=f"{money_text(open_now - paid)} stays open")


# -- the decision --------------------------------------------------------------------------------------
@dataclass
class _Piece:
    ref: Ref | None
    doc: Doc
    tier: str
    settlement: Settlement
    certain: bool
    why: str = ""


def decide(case: Case, docs: Mapping[str, Doc], open_now: Mapping[str, int], book: OpenBook,
           settings: Settings) -> Decision:
    """Decide one receipt against the documents' open amounts now, as the decision profile says."""
    return _by_profile(_decide(case, docs, open_now, book, settings), settings)


def _decide(case: Case, docs: Mapping[str, Doc], open_now: Mapping[str, int], book: OpenBook,
            settings: Settings) -> Decision:
    trace: list[str] = [f"receipt #{case.receipt_id} {case.payment_ref or ''} {money_text(case.amount)} "
                        f"value date {case.value_date}".replace("  ", " ")]
    payer = case.payer
    trace.append(_payer_line(payer))
    if case.hits:
        decision = _by_reference(case, docs, open_now, settings, trace)
        if decision is not None:
            return decision
    elif case.refs:
        trace.append(f"pass references: {len(case.refs)} references, none found among the documents")
    else:
        trace.append("pass references: the receipt names no references")
    if any(r.source == "line" for r in case.refs) and payer.known:
        trace.append("what is left: the remittance names documents that match nothing open; on account")
        return _on_account(case, case.amount, "no_open_document", trace, certain=True,
                           evidence={"references": [r.reference for r in case.refs[:20]]})
    if not payer.known and payer.scopes:
        found = _ambiguous_by_amount(case, docs, book, settings, trace)
        if found is not None:
            return found
    if not payer.known:
        return _unknown(case, trace)
    return _by_amount(case, docs, book, settings, trace)


# What the cautious profile leaves to a clerk: every settlement that is not "paid what was open".
_CLERK_SETTLES = ("+partial", "+bank_charge", "+write_off", "+overpaid", "+discount", "+oldest_first")


def _by_profile(decision: Decision, settings: Settings) -> Decision:
    """Under ``decision_profile = cautious`` partial payments, write-offs, bank charges, overpayments
    and discounts are suggested, not applied; the default profile applies them as a clerk would."""
    if settings.decision_profile != "cautious" or not decision.certain:
        return decision
    why = [d.rule for d in decision.drafts if any(part in d.rule for part in _CLERK_SETTLES)
           or (d.kind == EntryKind.ON_ACCOUNT and d.rule == "overpayment" and len(decision.drafts) > 1)]
    if not why:
        return decision
    note = "the cautious profile leaves " + ", ".join(sorted(set(why))) + " to a clerk"
    drafts = tuple(replace(d, score=round(d.score * SUGGESTION_FACTOR, 3), evidence={**d.evidence, "note": note})
                   for d in decision.drafts)
    return Decision(decision.receipt_id, False, drafts, decision.trace + (note, "verdict: suggested, nothing applied"),
                    decision.payer, DecisionStatus.SUGGESTED)


def _payer_line(payer: Payer) -> str:
    if payer.known:
        where = "alone (in no group)" if (payer.scope_key or "").startswith("C:") else f"its group {payer.scope_key}"
        return (f"pass payer: {payer.customer_no} by {payer.method} ({payer.detail}); scope {where}; "
                f"unallocated cash to {payer.primary_no}")
    if payer.scopes:
        return f"pass payer: ambiguous ({payer.detail}); candidate scopes {', '.join(payer.scopes)}"
    return f"pass payer: not identified ({payer.detail or 'no payer id, account or name known'})"


def _doc_ok_for_payer(case: Case, doc: Doc) -> tuple[bool, str]:
    payer = case.payer
    why = case.currency_reason(doc)
    if why:
        return False, why
    if payer.known:
        if doc.scope_key == payer.scope_key:
            return True, ""
        return False, f"{doc.doc_no} belongs to {doc.customer_no}, outside the payer's group"
    if payer.scopes and doc.scope_key not in payer.scopes:
        return False, f"{doc.doc_no} belongs to {doc.customer_no}, none of the candidate payers"
    return True, ""


def _by_reference(case: Case, docs: Mapping[str, Doc], open_now: Mapping[str, int], settings: Settings,
                  trace: list[str]) -> Decision | None:
    by_ref: dict[int, list[Hit]] = {}
    for h in case.hits:
        if h.doc_no in docs:
            by_ref.setdefault(h.ref_key, []).append(h)
    text_only = not any(r.source == "line" for r in case.refs)
    confirmed: set[str] = set()
    if text_only:
        by_ref, confirmed = _weigh_text(case, by_ref, docs, open_now, settings, trace)
    pieces: list[_Piece] = []
    suggestions: list[_Piece] = []
    unresolved_cash = 0  # paid amounts of lines that name nothing open
    review: list[str] = []  # what would have made an entry the ledger refuses
    used_docs: set[str] = set()
    rest = 0
    payer_unknown = not case.payer.known
    for ref in sorted(case.refs, key=lambda r: r.key):
        hits = by_ref.get(ref.key, [])
        if payer_unknown:  # exact, or normalized where that names one document (unique in the master or in the
            hits = [h for h in hits if h.tier in ("exact", "normalized")]  # candidate payers' scopes)
        if not hits:
            if ref.source == "line":
                trace.append(f"  line {ref.key} '{ref.reference}': no document found"
                             + (f"; {money_text(ref.paid)} goes on account" if ref.paid and ref.paid > 0 else ""))
                unresolved_cash += ref.paid or 0
                if ref.paid is not None and ref.paid < 0:  # a credit taken against nothing open
                    review.append(f"line {ref.key} '{ref.reference}' deducts {money_text(-ref.paid)} but names "
                                  "no open credit note")
            continue
        hits = _own_first(case, ref, hits, docs, open_now, settings, trace)
        hits = _mistyped(case, ref, hits, docs, open_now, settings, trace)
        tier = min((h.tier for h in hits), key=TIER_ORDER.index)
        tier_hits = sorted((h for h in hits if h.tier == tier), key=lambda h: (h.distance, h.doc_no))
        label = f"line {ref.key}" if ref.source == "line" else "bank text"
        names = ", ".join(f"{h.doc_no}" + (f" (distance {h.distance})" if tier == "fuzzy" else "") for h in tier_hits[:8])
        trace.append(f"  {label} '{ref.reference}': pass {tier} found {names}"
                     + (f" and {len(tier_hits) - 8} more" if len(tier_hits) > 8 else ""))
        fresh = [h for h in tier_hits if h.doc_no not in used_docs]
        if ref.source == "text" and not fresh:
            continue
        paid = ref.paid
        if ref.source == "text":  # text names documents; amounts are checked for the receipt as a whole
            paid = _implied_text_paid(case, ref) if tier == "fuzzy" else None
        if ref.source == "text" and fresh and all(h.doc_no in confirmed for h in fresh):
            chosen, uncertain_why = fresh, ""  # the text's documents together explain the receipt's amount
        else:
            chosen, uncertain_why = _choose(case, ref, tier, fresh, docs, open_now, settings, paid)
        for h in chosen:
            used_docs.add(h.doc_no)
        if uncertain_why:
            trace.append(f"    not certain: {uncertain_why}")
            for h in chosen[:MAX_SUGGESTIONS]:
                doc = docs[h.doc_no]
                s = settle(ref, paid, doc, open_now.get(h.doc_no, doc.open_start), case.value_date, settings)
                suggestions.append(_Piece(ref, doc, tier, s, False, uncertain_why))
            continue
        refused = [why for h in chosen for ok, why in [_doc_ok_for_payer(case, docs[h.doc_no])] if not ok]
        if len(chosen) > 1 and refused:  # several documents, one of them not the payer's to pay
            trace.append(f"    not certain: {refused[0]}")
            for h in chosen[:MAX_SUGGESTIONS]:
                doc = docs[h.doc_no]
                s = settle(ref, paid, doc, open_now.get(h.doc_no, doc.open_start), case.value_date, settings)
                suggestions.append(_Piece(ref, doc, tier, s, False, refused[0]))
            continue
        if len(chosen) > 1:  # one PO line paying several documents
            for h in chosen:
                doc = docs[h.doc_no]
                o = open_now.get(h.doc_no, doc.open_start)
                pieces.append(_Piece(ref, doc, tier, Settlement(o), True))
            continue
        doc = docs[chosen[0].doc_no]
        o = open_now.get(doc.doc_no, doc.open_start)
        s = settle(ref, paid, doc, o, case.value_date, settings)
        ok, why = _doc_ok_for_payer(case, doc)
        # A reference that names one document of the payer's scope exactly makes the document certain;
        # the amount then only says how it is settled (partial, fee, overpaid). A normalized one must
        # agree on the amount too: a swap of two digits often lands on another document of the payer.
        named = tier == "exact"
        certain = s.certain and ok and (named or s.agrees or (ref.source == "text" and paid is None))
        if s.how == "already_settled" and doc.amount < 0 and ref.source == "line":
            # Netting it would put a negative amount on account: an entry the ledger refuses.
            certain, why = False, f"credit note {doc.doc_no} has nothing open any more; it cannot be netted"
            review.append(why)
        if not named and not s.agrees and not (ref.source == "text" and paid is None):
            why = why or f"a {tier} reference match whose amount does not confirm it"
        if payer_unknown and not case.payer.scopes and not s.agrees and not text_only:
            certain, why = False, why or "the payer is unknown and the amount does not confirm the document"
        trace.append(f"    {doc.doc_no}: open {money_text(o)}, {s.how.replace('_', ' ')}"
                     + (f" ({s.note})" if s.note else "") + ("" if certain else f"; not certain: {why or s.note}"))
        rest += s.rest
        (pieces if certain else suggestions).append(_Piece(ref, doc, tier, s, certain, why or s.note))
    if review and not suggestions:  # netting what is not open would leave a negative amount on account
        suggestions, pieces = [_Piece(p.ref, p.doc, p.tier, p.settlement, False, p.why) for p in pieces], []
        if not suggestions:
            trace.append("    not certain: " + "; ".join(review))
            decision = _on_account(case, case.amount, "no_open_document", trace, certain=False,
                                   evidence={"review": "; ".join(review)}) if case.payer.known else _unknown(case, trace)
            return replace(decision, review="sent to review: " + "; ".join(review)) if not decision.certain else decision
    if not pieces and not suggestions:
        if text_only:
            trace.append("pass references: bank-text references found nothing open")
        return None
    decision = _reconcile(case, pieces, suggestions, unresolved_cash + rest, text_only, docs, open_now, settings, trace)
    if review and not decision.certain:
        return replace(decision, review="sent to review: " + "; ".join(review))
    return decision


def _own_first(case: Case, ref: Ref, hits: list[Hit], docs: Mapping[str, Doc], open_now: Mapping[str, int],
               settings: Settings, trace: list[str]) -> list[Hit]:
    """A reference that hits documents of the payer's scope and of other customers: the payer's own
    are weighed alone (an exact hit elsewhere is usually a mistyped number of its own), unless an
    exact hit elsewhere agrees on the amount too; then all stay and none is certain."""
    if not (case.payer.known or case.payer.scopes):
        return hits
    own = [h for h in hits if _doc_ok_for_payer(case, docs[h.doc_no])[0]]
    others = [h for h in hits if h not in own]
    if not own or not others:
        return hits
    paid = ref.paid if ref.source == "line" else case.amount
    if any(h.tier == "exact" and _agrees(ref, paid, docs[h.doc_no], open_now.get(h.doc_no, docs[h.doc_no].open_start),
                                         case, settings) for h in others):
        return hits
    trace.append(f"  '{ref.reference}': {', '.join(sorted({h.doc_no for h in others})[:5])} of other customers "
                 "set aside; the payer's own documents are weighed")
    return own


def _mistyped(case: Case, ref: Ref, hits: list[Hit], docs: Mapping[str, Doc], open_now: Mapping[str, int],
              settings: Settings, trace: list[str]) -> list[Hit]:
    """A reference that names a document exactly or in normalized form, and near misses of it.

    A payer who swaps two digits often lands on another of its own documents. When none of the
    documents the reference names agrees with what was paid, and exactly one near miss in the
    payer's scope does, the near miss is the document meant (a clerk reads the amount, too);
    otherwise the near misses are set aside and the named documents weighed as before."""
    strong = [h for h in hits if h.tier != "fuzzy"]
    if not strong:
        return hits
    named = {h.doc_no for h in strong}
    near = [h for h in hits if h.tier == "fuzzy" and h.doc_no not in named and h.distance > 0
            and h.distance <= settings.fuzzy_ref_max_distance and _doc_ok_for_payer(case, docs[h.doc_no])[0]]
    if not near or not (case.payer.known or case.payer.scopes):
        return strong
    paid = ref.paid if ref.source == "line" else _implied_text_paid(case, ref)
    if paid is None:
        return strong

    def agrees(h: Hit) -> bool:
        doc = docs[h.doc_no]
        return _agrees(ref, paid, doc, open_now.get(h.doc_no, doc.open_start), case, settings)

    if any(agrees(h) for h in strong):
        return strong
    agreeing = [h for h in near if agrees(h)]
    if len(agreeing) != 1:
        return strong
    trace.append(f"  '{ref.reference}' names {', '.join(sorted(named)[:3])}, whose amount disagrees with "
                 f"{money_text(paid)}; {agreeing[0].doc_no}, {agreeing[0].distance} edit(s) away, agrees: "
                 "taken for a mistyped number")
    return agreeing


def _weigh_text(case: Case, by_ref: dict[int, list[Hit]], docs: Mapping[str, Doc], open_now: Mapping[str, int],
                settings: Settings, trace: list[str]) -> tuple[dict[int, list[Hit]], set[str]]:
    """Bank text holds numbers of every kind (accounts, dates, order ids) beside the references.

    When the payer's documents the text names exactly (or in normalized form) add up to the
    receipt, with at most two near misses filling the gap each in its own word of the text, or
    when exactly one of them agrees with the receipt's amount, those are the references, their
    amounts confirmed by the whole receipt, and the other numbers are decoys. Returns the hits
    to weigh per reference and the documents so confirmed."""
    best: dict[str, tuple[Hit, Ref]] = {}
    for ref in case.refs:
        for h in by_ref.get(ref.key, ()):
            if (not case.payer.known and h.tier not in ("exact", "normalized")) \
                    or not _doc_ok_for_payer(case, docs[h.doc_no])[0]:
                continue
            if h.doc_no not in best or TIER_ORDER.index(h.tier) < TIER_ORDER.index(best[h.doc_no][0].tier):
                best[h.doc_no] = (h, ref)
    if not best:
        return by_ref, set()
    opens = {d: open_now.get(d, docs[d].open_start) for d in best}
    chosen: list[str] = []
    for tiers in (("exact",), ("exact", "normalized")):
        named = [d for d, (h, _) in best.items() if h.tier in tiers and opens[d]]
        if named and sum(opens[d] for d in named) == case.amount:
            chosen = named
            break
    hit_of = {d: h for d, (h, _) in best.items()}
    if not chosen:
        filled = _fill_gap(case, best, by_ref, opens)
        hit_of.update({h.doc_no: h for h in filled})
        chosen = [h.doc_no for h in filled]
    if not chosen:
        agreeing = []
        for d, (h, _) in best.items():
            s = settle(None, case.amount, docs[d], opens[d], case.value_date, settings)
            fee = h.tier in ("exact", "normalized") and s.how in ("bank_charge", "write_off")
            if s.certain and (s.agrees or fee):
                agreeing.append(d)
        chosen = agreeing if len(agreeing) == 1 else []
    if not chosen:
        return by_ref, set()
    keep: dict[int, list[Hit]] = {}
    for d in chosen:
        keep.setdefault(hit_of[d].ref_key, []).append(hit_of[d])
    decoys = sorted({r.reference for r in case.refs if by_ref.get(r.key) and r.key not in keep}
                    | {h.doc_no for k in keep for h in by_ref.get(k, ()) if h.doc_no not in chosen})
    if decoys:
        trace.append(f"pass evidence: {', '.join(sorted(chosen)[:10])} of the payer's fit the receipt's amount; the other "
                     f"numbers of the text ({', '.join(decoys[:6])}) are taken for decoys")
    return keep, set(chosen)


def _fill_gap(case: Case, best: Mapping[str, tuple[Hit, Ref]], by_ref: Mapping[int, Sequence[Hit]],
              opens: Mapping[str, int]) -> list[Hit]:
    """The documents named exactly or normalized, with at most two words of the text read as near
    misses, whose open amounts make up the receipt: the only such reading with the fewest near misses.

    A near miss either fills a word that names nothing better, or replaces the document a word
    names when a mistyped number landed on another document (of the payer, or a credit note typed
    as an invoice). Returns the hits so read, or nothing."""
    strong = [d for d, (h, _) in best.items() if h.tier in ("exact", "normalized") and opens[d]]
    named_by: dict[int, list[str]] = {}  # a word of the text -> the documents it names
    for d in strong:
        named_by.setdefault(best[d][1].key, []).append(d)
    near: dict[int, list[str]] = {}
    near_hit: dict[tuple[int, str], Hit] = {}
    for key, hits in by_ref.items():
        for h in hits:
            if h.tier == "fuzzy" and h.distance > 0 and h.doc_no in best and opens[h.doc_no] and h.doc_no not in strong:
                near.setdefault(key, []).append(h.doc_no)
                near_hit[key, h.doc_no] = h
    if not near:
        return []
    gap = case.amount - sum(opens[d] for d in strong)
    # What reading a word as its near miss adds: the near miss, less the documents the word named.
    value = {(k, d): opens[d] - sum(opens[x] for x in named_by.get(k, ())) for k, ds in near.items() for d in ds}
    keys = sorted(near)
    for size in (1, 2):
        found: list[tuple[tuple[int, str], ...]] = []
        if size == 1:
            found = [((k, d),) for k in keys for d in near[k] if value[k, d] == gap]
        else:
            for i, a in enumerate(keys):
                later: dict[int, list[tuple[int, str]]] = {}
                for b in keys[i + 1:]:
                    for y in near[b]:
                        later.setdefault(value[b, y], []).append((b, y))
                found += [((a, x), other) for x in near[a] for other in later.get(gap - value[a, x], ())
                          if other[1] != x]
        # Two words each one edit from the other's document read the same documents either way:
        # one reading, the closer assignment.
        readings: dict[frozenset[str], tuple[tuple[int, str], ...]] = {}
        for reading in found:
            docs_read = frozenset(d for _, d in reading)
            distance = sum(near_hit[k, d].distance for k, d in reading)
            if docs_read not in readings or distance < sum(near_hit[k, d].distance for k, d in readings[docs_read]):
                readings[docs_read] = reading
        found = list(readings.values())
        if len(found) > 1:
            return []
        if found:
            replaced = {x for k, _ in found[0] for x in named_by.get(k, ())}
            chosen = [best[d][0] for d in strong if d not in replaced] + [near_hit[k, d] for k, d in found[0]]
            return chosen if len({h.doc_no for h in chosen}) == len(chosen) else []
    return []


def _agrees(ref: Ref, paid: int | None, doc: Doc, o: int, case: Case, settings: Settings) -> bool:
    if paid is None:
        return False
    if ref.gross is not None and ref.gross == doc.amount and paid <= o:
        return True
    s = settle(ref, paid, doc, o, case.value_date, settings)
    return s.agrees and s.certain


def _choose(case: Case, ref: Ref, tier: str, hits: list[Hit], docs: Mapping[str, Doc], open_now: Mapping[str, int],
            settings: Settings, paid: int | None) -> tuple[list[Hit], str]:
    """The document(s) a reference means, or the candidates and why none is certain."""
    hits = [h for h in hits if h.doc_no not in case.rejected] or hits
    contested = [h.doc_no for h in hits if h.doc_no in case.contested]
    if contested:
        others = ", ".join(f"#{r}" for r in case.contested[contested[0]])
        return hits, f"{contested[0]} is also claimed by receipt {others} on the same value date"
    if any(h.doc_no in case.rejected for h in hits):
        return hits, "a clerk rejected this document for this receipt"
    if len(hits) == 1 and tier in ("exact", "normalized", "po"):
        return hits, ""
    opens = {h.doc_no: open_now.get(h.doc_no, docs[h.doc_no].open_start) for h in hits}
    if tier == "po" and paid is not None and len(hits) > 1 and paid == sum(opens.values()):
        return hits, ""
    if tier == "fuzzy" and ref.source == "text" and paid is None and len(case.refs) >= 1:
        paid = _implied_text_paid(case, ref)
    agreeing = [h for h in hits if _agrees(ref, paid, docs[h.doc_no], opens[h.doc_no], case, settings)]
    if len(agreeing) == 1:
        if tier == "fuzzy":
            best = agreeing[0]
            if best.distance > settings.fuzzy_ref_max_distance:
                return hits, "too far from any document"
        return agreeing, ""
    if not agreeing:
        if tier == "fuzzy" and len(hits) == 1 and paid is None:
            return hits, "a near-miss reference with no amount to confirm it"
        if tier == "fuzzy":
            return hits, "near-miss references whose amounts do not confirm any of them"
        return hits, f"{len(hits)} documents fit the reference and no amount tells them apart"
    return agreeing, f"{len(agreeing)} documents fit the reference and the amount alike"


def _implied_text_paid(case: Case, ref: Ref) -> int | None:
    """A receipt whose bank text holds one reference pays that reference with all of its money."""
    hit_keys = {h.ref_key for h in case.hits}
    return case.amount if sum(1 for r in case.refs if r.source == "text" and r.key in hit_keys) <= 1 else None


def _reconcile(case: Case, pieces: list[_Piece], suggestions: list[_Piece], on_account_cash: int, text_only: bool,
               docs: Mapping[str, Doc], open_now: Mapping[str, int], settings: Settings, trace: list[str]) -> Decision:
    """Do the documents found explain the receipt's amount? Overpayments go on account, a small
    shortfall is written off, anything else goes to a clerk."""
    if text_only and len(pieces) == 1 and not suggestions:
        p = pieces[0]
        o = open_now.get(p.doc.doc_no, p.doc.open_start)
        s = settle(p.ref, case.amount, p.doc, o, case.value_date, settings)
        # A payer known, or one of the customers sharing its name (the document is theirs), pays it
        # partly, with a fee, too much or twice; an unknown payer only when the amount agrees. A
        # normalized reference ("Inv 507 429") names its document as an exact one does: a near miss
        # that agrees would have been taken instead (``_mistyped``).
        loose = p.tier in ("exact", "normalized") and (case.payer.known or bool(case.payer.scopes)
                                       or s.how in ("bank_charge", "write_off"))
        if s.certain and (s.agrees or (loose and s.how in ("partial", "bank_charge", "write_off", "overpaid",
                                                         "already_settled"))):
            pieces = [_Piece(p.ref, p.doc, p.tier, s, True)]
            on_account_cash = s.rest
            trace.append(f"    {p.doc.doc_no}: the receipt's {money_text(case.amount)} against open {money_text(o)}: "
                         f"{s.how.replace('_', ' ')}" + (f" ({s.note})" if s.note else ""))
        else:
            suggestions = [_Piece(p.ref, p.doc, p.tier, s, False, s.note)]
            pieces = []
    explained = sum(p.settlement.cash for p in pieces) + on_account_cash
    gap = case.amount - explained
    certain = not suggestions
    if certain and text_only and len(pieces) > 1 and gap > 0:
        # Several documents named in free text that do not add up to the receipt: one of the numbers
        # may be a mistyped reference that hit another document. A clerk looks.
        certain = False
        trace.append(f"pass amounts: the documents named in the text ask {money_text(explained)} but the receipt is "
                     f"{money_text(case.amount)}; a clerk decides")
    write_off_piece = None
    if certain and gap < 0:
        short = -gap
        candidates = [p for p in pieces if p.settlement.cash > 0 and p.doc.amount > 0]
        target = max(candidates, key=lambda p: p.settlement.cash, default=None)
        kind = shortfall_kind(short, target.settlement.cash, settings) if target is not None else None
        if target is not None and kind is not None \
                and target.settlement.write_off == 0 and target.settlement.cash - short > 0:
            write_off_piece = target
            trace.append(f"pass amounts: {money_text(short)} short of what the documents ask; written off on "
                         f"{target.doc.doc_no} as a " + ("bank charge" if kind == "bank_charge" else
                                                         "small difference within tolerance"))
            gap = 0
        else:
            certain = False
            trace.append(f"pass amounts: the documents ask {money_text(explained)} but the receipt is "
                         f"{money_text(case.amount)}; a clerk decides")
    if certain and on_account_cash + max(gap, 0) < 0:
        certain = False
        trace.append(f"pass amounts: {money_text(on_account_cash + max(gap, 0))} would be left on account; "
                     "a clerk decides")
    if not certain:
        drafts = [_draft(p, False, None, 0) for p in pieces + suggestions]
        trace.append("verdict: suggested, nothing applied")
        return Decision(case.receipt_id, False, tuple(drafts), tuple(trace), _payer_from_docs(case, pieces + suggestions),
                        DecisionStatus.SUGGESTED)
    drafts = [_draft(p, True, write_off_piece, -(case.amount - explained) if p is write_off_piece else 0, settings)
              for p in pieces
              if p.settlement.cash or p.settlement.discount or p.settlement.write_off or p.settlement.deduction]
    payer = _payer_from_docs(case, pieces)
    on_account = on_account_cash + max(gap, 0)
    # Invoices the receipt pays that were settled already (by an earlier receipt or in the ERP):
    # the cash goes on account as the rules say, and a clerk is told it may be a duplicate.
    settled = tuple(sorted({p.doc.doc_no for p in pieces if p.settlement.how == "already_settled" and p.doc.amount > 0}))
    if on_account:
        duplicate = bool(settled) and not any(p.settlement.cash for p in pieces) and gap <= 0
        rule = "possible_duplicate" if duplicate else "overpayment" if gap > 0 or on_account_cash else "no_open_document"
        drafts.append(Draft(EntryKind.ON_ACCOUNT, on_account, customer_no=payer.primary_no, rule=rule, score=SCORES[rule],
                            evidence={"why": "paid beyond the documents named, or for documents with nothing open",
                                      "primary_of": payer.customer_no, **({"settled": list(settled)} if settled else {})}))
        trace.append(f"what is left: {money_text(on_account)} on account to {payer.primary_no}")
    if settled:
        trace.append(f"notice: {', '.join(settled)} already settled; a possible duplicate payment (see Exceptions)")
    trace.append("verdict: applied" if drafts else "verdict: nothing to apply")
    status = DecisionStatus.APPLIED if any(d.kind == EntryKind.DOCUMENT for d in drafts) else DecisionStatus.ON_ACCOUNT
    return Decision(case.receipt_id, True, tuple(drafts), tuple(trace), payer, status,
                    notices=tuple(("possible_duplicate", doc_no) for doc_no in settled))


def _draft(p: _Piece, certain: bool, write_off_piece: _Piece | None, short: int,
           settings: Settings | None = None) -> Draft:
    s = p.settlement
    rule = TIER_RULE[p.tier]
    if s.how not in ("paid_equals_open", "open_amount"):
        rule = f"{rule}+{s.how}"
    cash, write_off = s.cash, s.write_off
    if p is write_off_piece:
        kind = "bank_charge" if settings is None or short <= settings.bank_charge_amount * 100 else "write_off"
        cash, write_off, rule = cash - short, write_off + short, f"{TIER_RULE[p.tier]}+{kind}"
    score = SCORES[TIER_RULE[p.tier]] * (1.0 if certain else SUGGESTION_FACTOR)
    evidence: dict[str, object] = {"tier": p.tier, "amount_rule": s.how, "doc_customer": p.doc.customer_no}
    if p.ref is not None:
        evidence["reference"] = p.ref.reference
        evidence["source"] = p.ref.source
        if p.ref.paid is not None:
            evidence["paid"] = money_text(p.ref.paid)
    if s.note or p.why:
        evidence["note"] = p.why or s.note
    return Draft(EntryKind.DOCUMENT, cash, doc_no=p.doc.doc_no, customer_no=p.doc.customer_no, discount=s.discount,
                 write_off=write_off, deduction=s.deduction, reason_code=s.reason_code, rule=rule,
                 score=round(score, 3), evidence=evidence)


def _payer_from_docs(case: Case, pieces: Sequence[_Piece]) -> Payer:
    """An unidentified payer becomes known through the documents its remittance names exactly."""
    if case.payer.known or not pieces:
        return case.payer
    doc = pieces[0].doc
    return Payer(doc.customer_no, "reference", f"named {doc.doc_no}", doc.scope_key, doc.primary_no)


def _on_account(case: Case, amount: int, rule: str, trace: list[str], *, certain: bool,
                evidence: Mapping[str, object]) -> Decision:
    payer = case.payer
    draft = Draft(EntryKind.ON_ACCOUNT, amount, customer_no=payer.primary_no, rule=rule,
                  score=SCORES[rule] * (1.0 if certain else SUGGESTION_FACTOR), evidence=dict(evidence))
    trace.append(f"verdict: {money_text(amount)} on account to {payer.primary_no}"
                 + ("" if certain else " (suggested)"))
    return Decision(case.receipt_id, certain, (draft,), tuple(trace), payer, DecisionStatus.ON_ACCOUNT if certain else DecisionStatus.SUGGESTED)


def _unknown(case: Case, trace: list[str]) -> Decision:
    trace.append("what is left: the payer is not identified; the receipt goes to suspense (unidentified)")
    draft = Draft(EntryKind.UNIDENTIFIED, case.amount, rule="unidentified", score=SCORES["unidentified"],
                  evidence={"payer": case.payer.detail})
    return Decision(case.receipt_id, True, (draft,), tuple(trace), case.payer, DecisionStatus.UNIDENTIFIED)


def _ambiguous_by_amount(case: Case, docs: Mapping[str, Doc], book: OpenBook, settings: Settings,
                         trace: list[str]) -> Decision | None:
    """A payer name shared by several customers: the one open document of all their scopes with that amount."""
    equal, foreign = _in_currency(case, [docs[d] for key in case.payer.scopes
                                         for d in book.equal(key, case.amount, case.rejected)[1]])
    trace.append(f"pass amounts: {len(equal)} open documents of the candidate payers have exactly {money_text(case.amount)}"
                 + _foreign_note(case, foreign))
    if not equal and foreign:
        return _foreign_by_amount(case, foreign, trace)
    if not equal:
        count, members = 0, []
        for key in case.payer.scopes:
            n, found_members = book.members(key, case.amount, case.rejected, settings.subset_max_candidates)
            count, members = count + n, members + _members_in_currency(case, docs, found_members)
        found = _by_combination(case, docs, count, sorted(members), settings, trace, ambiguous=True)
        if found is not None and found.certain:
            doc = next(docs[d.doc_no] for d in found.drafts if d.doc_no)
            payer = Payer(doc.customer_no, "amount", "the one combination of the candidate payers' documents",
                          doc.scope_key, doc.primary_no)
            return Decision(found.receipt_id, True, found.drafts, found.trace, payer, found.status)
        return found
    if len(equal) != 1:
        return None
    doc = equal[0]
    payer = Payer(doc.customer_no, "amount", "the one document of the candidate payers with that amount",
                  doc.scope_key, doc.primary_no)
    trace.append(f"  {doc.doc_no} ({doc.customer_no}) taken; it also identifies the payer")
    draft = Draft(EntryKind.DOCUMENT, case.amount, doc_no=doc.doc_no, customer_no=doc.customer_no, rule="unique_amount",
                  score=SCORES["unique_amount"], evidence={"payer": case.payer.detail})
    return Decision(case.receipt_id, True, (draft,), tuple(trace + ["verdict: applied"]), payer, DecisionStatus.APPLIED)


_DATE_PATTERNS = ("%d/%m/%Y", "%d%m%y", "%y%m%d", "%Y-%m-%d", "%d.%m.%Y", "%d%m%Y", "%Y%m%d")


def _dates_named(text: str, candidates: Sequence[date]) -> set[date]:
    found = set()
    for day in candidates:
        for pattern in _DATE_PATTERNS:
            if re.search(rf"(?<![0-9]){re.escape(day.strftime(pattern))}(?![0-9])", text):
                found.add(day)
                break
    return found


def _by_amount(case: Case, docs: Mapping[str, Doc], book: OpenBook, settings: Settings, trace: list[str]) -> Decision:
    payer = case.payer
    live_count, equal_nos = book.equal(payer.scope_key or "", case.amount, case.rejected)
    equal, foreign = _in_currency(case, [docs[d] for d in equal_nos])
    trace.append(f"pass amounts: {live_count} open documents in scope, {len(equal)} with exactly "
                 f"{money_text(case.amount)} open" + _foreign_note(case, foreign))
    if not equal and foreign:
        return _foreign_by_amount(case, foreign, trace)
    if payer.customer_type == "walk_in" and equal:
        text = f"{case.bank_text} {case.payment_ref or ''}"
        dated = [d for d in equal if d.doc_date in _dates_named(text, [d.doc_date for d in equal])]
        chosen = dated if len(dated) == 1 else (equal if len(equal) == 1 else [])
        if chosen:
            doc = chosen[0]
            trace.append(f"pass walk-in takings: {doc.doc_no} of {doc.doc_date} is the day's consolidated invoice"
                         + (" named by its date" if dated else ""))
            draft = Draft(EntryKind.DOCUMENT, case.amount, doc_no=doc.doc_no, customer_no=doc.customer_no,
                          rule="walk_in_takings", score=SCORES["walk_in_takings"],
                          evidence={"doc_date": str(doc.doc_date), "dated": bool(dated)})
            return Decision(case.receipt_id, True, (draft,), tuple(trace + ["verdict: applied"]), payer, DecisionStatus.APPLIED)
    if len(equal) == 1:
        doc = equal[0]
        trace.append(f"  {doc.doc_no} ({doc.customer_no}) is the one open document with that amount; taken")
        draft = Draft(EntryKind.DOCUMENT, case.amount, doc_no=doc.doc_no, customer_no=doc.customer_no, rule="unique_amount",
                      score=SCORES["unique_amount"], evidence={"candidates": live_count})
        return Decision(case.receipt_id, True, (draft,), tuple(trace + ["verdict: applied"]), payer, DecisionStatus.APPLIED)
    if len(equal) > 1:
        trace.append(f"  {len(equal)} documents have that amount: " + ", ".join(d.doc_no for d in equal[:10])
                     + "; proposed, none applied")
        drafts = tuple(Draft(EntryKind.DOCUMENT, case.amount, doc_no=d.doc_no, customer_no=d.customer_no, rule="unique_amount",
                             score=round(SCORES["unique_amount"] * SUGGESTION_FACTOR / len(equal), 3),
                             evidence={"note": f"{len(equal)} documents have exactly this amount"})
                       for d in equal[:MAX_SUGGESTIONS])
        return Decision(case.receipt_id, False, drafts, tuple(trace + ["verdict: suggested, nothing applied"]), payer,
                        DecisionStatus.SUGGESTED)
    count, members = book.members(payer.scope_key or "", case.amount, case.rejected, settings.subset_max_candidates)
    return _by_combination(case, docs, count, _members_in_currency(case, docs, members), settings, trace)


def _in_currency(case: Case, found: Sequence[Doc]) -> tuple[list[Doc], list[Doc]]:
    """The documents an amount pass found, split: in the receipt's currency, and not (never applied)."""
    return [d for d in found if case.same_currency(d)], [d for d in found if not case.same_currency(d)]


def _members_in_currency(case: Case, docs: Mapping[str, Doc],
                         members: Sequence[tuple[str, Sequence[tuple[str, int]]]]) -> list[tuple[str, list[tuple[str, int]]]]:
    """Each member's open items a combination may use: those in the receipt's currency (none when it is not known)."""
    out = []
    for member, items in members:
        kept = [(d, o) for d, o in items if case.same_currency(docs[d])]
        if kept:
            out.append((member, kept))
    return out


def _foreign_note(case: Case, foreign: Sequence[Doc]) -> str:
    if not foreign:
        return ""
    return "; not in the receipt's currency: " + "; ".join(case.currency_reason(d) for d in foreign[:3])


def _foreign_by_amount(case: Case, foreign: Sequence[Doc], trace: list[str]) -> Decision:
    """Only documents in another currency (or a receipt whose currency is not known) have the amount:
    a clerk decides; the matching guard (``guard.currency_review``) says why and applies nothing."""
    why = case.currency_reason(foreign[0])
    trace.append(f"  not certain: {why}")
    drafts = tuple(Draft(EntryKind.DOCUMENT, case.amount, doc_no=d.doc_no, customer_no=d.customer_no, rule="unique_amount",
                         score=round(SCORES["unique_amount"] * SUGGESTION_FACTOR / len(foreign), 3),
                         evidence={"note": case.currency_reason(d)})
                   for d in foreign[:MAX_SUGGESTIONS])
    return Decision(case.receipt_id, False, drafts, tuple(trace + ["verdict: suggested, nothing applied"]), case.payer,
                    DecisionStatus.SUGGESTED, review=f"sent to review: {why}")


def _oldest_first(case: Case, docs: Mapping[str, Doc], members: Sequence[tuple[str, Sequence[tuple[str, int]]]],
                  settings: Settings) -> list[tuple[Doc, int]] | None:
    """The one member whose oldest open invoices (two or more, in document-date order, the last of them
    older than any left out) add up to the receipt.

    A payer who pays several invoices without an advice pays its oldest first (statements list them
    so). When the subset search finds several combinations, or cannot prove one unique among a
    member's many items, that habit decides as a clerk's would: the k oldest of one member summing
    to the cent is a coincidence only about once in a million receipts, where any k of the member's
    items are not. None when no member, or more than one, fits that way."""
    found: list[list[tuple[Doc, int]]] = []
    for _, member_items in members:
        invoices = [(docs[d], o) for d, o in member_items if o > 0]
        if len(invoices) < 2:
            continue
        sums = np.cumsum([o for _, o in invoices[:settings.subset_max_items]])
        hit = np.nonzero(sums == case.amount)[0]
        k = int(hit[0]) + 1 if len(hit) else 0
        # "The k oldest" must be clear from the dates: none left out is as old as the last one taken.
        if k >= 2 and (k == len(invoices) or invoices[k - 1][0].doc_date < invoices[k][0].doc_date):
            found.append(invoices[:k])
            if len(found) > 1:
                return None
    return found[0] if found else None


def _by_combination(case: Case, docs: Mapping[str, Doc], member_count: int,
                    members: Sequence[tuple[str, Sequence[tuple[str, int]]]], settings: Settings, trace: list[str],
                    ambiguous: bool = False) -> Decision | None:
    """Narrow to the member who owes (one customer's open items), then prove a unique combination.

    ``members`` are those of the ``member_count`` members with open items whose items might fit
    (``OpenBook.members``), by customer number, each with its (doc_no, open) in date order."""
    deadline = time.monotonic() + settings.subset_time_limit
    solutions: list[list[tuple[Doc, int]]] = []
    complete = True
    skipped = []
    for member, member_items in members:
        items = [(docs[d], o) for d, o in member_items]
        result = subset_solutions([o for _, o in items], case.amount, max_items=settings.subset_max_items,
                                  max_candidates=settings.subset_max_candidates, deadline=deadline)
        if not result.complete:
            complete = False
            skipped.append(f"{member} ({result.note})")
        solutions += [[items[i] for i in combo] for combo in result.solutions]
        if len(solutions) > 5:
            break
    trace.append(f"pass combinations: searched the open items of {member_count} members one member at a time; "
                 f"{len(solutions)} combination(s) fit" + (f"; not searched fully: {'; '.join(skipped[:5])}" if skipped else ""))
    oldest = _oldest_first(case, docs, members, settings)
    if not (len(solutions) == 1 and complete) and oldest is not None:
        trace.append("  the oldest open invoices of " + oldest[0][0].customer_no + " add up to the receipt: "
                     + ", ".join(f"{d.doc_no} {money_text(o)}" for d, o in oldest)
                     + "; a payer paying without advice pays its oldest first; taken")
        drafts = tuple(Draft(EntryKind.DOCUMENT, o, doc_no=d.doc_no, customer_no=d.customer_no,
                             rule="combination+oldest_first", score=SCORES["combination"],
                             evidence={"combination": [x.doc_no for x, _ in oldest], "oldest_first": True,
                                       "other_combinations": len(solutions), "search_complete": complete})
                       for d, o in oldest)
        return Decision(case.receipt_id, True, drafts, tuple(trace + ["verdict: applied"]), case.payer,
                        DecisionStatus.APPLIED)
    if len(solutions) == 1 and complete:
        combo = solutions[0]
        trace.append("  the only combination: " + ", ".join(f"{d.doc_no} {money_text(o)}" for d, o in combo) + "; taken")
        drafts = tuple(Draft(EntryKind.DOCUMENT, o, doc_no=d.doc_no, customer_no=d.customer_no, rule="combination",
                             score=SCORES["combination"], evidence={"combination": [x.doc_no for x, _ in combo]})
                       for d, o in combo)
        return Decision(case.receipt_id, True, drafts, tuple(trace + ["verdict: applied"]), case.payer, DecisionStatus.APPLIED)
    if solutions:
        drafts = []
        for n, combo in enumerate(solutions[:5], start=1):
            trace.append(f"  combination {n}: " + ", ".join(d.doc_no for d, _ in combo))
            drafts += [Draft(EntryKind.DOCUMENT, o, doc_no=d.doc_no, customer_no=d.customer_no, rule="combination",
                             score=round(SCORES["combination"] * SUGGESTION_FACTOR / len(solutions), 3),
                             evidence={"combination": n, "of": len(solutions), "docs": [x.doc_no for x, _ in combo]})
                       for d, o in combo]
        return Decision(case.receipt_id, False, tuple(drafts), tuple(trace + ["verdict: suggested, nothing applied"]),
                        case.payer, DecisionStatus.SUGGESTED)
    if ambiguous:
        return None
    if not complete:
        trace.append("  no combination found, but the search was not complete; a clerk decides")
        return _on_account(case, case.amount, "no_match_on_account", trace, certain=False,
                           evidence={"note": "no document or combination found; search incomplete"})
    trace.append("what is left: no document or combination fits; on account")
    return _on_account(case, case.amount, "no_match_on_account", trace, certain=True,
                       evidence={"note": "no document or combination of documents fits the amount"})
