"""A clerk's actions on the ledger, each with one owner (``ws.allocation``): apply, on account, suspense and
its reassignment, unapply, and accepting or rejecting the matching's proposals.

The CLI, the app and notebooks all call these functions, so a clerk gets the same answer wherever
the click is. Each action checks the rules a request must meet (the payer's group, one currency,
the write-off tolerance, a reason for a deduction), appends through ``cashbook.ledger.Ledger``
(append-only, guarded, all or nothing) and then, in the same transaction, keeps the rest in step:
the clerk's choice kept as an applied proposal, the payer's alias learned, the suggestions it made
out of date superseded, the receipt's status and the customers' holds refreshed.

Nothing is over-applied: cash a receipt holds in suspense is not free to apply. A clerk moves it
with ``reassign_suspense`` (to a document or a customer), which is also how a clerk identifies
the payer of suspense cash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from cashbook import accounts as acct
from cashbook.access import Role, has_users, require, role_of
from cashbook.db import Database
from cashbook.db import allocation_sql as sql
from cashbook.db import matching_sql as msql
from cashbook.errors import (AllocationError, CurrencyMismatch, DocumentSettled, NotFound, OutsideGroup, OverAllocation,
                             ReasonMissing, SuggestionOutOfDate, ToleranceExceeded)
from cashbook.hierarchy import HierarchyService
from cashbook.ledger import AllocationRequest, Entry, Ledger, workspace_lock
from cashbook.matching.passes import alias_keys
from cashbook.matching.service import MatchingService, Proposal
from cashbook.model import EntryKind, ProposalStatus
from cashbook.money import ZERO, money, round_money
from cashbook.receipts import ReceiptService
from cashbook.settings import Settings, SettingsSource, UsesSettings

# Payer methods that already identify the payer: a clerk's placement teaches nothing new then.
IDENTIFYING_METHODS = ("payer_id", "bank_account", "alias", "name")


def to_amount(value: Decimal | int | str | None, name: str) -> Decimal:
    """A clerk's amount as money: Decimal (or its text), never a float, at most two decimals."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        raise AllocationError(f"{name} must be a Decimal amount, not a float")
    result = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if result != result.quantize(Decimal("0.01")):
        raise AllocationError(f"{name} {value} has more than two decimal places")
    return money(result)


