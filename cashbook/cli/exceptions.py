"""Exceptions commands: documents on which the ERP and Cashbook disagree, listed and resolved by a supervisor."""

from __future__ import annotations

import argparse

from cashbook.cli.main import Parsers, show
from cashbook.service import Workspace


def register(p: Parsers) -> None:
    exc = p.commands.add_parser("exceptions", help="documents on which the ERP and Cashbook disagree")
    actions = exc.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="open conflicts with the ERP (--all: resolved ones too)")
    listing.add_argument("--all", action="store_true", help="include resolved conflicts, with who resolved them and when")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    resolve = actions.add_parser("resolve", help="a supervisor resolves a document's conflict")
    resolve.add_argument("doc_no", metavar="DOC")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--reverse", dest="how", action="store_const", const="reverse",
                     help="reverse Cashbook's allocations the ERP has not booked (reversing ledger entries)")
    how.add_argument("--accept-erp", dest="how", action="store_const", const="accept_erp",
                     help="the ERP's figure stands: what Cashbook exported on the document counts as booked")
    resolve.add_argument("--note", help="why, for the audit trail")
    resolve.set_defaults(handler=_resolve)


def _line(c: dict) -> str:
    head = (f"#{c['conflict_id']:<5} {c['doc_no']:<14} {c['customer_no'] or '':<10} ERP {c['erp_status']:<7} "
            f"open {c['erp_open']:>12,.2f}  not exported {c['unexported']:>12,.2f}  not booked {c['pending']:>12,.2f}  "
            f"open now {c['open_now']:>12,.2f}")
    found = f"       found by import #{c['import_id']} on {c['detected_at']:%Y-%m-%d %H:%M} ({c['detected_by']}): {c['reason']}"
    lines = [head, found]
    if c["resolved_action"]:
        lines.append(f"       resolved: {c['resolved_action'].replace('_', ' ')} by {c['resolved_by']} on "
                     f"{c['resolved_at']:%Y-%m-%d %H:%M}" + (f" ({c['note']})" if c["note"] else ""))
    return "\n".join(lines)


def _list(ws: Workspace, a: argparse.Namespace) -> int:
    rows = ws.erp_sync.conflicts(open_only=not a.all)
    return show(a, rows, (_line(c) for c in rows), "no conflicts with the ERP")


def _resolve(ws: Workspace, a: argparse.Namespace) -> int:
    done = ws.erp_sync.resolve(a.doc_no, a.how, note=a.note)
    verb = "reversed Cashbook's unbooked allocations" if a.how == "reverse" else "accepted the ERP's figure"
    print(f"conflict #{done['conflict_id']} on {done['doc_no']} resolved: {verb}; "
          f"{done['open_now']:,.2f} open now (ERP {done['erp_open']:,.2f})")
    return 0
