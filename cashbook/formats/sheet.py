"""Customer remittance advices and bank-statement exports kept as CSV or Excel sheets: finding the table, reading it, writing realistic ones.

A sheet is whatever a customer or a bank's export tool produced: a free preamble (payer, payment
date, reference, total), then a table whose header row may sit anywhere in the first 30 rows and
whose column names vary. The header row is found by scoring rows against synonym lists; its
columns then decide whether the sheet is a remittance advice (reference + paid columns, one
``ParsedPayment(kind="advice")`` per payment reference) or a statement export (date + description
+ debit/credit or signed amount, one ``ParsedPayment(kind="bank")`` per credit row).

Rules a clerk may want to know:
- Slash dates (03/04/2026) are read day-first or month-first for the whole file: a value above 12
  in the first position means day-first, one in the second position means month-first; when no
  value settles it, day-first unless the file's currency is USD.
- Decimal commas ("1300,00", "9.126,07") are recognised per value; a value that could be either
  ("1,234") follows the file's majority.
- Discounts and deductions are taken as reductions whatever sign the payer wrote them with.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from cashbook.errors import Problem
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.formats.tabular import XLSX_MAGIC, Sheet, TableReadError, decode_text, is_xlsx, looks_binary, read_sheet
from cashbook.money import CENT, ZERO, MoneyFormatError, check_size, parse_money

FORMATS = ("sheet",)
HEADER_SEARCH_ROWS = 30
RENDER_STYLES = ("plain", "preamble", "messy")

# --------------------------------------------------------------------------- header vocabulary

_TOKEN_ALIASES = {
    "number": "no", "num": "no", "nbr": "no", "nr": "no", "nos": "no",
    "amt": "amount", "amnt": "amount", "inv": "invoice", "doc": "document", "cust": "customer",
    "acct": "account", "acc": "account", "ref": "reference", "refs": "reference", "dt": "date",
    "pmt": "payment", "pymt": "payment", "desc": "description", "disc": "discount", "ded": "deduction",
    "adj": "adjustment", "ccy": "currency", "curr": "currency", "cur": "currency", "cheque": "check",
    "remit": "remittance", "op": "operation", "txn": "transaction", "trans": "transaction",
    "orig": "original", "descr": "description",
}
_CURRENCY_CODES = frozenset(
    "GBP EUR USD CAD AUD NZD CHF SEK NOK DKK PLN CZK HUF JPY CNY HKD SGD INR ZAR MXN BRL AED SAR RON "
    "BGN TRY ILS KRW THB MYR PHP IDR ISK".split()
)
_CURRENCY_SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD", "¥": "JPY"}

# Base roles, each with its synonyms in order of preference. Roles starting with "g_" are
# generic names ("Reference", "Amount", "Date") whose meaning depends on the kind of sheet.
_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "reference": (
        "Your Reference", "Invoice No", "Invoice", "Invoice Reference", "Your Invoice No",
        "Supplier Invoice No", "Vendor Invoice No", "Invoice ID", "Document No", "Document",
        "Document Reference", "Bill No", "Credit Note No", "Reference No", "Our Reference",
    ),
    "g_reference": ("Reference",),
    "paid": (
        "Amount Paid", "Paid Amount", "Payment Amount", "Paid", "Payment", "Net Amount", "Net Paid",
        "Net Payment", "Amount Remitted", "Remitted Amount", "Remittance Amount", "Amount Settled",
        "Settled Amount", "Paid Value", "Payment Value", "Amount to Pay", "Net",
    ),
    "g_amount": ("Amount", "Value", "Transaction Amount", "Credit/Debit Amount", "Betrag", "Umsatz", "Valor",
                 "Montant", "Bedrag", "Importe", "Belob", "Belopp"),
    "gross": (
        "Gross", "Gross Amount", "Invoice Amount", "Invoice Value", "Invoice Total", "Document Amount",
        "Original Amount", "Amount Due", "Gross Value", "Invoice Gross",
    ),
    "discount": (
        "Discount", "Discount Amount", "Discount Taken", "Cash Discount", "Settlement Discount",
        "Early Payment Discount", "Prompt Payment Discount",
    ),
    "deduction": (
        "Deduction", "Deductions", "Deduction Amount", "Adjustment", "Adjustments", "Adjustment Amount",
        "Short Payment", "Short Paid", "Chargeback", "Withholding", "Claim Amount",
    ),
    "reason_code": (
        "Reason Code", "Deduction Code", "Adjustment Code", "Deduction Reason Code",
        "Adjustment Reason Code", "Reason Cd",
    ),
    "reason": ("Reason", "Deduction Reason", "Adjustment Reason", "Reason Description"),
    "comment": (
        "Comment", "Comments", "Remark", "Remarks", "Note", "Notes", "Explanation",
        "Deduction Description", "Reason Text", "Message",
    ),
    "doc_date": ("Invoice Date", "Document Date", "Date of Invoice", "Bill Date"),
    "po": (
        "PO Number", "PO", "Purchase Order", "Purchase Order No", "Order No", "Customer PO",
        "Your Order No", "PO Reference",
    ),
    "customer_no": (
        "Customer No", "Customer ID", "Customer Account", "Customer Account No", "Customer Code",
        "Customer", "Debtor No", "Client No", "Sold To", "Customer Reference",
    ),
    "payer_id": ("Payer ID", "Payer No", "Remitter ID", "Remitter No"),
    "g_account": ("Account", "Account No"),
    "currency": ("Currency", "Currency Code", "Wahrung", "Monn", "Devise", "Moeda", "Munt"),
    "payment_ref": (
        "Payment Reference", "Payment No", "Payment ID", "Remittance No", "Remittance Reference",
        "Remittance ID", "Check No", "BACS Reference", "Payment Document", "Payment Document No",
        "Clearing Document", "EFT No", "Transfer Reference",
    ),
    "payment_date": (
        "Payment Date", "Pay Date", "Value Date", "Remittance Date", "Paid Date", "Date Paid",
        "Check Date", "Payment Run Date", "Clearing Date", "Wertstellung", "Valuta Date", "Valutadatum",
        "Date de valeur", "Rentedatum",
    ),
    "payer": (
        "Payer", "Payer Name", "Remitter", "Remitter Name", "Customer Name", "Paid By", "Partner Name",
        "Partner", "Name", "Counterparty", "Counterparty Name", "Company", "Company Name",
        "Ordering Party", "Sender", "Auftraggeber", "Auftraggeber/Empfanger", "Zahlungspflichtiger",
        "Empfanger/Auftraggeber", "Naam", "Tegenpartij", "Emetteur", "Donneur d'ordre",
    ),
    "g_type": (
        "Type", "Document Type", "Transaction Type", "Dr/Cr", "Cr/Dr", "Debit/Credit", "Credit/Debit",
        "D/C", "C/D", "Sign", "Af Bij", "Af/Bij", "Soll/Haben", "S/H",
    ),
    "date": (
        "Booking Date", "Transaction Date", "Posting Date", "Entry Date", "Operation Date", "Book Date",
        "Processing Date", "Booked At", "Buchungstag", "Buchungsdatum", "Boekdatum", "Date de comptabilisation",
        "Data Lancamento", "Fecha", "Bogforingsdato",
    ),
    "g_date": ("Date", "Datum", "Data", "Dato"),
    "description": (
        "Description", "Label", "Details", "Detail", "Narrative", "Transaction Details", "Memo", "Text",
        "Particulars", "Payment Details", "Transaction Description", "Booking Text", "Communication",
        "Remittance Information", "Purpose", "Buchungstext", "Verwendungszweck", "VWZ1", "Umsatztext",
        "Historico", "Omschrijving", "Mededelingen", "Libelle", "Description 1", "Concepto", "Tekst",
    ),
    "debit": ("Debit", "Debits", "Debit Amount", "Withdrawal", "Withdrawals", "Money Out", "Paid Out", "Dr", "Outflow",
              "Soll", "Lastschrift", "Debet"),
    "credit": ("Credit", "Credits", "Credit Amount", "Deposit", "Deposits", "Money In", "Paid In", "Cr", "Inflow",
               "Haben", "Gutschrift"),
    "bank_ref": (
        "Operation Number", "Transaction ID", "Transaction No", "Bank Reference", "ID",
        "Transaction Reference", "N de transaction", "Numero do documento", "Transaktionsnummer",
    ),
    "payer_account": (
        "Bank Account", "IBAN", "Counterparty Account", "Counterparty IBAN", "From Account", "Payer Account",
        "Sender Account", "Tegenrekening", "IBAN Auftraggeber", "Partner IBAN",
    ),
    "ignored": ("Balance", "Running Balance", "Closing Balance", "Amount Currency", "Foreign Amount", "Quantity",
                "Kontostand", "Saldo", "Solde", "Kontonummer", "Data do Balancete", "Dependencia Origem", "Produit"),
}

# How each base role reads in an advice and in a statement: (final role, tier); tier 0 beats 1.
_ADVICE_ROLES: dict[str, tuple[str, int]] = {
    "reference": ("reference", 0), "g_reference": ("reference", 1), "paid": ("paid", 0),
    "g_amount": ("paid", 1), "gross": ("gross", 0), "discount": ("discount", 0),
    "deduction": ("deduction", 0), "reason_code": ("reason_code", 0), "reason": ("reason", 0),
    "comment": ("comment", 0), "doc_date": ("doc_date", 0), "g_date": ("doc_date", 1),
    "date": ("doc_date", 2), "po": ("po", 0), "customer_no": ("customer_no", 0),
    "g_account": ("customer_no", 1), "payer_id": ("payer_id", 0), "currency": ("currency", 0),
    "payment_ref": ("payment_ref", 0), "payment_date": ("payment_date", 0), "payer": ("payer", 0),
    "g_type": ("ref_type", 0), "payer_account": ("payer_account", 0),
}
_STATEMENT_ROLES: dict[str, tuple[str, int]] = {
    "date": ("date", 0), "g_date": ("date", 0), "payment_date": ("date", 1), "doc_date": ("date", 2),
    "description": ("description", 0), "comment": ("description", 1), "debit": ("debit", 0),
    "credit": ("credit", 0), "g_amount": ("amount", 0), "paid": ("amount", 1), "bank_ref": ("bank_ref", 0),
    "g_reference": ("bank_ref", 1), "reference": ("remittance_ref", 0), "payment_ref": ("payment_ref", 0),
    "payer": ("payer", 0), "customer_no": ("payer_id", 1), "payer_id": ("payer_id", 0),
    "payer_account": ("payer_account", 0), "g_account": ("payer_account", 1), "currency": ("currency", 0),
    "g_type": ("dc_mark", 0),
}
_ADVICE_ONLY = frozenset({"reference", "paid", "gross", "discount", "deduction", "reason", "reason_code", "doc_date", "po"})
_REFERENCE_ROLES = frozenset({"reference", "g_reference"})
_ADVICE_AMOUNT_ROLES = frozenset({"paid", "g_amount", "gross"})
_DATE_ROLES = frozenset({"date", "g_date", "payment_date"})
_MONEY_ROLES = ("paid", "gross", "discount", "deduction", "amount", "debit", "credit")

# Preamble labels ("Payment Date: 14/03/2026", or label and value in adjacent cells).
_PREAMBLE_LABELS: dict[str, tuple[str, ...]] = {
    "payer": (
        "From", "Payer", "Payer Name", "Remitter", "Paid By", "Customer", "Customer Name", "Company",
        "Sender", "Ordering Customer", "On Behalf Of",
    ),
    "payer_id": ("Account No", "Account", "Customer No", "Customer ID", "Customer Account", "Customer Account No", "Payer ID"),
    "payment_date": (
        "Payment Date", "Date", "Value Date", "Paid On", "Remittance Date", "Date Paid", "Pay Date",
        "Payment Run Date", "Check Date",
    ),
    "payment_ref": (
        "Payment Reference", "Reference", "Remittance No", "Remittance Reference", "Payment No",
        "Check No", "BACS Reference", "Transaction Reference", "Remittance Advice No", "Advice No",
    ),
    "total": (
        "Total", "Total Paid", "Total Amount", "Amount", "Amount Paid", "Payment Amount", "Total Payment",
        "Remittance Total", "Grand Total", "Payment Total", "Total Remitted", "Net Total",
    ),
    "currency": ("Currency",),
}

_SUMMARY_ROW = re.compile(r"^(grand total|sub ?totals?|totals?|sum|sum total|balance|opening balance|closing balance|carried forward|brought forward)\b")
_SUBTOTAL_ROW = re.compile(r"^sub ?totals?\b")
# A statement row that states a balance, not a movement (Banco do Brasil's "Saldo Anterior", "Solde", "Endsaldo").
_BALANCE_ROW = re.compile(r"^(saldo( anterior| do dia| final| inicial)?|s a l d o|solde( initial| final)?|anfangssaldo|"
                          r"endsaldo|kontostand|opening balance|closing balance|balance brought forward|balance)$")
# Debit/credit marks as banks write them in their own column: ING's Af/Bij, German S/H, Chase's DEBIT/CREDIT.
_DEBIT_MARKS = frozenset({"D", "DR", "DEBIT", "DBIT", "-", "AF", "S", "SOLL", "DEBET", "CHECK", "CHEQUE"})
_CREDIT_MARKS = frozenset({"C", "CR", "CREDIT", "CRDT", "+", "BIJ", "H", "HABEN", "CREDIT"})


def _canon(text: str) -> str:
    """A header or label reduced to its words, so that "Inv. #", "Invoice No" and "INVOICE NUMBER" meet."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")  # Débit, Währung
    lowered = text.lower().replace("#", " no ").replace("№", " no ")
    lowered = re.sub(r"\(.*?\)", " ", lowered)
    lowered = re.sub(r"[^a-z0-9]+", " ", lowered)
    lowered = re.sub(r"\bp o\b", "po", lowered)
    words = [_TOKEN_ALIASES.get(word, word) for word in lowered.split()]
    return " ".join(word for word in words if word.upper() not in _CURRENCY_CODES)


