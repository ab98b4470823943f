"""Money: the one place where strings, numbers, cents and dates of imported files become exact values.

Every import reads its amounts and dates through here (the ERP tables through the SQL twins of
these rules in ``cashbook.db.import_sql``), so a text is an amount, or is refused for a named
reason, the same way in every format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_INTEGER_DIGITS = 15  # DECIMAL(18,2) holds 16; one digit of headroom for sums of a customer's documents
LARGEST = Decimal(10) ** MAX_INTEGER_DIGITS

# What nearly every file writes: digits, a point and at most two places. Read at once, without the
# checks for every other way of writing an amount (a bank statement holds tens of thousands).
_SIMPLE = re.compile(r"-?[0-9]{1,15}(?:\.([0-9]{1,2}))?")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")

# The named refusals, as regular expressions that Python's re and DuckDB's RE2 read alike
# (import_sql runs them set-wise over a whole file). Each is matched against the bare cell.
SCIENTIFIC_RE = r"^[(+-]*([0-9]+[.]?[0-9]*|[.][0-9]+)[eE][+-]?[0-9]+[)-]*$"
UNDERSCORE_RE = r"^[(+-]*[0-9][0-9_,]*_[0-9_,]*([.][0-9_]*)?[)-]*$"
NOT_FINITE_RE = r"^[(+-]*([nN][aA][nN]|[sS][nN][aA][nN]|[iI][nN][fF]([iI][nN][iI][tT][yY])?)[)-]*$"
REASON_SCIENTIFIC = "is in scientific notation; write the amount out in full (100000.00, not 1e5)"
REASON_UNDERSCORE = "has underscores; write the amount without them (1000.00 or 1,000.00)"
REASON_NOT_FINITE = "is not a number (NaN or infinity)"
REASON_TOO_LARGE = f"is too large: more than {MAX_INTEGER_DIGITS} digits before the decimal point"
REASON_PLACES = "has more than two decimal places"
REASON_NOT_AN_AMOUNT = "is not an amount"
_NAMED = ((re.compile(SCIENTIFIC_RE), REASON_SCIENTIFIC), (re.compile(UNDERSCORE_RE), REASON_UNDERSCORE),
          (re.compile(NOT_FINITE_RE), REASON_NOT_FINITE))


class MoneyFormatError(ValueError):
    """A text that is not an amount of money; the message says why, for a person.

    ``reason`` is the message without the quoted text, for callers that say where the text was.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def _refuse(text: object, reason: str) -> MoneyFormatError:
    return MoneyFormatError(f"{text!s} {reason}", reason)


def named_refusal(raw: str) -> str | None:
    """The reason a text that looks numeric is still refused (1e5, 1_000, NaN), or None."""
    bare = raw.strip().replace(" ", "")
    for pattern, reason in _NAMED:
        if pattern.match(bare):
            return reason
    return None


def check_size(value: Decimal, text: object = None) -> Decimal:
    """``value`` when it is finite and has at most MAX_INTEGER_DIGITS integer digits; else refused by name."""
    shown = value if text is None else text
    if not value.is_finite():
        raise _refuse(shown, REASON_NOT_FINITE)
    if abs(value) >= LARGEST:
        raise _refuse(shown, REASON_TOO_LARGE)
    return value


