"""User commands (``cashbook users ...``) and ``cashbook app``, which starts the workbench listening where it may."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from cashbook.access import has_users
from cashbook.cli.main import Parsers, show
from cashbook.db import open_database
from cashbook.errors import CashbookError
from cashbook.service import Workspace, default_db_path

LOCAL = "127.0.0.1"


def register(p: Parsers) -> None:
    users = p.commands.add_parser("users", help="who may work in this workspace, with which role")
    sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    sub.required = True
    add = sub.add_parser("add", help="add a user (the first must be an admin; afterwards --user names an admin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "supervisor", "admin"))
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_add)
    listing = sub.add_parser("list", help="the users, their roles and whether they are active")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    for name, text, handler in (("disable", "stop a user from signing in or running commands", _disable),
                                ("enable", "let a disabled user work again", _enable)):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("name")
        cmd.set_defaults(handler=handler)
    passwd = sub.add_parser("passwd", help="set a user's password (an admin, or users their own)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=_passwd)
    role = sub.add_parser("role", help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=("clerk", "supervisor", "admin"))
    role.set_defaults(handler=_role)
    log = sub.add_parser("log", help="every change to users, sign-in and sign-out")
    log.add_argument("name", nargs="?")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=_log)

    app = p.commands.add_parser("app", help="start the browser workbench (on this computer only, until users exist)")
    app.add_argument("--address", default=None,
                     help="where to listen: 127.0.0.1 without users; with users, every interface (0.0.0.0) by default")
    app.add_argument("--port", type=int, default=8501)
    app.set_defaults(handler=_app, needs_workspace=False)


def _password(args: argparse.Namespace, name: str) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        raise CashbookError("the two passwords differ; nothing was changed", title="Password refused")
    return first


def _add(ws: Workspace, args: argparse.Namespace) -> int:
    user = ws.users.add(args.name, args.role, _password(args, args.name))
    note = "" if user.has_password else " (no password: it works from the command line or through the proxy header)"
    print(f"added {user.name} as {user.role.value}{note}")
    return 0


def _list(ws: Workspace, args: argparse.Namespace) -> int:
    users = ws.users.list()
    lines = [f"{u.name:<24} {u.role.value:<11} {'active' if u.active else 'disabled':<9} "
             f"{'' if u.has_password else 'no password'}".rstrip() for u in users]
    return show(args, [u.as_dict() for u in users], lines,
                "no users: a one-person workspace (add an admin with `cashbook users add NAME --role admin`)")


def _disable(ws: Workspace, args: argparse.Namespace) -> int:
    print(f"disabled {ws.users.disable(args.name).name}")
    return 0


def _enable(ws: Workspace, args: argparse.Namespace) -> int:
    print(f"enabled {ws.users.enable(args.name).name}")
    return 0


def _passwd(ws: Workspace, args: argparse.Namespace) -> int:
    password = _password(args, args.name)
    if password is None:
        raise CashbookError("give the new password on standard input with --password-stdin", title="Password refused")
    print(f"password of {ws.users.set_password(args.name, password).name} changed")
    return 0


def _role(ws: Workspace, args: argparse.Namespace) -> int:
    user = ws.users.set_role(args.name, args.role)
    print(f"{user.name} is now {user.role.value}")
    return 0


def _log(ws: Workspace, args: argparse.Namespace) -> int:
    events = ws.users.events(args.name)
    lines = [f"{e['created_at']:%Y-%m-%d %H:%M:%S} {e['name']:<20} {e['action']:<15} {e['detail'] or '':<24} "
             f"by {e['created_by']}" for e in events]
    return show(args, events, lines, "no user events")


def _app(ws: None, args: argparse.Namespace) -> int:
    """Check who may reach the app, then hand over to Streamlit (the workspace is not held open meanwhile)."""
    path = str(Path(args.db or default_db_path()).expanduser().resolve())
    with Workspace(open_database(path), "cashbook app") as opened:  # starting the app names no user: it signs them in
        team = has_users(opened.db)
        upload_mb = opened.settings.upload_max_mb
    address = args.address or (os.environ.get("CASHBOOK_ADDRESS") if team else None) or ("0.0.0.0" if team else LOCAL)
    if not team and address not in (LOCAL, "localhost", "::1"):
        raise CashbookError(f"this workspace has no users, so the app listens only on this computer ({LOCAL}); add "
                            "an admin first (`cashbook users add NAME --role admin`) to open it to a team",
                            title="App not opened to the network")
    app = Path(__file__).resolve().parents[2] / "app.py"
    if not app.exists():
        raise CashbookError(f"app.py is not beside the cashbook package ({app}); run from a source checkout",
                            title="App not found")
    os.environ["CASHBOOK_DB"] = path
    os.chdir(app.parent)  # where .streamlit/config.toml keeps the app quiet and safe
    argv = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", address,
            "--server.port", str(args.port), "--server.maxUploadSize", str(upload_mb)]
    print(f"Cashbook on http://{address}:{args.port} ({'sign-in required' if team else 'one person, this computer only'})",
          flush=True)
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return