def _build_index(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for role, names in table.items():
        for rank, name in enumerate(names):
            index.setdefault(_canon(name), (role, rank))
    return index


_HEADER_INDEX = _build_index(_HEADER_SYNONYMS)
_PREAMBLE_INDEX = _build_index(_PREAMBLE_LABELS)


def _amount_names() -> str:
    names = _HEADER_SYNONYMS["paid"][:6] + _HEADER_SYNONYMS["g_amount"][:1] + _HEADER_SYNONYMS["gross"][:3]
    return ", ".join(names)


def _reference_names() -> str:
    return ", ".join(("Invoice No", "Invoice Number", "Your Reference", "Our Reference", "Document Number", "Reference"))


# --------------------------------------------------------------------------- reading cells


class _CellError(ValueError):
    """A cell that cannot be read; the message is for a clerk."""


_UNAMBIGUOUS_COMMA = re.compile(r"\d,\d{1,2}$|\.\d{3},\d")
_UNAMBIGUOUS_DOT = re.compile(r"\d\.\d{1,2}$|,\d{3}\.\d")
_DOT_GROUPED = re.compile(r"^[+-]?\(?\d{1,3}(\.\d{3})+\)?-?$")
_FLOAT_NOISE = re.compile(r"^-?\d+\.\d{6,}$")
_MONEY_SHAPE = re.compile(r"^[+-]?[£€$]?\(?[+-]?[£€$]?\d[\d,.]*\)?-?$")


_SYMBOLS_TABLE = str.maketrans("", "", "£€$¥ \u00a0'")
_CURRENCY_WORDS = re.compile(r"\b(?:%s)\b" % "|".join(sorted(_CURRENCY_CODES)))
_HAS_LETTER = re.compile(r"[A-Za-z]")
_FAST_AMOUNT = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")
_FAST_SYMBOL_AMOUNT = re.compile(r"^(\(?)[£€$]?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(\)?)$")


def _clean_amount_text(text: str) -> tuple[str, bool]:
    """Strip quotes, symbols, codes and a CR/DR suffix; say whether DR made it a debit."""
    raw = text.strip()
    debit = False
    if _HAS_LETTER.search(raw):
        raw = raw.upper().rstrip()
        if raw.endswith(("DR", "CR")):
            debit = raw.endswith("DR")
            raw = raw[:-2]
        raw = _CURRENCY_WORDS.sub("", raw)
    return raw.translate(_SYMBOLS_TABLE), debit


def _to_english(raw: str, decimal_comma: bool) -> str:
    """A number written with a decimal comma rewritten the English way for parse_money."""
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            return raw.replace(".", "").replace(",", ".")
        return raw
    if raw.count(",") == 1:
        if re.search(r",\d{1,2}\)?-?$", raw) or (decimal_comma and re.search(r",\d{3}\)?-?$", raw)):
            return raw.replace(",", ".")
    if decimal_comma and _DOT_GROUPED.match(raw):
        return raw.replace(".", "")
    return raw


def read_amount(text: str, *, decimal_comma: bool = False, from_xlsx: bool = False) -> Decimal | None:
    """An amount as customers write it: "1,234.56", "(12.00)", "12.00-", "£1,234.56", "1300,00"; "-" is zero.

    Returns None for an empty cell; raises _CellError with a plain message otherwise.
    """
    if not text:
        return None
    try:
        if _FAST_AMOUNT.match(text) and not (decimal_comma and "," in text):
            return check_size(Decimal(text.replace(",", "")), repr(text)).quantize(CENT)
        if (m := _FAST_SYMBOL_AMOUNT.match(text)) and m[1] == ("(" if m[4] else "") and not decimal_comma:
            value = check_size(Decimal(m[2].replace(",", "") + (m[3] or "")), repr(text)).quantize(CENT)
            return -value if m[1] else value
    except MoneyFormatError as exc:
        raise _CellError(str(exc)) from exc
    if not text.strip():
        return None
    raw, debit = _clean_amount_text(text)
    if raw in {"-", "--", "–", "—"}:
        return ZERO
    if not raw:
        raise _CellError(f"{text!r} is not an amount")
    if from_xlsx and _FLOAT_NOISE.match(raw):
        # A computed Excel cell such as 1234.5600000000002: Excel shows it rounded to the cent.
        exact = Decimal(raw).quantize(Decimal("0.000001"))
        if exact == exact.quantize(CENT):
            raw = str(exact.quantize(CENT))
    try:
        value = parse_money(_to_english(raw, decimal_comma))
    except MoneyFormatError as exc:
        if "decimal places" in str(exc):
            raise _CellError(f"{text!r} has more than 2 decimal places") from exc
        if exc.reason.startswith(("is not a number", "is empty")):
            raise _CellError(f"{text!r} is not an amount") from exc
        raise _CellError(f"{text!r} {exc.reason}") from exc  # named: scientific notation, too large...
    return -abs(value) if debit else value


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12, "january": 1, "february": 2, "march": 3, "april": 4, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?: [\d:]+)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_DAY_MONTH_DATE = re.compile(r"^(\d{1,2})[\s\-/.]+([A-Za-z]{3,9})\.?[\s\-/.,]+(\d{4}|\d{1,2})$")  # 10-Nov-9: 2009
_YMD_DATE = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})$")  # 2011/12/24
_COMPACT_DATETIME = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})\d{6}(?:\[[^\]]*\])?$")  # OFX: 20091224120000[0:GMT]
_MONTH_DAY_DATE = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
_COMPACT_DATE = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        year += 2000 if year < 70 else 1900
    return year


