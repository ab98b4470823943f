"""The rules that decide whether a remittance advice and a bank entry carried the same money.

Pure functions over candidate pairs (the SQL in ``cashbook.db.receipts_sql`` finds them): no
I/O, inputs never mutated. A link needs a unique candidate on both sides, so that the decision
does not depend on which of the two files was imported first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

# References that say how the money travelled, not which payment it is.
USELESS_REFS = frozenset({
    "BACS", "BGC", "CHAPS", "FPS", "SEPA", "NONREF", "NOTPROVIDED", "PAYMENT", "REMITTANCE", "NONE", "NA",
    "NOREF", "NOREFERENCE", "UNKNOWN", "TRANSFER", "CREDIT", "ACH", "CCD", "CTX", "PPD", "WIRE", "GIRO",
})
MIN_TEXT_REF = 4  # shorter references are not searched for inside bank text: they would match anything
MIN_SQUASHED_TEXT_REF = 8  # references found in the text with separators ignored must be at least this long
NAME_CUTOFF = 88.0  # rapidfuzz token-set score from which two payer names are the same payer
DEFAULT_LINK_DAYS = 5

LEGAL_FORMS = frozenset({
    "LTD", "LIMITED", "PLC", "INC", "LLC", "LLP", "GMBH", "AG", "BV", "NV", "SA", "SARL", "SAS", "SPA", "SRL",
    "KG", "EK", "CO", "CORP", "CORPORATION", "COMPANY", "THE", "AND", "OY", "AB", "AS", "APS", "PTY",
})
_ALNUM = re.compile(r"[^A-Z0-9]")
_WORDS = re.compile(r"[A-Z0-9]+")
_NAME_WORDS = re.compile(r"[^\W_]+")

Method = Literal["reference", "amount"]


def payment_ref_key(ref: str | None) -> str:
    """The compared form of a payment reference (case, spaces and punctuation ignored); '' when useless."""
    key = _ALNUM.sub("", (ref or "").upper())
    return "" if key in USELESS_REFS or not key.strip("0") else key


def text_tokens(text: str | None) -> str:
    """Bank text as ' WORD WORD ', so a reference is searched for as whole words."""
    return f" {' '.join(_WORDS.findall((text or '').upper()))} "


def payer_name_key(name: str | None) -> str:
    """A payer name for fuzzy comparison: case, punctuation and legal forms (Ltd, GmbH...) ignored."""
    words = [w for w in _NAME_WORDS.findall((name or "").upper()) if w not in LEGAL_FORMS]
    return " ".join(words)


def names_match(left: Sequence[str | None], right: Sequence[str | None], cutoff: float = NAME_CUTOFF) -> list[bool]:
    """Pairwise: is left[i] the same payer name as right[i]? Empty names never match."""
    if not left:
        return []
    scores = process.cpdist([n or "" for n in left], [n or "" for n in right], scorer=fuzz.token_set_ratio,
                            processor=payer_name_key, score_cutoff=cutoff, workers=-1)
    return [bool(s >= cutoff) and bool(payer_name_key(a)) and bool(payer_name_key(b))
            for s, a, b in zip(scores.tolist(), left, right)]


@dataclass(frozen=True)
class PairEvidence:
    """What the candidate SQL found for one (advice, bank entry) pair."""

    advice_id: int
    bank_id: int
    method: Method  # "reference": the advice's reference is the bank entry's; "amount": same amount, near date
    amount_equal: bool
    account_match: bool = False
    payer_id_match: bool = False
    advice_payer: str | None = None
    bank_payer: str | None = None


@dataclass(frozen=True)
class Candidate:
    advice_id: int
    bank_id: int
    method: Method
    amount_equal: bool
    payer: str = ""  # how the payer agreed, for amount links: "account", "payer id", "name"


@dataclass(frozen=True)
class LinkDecision:
    links: tuple[Candidate, ...]
    ambiguous: dict[tuple[str, int], tuple[int, ...]]  # (kind, source id) -> the candidates it could not choose from


def candidates(pairs: Sequence[PairEvidence], name_cutoff: float = NAME_CUTOFF) -> list[Candidate]:
    """Pairs that may be linked: every reference pair; an amount pair only when the payer agrees too."""
    need_names = [p for p in pairs if p.method == "amount" and not (p.account_match or p.payer_id_match)]
    named = dict(zip(((p.advice_id, p.bank_id) for p in need_names),
                     names_match([p.advice_payer for p in need_names], [p.bank_payer for p in need_names],
                                 name_cutoff)))
    out = []
    for p in pairs:
        if p.method == "reference":
            out.append(Candidate(p.advice_id, p.bank_id, "reference", p.amount_equal))
        elif p.account_match or p.payer_id_match or named.get((p.advice_id, p.bank_id)):
            how = "account" if p.account_match else "payer id" if p.payer_id_match else "name"
            out.append(Candidate(p.advice_id, p.bank_id, "amount", p.amount_equal, how))
    return out


def _best(options: list[Candidate]) -> list[Candidate]:
    """Reference evidence beats amount evidence; among several, an equal amount decides."""
    tier = [c for c in options if c.method == "reference"] or options
    if len(tier) > 1:
        equal = [c for c in tier if c.amount_equal]
        if equal:
            tier = equal
    return tier


def decide_links(found: Iterable[Candidate]) -> LinkDecision:
    """Link an advice and a bank entry when each is the other's only best candidate."""
    unique: dict[tuple[int, int], Candidate] = {}
    for c in found:
        key = (c.advice_id, c.bank_id)
        if key not in unique or (c.method == "reference" and unique[key].method != "reference"):
            unique[key] = c
    by_advice: dict[int, list[Candidate]] = defaultdict(list)
    by_bank: dict[int, list[Candidate]] = defaultdict(list)
    for c in unique.values():
        by_advice[c.advice_id].append(c)
        by_bank[c.bank_id].append(c)
    best_advice = {a: _best(cs) for a, cs in by_advice.items()}
    best_bank = {b: _best(cs) for b, cs in by_bank.items()}
    links = []
    ambiguous: dict[tuple[str, int], tuple[int, ...]] = {}
    for advice_id, best in sorted(best_advice.items()):
        if len(best) > 1:
            ambiguous[("advice", advice_id)] = tuple(sorted(c.bank_id for c in best))
            continue
        choice = best[0]
        back = best_bank[choice.bank_id]
        if len(back) == 1 and back[0].advice_id == advice_id:
            links.append(choice)
    for bank_id, best in sorted(best_bank.items()):
        if len(best) > 1:
            ambiguous[("bank", bank_id)] = tuple(sorted(c.advice_id for c in best))
    return LinkDecision(tuple(links), ambiguous)
