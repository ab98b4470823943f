"""Helpers for parsers that build hundreds of thousands of small objects in one go."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while a parse builds its rows.

    A parse allocates millions of lists, strings and records that all survive until it ends,
    so every collection pass rescans them for nothing: at 100,000 entries that doubled the
    parse time. Reference counting still frees what a parser drops, any cycle waits for the
    next collection, and the collector resumes (if it was on) when the parse ends or raises.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
