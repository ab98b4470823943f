"""Hierarchy commands: import the canonical file, change groups one step at a time, show, search and export."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from cashbook.cli.main import Parsers, print_json
from cashbook.money import format_money
from cashbook.service import Workspace


def as_of_value(text: str) -> datetime | date:
    """--as-of: a date (the end of that day) or a date and time."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            moment = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return moment.date() if fmt == "%Y-%m-%d" else moment
    raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD or 'YYYY-MM-DD HH:MM')")


def register(p: Parsers) -> None:
    sub = p.imports.add_parser("hierarchy", help="import the canonical hierarchy file (CSV or XLSX)")
    sub.add_argument("file", type=Path)
    sub.add_argument("--mapping", type=Path, help="a saved column-mapping profile (.json or .toml)")
    sub.add_argument("--json", action="store_true", help="print the report as JSON")
    sub.set_defaults(handler=_import)

    hierarchy = p.commands.add_parser("hierarchy", help="named customer groups of any depth")
    actions = hierarchy.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="create an empty group")
    create.add_argument("group")
    create.set_defaults(handler=_create)
    add = actions.add_parser("add", help="put a customer into a group")
    add.add_argument("customer")
    add.add_argument("--group", required=True)
    add.add_argument("--parent", help="a member of the group to hang the customer under (default: the top)")
    add.add_argument("--primary", action="store_true", help="make it the group's primary customer")
    add.set_defaults(handler=_add)
    move = actions.add_parser("move", help="hang a member (with its subtree) under another member")
    move.add_argument("customer")
    where = move.add_mutually_exclusive_group(required=True)
    where.add_argument("--parent")
    where.add_argument("--top", action="store_true", help="move it to the top level of its group")
    move.set_defaults(handler=_move)
    remove = actions.add_parser("remove", help="take a customer out of its group (its children move up)")
    remove.add_argument("customer")
    remove.set_defaults(handler=_remove)
    primary = actions.add_parser("set-primary", help="choose who receives the group's unallocated cash")
    primary.add_argument("group")
    primary.add_argument("customer")
    primary.set_defaults(handler=_set_primary)
    rename = actions.add_parser("rename", help="rename a group")
    rename.add_argument("group")
    rename.add_argument("new_name")
    rename.set_defaults(handler=_rename)
    show = actions.add_parser("show", help="a group's tree with balances")
    show.add_argument("group")
    show.add_argument("--as-of", type=as_of_value, help="the tree as it was on this date")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)
    listing = actions.add_parser("list", help="every group with its size and primary")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    search = actions.add_parser("search", help="find a group or member by customer number, name or bank account")
    search.add_argument("text")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=_search)

    audit = p.exports.add_parser("audit", help="every hierarchy change: who, when, what, before and after")
    audit.add_argument("file", type=Path)
    audit.set_defaults(handler=_export_audit)
    canonical = p.exports.add_parser("hierarchy", help="the canonical hierarchy file, now or as of a date")
    canonical.add_argument("file", type=Path)
    canonical.add_argument("--as-of", type=as_of_value, help="the hierarchy as it was on this date (YYYY-MM-DD)")
    canonical.set_defaults(handler=_export_hierarchy)
    items = p.exports.add_parser("group-items", help="every open item of every member of a group, with aging")
    items.add_argument("group")
    items.add_argument("file", type=Path)
    items.set_defaults(handler=_export_group_items)


def _say(lines: list[str]) -> int:
    print("\n".join(lines))
    return 0


def _import(ws: Workspace, args: argparse.Namespace) -> int:
    report = ws.import_hierarchy(args.file, mapping=args.mapping)
    if args.json:
        print_json(report.as_dict())
        return 0
    return _say(report.lines())


def _create(ws: Workspace, args: argparse.Namespace) -> int:
    return _say(ws.hierarchy.create(args.group))


def _add(ws: Workspace, args: argparse.Namespace) -> int:
    return _say(ws.hierarchy.add(args.customer, args.group, parent=args.parent, primary=args.primary))


def _move(ws: Workspace, args: argparse.Namespace) -> int:
    return _say(ws.hierarchy.move(args.customer, None if args.top else args.parent))


def _remove(ws: Workspace, args: argparse.Namespace) -> int:
    return _say(ws.hierarchy.remove(args.customer))


def _set_primary(ws: Workspace, args: argparse.Namespace) -> int:
    return _say(ws.hierarchy.set_primary(args.group, args.customer))


def _rename(ws: Workspace, args: argparse.Namespace) -> int:
    return _say(ws.hierarchy.rename(args.group, args.new_name))


def _show(ws: Workspace, args: argparse.Namespace) -> int:
    rows = ws.hierarchy.tree(args.group, as_of=args.as_of)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        return _say([f"group '{args.group}' has no members" + (f" on {args.as_of}" if args.as_of else "")])
    lines = []
    for row in rows:
        mark = "  [primary]" if row["is_primary"] else ""
        label = f"{'  ' * (row['depth'] - 1)}{row['customer_no']}  {row['name'] or ''}"
        lines.append(f"{label:<60} {format_money(row['balance']):>16} {row['currency'] or ''}{mark}")
    if not args.as_of:
        for aging in ws.hierarchy.aging(args.group):
            buckets = ", ".join(f"{k} {format_money(aging[k])}" for k in ("current", "1-30", "31-60", "61-90", "over 90"))
            lines.append(f"balance {format_money(aging['balance'])} {aging['currency']}: {buckets}")
    return _say(lines)


def _list(ws: Workspace, args: argparse.Namespace) -> int:
    rows = ws.hierarchy.groups()
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        return _say(["no groups yet; create one with `cashbook hierarchy create GROUP` or import a hierarchy file"])
    return _say([f"{r['group']:<40} {r['members']:>7,} members  primary {r['primary'] or '-'}" for r in rows])


def _search(ws: Workspace, args: argparse.Namespace) -> int:
    rows = ws.hierarchy.search(args.text)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        return _say([f"nothing found for '{args.text}'"])
    return _say([f"{r['customer_no']:<12} {(r['name'] or ''):<40} {(r['group'] or '(no group)'):<24} "
                 f"{r['matched_on']} {r['score']:.0f}" for r in rows])


def _export_audit(ws: Workspace, args: argparse.Namespace) -> int:
    count = ws.hierarchy.export_audit(args.file)
    return _say([f"wrote {count:,} hierarchy changes to {args.file}"])


def _export_hierarchy(ws: Workspace, args: argparse.Namespace) -> int:
    count = ws.hierarchy.export_file(args.file, as_of=args.as_of)
    when = f" as of {args.as_of}" if args.as_of else ""
    return _say([f"wrote {count:,} group members{when} to {args.file}"])


def _export_group_items(ws: Workspace, args: argparse.Namespace) -> int:
    count = ws.hierarchy.export_group_items(args.group, args.file)
    lines = [f"wrote {count:,} open items of group '{args.group}' to {args.file}"]
    for aging in ws.hierarchy.aging(args.group):
        buckets = ", ".join(f"{k} {format_money(aging[k])}" for k in ("current", "1-30", "31-60", "61-90", "over 90"))
        lines.append(f"balance {format_money(aging['balance'])} {aging['currency']}: {buckets}")
    return _say(lines)