def read_date(text: str, *, day_first: bool = True, from_xlsx: bool = False) -> date | None:
    """A date in ISO, dd/mm/yyyy (or mm/dd/yyyy when ``day_first`` is False), dd.mm.yyyy, dd-Mon-yy...

    Returns None for an empty cell; raises _CellError with a plain message otherwise.
    """
    t = text.strip()
    if not t:
        return None
    try:
        if m := _ISO_DATE.match(t):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _NUMERIC_DATE.match(t):
            first, second = int(m[1]), int(m[3])
            if m[2] == "/" and not day_first:
                first, second = second, first
            return date(_year(m[4]), second, first)
        if m := _DAY_MONTH_DATE.match(t):
            month = _MONTHS.get(m[2].lower())
            if month:
                return date(_year(m[3]), month, int(m[1]))
        if m := _MONTH_DAY_DATE.match(t):
            month = _MONTHS.get(m[1].lower())
            if month:
                return date(int(m[3]), month, int(m[2]))
        if m := _COMPACT_DATE.match(t) or _COMPACT_DATETIME.match(t):
            return date(int(m[1] + m[2]), int(m[3]), int(m[4]))
        if m := _YMD_DATE.match(t):
            return date(int(m[1]), int(m[3]), int(m[4]))
        if from_xlsx and t.isdigit() and 20000 <= int(t) <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(t))
    except ValueError as exc:
        order = "day/month/year" if day_first else "month/day/year"
        hint = f" (slash dates in this file are read {order})" if "/" in t else ""
        raise _CellError(f"{t!r} is not a valid date{hint}") from exc
    raise _CellError(f"{t!r} is not a date; write it like 2026-03-14 or 14/03/2026")


def decide_day_first(date_texts: Iterable[str], currency: str | None) -> bool:
    """Day-first unless a value proves month-first (second part above 12) or the file is in USD."""
    second_big = False
    for text in date_texts:
        if m := _SLASH_DATE.match(text.strip()):
            if int(m[1]) > 12:
                return True
            if int(m[2]) > 12:
                second_big = True
    if second_big:
        return False
    return currency != "USD"


