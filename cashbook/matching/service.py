"""The matching service (``ws.matching``): runs the passes, applies what is certain, explains, lists candidates.

A run gathers every receipt not yet decided, finds payers and candidates set-wise (SQL over the
workspace and vectorized rapidfuzz), decides receipt by receipt in value-date order with the
pure rules of ``cashbook.matching.rules`` (what an earlier receipt consumed is no longer open for
a later one), and writes proposals, applied ledger entries and an explain trace in one transaction.
"""

from __future__ import annotations

from cashbook.access import Role, require
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cashbook.db import Database
from cashbook.db import matching_sql as msql
from cashbook.errors import CashbookError, NotFound
from cashbook.exports import write_table
from cashbook.ledger import CentsEntry, Ledger, cents_array
from cashbook.matching import parallel, rules
from cashbook.matching.guard import currency_review, decision_problems, to_review
from cashbook.matching.passes import (CustomerRow, alias_keys, fuzzy_reference_hits, identify_by_keys,
                                      identify_by_names)
from cashbook.model import DecisionStatus, ProposalStatus
from cashbook.settings import Settings, SettingsSource, UsesSettings

Progress = Callable[[str, float], None]
MONEY = pa.decimal128(18, 2)
STATUSES = tuple(DecisionStatus)


@dataclass
class MatchReport:
    run_id: int | None
    receipts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    straight_through: int = 0  # receipts decided with nothing left for a clerk and the payer known
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    reviewed: list[tuple[int, str, str]] = field(default_factory=list)  # (receipt id, payment ref, why)
    notices: list[tuple[int, str, str]] = field(default_factory=list)  # possible duplicates: (receipt, doc, detail)

    def timing_line(self) -> str:
        """Seconds per stage of the run: payers, candidates, fuzzy, load, decide, write."""
        return "stages: " + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.timings.items()) \
            + f" (total {self.seconds:.2f}s)"

    def lines(self) -> list[str]:
        if not self.receipts:
            return ["nothing to match: every receipt is decided or waits for a clerk"]
        rate = self.straight_through / self.receipts
        out = [f"matched {self.receipts:,} receipts in {self.seconds:.1f}s (run #{self.run_id}): "
               + ", ".join(f"{self.by_status.get(s, 0):,} {s.replace('_', ' ')}" for s in STATUSES),
               f"straight-through: {self.straight_through:,} ({rate:.1%}; suspense is not straight-through)"]
        out += [f"  {rule}: {count:,}" for rule, count in sorted(self.by_rule.items(), key=lambda kv: -kv[1])]
        if self.notices:
            out.append(f"possible duplicate payments flagged in Exceptions ({len(self.notices):,}); their cash is on account")
        if self.reviewed:
            out.append(f"sent to review instead of applied ({len(self.reviewed):,}), the rest written:")
            out += [f"  receipt #{rid} {ref}: {why}" for rid, ref, why in self.reviewed[:50]]
            if len(self.reviewed) > 50:
                out.append(f"  and {len(self.reviewed) - 50:,} more (cashbook explain RECEIPT says why)")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "receipts": self.receipts, **{s: self.by_status.get(s, 0) for s in STATUSES},
                "straight_through": self.straight_through, "by_rule": self.by_rule, "seconds": round(self.seconds, 3),
                "timings": self.timings,
                "reviewed": [{"receipt_id": rid, "payment_ref": ref, "why": why} for rid, ref, why in self.reviewed],
                "possible_duplicates": len(self.notices)}


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


PROPOSAL_COLUMNS = msql.PROPOSAL_COLUMNS


# A proposal row as the run writes it; the first twelve are a CentsEntry's fields, in its order.
_ROW_KEYS = ("receipt_id", "kind", "doc_no", "customer_no", "amount", "discount", "write_off", "deduction",
             "reason_code", "rule", "score", "evidence", "status")


