"""The vectorized passes in Python: payer identification by name and alias, and near-miss references.

Pure functions (no I/O, inputs never mutated). Exact joins on ids, accounts and normalized
references run in SQL (``cashbook.db.matching_sql``); what SQL cannot do well is here, with
rapidfuzz over whole arrays: names against the customer master, references against the
documents of the payer's scope, one ``cdist`` call per scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import OSA

from cashbook.linking import payer_name_key
from cashbook.normalize import normalize_account


@dataclass(frozen=True)
class CustomerRow:
    customer_no: str
    name: str
    customer_type: str
    scope_key: str
    primary_no: str


@dataclass(frozen=True)
class PayerFound:
    customer_no: str | None
    method: str
    detail: str
    scopes: tuple[str, ...] = ()


# A run asks for the same payer's keys once per receipt, and the master's names twice: cached.
_name_key = lru_cache(maxsize=1 << 17)(payer_name_key)


def alias_keys(payer_name: str | None, payer_account: str | None) -> list[str]:
    """The keys under which a clerk's confirmation teaches who a payer is."""
    return list(_alias_keys(payer_name, payer_account))


@lru_cache(maxsize=1 << 17)
def _alias_keys(payer_name: str | None, payer_account: str | None) -> tuple[str, ...]:
    keys = []
    account = normalize_account(payer_account)
    if account:
        keys.append(f"A:{account}")
    name = _name_key(payer_name)
    if name:
        keys.append(f"N:{name}")
    return tuple(keys)


def identify_payers(receipts: Sequence[tuple[int, str | None, str | None]],
                    by_key: Mapping[int, Sequence[tuple[str, str]]],
                    aliases: Mapping[str, str],
                    customers: Mapping[str, CustomerRow],
                    name_cutoff: float) -> dict[int, PayerFound]:
    """Each receipt's payer: payer id, then bank account, then a learned alias, then the name
    (exact after removing legal forms, then fuzzy); a unique customer or one group wins.

    ``receipts`` are (receipt_id, payer_name, payer_account); ``by_key`` the SQL hits per receipt
    as (method, customer_no).
    """
    found, names_left = identify_by_keys(receipts, by_key, aliases, customers)
    found.update(identify_by_names(names_left, customers, name_cutoff))
    return found


def identify_by_keys(receipts: Sequence[tuple[int, str | None, str | None]],
                     by_key: Mapping[int, Sequence[tuple[str, str]]],
                     aliases: Mapping[str, str],
                     customers: Mapping[str, CustomerRow]) -> tuple[dict[int, PayerFound], dict[str, list[int]]]:
    """The payers found by payer id, bank account or learned alias, and the receipts left for the
    name pass, by name key. ``customers`` needs only the customers ``by_key`` and ``aliases`` name,
    so that a run whose payers are all known by id or account never reads the whole master."""
    found: dict[int, PayerFound] = {}
    names_left: dict[str, list[int]] = {}
    for receipt_id, name, account in receipts:
        hits = by_key.get(receipt_id, ())
        decided = None
        for method in ("payer_id", "bank_account"):
            nos = sorted({c for m, c in hits if m == method and c in customers})
            decided = _one(nos, customers, method, f"{method.replace('_', ' ')} {', '.join(nos)}")
            if decided:
                break
        if decided is None:
            for key in alias_keys(name, account):
                if key in aliases and aliases[key] in customers:
                    decided = PayerFound(aliases[key], "alias", f"learned alias {key}")
                    break
        if decided is not None:
            found[receipt_id] = decided
            continue
        key = _name_key(name)
        if key:
            names_left.setdefault(key, []).append(receipt_id)
        else:
            found[receipt_id] = PayerFound(None, "unknown", "no payer id, account or name")
    return found, names_left


def identify_by_names(names_left: Mapping[str, Sequence[int]], customers: Mapping[str, CustomerRow],
                      name_cutoff: float) -> dict[int, PayerFound]:
    """Payers by name against the whole master: exact after removing legal forms, then fuzzy
    (token sort) over the distinct names left, in one ``cdist``."""
    found: dict[int, PayerFound] = {}
    if not names_left:
        return found
    index: dict[str, list[str]] = {}
    for c in customers.values():
        index.setdefault(_name_key(c.name), []).append(c.customer_no)
    fuzzy_keys = []
    for key, receipt_ids in names_left.items():
        nos = sorted(index.get(key, ()))
        decided = _one(nos, customers, "name", f"name '{key}'") if nos else None
        if decided is None and nos:
            scopes = tuple(sorted({customers[c].scope_key for c in nos}))
            decided = PayerFound(None, "ambiguous", f"name '{key}' is shared by {len(nos)} customers", scopes)
        if decided is None:
            fuzzy_keys.append(key)
            continue
        for receipt_id in receipt_ids:
            found[receipt_id] = decided
    if fuzzy_keys:
        choices = sorted(index)
        scores = process.cdist(fuzzy_keys, choices, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
                               score_cutoff=name_cutoff, workers=-1, dtype=np.float32)
        for row, key in enumerate(fuzzy_keys):
            best = float(scores[row].max()) if len(choices) else 0.0
            decided = PayerFound(None, "unknown", f"name '{key}' matches no customer")
            if best >= name_cutoff:
                tops = [choices[i] for i in np.nonzero(scores[row] >= best - 0.5)[0]]
                nos = sorted({c for t in tops for c in index[t]})
                one = _one(nos, customers, "name_fuzzy", f"name '{key}' ~ '{tops[0]}' ({best:.0f})")
                decided = one or PayerFound(None, "ambiguous", f"name '{key}' is close to {len(nos)} customers",
                                            tuple(sorted({customers[c].scope_key for c in nos})))
            for receipt_id in names_left[key]:
                found[receipt_id] = decided
    return found


def _one(nos: Sequence[str], customers: Mapping[str, CustomerRow], method: str, detail: str) -> PayerFound | None:
    """One customer, or several of one group (then the group's primary pays for them)."""
    if not nos:
        return None
    if len(nos) == 1:
        return PayerFound(nos[0], method, detail)
    scopes = {customers[c].scope_key for c in nos}
    if len(scopes) == 1 and next(iter(scopes)).startswith("G:"):
        return PayerFound(customers[nos[0]].primary_no, method, detail + " (one group)")
    return None


def fuzzy_reference_hits(refs: Sequence[str], docs: Sequence[str], ref_idx: np.ndarray, doc_idx: np.ndarray,
                         max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """Near-miss references: the positions of the pairs within ``max_distance`` edits, and their distances.

    ``refs`` and ``docs`` are the distinct normalized references and document numbers; a pair is
    (``ref_idx[i]``, ``doc_idx[i]``), as the SQL ``fuzzy_pair_index_sql`` numbers them: every
    reference against every open document of its payer's scope whose length is close enough. The
    pairs travel as numbers and become strings only here, by indexing. Distances are OSA (optimal
    string alignment): a swap of two adjacent digits is one edit, the commonest typing error in
    invoice numbers. One ``cpdist`` over all pairs, instead of one ``cdist`` per scope whose thread
    start-up cost dominated.
    """
    if not len(ref_idx):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    left = np.asarray(refs, dtype=object)[ref_idx]
    right = np.asarray(docs, dtype=object)[doc_idx]
    distances = process.cpdist(left, right, scorer=OSA.distance, processor=None, score_cutoff=max_distance,
                               workers=-1, dtype=np.int32)
    keep = np.nonzero(distances <= max_distance)[0]
    return keep, distances[keep]