def _file_decimal_comma(texts: Iterable[str]) -> bool:
    """Whether ambiguous amounts ("1,234") are read with a decimal comma: the file's majority decides."""
    comma = dot = 0
    for text in texts:
        stripped = _clean_amount_text(text)[0].rstrip("-)")
        if _UNAMBIGUOUS_COMMA.search(stripped):
            comma += 1
        elif _UNAMBIGUOUS_DOT.search(stripped):
            dot += 1
    return comma > dot


def _looks_like_code(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-/.]{0,9}", text))


# --------------------------------------------------------------------------- the table's shape


@dataclass
class _Layout:
    """Where the table is and which column holds what, once the header is understood."""

    header_index: int  # -1 when the sheet has no header row
    mode: str  # "advice" or "statement"
    columns: dict[str, int]  # final role -> column index
    names: dict[int, str]  # column index -> header text, for messages
    extra_text: list[int] = field(default_factory=list)  # statement columns appended to bank_text

    def name(self, role: str) -> str:
        index = self.columns.get(role)
        return "" if index is None else self.names.get(index, f"column {index + 1}")


def _row_roles(row: Sequence[str]) -> dict[int, tuple[str, int]]:
    roles: dict[int, tuple[str, int]] = {}
    for index, cell in enumerate(row):
        if cell and len(cell) <= 60:
            found = _HEADER_INDEX.get(_canon(cell))
            if found:
                roles[index] = found
    return roles


def _mode_for(base: set[str]) -> str | None:
    advice_ok = bool(base & _REFERENCE_ROLES) and bool(base & _ADVICE_AMOUNT_ROLES)
    statement_ok = bool(base & _DATE_ROLES) and bool(base & {"debit", "credit", "g_amount", "paid"})
    if base & {"debit", "credit"} and base & _DATE_ROLES:
        return "statement"
    if advice_ok and base & _ADVICE_ONLY:
        return "advice"
    if statement_ok and "description" in base:
        return "statement"
    if advice_ok:
        return "advice"
    if statement_ok:
        return "statement"
    return None


def _assign(roles: dict[int, tuple[str, int]], mode: str) -> tuple[dict[str, int], list[int]]:
    table = _ADVICE_ROLES if mode == "advice" else _STATEMENT_ROLES
    best: dict[str, tuple[int, int, int]] = {}
    for index, (base, rank) in roles.items():
        if base not in table:
            continue
        final, tier = table[base]
        key = (tier, rank, index)
        if final not in best or key < best[final]:
            best[final] = key
    columns = {final: key[2] for final, key in best.items()}
    used = set(columns.values())
    extra = sorted(
        index for index, (base, _rank) in roles.items()
        if index not in used and table.get(base, ("",))[0] in {"description", "remittance_ref", "bank_ref"}
    )
    if mode == "statement" and "remittance_ref" in columns:
        extra = sorted(set(extra) | {columns["remittance_ref"]})
    return columns, extra


@dataclass
class _HeaderSearch:
    layout: _Layout | None
    problem: str | None  # why no layout, when there is none
    problem_row: int = -1


def _find_layout(sheet: Sheet) -> _HeaderSearch:
    """The best-scoring header row in the first 30 rows, or the reason there is none."""
    best: tuple[int, int, str, dict[int, tuple[str, int]]] | None = None
    near_miss: tuple[int, int, set[str]] | None = None
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        roles = _row_roles(row)
        if len(roles) < 2:
            continue
        base = {role for role, _rank in roles.values() if role != "ignored"}
        mode = _mode_for(base)
        score = len(roles)
        if mode is None:
            if near_miss is None or score > near_miss[0]:
                near_miss = (score, index, base)
            continue
        if best is None or score > best[0]:
            best = (score, index, mode, roles)
    if best is not None:
        _score, index, mode, roles = best
        columns, extra = _assign(roles, mode)
        names = {i: sheet.rows[index][i] for i in roles}
        return _HeaderSearch(_Layout(index, mode, columns, names, extra), None)
    if near_miss is not None:
        _score, index, base = near_miss
        if base & _REFERENCE_ROLES:
            return _HeaderSearch(None, f"no amount column: expected one of {_amount_names()}", index)
        if base & _ADVICE_AMOUNT_ROLES:
            return _HeaderSearch(None, f"no reference column: expected one of {_reference_names()}", index)
        if base & {"debit", "credit"}:
            return _HeaderSearch(None, "no date column: expected one of Date, Booking Date, Transaction Date, Value Date", index)
    headerless = _infer_headerless(sheet) if near_miss is None else None
    if headerless is not None:
        return _HeaderSearch(headerless, None)
    return _HeaderSearch(
        None,
        f"no table header found in the first {HEADER_SEARCH_ROWS} rows: expected a reference column "
        f"({_reference_names()}) and an amount column ({_amount_names()}), or a bank export's "
        "Date and Amount (or Debit and Credit) columns",
    )


_HEADERLESS_AMOUNT = re.compile(r"^[+-]?[£€$]?\(?[+-]?[£€$]?(?:\d{1,3}(?:[,.']?\d{3})*)?[.,]\d{2}\)?-?$")  # ($85.00), $.23
_HEADERLESS_DATES = (_ISO_DATE, _NUMERIC_DATE, _DAY_MONTH_DATE, _YMD_DATE, _COMPACT_DATE, _COMPACT_DATETIME)


def _column_kind(values: list[str]) -> str:
    if not values:
        return "empty"
    if all(any(pattern.match(v) for pattern in _HEADERLESS_DATES) for v in values):
        return "date"
    if all(v.strip().upper() in _DEBIT_MARKS | _CREDIT_MARKS for v in values) and any(len(v.strip()) > 1 for v in values):
        return "dc_mark"
    if all(_HEADERLESS_AMOUNT.match(v) for v in values):
        return "amount"
    if all(v.upper() in _CURRENCY_CODES for v in values):
        return "currency"
    return "text"


def _infer_headerless(sheet: Sheet) -> _Layout | None:
    """A statement export without a header row: columns recognised by what every value looks like."""
    width = max((len(row) for row in sheet.rows), default=0)
    rows = [list(row) + [""] * (width - len(row)) for row in sheet.rows if any(row)]
    if not rows or width < 3:
        return None
    kinds = [_column_kind([row[i] for row in rows if row[i]]) for i in range(width)]
    if "date" not in kinds or "amount" not in kinds:
        return None
    columns = {"date": kinds.index("date"), "amount": kinds.index("amount")}
    if "dc_mark" in kinds:
        columns["dc_mark"] = kinds.index("dc_mark")
    if "currency" in kinds:
        columns["currency"] = kinds.index("currency")
    texts = [i for i, kind in enumerate(kinds) if kind == "text"]
    extra: list[int] = []
    if texts:
        columns["description"] = texts[0]
    for i in texts[1:]:
        values = [row[i] for row in rows if row[i]]
        if "payer" not in columns and any(" " in v for v in values):
            columns["payer"] = i
        else:
            extra.append(i)
    names = {i: f"column {i + 1}" for i in range(len(kinds))}
    return _Layout(-1, "statement", columns, names, extra)


# --------------------------------------------------------------------------- the preamble