class MatchingService(UsesSettings):
    """Matching for one clerk in one workspace; settings are read when a run or a lookup starts."""

    def __init__(self, db: Database, user: str, settings: Settings | SettingsSource | None = None) -> None:
        self.db = db
        self.user = user
        self._use_settings(settings or Settings())

    # -- the run ------------------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> MatchReport:
        """Match every receipt not yet decided; apply what is certain, suggest the rest."""
        require(self.db, self.user, Role.CLERK, "running matching")
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
            run_id = int(db.rows(msql.next_run_id_sql())[0][0])
            db.execute(msql.insert_run_sql(), [run_id, datetime.now(), self.user])
            db.execute(msql.pending_sql())
            count = int(db.rows(msql.pending_count_sql())[0][0])
            report = MatchReport(run_id, count)
            if count:
                self._run(run_id, report, step)
            report.seconds = time.perf_counter() - started
            report.timings = timings
            db.execute(msql.finish_run_sql(), [datetime.now(), count, json.dumps(report.as_dict()), run_id])
        return report

    def _run(self, run_id: int, report: MatchReport, step: Callable[[str], None]) -> None:
        db, settings = self.db, self.settings
        pending = db.arrow(msql.pending_columns_sql())
        receipt_ids, refs_p, dates, amounts, names, accounts, texts, has_lines, stated, account_currencies = \
            (_pylist(c) for c in pending.columns)
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
        fuzzy = self._fuzzy()
        step("fuzzy")
        hits: dict[int, list[rules.Hit]] = {}
        for rid, key, doc_no, tier in zip(*(_pylist(c) for c in db.arrow(msql.hit_columns_sql()).columns)):
            hits.setdefault(rid, []).append(rules.Hit(key, doc_no, tier))
        for rid, key, doc_no, distance in fuzzy:
            hits.setdefault(rid, []).append(rules.Hit(key, doc_no, "fuzzy", distance))
        amount_scopes = {payers[rid].scope_key for rid, lines in zip(receipt_ids, has_lines)
                         if not lines and rid not in hits and payers[rid].scope_key}
        amount_scopes |= {s for p in payers.values() if not p.known for s in p.scopes}
        _temp_table(db, "m_amount_scope", pa.table({"scope_key": pa.array(sorted(amount_scopes), pa.string())}))
        cols = [_pylist(c) for c in db.arrow(msql.documents_sql()).columns]
        docs = rules.DocColumns(cols)
        book_cols = db.arrow(msql.book_sql())
        refs: dict[int, list[rules.Ref]] = {}
        ref_cols = [_pylist(c) for c in db.arrow(msql.ref_columns_sql()).columns]
        for rid, ref in zip(ref_cols[0], map(rules.Ref._make, zip(*ref_cols[1:]))):
            refs.setdefault(rid, []).append(ref)
        rejected: dict[int, set[str]] = {}
        for rid, doc_no in db.rows(msql.rejected_pending_sql()):
            rejected.setdefault(rid, set()).add(doc_no)
        contested: dict[int, dict[str, tuple[int, ...]]] = {}
        for rid, doc_no, others in db.rows(msql.contested_sql()):
            contested.setdefault(rid, {})[doc_no] = tuple(others)
        currencies = dict(zip(*(_pylist(c) for c in db.arrow(msql.customer_currencies_sql()).columns)))
        # A receipt no file states the currency of takes its identified payer's (as the run then writes
        # it, ``set_payers_from_sql``), else that of the company account it arrived on; one with none
        # of these is applied to no document.
        receipt_currency = {rid: cur or (currencies.get(payers[rid].customer_no) if payers[rid].known else None)
                            or held for rid, cur, held in zip(receipt_ids, stated, account_currencies)}
        step("load")
        info = {rid: (pref, d, amt, text) for rid, pref, d, amt, text in zip(receipt_ids, refs_p, dates, amounts, texts)}
        # Value-date order; receipts of one day by their payment reference and amount, not by import
        # order, so that the same receipts arriving in another order are decided the same way.
        order = sorted(receipt_ids, key=lambda r: (info[r][1] or date.min, info[r][0] or "", info[r][2], r))
        book = rules.OpenBook.from_sorted(*(_pylist(book_cols.column(i)) for i in range(3)),
                                          book_cols.column(3).to_numpy())
        no_rejections: frozenset[str] = frozenset()
        no_contest: dict[str, tuple[int, ...]] = {}

        def decide_part(part: Sequence[int]) -> _Decided:
            """Decide ``part`` in its order; what a receipt consumes is no longer open for a later one."""
            open_now: dict[str, int] = {}
            out = _Decided([], [], [])
            settled_in_run: dict[str, int] = {}  # document -> the receipt of this run that last settled some of it
            for rid in part:
                pref, value_date, amount, text = info[rid]
                case = rules.Case(rid, pref, value_date or date.min, amount, text or "", payers[rid],
                                  tuple(refs.get(rid, ())), tuple(hits.get(rid, ())), contested.get(rid, no_contest),
                                  frozenset(rejected[rid]) if rid in rejected else no_rejections,
                                  receipt_currency[rid])
                decision = rules.decide(case, docs, open_now, book, settings)
                decision = currency_review(decision, amount, case.currency, docs, currencies)
                problems = decision_problems(decision, amount, docs, open_now)
                if problems:  # one receipt never stops the run: this one goes to a clerk, the rest is written
                    decision = to_review(decision, amount, problems)
                if decision.review:
                    out.reviewed.append((rid, pref or "", decision.review))
                for kind, doc_no in decision.notices:
                    out.notices.append((rid, kind, doc_no, settled_in_run.get(doc_no)))
                if decision.certain:
                    for doc_no, consumed in decision.consumed().items():
                        open_now[doc_no] = open_now.get(doc_no, docs[doc_no].open_start) - consumed
                        book.set_open(doc_no, open_now[doc_no])
                        settled_in_run[doc_no] = rid
                out.decisions.append(decision)
            return out

        def scopes_of(rid: int) -> list[str]:
            payer = payers[rid]
            touched = [payer.scope_key or ""] if payer.known else []  # the amount book of the payer's scope
            touched += payer.scopes
            touched += [docs[h.doc_no].scope_key for h in hits.get(rid, ()) if h.doc_no in docs]
            return touched

        workers = parallel.worker_count(len(order))
        parts = parallel.independent_parts(order, scopes_of, workers) if workers > 1 else [order]
        decided = _Decided.merged(parallel.run_parts(parts, decide_part), order)
        decisions, notices = decided.decisions, decided.notices
        report.reviewed += decided.reviewed
        step("decide")
        self._write_notices(run_id, notices, report)  # before the run's entries: "earlier" means before this run
        self._write(run_id, decisions, report)
        step("write")

    def _fuzzy(self) -> list[tuple[int, int, str, int]]:
        """Near-miss references: (receipt_id, ref_key, doc_no, distance), by receipt, reference and document.

        The candidate pairs cross from SQL as two integer columns; only the few within the
        distance become rows."""
        db = self.db
        db.execute(msql.fuzzy_refs_sql())
        db.execute(msql.fuzzy_docs_sql())
        pairs = db.arrow(msql.fuzzy_pair_index_sql(), {"max_distance": self.settings.fuzzy_ref_max_distance})
        ref_rids, ref_keys, ref_norms = (_pylist(c) for c in db.arrow(msql.fuzzy_ref_columns_sql()).columns)
        doc_nos, doc_norms = (_pylist(c) for c in db.arrow(msql.fuzzy_doc_columns_sql()).columns)
        ref_idx = pairs.column(0).to_numpy()
        doc_idx = pairs.column(1).to_numpy()
        keep, distances = fuzzy_reference_hits(ref_norms, doc_norms, ref_idx, doc_idx,
                                               self.settings.fuzzy_ref_max_distance)
        found = [(ref_rids[r], ref_keys[r], doc_nos[d], int(k)) for r, d, k in
                 zip(ref_idx[keep].tolist(), doc_idx[keep].tolist(), distances.tolist())]
        found.sort(key=lambda f: (f[0], f[1], f[2]))
        _temp_table(db, "m_fuzzy_hit", pa.table({
            "receipt_id": pa.array([f[0] for f in found], pa.int64()), "ref_key": pa.array([f[1] for f in found], pa.int32()),
            "doc_no": pa.array([f[2] for f in found], pa.string()), "distance": pa.array([f[3] for f in found], pa.int32())}))
        return found

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
                customers = _customers(db, msql.all_scope_rows_sql())
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
        flat: list[tuple[Any, ...]] = []  # one row per draft, in _ROW_KEYS order
        certain_at: list[int] = []  # positions of the applied drafts among the rows
        for d in decisions:
            report.by_status[d.status] = report.by_status.get(d.status, 0) + 1
            if d.certain and d.status != DecisionStatus.UNIDENTIFIED:  # suspense waits for a clerk to find the payer
                report.straight_through += 1
            status = ProposalStatus.APPLIED if d.certain else ProposalStatus.SUGGESTED
            for draft in d.drafts:
                report.by_rule[draft.rule] = report.by_rule.get(draft.rule, 0) + 1
                if d.certain:
                    certain_at.append(len(flat))
                flat.append((d.receipt_id, draft.kind, draft.doc_no, draft.customer_no, draft.amount, draft.discount,
                             draft.write_off, draft.deduction, draft.reason_code, draft.rule, draft.score,
                             json.dumps(dict(draft.evidence), default=str, sort_keys=True), status))
        rows: dict[str, list[Any]] = {k: [row[i] for row in flat] for i, k in enumerate(_ROW_KEYS)}
        entries = [CentsEntry._make(flat[i][:len(CentsEntry._fields)]) for i in certain_at]
        entry_ids = Ledger(db, self.user).apply_cents(entries, msql.run_open_cents_sql())
        entry_lists: list[list[int] | None] = [None] * len(rows["rule"])
        for i, entry_id in zip(certain_at, entry_ids):
            entry_lists[i] = [entry_id]
        total = len(rows["rule"])
        first = int(db.rows(msql.next_id_sql("proposal_seq"))[0][0])
        if total > 1:
            db.rows(msql.reserve_ids_sql("proposal_seq", total - 1))
        money_columns = ("amount", "discount", "write_off", "deduction")
        table = pa.table({"proposal_id": pa.array(range(first, first + total), pa.int64()),
                          **{k: cents_array(v) if k in money_columns else
                             pa.array(v, pa.int64() if k == "receipt_id" else pa.float64() if k == "score" else pa.string())
                             for k, v in rows.items()},
                          "entry_ids": pa.array(entry_lists, pa.list_(pa.int64()))})
        with db.registered("m_proposal_arrow", table):
            db.execute(msql.insert_proposals_sql("m_proposal_arrow", table.column_names),
                       {"run_id": run_id, "now": datetime.now(), "user": self.user})
        trace = pa.table({
            "receipt_id": pa.array([d.receipt_id for d in decisions], pa.int64()),
            "payer_customer_no": pa.array([d.payer.customer_no for d in decisions], pa.string()),
            "payer_method": pa.array([d.payer.method for d in decisions], pa.string()),
            "status": pa.array([d.status for d in decisions], pa.string()),
            "trace": pa.array([json.dumps(list(d.trace)) for d in decisions], pa.string())})
        with db.registered("m_trace_arrow", trace):
            db.execute(msql.insert_traces_sql("m_trace_arrow"), {"run_id": run_id})
            db.execute(msql.set_payers_from_sql("m_trace_arrow"))
        if self.settings.create_missing_customers:
            self._propose_missing_customers([d for d in decisions if d.status == DecisionStatus.UNIDENTIFIED and d.payer.scopes == ()])
        db.execute(msql.update_pending_status_sql())  # every pending receipt got a decision

    def _write_notices(self, run_id: int, notices: Sequence[tuple[int, str, str, int | None]],
                       report: MatchReport) -> None:
        """Possible duplicates for Exceptions, each naming the receipt that settled the document first
        (found in this run, else in the ledger), or the ERP when no receipt of the workspace did."""
        if not notices:
            return
        wanted = sorted({doc_no for _, _, doc_no, earlier in notices if earlier is None})
        in_ledger = dict(self.db.rows(msql.settled_by_sql(), {"docs": wanted})) if wanted else {}
        earlier_ids = sorted({e for *_, e in notices if e is not None} | set(in_ledger.values()))
        refs = dict(self.db.rows(msql.payment_refs_sql(), {"ids": earlier_ids}))
        now = datetime.now()
        rows: list[tuple[int, str, str, int | None, str]] = []
        for receipt_id, kind, doc_no, earlier in notices:
            earlier = earlier if earlier is not None else in_ledger.get(doc_no)
            by = (f"receipt #{earlier}" + (f" ({refs[earlier]})" if refs.get(earlier) else "")) if earlier is not None \
                else "the ERP (no receipt of this workspace paid it)"
            detail = (f"{doc_no} was already settled by {by}; this receipt's cash went on account: "
                      "refund it or ask the customer")
            rows.append((receipt_id, kind, doc_no, earlier, detail))
            report.notices.append((receipt_id, doc_no, detail))
        first = int(self.db.rows(msql.next_id_sql("match_notice_seq"))[0][0])
        if len(rows) > 1:
            self.db.rows(msql.reserve_ids_sql("match_notice_seq", len(rows) - 1))
        n = len(rows)
        table = pa.table({"notice_id": pa.array(range(first, first + n), pa.int64()),
                          "run_id": pa.array([run_id] * n, pa.int32()),
                          "receipt_id": pa.array([r[0] for r in rows], pa.int64()),
                          "kind": pa.array([r[1] for r in rows], pa.string()),
                          "doc_no": pa.array([r[2] for r in rows], pa.string()),
                          "earlier_receipt_id": pa.array([r[3] for r in rows], pa.int64()),
                          "detail": pa.array([r[4] for r in rows], pa.string()),
                          "created_at": pa.array([now] * n, pa.timestamp("us")),
                          "created_by": pa.array([self.user] * n, pa.string())})
        with self.db.registered("m_notice_arrow", table):
            self.db.execute(msql.insert_notices_sql("m_notice_arrow"))

    def notices(self) -> list[dict[str, Any]]:
        """Possible duplicates flagged by match runs, newest first."""
        return self.db.dicts(msql.notices_newest_first_sql())

    def _propose_missing_customers(self, decisions: Sequence[rules.Decision]) -> None:
        if not decisions:
            return
        rows = self.db.rows(msql.payers_of_sql(), {"ids": [d.receipt_id for d in decisions]})
        known = {k for (k,) in self.db.rows(msql.missing_keys_sql())}
        serial = int(self.db.scalar(msql.missing_count_sql()))
        for receipt_id, name, account in rows:
            keys = alias_keys(name, account)
            if not keys or any(k in known for k in keys):
                continue
            serial += 1
            known.add(keys[0])
            self.db.execute(msql.insert_missing_customer_sql(),
                            [keys[0], f"NEW{serial:05d}", name, account, receipt_id, datetime.now(), self.user])

    # -- reading ------------------------------------------------------------------------------------
    def receipt_status_sql(self) -> str:
        return msql.receipt_status_sql()

    def status_counts(self) -> dict[str, int]:
        return dict(self.db.rows(msql.status_counts_sql()))

    def proposals(self, receipt_id: int | None = None, status: str | None = None,
                  ids: Sequence[int] | None = None) -> list[Proposal]:
        params: dict[str, Any] = {}
        if ids is not None:
            params["ids"] = [int(i) for i in ids]
        if receipt_id is not None:
            params["rid"] = int(receipt_id)
        if status is not None:
            params["status"] = status
        rows = self.db.rows(msql.proposals_sql(by_ids=ids is not None, by_receipt=receipt_id is not None,
                                               by_status=status is not None), params)
        return [Proposal(*row[:-1], tuple(row[-1] or ())) for row in rows]

    def explain(self, receipt_id: int) -> list[str]:
        """The passes that ran for the receipt, the candidates considered and why each was taken or not."""
        receipt_id = int(receipt_id)
        if self.db.one(msql.receipt_exists_sql(), [receipt_id]) is None:
            raise NotFound(f"there is no receipt {receipt_id}")
        out: list[str] = []
        for run_id, trace in self.db.rows(msql.traces_of_sql(), [receipt_id]):
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
        return self.db.dicts(msql.missing_customers_sql())

    # -- internals ------------------------------------------------------------------------------------
    def _payer_of(self, receipt_id: int) -> str | None:
        row = self.db.one(msql.payer_of_sql(), [receipt_id])
        if row is None:
            raise NotFound(f"there is no receipt {receipt_id}")
        return row[0]

    def _scope_customers(self, receipt_id: int) -> list[str]:
        payer = self._payer_of(receipt_id)
        if payer is None:
            raise CashbookError(f"receipt {receipt_id} has no identified payer, so it has no group to choose from",
                                title="Payer unknown")
        rows = self.db.rows(msql.scope_customers_sql(), {"c": payer})
        return sorted(r[0] for r in rows)


