"""The child process of cashbook.uploads: caps its own memory, reads one file from stdin, answers in JSON.

Usage: ``python -m cashbook.upload_child NAME MEMORY_BYTES [KIND]`` with the file's bytes on stdin.
The cap (RLIMIT_AS, the whole address space, libraries included) is set before the file is read,
so a reader that asks for too much memory fails here (MemoryError, or an abort in native code)
and the app's server only sees an exit code.
"""

from __future__ import annotations

import json
import resource
import sys

from cashbook.formats.detect import parse_payment_file
from cashbook.formats.tabular import TableReadError, read_sheet
from cashbook.imports import detect_kind
from cashbook.templates import TEMPLATES, header_score, map_headers

PREVIEW_ROWS = 20
PREVIEW_COLUMNS = 50
PREVIEW_CHARS = 200


def _preview(rows: list[list[str]]) -> list[list[str]]:
    return [[cell[:PREVIEW_CHARS] for cell in row[:PREVIEW_COLUMNS]] for row in rows[:PREVIEW_ROWS]]


def inspect(data: bytes, name: str, kind: str | None) -> dict[str, object]:
    """Read the file as ``kind`` (detected when None) to the end, the way its import will."""
    detected = detect_kind(data, name)
    kind = kind or detected
    answer: dict[str, object] = {"kind": detected, "preview": [], "headers": {}, "notes": [], "problems": []}
    wants_table = kind in TEMPLATES or (kind == "payments" and name.lower().endswith((".csv", ".tsv", ".xlsx", ".txt")))
    if wants_table:
        try:
            sheet = read_sheet(data, name)
        except TableReadError as exc:
            if kind in TEMPLATES:
                answer["problems"] = [vars(p) for p in exc.problems]
                return answer
        else:
            answer["preview"] = _preview(sheet.rows)
            answer["notes"] = list(sheet.notes)
            headers = {}
            for template_kind, template in TEMPLATES.items():
                header = max(sheet.rows[:30], key=lambda r: header_score(template, r), default=[])
                found, missing = map_headers(template, header)
                headers[template_kind] = ([h for h in header if h.strip()], {c: header[i] for c, i in found.items()},
                                          missing)
            answer["headers"] = headers
    if kind == "payments":
        parse_payment_file(data, name)  # read to the end: a crash or a memory blow-up shows here, not in the server
    return answer


def main(argv: list[str]) -> int:
    name, memory = argv[0], int(argv[1])
    kind = argv[2] if len(argv) > 2 else None
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    try:
        answer = inspect(data, name, kind)
    except MemoryError:
        return 3
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