@dataclass
class _Preamble:
    values: dict[str, str] = field(default_factory=dict)  # role -> text
    where: dict[str, int] = field(default_factory=dict)  # role -> row index
    currency: str | None = None


def _read_preamble(rows: Sequence[Sequence[str]]) -> _Preamble:
    """Labelled values above the table: "Payment Date: 14/03/2026" or "Payment Date" | "14/03/2026"."""
    preamble = _Preamble()
    for index, row in enumerate(rows):
        cells = [cell for cell in row if cell]
        position = 0
        while position < len(cells):
            cell = cells[position]
            position += 1
            label, value = cell, ""
            if ":" in cell and not re.match(r"^\d{1,2}:\d{2}", cell):
                label, value = (part.strip() for part in cell.split(":", 1))
                if not value and position < len(cells) and ":" not in cells[position]:
                    value = cells[position]
                    position += 1
            elif position < len(cells) and _canon(cell) in _PREAMBLE_INDEX:
                value = cells[position]
                position += 1
            if not value:
                continue
            if not label and value.upper() in _CURRENCY_CODES:
                preamble.currency = preamble.currency or value.upper()
                continue
            found = _PREAMBLE_INDEX.get(_canon(label))
            if found and found[0] not in preamble.values:
                preamble.values[found[0]] = value
                preamble.where[found[0]] = index
    currency = preamble.values.get("currency", "").strip().upper()
    if currency in _CURRENCY_CODES:
        preamble.currency = currency
    return preamble


# --------------------------------------------------------------------------- parsing


class _Reader:
    """One parse: the sheet, its layout, the file-wide conventions, and the problems found."""

    def __init__(self, sheet: Sheet, layout: _Layout) -> None:
        self.sheet = sheet
        self.layout = layout
        self.file = sheet.file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []  # imported, but a clerk must see it (an advice total its lines miss)
        self.skipped: Counter[str] = Counter()
        self.from_xlsx = sheet.kind == "xlsx"
        self.data_start = layout.header_index + 1
        # Rows padded to one more cell than the widest, so that a missing column reads as "".
        width = max((len(row) for row in sheet.rows), default=0) + 1
        padding = [""] * width
        for row in sheet.rows:  # the sheet was read for this parse alone: padding in place is safe
            row.extend(padding[: width - len(row)])
        self.rows = sheet.rows
        self.col: defaultdict[str, int] = defaultdict(lambda: width - 1, layout.columns)
        self.preamble = _read_preamble(sheet.rows[: max(layout.header_index, 0)])
        self.header = [c.lower() for c in self.rows[layout.header_index]] if layout.header_index >= 0 else None
        self.currency = self._file_currency()
        self.decimal_comma = _file_decimal_comma(self._column_texts(_MONEY_ROLES, 2_000))
        date_texts = self._column_texts(("doc_date", "payment_date", "date"), len(self.rows))
        if "payment_date" in self.preamble.values:
            date_texts.append(self.preamble.values["payment_date"])
        for row in sheet.rows[: max(layout.header_index, 0)]:
            date_texts.extend(part.split(":", 1)[-1] for part in row if "/" in part)
        self.day_first = decide_day_first(date_texts, self.currency)
        self._dates: dict[str, date | str | None] = {"": None}

    # -- helpers
    def _column_texts(self, roles: Iterable[str], limit: int = 20_000) -> list[str]:
        """Non-empty cells of some columns, from the first ``limit`` data rows (enough to learn conventions)."""
        indexes = [self.layout.columns[r] for r in roles if r in self.layout.columns]
        rows = self.rows[self.data_start : self.data_start + limit]
        return [row[i] for row in rows for i in indexes if row[i]]

    def _file_currency(self) -> str | None:
        if self.preamble.currency:
            return self.preamble.currency
        column = self.layout.columns.get("currency")
        if column is not None:
            codes = Counter(
                text.upper() for text in self._column_texts(("currency",)) if text.upper() in _CURRENCY_CODES
            )
            if codes:
                return codes.most_common(1)[0][0]
        symbols: Counter[str] = Counter()
        texts = self._column_texts(_MONEY_ROLES, 2_000)
        texts.append(self.preamble.values.get("total", ""))
        for text in texts:
            for symbol, code in _CURRENCY_SYMBOLS.items():
                if symbol in text:
                    symbols[code] += 1
        return symbols.most_common(1)[0][0] if symbols else None

    def cell(self, row: Sequence[str], role: str) -> str:
        return row[self.col[role]]

    def row_number(self, index: int) -> int:
        return index - self.data_start + 1

    def problem(self, index: int, role: str, message: str) -> None:
        self.problems.append(
            Problem(self.file, f"row {self.row_number(index)}", self.layout.name(role), f"{message} ({self.sheet.line_label(index)})")
        )

    def amount(self, row: Sequence[str], index: int, role: str) -> tuple[Decimal | None, bool]:
        """The amount in a column, and whether it was readable (a problem is recorded if not)."""
        text = row[self.col[role]]
        if not text:
            return None, True
        try:
            return read_amount(text, decimal_comma=self.decimal_comma, from_xlsx=self.from_xlsx), True
        except _CellError as exc:
            self.problem(index, role, f"the amount {exc}")
            return None, False

    def date(self, row: Sequence[str], index: int, role: str) -> tuple[date | None, bool]:
        text = self.cell(row, role)
        if text in self._dates:
            known = self._dates[text]
        else:
            try:
                known = read_date(text, day_first=self.day_first, from_xlsx=self.from_xlsx)
            except _CellError as exc:
                known = str(exc)
            self._dates[text] = known
        if isinstance(known, str):
            self.problem(index, role, f"the date {known}")
            return None, False
        return known, True

    def preamble_date(self) -> date | None:
        text = self.preamble.values.get("payment_date")
        if not text:
            return None
        try:
            return read_date(text, day_first=self.day_first, from_xlsx=self.from_xlsx)
        except _CellError as exc:
            self.preamble_problem("payment_date", "Payment Date", f"the date {exc}")
            return None

    def preamble_total(self) -> Decimal | None:
        text = self.preamble.values.get("total")
        if not text:
            return None
        try:
            return read_amount(text, decimal_comma=self.decimal_comma)
        except _CellError as exc:
            self.preamble_problem("total", "Total", f"the amount {exc}")
            return None

    def preamble_problem(self, role: str, column: str, message: str) -> None:
        index = self.preamble.where[role]
        self.problems.append(Problem(self.file, self.sheet.line_label(index), column, message))

    def kind_of_row(self, index: int, row: Sequence[str]) -> str:
        """'blank', 'header', 'subtotal', 'total', 'note' (one lonely cell) or 'data'."""
        filled = [cell for cell in row if cell]
        if not filled:
            return "blank"
        header = self.header
        if header is not None and len(row) == len(header) and row[0].lower() == header[0] and [c.lower() for c in row] == header:
            return "header"
        first = re.sub(r"[^a-z0-9]+", " ", filled[0].lower()).strip()
        if _SUMMARY_ROW.match(first):
            return "subtotal" if _SUBTOTAL_ROW.match(first) else "total"
        if len(filled) == 1:
            return "note"
        return "data"


