"""What people type as names: user names checked before they are stored, file names escaped when shown.

A user name goes into every ledger entry's "who", so one with a terminal escape, a line break,
a right-to-left override or 100,000 characters is refused. A file name is stored as received
(it is evidence of what was imported) but never echoed raw: control characters and
bidirectional marks are shown escaped, the way Python's repr shows them.
"""

from __future__ import annotations

import unicodedata

MAX_USER_NAME = 100
MAX_SHOWN_NAME = 300  # characters of a file name shown; the rest is counted, not printed
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, format (bidi) marks, unassigned


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in _ESCAPED_CATEGORIES


def user_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a user name, or None when it can."""
    if not name.strip():
        return "is empty or only spaces; give the clerk's name or login"
    if len(name) > MAX_USER_NAME:
        return f"is {len(name):,} characters long; a user name has at most {MAX_USER_NAME}"
    bad = sorted({f"U+{ord(c):04X}" for c in name if _hidden(c)})
    if bad:
        return f"holds control or text-direction characters ({', '.join(bad[:5])}); type the name plainly"
    return None


def shown_file_name(name: str) -> str:
    """``name`` ready to print: unchanged when plain, else with every hidden character escaped."""
    shown = name if len(name) <= MAX_SHOWN_NAME else name[:MAX_SHOWN_NAME]
    if any(_hidden(c) for c in shown):
        shown = "".join(_escape(c) if _hidden(c) else c for c in shown)
    if len(name) > MAX_SHOWN_NAME:
        shown += f"... ({len(name):,} characters)"
    return shown


def _escape(char: str) -> str:
    code = ord(char)
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in special:
        return special[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
