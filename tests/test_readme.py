"""The README's commands work as shown: each one runs, in order, on a fresh copy of the demo in data/.

The bash block of "The workspace", the console example of "Payment files" and the Python example
run in a copy of the repository's data/ folder, through the real `cashbook` command; every one
must exit 0 without a traceback. Only the two start-up scripts (`bash scripts/app` starts a
server, `bash scripts/test` runs this suite) are not run here; they are named in SKIPPED.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
SKIPPED = {"bash scripts/app", "bash scripts/test"}
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def readme_commands() -> list[str]:
    """Every shell command the README shows: lines of bash blocks, and `$ ` lines of console blocks."""
    commands = []
    for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in body.splitlines():
            if lang == "bash" and line.strip() and not line.startswith("#"):
                commands.append(line.split("  #")[0].strip())
            elif lang == "console" and line.startswith("$ "):
                commands.append(line[2:].strip())
    return [c for c in commands if c not in SKIPPED]


def readme_python() -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == "python"]


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's data/ folder (its source files only: the workspace is built by the README)."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal"))
    return root


def test_the_readme_shows_the_commands_a_clerk_needs() -> None:
    commands = readme_commands()
    names = {" ".join(shlex.split(c)[:2]) for c in commands}
    for expected in ("cashbook demo", "cashbook match", "cashbook accept", "cashbook apply", "cashbook find",
                     "cashbook export", "cashbook receipts"):
        assert expected in names, f"the README no longer shows {expected}"


def test_every_readme_command_runs_on_the_demo(demo_copy: Path) -> None:
    env = {**os.environ, "CASHBOOK_USER": "readme", "PYTHONPATH": str(ROOT)}
    env.pop("CASHBOOK_DB", None)
    env.pop("CASHBOOK_SETTINGS", None)
    cwd = demo_copy
    for command in readme_commands():
        if command.startswith("cd "):
            cwd = (cwd / command[3:].strip()).resolve()
            assert cwd.is_dir(), command
            continue
        assert command.startswith("cashbook "), f"the README shows a command this test cannot run: {command}"
        done = subprocess.run([sys.executable, "-c", "import sys; from cashbook.cli import main; sys.exit(main())",
                               *shlex.split(command)[1:]] if "*" not in command else
                              ["bash", "-c", f"{shlex.quote(sys.executable)} -c 'import sys; from cashbook.cli import "
                               f"main; sys.exit(main())' {command[len('cashbook '):]}"],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"`{command}` in {cwd} exited {done.returncode}:\n{output[-3000:]}"
        assert "Traceback" not in output, f"`{command}`:\n{output[-3000:]}"
        assert output.strip(), f"`{command}` said nothing"


def test_the_readme_python_example_runs(demo_copy: Path) -> None:
    """After the commands (the workspace exists in data/), the Python example runs from the folder above."""
    if not (demo_copy / "data" / "cashbook.duckdb").exists():
        from cashbook.demo import build_demo_workspace

        build_demo_workspace(demo_copy / "data")
    for code in readme_python():
        done = subprocess.run([sys.executable, "-c", code], cwd=demo_copy, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr and done.stdout.strip()
