"""Reference normalization, in Python and as the equivalent SQL expression, so both agree.

A clerk's eye forgives case, spaces, punctuation, prefixes such as "INV", leading zeros and
the look-alike characters O/0, I/1, S/5; so does this.
"""

from __future__ import annotations

import re

PREFIXES = ("INVOICE", "INV", "DOC", "REF", "CRN", "DBN", "NO", "NR", "CN", "DN", "IN")
_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_PREFIX = re.compile(r"^(" + "|".join(PREFIXES) + r")(?=[0-9])")
_LOOKALIKE = str.maketrans("OIS", "015")


def normalize_ref(text: str | None) -> str:
    """The comparable form of a document reference: 'Inv. 00O12-3' -> '123'."""
    if not text:
        return ""
    value = _NON_ALNUM.sub("", text.upper())
    value = _PREFIX.sub("", value, count=1)
    value = value.translate(_LOOKALIKE).lstrip("0")
    return value or ("0" if text.strip() else "")


def normalize_ref_sql(expr: str) -> str:
    """SQL computing normalize_ref(expr); ``expr`` is a column name from code, never user input.

    Written so each step runs once per row (DuckDB's translate() is slow; replace() is not).
    """
    prefixes = "|".join(PREFIXES)
    cleaned = f"regexp_replace(upper(coalesce({expr}, '')), '[^A-Z0-9]', '', 'g')"
    unprefixed = f"regexp_replace({cleaned}, '^({prefixes})([0-9])', '\\2')"
    lookalikes = f"replace(replace(replace({unprefixed}, 'O', '0'), 'I', '1'), 'S', '5')"
    return f"coalesce(nullif(ltrim({lookalikes}, '0'), ''), CASE WHEN trim(coalesce({expr}, '')) <> '' THEN '0' ELSE '' END)"


def normalize_account(text: str | None) -> str:
    """Bank accounts compare without spaces, dashes and case (IBAN print form vs electronic form)."""
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


# Words a payer writes before the number ("Invoice no. 502034", "Ref: 123"); stripped only when a
# separator follows, so that a number that merely starts with such letters keeps them.
LEAD_WORDS = ("INVOICE", "INV", "NUMBER", "NO", "NR", "REF", "DOCUMENT", "DOC", "BILL", "OUR", "YOUR")
_LEAD = re.compile(r"^((" + "|".join(LEAD_WORDS) + r")[^A-Z0-9]+)+")


def normalize_ref_words(text: str | None) -> str:
    """normalize_ref after leading words such as 'Invoice no.': 'Invoice no. 5O2034' -> '502034'."""
    if not text:
        return ""
    return normalize_ref(_LEAD.sub("", text.upper()))


def normalize_ref_words_sql(expr: str) -> str:
    """SQL computing normalize_ref_words(expr); ``expr`` is a column name from code."""
    stripped = f"regexp_replace(upper(coalesce({expr}, '')), '^(({'|'.join(LEAD_WORDS)})[^A-Z0-9]+)+', '')"
    return normalize_ref_sql(stripped)
