"""Deciding independent receipts on several cores, with the same result as one core.

Receipts are decided in value-date order because an earlier receipt consumes what a later one
could have taken. But a receipt only ever reads and consumes documents of the scopes it touches:
its payer's group (or, for an unsure payer, the candidate groups) and the groups of the documents
its references hit. Receipts whose scopes never meet cannot see each other's consumption, so the
run splits into independent parts (connected scopes, a few hundred receipts at most on the
demo worlds), each decided in the global order, and the parts are shared among forked worker
processes. Every part's results are put back in the global order, so the run writes exactly what
a single loop writes (bench/match_identity.py proves it on whole worlds).

Workers are forked (they inherit the loaded documents without pickling them), run pure Python,
never touch the database, and hand their results back through a temporary file. Where fork is not
available, the run is small, or the run is not on the main thread (the app runs its scripts on
worker threads, and forking beside other Python threads can leave a worker waiting on a lock one
of them held), everything is decided here.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

MIN_RECEIPTS_A_WORKER = 4_000  # below this, starting a worker costs more than it saves
MAX_WORKERS = 4


class WorkerFailed(RuntimeError):
    """A worker process died without results (killed, or out of memory)."""


def worker_count(receipts: int) -> int:
    """How many processes decide ``receipts``: one per core, each with enough receipts to pay for itself."""
    if not hasattr(os, "fork") or sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_WORKERS, receipts // MIN_RECEIPTS_A_WORKER))


def independent_parts(order: Sequence[int], scopes_of: Callable[[int], Iterable[Hashable]],
                      parts: int) -> list[list[int]]:
    """``order`` split into ``parts`` lists, each in ``order``'s order, such that receipts sharing a
    scope (directly or through others) are in the same list; the lists about equally long."""
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    touched: dict[int, Hashable | None] = {}
    for rid in order:
        first: Hashable | None = None
        for scope in scopes_of(rid):
            if first is None:
                first = find(scope)
            else:
                other = find(scope)
                if other != first:
                    parent[other] = first
        touched[rid] = first
    sizes: dict[Hashable, int] = {}
    for rid, scope in touched.items():
        key = ("receipt", rid) if scope is None else find(scope)  # a receipt touching no scope stands alone
        touched[rid] = key
        sizes[key] = sizes.get(key, 0) + 1
    load = [0] * parts
    assigned: dict[Hashable, int] = {}
    for key in sorted(sizes, key=lambda k: (-sizes[k], repr(k))):  # largest first, each to the lightest part
        target = load.index(min(load))
        assigned[key] = target
        load[target] += sizes[key]
    out: list[list[int]] = [[] for _ in range(parts)]
    for rid in order:
        out[assigned[touched[rid]]].append(rid)
    return out


def run_parts(parts: Sequence[Sequence[int]], work: Callable[[Sequence[int]], T]) -> list[T]:
    """``work`` of every part: the first here, the others in forked processes, at the same time.

    A worker's exception is raised here as it would have been in a single loop; Ctrl-C stops the
    workers too."""
    if len(parts) <= 1:
        return [work(part) for part in parts]
    children: list[tuple[int, str]] = []
    gc.freeze()  # the loaded documents stay shared: the collector need not touch their pages in a worker
    try:
        for part in parts[1:]:
            fd, path = tempfile.mkstemp(prefix="cashbook-decide-", suffix=".pickle")
            os.close(fd)
            pid = os.fork()
            if pid == 0:  # the worker: decide, write, leave without running the parent's exit handlers
                code = 0
                try:
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    result: Any = ("ok", work(part))
                except BaseException as error:  # noqa: BLE001 - handed to the parent as it was
                    result, code = ("error", error), 1
                try:
                    with open(path, "wb") as f:
                        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
                finally:
                    os._exit(code)
            children.append((pid, path))
        results = [work(parts[0])]
        while children:
            pid, path = children.pop(0)
            _, status = os.waitpid(pid, 0)
            results.append(_collect(path, status))
        return results
    finally:
        for pid, path in children:  # interrupted or failed here: stop the workers that are still deciding
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            _remove(path)
        gc.unfreeze()


def _collect(path: str, status: int) -> Any:
    try:
        try:
            with open(path, "rb") as f:
                kind, value = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            raise WorkerFailed(f"a matching worker ended without results (exit status {status})") from error
    finally:
        _remove(path)
    if kind == "error":
        raise value
    return value


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
