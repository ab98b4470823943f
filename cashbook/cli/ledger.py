"""Ledger commands: apply, unapply, on account, suspense, credits, deductions, accounts, holds and their exports."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from cashbook.cli.main import Parsers, show
from cashbook.cli.progress import progress
from cashbook.errors import CashbookError
from cashbook.money import MoneyFormatError, format_money, parse_money
from cashbook.service import Workspace


def _money(text: str) -> Decimal:
    try:
        return parse_money(text)
    except MoneyFormatError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from exc


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from exc


def register(p: Parsers) -> None:
    c = p.commands
    apply = c.add_parser("apply", help="apply a receipt to a document by hand (partial amounts allowed)")
    apply.add_argument("payment_ref", metavar="PAYMENT_REF", help="payment reference or receipt id (#17)")
    apply.add_argument("doc_no", metavar="DOC_NO")
    apply.add_argument("--amount", type=_money, required=True, help="cash applied")
    apply.add_argument("--discount", type=_money, default=Decimal("0.00"))
    apply.add_argument("--write-off", dest="write_off", type=_money, default=Decimal("0.00"),
                       help="a small difference closed within the tolerance")
    apply.add_argument("--deduction", type=_money, default=Decimal("0.00"), help="short payment left open for review")
    apply.add_argument("--reason", help="the deduction's reason code")
    apply.set_defaults(handler=_apply)

    unapply = c.add_parser("unapply", help="reverse a receipt's allocations (or those on one document)")
    unapply.add_argument("payment_ref", metavar="PAYMENT_REF")
    unapply.add_argument("--doc", dest="doc_no", metavar="DOC_NO")
    unapply.set_defaults(handler=_unapply)

    on_account = c.add_parser("on-account", help="put a receipt's unallocated cash on account")
    on_account.add_argument("payment_ref", metavar="PAYMENT_REF")
    on_account.add_argument("--customer", help="who holds it (default: the primary of the payer's group)")
    on_account.add_argument("--amount", type=_money, help="default: all that is unallocated")
    on_account.set_defaults(handler=_on_account)

    suspense = c.add_parser("suspense", help="unidentified cash: put in suspense or reassign")
    actions = suspense.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    put = actions.add_parser("put", help="put a receipt's unallocated cash in suspense")
    put.add_argument("payment_ref", metavar="PAYMENT_REF")
    put.add_argument("--amount", type=_money)
    put.set_defaults(handler=_suspense_put)
    move = actions.add_parser("reassign", help="give suspense cash to a customer or a document")
    move.add_argument("payment_ref", metavar="PAYMENT_REF")
    target = move.add_mutually_exclusive_group(required=True)
    target.add_argument("--customer")
    target.add_argument("--doc", dest="doc_no")
    move.set_defaults(handler=_suspense_reassign)

    credit = c.add_parser("credit", help="the credit centre: apply, unapply, refund and list credit memos")
    credit_actions = credit.add_subparsers(dest="action", metavar="ACTION")
    credit_actions.required = True
    capply = credit_actions.add_parser("apply", help="apply a credit memo to an invoice")
    capply.add_argument("crn", metavar="CRN")
    capply.add_argument("doc_no", metavar="DOC")
    capply.add_argument("--amount", type=_money, help="default: as much as both allow")
    capply.set_defaults(handler=_credit_apply)
    cunapply = credit_actions.add_parser("unapply", help="take a credit memo back from an invoice")
    cunapply.add_argument("crn", metavar="CRN")
    cunapply.add_argument("doc_no", metavar="DOC")
    cunapply.set_defaults(handler=_credit_unapply)
    refund = credit_actions.add_parser("refund", help="refund (part of) a credit memo")
    refund.add_argument("crn", metavar="CRN")
    refund.add_argument("--amount", type=_money, required=True)
    refund.set_defaults(handler=_credit_refund)
    clist = credit_actions.add_parser("list", help="every credit memo with its status")
    clist.add_argument("--json", action="store_true")
    clist.set_defaults(handler=_credit_list)

    deduction = c.add_parser("deduction", help="deduction items: list and resolve")
    d_actions = deduction.add_subparsers(dest="action", metavar="ACTION")
    d_actions.required = True
    dlist = d_actions.add_parser("list")
    dlist.add_argument("--status", help="open, written_off, rebilled, reinstated, cancelled")
    dlist.add_argument("--json", action="store_true")
    dlist.set_defaults(handler=_deduction_list)
    resolve = d_actions.add_parser("resolve")
    resolve.add_argument("deduction_id", type=int)
    resolve.add_argument("action", choices=("write_off", "rebill", "reinstated"))
    resolve.add_argument("--new-doc", dest="new_doc_no", help="the re-bill's document number")
    resolve.add_argument("--note")
    resolve.set_defaults(handler=_deduction_resolve)

    account = c.add_parser("account", help="a customer's balance, aging, credit and hold")
    account.add_argument("customer_no", metavar="CUSTOMER")
    account.add_argument("--json", action="store_true")
    account.set_defaults(handler=_account)

    holds = c.add_parser("holds", help="holds by rule")
    h_actions = holds.add_subparsers(dest="action", metavar="ACTION")
    h_actions.required = True
    refresh = h_actions.add_parser("refresh", help="put customers outside the rules on hold, release those back inside")
    refresh.add_argument("--json", action="store_true")
    refresh.set_defaults(handler=_holds_refresh)

    missing = c.add_parser("missing-customers", help="payers and documents the customer master does not know")
    missing.add_argument("--create", action="store_true", help="make them provisional customers (needs the setting)")
    missing.add_argument("--json", action="store_true")
    missing.set_defaults(handler=_missing)

    verify = c.add_parser("verify", help="check the ledger's invariants and hash chain")
    verify.set_defaults(handler=_verify)

    e = p.exports
    post = e.add_parser("postings", help="new journals for the ERP (balanced, one per receipt)")
    post.add_argument("file", type=Path)
    post.set_defaults(handler=_export_postings)
    ecredits = e.add_parser("credits", help="the credit centre")
    ecredits.add_argument("file", type=Path)
    ecredits.set_defaults(handler=_export_credits)
    statement = e.add_parser("statement", help="a customer's statement: open items and unallocated cash")
    statement.add_argument("customer_no", metavar="CUSTOMER")
    statement.add_argument("file", type=Path)
    statement.add_argument("--from", dest="date_from", type=_date)
    statement.add_argument("--to", dest="date_to", type=_date)
    statement.set_defaults(handler=_export_statement)
    new_customers = e.add_parser("new-customers", help="provisional customers for upload to the ERP")
    new_customers.add_argument("file", type=Path)
    new_customers.set_defaults(handler=_export_new_customers)


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def _apply(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.allocation.apply_manual(a.payment_ref, a.doc_no, a.amount, a.discount, a.write_off, a.deduction, a.reason)
    print(f"applied {format_money(a.amount)} of {a.payment_ref} to {a.doc_no} (entry {_ids(ids)})")
    return 0


def _unapply(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.allocation.unapply(a.payment_ref, a.doc_no)
    print(f"unapplied {a.payment_ref}{' on ' + a.doc_no if a.doc_no else ''}: {len(ids)} reversing entries ({_ids(ids)})")
    return 0


def _on_account(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.allocation.on_account(a.payment_ref, a.customer, a.amount)
    entry = ws.allocation.ledger.entries(receipt_id=ws.allocation.receipt_id(a.payment_ref), live_only=True)
    held = [e for e in entry if e.entry_id in ids]
    print(f"{format_money(held[0].amount)} of {a.payment_ref} on account with {held[0].customer_no} (entry {_ids(ids)})")
    return 0


def _suspense_put(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.allocation.unidentified(a.payment_ref, a.amount)
    print(f"{a.payment_ref} in suspense (entry {_ids(ids)})")
    return 0


def _suspense_reassign(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.allocation.reassign_suspense(a.payment_ref, customer_no=a.customer, doc_no=a.doc_no)
    print(f"suspense cash of {a.payment_ref} reassigned to {a.customer or a.doc_no} (entries {_ids(ids)})")
    return 0


def _credit_apply(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.credits.apply(a.crn, a.doc_no, a.amount)
    entry = ws.allocation.ledger.entries(doc_no=a.doc_no, live_only=True)
    amount = next((e.amount for e in entry if e.entry_id in ids), None)
    print(f"applied {format_money(amount)} of credit {a.crn} to {a.doc_no} (entry {_ids(ids)})")
    return 0


def _credit_unapply(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.credits.unapply(a.crn, a.doc_no)
    print(f"credit {a.crn} taken back from {a.doc_no} (entry {_ids(ids)})")
    return 0


def _credit_refund(ws: Workspace, a: argparse.Namespace) -> int:
    ids = ws.credits.refund(a.crn, a.amount)
    print(f"refunded {format_money(a.amount)} of credit {a.crn} (entry {_ids(ids)})")
    return 0


def _credit_list(ws: Workspace, a: argparse.Namespace) -> int:
    from cashbook import credits  # the ledger's code loads only for the commands that use it

    memos = ws.credits.memos()
    return show(a, [dict(zip(credits.EXPORT_COLUMNS, m.export_row())) for m in memos],
                (f"{m.doc_no:<14} {m.customer_no:<10} {m.status.value:<15} amount {format_money(m.amount):>12} "
                 f"applied {format_money(m.applied_amount):>12} refunded {format_money(m.refunded_amount):>12} "
                 f"open {format_money(m.open_amount):>12}  {m.applied_to}" for m in memos),
                "no credit memos")


def _deduction_list(ws: Workspace, a: argparse.Namespace) -> int:
    rows = ws.credits.deductions(a.status)
    return show(a, rows, (f"#{r['deduction_id']:<6} {r['doc_no']:<14} {r['customer_no'] or '':<10} "
                          f"{format_money(r['amount']):>12} {r['reason_code'] or '':<10} {r['status']}" for r in rows),
                "no deductions")


def _deduction_resolve(ws: Workspace, a: argparse.Namespace) -> int:
    ws.credits.resolve_deduction(a.deduction_id, a.action, new_doc_no=a.new_doc_no, note=a.note)
    print(f"deduction #{a.deduction_id}: {a.action.replace('_', ' ')}")
    return 0


def _account(ws: Workspace, a: argparse.Namespace) -> int:
    summary = ws.accounts.account(a.customer_no)
    return show(a, summary.as_dict(), summary.lines(), "")


def _holds_refresh(ws: Workspace, a: argparse.Namespace) -> int:
    changes = ws.accounts.refresh_holds()
    return show(a, [c.__dict__ for c in changes],
                (f"{c.customer_no}: {'ON HOLD' if c.on_hold else 'released'} ({c.reason})" for c in changes),
                "no hold changed")


def _missing(ws: Workspace, a: argparse.Namespace) -> int:
    if a.create:
        created = ws.accounts.create_missing()
        print(f"{len(created)} provisional customers created" + (f": {', '.join(created)}" if created else ""))
        return 0
    found = ws.accounts.missing_customers()
    return show(a, [m.__dict__ for m in found],
                (f"{m.origin:<9} {m.customer_no or '(new)':<12} {m.name or '':<30} {m.detail}" for m in found),
                "no missing customers")


def _verify(ws: Workspace, a: argparse.Namespace) -> int:
    problems = ws.ledger.verify()
    if not problems:
        print("ledger sound: hash chain intact, nothing over-applied, every journal balanced")
        return 0
    for problem in problems:
        print(problem, file=sys.stderr)
    raise CashbookError(f"{len(problems)} problems found", title="Ledger check failed")


def _export_postings(ws: Workspace, a: argparse.Namespace) -> int:
    with progress(f"writing {a.file}") as step:
        step(None, "postings")
        report = ws.postings.export(a.file)
    print(report.summary())
    return 0


def _export_credits(ws: Workspace, a: argparse.Namespace) -> int:
    print(f"{a.file}: {ws.credits.export(a.file)} credit memos")
    return 0


def _export_statement(ws: Workspace, a: argparse.Namespace) -> int:
    print(f"{a.file}: {ws.accounts.export_statement(a.customer_no, a.file, a.date_from, a.date_to)} statement lines")
    return 0


def _export_new_customers(ws: Workspace, a: argparse.Namespace) -> int:
    print(f"{a.file}: {ws.accounts.export_new_customers(a.file)} new customers")
    return 0
