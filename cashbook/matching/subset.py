"""Which combinations of open items add up to a receipt: an exact subset-sum count over integer cents.

Meet in the middle: the sums of every subset of each half are enumerated with numpy and joined by
sorting, so 22 candidates cost two arrays of 2,048 sums instead of four million subsets. The
search counts solutions instead of stopping at the first one, because a combination may only be
applied when it is provably the only one.
"""

from __future__ import annotations

import time
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SubsetResult:
    solutions: tuple[tuple[int, ...], ...]  # indexes into the candidates, each sorted
    complete: bool  # False when the search was cut short (too many candidates, solutions or time)
    note: str = ""

    @property
    def unique(self) -> bool:
        return self.complete and len(self.solutions) == 1


@lru_cache(maxsize=32)
def _subsets(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every subset of n items as (masks, membership bits, sizes): the same for every search of n items."""
    masks = np.arange(1 << n, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.int64)
    for array in (masks, bits):
        array.flags.writeable = False
    sizes = bits.sum(axis=1)
    sizes.flags.writeable = False
    return masks, bits, sizes


def _half_sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    masks, bits, sizes = _subsets(len(values))
    return bits @ values, masks, sizes


def subset_solutions(values: Sequence[int], target: int, *, max_items: int, max_candidates: int,
                     limit: int = 5, deadline: float | None = None, min_items: int = 2) -> SubsetResult:
    """Every combination (up to ``limit``) of ``min_items``..``max_items`` values summing exactly to ``target``."""
    n = len(values)
    if n and min(values) > 0:
        # Invoices only: an item larger than the target less the smallest others can be in no
        # combination. Leaving those out keeps the proof exact and lets a member with many
        # large items still be searched whole.
        cap = target - (min_items - 1) * min(values)
        keep = [i for i, v in enumerate(values) if v <= cap]
        if len(keep) < n:
            inner = subset_solutions([values[i] for i in keep], target, max_items=max_items,
                                     max_candidates=max_candidates, limit=limit, deadline=deadline, min_items=min_items)
            return SubsetResult(tuple(tuple(keep[i] for i in combo) for combo in inner.solutions), inner.complete,
                                inner.note)
    if n > max_candidates:
        return SubsetResult((), False, f"{n} candidates are more than the {max_candidates} a search may prove unique")
    if n < min_items:
        return SubsetResult((), True)
    if min(values) > 0:  # invoices only: settle the impossible without enumerating (most members of a group)
        ascending = sorted(values)
        if sum(ascending) < target or sum(ascending[:min_items]) > target:
            return SubsetResult((), True)
    arr = np.asarray(values, dtype=np.int64)
    half = n // 2
    sums_a, masks_a, pop_a = _half_sums(arr[:half])
    sums_b, masks_b, pop_b = _half_sums(arr[half:])
    order = np.argsort(sums_b, kind="stable")
    sorted_b = sums_b[order]
    need = target - sums_a
    lo = np.searchsorted(sorted_b, need, side="left")
    hi = np.searchsorted(sorted_b, need, side="right")
    found: list[tuple[int, ...]] = []
    for ia in np.nonzero(hi > lo)[0]:
        if deadline is not None and time.monotonic() > deadline:
            return SubsetResult(tuple(found), False, "the search ran out of time")
        js = order[lo[ia]:hi[ia]]
        sizes = pop_a[ia] + pop_b[js]
        for jb in js[(sizes >= min_items) & (sizes <= max_items)]:
            mask = int(masks_a[ia]) | (int(masks_b[jb]) << half)
            found.append(tuple(i for i in range(n) if mask >> i & 1))
            if len(found) > limit:
                return SubsetResult(tuple(found[:limit]), True, f"more than {limit} combinations fit")
    return SubsetResult(tuple(sorted(found)), True)