def _read_advice(reader: _Reader) -> list[ParsedPayment]:
    """Remittance lines grouped into payments by their payment reference."""
    rows = reader.rows
    groups: dict[str, list[tuple[int, RemittanceLine, dict[str, object]]]] = {}
    grand = segment = ZERO
    # Exports often write the payment's reference, date and payer on its first line only.
    carried: dict[str, object] = {}
    for index in range(reader.data_start, len(rows)):
        row = rows[index]
        kind = reader.kind_of_row(index, row)
        if kind == "total":
            _check_total_row(reader, index, row, grand, segment)
            segment = ZERO
            continue
        if kind != "data":
            continue
        reference = reader.cell(row, "reference")
        if not reference:
            if any(reader.cell(row, r) for r in ("paid", "gross", "discount", "deduction")):
                reader.problem(index, "reference", "the line has an amount but no reference")
            continue
        line = _advice_line(reader, index, row, reference)
        if line is None:
            continue
        grand += line.paid_amount or ZERO
        segment += line.paid_amount or ZERO
        for role in ("payment_ref", "payer", "payer_id", "currency", "payer_account"):
            if value := reader.cell(row, role):
                carried[role] = value
        if reader.cell(row, "payment_date"):
            carried["payment_date"], _ok = reader.date(row, index, "payment_date")
        context = {role: carried.get(role) for role in ("payer", "payer_id", "currency", "payer_account", "payment_date")}
        groups.setdefault(str(carried.get("payment_ref") or ""), []).append((index, line, context))
    return _advice_payments(reader, groups, grand)


def _advice_line(reader: _Reader, index: int, row: Sequence[str], reference: str) -> RemittanceLine | None:
    paid, ok_paid = reader.amount(row, index, "paid")
    gross, ok_gross = reader.amount(row, index, "gross")
    discount, ok_discount = reader.amount(row, index, "discount")
    deduction, ok_deduction = reader.amount(row, index, "deduction")
    doc_date, ok_date = reader.date(row, index, "doc_date")
    if not (ok_paid and ok_gross and ok_discount and ok_deduction and ok_date):
        return None
    discount = abs(discount) if discount is not None else None
    deduction = abs(deduction) if deduction is not None else None
    if paid is None and gross is not None:
        paid = gross - (discount or ZERO) - (deduction or ZERO)
    if paid is None:
        column = "paid" if "paid" in reader.layout.columns else "gross"
        reader.problem(index, column, f"the line for {reference} has no amount paid")
        return None
    reason_code = reader.cell(row, "reason_code") or None
    texts = [reader.cell(row, "comment")]
    reason = reader.cell(row, "reason")
    if reason and _looks_like_code(reason) and reason_code is None:
        reason_code = reason
    elif reason:
        texts.insert(0, reason)
    adjustment_text = " - ".join(t for t in texts if t) or None
    return RemittanceLine(
        reference=reference,
        paid_amount=paid,
        gross_amount=gross,
        discount=discount,
        adjustment=deduction,
        reason_code=reason_code,
        adjustment_text=adjustment_text,
        doc_date=doc_date,
        ref_type=reader.cell(row, "ref_type") or None,
        po_number=reader.cell(row, "po") or None,
        customer_ref=reader.cell(row, "customer_no") or None,
    )


def _row_total(reader: _Reader, index: int, row: Sequence[str]) -> tuple[Decimal | None, str]:
    """The paid total a totals row states, and its column role; a problem if it cannot be read."""
    columns = reader.layout.columns
    if "paid" in columns:
        role, text = "paid", reader.cell(row, "paid")
    elif reader.cell(row, "gross"):
        gross, ok = reader.amount(row, index, "gross")
        discount, ok_discount = reader.amount(row, index, "discount")
        deduction, ok_deduction = reader.amount(row, index, "deduction")
        if not (ok and ok_discount and ok_deduction) or gross is None:
            return None, "gross"
        return gross - abs(discount or ZERO) - abs(deduction or ZERO), "gross"
    else:
        role, text = "paid", ""
    if not text:
        first = next((cell for cell in row if cell), "")
        candidates = [cell for cell in row[1:] if cell and _MONEY_SHAPE.match(cell.replace(" ", ""))]
        text = candidates[-1] if candidates else (first.split(":", 1)[1].strip() if ":" in first else "")
    try:
        return read_amount(text, decimal_comma=reader.decimal_comma, from_xlsx=reader.from_xlsx), role
    except _CellError as exc:
        reader.problem(index, role, f"the total {exc}")
        return None, role


def _check_total_row(reader: _Reader, index: int, row: Sequence[str], grand: Decimal, segment: Decimal) -> None:
    """A "Total" row must equal the lines above it (since the previous total, or all of them)."""
    stated, role = _row_total(reader, index, row)
    if stated is None or reader.problems:
        return
    if stated not in (grand, segment):  # customers list invoices at their original amount, some paid earlier
        reader.warnings.append(Problem(
            reader.file, f"row {reader.row_number(index)}", reader.layout.name(role) or role,
            f"the total row says {stated:,.2f} but the lines above add up to {grand:,.2f}; imported: matching "
            f"trusts the cash on the bank and the documents named"))


def _advice_payments(
    reader: _Reader,
    groups: dict[str, list[tuple[int, RemittanceLine, dict[str, object]]]],
    grand: Decimal,
) -> list[ParsedPayment]:
    preamble = reader.preamble
    stated = reader.preamble_total()
    preamble_date = reader.preamble_date()
    if stated is not None and stated != grand and not reader.problems:
        reader.warnings.append(Problem(
            reader.file, reader.sheet.line_label(reader.preamble.where["total"]), "Total",
            f"the advice states a total of {stated:,.2f} but its lines add up to {grand:,.2f}; imported with its "
            f"stated total: matching trusts the cash on the bank and the documents named"))
    payments: list[ParsedPayment] = []
    for key, members in groups.items():
        first_index = members[0][0]
        contexts = [context for _i, _line, context in members]

        def first(role: str) -> object:
            return next((c[role] for c in contexts if c[role]), None)

        lines = tuple(line for _i, line, _c in members)
        payment_date = first("payment_date")
        total = sum((line.paid_amount for line in lines if line.paid_amount is not None), ZERO)
        if len(groups) == 1 and stated is not None:
            total = stated
        customer_refs = {line.customer_ref for line in lines if line.customer_ref}
        payer_id = first("payer_id") or preamble.values.get("payer_id")
        if payer_id is None and len(customer_refs) == 1:
            payer_id = next(iter(customer_refs))
        currency = first("currency")
        payments.append(
            ParsedPayment(
                kind="advice",
                payment_ref=key or preamble.values.get("payment_ref") or None,
                value_date=payment_date if isinstance(payment_date, date) else preamble_date,
                amount=total.quantize(CENT),
                currency=str(currency).upper() if currency else reader.currency,
                payer_name=str(first("payer") or preamble.values.get("payer") or "") or None,
                payer_account=str(first("payer_account") or "") or None,
                payer_id=str(payer_id) if payer_id else None,
                lines=lines,
                location=f"row {reader.row_number(first_index)}",
            )
        )
    return payments


