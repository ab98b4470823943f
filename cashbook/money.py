"""Money: the one place where strings, numbers and cents become exact Decimal amounts."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


class MoneyFormatError(ValueError):
    """A text that is not an amount of money; the message says why, for a person."""


def parse_money(text: object, *, max_places: int = 2) -> Decimal:
    """Read an amount written the English way ("1,234.56", "-12.5", "(10.00)", "12.50-").

    Refuses floats so that binary rounding never reaches the books, and refuses more
    than ``max_places`` decimal places instead of rounding silently.
    """
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
        negative = False
        if raw.startswith("(") and raw.endswith(")"):
            negative, raw = True, raw[1:-1]
        elif raw.endswith("-") and raw[:-1].replace(",", "").replace(".", "").isdigit():
            negative, raw = True, raw[:-1]
        if not raw:
            raise MoneyFormatError("is empty")
        if _GROUPED.match(raw):
            raw = raw.replace(",", "")
        elif not _PLAIN.match(raw):
            raise MoneyFormatError(f"{text!s} is not a number")
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
            raise MoneyFormatError(f"{text!s} is not a number") from exc
        if negative:
            value = -value
    if not value.is_finite():
        raise MoneyFormatError(f"{text!s} is not a finite number")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_places:
        raise MoneyFormatError(f"{text!s} has more than {max_places} decimal places")
    return value.quantize(CENT) if max_places <= 2 else value


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
