"""The canonical import templates, the header synonyms other ERPs use, and saved mapping profiles."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cashbook.errors import CashbookError


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    synonyms: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Template:
    kind: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


CUSTOMERS = Template(
    "customers",
    (
        Column("customer_no", True, ("customer number", "customer no", "cust no", "cust number", "customer id",
                                     "customer", "account", "account no", "account number", "acct no", "debtor",
                                     "debtor no", "debtor number", "kunnr", "kundennummer", "client no", "sold-to"),
               "the ERP's customer number"),
        Column("name", True, ("customer name", "name 1", "account name", "debtor name", "company", "company name",
                              "client name", "name1")),
        Column("parent_no", False, ("parent", "parent customer", "parent number", "parent account", "parent no.",
                                    "bill-to", "head office", "parent customer no", "parent_customer_no")),
        Column("currency", True, ("currency code", "ccy", "cur", "curr", "waers")),
        Column("credit_limit", False, ("credit limit", "limit", "credit line", "cr limit")),
        Column("on_hold", False, ("on hold", "hold", "blocked", "credit hold", "stop", "on stop")),
        Column("customer_type", False, ("customer type", "type", "account type", "category")),
        Column("bank_accounts", False, ("bank account", "bank accounts", "iban", "ibans", "account numbers",
                                        "bank account numbers")),
        Column("email", False, ("e-mail", "email address", "mail", "contact email")),
        Column("city", False, ("town", "city name", "ort")),
    ),
)

ITEMS = Template(
    "items",
    (
        Column("doc_no", True, ("document no", "document number", "doc number", "document", "invoice no",
                                "invoice number", "invoice", "reference", "belnr", "doc ref", "transaction number",
                                "trx number", "number")),
        Column("doc_type", True, ("document type", "doc type", "type", "transaction type", "trx type", "blart")),
        Column("customer_no", True, CUSTOMERS.columns[0].synonyms),
        Column("doc_date", True, ("document date", "invoice date", "date", "posting date", "trx date",
                                  "transaction date", "bldat")),
        Column("due_date", False, ("due date", "due", "net due date", "payment due", "faedt")),
        Column("currency", False, ("currency code", "ccy", "cur", "curr", "waers")),
        Column("amount", True, ("original amount", "amount", "invoice amount", "document amount", "gross amount",
                                "total", "original", "amt")),
        Column("open_amount", False, ("open amount", "outstanding", "outstanding amount", "balance", "balance due",
                                      "amount due", "remaining", "remaining amount", "open", "amount remaining")),
        Column("po_number", False, ("po", "po number", "po no", "purchase order", "purchase order number",
                                    "customer po", "order no", "po#")),
        Column("discount_pct", False, ("discount %", "discount percent", "discount pct", "disc %", "cash discount %",
                                       "discount rate")),
        Column("discount_days", False, ("discount days", "disc days", "discount period")),
    ),
)

HIERARCHY = Template(
    "hierarchy",
    (
        Column("group", True, ("group", "group name", "hierarchy", "hierarchy name", "customer group")),
        Column("customer_no", True, CUSTOMERS.columns[0].synonyms),
        Column("parent_customer_no", False, ("parent customer no", "parent", "parent_no", "parent customer",
                                             "parent number", "parent account")),
        Column("primary", False, ("primary", "is primary", "is_primary", "primary customer", "main")),
    ),
)

TEMPLATES = {t.kind: t for t in (CUSTOMERS, ITEMS, HIERARCHY)}


def header_key(text: str) -> str:
    """A header as compared with synonyms: lower case, no punctuation but '#' and '%'."""
    text = text.strip().lower().replace("_", " ")
    text = re.sub(r"[^\w#% ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class MappingProfile:
    """A saved mapping from an ERP's own headers to the template's columns, plus its date order."""

    columns: dict[str, str] = field(default_factory=dict)  # template column -> header in the file
    date_format: str | None = None  # e.g. "%d.%m.%Y"; None: detect per column
    name: str = ""

    @classmethod
    def load(cls, path: str | Path) -> "MappingProfile":
        """Read and check a profile file: every mistake in it is refused by name (see profile_problems)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise CashbookError(f"{path}: cannot read the mapping profile ({exc})", title="Mapping refused") from exc
        return cls.from_data(data, path.name)

    @classmethod
    def from_data(cls, data: object, name: str) -> "MappingProfile":
        """A profile from parsed JSON or TOML, checked against the profile schema."""
        problems = profile_problems(data)
        if problems:
            raise CashbookError(f"{name}: {'; '.join(problems)}", title="Mapping refused")
        assert isinstance(data, dict)  # profile_problems refuses anything else
        columns = data["columns"] if "columns" in data else {k: v for k, v in data.items() if k != "date_format"}
        return cls(columns=dict(columns), date_format=data.get("date_format"), name=name)

    def dump(self) -> str:
        return json.dumps({"columns": self.columns, "date_format": self.date_format}, indent=2)