@dataclass
class _Decided:
    """What deciding some receipts gave: decisions, duplicate notices, receipts sent to review."""

    decisions: list[rules.Decision]
    notices: list[tuple[int, str, str, int | None]]  # (receipt, kind, doc, earlier receipt in this run)
    reviewed: list[tuple[int, str, str]]

    @classmethod
    def merged(cls, parts: Sequence[_Decided], order: Sequence[int]) -> _Decided:
        """The parts put back in the run's order, as one loop over ``order`` would have left them."""
        if len(parts) == 1:
            return parts[0]
        at = {rid: i for i, rid in enumerate(order)}
        return cls(sorted((d for p in parts for d in p.decisions), key=lambda d: at[d.receipt_id]),
                   sorted((n for p in parts for n in p.notices), key=lambda n: at[n[0]]),
                   sorted((r for p in parts for r in p.reviewed), key=lambda r: at[r[0]]))


def _pylist(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """An Arrow column as Python values, the same ``to_pylist`` gives, faster where that is slow:
    dates through numpy, decimals (discount percents: a handful of distinct values) through a dictionary."""
    kind = column.type
    if pa.types.is_date32(kind):  # days since 1970 through numpy (a chunked column's to_numpy would load pandas)
        if not len(column):
            return []
        days = pa.concat_arrays(column.chunks) if isinstance(column, pa.ChunkedArray) else column
        values = days.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
        out = (np.datetime64("1970-01-01", "D") + values.astype("timedelta64[D]")).astype(object).tolist()
        if days.null_count:
            for i in np.nonzero(days.is_null().to_numpy(zero_copy_only=False))[0].tolist():
                out[i] = None
        return out
    if pa.types.is_decimal(kind):
        encoded = column.dictionary_encode()
        chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
        out: list[Any] = []
        for chunk in chunks:
            values = chunk.dictionary.to_pylist()
            out += [None if i is None else values[i] for i in chunk.indices.to_pylist()]
        return out
    return column.to_pylist()


def _temp_table(db: Database, name: str, table: pa.Table) -> None:
    """A run's temp table from Arrow columns built in Python (``name`` comes from code)."""
    with db.registered(f"{name}_arrow", table):
        db.execute(msql.temp_table_from_sql(name, f"{name}_arrow"))


def _customers(db: Database, sql: str, params: dict[str, Any] | None = None) -> dict[str, CustomerRow]:
    cols = [_pylist(c) for c in db.arrow(sql, params).columns]
    return {no: CustomerRow(no, name or "", kind or "credit", scope, primary)
            for no, name, kind, scope, primary in zip(*cols)}
