"""One helper for every grid, so that each table reads the way a clerk reads, not the way the database stores it.

``grid`` shows a frame with human headers, money right-aligned with thousands separators and two
decimals in the workspace's number style, dates as dates, empty cells blank, statuses as coloured
badges, long texts in wide columns, and JSON summaries as readable text. Pages never call ``st.dataframe`` themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import streamlit as st

from cashbook.errors import CashbookError
from cashbook.money import DEFAULT_NUMBER_STYLE, format_amount
from app_pages.state import workspace

# Column names as the database has them -> the header a clerk reads.
LABELS = {
    "receipt_id": "Receipt", "proposal_id": "Proposal", "entry_id": "Entry", "import_id": "Import",
    "export_id": "Export", "deduction_id": "Deduction", "audit_id": "Change", "line_no": "Line",
    "payment_ref": "Payment reference", "value_date": "Value date", "payer_name": "Payer",
    "payer_customer_no": "Payer customer", "customer_no": "Customer", "customer_name": "Customer name",
    "to_allocate": "Left to allocate", "source_formats": "Formats", "source_format": "Format",
    "open_amount": "Open", "open_now": "Open", "paid_amount": "Paid", "gross_amount": "Gross",
    "write_off": "Write-off", "reason_code": "Reason", "adjustment_text": "Reason text",
    "doc_no": "Document", "doc_type": "Type", "doc_date": "Document date", "due_date": "Due date",
    "po_number": "PO number", "days_overdue": "Days overdue", "ref_type": "Ref. type",
    "bank_text": "Bank text", "found_by": "Found by", "why": "Why", "file_name": "File",
    "imported_at": "Imported at", "imported_by": "Imported by", "created_at": "When", "created_by": "By",
    "exported_at": "Exported at", "exported_by": "Exported by", "journal_no": "Journal", "gl_account": "G/L account",
    "running_balance": "Running balance", "in_suspense": "In suspense", "applied_amount": "Applied",
    "refunded_amount": "Refunded", "on_account": "On account", "is_primary": "Primary", "parent_no": "ERP parent",
    "parent_customer_no": "Parent", "credit_limit": "Credit limit", "on_hold": "On hold", "sha256": "SHA-256",
    "advice_amount": "Advice amount", "payer_account": "Payer account", "score": "Score",
    "claims": "Claims", "receipts": "Receipts", "open_items": "Open items", "source_doc_no": "Credit memo",
    "valid_from": "Valid from", "valid_to": "Valid to", "changed_at": "When", "changed_by": "By",
}
MONEY = {"amount", "open_amount", "open_now", "to_allocate", "paid_amount", "gross_amount", "discount", "adjustment",
         "write_off", "deduction", "running_balance", "applied", "on_account", "unidentified", "debit", "credit",
         "advice_amount", "balance", "credit_limit", "in_suspense", "applied_amount", "refunded_amount", "deducted",
         "paid", "cash", "allocated", "amount_due", "available_credit", "open_ar", "unapplied"}
STATUS_COLORS = {
    "applied": "#2e7d32", "settled": "#2e7d32", "fully applied": "#2e7d32", "ok": "#2e7d32", "written_off": "#2e7d32",
    "suggested": "#1565c0", "partly applied": "#1565c0", "partial": "#ef6c00", "open": "#6d4c41",
    "unmatched": "#757575", "on_account": "#6a1b9a", "unidentified": "#c62828", "rejected": "#c62828",
    "refunded": "#00838f", "reversed": "#757575", "rebilled": "#00838f", "reinstated": "#6d4c41",
    "cancelled": "#757575", "on hold": "#c62828",
}
STATUS_COLUMNS = {"status"}
LONG_TEXT = {"bank_text", "why", "found_by", "summary", "after", "before", "message", "evidence", "path",
             "adjustment_text", "note", "detail", "hold_reasons", "advices", "problem"}
JSON_TEXT = {"summary", "after", "before", "evidence", "counts", "detail"}


def label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " ").capitalize())


def readable_json(value: Any) -> Any:
    """A JSON summary as 'key: value · key: value' (nested values flattened one level); other values unchanged."""
    if not isinstance(value, str) or not value.startswith(("{", "[")):
        return value
    try:
        data = json.loads(value)
    except ValueError:
        return value
    return _readable(data)


def _readable(data: Any) -> str:
    if isinstance(data, dict):
        parts = [f"{str(k).replace('_', ' ')}: {_readable(v)}" for k, v in data.items() if v not in (None, "", [], {})]
        return " · ".join(parts)
    if isinstance(data, list):
        return ", ".join(_readable(v) for v in data)
    return str(data)


def number_style() -> str:
    """The workspace's ``number_style`` setting (read each run: a clerk may change it)."""
    try:
        return workspace().settings.number_style
    except CashbookError:
        return DEFAULT_NUMBER_STYLE


