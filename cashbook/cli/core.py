"""Core commands: ERP imports, status, the import history and the demo world."""

from __future__ import annotations

import argparse
from pathlib import Path

from cashbook.cli.main import Parsers, print_json
from cashbook.cli.progress import progress
from cashbook.names import shown_file_name
from cashbook.errors import CashbookError
from cashbook.service import Workspace


def register(p: Parsers) -> None:
    for kind, text in (("customers", "the ERP customer master"), ("items", "the ERP open items")):
        sub = p.imports.add_parser(kind, help=f"import {text} (CSV or XLSX)")
        sub.add_argument("file", type=Path)
        sub.add_argument("--mapping", type=Path, help="a saved column-mapping profile (.json or .toml)")
        sub.add_argument("--json", action="store_true", help="print the report as JSON")
        sub.set_defaults(handler=_import_table, table=kind)

    status = p.commands.add_parser("status", help="what the workspace holds")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status, creates_workspace=False)

    settings = p.commands.add_parser(
        "settings", help="show the settings, or keep one in the workspace (e.g. create_missing_customers true)")
    settings.add_argument("key", nargs="?", help="a setting, e.g. write_off_amount or accounts.bank")
    settings.add_argument("value", nargs="?")
    settings.add_argument("--json", action="store_true")
    settings.set_defaults(handler=_settings)

    demo = p.commands.add_parser("demo", help="write a realistic demo world (source files and a workspace)")
    demo.add_argument("dir", type=Path)
    demo.add_argument("--customers", type=int, default=None, help="how many customers (default: a small world)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--no-workspace", action="store_true", help="write only the source files")
    demo.add_argument("--no-match", action="store_true", help="import the files but leave matching to the clerk")
    demo.add_argument("--from-files", action="store_true",
                      help="build the workspace from the demo files already in DIR, without rewriting them")
    demo.add_argument("--conventions", choices=("standard", "varied"), default="standard",
                      help="varied: every bank and customer writes its files its own way (formats, payer text, "
                           "currency stated or not, advice habits)")
    demo.set_defaults(handler=_demo, needs_workspace=False)


def _import_table(ws: Workspace, args: argparse.Namespace) -> int:
    method = ws.import_customers if args.table == "customers" else ws.import_items
    with progress(f"importing {args.file.name}") as step:
        report = method(args.file, mapping=args.mapping, progress=step)
    if args.json:
        print_json(report.as_dict())
    else:
        print("\n".join(report.lines()))
    return 0


def _status(ws: Workspace, args: argparse.Namespace) -> int:
    status = ws.status()
    if args.json:
        print_json(status)
        return 0
    print(f"workspace {status['workspace']} (schema version {status['schema_version']})")
    for key in ("customers", "open_items", "groups", "group_members", "payments"):
        print(f"  {key.replace('_', ' ')}: {status[key]:,}")
    if status["last_imports"]:
        print("last imports:")
        for row in status["last_imports"]:
            print(f"  #{row['import_id']} {row['imported_at']} {row['kind']:<10} {shown_file_name(row['file_name'])} "
                  f"({row['rows']:,} rows, by {row['imported_by']})")
    return 0


def _settings(ws: Workspace, args: argparse.Namespace) -> int:
    if args.key is not None and args.value is None:
        raise CashbookError(f"give a value for {args.key}: cashbook settings {args.key} VALUE", title="Setting refused")
    current = ws.set_setting(args.key, args.value) if args.key is not None else ws.settings
    values = current.as_dict()
    if args.json:
        print_json(values)
        return 0
    accounts = values.pop("accounts")
    for key, value in values.items():
        print(f"{key:<26} {value}")
    for key, value in accounts.items():
        print(f"accounts.{key:<17} {value}")
    return 0


def _demo(ws: None, args: argparse.Namespace) -> int:
    # loaded for this command only: the demo worlds' generators cost every other command a second under load
    from cashbook.demo import build_demo_workspace, has_demo_files, write_demo

    if args.from_files:
        if not has_demo_files(args.dir):
            raise CashbookError(f"{args.dir} holds no demo files (erp/customers.csv, erp/open_items.csv, "
                                f"erp/hierarchy.csv); `cashbook demo {args.dir}` writes them", title="Demo refused")
        with progress(f"building the workspace from {args.dir}") as step:
            step(None, "imports and a matching run")
            summary = build_demo_workspace(args.dir, user=args.user, match=not args.no_match)
        for line in summary:
            print(line)
        return 0
    with progress(f"writing the demo world to {args.dir}") as step:
        step(None, "files, imports and a matching run")
        summary = write_demo(args.dir, seed=args.seed, customers=args.customers,
                             workspace=not args.no_workspace, user=args.user, match=not args.no_match,
                             conventions=args.conventions)
    for line in summary:
        print(line)
    return 0


