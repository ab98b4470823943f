"""Shared bits of the benchmarks: timing, peak memory, and printing a verdict against a target."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verdict(label: str, ok: bool, detail: str) -> str:
    return f"{label:<34} {'PASS' if ok else 'FAIL'}  {detail}"


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