def _first(series: Any) -> Any:
    for value in series:
        if value is not None and value == value:
            return value
    return None


def display_frame(frame: Any, *, money: Iterable[str] = (), style: str = DEFAULT_NUMBER_STYLE) -> tuple[Any, dict]:
    """The frame as shown (badges as one-item lists, JSON as text, money as text in a non-default style)
    and the column configuration that goes with it."""
    shown = frame.copy()
    config: dict[str, Any] = {}
    money_columns = set(MONEY) | set(money)
    for column in shown.columns:
        name = str(column)
        sample = _first(shown[column])
        header = label(name)
        if name in money_columns and (sample is None or isinstance(sample, (Decimal, int, float))):
            if style == DEFAULT_NUMBER_STYLE:
                config[name] = st.column_config.NumberColumn(header, format="%,.2f")
            else:  # the grid's printf knows only the English style: show the exact text, right-aligned
                shown[column] = [format_amount(v, style) if v is not None and v == v else None for v in shown[column]]
                config[name] = st.column_config.TextColumn(header, alignment="right")
        elif name in STATUS_COLUMNS and (sample is None or isinstance(sample, str)):
            options = sorted({v for v in shown[column] if isinstance(v, str)})
            shown[column] = [[v] if isinstance(v, str) else [] for v in shown[column]]
            config[name] = st.column_config.MultiselectColumn(
                header, options=options, color=[STATUS_COLORS.get(o, "#546e7a") for o in options],
                format_func=lambda v: v.replace("_", " "))
        elif isinstance(sample, datetime):
            config[name] = st.column_config.DatetimeColumn(header, format="YYYY-MM-DD HH:mm")
        elif isinstance(sample, date):
            config[name] = st.column_config.DateColumn(header, format="YYYY-MM-DD")
        elif name in JSON_TEXT or name in LONG_TEXT:
            if name in JSON_TEXT:
                shown[column] = [readable_json(v) for v in shown[column]]
            config[name] = st.column_config.TextColumn(header, width="large")
        elif name == "score" and isinstance(sample, float):
            config[name] = st.column_config.ProgressColumn(header, min_value=0.0, max_value=1.0, format="%.2f")
        elif name == "days_overdue" or name.endswith(("_count", "_days")) or name in ("rows", "lines", "receipts"):
            config[name] = st.column_config.NumberColumn(header, format="%d")
        else:
            config[name] = st.column_config.Column(header)
    return shown, config


def grid(frame: Any, key: str, *, selection: str | None = None, height: int | None = None,
         hide: Iterable[str] = (), money: Iterable[str] = (), order: list[str] | None = None,
         config: dict[str, Any] | None = None) -> list[int]:
    """Show ``frame`` as a clerk reads it; with ``selection`` ("single-row", "multi-row") the rows picked."""
    shown, column_config = display_frame(frame, money=money, style=number_style())
    column_config.update(config or {})
    hidden = set(hide)
    options: dict[str, Any] = {"hide_index": True, "width": "stretch", "placeholder": "",
                               "column_config": column_config,
                               "column_order": [c for c in (order or list(shown.columns)) if c not in hidden]}
    if height:
        options["height"] = height
    if selection:
        event = st.dataframe(shown, on_select="rerun", selection_mode=selection, key=key, **options)
        return list(event.selection.rows)
    st.dataframe(shown, key=key, **options)
    return []
