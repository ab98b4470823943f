"""Matching commands: match, explain, accept, reject, and the allocations export."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

from cashbook.errors import CashbookError
from cashbook.imports import read_file
from cashbook.cli.main import Parsers, print_json
from cashbook.cli.progress import progress
from cashbook.exports import write_table
from cashbook.service import Workspace


def register(p: Parsers) -> None:
    match = p.commands.add_parser("match", help="match every receipt not yet decided; apply what is certain")
    match.add_argument("--json", action="store_true", help="print the counts as JSON (with seconds per stage)")
    match.add_argument("--timings", action="store_true",
                       help="also print the seconds each stage of the run took (payers, candidates, fuzzy, load, "
                            "decide, write)")
    match.set_defaults(handler=_match)
    explain = p.commands.add_parser("explain", help="why a receipt was matched as it was")
    explain.add_argument("payment_ref", help="a payment or bank reference, or a receipt id (#17)")
    explain.set_defaults(handler=_explain)
    accept = p.commands.add_parser("accept", help="apply suggested proposals")
    accept.add_argument("proposal_ids", nargs="+", type=int)
    accept.add_argument("--amount", action="append", default=[], metavar="ID=AMOUNT",
                        help="apply a different amount for one proposal (repeatable)")
    accept.set_defaults(handler=_accept)
    reject = p.commands.add_parser("reject", help="reject suggested proposals")
    reject.add_argument("proposal_ids", nargs="+", type=int)
    reject.add_argument("--note", default=None)
    reject.set_defaults(handler=_reject)
    export = p.exports.add_parser("allocations", help="one row per allocation: applied, suggested, on account, unidentified")
    export.add_argument("file", type=Path)
    export.set_defaults(handler=_export)
    suggestions = p.exports.add_parser(
        "suggestions", help="every suggestion waiting, as a workbook with a Decision column to fill in Excel")
    suggestions.add_argument("file", type=Path, help="an .xlsx file to write")
    suggestions.set_defaults(handler=_export_suggestions)
    decide = p.commands.add_parser("decide", help="apply the decisions written in a suggestions workbook")
    decide.add_argument("file", type=Path, help="the workbook from `cashbook export suggestions`, decided")
    decide.add_argument("--json", action="store_true")
    decide.set_defaults(handler=_decide)
    missing = p.exports.add_parser("missing-customers", help="payers unknown to the master, proposed as new customers")
    missing.add_argument("file", type=Path)
    missing.set_defaults(handler=_export_missing)


def _match(ws: Workspace, args: argparse.Namespace) -> int:
    with progress("matching") as step:
        report = ws.matching.run(progress=lambda stage, seconds: step(None, stage))
    if args.json:
        print_json(report.as_dict())
    else:
        print("\n".join(report.lines()))
        if args.timings:
            print(report.timing_line())
    return 0


def _receipt_id(ws: Workspace, text: str) -> int:
    finder = getattr(ws.receipts, "find", None)
    if finder is not None:
        return int(finder(text))
    return int(text.lstrip("#"))


def _explain(ws: Workspace, args: argparse.Namespace) -> int:
    print("\n".join(ws.matching.explain(_receipt_id(ws, args.payment_ref))))
    return 0


def _accept(ws: Workspace, args: argparse.Namespace) -> int:
    amounts = {}
    for item in args.amount:
        key, _, value = item.partition("=")
        amounts[int(key)] = Decimal(value.replace(",", ""))
    entries = ws.allocation.accept(args.proposal_ids, amounts)
    print(f"applied {len(args.proposal_ids)} proposal(s) as ledger entries {', '.join(map(str, entries))}")
    return 0


def _reject(ws: Workspace, args: argparse.Namespace) -> int:
    ws.allocation.reject(args.proposal_ids, note=args.note)
    print(f"rejected {len(args.proposal_ids)} proposal(s)")
    return 0


def _export(ws: Workspace, args: argparse.Namespace) -> int:
    with progress(f"writing {args.file}") as step:
        step(None, "allocations")
        rows = ws.matching.export_allocations(args.file)
    print(f"wrote {rows:,} allocations to {args.file}")
    return 0


def _export_missing(ws: Workspace, args: argparse.Namespace) -> int:

    rows = ws.matching.missing_customers()
    columns = ("proposed_customer_no", "payer_name", "payer_account", "first_receipt_id", "created_at", "created_by")
    count = write_table(args.file, columns, [[r[c] for c in columns] for r in rows])
    print(f"wrote {count:,} proposed customers to {args.file}")
    return 0


def _export_suggestions(ws: Workspace, args: argparse.Namespace) -> int:
    if args.file.suffix.lower() != ".xlsx":
        raise CashbookError(f"{args.file}: the suggestions workbook is an .xlsx file", title="Export refused")
    data = ws.suggestions_xlsx()
    args.file.write_bytes(data)
    from cashbook.decisions import suggestion_rows  # the workbook code loads only for the commands that use it

    count = len(suggestion_rows(ws.db))
    print(f"wrote {count:,} suggestion{'s' if count != 1 else ''} to {args.file}; fill in the Decision column, "
          f"then `cashbook decide {args.file}`")
    return 0


def _decide(ws: Workspace, args: argparse.Namespace) -> int:
    report = ws.decide_in_excel(read_file(args.file), args.file.name)
    if args.json:
        print_json(report.as_dict())
    else:
        print("\n".join(report.lines()))
    return 1 if report.refused else 0
