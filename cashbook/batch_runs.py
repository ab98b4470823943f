"""Batch runs announced beside the workspace file, so the open app can say who is running what since when.

DuckDB lets one process at a time write a file. A command-line run (a scheduled import, a
matching run) first leaves a small note ``<workspace>.batch-<pid>.json`` beside the file, then
waits for the file; the app opens the file only for the length of one page run and, while a note
is there, waits and says whose run it waits for. The note goes when the run ends, and
``<workspace>.batch-last.json`` says which run ended last, so open pages redraw with its results;
a note left by a process that died is ignored and removed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class BatchRun:
    user: str
    command: str
    pid: int
    started_at: datetime

    def describe(self) -> str:
        return f"`cashbook {self.command}` by {self.user} since {self.started_at:%H:%M:%S}"


def _prefix(db_path: str | Path) -> Path:
    path = Path(db_path).expanduser().resolve()
    return path.with_name(path.name + ".batch-")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another OS user's process: it exists
        return True
    return True


@contextmanager
def announce(db_path: str | Path, user: str, command: str) -> Iterator[BatchRun]:
    """Leave the note for the length of a run (the caller opens the workspace inside)."""
    run = BatchRun(user, command, os.getpid(), datetime.now().replace(microsecond=0))
    note = Path(f"{_prefix(db_path)}{run.pid}.json")
    if str(db_path) == ":memory:":
        yield run
        return
    note.write_text(json.dumps({"user": user, "command": command, "pid": run.pid,
                                "started_at": run.started_at.isoformat()}), encoding="utf-8")
    try:
        yield run
    finally:
        note.unlink(missing_ok=True)
        done = Path(f"{_prefix(db_path)}last.json")
        done.write_text(json.dumps({"user": user, "command": command, "pid": run.pid,
                                    "started_at": run.started_at.isoformat(),
                                    "finished_at": datetime.now().replace(microsecond=0).isoformat()}),
                        encoding="utf-8")


def last_finished(db_path: str | Path) -> tuple[int, str]:
    """A mark that changes each time a batch run ends (0 before any), and what that run was, in words."""
    done = Path(f"{_prefix(db_path)}last.json")
    try:
        data = json.loads(done.read_text(encoding="utf-8"))
        mark = done.stat().st_mtime_ns
    except (OSError, ValueError):
        return 0, ""
    return mark, (f"`cashbook {data.get('command')}` by {data.get('user')} finished at "
                  f"{str(data.get('finished_at', ''))[11:19]}")


def running(db_path: str | Path) -> list[BatchRun]:
    """The batch runs now announced for a workspace, oldest first (notes of dead processes are removed)."""
    if str(db_path) == ":memory:":
        return []
    prefix = _prefix(db_path)
    found = []
    for note in prefix.parent.glob(prefix.name + "[0-9]*.json"):
        try:
            data = json.loads(note.read_text(encoding="utf-8"))
            run = BatchRun(str(data["user"]), str(data["command"]), int(data["pid"]),
                           datetime.fromisoformat(data["started_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a note being written or removed right now
        if _alive(run.pid):
            found.append(run)
        else:
            note.unlink(missing_ok=True)
    return sorted(found, key=lambda r: r.started_at)
