"""An uploaded file checked before anything parses it, then read once in a child process with a memory limit.

The app's server holds every clerk's session: a parser that exhausts memory or crashes there takes
them all down (issue 15: one small spreadsheet did). So the page first checks what can be checked
without parsing (size against a setting, the name's extension against the content's first bytes),
then reads the file completely in a separate Python process whose address space is capped
(RLIMIT_AS) and whose time is bounded. Only a file that child read to the end is offered for
import; the import then runs the same, bounded, readers in the server. The child answers in JSON
(never pickle), so even a child subverted by a hostile file can only send data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import PurePath

from cashbook.errors import Problem
from cashbook.formats.base import utf8_from_bom, wide_encoding
from cashbook.formats.tabular import is_xlsx, looks_binary

# What Cashbook reads, by extension; a file without one is judged by its content.
TABLE_EXTENSIONS = frozenset({".csv", ".tsv", ".txt", ".xlsx"})
PAYMENT_EXTENSIONS = frozenset({
    ".xml", ".camt", ".053", ".054", ".bai", ".bai2", ".lbx", ".lockbox", ".sta", ".940", ".942", ".mt940", ".swi",
    ".edi", ".x12", ".820", ".edifact", ".remadv", ".ach", ".nacha", ".dat", ".txt",
})
_FOREIGN_MAGIC = (
    (b"%PDF", "a PDF document"), (b"\xd0\xcf\x11\xe0", "an old Office file (.xls/.doc); save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"MZ", "a Windows program"), (b"\x7fELF", "a program"), (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
CHILD_TEXT_LIMIT = 20  # preview rows sent back from the child
CHILD_CELL_LIMIT = 200  # characters of a preview cell


class UploadRefused(Exception):
    """An upload refused before or while it was read; ``problems`` say why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class UploadLimits:
    """How large an upload may be, and how much memory and time its reading may take (settings)."""

    max_bytes: int
    memory_bytes: int
    seconds: float


@dataclass(frozen=True)
class Inspection:
    """What the child learned from reading the whole file: its kind, a preview and each template's header."""

    kind: str
    preview: list[list[str]] = field(default_factory=list)
    headers: dict[str, tuple[list[str], dict[str, str], list[str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def limits_from(settings: object) -> UploadLimits:
    """The upload limits of a Settings object (upload_max_mb, upload_memory_mb, upload_seconds)."""
    return UploadLimits(max_bytes=int(settings.upload_max_mb) * 1024 * 1024,  # type: ignore[attr-defined]
                        memory_bytes=int(settings.upload_memory_mb) * 1024 * 1024,  # type: ignore[attr-defined]
                        seconds=float(settings.upload_seconds))  # type: ignore[attr-defined]


def check_upload(data: bytes, name: str, limits: UploadLimits) -> list[Problem]:
    """What is wrong with an upload before any parser sees it: size, and a type its name or bytes betray."""
    if len(data) > limits.max_bytes:
        return [Problem(name, "", "", f"the file is {len(data):,} bytes; uploads may be up to {limits.max_bytes:,} "
                                      "bytes (setting upload_max_mb)")]
    if not data.strip():
        return [Problem(name, "", "", "the file is empty")]
    for magic, what in _FOREIGN_MAGIC:
        if data.startswith(magic):
            return [Problem(name, "", "", f"this is {what}, not a table, bank or remittance file")]
    suffix = PurePath(name).suffix.lower()
    zipped = data.startswith(b"PK\x03\x04")
    if suffix == ".xlsx" and not zipped:
        return [Problem(name, "", "", "the name says .xlsx but the content is not an Excel workbook")]
    if zipped:
        if not is_xlsx(data):
            return [Problem(name, "", "", "this is a zip archive, not an Excel workbook; upload the files inside it")]
        if suffix not in ("", ".xlsx"):
            return [Problem(name, "", "", f"the content is an Excel workbook but the name ends in {suffix}; "
                                          "rename it to .xlsx")]
        return []
    if suffix and suffix not in TABLE_EXTENSIONS | PAYMENT_EXTENSIONS:
        known = ", ".join(sorted(TABLE_EXTENSIONS | PAYMENT_EXTENSIONS))
        return [Problem(name, "", "", f"Cashbook does not read {suffix} files; it reads {known}")]
    text = utf8_from_bom(data) if wide_encoding(data) else data
    if looks_binary(text):
        return [Problem(name, "", "", "this is a binary file, not a text table, bank or remittance file")]
    return []


def inspect_upload(data: bytes, name: str, limits: UploadLimits, kind: str | None = None) -> Inspection:
    """Read the whole file as ``kind`` (detected when None) in a child process capped at
    ``limits.memory_bytes``; raise UploadRefused when it cannot be read."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    command = [sys.executable, "-m", "cashbook.upload_child", name, str(limits.memory_bytes), *([kind] if kind else [])]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=limits.seconds, env=env, check=False)
    except subprocess.TimeoutExpired:
        return _refuse(name, f"reading the file took longer than {limits.seconds:g} seconds (setting upload_seconds); "
                             "it was not imported")
    except OSError as exc:
        return _refuse(name, f"Cashbook could not start a reader for the file ({exc.strerror or exc})")
    if done.returncode != 0:
        memory = limits.memory_bytes // (1024 * 1024)
        return _refuse(name, f"reading the file needed more than {memory:,} MB of memory or failed "
                             f"(setting upload_memory_mb); it was not imported")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return _refuse(name, "the file's reader gave no answer; it was not imported")
    if answer.get("problems"):
        raise UploadRefused([Problem(**p) for p in answer["problems"]])
    headers = {kind: (list(h[0]), dict(h[1]), list(h[2])) for kind, h in answer.get("headers", {}).items()}
    return Inspection(kind=answer["kind"], preview=answer.get("preview", []), headers=headers,
                      notes=answer.get("notes", []))


def _refuse(name: str, message: str) -> Inspection:
    raise UploadRefused([Problem(name, "", "", message)])
