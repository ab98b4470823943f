"""The varied world: the demo's customers and payments, written as other people's banks and customers write them.

The standard demo writes every file Cashbook's own way. Here every bank the company banks with
has its own format and its own way of naming the payer (structured fields, or one of the text
conventions of ``cashbook.formats.payer_text``), and every customer its own habits: an advice or
none, X12 820 with or without a CUR segment, EDIFACT, a sheet with or without a currency,
gross or net columns, clean or mistyped references. Styles are drawn at random per bank and
per customer from the world's seed, so a varied world is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from cashbook.formats import bai2, camt, edifact, mt940, sheet, x12_820
from cashbook.formats.base import ParsedPayment, RemittanceLine
from cashbook.formats.payer_text import write_payer_text
from cashbook.money import ZERO

# The company's banks: format, and how each names the payer. German ?32/?33 sub-fields are MT940 structure.
BANK_CONVENTIONS: dict[str, tuple[str, ...]] = {
    "camt053": ("fields",),
    "bai2": ("ORIG CO NAME", "ORIG", "B/O", "ORG", "SENDER"),
    "mt940": ("AUFTRAGGEBER", "Platitor", "/ORDP/", "/NAME/", "/CNTP/", "?32"),
}
# The currency of each bank's account (by format, then by how many banks of that format came before):
# a US bank keeps dollars, a continental one euros; the others sterling, the company's own currency.
BANK_CURRENCIES: dict[str, tuple[str, ...]] = {"camt053": ("GBP",), "bai2": ("USD", "GBP"), "mt940": ("EUR", "GBP")}
ADVICE_HABITS = ("none", "none", "x12_820", "remadv", "sheet", "sheet")
SHEET_STYLES = ("plain", "preamble", "messy")
FACTORS = ("Northwind Factoring Ltd", "Bibby Invoice Finance", "Paymaster Agency Services", "Close Brothers Factoring")
SCENARIO_NEEDS_ADVICE = frozenset({"deduction"})  # a reason code travels only in an advice
# Of the payers who pay several invoices without an advice, the share who pay their oldest open
# invoices first (as their statement lists them); the others pick invoices in no order a clerk can see.
OLDEST_FIRST_SHARE = 0.6


@dataclass(frozen=True)
class BankStyle:
    """One of the company's banks: its file format and how it names the payer."""

    code: str
    format: str  # "camt053", "bai2", "mt940"
    convention: str  # "fields" or a payer_text convention
    account: str  # the company's account at this bank
    structured: bool = True  # camt: remittance as structured lines, else as free text
    currency: str = "GBP"  # the account's currency; its customers invoice and pay in it
    states_currency: bool = True  # False: a BAI2 bank that leaves the 02/03 currency blank (its country's default)


@dataclass(frozen=True)
class CustomerStyle:
    """How one paying customer pays and writes: its bank, its advices, its references."""

    bank: str
    advice: str  # "none", "x12_820", "remadv", "sheet"
    states_currency: bool
    sheet_style: str
    sheet_fmt: str
    noisy_refs: bool
    payer_id: str  # the id its bank prints (NACHA ORIG ID, tax id), not in the company's master
    settles: str = "picks"  # paying several invoices without an advice: "oldest" first, or whichever it "picks"