def _statement_amount(reader: _Reader, index: int, row: Sequence[str]) -> tuple[Decimal | None, bool]:
    """Signed amount of a statement row: positive credit, negative debit; None when it has none."""
    columns = reader.layout.columns
    if "credit" in columns or "debit" in columns:
        credit, ok_credit = reader.amount(row, index, "credit")
        debit, ok_debit = reader.amount(row, index, "debit")
        if not (ok_credit and ok_debit):
            return None, False
        if credit:
            return credit, True
        if debit:
            return -abs(debit), True
        return (ZERO if credit is not None or debit is not None else None), True
    amount, ok = reader.amount(row, index, "amount")
    if amount is not None:
        mark = reader.cell(row, "dc_mark").strip().upper()
        if mark in _DEBIT_MARKS:
            amount = -abs(amount)
        elif mark in _CREDIT_MARKS:
            amount = abs(amount)
    return amount, ok


def _read_statement(reader: _Reader) -> list[ParsedPayment]:
    """Each credit row of a bank export is a receipt; debits are counted and skipped."""
    layout = reader.layout
    rows = reader.rows
    payments: list[ParsedPayment] = []
    for index in range(reader.data_start, len(rows)):
        row = rows[index]
        if reader.kind_of_row(index, row) != "data":
            continue
        description = re.sub(r"[^a-z ]+", " ", unicodedata.normalize("NFKD", reader.cell(row, "description").lower())
                             .encode("ascii", "ignore").decode("ascii"))
        if _BALANCE_ROW.match(" ".join(description.split())):
            reader.skipped["balance rows"] += 1
            continue
        amount, ok = _statement_amount(reader, index, row)
        if not ok:
            continue
        if amount is None:
            reader.skipped["no amount"] += 1
            continue
        if amount < 0:
            reader.skipped["debits"] += 1
            continue
        if amount == 0:
            reader.skipped["zero amounts"] += 1
            continue
        value_date, ok_date = reader.date(row, index, "date")
        if not ok_date:
            continue
        if value_date is None:
            reader.problem(index, "date", "the credit has no date")
            continue
        text_columns = [layout.columns[r] for r in ("description",) if r in layout.columns] + layout.extra_text
        bank_text = " ".join(row[i] for i in text_columns if i < len(row) and row[i])
        currency = reader.cell(row, "currency").upper() or reader.currency
        payments.append(
            ParsedPayment(
                kind="bank",
                payment_ref=reader.cell(row, "payment_ref") or None,
                value_date=value_date,
                amount=amount,
                currency=currency or None,
                payer_name=reader.cell(row, "payer") or None,
                payer_account=reader.cell(row, "payer_account") or None,
                payer_id=reader.cell(row, "payer_id") or None,
                bank_ref=reader.cell(row, "bank_ref") or None,
                bank_text=bank_text,
                location=f"row {reader.row_number(index)}",
                account=reader.preamble.values.get("payer_id"),
            )
        )
    return payments


def parse(data: bytes, file: str) -> ParsedFile:
    """Read a customer's remittance sheet or a bank's statement export; every fault becomes a Problem."""
    try:
        sheet = read_sheet(data, file)
    except TableReadError as exc:
        return ParsedFile(format="sheet", file=file, problems=exc.problems)
    search = _find_layout(sheet)
    if search.layout is None:
        location = sheet.line_label(search.problem_row) if search.problem_row >= 0 else ""
        return ParsedFile(format="sheet", file=file, problems=(Problem(file, location, "", search.problem or ""),))
    reader = _Reader(sheet, search.layout)
    if search.layout.mode == "advice":
        payments = _read_advice(reader)
        if not payments and not reader.problems:
            where = sheet.line_label(search.layout.header_index)
            reader.problems.append(Problem(file, where, "", "the table under the header has no remittance lines"))
    else:
        payments = _read_statement(reader)
        if not payments and not reader.skipped and not reader.problems:
            reader.problems.append(Problem(file, "", "", "the statement has no entries"))
    return ParsedFile(
        format="sheet",
        file=file,
        payments=tuple(payments),
        skipped=dict(reader.skipped),
        problems=tuple(reader.problems),
        warnings=tuple(reader.warnings) + tuple(Problem(file, "", "", note) for note in sheet.notes),
    )


# --------------------------------------------------------------------------- sniffing

_OTHER_FORMAT_STARTS = ("<", "{1:", "ISA", "UNA", "UNB", "01,", "101 ", ":20:", ":940:", ":942:")
_MT_TAG = re.compile(r"^:\d{2}[A-Z]?:", re.MULTILINE)
_FIXED_WIDTH_RECORD = re.compile(r"^\d[\w ]{40,}$")
_BAI_RECORD = re.compile(r"^\d{2},.*/\s*$")  # BAI2 records end with a slash


def sniff(data: bytes) -> bool:
    """True for an XLSX workbook, or text whose first lines are delimited and not another payment format."""
    if data.startswith(XLSX_MAGIC):
        return is_xlsx(data)
    head = data[:16384]
    if not head.strip() or looks_binary(head):
        return False
    text = decode_text(head)
    lines = [line for line in text.splitlines() if line.strip()][:30]  # a preamble may precede the table
    if not lines:
        return False
    first = lines[0].lstrip()
    if first.startswith(_OTHER_FORMAT_STARTS) or _MT_TAG.search("\n".join(lines[:10])):
        return False
    if _FIXED_WIDTH_RECORD.match(first) or _BAI_RECORD.match(first):
        return False
    return any(delimiter in line for line in lines for delimiter in (",", ";", "\t"))


# --------------------------------------------------------------------------- rendering

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Column sets per style: (header text, what it holds).
_STYLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "plain": (
        ("Payment Reference", "payment_ref"), ("Payment Date", "payment_date"), ("Payer", "payer"),
        ("Payer ID", "payer_id"), ("Currency", "currency"), ("Invoice Number", "reference"),
        ("Document Type", "ref_type"), ("Invoice Date", "doc_date"), ("PO Number", "po"),
        ("Customer No", "customer_ref"), ("Gross Amount", "gross"), ("Discount", "discount"),
        ("Deduction", "adjustment"), ("Reason Code", "reason_code"), ("Comment", "adjustment_text"),
        ("Amount Paid", "paid"),
    ),
    "preamble": (
        ("Your Reference", "reference"), ("Invoice Date", "doc_date"), ("PO Number", "po"),
        ("Account", "customer_ref"), ("Invoice Amount", "gross"), ("Discount", "discount"),
        ("Deduction", "adjustment"), ("Reason Code", "reason_code"), ("Comment", "adjustment_text"),
        ("Amount Paid", "paid"),
    ),
    "messy": (
        ("Inv #", "reference"), ("Doc Date", "doc_date"), ("Cust PO", "po"), ("Cust No.", "customer_ref"),
        ("Gross", "gross"), ("Disc", "discount"), ("Deduction", "adjustment"), ("Reason Code", "reason_code"),
        ("Comments", "adjustment_text"), ("Amt Paid", "paid"),
    ),
}
_PAYMENT_COLUMNS = (("Payment Ref", "payment_ref"), ("Payment Date", "payment_date"), ("Payer", "payer"))