PROFILE_KEYS = ("columns", "date_format")
ALL_COLUMNS = tuple(dict.fromkeys(c.name for t in (CUSTOMERS, ITEMS, HIERARCHY) for c in t.columns))
# strftime directives DuckDB's strptime and Python's agree on; anything else is a typing slip
DATE_DIRECTIVES = set("dmyYbBaAjHIMSfpzZe") | {"-d", "-m", "-H", "-I", "-M", "-S", "-j", "%"}


def _suggest(word: str, known: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def profile_problems(data: object) -> list[str]:
    """Every way ``data`` is not a mapping profile: its shape, its keys, its columns and its date format.

    A profile is an object with ``columns`` (template column -> header in the file) and an
    optional ``date_format``; the older flat form (columns at the top level) is still read.
    """
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        return [f"a mapping profile is an object with 'columns' and 'date_format', not {kind}"]
    problems = []
    if "columns" in data:
        unknown = [k for k in data if k not in PROFILE_KEYS]
        problems += [f"unknown key {k!r}{_suggest(k, PROFILE_KEYS)}; a profile has {', '.join(PROFILE_KEYS)}"
                     for k in unknown]
        columns = data["columns"]
    else:
        columns = {k: v for k, v in data.items() if k != "date_format"}
    if not isinstance(columns, dict):
        return problems + ["'columns' must map template columns to header names"]
    for key, header in columns.items():
        if key not in ALL_COLUMNS:
            problems.append(f"unknown key {key!r}{_suggest(key, ALL_COLUMNS + PROFILE_KEYS)}; the columns are "
                            f"{', '.join(ALL_COLUMNS)}")
        elif not isinstance(header, str) or not header.strip():
            problems.append(f"column {key!r} must name a header in the file, not {header!r}")
    by_header: dict[str, list[str]] = {}
    for key, header in columns.items():
        if isinstance(header, str) and header.strip():
            by_header.setdefault(header_key(header), []).append(key)
    problems += [f"{' and '.join(keys)} are mapped to the same header {columns[keys[0]]!r}; map each to its own column"
                 for keys in by_header.values() if len(keys) > 1]
    date_format = data.get("date_format")
    if date_format is not None:
        problems += date_format_problems(date_format)
    return problems


def date_format_problems(date_format: object) -> list[str]:
    """Why a date_format is not one, e.g. "%Q-%Q" (an unknown directive) or one without a day."""
    if not isinstance(date_format, str) or not date_format.strip():
        return [f"date_format must be a text such as %d.%m.%Y, not {date_format!r}"]
    directives = re.findall(r"%(-?.)", date_format)
    bad = sorted({f"%{d}" for d in directives if d not in DATE_DIRECTIVES})
    if bad or date_format.count("%") != len(directives) + date_format.count("%%"):
        return [f"date_format {date_format!r} has unknown directives {', '.join(bad) or '%'}; use e.g. %d.%m.%Y or %m/%d/%Y"]
    if not {"d", "-d", "j", "e"} & set(directives) or not {"Y", "y"} & set(directives):
        return [f"date_format {date_format!r} has no day or no year; use e.g. %d.%m.%Y or %m/%d/%Y"]
    return []


def profile_header_problems(template: Template, header: list[str], profile: MappingProfile) -> list[str]:
    """Columns of the profile that this file cannot honour: not in this template, or a header it lacks."""
    keys = {header_key(h) for h in header}
    shown = ", ".join(h for h in header if h) or "none"
    problems = []
    for column, source in profile.columns.items():
        if column not in template.names:
            problems.append(f"the profile maps {column!r}, which is not a column of a {template.kind} file "
                            f"({', '.join(template.names)})")
        elif header_key(source) not in keys:
            problems.append(f"the profile maps {column} to the header {source!r}, which this file does not have; "
                            f"the header has: {shown}")
    return problems


def map_headers(
    template: Template, header: list[str], profile: MappingProfile | None = None
) -> tuple[dict[str, int], list[str]]:
    """Which file column holds each template column, and the template columns not found.

    Order of trust: the profile, then an exact canonical name, then a synonym.
    """
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    taken: set[int] = set()
    if profile:
        for column, source in profile.columns.items():
            if column in template.names and header_key(source) in keys:
                index = keys.index(header_key(source))
                found[column] = index
                taken.add(index)
    for column in template.columns:
        if column.name in found:
            continue
        key = header_key(column.name)
        if key in keys and keys.index(key) not in taken:
            found[column.name] = keys.index(key)
            taken.add(found[column.name])
    for column in template.columns:
        if column.name in found:
            continue
        for synonym in column.synonyms:
            key = header_key(synonym)
            if key in keys and keys.index(key) not in taken:
                found[column.name] = keys.index(key)
                taken.add(found[column.name])
                break
    missing = [c for c in template.required if c not in found]
    return found, missing


def header_score(template: Template, row: list[str]) -> int:
    found, _ = map_headers(template, row)
    return len(found)
