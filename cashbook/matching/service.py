"""The matching service (``ws.matching``): runs the passes, applies what is certain, and serves clerks' decisions.

A run gathers every receipt not yet decided, finds payers and candidates set-wise (SQL over the
workspace and vectorized rapidfuzz), decides receipt by receipt in value-date order with the
pure rules of ``cashbook.matching.rules`` (what an earlier receipt consumed is no longer open for
a later one), and writes proposals, applied ledger entries and an explain trace in one transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cashbook.db import Database
from cashbook.db import matching_sql as msql
from cashbook.errors import AllocationError, CashbookError, NotFound, WorkspaceError
from cashbook.exports import write_table
from cashbook.ledger import AllocationRequest, Ledger
from cashbook.matching import rules
from cashbook.matching.bulk import BulkLedger, CentsEntry, cents_array
from cashbook.matching.passes import (CustomerRow, alias_keys, fuzzy_reference_hits, identify_by_keys,
                                      identify_by_names)
from cashbook.model import DecisionStatus, EntryKind, ProposalStatus
from cashbook.money import ZERO, money
from cashbook.settings import Settings

Progress = Callable[[str, float], None]
MONEY = pa.decimal128(18, 2)
STATUSES = tuple(DecisionStatus)


@dataclass
class MatchReport:
    run_id: int | None
    receipts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    straight_through: int = 0  # receipts decided with nothing left for a clerk
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        if not self.receipts:
            return ["nothing to match: every receipt is decided or waits for a clerk"]
        rate = self.straight_through / self.receipts
        out = [f"matched {self.receipts:,} receipts in {self.seconds:.1f}s (run #{self.run_id}): "
               + ", ".join(f"{self.by_status.get(s, 0):,} {s.replace('_', ' ')}" for s in STATUSES),
               f"straight-through: {self.straight_through:,} ({rate:.1%})"]
        out += [f"  {rule}: {count:,}" for rule, count in sorted(self.by_rule.items(), key=lambda kv: -kv[1])]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "receipts": self.receipts, **{s: self.by_status.get(s, 0) for s in STATUSES},
                "straight_through": self.straight_through, "by_rule": self.by_rule, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class Proposal:
    proposal_id: int
    run_id: int | None
    receipt_id: int
    kind: str
    doc_no: str | None
    customer_no: str | None
    amount: Decimal
    discount: Decimal
    write_off: Decimal
    deduction: Decimal
    reason_code: str | None
    rule: str
    score: float | None
    evidence: str | None
    status: str
    entry_ids: tuple[int, ...]


PROPOSAL_COLUMNS = ("proposal_id", "run_id", "receipt_id", "kind", "doc_no", "customer_no", "amount", "discount",
                    "write_off", "deduction", "reason_code", "rule", "score", "evidence", "status_now", "entry_ids_now")


class MatchingService:
    """Matching for one clerk in one workspace."""

    def __init__(self, db: Database, user: str, settings: Settings | None = None) -> None:
        self.db = db
        self.user = user
        self.settings = settings or Settings()

    # -- the run ------------------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> MatchReport:
        """Match every receipt not yet decided; apply what is certain, suggest the rest."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        mark = [started]

        def step(name: str) -> None:
            now = time.perf_counter()
            timings[name] = round(now - mark[0], 3)
            mark[0] = now
            if progress:
                progress(name, now - started)

        db = self.db
        with db.transaction():
            run_id = int(db.rows("SELECT nextval('match_run_seq')")[0][0])
            db.execute("INSERT INTO match_run (run_id, started_at, run_by) VALUES (?, ?, ?)",
                       [run_id, datetime.now(), self.user])
            db.execute(msql.pending_sql())
            count = int(db.rows("SELECT count(*) FROM m_pending")[0][0])
            report = MatchReport(run_id, count)
            if count:
                self._run(run_id, report, step)
            report.seconds = time.perf_counter() - started
            report.timings = timings
            db.execute("UPDATE match_run SET finished_at = ?, receipts = ?, counts = ? WHERE run_id = ?",
                       [datetime.now(), count, json.dumps(report.as_dict()), run_id])
        return report

    def _run(self, run_id: int, report: MatchReport, step: Callable[[str], None]) -> None:
        db, settings = self.db, self.settings
        pending = _columns(_arrow(db,
            "SELECT receipt_id, payment_ref, value_date, amount_cents, payer_name, payer_account, bank_text, has_lines "
            "FROM m_pending"))
        receipt_ids, refs_p, dates, amounts, names, accounts, texts, has_lines = pending
        payers = self._payers(receipt_ids, names, accounts)
        step("payers")
        scope_rows = [(rid, p.scope_key) for rid, p in payers.items() if p.scope_key] + \
                     [(rid, s) for rid, p in payers.items() if not p.known for s in p.scopes]
        _temp_table(db, "m_payer_scope", pa.table({
            "receipt_id": pa.array([r for r, _ in scope_rows], pa.int64()),
            "scope_key": pa.array([s for _, s in scope_rows], pa.string())}))
        db.execute(msql.refs_sql())
        db.execute(msql.items_sql())
        db.execute(msql.hits_sql())
        step("candidates")
        pairs = _columns(_arrow(db, msql.fuzzy_pairs_sql(), {"max_distance": settings.fuzzy_ref_max_distance}))
        fuzzy = fuzzy_reference_hits(pairs, settings.fuzzy_ref_max_distance)
        _temp_table(db, "m_fuzzy_hit", pa.table({
            "receipt_id": pa.array([f[0] for f in fuzzy], pa.int64()), "ref_key": pa.array([f[1] for f in fuzzy], pa.int32()),
            "doc_no": pa.array([f[2] for f in fuzzy], pa.string()), "distance": pa.array([f[3] for f in fuzzy], pa.int32())}))
        step("fuzzy")
        hits: dict[int, list[rules.Hit]] = {}
        for rid, key, doc_no, tier in zip(*_columns(_arrow(db, "SELECT receipt_id, ref_key, doc_no, tier FROM m_hit"))):
            hits.setdefault(rid, []).append(rules.Hit(key, doc_no, tier))
        for rid, key, doc_no, distance in fuzzy:
            hits.setdefault(rid, []).append(rules.Hit(key, doc_no, "fuzzy", distance))
        amount_scopes = {payers[rid].scope_key for rid, lines in zip(receipt_ids, has_lines)
                         if not lines and rid not in hits and payers[rid].scope_key}
        amount_scopes |= {s for p in payers.values() if not p.known for s in p.scopes}
        _temp_table(db, "m_amount_scope", pa.table({"scope_key": pa.array(sorted(amount_scopes), pa.string())}))
        cols = _columns(_arrow(db, msql.documents_sql()))
        docs = dict(zip(cols[0], map(rules.Doc._make, zip(*cols))))
        scope_docs: dict[str, list[str]] = {}
        for doc_no, open_cents, scope_key in zip(cols[0], cols[5], cols[6]):
            if open_cents and scope_key in amount_scopes:
                scope_docs.setdefault(scope_key, []).append(doc_no)
        refs: dict[int, list[rules.Ref]] = {}
        ref_cols = _columns(_arrow(db,
            "SELECT receipt_id, ref_key, source, reference, paid_cents, gross_cents, discount_cents, adjustment_cents, "
            "reason_code, ref_type FROM m_ref ORDER BY receipt_id, ref_key"))
        for rid, ref in zip(ref_cols[0], map(rules.Ref._make, zip(*ref_cols[1:]))):
            refs.setdefault(rid, []).append(ref)
        rejected: dict[int, set[str]] = {}
        for rid, doc_no in db.rows(f"SELECT receipt_id, doc_no FROM ({msql.proposal_now_sql()}) "
                                   "WHERE status_now = 'rejected' AND doc_no IS NOT NULL "
                                   "AND receipt_id IN (SELECT receipt_id FROM m_pending)"):
            rejected.setdefault(rid, set()).add(doc_no)
        step("load")
        info = {rid: (pref, d, amt, text) for rid, pref, d, amt, text in zip(receipt_ids, refs_p, dates, amounts, texts)}
        contested = _contested(info, refs, hits, docs, payers)
        # Value-date order; receipts of one day by their payment reference and amount, not by import
        # order, so that the same receipts arriving in another order are decided the same way.
        order = sorted(receipt_ids, key=lambda r: (info[r][1] or date.min, info[r][0] or "", info[r][2], r))
        book = rules.OpenBook(docs, scope_docs)
        open_now: dict[str, int] = {}
        decisions: list[rules.Decision] = []
        no_rejections: frozenset[str] = frozenset()
        for rid in order:
            pref, value_date, amount, text = info[rid]
            case = rules.Case(rid, pref, value_date or date.min, amount, text or "", payers[rid],
                              tuple(refs.get(rid, ())), tuple(hits.get(rid, ())), contested.get(rid, {}),
                              frozenset(rejected[rid]) if rid in rejected else no_rejections)
            decision = rules.decide(case, docs, open_now, book, settings)
            if decision.certain:
                for doc_no, consumed in decision.consumed().items():
                    open_now[doc_no] = open_now.get(doc_no, docs[doc_no].open_start) - consumed
                    book.set_open(doc_no, open_now[doc_no])
            decisions.append(decision)
        step("decide")
        self._write(run_id, decisions, report)
        step("write")

    def _payers(self, receipt_ids: Sequence[int], names: Sequence[str | None],
                accounts: Sequence[str | None]) -> dict[int, rules.Payer]:
        """Each pending receipt's payer. Reads only the customers its payer ids, accounts and aliases
        name; the whole master (for names) only when some payer is left to be found by name."""
        db, settings = self.db, self.settings
        db.execute(msql.scope_sql())
        by_key: dict[int, list[tuple[str, str]]] = {}
        for receipt_id, method, customer_no in db.rows(msql.payer_keys_sql()):
            by_key.setdefault(receipt_id, []).append((method, customer_no))
        keys = sorted({k for name, account in zip(names, accounts) for k in alias_keys(name, account)})
        aliases = dict(db.rows(msql.aliases_sql(), {"keys": keys})) if keys else {}
        wanted = sorted({c for hits in by_key.values() for _, c in hits} | set(aliases.values()))
        customers = _customers(db, msql.scope_rows_sql(), {"customers": wanted}) if wanted else {}
        receipts = list(zip(receipt_ids, names, accounts))
        found, names_left = identify_by_keys(receipts, by_key, aliases, customers)
        if names_left:
            # First against the customers sharing a word with a name left (a few hundred, not the
            # whole master); only names that match none of those are compared with every customer.
            tokens = sorted({word for key in names_left for word in key.split()})
            near = [no for (no,) in db.rows(msql.name_candidates_sql(), {"tokens": tokens})]
            candidates = _customers(db, msql.scope_rows_sql(), {"customers": near}) if near else {}
            by_name = identify_by_names(names_left, candidates, settings.fuzzy_name_cutoff)
            customers = {**candidates, **customers}
            left = {key: ids for key, ids in names_left.items() if by_name[ids[0]].method == "unknown"}
            if left:
                customers = _customers(db, "SELECT customer_no, name, customer_type, scope_key, primary_no FROM m_scope")
                by_name.update(identify_by_names(left, customers, settings.fuzzy_name_cutoff))
            found.update(by_name)
        payers: dict[int, rules.Payer] = {}
        for rid in receipt_ids:
            f = found[rid]
            if f.customer_no is not None:
                c = customers[f.customer_no]
                payers[rid] = rules.Payer(c.customer_no, f.method, f.detail, c.scope_key, c.primary_no, c.customer_type)
            else:
                payers[rid] = rules.Payer(None, f.method, f.detail, scopes=f.scopes)
        return payers

    def _write(self, run_id: int, decisions: Sequence[rules.Decision], report: MatchReport) -> None:
        db = self.db
        rows: dict[str, list[Any]] = {k: [] for k in ("receipt_id", "kind", "doc_no", "customer_no", "amount", "discount",
                                                      "write_off", "deduction", "reason_code", "rule", "score",
                                                      "evidence", "status")}
        certain_at: list[int] = []  # positions of the applied drafts among the rows
        for d in decisions:
            report.by_status[d.status] = report.by_status.get(d.status, 0) + 1
            if d.certain:
                report.straight_through += 1
            status = ProposalStatus.APPLIED if d.certain else ProposalStatus.SUGGESTED
            for draft in d.drafts:
                report.by_rule[draft.rule] = report.by_rule.get(draft.rule, 0) + 1
                if d.certain:
                    certain_at.append(len(rows["rule"]))
                for key, value in (("receipt_id", d.receipt_id), ("kind", draft.kind), ("doc_no", draft.doc_no),
                                   ("customer_no", draft.customer_no), ("amount", draft.amount),
                                   ("discount", draft.discount), ("write_off", draft.write_off),
                                   ("deduction", draft.deduction), ("reason_code", draft.reason_code),
                                   ("rule", draft.rule), ("score", draft.score),
                                   ("evidence", json.dumps(dict(draft.evidence), default=str, sort_keys=True)),
                                   ("status", status)):
                    rows[key].append(value)
        entries = [CentsEntry(*(rows[k][i] for k in CentsEntry._fields)) for i in certain_at]
        entry_ids = BulkLedger(db, self.user).apply_cents(entries, "SELECT doc_no, open_cents FROM m_item")
        entry_lists: list[list[int] | None] = [None] * len(rows["rule"])
        for i, entry_id in zip(certain_at, entry_ids):
            entry_lists[i] = [entry_id]
        total = len(rows["rule"])
        first = int(db.rows("SELECT nextval('proposal_seq')")[0][0])
        if total > 1:
            db.rows(f"SELECT max(nextval('proposal_seq')) FROM range({total - 1})")
        money_columns = ("amount", "discount", "write_off", "deduction")
        table = pa.table({"proposal_id": pa.array(range(first, first + total), pa.int64()),
                          **{k: cents_array(v) if k in money_columns else
                             pa.array(v, pa.int64() if k == "receipt_id" else pa.float64() if k == "score" else pa.string())
                             for k, v in rows.items()},
                          "entry_ids": pa.array(entry_lists, pa.list_(pa.int64()))})
        _register(db, "m_proposal_arrow", table)
        db.execute(f"INSERT INTO proposal ({', '.join(table.column_names)}, run_id, created_at, created_by) "
                   f"SELECT {', '.join(table.column_names)}, $run_id, $now, $user FROM m_proposal_arrow",
                   {"run_id": run_id, "now": datetime.now(), "user": self.user})
        db.cursor().unregister("m_proposal_arrow")
        trace = pa.table({
            "receipt_id": pa.array([d.receipt_id for d in decisions], pa.int64()),
            "payer_customer_no": pa.array([d.payer.customer_no for d in decisions], pa.string()),
            "payer_method": pa.array([d.payer.method for d in decisions], pa.string()),
            "status": pa.array([d.status for d in decisions], pa.string()),
            "trace": pa.array([json.dumps(list(d.trace)) for d in decisions], pa.string())})
        _register(db, "m_trace_arrow", trace)
        db.execute("INSERT INTO match_trace SELECT $run_id, receipt_id, payer_customer_no, payer_method, status, trace "
                   "FROM m_trace_arrow", {"run_id": run_id})
        db.execute("UPDATE receipt r SET payer_customer_no = t.payer_customer_no FROM m_trace_arrow t "
                   "WHERE t.receipt_id = r.receipt_id AND t.payer_customer_no IS NOT NULL "
                   "AND r.payer_customer_no IS DISTINCT FROM t.payer_customer_no")
        db.cursor().unregister("m_trace_arrow")
        if self.settings.create_missing_customers:
            self._propose_missing_customers([d for d in decisions if d.status == DecisionStatus.UNIDENTIFIED and d.payer.scopes == ()])
        self._refresh_status([d.receipt_id for d in decisions])

    def _propose_missing_customers(self, decisions: Sequence[rules.Decision]) -> None:
        if not decisions:
            return
        rows = self.db.rows("SELECT receipt_id, payer_name, payer_account FROM receipt WHERE receipt_id IN "
                            "(SELECT unnest($ids)) ORDER BY receipt_id", {"ids": [d.receipt_id for d in decisions]})
        known = {k for (k,) in self.db.rows("SELECT payer_key FROM missing_customer")}
        serial = int(self.db.scalar("SELECT count(*) FROM missing_customer"))
        for receipt_id, name, account in rows:
            keys = alias_keys(name, account)
            if not keys or any(k in known for k in keys):
                continue
            serial += 1
            known.add(keys[0])
            self.db.execute("INSERT INTO missing_customer VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [keys[0], f"NEW{serial:05d}", name, account, receipt_id, datetime.now(), self.user])

    def _refresh_status(self, receipt_ids: Sequence[int]) -> None:
        if receipt_ids:
            self.db.execute(msql.update_receipt_status_sql(), {"ids": list(receipt_ids)})

    # -- reading ------------------------------------------------------------------------------------
    def receipt_status_sql(self) -> str:
        return msql.receipt_status_sql()

    def status_counts(self) -> dict[str, int]:
        return dict(self.db.rows(f"SELECT status, count(*) FROM ({msql.receipt_status_sql()}) GROUP BY status"))

    def proposals(self, receipt_id: int | None = None, status: str | None = None,
                  ids: Sequence[int] | None = None) -> list[Proposal]:
        conditions, params = [], {}
        if ids is not None:
            conditions.append("list_contains($ids, proposal_id)")
            params["ids"] = [int(i) for i in ids]
        if receipt_id is not None:
            conditions.append("receipt_id = $rid")
            params["rid"] = int(receipt_id)
        if status is not None:
            conditions.append("status_now = $status")
            params["status"] = status
        where = " AND ".join(conditions) or "true"
        rows = self.db.rows(f"SELECT {', '.join(PROPOSAL_COLUMNS)} FROM ({msql.proposal_now_sql()}) WHERE {where} "
                            "ORDER BY proposal_id", params)
        return [Proposal(*row[:-1], tuple(row[-1] or ())) for row in rows]

    def explain(self, receipt_id: int) -> list[str]:
        """The passes that ran for the receipt, the candidates considered and why each was taken or not."""
        receipt_id = int(receipt_id)
        if self.db.one("SELECT 1 FROM receipt WHERE receipt_id = ?", [receipt_id]) is None:
            raise NotFound(f"there is no receipt {receipt_id}")
        out: list[str] = []
        for run_id, trace in self.db.rows("SELECT run_id, trace FROM match_trace WHERE receipt_id = ? ORDER BY run_id",
                                          [receipt_id]):
            out.append(f"run #{run_id}:")
            out += [f"  {line}" for line in json.loads(trace)]
        if not out:
            out.append(f"receipt #{receipt_id} has not been matched yet (run `cashbook match`)")
        proposals = self.proposals(receipt_id)
        if proposals:
            out.append("proposals:")
            for p in proposals:
                target = p.doc_no or p.customer_no or "suspense"
                extra = "".join(f", {name} {value:,.2f}" for name, value in
                                (("discount", p.discount), ("write-off", p.write_off), ("deduction", p.deduction)) if value)
                out.append(f"  #{p.proposal_id} {p.status:<10} {p.kind:<12} {target:<14} {p.amount:>12,.2f}{extra} "
                           f"rule {p.rule} score {p.score if p.score is not None else '-'}")
        return out

    def candidates(self, receipt_id: int) -> list[dict[str, Any]]:
        """Every open document of the payer's whole group (or the payer alone), with open_now and its own customer."""
        customers = self._scope_customers(int(receipt_id))
        return self.db.dicts(msql.candidates_sql(), {"customers": customers})

    def allocations_frame(self):
        return self.db.frame(msql.allocations_sql())

    def export_allocations(self, path: str | Path) -> int:
        return write_table(path, msql.ALLOCATION_COLUMNS, self.db.rows(msql.allocations_sql()))

    def missing_customers(self) -> list[dict[str, Any]]:
        return self.db.dicts("SELECT * FROM missing_customer ORDER BY proposed_customer_no")

    # -- a clerk's decisions ----------------------------------------------------------------------
    def accept(self, proposal_ids: Iterable[int], amounts: dict[int, Decimal] | None = None) -> list[int]:
        """Apply suggested proposals through the ledger (optionally with changed amounts); learns the payer's alias."""
        ids = [int(i) for i in proposal_ids]
        found = {p.proposal_id: p for p in self.proposals(ids=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no proposal {', '.join(map(str, missing))}")
        not_open = [f"#{i} is {found[i].status}" for i in ids if found[i].status != ProposalStatus.SUGGESTED]
        if not_open:
            raise AllocationError("only suggested proposals can be accepted: " + "; ".join(not_open))
        amounts = amounts or {}
        self._refuse_out_of_date([found[i] for i in ids], amounts)
        requests = []
        for i in ids:
            p = found[i]
            amount = money(amounts[i]) if i in amounts else p.amount
            requests.append(AllocationRequest(p.receipt_id, p.kind, amount, doc_no=p.doc_no,  # type: ignore[arg-type]
                                              customer_no=p.customer_no, discount=p.discount, write_off=p.write_off,
                                              deduction=p.deduction, reason_code=p.reason_code, rule=p.rule,
                                              score=p.score, evidence={"accepted": i, "by": self.user,
                                                                       **json.loads(p.evidence or "{}")}))
        receipts = sorted({found[i].receipt_id for i in ids})
        with self.db.transaction():
            for rid in receipts:
                self._release_suspense(rid, sum((r.amount for r in requests if r.receipt_id == rid), ZERO))
            from cashbook.ledger_service import LedgerService  # keeps statuses and credit holds in step

            entry_ids = LedgerService(self.db, self.user, self.settings).apply(requests)
            for i, entry_id in zip(ids, entry_ids):
                self._decide(i, ProposalStatus.APPLIED, [entry_id], amounts.get(i))
            for rid in receipts:
                customer = next((found[i].customer_no for i in ids if found[i].receipt_id == rid and found[i].customer_no), None)
                if customer:
                    self._learn_alias(rid, customer)
                self._supersede_if_done(rid)
            self._refresh_status(receipts)
        return entry_ids

    def reject(self, proposal_ids: Iterable[int], note: str | None = None) -> None:
        ids = [int(i) for i in proposal_ids]
        found = {p.proposal_id: p for p in self.proposals(ids=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no proposal {', '.join(map(str, missing))}")
        not_open = [f"#{i} is {found[i].status}" for i in ids if found[i].status != ProposalStatus.SUGGESTED]
        if not_open:
            raise AllocationError("only suggested proposals can be rejected: " + "; ".join(not_open))
        with self.db.transaction():
            for i in ids:
                self._decide(i, ProposalStatus.REJECTED, None, None, note)
            self._refresh_status(sorted({found[i].receipt_id for i in ids}))

    def apply_manual(self, receipt_id: int, doc_no: str, amount: Decimal, discount: Decimal = ZERO,
                     write_off: Decimal = ZERO, deduction: Decimal = ZERO, reason_code: str | None = None,
                     *, write_off_rest: bool = False) -> list[int]:
        """A clerk's own allocation to any open document of the payer's group (partial allowed).

        The ledger service checks the rules; here the choice is also kept as an applied proposal,
        teaches the payer's alias and retires suggestions it makes out of date.
        """
        from cashbook.ledger_service import LedgerService  # the one owner of the rules; moves to cashbook.allocation

        request = LedgerService(self.db, self.user, self.settings).manual_request(
            int(receipt_id), doc_no, amount, discount, write_off, deduction, reason_code, write_off_rest=write_off_rest)
        return self._manual(int(receipt_id), request, request.customer_no or "")

    def put_on_account(self, receipt_id: int, customer_no: str | None = None) -> list[int]:
        """The receipt's unallocated rest on account: to the customer given, else the primary of the payer's group."""
        receipt_id = int(receipt_id)
        if customer_no is None:
            payer = self._payer_of(receipt_id)
            if payer is None:
                raise AllocationError(f"receipt {receipt_id} has no identified payer; name the customer")
            customer_no = self._primary_of(payer)
        rest = self._unallocated(receipt_id) + self._suspense(receipt_id)
        if rest <= 0:
            raise AllocationError(f"receipt {receipt_id} has nothing left to put on account")
        request = AllocationRequest(receipt_id, EntryKind.ON_ACCOUNT, rest, customer_no=customer_no, rule="manual", score=1.0,
                                    evidence={"by": self.user})
        return self._manual(receipt_id, request, customer_no)

    # -- internals ------------------------------------------------------------------------------------
    def _refuse_out_of_date(self, chosen: Sequence[Proposal], amounts: dict[int, Decimal]) -> None:
        """A suggestion whose document another receipt has since paid cannot be accepted as it is:
        say which, so the clerk rejects it (or changes the amount) instead of meeting a bare refusal."""
        wanted: dict[str, Decimal] = {}
        for p in chosen:
            if p.kind == EntryKind.DOCUMENT and p.doc_no:
                amount = money(amounts[p.proposal_id]) if p.proposal_id in amounts else p.amount
                wanted[p.doc_no] = wanted.get(p.doc_no, ZERO) + amount + p.discount + p.write_off + p.deduction
        open_now = Ledger(self.db, self.user).open_now(list(wanted))
        stale = []
        for doc, needed in wanted.items():
            available = open_now.get(doc, ZERO)
            if (needed > 0 and needed > available) or (needed < 0 and needed < available):
                stale.append(f"{doc} has {available:,.2f} open now but the suggestion needs {needed:,.2f}")
        if stale:
            raise AllocationError("out of date since another receipt was applied: " + "; ".join(stale)
                                  + ". Reject the suggestion, or change its amount.", title="Suggestion out of date")

    def _manual(self, receipt_id: int, request: AllocationRequest, customer_no: str) -> list[int]:
        with self.db.transaction():
            self._release_suspense(receipt_id, request.amount)
            from cashbook.ledger_service import LedgerService  # keeps statuses and credit holds in step

            entry_ids = LedgerService(self.db, self.user, self.settings).apply([request])
            pid = int(self.db.rows("SELECT nextval('proposal_seq')")[0][0])
            self.db.execute(
                "INSERT INTO proposal (proposal_id, run_id, receipt_id, kind, doc_no, customer_no, amount, discount, "
                "write_off, deduction, reason_code, rule, score, evidence, status, entry_ids, created_at, created_by) "
                "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'manual', 1.0, ?, 'applied', ?, ?, ?)",
                [pid, receipt_id, request.kind, request.doc_no, request.customer_no, request.amount, request.discount,
                 request.write_off, request.deduction, request.reason_code, json.dumps(request.evidence), entry_ids,
                 datetime.now(), self.user])
            self._learn_alias(receipt_id, customer_no)
            self._supersede_if_done(receipt_id)
            self._refresh_status([receipt_id])
        return entry_ids

    def _decide(self, proposal_id: int, status: str, entry_ids: list[int] | None, amount: Decimal | None,
                note: str | None = None) -> None:
        self.db.execute("INSERT INTO proposal_decision VALUES (nextval('proposal_decision_seq'), ?, ?, ?, ?, ?, ?, ?)",
                        [proposal_id, status, money(amount) if amount is not None else None, entry_ids, datetime.now(),
                         self.user, note])

    def _supersede_if_done(self, receipt_id: int) -> None:
        """Once nothing of the receipt is left, its other suggestions are out of date."""
        if self._unallocated(receipt_id) > 0:
            return
        for p in self.proposals(receipt_id, status=ProposalStatus.SUGGESTED):
            self._decide(p.proposal_id, ProposalStatus.SUPERSEDED, None, None, "the receipt is fully allocated")

    def _unallocated(self, receipt_id: int) -> Decimal:
        return self.db.scalar(f"SELECT unallocated FROM ({msql.receipt_status_sql()}) WHERE receipt_id = ?",
                              [receipt_id]) or ZERO

    def _suspense(self, receipt_id: int) -> Decimal:
        return self.db.scalar(f"SELECT unidentified FROM ({msql.receipt_status_sql()}) WHERE receipt_id = ?",
                              [receipt_id]) or ZERO

    def _release_suspense(self, receipt_id: int, needed: Decimal) -> None:
        """Cash a clerk now places was in suspense: reverse the suspense entries first."""
        if needed <= self._unallocated(receipt_id):
            return
        ledger = Ledger(self.db, self.user)
        live = [e.entry_id for e in ledger.entries(receipt_id=receipt_id, live_only=True) if e.kind == EntryKind.UNIDENTIFIED]
        if live:
            ledger.reverse_entries(live, reason="payer identified by a clerk")

    def _payer_of(self, receipt_id: int) -> str | None:
        row = self.db.one("SELECT payer_customer_no FROM receipt WHERE receipt_id = ?", [receipt_id])
        if row is None:
            raise NotFound(f"there is no receipt {receipt_id}")
        return row[0]

    def _primary_of(self, customer_no: str) -> str:
        row = self.db.one(
            "SELECT p.customer_no FROM group_member m JOIN group_member p ON p.group_id = m.group_id "
            "AND p.valid_to IS NULL AND p.is_primary WHERE m.valid_to IS NULL AND m.customer_no = ? LIMIT 1", [customer_no])
        return row[0] if row else customer_no

    def _scope_customers(self, receipt_id: int) -> list[str]:
        payer = self._payer_of(receipt_id)
        if payer is None:
            raise CashbookError(f"receipt {receipt_id} has no identified payer, so it has no group to choose from",
                                title="Payer unknown")
        rows = self.db.rows(
            "WITH g AS (SELECT group_id FROM group_member WHERE valid_to IS NULL AND customer_no = $c) "
            "SELECT customer_no FROM group_member WHERE valid_to IS NULL AND group_id IN (SELECT group_id FROM g) "
            "UNION SELECT $c", {"c": payer})
        return sorted(r[0] for r in rows)

    def _learn_alias(self, receipt_id: int, customer_no: str) -> None:
        """A clerk placed this payer's cash: remember its name and account, unless they already identify it."""
        row = self.db.one("SELECT r.payer_name, r.payer_account, t.payer_method FROM receipt r "
                          "LEFT JOIN (SELECT receipt_id, arg_max(payer_method, run_id) AS payer_method FROM match_trace "
                          "GROUP BY receipt_id) t ON t.receipt_id = r.receipt_id WHERE r.receipt_id = ?", [receipt_id])
        if row is None or row[2] in ("payer_id", "bank_account", "alias", "name"):
            return
        for key in alias_keys(row[0], row[1]):
            current = self.db.scalar("SELECT arg_max(customer_no, created_at) FROM payer_alias WHERE alias_key = ?", [key])
            if current != customer_no:
                self.db.execute("INSERT INTO payer_alias VALUES (?, ?, ?, ?, ?)",
                                [key, customer_no, receipt_id, self.user, datetime.now()])
        self.db.execute("UPDATE receipt SET payer_customer_no = ? WHERE receipt_id = ? AND payer_customer_no IS NULL",
                        [customer_no, receipt_id])


def _arrow(db: Database, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
    """A query's result as Arrow (money stays decimal), read to the end so the cursor is free again."""
    try:
        return db.cursor().sql(sql, params=params).to_arrow_table()
    except duckdb.Error as exc:
        raise WorkspaceError(f"{exc}\nin: {sql.strip()[:400]}", title="Database error") from exc


def _columns(table: pa.Table) -> list[list[Any]]:
    return [col.to_pylist() for col in table.columns]


def _register(db: Database, name: str, table: pa.Table) -> None:
    db.cursor().register(name, table)


def _temp_table(db: Database, name: str, table: pa.Table) -> None:
    """A run's temp table from Arrow columns built in Python (``name`` comes from code)."""
    _register(db, f"{name}_arrow", table)
    try:
        db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    finally:
        db.cursor().unregister(f"{name}_arrow")


def _customers(db: Database, sql: str, params: dict[str, Any] | None = None) -> dict[str, CustomerRow]:
    cols = _columns(_arrow(db, sql, params))
    return {no: CustomerRow(no, name or "", kind or "credit", scope, primary)
            for no, name, kind, scope, primary in zip(*cols)}


def _contested(info: dict[int, tuple], refs: dict[int, list[rules.Ref]], hits: dict[int, list[rules.Hit]],
               docs: dict[str, rules.Doc], payers: dict[int, rules.Payer]) -> dict[int, dict[str, tuple[int, ...]]]:
    """Documents claimed by references of two receipts of the same value date for more than is open:
    neither receipt comes first, so both go to a clerk."""
    claims: dict[tuple[str, date], dict[int, int]] = {}
    for rid, rid_hits in hits.items():
        paid = {r.key: r.paid for r in refs.get(rid, ())}
        for h in rid_hits:
            if h.tier not in ("exact", "normalized") or h.doc_no not in docs:
                continue
            claim = paid.get(h.ref_key)
            claim = info[rid][2] if claim is None else claim
            per = claims.setdefault((h.doc_no, info[rid][1]), {})
            per[rid] = max(per.get(rid, 0), claim)
    out: dict[int, dict[str, tuple[int, ...]]] = {}
    for (doc_no, _), per in claims.items():
        if len(per) < 2 or sum(per.values()) <= docs[doc_no].open_start:
            continue
        for rid in per:
            out.setdefault(rid, {})[doc_no] = tuple(sorted(r for r in per if r != rid))
    return out
