"""Import batches: each imported file recorded once with its kind, digest, who and when, and what it changed.

ERP imports, the hierarchy and receipts all keep their books here, so that "was this exact file
imported before?" and the import history have one answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from collections.abc import Sequence

from cashbook.db import Database
from cashbook.names import shown_file_name
from cashbook.db import batches_sql as sql


MAX_CONFLICT_LINES = 50  # the report names this many conflicts; the Exceptions list has them all


@dataclass
class ImportReport:
    """What an import did (or would do), in terms a clerk reads."""

    kind: str
    file: str
    sha256: str
    rows: int
    noop: bool = False
    import_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)  # new, changed, vanished, returned, merged...
    samples: dict[str, list[str]] = field(default_factory=dict)  # a few keys of each change
    warnings: list[str] = field(default_factory=list)
    format: str = ""
    message: str = ""
    booked: int = 0  # exported journals an items file shows booked by the ERP
    conflicts: list[str] = field(default_factory=list)  # documents the ERP and Cashbook now disagree on

    def lines(self, *, with_conflicts: bool = True) -> list[str]:
        """The report for a person; ``with_conflicts=False`` leaves the ERP conflicts to be shown apart."""
        if self.noop:
            out = [f"{shown_file_name(self.file)}: nothing changed ({self.message or 'the workspace already holds this content'})"]
        else:
            counts = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n) or "no changes"
            out = [f"{shown_file_name(self.file)}: imported {self.rows} {self.kind} rows as import #{self.import_id}: {counts}"]
            for change, keys in self.samples.items():
                more = self.counts.get(change, 0) - len(keys)
                out.append(f"  {change}: {', '.join(keys)}{f' and {more} more' if more > 0 else ''}")
        if self.booked:
            out.append(f"  {self.booked} exported posting{'s' if self.booked != 1 else ''} now booked by the ERP")
        if self.conflicts and with_conflicts:
            out.append(f"  CONFLICT: the ERP and Cashbook disagree on {len(self.conflicts)} document"
                       f"{'s' if len(self.conflicts) != 1 else ''}; they are on the Exceptions list "
                       "(`cashbook exceptions list`) and nothing more is applied to them until a supervisor resolves them")
            out += [f"    {c}" for c in self.conflicts[:MAX_CONFLICT_LINES]]
            if len(self.conflicts) > MAX_CONFLICT_LINES:
                out.append(f"    and {len(self.conflicts) - MAX_CONFLICT_LINES} more")
        out += [f"  warning: {w}" for w in self.warnings]
        return out

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "file": self.file, "sha256": self.sha256, "rows": self.rows, "noop": self.noop,
            "import_id": self.import_id, "counts": self.counts, "warnings": self.warnings, "format": self.format,
            "booked": self.booked, "conflicts": self.conflicts,
        }


def record_import(db: Database, report: ImportReport, user: str, now: datetime) -> int:
    """The batch row for ``report``; its id."""
    import_id = int(db.rows(sql.next_import_id_sql())[0][0])
    db.execute(sql.insert_batch_sql(),
               [import_id, report.kind, report.file, report.sha256, report.rows, now, user, report.format,
                json.dumps({"counts": report.counts, "warnings": report.warnings})])
    return import_id


def next_import_ids(db: Database, count: int) -> list[int]:
    """``count`` fresh import ids: one command's files are numbered before they are written together."""
    return [int(i) for (i,) in db.rows(sql.next_import_ids_sql(), {"n": count})] if count else []


def record_imports(db: Database, rows: Sequence[tuple[int, ImportReport, dict[str, Any]]], user: str, now: datetime) -> None:
    """The batch rows of many files at once, each (import id, report, summary): one insert, not one a file."""
    if not rows:
        return
    import pyarrow as pa  # a payment batch's rows go as Arrow; an ERP import records one row and never loads it

    table = pa.table({
        "import_id": pa.array([i for i, _, _ in rows], pa.int32()),
        "kind": pa.array([r.kind for _, r, _ in rows], pa.string()),
        "file_name": pa.array([r.file for _, r, _ in rows], pa.string()),
        "rows": pa.array([r.rows for _, r, _ in rows], pa.int32()),
        "imported_at": pa.array([now] * len(rows), pa.timestamp("us")),
        "imported_by": pa.array([user] * len(rows), pa.string()),
        "format": pa.array([r.format for _, r, _ in rows], pa.string()),
        "sha256": pa.array([r.sha256 for _, r, _ in rows], pa.string()),
        "summary": pa.array([json.dumps(s) for _, _, s in rows], pa.string()),
    })
    with db.registered("new_batch", table):
        db.rows(sql.insert_batches_sql())


def previous_imports(db: Database, kind: str, shas: Sequence[str]) -> dict[str, str]:
    """For each digest imported before (its first import), where, in words."""
    if not shas:
        return {}
    return {sha: f"the same file was imported as {name} on {when:%Y-%m-%d %H:%M}"
            for sha, name, when in db.rows(sql.previous_batches_sql(), {"kind": kind, "shas": list(shas)})}


def set_summary(db: Database, import_id: int, summary: dict[str, Any]) -> None:
    db.execute(sql.set_summary_sql(), [json.dumps(summary), import_id])


def previous_import(db: Database, kind: str, sha: str, *, first: bool = False) -> str | None:
    """Where this exact content was imported before, in words; None when it never was."""
    rows = db.rows(sql.previous_batch_sql(first=first), [kind, sha])
    return f"the same file was imported as {rows[0][0]} on {rows[0][1]:%Y-%m-%d %H:%M}" if rows else None


def history(db: Database, limit: int | None = None) -> list[dict[str, Any]]:
    """The batches, newest first."""
    return db.dicts(sql.history_sql(limit))