@dataclass
class Conventions:
    """The banks of a varied world and, drawn as they first pay, its customers' styles."""

    seed: int
    banks: dict[str, BankStyle]
    customers: dict[str, CustomerStyle] = field(default_factory=dict)

    @classmethod
    def draw(cls, seed: int, bank_count: int = 7) -> Conventions:
        rng = random.Random(seed * 7919 + 17)
        banks: dict[str, BankStyle] = {}
        formats = list(BANK_CONVENTIONS)
        for n in range(bank_count):
            fmt = formats[n % len(formats)]
            convention = rng.choice(BANK_CONVENTIONS[fmt])
            code = f"bank{n + 1}"
            account = f"GB{rng.randint(10, 99)}HSBC{rng.randint(10**13, 10**14 - 1)}"
            choices = BANK_CURRENCIES[fmt]
            currency = choices[(n // len(formats)) % len(choices)]
            banks[code] = BankStyle(code, fmt, convention, account, structured=rng.random() < 0.6, currency=currency,
                                    states_currency=not (fmt == "bai2" and currency == "USD"))
        return cls(seed, banks)

    def customer(self, customer_no: str) -> CustomerStyle:
        style = self.customers.get(customer_no)
        if style is None:
            rng = random.Random(f"{self.seed}:{customer_no}")
            style = CustomerStyle(
                bank=rng.choice(sorted(self.banks)),
                advice=rng.choice(ADVICE_HABITS),
                states_currency=rng.random() < 0.5,
                sheet_style=rng.choice(SHEET_STYLES),
                sheet_fmt=rng.choice(("csv", "xlsx")),
                noisy_refs=rng.random() < 0.25,
                payer_id=f"{rng.randint(10**8, 10**9 - 1)}",
                settles="oldest" if rng.random() < OLDEST_FIRST_SHARE else "picks",
            )
            self.customers[customer_no] = style
        return style

    def currency(self, payer_no: str) -> str:
        """The currency a paying customer (and the group it pays for) invoices and pays in: its bank's."""
        return self.banks[self.customer(payer_no).bank].currency

    def channel(self, scenario: str, payer_no: str) -> str:
        """``bankN+advice``: the bank the money arrives at and the advice that travels beside it."""
        style = self.customer(payer_no)
        advice = style.advice
        if scenario in SCENARIO_NEEDS_ADVICE and advice == "none":
            advice = "x12_820"
        return f"{style.bank}+{advice}"

    def bank_of(self, channel: str) -> BankStyle:
        return self.banks[channel.split("+", 1)[0]]


def advice_of(channel: str) -> str:
    return channel.split("+", 1)[1] if "+" in channel else "none"


def bank_text_refs(rng: random.Random, lines: Sequence[RemittanceLine], noisy_refs: bool,
                   noisy: Callable[[random.Random, str], str]) -> str:
    """The references a payer types into its bank's payment details (``noisy``: how a clerk mistypes one)."""
    return " ".join(noisy(rng, line.reference) if noisy_refs and rng.random() < 0.5 else line.reference
                    for line in lines)


def as_written(bank: BankStyle, entry: ParsedPayment, payer_id: str | None) -> ParsedPayment:
    """A bank entry as this bank writes it: its account and currency (none, if the bank leaves it
    blank), the payer in fields, or only in the text by its convention."""
    entry = replace(entry, account=bank.account, currency=bank.currency if bank.states_currency else None)
    if bank.convention == "fields" or not (entry.payer_name or entry.payer_account):
        if bank.format == "camt053" and not bank.structured and entry.lines:
            text = " ".join(filter(None, [entry.bank_text, *(line.reference for line in entry.lines)]))
            entry = replace(entry, lines=(), bank_text=text)
        return entry
    if bank.convention == "?32":
        return replace(entry, payer_name=None, payer_account=None,
                       bank_text=_german_details(entry.payer_name or "", entry.payer_account, entry.bank_text))
    lines = write_payer_text(bank.convention, entry.payer_name, payer_id, entry.payer_account,
                             reference=entry.bank_text)
    return replace(entry, payer_name=None, payer_account=None, bank_text="\n".join(lines))


def _german_details(name: str, account: str | None, purpose: str) -> str:
    """German :86: sub-fields: ?00 posting text, ?20.. purpose in 27-character pieces, ?31 IBAN, ?32/?33 name."""
    name = name.upper()
    pieces = [purpose[i:i + 27] for i in range(0, min(len(purpose), 27 * 10), 27)] or [""]
    out = "166?00GUTSCHRIFT" + "".join(f"?{20 + n}{piece}" for n, piece in enumerate(pieces))
    out += f"?30BANKDEFF?31{account or ''}" if account else ""
    out += f"?32{name[:27]}" + (f"?33{name[27:54]}" if len(name) > 27 else "")
    return out


def advice_as_written(style: CustomerStyle, advice: ParsedPayment, currency: str) -> ParsedPayment:
    """An advice as the customer writes it: with or without its currency."""
    return replace(advice, currency=currency if style.states_currency else None)


def third_party_payer(rng: random.Random) -> tuple[str, str]:
    """A factoring company or payment agent that pays for a customer: in no master, its own account."""
    return rng.choice(FACTORS), f"GB{rng.randint(10, 99)}LOYD{rng.randint(10**13, 10**14 - 1)}"


def files(world, *, max_entries: int | None = None,  # noqa: ANN001 - a demo World
          advices_per_file: int | None = None, sheet_batch: int | None = None) -> dict[str, bytes]:
    """The varied world's bank and remittance files, one statement per bank, advices per customer habit.

    ``max_entries`` splits each bank's statement into parts of at most that many entries, and
    ``advices_per_file`` the X12 820 and EDIFACT advices into files of that many: a day's folder
    as a shared service centre receives it (the end-to-end benchmark, bench/bench_day.py).
    ``sheet_batch`` sends the customers' sheets as batches of up to that many payments, as a
    payables bureau or a group's shared service centre sends them: one file for many payers of
    the same layout and currency, each payment with its Payment Ref, Payment Date and Payer
    columns. Without it each customer sends its own sheet.
    """

    conventions: Conventions = world.conventions
    by_bank: dict[str, list[ParsedPayment]] = {}
    advices: dict[str, list[tuple[str, ParsedPayment]]] = {}
    for p in world.payments:
        bank = conventions.bank_of(p.channel)
        if p.bank is not None:
            by_bank.setdefault(bank.code, []).append(p.bank)
        if p.advice is not None:
            advices.setdefault(advice_of(p.channel), []).append((p.payer_no, p.advice))
    out: dict[str, bytes] = {}
    for code, entries in by_bank.items():
        bank = conventions.banks[code]
        for part, chunk in _parts(entries, max_entries):
            if bank.format == "camt053":
                out[f"bank/{code}{part}_camt053.xml"] = camt.render(chunk)
            elif bank.format == "bai2":
                out[f"bank/{code}{part}_bai2.bai"] = bai2.render(chunk)
            else:
                out[f"bank/{code}{part}_mt940.sta"] = mt940.render(chunk, currency=bank.currency, details="text")
    for part, chunk in _parts([a for _, a in advices.get("x12_820", [])], advices_per_file):
        out[f"remittance/x12_820_advices{part}.edi"] = x12_820.render(chunk)
    for part, chunk in _parts([a for _, a in advices.get("remadv", [])], advices_per_file):
        out[f"remittance/remadv{part}.edi"] = edifact.render(chunk)
    sheets = advices.get("sheet", [])
    out.update(_batched_sheets(conventions, sheets, sheet_batch) if sheet_batch else _customer_sheets(conventions, sheets))
    return out


def _customer_sheets(conventions: Conventions, sheets: Sequence[tuple[str, ParsedPayment]]) -> dict[str, bytes]:
    """One sheet per paying customer for the payments of a run (a very long advice on a sheet of its own)."""
    by_payer: dict[str, list[ParsedPayment]] = {}
    for payer_no, advice in sheets:
        key = payer_no if len(advice.lines) < 500 else f"{payer_no} big"
        by_payer.setdefault(key, []).append(advice)
    out: dict[str, bytes] = {}
    for n, (key, sheet_advices) in enumerate(by_payer.items(), start=1):
        style = conventions.customer(key.split(" ")[0])
        out[f"remittance/advice_{n:03d}.{style.sheet_fmt}"] = sheet.render(sheet_advices, fmt=style.sheet_fmt,
                                                                           style=style.sheet_style)
    return out


def _batched_sheets(conventions: Conventions, sheets: Sequence[tuple[str, ParsedPayment]],
                    size: int) -> dict[str, bytes]:
    """Sheets of up to ``size`` payments from many payers: one layout, file type and currency a file
    (a file's slash dates are read by its currency), in the order the payments were made."""
    by_layout: dict[tuple[str, str, str], list[ParsedPayment]] = {}
    for payer_no, advice in sheets:
        style = conventions.customer(payer_no)
        key = (style.sheet_fmt, style.sheet_style, advice.currency or conventions.currency(payer_no))
        by_layout.setdefault(key, []).append(advice)
    out: dict[str, bytes] = {}
    n = 0
    for (fmt, layout, _currency), advices in sorted(by_layout.items()):
        for start in range(0, len(advices), size):
            n += 1
            out[f"remittance/batch_{n:03d}.{fmt}"] = sheet.render(advices[start:start + size], fmt=fmt, style=layout)
    return out


def _parts(records: Sequence[ParsedPayment], size: int | None) -> list[tuple[str, Sequence[ParsedPayment]]]:
    """(name suffix, records) of each part: one unnamed part without a size, else _001, _002..."""
    if not records:
        return []
    if not size or len(records) <= size:
        return [("", records)]
    return [(f"_{n:03d}", records[start:start + size]) for n, start in enumerate(range(0, len(records), size), start=1)]


def total(lines: Sequence[RemittanceLine]) -> Decimal:
    return sum(((line.paid_amount or ZERO) for line in lines), ZERO)
