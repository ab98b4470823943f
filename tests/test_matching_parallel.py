"""Deciding independent receipts in forked workers writes exactly what one loop writes."""

from __future__ import annotations

import os
import shutil

import pytest

from bench.evaluation import load_world
from bench.match_identity import run_one
from cashbook.demo import build_world
from cashbook.matching import parallel
from cashbook.service import Workspace

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def test_receipts_that_share_a_scope_stay_in_one_part_in_the_run_order():
    scopes = {1: ["A"], 2: ["B"], 3: ["C", "A"], 4: [], 5: ["C"], 6: ["D"], 7: ["B"], 8: ["E", "D"]}
    order = [5, 1, 8, 2, 3, 7, 4, 6]
    parts = parallel.independent_parts(order, lambda r: scopes[r], 3)
    assert sorted(r for p in parts for r in p) == sorted(order)
    for part in parts:
        assert part == [r for r in order if r in part], "each part keeps the run's order"
    where = {r: i for i, p in enumerate(parts) for r in p}
    assert where[1] == where[3] == where[5], "A and C meet in receipt 3"
    assert where[2] == where[7] and where[6] == where[8]
    assert max(map(len, parts)) <= 3, "the parts share the work"


def test_workers_return_what_one_loop_returns_and_hand_back_their_errors():
    def work(part):
        if 99 in part:
            raise ValueError("receipt 99 cannot be decided")
        return [r * 2 for r in part]

    assert parallel.run_parts([[1, 2], [3], [4, 5]], work) == [[2, 4], [6], [8, 10]]
    with pytest.raises(ValueError, match="receipt 99"):
        parallel.run_parts([[1], [99]], work)

    def dies(part):
        if part == [2]:
            os._exit(9)
        return part

    with pytest.raises(parallel.WorkerFailed, match="without results"):
        parallel.run_parts([[1], [2]], dies)


def test_a_run_on_several_workers_writes_what_one_process_writes(tmp_path, monkeypatch):
    world = build_world(seed=11, customers=400, receipts=400, conventions="varied")
    one = tmp_path / "one.duckdb"
    with Workspace.open(one, user="bench") as ws:
        load_world(ws, world)  # imported, not matched
    many = tmp_path / "many.duckdb"
    shutil.copy(one, many)
    monkeypatch.setattr(parallel, "worker_count", lambda receipts: 1)
    alone = run_one(one)
    forked: list[int] = []
    real = parallel.run_parts
    monkeypatch.setattr(parallel, "worker_count", lambda receipts: 3)
    monkeypatch.setattr(parallel, "run_parts", lambda parts, work: forked.append(len(parts)) or real(parts, work))
    together = run_one(many)
    assert forked == [3] and alone["receipts"] > 300
    assert together["tables"] == alone["tables"]


def test_only_the_main_thread_forks_and_small_runs_stay_in_one_process():
    import threading

    assert parallel.worker_count(10) == 1
    counts: list[int] = []
    thread = threading.Thread(target=lambda: counts.append(parallel.worker_count(1_000_000)))
    thread.start()
    thread.join()
    assert counts == [1], "the app's script threads decide in their own process"
