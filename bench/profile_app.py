"""Where a page's script run spends its time: each page of the app run under Streamlit's AppTest on a workspace,
cold (first run after the caches were empty) and warm, with every SQL statement timed and, on request,
a cProfile of the script thread. Not a benchmark (no ratio, no browser): the tool behind the tables in
docs/performance.md, "The app on the big workspace".

    PYTHONPATH=$PWD python bench/profile_app.py --workspace /tmp/full.duckdb dashboard exceptions
    PYTHONPATH=$PWD python bench/profile_app.py --workspace /tmp/full.duckdb --sql 8 --profile 40 credits
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["allocation", "exceptions", "credits", "account", "postings", "import_files", "hierarchies", "dashboard"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--user", default="Bench Clerk", help="CASHBOOK_USER for a workspace without users")
    parser.add_argument("--sql", type=int, default=0, help="list this many of each run's slowest statements")
    parser.add_argument("--profile", type=int, default=0, help="print this many lines of the warm run's cProfile")
    parser.add_argument("pages", nargs="*", default=PAGES)
    args = parser.parse_args(argv)
    os.environ["CASHBOOK_DB"], os.environ["CASHBOOK_USER"] = str(args.workspace), args.user
    from streamlit.runtime.scriptrunner import script_runner  # noqa: PLC0415 - after the environment is set
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415

    from cashbook.db import connection  # noqa: PLC0415

    timed: list[tuple[float, str]] = []
    execute = connection.Database.execute

    def timed_execute(self, sql, params=None):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        try:
            return execute(self, sql, params)
        finally:
            timed.append((time.perf_counter() - start, " ".join(sql.split())[:150]))

    connection.Database.execute = timed_execute
    profiling: dict[str, cProfile.Profile | None] = {"now": None}
    run_script = script_runner.ScriptRunner._run_script

    def profiled_run_script(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202 - the script thread
        profile = profiling["now"]
        if profile is None:
            return run_script(self, *a, **k)
        profile.enable()
        try:
            return run_script(self, *a, **k)
        finally:
            profile.disable()

    script_runner.ScriptRunner._run_script = profiled_run_script
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    for page in args.pages:
        for attempt in ("cold", "warm"):
            timed.clear()
            profiling["now"] = cProfile.Profile() if attempt == "warm" and args.profile else None
            at.switch_page(f"app_pages/{page}.py")
            start = time.perf_counter()
            at.run()
            seconds = time.perf_counter() - start
            if at.exception:
                raise SystemExit(f"{page}: {[e.value for e in at.exception]}")
            print(f"{page:14} {attempt}: {seconds:.2f}s, SQL {sum(t for t, _ in timed):.2f}s in {len(timed)} statements")
            for took, sql in sorted(timed, reverse=True)[:args.sql]:
                print(f"    {took:6.3f}s {sql}")
            if profiling["now"] is not None:
                out = io.StringIO()
                pstats.Stats(profiling["now"], stream=out).sort_stats("cumulative").print_stats(args.profile)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
