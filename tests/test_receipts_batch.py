"""Many remittance files in one command: parsed (here or in worker processes), written in one transaction,
linked in one pass; a bad file refused whole while the rest import; the same files twice change nothing;
Ctrl-C leaves the workspace as it was; progress reported to a callback and shown only on a terminal."""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cashbook import receipts
from cashbook.demo import build_world, customers_csv, hierarchy_csv, items_csv, payment_files
from cashbook.service import Workspace

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A varied world's ERP files and a folder of its payment files, statements and EDI advices split up."""
    folder = tmp_path_factory.mktemp("day")
    world = build_world(seed=11, customers=200, receipts=160, conventions="varied")
    for name, data in {"customers.csv": customers_csv(world), "open_items.csv": items_csv(world),
                       "hierarchy.csv": hierarchy_csv(world)}.items():
        (folder / name).write_bytes(data)
    (folder / "files").mkdir()
    for name, data in payment_files(world, max_entries=40, advices_per_file=5).items():
        (folder / "files" / name.split("/", 1)[1]).write_bytes(data)
    return folder


def day_files(day: Path) -> list[Path]:
    return sorted((day / "files").iterdir())


def erp_workspace(day: Path, path: Path) -> Workspace:
    ws = Workspace.open(path, user="alice")
    ws.import_customers(day / "customers.csv")
    ws.import_items(day / "open_items.csv")
    ws.import_hierarchy(day / "hierarchy.csv")
    return ws


def receipts_made(ws: Workspace) -> list[tuple]:
    """Each receipt as the places of its sources, its amount and lines: what linking and merging decided."""
    return ws.db.rows("""
        SELECT list(s.file_name || ' ' || s.location ORDER BY s.file_name, s.location), r.amount, r.currency,
               r.payer_name, (SELECT count(*) FROM remittance_line l WHERE l.receipt_id = r.receipt_id)
        FROM receipt r JOIN payment_source s ON s.receipt_id = r.receipt_id
        GROUP BY r.receipt_id, r.amount, r.currency, r.payer_name ORDER BY 1""")


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every row a remittance import writes, for comparing a workspace before and after."""
    with Workspace.open(path, user="alice") as ws:
        return {table: ws.db.rows(f"SELECT * FROM {table} ORDER BY ALL")
                for table in ("import_batch", "payment_source", "payment_source_line", "receipt", "remittance_line")}


def without_ids(lines: list[str]) -> list[str]:
    return sorted(re.sub(r"import #\d+", "import #N", line) for line in lines)


def test_one_batch_gives_what_one_file_at_a_time_gave(day: Path, tmp_path: Path) -> None:
    files = day_files(day)
    assert len(files) > 20
    with erp_workspace(day, tmp_path / "batch.duckdb") as batch, erp_workspace(day, tmp_path / "one.duckdb") as one:
        together = batch.receipts.import_paths(files)
        apart = [report for path in files for report in one.receipts.import_paths([path])]
        assert all(r.ok for r in together), [r.lines() for r in together if not r.ok]
        assert [r.file for r in together] == [p.name for p in files]
        assert without_ids([line for r in together for line in r.lines()]) == \
            without_ids([line for r in apart for line in r.lines()])
        made = receipts_made(batch)
        assert made == receipts_made(one)
        assert len(made) == 160 and sum(r.payments for r in together) > 160  # advices joined their bank entries


def test_the_order_of_the_files_does_not_change_the_receipts(day: Path, tmp_path: Path) -> None:
    files = day_files(day)
    with erp_workspace(day, tmp_path / "a.duckdb") as forward, erp_workspace(day, tmp_path / "b.duckdb") as backward:
        forward.receipts.import_paths(files)
        backward.receipts.import_paths(list(reversed(files)))
        assert receipts_made(forward) == receipts_made(backward)


def test_a_bad_file_is_refused_whole_with_every_problem_while_the_rest_import(day: Path, tmp_path: Path) -> None:
    files = day_files(day)
    edi = next(p for p in files if p.name.startswith("x12_820"))
    broken = tmp_path / "x12_820_broken.edi"
    text = edi.read_text()
    amounts = re.findall(r"RMR\*IV\*[^*~]*\*\*([0-9.]+)", text)[:2]
    assert len(amounts) == 2
    for amount in amounts:
        text = text.replace(f"*{amount}", "*12,3X", 1)
    broken.write_text(text)
    with erp_workspace(day, tmp_path / "ws.duckdb") as ws:
        reports = ws.receipts.import_paths([*files, broken])
        refused = [r for r in reports if not r.ok]
        assert [r.file for r in refused] == ["x12_820_broken.edi"]
        assert len(refused[0].problems) >= 2, refused[0].lines()  # every problem, not just the first
        assert ws.db.rows("SELECT count(*) FROM payment_source WHERE file_name = 'x12_820_broken.edi'") == [(0,)]
        assert len(receipts_made(ws)) == 160
        before = receipts_made(ws)
        again = ws.receipts.import_paths([*files, broken])
        assert all(r.noop for r in again if r.ok) and [r.file for r in again if not r.ok] == ["x12_820_broken.edi"]
        assert receipts_made(ws) == before


def test_the_same_content_twice_in_one_command_is_imported_once(day: Path, tmp_path: Path) -> None:
    first = day_files(day)[0]
    copy = tmp_path / f"copy_of_{first.name}"
    copy.write_bytes(first.read_bytes())
    with erp_workspace(day, tmp_path / "ws.duckdb") as ws:
        one, two = ws.receipts.import_paths([first, copy])
        assert one.ok and not one.noop and one.payments > 0
        assert two.noop and first.name in two.message
        assert ws.db.rows("SELECT count(DISTINCT file_name) FROM payment_source") == [(1,)]


def test_worker_processes_parse_as_this_process_does(day: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = day_files(day)
    with erp_workspace(day, tmp_path / "here.duckdb") as here:
        here.receipts.import_paths(files)
        expected = receipts_made(here)
    monkeypatch.setattr(receipts, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(receipts.os, "cpu_count", lambda: 2)
    started = []
    real_pool = receipts.ProcessPoolExecutor
    monkeypatch.setattr(receipts, "ProcessPoolExecutor", lambda **kw: started.append(kw) or real_pool(**kw))
    with erp_workspace(day, tmp_path / "workers.duckdb") as workers:
        reports = workers.receipts.import_paths(files)
        assert started and started[0]["max_workers"] == 2
        assert all(r.ok for r in reports)
        assert receipts_made(workers) == expected


def test_progress_rises_to_the_end(day: Path, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    with erp_workspace(day, tmp_path / "ws.duckdb") as ws:
        ws.receipts.import_paths(day_files(day), progress=lambda fraction, text: seen.append((fraction, text)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) > 5
    assert any(text.startswith("parsed") for _, text in seen) and any("linking" in text for _, text in seen)


def _cli(day: Path, ws: Path, **kw: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", str(ws), "--user", "alice", "import",
                           "remittance", *map(str, day_files(day))], capture_output=True, env=env, timeout=300, **kw)


def test_no_progress_bar_when_not_a_terminal(day: Path, tmp_path: Path) -> None:
    erp_workspace(day, tmp_path / "ws.duckdb").close()
    done = _cli(day, tmp_path / "ws.duckdb")
    assert done.returncode == 0, done.stderr
    assert b"\r" not in done.stdout + done.stderr and b"\x1b[" not in done.stdout + done.stderr


def test_a_progress_bar_on_a_terminal(day: Path, tmp_path: Path) -> None:
    erp_workspace(day, tmp_path / "ws.duckdb").close()
    main, follower = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "cashbook.cli.main", "--db", str(tmp_path / "ws.duckdb"),
                                    "--user", "alice", "import", "remittance", *map(str, day_files(day))],
                                   stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "PYTHONPATH": str(ROOT)})
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=300) == 0
    finally:
        os.close(main)
    assert f"importing {len(day_files(day))} files".encode() in shown


INTERRUPTED_RUN = """
import signal, sys, time
from pathlib import Path

