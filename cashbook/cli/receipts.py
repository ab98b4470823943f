"""Receipt commands: import remittance and bank files, export payments, list and show receipts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cashbook.cli.main import Parsers, print_json, show
from cashbook.cli.progress import progress
from cashbook.errors import CashbookError
from cashbook.money import format_money
from cashbook.names import shown_file_name
from cashbook.service import Workspace


def register(p: Parsers) -> None:
    remittance = p.imports.add_parser(
        "remittance", help="import bank statements and remittance advices (camt, BAI2, MT940, 820, REMADV, NACHA, sheets)")
    remittance.add_argument("files", type=Path, nargs="+", metavar="FILE")
    remittance.add_argument("--json", action="store_true", help="print the reports as JSON")
    remittance.set_defaults(handler=_import_remittance)

    payments = p.exports.add_parser("payments", help="one row per receipt")
    payments.add_argument("file", type=Path, help="a .csv or .xlsx file to write")
    payments.set_defaults(handler=_export_payments)

    receipts = p.commands.add_parser("receipts", help="list and show receipts")
    actions = receipts.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="receipts, oldest first")
    listing.add_argument("--status", help="only receipts with this status (unmatched, suggested, applied...)")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", help="one receipt with its lines and the files it came from")
    show.add_argument("ref", help="a receipt id (17 or #17) or a payment reference")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    find = p.commands.add_parser(
        "find", help="find receipts by payer, payment reference, amount (or LOW-HIGH), bank text, receipt id, "
                     "or a document they paid, named or were proposed for")
    find.add_argument("text", help="e.g. INV500558, PAY0000231, 'Whitbread', 11294.79 or 100-200")
    find.add_argument("--limit", type=int, default=200)
    find.add_argument("--json", action="store_true")
    find.set_defaults(handler=_find)


def _import_remittance(ws: Workspace, args: argparse.Namespace) -> int:
    """The files in one batch (parsed together, written in one transaction); then each file's report."""
    count = len(args.files)
    with progress(f"importing {count} file{'s' if count != 1 else ''}") as step:
        reports = ws.receipts.import_paths(args.files, progress=step)
    if not args.json:
        for report in reports:
            print("\n".join(report.lines()), file=sys.stdout if report.ok else sys.stderr, flush=True)
    failed = [r.file for r in reports if not r.ok]
    if args.json:
        print_json({"reports": [r.as_dict() for r in reports], "failed": failed})
    else:
        if failed:
            print(f"{len(failed)} of {len(reports)} files refused: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _export_payments(ws: Workspace, args: argparse.Namespace) -> int:
    count = ws.receipts.export_payments(args.file)
    print(f"wrote {count} receipts to {args.file}")
    return 0


RECEIPT_STATUSES = ("unmatched", "suggested", "partial", "applied", "on_account", "unidentified")


def _list(ws: Workspace, args: argparse.Namespace) -> int:
    if args.status is not None and args.status not in RECEIPT_STATUSES:
        raise CashbookError(f"there is no receipt status {args.status!r}; use one of {', '.join(RECEIPT_STATUSES)}",
                            title="Unknown status")
    rows = ws.receipts.receipt_rows(status=args.status, limit=args.limit, offset=args.offset)
    return show(args, rows, (_receipt_line(row) for row in rows),
                "no receipts" + (f" with status {args.status}" if args.status else ""))


def _receipt_head(row: dict) -> str:
    """The columns every receipt line starts with; every text field may be empty (a bank entry without a reference)."""
    value_date = row["value_date"].isoformat() if row["value_date"] else "-"
    return (f"#{row['receipt_id']:<6} {value_date:<10} {format_money(row['amount']):>14} {row['currency'] or '':<3} "
            f"{(row['payment_ref'] or '-')[:24]:<24} {(row['payer_name'] or '-')[:30]:<30} {row['status']:<12}")


def _receipt_line(row: dict) -> str:
    """One receipt on one line, with where it came from."""
    return f"{_receipt_head(row)} {row['source_formats'] or '-'} ({row['lines']} lines)"


def _find(ws: Workspace, args: argparse.Namespace) -> int:
    """The receipts found, one a line with why; exactly one is shown whole, as `receipts show` would."""
    rows = ws.receipts.search(args.text, limit=args.limit)
    if len(rows) == 1 and not args.json:
        print(f"found by: {rows[0]['found_by']}")
        return _print_receipt(ws, rows[0]["receipt_id"], as_json=False)
    found = len(rows)
    lines = [f"{found} receipt{'s' if found != 1 else ''} found" + (f" (the first {args.limit})" if found == args.limit else "")]
    lines += [_found_line(row) for row in rows]
    return show(args, rows, lines if rows else [], f"no receipt fits {args.text!r}")


def _found_line(row: dict) -> str:
    """One receipt found, with why."""
    return f"{_receipt_head(row)} found by: {row['found_by']}"


def _show(ws: Workspace, args: argparse.Namespace) -> int:
    return _print_receipt(ws, ws.receipts.find(args.ref), as_json=args.json)


def _print_receipt(ws: Workspace, receipt_id: int, *, as_json: bool) -> int:
    service = ws.receipts
    receipt, lines, sources = service.receipt(receipt_id), service.lines(receipt_id), service.sources(receipt_id)
    if as_json:
        print_json({"receipt": receipt.__dict__, "lines": [line.__dict__ for line in lines],
                    "sources": [source.__dict__ for source in sources]})
        return 0
    print(f"receipt #{receipt.receipt_id} ({receipt.status}): {format_money(receipt.amount)} {receipt.currency or ''} "
          f"on {receipt.value_date or 'unknown date'}, ref {receipt.payment_ref or '-'}")
    print(f"  payer: {receipt.payer_name or '-'}  account: {receipt.payer_account or '-'}  id: {receipt.payer_id or '-'}"
          + (f"  customer: {receipt.payer_customer_no}" if receipt.payer_customer_no else ""))
    if receipt.bank_text:
        print(f"  bank text: {receipt.bank_text}")
    if receipt.advice_amount is not None and receipt.advice_amount != receipt.amount:
        print(f"  the advice says {format_money(receipt.advice_amount)}")
    print(f"  lines ({len(lines)}):")
    for line in lines:
        extra = ", ".join(f"{name} {format_money(getattr(line, name))}" for name in ("gross_amount", "discount", "adjustment")
                          if getattr(line, name) is not None)
        reason = f" [{line.reason_code}{': ' + line.adjustment_text if line.adjustment_text else ''}]" \
            if line.reason_code or line.adjustment_text else ""
        print(f"    {line.line_no:>3} {line.reference:<24} {format_money(line.paid_amount):>14}"
              f"{'  ' + extra if extra else ''}{reason}")
    print("  sources:")
    for source in sources:
        dup = f" (duplicate of source {source.duplicate_of})" if source.duplicate_of else ""
        print(f"    {source.kind:<6} {source.format} {shown_file_name(source.file_name)} {source.location}: "
              f"{format_money(source.amount)} {source.currency or ''} ref {source.payment_ref or '-'}{dup}")
    return 0