def parse_money(text: object, *, max_places: int = 2, decimal_comma: bool = False) -> Decimal:
    """Read an amount written the English way ("1,234.56", "-12.5", "(10.00)", "12.50-").

    Refuses floats so that binary rounding never reaches the books, refuses more than
    ``max_places`` decimal places instead of rounding silently, and refuses by name what a
    program would read but a person did not mean: scientific notation, underscores, NaN,
    infinity and more than 15 integer digits. ``decimal_comma`` reads "1234,56" (SWIFT, EDIFACT).
    """
    if type(text) is str and max_places >= 2:
        simple = _SIMPLE.fullmatch(text)
        if simple is not None and not (decimal_comma and simple.group(1) is not None):
            value = Decimal(text)
            return value.quantize(CENT) if max_places == 2 else value
    if isinstance(text, bool) or isinstance(text, float):
        raise MoneyFormatError(f"{text!r} is a binary float; pass the amount as text or Decimal")
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    else:
        raw = str(text).strip().replace("\u00a0", "").replace(" ", "")
        for symbol in ("$", "£", "€", "USD", "EUR", "GBP"):
            raw = raw.replace(symbol, "")
        reason = named_refusal(raw)
        if reason:
            raise _refuse(text, reason)
        if decimal_comma:
            if "." in raw or raw.count(",") > 1:
                raise _refuse(text, REASON_NOT_AN_AMOUNT)
            raw = raw.replace(",", ".")
        negative = False
        if raw.startswith("(") and raw.endswith(")"):
            negative, raw = True, raw[1:-1]
            if raw.startswith(("+", "-")):  # "(-12.00)": which sign was meant?
                raise _refuse(text, "is not a number")
        elif raw.endswith("-") and raw[:-1].replace(",", "").replace(".", "").isdigit():
            negative, raw = True, raw[:-1]
        if not raw:
            raise MoneyFormatError("is empty")
        if _GROUPED.match(raw):
            raw = raw.replace(",", "")
        elif not _PLAIN.match(raw) or not raw.isascii():
            raise _refuse(text, "is not a number")
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
            raise _refuse(text, "is not a number") from exc
        if negative:
            value = -value
    check_size(value, text)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_places:
        raise _refuse(text, f"has more than {max_places} decimal places")
    return value.quantize(CENT) if max_places <= 2 else value


def from_minor_units(digits: str, places: int = 2) -> Decimal:
    """An amount written as whole minor units ("123456" = 1234.56), as BAI2, NACHA and lockbox files do."""
    if not digits.isascii() or not digits.isdigit():
        raise _refuse(digits, REASON_NOT_AN_AMOUNT)
    return check_size(Decimal(int(digits)).scaleb(-places), digits).quantize(CENT)


# -- dates --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DateWindow:
    """The dates an import accepts: a year 0001 or 9999 is a typing slip, not a document date.

    Widened by the settings ``earliest_date`` and ``latest_date``.
    """

    earliest: date = date(1990, 1, 1)
    latest: date = date(2100, 12, 31)

    def refusal(self, value: date) -> str | None:
        """Why ``value`` is refused, or None when it lies in the window."""
        if self.earliest <= value <= self.latest:
            return None
        side = "before" if value < self.earliest else "after"
        return (f"{value.isoformat()} is {side} the dates accepted ({self.earliest.isoformat()} to "
                f"{self.latest.isoformat()}); fix the date, or widen the settings earliest_date and latest_date")


DEFAULT_DATE_WINDOW = DateWindow()


def money(value: object) -> Decimal:
    """Money from trusted code (a literal, a database value): quantized to the cent."""
    if isinstance(value, float):
        raise MoneyFormatError("floats are not money")
    return Decimal(str(value) if not isinstance(value, Decimal) else value).quantize(CENT, ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """Integer cents, for subset sums and vector maths where Decimal would be slow."""
    return int((value * 100).to_integral_value(ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (a discount, a percentage) half up to the cent."""
    return value.quantize(CENT, ROUND_HALF_UP)


def format_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


# How a workspace writes amounts for people: thousands separator and decimal mark (setting ``number_style``).
NUMBER_STYLES = {"1,234.56": (",", "."), "1.234,56": (".", ","), "1 234,56": ("\u202f", ","), "1'234.56": ("'", ".")}
DEFAULT_NUMBER_STYLE = "1,234.56"


def format_amount(value: Decimal | int | None, style: str = DEFAULT_NUMBER_STYLE, places: int = 2) -> str:
    """An amount as a person reads it in the workspace's style: '11,294.79', '11.294,79'; '' when empty."""
    if value is None:
        return ""
    group, point = NUMBER_STYLES.get(style, NUMBER_STYLES[DEFAULT_NUMBER_STYLE])
    text = f"{Decimal(value):,.{places}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", group)
