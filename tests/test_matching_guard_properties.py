"""Property: no decision of the matching rules produces an entry the ledger refuses (issue 10, point 9).

Random open items (invoices, credit notes, items already settled or partly paid, discount terms),
random receipts with advices (paid, gross, discount, adjustment, reason) or bank text, and payers
known, ambiguous or unknown, under both decision profiles. Every certain decision must pass the
guard's checks (the ledger's shape and over-application rules), decided one after another as a
run does, with what earlier receipts consumed no longer open.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cashbook.matching import rules
from cashbook.matching.guard import decision_problems
from cashbook.settings import Settings
from tests.matching_helpers import TODAY

SCOPES = {"S1": "G:1", "S2": "G:1", "HQ": "G:1", "SOLO": "C:SOLO"}
PRIMARY = {"G:1": "HQ", "C:SOLO": "SOLO"}

money = st.integers(min_value=1, max_value=500_000)
doc = st.fixed_dictionaries({
    "owner": st.sampled_from(sorted(SCOPES)),
    "credit": st.booleans(),
    "amount": money,
    "open_share": st.sampled_from([0, 25, 50, 100, 100, 100]),  # percent still open
    "terms": st.booleans(),
    "age": st.integers(1, 60),
})
ref_line = st.fixed_dictionaries({
    "doc": st.integers(0, 9),
    "mangle": st.sampled_from(["exact", "exact", "normalized", "unknown"]),
    # what the line says it pays: the document's open amount (the common case), its original
    # amount, a little less or more than open, nothing, or anything at all
    "paid": st.one_of(st.sampled_from(["open", "open", "amount", "short", "over", None]), st.integers(-50_000, 500_000)),
    "discount": st.one_of(st.none(), st.integers(0, 5_000)),
    "adjustment": st.one_of(st.none(), st.integers(-5_000, 5_000)),
    "reason": st.sampled_from([None, "DAM"]),
})
receipt = st.fixed_dictionaries({
    "payer": st.sampled_from(["HQ", "SOLO", "ambiguous", "unknown"]),
    "amount": money,
    "lines": st.lists(ref_line, max_size=4),
    "text": st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["exact", "normalized"])), max_size=3),
    "day": st.integers(0, 20),
})


def _docs(specs: list[dict]) -> dict[str, rules.Doc]:
    out = {}
    for n, d in enumerate(specs):
        sign = -1 if d["credit"] else 1
        amount = sign * d["amount"]
        open_start = amount * d["open_share"] // 100
        no = f"{'CRN' if d['credit'] else 'INV'}{7000 + n}"
        scope = SCOPES[d["owner"]]
        terms = (Decimal("2"), 10) if d["terms"] and not d["credit"] else (None, None)
        out[no] = rules.Doc(no, "CRN" if d["credit"] else "INV", d["owner"], TODAY - timedelta(days=d["age"]), amount,
                            open_start, scope, PRIMARY[scope], *terms)
    return out


def _payer(kind: str) -> rules.Payer:
    if kind in ("HQ", "SOLO"):
        scope = SCOPES[kind]
        return rules.Payer(kind, "bank_account", "", scope, PRIMARY[scope], "credit")
    if kind == "ambiguous":
        return rules.Payer(None, "ambiguous", "shared name", scopes=("C:SOLO", "G:1"))
    return rules.Payer(None, "unknown", "nobody")


def _case(rid: int, spec: dict, docs: dict[str, rules.Doc]) -> rules.Case:
    nos = sorted(docs)
    payer = _payer(spec["payer"])
    refs, hits = [], []
    in_scope = (lambda d: True) if not payer.known and not payer.scopes else (
        lambda d: d.scope_key == payer.scope_key or d.scope_key in payer.scopes)
    for key, line in enumerate(spec["lines"], start=1):
        no = nos[line["doc"] % len(nos)]
        d = docs[no]
        paid = {"open": d.open_start, "amount": d.amount, "short": d.open_start - 1500,
                "over": d.open_start + 2000}.get(line["paid"], line["paid"])  # type: ignore[arg-type]
        paid = paid or None
        text = {"exact": no, "normalized": f"inv {no[3:]}", "unknown": f"X{line['doc']}99"}[line["mangle"]]
        refs.append(rules.Ref(key, "line", text, paid, None, line["discount"], line["adjustment"],
                              line["reason"]))
        if line["mangle"] == "exact":
            hits.append(rules.Hit(key, no, "exact"))
        elif line["mangle"] == "normalized" and payer.known and in_scope(docs[no]):
            hits.append(rules.Hit(key, no, "normalized"))
    words = []
    if not spec["lines"]:
        for n, (index, mangle) in enumerate(spec["text"], start=1):
            no = nos[index % len(nos)]
            words.append(no)
            refs.append(rules.Ref(-n, "text", no if mangle == "exact" else no[3:]))
            if mangle == "exact":
                hits.append(rules.Hit(-n, no, "exact"))
            elif payer.known and in_scope(docs[no]):
                hits.append(rules.Hit(-n, no, "normalized"))
    amount = spec["amount"]
    if spec["lines"]:
        paid = sum(r.paid or 0 for r in refs)
        amount = paid if paid > 0 else amount
    return rules.Case(rid, f"PAY{rid:04d}", TODAY - timedelta(days=spec["day"]), amount, " ".join(words), payer,
                      tuple(refs), tuple(hits))


@settings(max_examples=300, deadline=None)
@given(doc_specs=st.lists(doc, min_size=1, max_size=10), receipt_specs=st.lists(receipt, min_size=1, max_size=8),
       cautious=st.booleans())
def test_no_decision_produces_an_entry_the_ledger_refuses(doc_specs, receipt_specs, cautious) -> None:
    docs = _docs(doc_specs)
    base = Settings()
    the_settings = base.with_overrides({"decision_profile": "cautious"}) if cautious else base
    scopes: dict[str, list[str]] = {}
    for d in docs.values():
        scopes.setdefault(d.scope_key, []).append(d.doc_no)
    book = rules.OpenBook(docs, scopes)
    open_now: dict[str, int] = {}
    for rid, spec in enumerate(receipt_specs, start=1):
        case = _case(rid, spec, docs)
        decision = rules.decide(case, docs, open_now, book, the_settings)
        assert decision_problems(decision, case.amount, docs, open_now) == [], decision.trace
        assert decision.certain or decision.status == "suggested"
        if decision.certain:
            for doc_no, consumed in decision.consumed().items():
                open_now[doc_no] = open_now.get(doc_no, docs[doc_no].open_start) - consumed
                book.set_open(doc_no, open_now[doc_no])