_GETTERS: dict[str, Callable[[ParsedPayment, RemittanceLine], object]] = {
    "payment_ref": lambda p, ln: p.payment_ref,
    "payment_date": lambda p, ln: p.value_date,
    "payer": lambda p, ln: p.payer_name,
    "payer_id": lambda p, ln: p.payer_id,
    "currency": lambda p, ln: p.currency,
    "reference": lambda p, ln: ln.reference,
    "ref_type": lambda p, ln: ln.ref_type,
    "doc_date": lambda p, ln: ln.doc_date,
    "po": lambda p, ln: ln.po_number,
    "customer_ref": lambda p, ln: ln.customer_ref,
    "gross": lambda p, ln: ln.gross_amount,
    "discount": lambda p, ln: ln.discount,
    "adjustment": lambda p, ln: ln.adjustment,
    "reason_code": lambda p, ln: ln.reason_code,
    "adjustment_text": lambda p, ln: ln.adjustment_text,
    "paid": lambda p, ln: ln.paid_amount,
}
_MONEY_FIELDS = frozenset({"gross", "discount", "adjustment", "paid"})
_DATE_FIELDS = frozenset({"payment_date", "doc_date"})


def _format_date(value: date | None, style: str, month_first: bool) -> str:
    if value is None:
        return ""
    if style == "plain":
        return value.isoformat()
    if style == "messy":
        return f"{value.day:02d}-{_MONTH_ABBR[value.month - 1]}-{value.year % 100:02d}"
    if month_first:
        return f"{value.month:02d}/{value.day:02d}/{value.year}"
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _format_amount(value: Decimal | None, style: str, symbol: str) -> str:
    if value is None:
        return ""
    if style == "plain":
        return f"{value:.2f}"
    if style == "messy":
        if value == 0:
            return "-"
        text = f"{symbol}{abs(value):,.2f}"
        return f"({text})" if value < 0 else text
    return f"{value:,.2f}"


@dataclass(frozen=True)
class _RenderContext:
    style: str
    fmt: str
    symbol: str
    month_first: bool

    def formatter(self, what: str) -> Callable[[object], object]:
        """How one column's values are written: typed for a workbook, text for CSV and messy sheets."""
        if what in _MONEY_FIELDS:
            if self.fmt == "xlsx" and self.style != "messy":
                return _identity
            return lambda v: _format_amount(v, self.style, self.symbol)  # type: ignore[arg-type]
        if what in _DATE_FIELDS:
            if self.fmt == "xlsx":
                return _identity
            return lambda v: _format_date(v, self.style, self.month_first)  # type: ignore[arg-type]
        return _identity


def _identity(value: object) -> object:
    return value


def _advice_rows(payments: Sequence[ParsedPayment], style: str, fmt: str) -> list[list[object]]:
    """The whole advice as rows of cells: preamble, header, lines and totals, as the style lays them out."""
    if style not in RENDER_STYLES:
        raise ValueError(f"unknown sheet style {style!r}; use one of {', '.join(RENDER_STYLES)}")
    currency = next((p.currency for p in payments if p.currency), None)
    context = _RenderContext(style, fmt, {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency or "", ""), currency == "USD")
    columns = list(_STYLE_COLUMNS[style])
    single = len(payments) == 1
    if style != "plain" and not single:
        columns = list(_PAYMENT_COLUMNS) + columns
    cells = [(_GETTERS[what], context.formatter(what)) for _name, what in columns]
    total = sum((p.amount or ZERO for p in payments), ZERO)
    rows: list[list[object]] = []
    if style != "plain":
        rows.extend(_preamble_rows(payments, total, context, currency))
    rows.append([name for name, _what in columns])
    pairs = [(p, line) for p in payments for line in p.lines]
    if style == "messy" and single:
        blocks = [
            ("Invoices", [(p, ln) for p, ln in pairs if (ln.paid_amount or ZERO) >= 0]),
            ("Credit notes", [(p, ln) for p, ln in pairs if (ln.paid_amount or ZERO) < 0]),
        ]
    elif style == "messy":
        blocks = [(f"Payment {n} of {len(payments)}", [(p, ln) for ln in p.lines]) for n, p in enumerate(payments, 1)]
    else:
        blocks = [("", pairs)]
    for title, block in blocks:
        if title and block:
            rows.append([title])
        rows.extend([fmt_cell(get(p, ln)) for get, fmt_cell in cells] for p, ln in block)
    if style != "plain":
        totals: list[object] = [None] * len(columns)
        totals[0] = "Grand total" if style == "messy" else "Total"
        totals[-1] = cells[-1][1](total)
        rows.extend([[], totals])
    if style == "messy":
        rows.extend([[], ["Queries: please contact our accounts payable team quoting the payment reference."]])
    return rows


def _preamble_rows(
    payments: Sequence[ParsedPayment], total: Decimal, context: _RenderContext, currency: str | None
) -> list[list[object]]:
    """Eight rows (header on row 9) for "preamble", label-value pairs in two cells for "messy"."""
    pairs: list[tuple[str, str]] = []
    payers = {p.payer_name for p in payments}
    payer_ids = {p.payer_id for p in payments}
    if len(payers) == 1:
        pairs.append(("From", payments[0].payer_name or ""))
    if len(payer_ids) == 1:
        pairs.append(("Account No", payments[0].payer_id or ""))
    if len(payments) == 1:
        pairs.append(("Payment Date", _format_date(payments[0].value_date, context.style, context.month_first)))
        pairs.append(("Payment Ref", payments[0].payment_ref or ""))
    if currency:
        pairs.append(("Currency", currency))
    pairs.append(("Total", f"{context.symbol}{total:,.2f}" if context.style == "messy" else f"{total:,.2f}"))
    rows: list[list[object]] = [["Remittance Advice"]]
    if context.style == "messy":
        rows.append(["Payment notification - please allocate as below"])
        rows.append([])
        rows.extend([label, value] for label, value in pairs if value)
        rows.append([])
        return rows
    rows.extend([f"{label}: {value}"] for label, value in pairs if value)
    while len(rows) < 8:
        rows.append([])
    return rows


def _write_csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write_xlsx(rows: list[list[object]]) -> bytes:
    import xlsxwriter  # only the demo and tests write .xlsx advices; parsing never needs it

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = workbook.add_worksheet("Remittance")
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    write_number, write_string, write_datetime = sheet.write_number, sheet.write_string, sheet.write_datetime
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                write_string(r, c, value)
            elif isinstance(value, Decimal):
                write_number(r, c, value, money_format)  # type: ignore[arg-type]
            elif isinstance(value, date):
                write_datetime(r, c, value, date_format)  # type: ignore[arg-type]
    workbook.close()
    return buffer.getvalue()


def render(payments: Sequence[ParsedPayment], fmt: str = "xlsx", style: str = "preamble", **_options: object) -> bytes:
    """A customer remittance advice as CSV or XLSX.

    ``style``: "plain" (one header row, payment columns, ISO dates, several payments), "preamble"
    (title, "From:/Payment Date:/Total:" lines, header on row 9, totals row) or "messy" (label and
    value in adjacent cells, "Inv #"/"Amt Paid" headers, £1,234.56 and (12.00) amounts, dd-Mon-yy
    dates, sub-headings, "Grand total" and a footer note). Several payments in one file carry
    Payment Ref/Payment Date/Payer columns. Slash dates are written month-first for USD advices.
    """
    if fmt not in {"csv", "xlsx"}:
        raise ValueError(f"unknown sheet file type {fmt!r}; use 'xlsx' or 'csv'")
    rows = _advice_rows(payments, style, fmt)
    return _write_csv(rows) if fmt == "csv" else _write_xlsx(rows)