# A job a shell starts in the background (`cmd &`, as CI runners and cron wrappers may) inherits
# Ctrl-C as ignored, and Python then never raises KeyboardInterrupt; a clerk's terminal command
# runs in the foreground, where Ctrl-C arrives. Stand where the clerk stands.
signal.signal(signal.SIGINT, signal.default_int_handler)
from cashbook import receipt_batch
from cashbook.cli.main import main

real = receipt_batch._link_and_merge

def linked_then_wait(*args, **kwargs):  # the batch is written and linked, its transaction still open
    real(*args, **kwargs)
    Path(sys.argv[1]).write_text("linked")
    time.sleep(120)

receipt_batch._link_and_merge = linked_then_wait
sys.exit(main(sys.argv[2:]))
"""


def test_ctrl_c_mid_import_leaves_the_workspace_as_it_was(day: Path, tmp_path: Path) -> None:
    ws_path = tmp_path / "ws.duckdb"
    with erp_workspace(day, ws_path) as ws:
        ws.receipts.import_paths(day_files(day)[:3])  # something there already, which must stay as it is
    before = contents(ws_path)
    marker = tmp_path / "linked"
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(INTERRUPTED_RUN), str(marker), "--db", str(ws_path), "--user", "alice",
         "import", "remittance", *map(str, day_files(day))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 240
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), process.communicate(timeout=10)
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # say where the command stood instead of leaving it running
        process.kill()
        out, err = process.communicate(timeout=10)
        raise AssertionError(f"the import did not stop within 120 s of Ctrl-C; stderr: {err.decode()[-3000:]}") from None
    assert process.returncode == 130
    assert err.decode().strip().splitlines() == ["interrupted; nothing more was written"]
    assert b"Traceback" not in out + err
    assert contents(ws_path) == before
