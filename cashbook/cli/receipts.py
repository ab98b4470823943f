"""Receipt commands: import remittance and bank files, export payments, list and show receipts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cashbook.cli.main import Parsers, print_json
from cashbook.money import format_money
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
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", help="one receipt with its lines and the files it came from")
    show.add_argument("ref", help="a receipt id (17 or #17) or a payment reference")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)


def _import_remittance(ws: Workspace, args: argparse.Namespace) -> int:
    reports = []
    for path in args.files:  # one file at a time, each report printed as soon as its file is done
        done = ws.receipts.import_paths([path])
        reports += done
        if not args.json:
            for report in done:
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


def _list(ws: Workspace, args: argparse.Namespace) -> int:
    frame = ws.receipts.receipts(status=args.status, limit=args.limit, offset=args.offset)
    if frame.empty:
        print("no receipts" + (f" with status {args.status}" if args.status else ""))
        return 0
    for row in frame.itertuples(index=False):
        print(f"#{row.receipt_id:<6} {row.value_date or '':<10} {format_money(row.amount):>14} {row.currency or '':<3} "
              f"{(row.payment_ref or '')[:24]:<24} {(row.payer_name or '')[:30]:<30} {row.status:<10} "
              f"{row.source_formats} ({row.lines} lines)")
    return 0


def _show(ws: Workspace, args: argparse.Namespace) -> int:
    service = ws.receipts
    receipt_id = service.find(args.ref)
    receipt, lines, sources = service.receipt(receipt_id), service.lines(receipt_id), service.sources(receipt_id)
    if args.json:
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
        print(f"    {source.kind:<6} {source.format} {source.file_name} {source.location}: "
              f"{format_money(source.amount)} {source.currency or ''} ref {source.payment_ref or '-'}{dup}")
    return 0