class AllocationService(UsesSettings):
    """Every action a clerk takes on receipts' cash, in one workspace for one clerk."""

    def __init__(self, db: Database, user: str, settings: Settings | SettingsSource) -> None:
        self.db = db
        self.user = user
        self._use_settings(settings)
        self.ledger = Ledger(db, user)

    @property
    def matching(self) -> MatchingService:
        """The proposals' reader, with the settings of the moment it reads."""
        return MatchingService(self.db, self.user, self._settings_source)

    # -- lookups ------------------------------------------------------------------------------------
    def receipt_id(self, receipt_ref: str | int) -> int:
        """A receipt id from an id, '#17', or a payment or bank reference."""
        if isinstance(receipt_ref, int):
            if self.db.scalar(sql.receipt_count_sql(), [receipt_ref]) == 0:
                raise NotFound(f"there is no receipt #{receipt_ref}")
            return receipt_ref
        return ReceiptService(self.db, self.user).find(receipt_ref)

    def _receipt(self, receipt_id: int) -> dict[str, Any]:
        rows = self.db.dicts(sql.receipt_sql(), [receipt_id])
        if not rows:
            raise NotFound(f"there is no receipt #{receipt_id}")
        return rows[0]

    def _document(self, doc_no: str) -> dict[str, Any]:
        rows = self.db.dicts(sql.document_sql(), [doc_no.strip()])
        if not rows:
            raise NotFound(f"document {doc_no} is not an open item of this workspace")
        return rows[0]

    def _hierarchy(self) -> HierarchyService:
        return HierarchyService(self.db, self.user)

    def scope(self, customer_no: str) -> list[str]:
        return self._hierarchy().scope(customer_no) or [customer_no]

    def primary_of(self, customer_no: str) -> str:
        return self._hierarchy().primary_of(customer_no)

    def write_off_limit(self, doc_amount: Decimal) -> Decimal:
        """The largest write-off allowed on a document: the amount tolerance, and at most a percent of it."""
        settings = self.settings
        by_percent = round_money(abs(doc_amount) * settings.write_off_percent / Decimal(100))
        return min(settings.write_off_amount, by_percent)

    def unallocated(self, receipt_id: int) -> Decimal:
        return self.ledger.receipt_balance(receipt_id).unallocated

    # -- applying -----------------------------------------------------------------------------------
    def apply(self, requests: Sequence[AllocationRequest]) -> list[int]:
        """Apply prepared requests (a credit memo's, say) and keep statuses and holds in step."""
        require(self.db, self.user, Role.CLERK, "applying cash")
        with workspace_lock(self.db), self.db.transaction():
            ids = self.ledger.apply(requests)
            self._after(requests)
        return ids

    def apply_manual(self, receipt_ref: str | int, doc_no: str, amount: Decimal, discount: Decimal = ZERO,
                     write_off: Decimal = ZERO, deduction: Decimal = ZERO, reason_code: str | None = None,
                     *, write_off_rest: bool = False) -> list[int]:
        """Apply part or all of a receipt's unallocated cash to any open item of the payer's group, by hand."""
        require(self.db, self.user, Role.CLERK, "applying cash")
        request = self.manual_request(receipt_ref, doc_no, amount, discount, write_off, deduction, reason_code,
                                      write_off_rest=write_off_rest)
        return self._place([request])

    def manual_request(self, receipt_ref: str | int, doc_no: str, amount: Decimal, discount: Decimal = ZERO,
                       write_off: Decimal = ZERO, deduction: Decimal = ZERO, reason_code: str | None = None,
                       *, write_off_rest: bool = False) -> AllocationRequest:
        """A clerk's allocation checked against every rule (group, currency, write-off tolerance,
        deduction reason): the one place those rules live.

        ``write_off_rest`` writes off whatever the document still has open after this cash,
        discount and deduction, if that is within tolerance.
        """
        receipt_id = self.receipt_id(receipt_ref)
        receipt = self._receipt(receipt_id)
        doc = self._document(doc_no)
        amount, discount = to_amount(amount, "amount"), to_amount(discount, "discount")
        write_off, deduction = to_amount(write_off, "write-off"), to_amount(deduction, "deduction")
        if write_off_rest:
            open_now = self.ledger.open_now([doc["doc_no"]]).get(doc["doc_no"], ZERO)
            write_off = max(open_now - amount - discount - deduction, ZERO)
        if doc["status"] != "open":
            raise DocumentSettled(f"{doc['doc_no']} is already settled in the ERP")
        if receipt["currency"] and doc["currency"] and receipt["currency"] != doc["currency"]:
            raise CurrencyMismatch(f"receipt {receipt['payment_ref'] or receipt_id} is in {receipt['currency']} and "
                                  f"{doc['doc_no']} in {doc['currency']}; cash applies only within one currency")
        payer = receipt["payer_customer_no"]
        if payer and doc["customer_no"] not in self.scope(payer):
            raise OutsideGroup(f"{doc['doc_no']} belongs to customer {doc['customer_no']}, outside the group of "
                                  f"payer {payer}; apply within the payer's group, or correct the payer first")
        if min(discount, write_off, deduction) < 0:
            raise AllocationError("discount, write-off and deduction are given as positive amounts")
        limit = self.write_off_limit(doc["amount"])
        if write_off > limit and self.role_is(Role.SUPERVISOR):
            pass  # a supervisor (a named user; a workspace without users keeps the tolerance) may write off more
        elif write_off > limit and has_users(self.db):
            require(self.db, self.user, Role.SUPERVISOR,
                    f"a write-off of {write_off:,.2f} on {doc['doc_no']}, over the tolerance of {limit:,.2f},")
        elif write_off > limit:
            raise ToleranceExceeded(
                f"a write-off of {write_off:,.2f} on {doc['doc_no']} is over the tolerance of {limit:,.2f} "
                f"(at most {self.settings.write_off_amount:,.2f} and {self.settings.write_off_percent}% of the "
                f"document); record the difference as a deduction with a reason instead")
        if deduction > 0 and not (reason_code or "").strip():
            raise ReasonMissing("a deduction needs a reason code (e.g. DAMAGED, PRICING, PROMO)")
        if amount == 0 and discount == 0 and write_off == 0 and deduction == 0:
            raise AllocationError("nothing to apply: give an amount")
        return AllocationRequest(receipt_id=receipt_id, kind=EntryKind.DOCUMENT, amount=amount, doc_no=doc["doc_no"],
                                 customer_no=doc["customer_no"], discount=discount, write_off=write_off,
                                 deduction=deduction, reason_code=(reason_code or "").strip() or None,
                                 rule="manual", evidence={"by": self.user})

    def on_account(self, receipt_ref: str | int, customer_no: str | None = None,
                   amount: Decimal | None = None) -> list[int]:
        """Put a receipt's unallocated cash (or part of it) on account: by default with the primary of the payer's group."""
        require(self.db, self.user, Role.CLERK, "putting cash on account")
        receipt_id = self.receipt_id(receipt_ref)
        receipt = self._receipt(receipt_id)
        if customer_no is None or not customer_no.strip():
            if not receipt["payer_customer_no"]:
                raise AllocationError(f"receipt {receipt['payment_ref'] or receipt_id} has no identified payer; "
                                      "name the customer who holds the cash (--customer)")
            # the identified payer's primary holds it, even if the ERP has since dropped it from the master
            customer_no = self.primary_of(receipt["payer_customer_no"])
        else:
            self._require_customer(customer_no)  # a customer a clerk names must exist: no cash held for a typo
        value = self.unallocated(receipt_id) if amount is None else to_amount(amount, "amount")
        if value <= 0:
            raise AllocationError(f"receipt {receipt['payment_ref'] or receipt_id} has no unallocated cash left")
        return self._place([AllocationRequest(receipt_id=receipt_id, kind=EntryKind.ON_ACCOUNT, amount=value,
                                              customer_no=customer_no.strip(), rule="manual",
                                              evidence={"by": self.user})])

    def unidentified(self, receipt_ref: str | int, amount: Decimal | None = None) -> list[int]:
        """Put cash whose payer is not known in suspense."""
        require(self.db, self.user, Role.CLERK, "putting cash in suspense")
        receipt_id = self.receipt_id(receipt_ref)
        value = self.unallocated(receipt_id) if amount is None else to_amount(amount, "amount")
        if value <= 0:
            raise AllocationError(f"receipt #{receipt_id} has no unallocated cash left")
        request = AllocationRequest(receipt_id=receipt_id, kind=EntryKind.UNIDENTIFIED, amount=value,
                                    evidence={"by": self.user})
        with workspace_lock(self.db), self.db.transaction():
            ids = self.ledger.apply([request])
            self._after([request])
        return ids

    def reassign_suspense(self, receipt_ref: str | int, customer_no: str | None = None,
                          doc_no: str | None = None) -> list[int]:
        """Move a receipt's suspense cash to a customer (on account) or to a document, in one transaction.

        To a document: as much as it has open; the rest goes on account to the primary of its customer's group.
        The clerk has identified the payer: its alias is learned as for any placement.
        """
        require(self.db, self.user, Role.CLERK, "moving suspense cash")
        if (customer_no is None) == (doc_no is None):
            raise AllocationError("name either the customer or the document the suspense cash belongs to")
        receipt_id = self.receipt_id(receipt_ref)
        receipt = self._receipt(receipt_id)
        with workspace_lock(self.db), self.db.transaction():
            held = [e for e in self.ledger.entries(receipt_id=receipt_id, live_only=True)
                    if e.kind == EntryKind.UNIDENTIFIED]
            if not held:
                raise NotFound(f"receipt {receipt['payment_ref'] or receipt_id} has no cash in suspense")
            total = sum((e.amount for e in held), ZERO)
            requests: list[AllocationRequest] = []
            evidence = {"by": self.user, "from": "suspense"}
            if doc_no is not None:
                doc = self._document(doc_no)
                if receipt["currency"] and doc["currency"] != receipt["currency"]:
                    raise CurrencyMismatch(f"receipt is in {receipt['currency']} and {doc['doc_no']} in {doc['currency']}; "
                                           "cash applies only within one currency")
                open_now = self.ledger.open_now([doc["doc_no"]]).get(doc["doc_no"], ZERO)
                to_doc = min(total, max(open_now, ZERO))
                if to_doc > 0:
                    requests.append(AllocationRequest(receipt_id=receipt_id, kind=EntryKind.DOCUMENT, amount=to_doc,
                                                      doc_no=doc["doc_no"], customer_no=doc["customer_no"],
                                                      rule="manual", evidence=evidence))
                rest, holder = total - to_doc, self.primary_of(doc["customer_no"])
            else:
                self._require_customer(customer_no or "")
                rest, holder = total, (customer_no or "").strip()
            if rest > 0:
                requests.append(AllocationRequest(receipt_id=receipt_id, kind=EntryKind.ON_ACCOUNT, amount=rest,
                                                  customer_no=holder, rule="manual", evidence=evidence))
            self.ledger.reverse_entries([e.entry_id for e in held], reason="suspense reassigned")
            ids = self._place(requests)
        return ids

    def unapply(self, receipt_ref: str | int, doc_no: str | None = None) -> list[int]:
        """Reverse what a receipt has allocated (or only on one document); refused if that would over-apply anything."""
        receipt_id = self.receipt_id(receipt_ref)
        doc = doc_no.strip() if doc_no else None
        with workspace_lock(self.db), self.db.transaction():
            live = [e for e in self.ledger.entries(receipt_id=receipt_id, live_only=True) if doc is None or e.doc_no == doc]
            self.require_unapply(live, "unapplying")
            self._refuse_resolved_deductions(live)
            ids = self.ledger.unapply(receipt_id, doc, reason=f"unapplied by {self.user}")
            self.after_reversal(live)
        return ids

    def reverse(self, live: Sequence[Entry], reason: str) -> list[int]:
        """Reverse live entries (a credit memo's application, say, or those a supervisor reverses to settle a
        conflict with the ERP); refused if that would undo a resolved deduction or over-apply anything."""
        self.require_unapply(live, "unapplying a credit memo" if any(e.kind == EntryKind.CREDIT for e in live)
                             else "reversing")
        with workspace_lock(self.db), self.db.transaction():
            self._refuse_resolved_deductions(live)
            ids = self.ledger.reverse_entries([e.entry_id for e in live], reason=reason)
            self.after_reversal(live)
        return ids

    # -- the matching's proposals -------------------------------------------------------------------
    def accept(self, proposal_ids: Iterable[int], amounts: dict[int, Decimal] | None = None) -> list[int]:
        """Apply suggested proposals through the ledger (optionally with changed amounts); learns the payer's alias."""
        require(self.db, self.user, Role.CLERK, "accepting suggestions")
        ids = [int(i) for i in proposal_ids]
        found = self._suggested(ids, "accepted")
        amounts = amounts or {}
        self._refuse_out_of_date([found[i] for i in ids], amounts)
        requests = []
        for i in ids:
            p = found[i]
            amount = money(amounts[i]) if i in amounts else p.amount
            requests.append(AllocationRequest(p.receipt_id, EntryKind(p.kind), amount, doc_no=p.doc_no,
                                              customer_no=p.customer_no, discount=p.discount, write_off=p.write_off,
                                              deduction=p.deduction, reason_code=p.reason_code, rule=p.rule,
                                              score=p.score, evidence={"accepted": i, "by": self.user,
                                                                       **json.loads(p.evidence or "{}")}))
        receipts = sorted({found[i].receipt_id for i in ids})
        with workspace_lock(self.db), self.db.transaction():
            entry_ids = self.ledger.apply(requests)
            for i, entry_id in zip(ids, entry_ids):
                self._decide(i, ProposalStatus.APPLIED, [entry_id], amounts.get(i))
            for rid in receipts:
                customer = next((found[i].customer_no for i in ids if found[i].receipt_id == rid and found[i].customer_no), None)
                if customer:
                    self._learn_alias(rid, customer)
                self._supersede_if_done(rid)
            self._after(requests)
        return entry_ids

    def reject(self, proposal_ids: Iterable[int], note: str | None = None) -> None:
        require(self.db, self.user, Role.CLERK, "rejecting suggestions")
        ids = [int(i) for i in proposal_ids]
        found = self._suggested(ids, "rejected")
        with self.db.transaction():
            for i in ids:
                self._decide(i, ProposalStatus.REJECTED, None, None, note)
            self.refresh_status(sorted({found[i].receipt_id for i in ids}))

    # -- who may ------------------------------------------------------------------------------------
    def role_is(self, role: Role) -> bool:
        """Whether the user is a named user with ``role`` or above (False in a workspace without users)."""
        current = role_of(self.db, self.user) if has_users(self.db) else None
        return current is not None and current.allows(role)

    def require_unapply(self, live: Sequence[Entry], what: str) -> None:
        """A clerk reverses only their own entries of today; anything else needs a supervisor."""
        today = datetime.now().date()
        if all(e.created_by == self.user and e.created_at.date() == today for e in live):
            require(self.db, self.user, Role.CLERK, what)
        else:
            others = sorted({e.created_by for e in live if e.created_by != self.user})
            whose = f"allocations by {', '.join(others)}" if others else "allocations of an earlier day"
            require(self.db, self.user, Role.SUPERVISOR, f"{what} {whose}")

    # -- keeping the rest in step -------------------------------------------------------------------
    def refresh_status(self, receipt_ids: Iterable[int]) -> None:
        """Keep each receipt's stored status equal to the one derived from the ledger and its proposals."""
        ids = sorted(set(receipt_ids))
        if ids:
            self.db.execute(msql.update_receipt_status_sql(), {"ids": ids})

    def after_reversal(self, entries: Sequence[Entry]) -> None:
        """After a reversal: nothing left over-applied, statuses and holds in step."""
        self._check_after_reversal(entries)
        self.refresh_status(e.receipt_id for e in entries if e.receipt_id is not None)
        docs = [d for e in entries for d in (e.doc_no, e.source_doc_no) if d]
        self.refresh_holds_for({e.customer_no for e in entries if e.customer_no} | self._customers_of(docs))

    def refresh_holds_for(self, customers: Iterable[str]) -> None:
        wanted = sorted(set(customers))
        if wanted:
            acct.refresh_holds(self.db, self.user, self.settings, None, wanted)

    # -- internals ----------------------------------------------------------------------------------
    def _place(self, requests: Sequence[AllocationRequest]) -> list[int]:
        """A clerk places a receipt's cash: applied, kept as a manual proposal, alias learned, suggestions superseded."""
        with workspace_lock(self.db), self.db.transaction():
            entry_ids = self.ledger.apply(requests)
            for request, entry_id in zip(requests, entry_ids):
                self._record_manual(request, entry_id)
            for rid in sorted({r.receipt_id for r in requests if r.receipt_id is not None}):
                customer = next((r.customer_no for r in requests if r.receipt_id == rid and r.customer_no), None)
                if customer:
                    self._learn_alias(rid, customer)
                self._supersede_if_done(rid)
            self._after(requests)
        return entry_ids

    def _record_manual(self, request: AllocationRequest, entry_id: int) -> None:
        """The clerk's choice, kept as an applied proposal: the receipt counts as decided for the next run."""
        pid = int(self.db.rows(sql.next_proposal_id_sql())[0][0])
        self.db.execute(
            sql.insert_manual_proposal_sql(),
            [pid, request.receipt_id, request.kind, request.doc_no, request.customer_no, request.amount,
             request.discount, request.write_off, request.deduction, request.reason_code,
             json.dumps(request.evidence), [entry_id], datetime.now(), self.user])

    def _suggested(self, ids: list[int], verb: str) -> dict[int, Proposal]:
        found = {p.proposal_id: p for p in self.matching.proposals(ids=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no proposal {', '.join(map(str, missing))}")
        not_open = [f"#{i} is {found[i].status}" for i in ids if found[i].status != ProposalStatus.SUGGESTED]
        if not_open:
            raise AllocationError(f"only suggested proposals can be {verb}: " + "; ".join(not_open))
        return found

    def _refuse_out_of_date(self, chosen: Sequence[Proposal], amounts: dict[int, Decimal]) -> None:
        """A suggestion whose document another receipt has since paid cannot be accepted as it is:
        say which, so the clerk rejects it (or changes the amount) instead of meeting a bare refusal."""
        wanted: dict[str, Decimal] = {}
        for p in chosen:
            if p.kind == EntryKind.DOCUMENT and p.doc_no:
                amount = money(amounts[p.proposal_id]) if p.proposal_id in amounts else p.amount
                wanted[p.doc_no] = wanted.get(p.doc_no, ZERO) + amount + p.discount + p.write_off + p.deduction
        open_now = self.ledger.open_now(list(wanted))
        stale = []
        for doc, needed in wanted.items():
            available = open_now.get(doc, ZERO)
            if (needed > 0 and needed > available) or (needed < 0 and needed < available):
                stale.append(f"{doc} has {available:,.2f} open now but the suggestion needs {needed:,.2f}")
        if stale:
            raise SuggestionOutOfDate("out of date since another receipt was applied: " + "; ".join(stale)
                                      + ". Reject the suggestion, or change its amount.")

    def _decide(self, proposal_id: int, status: ProposalStatus, entry_ids: list[int] | None, amount: Decimal | None,
                note: str | None = None) -> None:
        self.db.execute(sql.insert_decision_sql(),
                        [proposal_id, status, money(amount) if amount is not None else None, entry_ids, datetime.now(),
                         self.user, note])

    def _supersede_if_done(self, receipt_id: int) -> None:
        """Once nothing of the receipt is left, its other suggestions are out of date."""
        if self.unallocated(receipt_id) > 0:
            return
        for p in self.matching.proposals(receipt_id, status=ProposalStatus.SUGGESTED):
            self._decide(p.proposal_id, ProposalStatus.SUPERSEDED, None, None, "the receipt is fully allocated")

    def _learn_alias(self, receipt_id: int, customer_no: str) -> None:
        """A clerk placed this payer's cash: remember its name and account, unless they already identify it."""
        row = self.db.one(sql.payer_of_receipt_sql(), [receipt_id])
        if row is None or row[2] in IDENTIFYING_METHODS:
            return
        for key in alias_keys(row[0], row[1]):
            current = self.db.scalar(sql.alias_customer_sql(), [key])
            if current != customer_no:
                self.db.execute(sql.insert_alias_sql(),
                                [key, customer_no, receipt_id, self.user, datetime.now()])
        self.db.execute(sql.set_receipt_payer_sql(), [customer_no, receipt_id])

    def _require_customer(self, customer_no: str) -> None:
        if not self.db.scalar(sql.active_customer_sql(), [customer_no.strip()]):
            raise NotFound(f"customer {customer_no} is not in the customer master")

    def _refuse_resolved_deductions(self, live: Iterable[Entry]) -> None:
        ids = [e.entry_id for e in live if e.deduction > 0]
        if not ids:
            return
        resolved = self.db.rows(sql.resolved_deductions_sql(), [ids])
        if resolved:
            listed = ", ".join(f"#{i} ({action.replace('_', ' ')})" for i, action in resolved)
            raise AllocationError(f"deductions {listed} of this allocation were already resolved; "
                                  "an allocation with a resolved deduction cannot be unapplied")

    def _check_after_reversal(self, reversed_entries: Sequence[Entry]) -> None:
        """A reversal may not leave a document or a receipt over-applied (e.g. a credit netted in a receipt)."""
        docs = sorted({d for e in reversed_entries for d in (e.doc_no, e.source_doc_no) if d})
        receipts = sorted({e.receipt_id for e in reversed_entries if e.receipt_id is not None})
        problems = []
        if docs:
            for doc, amount, open_now in self.db.rows(sql.documents_open_now_sql(), {"docs": docs}):
                if (amount >= 0 and open_now < 0) or (amount < 0 and open_now > 0):
                    problems.append(f"{doc} would be over-applied by {abs(open_now):,.2f}; unapply what else settles "
                                    f"it first")
        for receipt_id in receipts:
            balance = self.ledger.receipt_balance(receipt_id)
            allocated = balance.amount - balance.unallocated
            if allocated > balance.amount or allocated < 0:
                problems.append(f"receipt #{receipt_id} would allocate {allocated:,.2f} of its {balance.amount:,.2f}; "
                                "unapply the whole receipt instead")
        if problems:
            raise OverAllocation("; ".join(problems))

    def _after(self, requests: Sequence[AllocationRequest]) -> None:
        receipts = {r.receipt_id for r in requests if r.receipt_id is not None}
        customers = {c for r in requests for c in (r.customer_no,) if c}
        docs = [d for r in requests for d in (r.doc_no, r.source_doc_no) if d]
        self.refresh_status(receipts)
        self.refresh_holds_for(customers | self._customers_of(docs))

    def _customers_of(self, docs: Sequence[str]) -> set[str]:
        if not docs:
            return set()
        return {c for (c,) in self.db.rows(sql.customers_of_documents_sql(), [list(docs)])}
