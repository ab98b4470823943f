"""`cashbook users ...` and the CLI as a user: --user (or $CASHBOOK_USER) must name an active user, whose role applies."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cashbook.cli.main import main
from cashbook.formats import camt
from cashbook.formats.base import ParsedPayment
from tests.test_ledger_service import TODAY, make_world
from decimal import Decimal as D


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "ws.duckdb"
    make_world(path).close()
    for name, role in (("ada", "admin"), ("batch", "clerk"), ("sam", "supervisor")):
        monkeypatch.setattr(sys, "stdin", io.StringIO(f"{name}-password\n"))
        by = [] if name == "ada" else ["--user", "ada"]
        assert main(["--db", str(path), *by, "users", "add", name, "--role", role, "--password-stdin"]) == 0
    return str(path)


def run(db: str, user: str | None, *args: str) -> int:
    return main(["--db", db, *(["--user", user] if user else []), *args])


def test_users_commands(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(db, "ada", "users", "list") == 0
    listing = capsys.readouterr().out
    assert "ada" in listing and "supervisor" in listing and "batch" in listing
    assert run(db, "ada", "users", "role", "batch", "supervisor") == 0
    assert "batch is now supervisor" in capsys.readouterr().out
    assert run(db, "ada", "users", "role", "batch", "clerk") == 0
    assert run(db, "ada", "users", "disable", "sam") == 0
    assert run(db, "sam", "status") == 1
    assert "'sam' is not an active one" in capsys.readouterr().err
    assert run(db, "ada", "users", "enable", "sam") == 0
    assert run(db, "ada", "users", "log", "--json") == 0
    log = capsys.readouterr().out
    assert '"action": "disabled"' in log and '"created_by": "ada"' in log
    assert "-password" not in log  # no password is ever logged


def test_passwd_from_stdin(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-new-password\n"))
    assert run(db, "sam", "users", "passwd", "sam", "--password-stdin") == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-new-password\n"))
    assert run(db, "sam", "users", "passwd", "batch", "--password-stdin") == 1
    assert "needs the admin role; sam is a supervisor" in capsys.readouterr().err


def test_first_user_needs_no_user_but_must_be_an_admin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "new.duckdb")
    assert run(path, None, "users", "add", "clara", "--role", "clerk") == 1
    assert "first user of a workspace must be an admin" in capsys.readouterr().err
    assert run(path, None, "users", "add", "ada", "--role", "admin") == 0
    assert run(path, None, "status") == 1  # the login name is no user of this workspace
    assert "this workspace has users" in capsys.readouterr().err


def test_roles_apply_on_the_command_line(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    advice = tmp_path / "bank2.xml"
    advice.write_bytes(camt.render([ParsedPayment("bank", "PAY7", TODAY, D("300.00"), "GBP", payer_name="Acme Group",
                                                  payer_account="GB11AAAA")]))
    capsys.readouterr()
    assert run(db, "batch", "apply", "PAY1", "INV2", "--amount", "100.00") == 0
    assert run(db, "batch", "import", "remittance", str(advice)) == 0
    assert run(db, "batch", "match") == 0
    capsys.readouterr()
    for args in (("export", "postings", str(tmp_path / "p.csv")), ("settings", "write_off_amount", "30"),
                 ("credit", "refund", "CRN1", "--amount", "10.00"), ("import", "customers", str(tmp_path / "none.csv")),
                 ("hierarchy", "add", "C3", "--group", "Acme")):
        assert run(db, "batch", *args) == 1, args
        err = capsys.readouterr().err
        assert "needs the supervisor role; batch is a clerk" in err, (args, err)
    assert not (tmp_path / "p.csv").exists()
    assert run(db, "batch", "users", "add", "eve", "--role", "clerk") == 1
    assert "needs the admin role; batch is a clerk" in capsys.readouterr().err
    assert run(db, "sam", "export", "postings", str(tmp_path / "p.csv")) == 0
    assert (tmp_path / "p.csv").exists()
    assert run(db, "mallory", "status") == 1
    assert "'mallory' is not an active one" in capsys.readouterr().err


def test_cashbook_user_from_the_environment(db: str) -> None:
    program = [shutil.which("cashbook")] if shutil.which("cashbook") else [sys.executable, "-m", "cashbook.cli.main"]
    env = {**os.environ, "CASHBOOK_DB": db, "CASHBOOK_USER": "sam"}
    done = subprocess.run([*program, "settings", "write_off_amount", "30.00"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    env["CASHBOOK_USER"] = "batch"
    done = subprocess.run([*program, "settings", "write_off_amount", "31.00"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and "needs the supervisor role; batch is a clerk" in done.stderr
    assert "Traceback" not in done.stderr


def test_app_without_users_listens_on_this_computer_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "solo.duckdb")
    make_world(Path(path)).close()
    assert run(path, None, "app", "--address", "0.0.0.0") == 1
    assert "listens only on this computer" in capsys.readouterr().err
