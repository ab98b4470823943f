"""Progress of a long command on the terminal (rich), and nothing at all when stderr is not a terminal.

The package reports progress through plain callbacks (``progress(fraction, text)``, as the app's
progress bars take them); only the command line turns them into a bar, on stderr, gone when done.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Step = Callable[[float | None, str], None]


def _shown() -> bool:
    """A bar only for a person watching: stderr a terminal, and not turned off (CASHBOOK_PROGRESS=0)."""
    return sys.stderr.isatty() and os.environ.get("CASHBOOK_PROGRESS", "1") != "0"


@contextmanager
def progress(label: str) -> Iterator[Step]:
    """A bar for ``label``; the callback takes the fraction done (None: not known) and what is being done."""
    if not _shown():
        yield lambda fraction, text: None
        return
    from rich.console import Console  # only on a terminal: piped and scripted runs never load rich
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=1.0)

        def step(fraction: float | None, text: str) -> None:
            if fraction is None:
                bar.update(task, description=f"{label}: {text}")
            else:
                bar.update(task, completed=min(max(fraction, 0.0), 1.0), description=f"{label}: {text}")

        yield step
