"""A realistic demo world: customers in deep groups, open items, and the files their payments arrive in.

The same generator feeds the demo workspace in ``data/``, the benchmarks and the matching
scenario tests; every payment it writes carries its ground truth (which documents it really
pays), so straight-through rate and precision can be measured instead of guessed.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from cashbook.demo_varied import Conventions, advice_of, as_written, bank_text_refs, third_party_payer
from cashbook.demo_varied import files as varied_files
from cashbook.formats import bai2, camt, edifact, lockbox, mt940, nacha, sheet, x12_820
from cashbook.formats.base import ParsedPayment, RemittanceLine
from cashbook.money import ZERO, from_cents, round_money
from cashbook.service import Workspace

CURRENCY = "GBP"  # the standard world's: the company's own, which every customer invoices and pays in
# US formats: their parsers state dollars, so only a payer who pays in dollars sends them.
DOLLAR_CHANNELS = ("nacha_ctx", "lockbox")
COMPANY_IBAN = "GB33BUKB20201555555555"

GROUP_NAMES = ["Whitbread", "DHL", "Tesco Stores", "Compass Group", "Mitie", "Bunzl", "Sodexo UK", "Greene King",
               "Marston's", "Travelodge", "Elior", "ISS Facility", "Serco", "Capita", "Stagecoach", "Arriva"]
TOWNS = ["Leeds", "York", "Bristol", "Derby", "Luton", "Bath", "Hull", "Leicester", "Norwich", "Exeter", "Wigan",
         "Preston", "Reading", "Slough", "Swindon", "Oxford", "Cardiff", "Dundee", "Perth", "Carlisle"]
SITE_WORDS = ["Site", "Depot", "Hotel", "Store", "Branch", "Office", "Unit", "Hub"]
REGIONS = ["North", "South", "East", "West", "Midlands", "Scotland", "Wales", "London"]
STANDALONE = ["Acme Catering Ltd", "Baxter & Sons", "Cole Logistics", "Dunmore Foods", "Evergreen Hotels",
              "Fairway Leisure", "Grant Electrical", "Hollis Bakery", "Ibex Facilities", "Juniper Pubs",
              "Kestrel Transport", "Linden Care Homes", "Morrow Engineering", "Northgate Dairy", "Orchard Inns"]
REASONS = [("DAM", "damaged goods"), ("PRC", "pricing dispute"), ("PRO", "promotion allowance"),
           ("SHT", "short delivery"), ("RET", "returned goods")]


@dataclass
class Customer:
    customer_no: str
    name: str
    parent_no: str = ""
    customer_type: str = "credit"
    credit_limit: Decimal = Decimal("50000.00")
    bank_accounts: list[str] = field(default_factory=list)
    city: str = ""
    group: str = ""
    group_parent: str = ""
    primary: bool = False
    discount_pct: Decimal | None = None
    discount_days: int | None = None


@dataclass
class Item:
    doc_no: str
    doc_type: str
    customer_no: str
    doc_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    po_number: str = ""
    discount_pct: Decimal | None = None
    discount_days: int | None = None


@dataclass(frozen=True)
class TruthLine:
    """What a payment really settles: a document, its cash, and what closed the rest of it."""

    doc_no: str
    amount: Decimal
    discount: Decimal = ZERO
    write_off: Decimal = ZERO
    deduction: Decimal = ZERO


@dataclass
class DemoPayment:
    """One real payment: its scenario, the files it travels in, and its ground truth."""

    scenario: str
    channel: str
    bank: ParsedPayment | None
    advice: ParsedPayment | None
    truth: list[TruthLine]
    on_account: Decimal = ZERO  # cash that belongs to the payer's group but to no document
    on_account_customer: str = ""
    unidentified: Decimal = ZERO
    straight_through: bool = True  # False where a clerk must decide (ambiguity by design)
    payer_no: str = ""  # the customer whose habits wrote its files (varied world)

    @property
    def payment_ref(self) -> str:
        source = self.bank or self.advice
        return (source.payment_ref or "") if source else ""


@dataclass
class World:
    as_of: date
    customers: list[Customer]
    items: list[Item]
    payments: list[DemoPayment]
    conventions: Conventions | None = None  # the varied world's banks and customer habits; None: Cashbook's own

    @property
    def varied(self) -> bool:
        return self.conventions is not None

    def group_members(self) -> list[Customer]:
        return [c for c in self.customers if c.group]

    def currencies(self) -> dict[str, str]:
        """Each customer's currency: the company's own, or in a varied world the currency of the bank
        its payer (the group's primary, or itself) pays through."""
        if self.conventions is None:
            return {c.customer_no: CURRENCY for c in self.customers}
        primaries = {c.group: c.customer_no for c in self.customers if c.primary}
        return {c.customer_no: self.conventions.currency(primaries.get(c.group, c.customer_no) if c.group else c.customer_no)
                for c in self.customers}


# -- the world ----------------------------------------------------------------------------------
def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return from_cents(rng.randint(low * 100, high * 100))


def build_customers(rng: random.Random, count: int) -> list[Customer]:
    """Groups several levels deep (group HQ, shared service centre, regions, sites) plus standalones."""
    customers: list[Customer] = []
    serial = iter(range(10001, 10_000_000))

    def new(name: str, **kw: object) -> Customer:
        number = f"C{next(serial)}"
        accounts = [f"GB{rng.randint(10, 99)}BARC{rng.randint(10**13, 10**14 - 1)}"] if rng.random() < 0.6 else []
        customer = Customer(number, name, bank_accounts=accounts, **kw)  # type: ignore[arg-type]
        customers.append(customer)
        return customer

    group_budget = int(count * 0.8)
    group_index = 0
    while len(customers) < group_budget:
        base = GROUP_NAMES[group_index % len(GROUP_NAMES)]
        group = base if group_index < len(GROUP_NAMES) else f"{base} {group_index // len(GROUP_NAMES) + 1}"
        # The first group is the big one: one receipt pays 1,000+ of its invoices across 100+ sites.
        size = min(group_budget - len(customers), 130 if group_index == 0 else rng.randint(6, 40))
        if size < 4:
            break
        first = len(customers)  # a group's members are the customers added since (counting them was quadratic)
        top = new(f"{group} Holdings PLC", group=group, city=rng.choice(TOWNS))
        ssc = new(f"{group} Shared Services", parent_no=top.customer_no, group=group, group_parent=top.customer_no,
                  city=rng.choice(TOWNS), primary=True, credit_limit=Decimal("250000.00"))
        regions = [new(f"{group} {r}", parent_no=top.customer_no, group=group, group_parent=ssc.customer_no,
                       city=rng.choice(TOWNS)) for r in rng.sample(REGIONS, k=min(4, max(1, size // 8)))]
        terms = (Decimal("2"), 10) if rng.random() < 0.4 else (None, None)
        while len(customers) - first < size:
            region = rng.choice(regions)
            town = rng.choice(TOWNS)
            site = new(f"{group} {town} {rng.choice(SITE_WORDS)} {rng.randint(1, 999)}", parent_no=region.customer_no,
                       group=group, group_parent=region.customer_no, city=town, credit_limit=Decimal("20000.00"))
            site.discount_pct, site.discount_days = terms
            if rng.random() < 0.3 and len(customers) - first < size:
                sub = new(f"{site.name} Kitchen", parent_no=region.customer_no, group=group,
                          group_parent=site.customer_no, city=town, credit_limit=Decimal("5000.00"))
                sub.discount_pct, sub.discount_days = terms
        group_index += 1
    while len(customers) < count:
        name = rng.choice(STANDALONE)
        town = rng.choice(TOWNS)
        c = new(f"{name} {town}" if rng.random() < 0.7 else name, city=town)
        if rng.random() < 0.3:
            c.discount_pct, c.discount_days = Decimal("2.5"), 14
    for town in rng.sample(TOWNS, k=3):
        new(f"Walk-in {town}", customer_type="walk_in", city=town, credit_limit=Decimal("0.00"))
    return customers


def build_items(rng: random.Random, customers: Sequence[Customer], per_customer: int, as_of: date) -> list[Item]:
    items: list[Item] = []
    serial = iter(range(500001, 100_000_000))
    for customer in customers:
        if customer.customer_type == "walk_in":
            for back in range(1, 6):  # one consolidated takings invoice per day
                day = as_of - timedelta(days=back)
                amount = _money(rng, 800, 4000)
                items.append(Item(f"POS{day:%y%m%d}{customer.customer_no[-3:]}", "INV", customer.customer_no, day, day,
                                  amount, amount))
            continue
        count = max(1, int(rng.expovariate(1 / per_customer)))
        for _ in range(count):
            doc_date = as_of - timedelta(days=rng.randint(1, 150))
            amount = _money(rng, 40, 9000)
            kind = "CRN" if rng.random() < 0.06 else ("DBN" if rng.random() < 0.02 else "INV")
            number = next(serial)
            if kind == "CRN":
                amount = -_money(rng, 10, 600)
            open_amount = amount
            if kind == "INV" and rng.random() < 0.05:  # partly paid in the ERP already
                open_amount = round_money(amount * Decimal(rng.choice(["0.5", "0.25", "0.75"])))
            items.append(Item(
                doc_no=f"{ {'INV': 'INV', 'CRN': 'CRN', 'DBN': 'DBN'}[kind]}{number}",
                doc_type=kind, customer_no=customer.customer_no, doc_date=doc_date,
                due_date=doc_date + timedelta(days=30), amount=amount, open_amount=open_amount,
                po_number=f"PO{rng.randint(100000, 999999)}" if rng.random() < 0.5 else "",
                discount_pct=customer.discount_pct if kind == "INV" else None,
                discount_days=customer.discount_days if kind == "INV" else None))
    return items


# -- payments -----------------------------------------------------------------------------------
def noisy(rng: random.Random, ref: str) -> str:
    """A reference as a payer's clerk types it: case, spaces, prefixes, zeros, look-alikes, swaps."""
    digits = "".join(ch for ch in ref if ch.isdigit())
    style = rng.randrange(7)
    if style == 0:
        return ref.lower()
    if style == 1:
        return f"Inv {digits}"
    if style == 2:
        return f"#{digits.zfill(10)}"
    if style == 3:
        return f"INV-{digits}".replace("0", "O", 1)
    if style == 4:
        return f"{ref[:3]} {digits[:3]} {digits[3:]}"
    if style == 5 and len(digits) > 3:
        i = rng.randrange(len(digits) - 1)
        return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
    return f"Invoice no. {digits}"


@dataclass
class _Picker:
    """Open items not yet taken by a generated payment, by customer."""

    by_customer: dict[str, list[Item]]

    def take(self, rng: random.Random, customers: Sequence[str], k: int, *, kinds: tuple[str, ...] = ("INV",)) -> list[Item]:
        pool = [i for c in customers for i in self.by_customer.get(c, []) if i.doc_type in kinds]
        chosen = rng.sample(pool, k=min(k, len(pool)))
        for item in chosen:
            self.by_customer[item.customer_no].remove(item)
        return chosen

    def oldest(self, customer: str, k: int) -> list[Item]:
        """The customer's ``k`` oldest open invoices and debit notes (by date and number), taken."""
        pool = sorted((i for i in self.by_customer.get(customer, []) if i.doc_type in ("INV", "DBN")),
                      key=lambda i: (i.doc_date, i.doc_no))
        chosen = pool[:k]
        for item in chosen:
            self.by_customer[item.customer_no].remove(item)
        return chosen


def _line(item: Item, reference: str | None = None, paid: Decimal | None = None, **kw: object) -> RemittanceLine:
    return RemittanceLine(reference=reference or item.doc_no, paid_amount=item.open_amount if paid is None else paid,
                          gross_amount=item.amount, doc_date=item.doc_date, **kw)  # type: ignore[arg-type]


def build_payments(rng: random.Random, world_customers: Sequence[Customer], items: Sequence[Item], as_of: date,
                   receipts: int, conventions: Conventions | None = None) -> list[DemoPayment]:
    """Payments of every scenario with their truth; with ``conventions``, each written in its bank's and payer's way."""
    customers = {c.customer_no: c for c in world_customers}
    groups: dict[str, list[str]] = {}
    for c in world_customers:
        if c.group:
            groups.setdefault(c.group, []).append(c.customer_no)
    primaries = {c.group: c.customer_no for c in world_customers if c.primary}
    standalone = [c.customer_no for c in world_customers if not c.group and c.customer_type != "walk_in"]
    walk_ins = [c.customer_no for c in world_customers if c.customer_type == "walk_in"]
    picker = _Picker({})
    for item in items:
        if item.open_amount != 0:
            picker.by_customer.setdefault(item.customer_no, []).append(item)
    payments: list[DemoPayment] = []
    serial = iter(range(1, 10_000_000))

    def payer_of(customer_no: str) -> Customer:
        c = customers[customer_no]
        if c.group and c.group in primaries:
            return customers[primaries[c.group]]
        return c

    def bank(payer: Customer | None, amount: Decimal, ref: str, text: str = "",
             lines: tuple[RemittanceLine, ...] = (), name: str | None = None) -> ParsedPayment:
        day = as_of - timedelta(days=rng.randint(0, 20))
        currency = conventions.currency(payer.customer_no) if conventions is not None and payer else CURRENCY
        return ParsedPayment(kind="bank", payment_ref=ref, value_date=day, amount=amount, currency=currency,
                             payer_name=name if name is not None else (payer.name if payer else None),
                             payer_account=(payer.bank_accounts[0] if payer and payer.bank_accounts else None),
                             bank_ref=f"BR{next(serial):08d}", bank_text=text, lines=lines, account=COMPANY_IBAN)

    def scope_of(customer_no: str) -> list[str]:
        c = customers[customer_no]
        return groups[c.group] if c.group else [customer_no]

    def routed(payment: DemoPayment, payer_no: str, advice: str = "none") -> DemoPayment:
        """In a varied world: the payment's bank entry as its payer's bank writes it (and no advice unless given)."""
        if conventions is None:
            return payment
        style = conventions.customer(payer_no)
        channel = f"{style.bank}+{advice}"
        entry = payment.bank and as_written(conventions.bank_of(channel), payment.bank, style.payer_id)
        return replace(payment, channel=channel, bank=entry, payer_no=payer_no)

    # The big one: a shared service centre pays 1,000+ invoices of 100+ sites in one advice.
    if groups and receipts >= 50:
        big_group = max(groups, key=lambda g: len(groups[g]))
        chosen = picker.take(rng, groups[big_group], 1100)
        if len(chosen) >= 1000:
            lines = tuple(_line(i) for i in chosen)
            total = sum((i.open_amount for i in chosen), ZERO)
            ref = f"SSC{as_of:%Y%m%d}01"
            payer = customers[primaries[big_group]]
            bank_entry = bank(payer, total, ref, text=f"{payer.name} PAYMENT RUN {ref}")
            advice = replace(bank_entry, kind="advice", lines=lines, bank_text="", bank_ref=None)
            payments.append(routed(DemoPayment("big_remittance", "camt+sheet", bank_entry, advice,
                                               [TruthLine(i.doc_no, i.open_amount) for i in chosen]),
                                   payer.customer_no, "sheet"))

    scenarios = [("exact", 22), ("multi", 14), ("noisy", 12), ("po", 6), ("discount", 8), ("deduction", 6),
                 ("credit_netted", 6), ("amount_only", 6), ("combination", 4), ("overpay", 3), ("unknown", 3),
                 ("bank_charge", 3), ("instalments", 2), ("walk_in", 3), ("duplicate", 2)]
    if conventions is not None:  # a factoring company or payment agent pays for a customer
        scenarios.append(("third_party", 3))
    weights = [w for _, w in scenarios]
    names = [s for s, _ in scenarios]
    owners = standalone + [m for g in groups.values() for m in g]  # built once: O(customers) per payment was quadratic
    attempts = 0
    while len(payments) < receipts and attempts < receipts * 20:
        attempts += 1
        scenario = rng.choices(names, weights)[0]
        owner = rng.choice(owners)
        payer = payer_of(owner)
        scope = scope_of(owner)
        ref = f"PAY{next(serial):07d}"
        if scenario == "walk_in":
            store = rng.choice(walk_ins)
            got = picker.take(rng, [store], 1)
            if not got:
                continue
            item = got[0]
            entry = bank(None, item.open_amount, f"TAKINGS {item.doc_date:%d%m%y}",
                         text=f"CASH DEPOSIT {customers[store].name.upper()} {item.doc_date:%d-%m-%Y}",
                         name=customers[store].name)
            payments.append(routed(DemoPayment(scenario, "bai2", entry, None, [TruthLine(item.doc_no, item.open_amount)]),
                                   store))
            continue
        if scenario == "unknown":
            amount = _money(rng, 50, 3000)
            entry = bank(None, amount, ref, text="TRANSFER", name=rng.choice(["J SMITH", "NORTHWIND TRADING", "A N OTHER"]))
            payments.append(routed(DemoPayment(scenario, "camt", entry, None, [], unidentified=amount), f"?{ref}"))
            continue
        k = {"multi": rng.randint(2, 8), "credit_netted": rng.randint(2, 4), "combination": rng.randint(2, 3)}.get(scenario, 1)
        if scenario == "combination" and conventions is not None \
                and conventions.customer(payer.customer_no).settles == "oldest":
            chosen = picker.oldest(owner, k)  # this payer pays the oldest invoices of the site first
        else:
            chosen = picker.take(rng, [owner] if scenario in ("amount_only", "combination") else scope, k)
        if not chosen:
            continue
        truth = [TruthLine(i.doc_no, i.open_amount) for i in chosen]
        lines = [_line(i) for i in chosen]
        amount = sum((i.open_amount for i in chosen), ZERO)
        on_account = ZERO
        straight = True
        if scenario == "noisy":
            lines = [_line(i, reference=noisy(rng, i.doc_no)) for i in chosen]
        elif scenario == "po":
            chosen = [i for i in chosen if i.po_number]
            if not chosen:
                continue
            lines = [_line(i, reference=i.po_number, ref_type="PO", po_number=i.po_number) for i in chosen]
        elif scenario == "discount":
            item = chosen[0]
            if not item.discount_pct or item.open_amount != item.amount:
                picker.by_customer[item.customer_no].append(item)
                continue
            disc = round_money(item.amount * item.discount_pct / 100)
            lines = [_line(item, paid=item.amount - disc, discount=disc)]
            truth = [TruthLine(item.doc_no, item.amount - disc, discount=disc)]
            amount = item.amount - disc
        elif scenario == "deduction":
            item = chosen[0]
            cut = round_money(item.open_amount * Decimal(rng.choice(["0.05", "0.1", "0.2"])))
            code, text = rng.choice(REASONS)
            lines = [_line(item, paid=item.open_amount - cut, adjustment=cut, reason_code=code, adjustment_text=text)]
            truth = [TruthLine(item.doc_no, item.open_amount - cut, deduction=cut)]
            amount = item.open_amount - cut
        elif scenario == "credit_netted":
            credits = picker.take(rng, scope, 1, kinds=("CRN",))
            if not credits:
                continue
            credit = credits[0]
            lines = lines + [_line(credit, ref_type="CM")]
            truth = truth + [TruthLine(credit.doc_no, credit.open_amount)]
            amount += credit.open_amount
            if amount <= 0:
                continue
        elif scenario in ("amount_only", "combination"):
            lines = []
        elif scenario == "overpay":
            extra = _money(rng, 5, 400)
            on_account = extra
            amount += extra
        elif scenario == "bank_charge":
            item = chosen[0]
            charge = Decimal(rng.choice(["6.00", "12.50", "15.00"]))
            if item.open_amount <= charge * 10:
                continue
            amount = item.open_amount - charge
            truth = [TruthLine(item.doc_no, amount, write_off=charge)]
            lines = [_line(item, paid=item.open_amount)]
        elif scenario == "instalments":
            item = chosen[0]
            half = round_money(item.open_amount / 2)
            first = bank(payer, half, ref, text=f"{item.doc_no} PART 1")
            second = bank(payer, item.open_amount - half, f"{ref}B", text=f"{item.doc_no} PART 2")
            second = replace(second, value_date=(first.value_date or as_of) + timedelta(days=1))
            payments.append(routed(DemoPayment(scenario, "camt", first, None, [TruthLine(item.doc_no, half)]),
                                   payer.customer_no))
            payments.append(routed(DemoPayment(scenario, "camt", second, None,
                                               [TruthLine(item.doc_no, item.open_amount - half)]), payer.customer_no))
            continue
        elif scenario == "duplicate":
            item = chosen[0]
            first = bank(payer, item.open_amount, ref, text=f"PAYMENT {item.doc_no}")
            second = bank(payer, item.open_amount, f"{ref}D", text=f"PAYMENT {item.doc_no}")
            second = replace(second, value_date=(first.value_date or as_of) + timedelta(days=2))
            payments.append(routed(DemoPayment(scenario, "camt", first, None, [TruthLine(item.doc_no, item.open_amount)]),
                                   payer.customer_no))
            payments.append(routed(DemoPayment(scenario, "camt", second, None, [], on_account=item.open_amount,
                                               on_account_customer=payer.customer_no), payer.customer_no))
            continue
        if conventions is not None:
            payments.append(_varied_payment(rng, conventions, scenario, payer, chosen, lines, truth, amount, ref,
                                            on_account, straight, bank))
            continue
        channel = rng.choice(["camt_strd", "camt+820", "camt+sheet", "mt940", "bai2", "camt+remadv", "nacha_ctx",
                              "lockbox", "camt_ustrd"])
        if scenario in ("amount_only", "combination"):
            channel = "camt"
        if scenario == "deduction" and channel in ("camt_ustrd", "mt940", "bai2", "lockbox"):
            channel = "camt+820"
        if scenario in ("discount", "credit_netted") and channel in ("camt_ustrd", "mt940", "bai2"):
            channel = "camt+sheet"
        if channel == "lockbox" and any((l.paid_amount or ZERO) < 0 for l in lines):
            channel = "camt_strd"  # a lockbox stub carries no credit notes
        stated_lines = lines
        if channel == "lockbox":
            ref = f"{next(serial) + 100000}"  # a check number: digits only
            lines = [l if len(l.reference) <= 15 else replace(l, reference="".join(ch for ch in l.reference if ch.isdigit()))
                     for l in lines]
        text_refs = " ".join(l.reference for l in lines)
        carries_lines = channel in ("camt_strd", "nacha_ctx", "lockbox")
        entry = bank(payer, amount, ref, text=text_refs if channel in ("camt_ustrd", "mt940", "bai2") else f"{payer.name} {ref}",
                     lines=tuple(lines) if carries_lines else ())
        if scenario == "discount":  # a discount is earned only when paid within its terms (else a clerk decides)
            last_day = chosen[0].doc_date + timedelta(days=int(chosen[0].discount_days or 0))
            entry = replace(entry, value_date=min(entry.value_date or as_of, last_day))
        if channel == "lockbox":  # a US check: the payer's bank is known by routing and account number
            entry = replace(entry, payer_account=f"0{rng.randint(10**7, 10**8 - 1)}/{rng.randint(10**8, 10**9 - 1)}",
                            bank_text="")
        if channel in DOLLAR_CHANNELS and CURRENCY != "USD":
            # The world's customers pay in sterling: a transfer with its lines, not a US file (whose parser
            # states dollars). Drawn as before, so that every other payment of the world stays as it was.
            channel = "camt_strd"
            entry = replace(entry, payer_account=payer.bank_accounts[0] if payer.bank_accounts else None,
                            bank_text=f"{payer.name} {ref}", lines=tuple(stated_lines))
        advice = None
        if channel in ("camt+820", "camt+sheet", "camt+remadv"):
            # Some advices carry only "BACS" as reference; they are linked by amount, so not for overpayments.
            useless = channel == "camt+sheet" and scenario != "overpay" and rng.random() < 0.3
            advice = replace(entry, kind="advice", lines=tuple(lines), bank_text="", bank_ref=None,
                             payment_ref="BACS" if useless else ref,
                             amount=sum(((l.paid_amount or ZERO) for l in lines), ZERO))  # what the advice says it pays
        payments.append(DemoPayment(scenario, channel, entry, advice, truth, on_account=on_account,
                                    on_account_customer=payer.customer_no if on_account else "",
                                    straight_through=straight))
    return payments


def _varied_payment(rng: random.Random, conventions: Conventions, scenario: str, payer: Customer,
                    chosen: list[Item], lines: list[RemittanceLine], truth: list[TruthLine], amount: Decimal, ref: str,
                    on_account: Decimal, straight: bool, bank) -> DemoPayment:  # noqa: ANN001 - build_payments' bank()
    """One payment of the varied world: routed to its payer's bank, with or without an advice by the payer's habit."""
    style = conventions.customer(payer.customer_no)
    channel = conventions.channel(scenario, payer.customer_no)
    if scenario in ("amount_only", "combination", "third_party"):
        channel = f"{style.bank}+none"
    bank_style = conventions.bank_of(channel)
    advice_kind = advice_of(channel)
    carries_lines = advice_kind == "none" and bank_style.format == "camt053" and scenario != "amount_only"
    if advice_kind != "none" or scenario == "amount_only":
        text = ref
    else:
        text = bank_text_refs(rng, lines, style.noisy_refs, noisy)
    entry = bank(payer, amount, ref, text=text, lines=tuple(lines) if carries_lines and scenario != "combination" else ())
    if scenario == "third_party":
        factor, account = third_party_payer(rng)
        entry = replace(entry, payer_name=factor, payer_account=account)
    if scenario == "discount":  # a discount is earned only when paid within its terms (else a clerk decides)
        last_day = chosen[0].doc_date + timedelta(days=int(chosen[0].discount_days or 0))
        entry = replace(entry, value_date=min(entry.value_date or last_day, last_day))
    advice = None
    if advice_kind != "none":
        advice = replace(entry, kind="advice", lines=tuple(lines), bank_text="", bank_ref=None, account=None,
                         currency=entry.currency if style.states_currency else None,
                         amount=sum(((l.paid_amount or ZERO) for l in lines), ZERO))
    written = as_written(bank_style, entry, style.payer_id)
    return DemoPayment(scenario, channel, written, advice, truth, on_account=on_account,
                       on_account_customer=payer.customer_no if on_account else "", straight_through=straight,
                       payer_no=payer.customer_no)


def build_world(seed: int = 7, customers: int = 300, items_per_customer: int = 12, receipts: int = 300,
                as_of: date | None = None, conventions: str = "standard") -> World:
    """A world of customers, open items and payments; ``conventions="varied"`` writes them as many banks and
    customers would (cashbook.demo_varied), "standard" as Cashbook itself does."""
    if conventions not in ("standard", "varied"):
        raise ValueError(f"unknown conventions {conventions!r}; use 'standard' or 'varied'")
    rng = random.Random(seed)
    as_of = as_of or date.today()
    people = build_customers(rng, customers)
    items = build_items(rng, people, items_per_customer, as_of)
    habits = Conventions.draw(seed) if conventions == "varied" else None
    payments = build_payments(rng, people, items, as_of, receipts, habits)
    return World(as_of, people, items, payments, habits)


# -- writing files --------------------------------------------------------------------------------
def _csv(header: Sequence[str], rows: Iterator[Sequence[object]] | Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8")


def customers_csv(world: World) -> bytes:
    currency = world.currencies()
    return _csv(["customer_no", "name", "parent_no", "currency", "credit_limit", "on_hold", "customer_type",
                 "bank_accounts", "email", "city"],
                ((c.customer_no, c.name, c.parent_no, currency[c.customer_no], f"{c.credit_limit:.2f}", "N", c.customer_type,
                  ";".join(c.bank_accounts), f"ap@{c.customer_no.lower()}.example", c.city) for c in world.customers))


def items_csv(world: World) -> bytes:
    currency = world.currencies()
    return _csv(["doc_no", "doc_type", "customer_no", "doc_date", "due_date", "currency", "amount", "open_amount",
                 "po_number", "discount_pct", "discount_days"],
                ((i.doc_no, i.doc_type, i.customer_no, i.doc_date.isoformat(), i.due_date.isoformat(), currency[i.customer_no],
                  f"{i.amount:.2f}", f"{i.open_amount:.2f}", i.po_number,
                  "" if i.discount_pct is None else f"{i.discount_pct}", "" if i.discount_days is None else i.discount_days)
                 for i in world.items))


def hierarchy_csv(world: World) -> bytes:
    return _csv(["group", "customer_no", "parent_customer_no", "primary"],
                ((c.group, c.customer_no, c.group_parent, "Y" if c.primary else "N") for c in world.group_members()))


def payment_files(world: World, *, max_entries: int | None = None, advices_per_file: int | None = None,
                  sheet_batch: int | None = None) -> dict[str, bytes]:
    """Bank and remittance files in every supported format, named as a bank or customer sends them
    (a varied world's statements and EDI advices split into parts when told: demo_varied.files)."""
    if world.conventions is not None:
        return varied_files(world, max_entries=max_entries, advices_per_file=advices_per_file, sheet_batch=sheet_batch)
    by_channel: dict[str, list[DemoPayment]] = {}
    for p in world.payments:
        by_channel.setdefault(p.channel, []).append(p)
    camt_entries = [p.bank for p in world.payments if p.bank and p.channel.startswith("camt")]
    files: dict[str, bytes] = {}
    if camt_entries:
        files["bank/camt053_statement.xml"] = camt.render(camt_entries)
    if by_channel.get("mt940"):
        files["bank/mt940_statement.sta"] = mt940.render([p.bank for p in by_channel["mt940"] if p.bank])
    if by_channel.get("bai2"):
        files["bank/bai2_statement.bai"] = bai2.render([p.bank for p in by_channel["bai2"] if p.bank])
    if by_channel.get("nacha_ctx"):
        files["bank/nacha_ctx.ach"] = nacha.render([p.bank for p in by_channel["nacha_ctx"] if p.bank])
    if by_channel.get("lockbox"):
        files["bank/lockbox.txt"] = lockbox.render([p.bank for p in by_channel["lockbox"] if p.bank])
    advices_820 = [p.advice for p in by_channel.get("camt+820", []) if p.advice]
    if advices_820:
        files["remittance/x12_820_advices.edi"] = x12_820.render(advices_820)
    remadv = [p.advice for p in by_channel.get("camt+remadv", []) if p.advice]
    if remadv:
        files["remittance/remadv.edi"] = edifact.render(remadv)
    sheets = [p for p in by_channel.get("camt+sheet", []) if p.advice]
    for n, p in enumerate(sheets, start=1):
        assert p.advice is not None
        fmt = "xlsx" if n % 2 else "csv"
        files[f"remittance/advice_{n:03d}_{p.scenario}.{fmt}"] = sheet.render([p.advice], fmt=fmt)
    return files


DEMO_ERP_FILES = ("erp/customers.csv", "erp/open_items.csv", "erp/hierarchy.csv")


def write_world(world: World, folder: str | Path, *, with_payments: bool = True) -> list[Path]:
    folder = Path(folder)
    written = []
    for name, data in {"erp/customers.csv": customers_csv(world), "erp/open_items.csv": items_csv(world),
                       "erp/hierarchy.csv": hierarchy_csv(world)}.items():
        written.append(_write(folder / name, data))
    if with_payments:
        for name, data in payment_files(world).items():
            written.append(_write(folder / name, data))
    return written


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_demo(folder: str | Path, *, seed: int = 7, customers: int | None = None, workspace: bool = True,
               user: str | None = None, with_payments: bool = True, match: bool = True,
               conventions: str = "standard") -> list[str]:
    """Write the demo's source files and, unless told not to, a workspace that has imported them."""
    folder = Path(folder)
    world = build_world(seed=seed, customers=customers or 300, conventions=conventions)
    files = write_world(world, folder, with_payments=with_payments)
    summary = [f"wrote {len(files)} files to {folder}: {len(world.customers)} customers, {len(world.items)} open items, "
               f"{len(world.payments)} payments"]
    if not workspace:
        return summary
    return summary + build_demo_workspace(folder, user=user, match=match)


def has_demo_files(folder: str | Path) -> bool:
    """Whether a folder holds the demo's ERP files (a workspace can be built from them)."""
    return all((Path(folder) / name).is_file() for name in DEMO_ERP_FILES)


def build_demo_workspace(folder: str | Path, *, user: str | None = None, match: bool = True) -> list[str]:
    """Import the demo's source files already in ``folder`` into a fresh ``folder/cashbook.duckdb``.

    The files are read, never rewritten: the demo folder in git holds the sources, and the
    workspace built from them is an ignored file, so using the app changes nothing tracked.
    """
    folder = Path(folder)
    db_path = folder / "cashbook.duckdb"
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        if stale.exists():
            stale.unlink()
    summary: list[str] = []
    with Workspace.open(db_path, user=user or "demo") as ws:
        summary += ws.import_customers(folder / DEMO_ERP_FILES[0]).lines()
        summary += ws.import_items(folder / DEMO_ERP_FILES[1]).lines()
        summary += ws.import_hierarchy(folder / DEMO_ERP_FILES[2]).lines()
        payment_paths = sorted(p for sub in ("bank", "remittance") if (folder / sub).is_dir()
                               for p in (folder / sub).iterdir() if p.is_file())
        if payment_paths:
            for report in ws.receipts.import_paths(payment_paths):
                summary += report.lines()
            if match:  # as the overnight batch would have: clerks start from its proposals
                summary += ws.matching.run().lines()
    summary.append(f"workspace: {db_path}")
    return summary
