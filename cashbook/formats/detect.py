"""Recognising which payment-file format a file holds from its content, and parsing it with that format's module."""

from __future__ import annotations

import importlib
from pathlib import PurePath
from types import ModuleType

from cashbook.errors import Problem
from cashbook.formats.base import MAX_FILE_BYTES, ParsedFile, utf8_from_bom

# Strict formats first: each has an unmistakable opening. The spreadsheet reader is the fallback.
DETECTION_ORDER = ("camt", "x12_820", "edifact", "nacha", "bai2", "mt940", "lockbox", "sheet")

FORMAT_NAMES = {
    "camt": "ISO 20022 camt.053/camt.054 XML",
    "bai2": "BAI2",
    "lockbox": "BAI lockbox",
    "mt940": "SWIFT MT940/MT942",
    "x12_820": "X12 820",
    "edifact": "EDIFACT REMADV",
    "nacha": "NACHA ACH",
    "sheet": "CSV or Excel (.xlsx) remittance advices and statement exports",
}

# The file name only breaks ties between modules whose sniff both accept the content.
_EXTENSION_HINTS: dict[str, tuple[str, ...]] = {
    ".xml": ("camt",),
    ".camt": ("camt",),
    ".bai": ("bai2", "lockbox"),
    ".bai2": ("bai2",),
    ".lbx": ("lockbox",),
    ".lockbox": ("lockbox",),
    ".sta": ("mt940",),
    ".940": ("mt940",),
    ".942": ("mt940",),
    ".mt940": ("mt940",),
    ".edi": ("x12_820", "edifact"),
    ".x12": ("x12_820",),
    ".820": ("x12_820",),
    ".edifact": ("edifact",),
    ".remadv": ("edifact",),
    ".ach": ("nacha",),
    ".nacha": ("nacha",),
    ".csv": ("sheet",),
    ".tsv": ("sheet",),
    ".xlsx": ("sheet",),
}


def load_format_module(key: str) -> ModuleType | None:
    """The module that reads format ``key``, or None while it is not written yet."""
    name = f"cashbook.formats.{key}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def available_formats() -> tuple[str, ...]:
    """The format modules that can be imported, in detection order."""
    return tuple(key for key in DETECTION_ORDER if load_format_module(key) is not None)


def _name_hints(file: str) -> tuple[str, ...]:
    return _EXTENSION_HINTS.get(PurePath(file).suffix.lower(), ())


def detect_format(data: bytes, file: str) -> str | None:
    """The key of the module that reads ``data`` ("camt", "bai2", ... "sheet"), or None.

    Every module's sniff is asked; when several accept the bytes, the one the file name hints at
    wins, else the first in DETECTION_ORDER (strict formats before the spreadsheet fallback).
    """
    data = utf8_from_bom(data)
    candidates = []
    for key in DETECTION_ORDER:
        module = load_format_module(key)
        if module is not None and module.sniff(data):
            candidates.append(key)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    hints = _name_hints(file)
    hinted = [key for key in candidates if key in hints]
    return hinted[0] if hinted else candidates[0]


def _known_formats_text() -> str:
    return "; ".join(FORMAT_NAMES[key] for key in DETECTION_ORDER)


def parse_payment_file(data: bytes, file: str) -> ParsedFile:
    """Detect the format of one uploaded file and parse it; an unknown or oversized file gives a problem."""
    if len(data) > MAX_FILE_BYTES:
        message = f"the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes"
        return ParsedFile(format="unknown", file=file, problems=(Problem(file, "", "", message),))
    data = utf8_from_bom(data)  # UTF-16 and UTF-32 files reach every parser as UTF-8
    if not data.strip():
        return ParsedFile(format="unknown", file=file, problems=(Problem(file, "", "", "the file is empty"),))
    key = detect_format(data, file)
    module = load_format_module(key) if key else None
    if module is None:
        message = f"Cashbook cannot tell what kind of payment file this is; it reads: {_known_formats_text()}"
        return ParsedFile(format="unknown", file=file, problems=(Problem(file, "", "", message),))
    return module.parse(data, file)
