"""Argument parsing and the error boundary: every CashbookError becomes a message and exit code 1.

Area modules (``cashbook.cli.<area>``) each add their subcommands through ``register``; an
``export KIND FILE`` kind is added to the shared ``export`` parser the same way.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import duckdb

from cashbook.db.connection import describe_failure
from cashbook.errors import CashbookError, FileRefused
from cashbook.service import Workspace, default_db_path

AREAS = ("core", "hierarchy", "receipts", "matching", "ledger", "exceptions", "users")
Handler = Callable[[Workspace, argparse.Namespace], int]


class Parsers:
    """What an area module gets to register its commands on."""

    def __init__(self, commands: argparse._SubParsersAction, imports: argparse._SubParsersAction,
                 exports: argparse._SubParsersAction) -> None:
        self.commands = commands
        self.imports = imports
        self.exports = exports


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cashbook", description="Cash allocation for accounts receivable.")
    parser.add_argument("--db", default=None, help=f"workspace file (default: $CASHBOOK_DB or ./{'cashbook.duckdb'})")
    parser.add_argument("--user", default=None,
                        help="who is working (default: $CASHBOOK_USER or your login); once the workspace has users, "
                             "an active user, whose role applies")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    import_parser = commands.add_parser("import", help="import ERP, bank and remittance files")
    imports = import_parser.add_subparsers(dest="kind", metavar="KIND")
    imports.required = True
    export_parser = commands.add_parser("export", help="write a table to a .csv or .xlsx file")
    exports = export_parser.add_subparsers(dest="kind", metavar="KIND")
    exports.required = True
    parsers = Parsers(commands, imports, exports)
    for area in AREAS:
        try:
            module = importlib.import_module(f"cashbook.cli.{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"cashbook.cli.{area}":
                raise
            continue
        module.register(parsers)
    return parser


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def show(args: argparse.Namespace, data: Any, lines: Iterable[str], empty: str) -> int:
    """Print ``data`` as JSON under --json, else the lines for a person (``empty`` when there are none)."""
    if getattr(args, "json", False):
        print_json(data)
        return 0
    text = "\n".join(lines)
    print(text or empty)
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command's words without its files, for the app's "batch run by ... since ..." notice."""
    words = [args.command] + [str(getattr(args, k)) for k in ("kind", "users_command") if getattr(args, k, None)]
    return " ".join(words)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        needs_workspace = getattr(args, "needs_workspace", True)
        if not needs_workspace:
            return handler(None, args)  # type: ignore[arg-type]
        path = args.db if args.db is not None else default_db_path()
        with Workspace.open(path, user=args.user, create=getattr(args, "creates_workspace", True),
                            batch=_command(args)) as ws:
            return handler(ws, args)
    except FileRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except CashbookError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing more was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`cashbook credit list | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (duckdb.Error, OSError) as exc:  # a full disk, a refused folder, a damaged file: one sentence
        error = describe_failure(exc)
        print(f"{error.title}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
