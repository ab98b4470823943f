"""The house drawn by the code: imports run down the layers of docs/architecture.md, never in a cycle.

The imports are read with ``ast`` from the files, so nothing is run; each rule names the module,
the line and what to do. The layers here and the table in docs/architecture.md say the same.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent

# Lowest first: a module may import from its own layer and the layers below it, never from above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("cashbook", "cashbook.money", "cashbook.names", "cashbook.errors", "cashbook.model", "cashbook.normalize",
                    "cashbook.settings", "cashbook.linking", "cashbook.templates", "cashbook.exports",
                    "cashbook.batch_runs", "cashbook.search")),
    ("formats", ("cashbook.formats",)),
    ("db", ("cashbook.db",)),
    ("access", ("cashbook.access", "cashbook.users")),
    ("books", ("cashbook.ledger", "cashbook.batches", "cashbook.erp_sync")),
    ("ingest", ("cashbook.imports", "cashbook.receipts", "cashbook.receipt_staging", "cashbook.receipt_batch",
                "cashbook.hierarchy", "cashbook.uploads",
                "cashbook.upload_child")),
    ("matching", ("cashbook.matching",)),
    ("allocation", ("cashbook.allocation", "cashbook.decisions", "cashbook.ledger_service", "cashbook.credits", "cashbook.accounts",
                    "cashbook.postings", "cashbook.provisional", "cashbook.erp_conflicts")),
    ("facade", ("cashbook.service", "cashbook.demo", "cashbook.demo_varied")),
    ("interfaces", ("cashbook.cli", "cashbook.__main__", "app_pages", "app")),
)

# Debts being paid off by issue 12, each with the step that removes it. The test below fails
# when an entry is no longer needed, so this list only shrinks.
KNOWN_UPWARD: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the project module imported
    line: int
    in_function: bool
    commented: bool  # a comment on the import's line or the line above says why


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    files = [*ROOT.glob("cashbook/**/*.py"), *ROOT.glob("app_pages/**/*.py"), ROOT / "app.py"]
    return {_module_name(p): p for p in files}


def _comment_lines(source: str) -> set[int]:
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            lines.add(token.start[0])
    return lines


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an imported name belongs to (the longest known prefix), or None if outside."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def read_imports() -> list[Import]:
    modules = project_files()
    found: list[Import] = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        comments = _comment_lines(source)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                names: list[str] = []
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join([*anchor, *([base] if base else [])])
                    names = [f"{base}.{alias.name}" for alias in child.names] or [base]
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    commented = child.lineno in comments or child.lineno - 1 in comments
                    targets = {_resolve(n, modules) for n in names} if names else set()
                    if in_function and not any(targets):  # a third-party or standard-library import
                        found.append(Import(module, "", child.lineno, True, commented))
                    for target in sorted(t for t in targets if t and t != module):
                        found.append(Import(module, target, child.lineno, in_function, commented))
                visit(child, inside)

        visit(ast.parse(source, filename=str(path)), False)
    return found


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def test_every_module_has_a_layer() -> None:
    missing = sorted(m for m in project_files() if layer_of(m) < 0)
    assert not missing, f"modules in no layer (add them to LAYERS and docs/architecture.md): {missing}"


def test_no_import_runs_up_a_layer() -> None:
    upward, used = [], set()
    for imp in read_imports():
        if not imp.target:
            continue
        if layer_of(imp.target) > layer_of(imp.source):
            if (imp.source, imp.target) in KNOWN_UPWARD:
                used.add((imp.source, imp.target))
                continue
            upward.append(f"{imp.source}:{imp.line} imports {imp.target} "
                          f"({LAYERS[layer_of(imp.source)][0]} -> {LAYERS[layer_of(imp.target)][0]})")
    assert not upward, "imports that run up a layer; move the shared piece down instead:\n" + "\n".join(upward)
    stale = sorted(KNOWN_UPWARD - used)
    assert not stale, f"paid off, remove from KNOWN_UPWARD: {stale}"


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in project_files()}
    for imp in read_imports():
        if imp.target:
            graph[imp.source].add(imp.target)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join([*c, c[0]]) for c in cycles)


def test_imports_inside_functions_say_why() -> None:
    silent = [f"{imp.source}:{imp.line}" for imp in read_imports() if imp.in_function and not imp.commented]
    assert not silent, ("imports inside a function without a comment saying why (move them to the top, "
                        "or say why on the line): " + ", ".join(sorted(set(silent))))


def test_the_core_loads_without_streamlit() -> None:
    code = ("import sys; import cashbook.service, cashbook.cli.main, cashbook.demo; "
            "print('streamlit' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False", "importing the core loaded streamlit"


def test_no_streamlit_inside_the_core() -> None:
    """Streamlit belongs to app.py and app_pages/ (session state, read models, widgets); the core never imports it."""
    found = []
    for module, path in project_files().items():
        if not module.startswith("cashbook"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{module}:{node.lineno}" for n in names if n.split(".")[0] == "streamlit"]
    assert not found, f"streamlit imported inside cashbook/: {found}"


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The reader itself: an upward, silent, in-function import is seen with its line."""
    source = "def f():\n    from cashbook.service import Workspace\n    return Workspace\n"
    tree = ast.parse(source)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and isinstance(fn.body[0], ast.ImportFrom)
    assert layer_of("cashbook.service") > layer_of("cashbook.db.ledger_sql")
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _comment_lines("x = 1  # why\n") == {1}


# -- SQL and cursors live in cashbook/db/ ------------------------------------------------------
# Files still holding SQL text or a raw cursor outside cashbook/db/, and whose they are: the engineers
# rewriting them for speed move their statements into db/*_sql.py builders and empty this list.
# It may only shrink: the test fails when an entry has nothing left to excuse. Nothing else may join it.
SQL_OUTSIDE_DB: dict[str, str] = {
}

SQL_KEYWORDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "DROP", "ALTER", "COPY", "ATTACH",
                "DETACH", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT", "INSTALL", "LOAD", "EXPORT",
                "IMPORT", "DESCRIBE", "SHOW", "SUMMARIZE", "TRUNCATE", "VACUUM", "SET", "RESET", "CALL", "EXPLAIN",
                "USE", "MERGE", "PIVOT", "UNPIVOT")
_STARTS_SQL = re.compile(rf"^({'|'.join(SQL_KEYWORDS)})\b")
_CLAUSE = re.compile(r"\b(FROM|INTO|SET|TABLE|VIEW|AS|VALUES|WHERE)\b")


def _string_texts(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, literal text, text with each f-string hole as ``x``) of every string constant and f-string."""
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner:
            found.append((node.lineno, node.value, node.value))
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else None for v in node.values]
            found.append((node.lineno, "".join(p if p is not None else "{}" for p in parts),
                          "".join(p if p is not None else "x" for p in parts)))
    return found


def is_sql(text: str, filled: str) -> bool:
    """A statement's text: it opens with a statement keyword, upper-cased as SQL is written here, or the
    text (in any case; three words or more, one a clause word such as FROM or INTO) is a statement DuckDB's
    own parser accepts.

    So "SELECT x FROM t" and "select x from t" count; a label such as "Show", "Set primary" or
    "Select rows to decide them" does not.
    """
    stripped = text.strip()
    if not _STARTS_SQL.match(stripped.upper()):
        return False
    if _STARTS_SQL.match(stripped):
        return True
    if len(filled.split()) < 3 or not _CLAUSE.search(filled.upper()):
        return False
    try:
        return bool(duckdb.extract_statements(filled))
    except duckdb.Error:
        return False


def _excused(relative: str) -> str | None:
    return next((key for key in SQL_OUTSIDE_DB if relative == key or (key.endswith("/") and relative.startswith(key))),
                None)


def _outside_db() -> dict[str, ast.AST]:
    trees = {}
    for path in project_files().values():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith("cashbook/db/"):
            trees[relative] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return trees


def _sql_found(tree: ast.AST) -> list[tuple[int, str]]:
    return [(line, text.strip()[:60]) for line, text, filled in _string_texts(tree) if is_sql(text, filled)]


def _cursors_found(tree: ast.AST) -> list[int]:
    """Lines that take a raw DuckDB cursor: ``.cursor()``, or a transaction's cursor bound with ``as``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cursor":
            lines.append(node.lineno)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if (item.optional_vars is not None and isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute) and call.func.attr == "transaction"):
                    lines.append(node.lineno)
    return lines


def test_sql_text_lives_in_db() -> None:
    """Statements are built by cashbook/db/*_sql.py functions and run by Database; the pages and the CLI hold none."""
    found, used = [], set()
    for relative, tree in _outside_db().items():
        hits = _sql_found(tree)
        key = _excused(relative)
        if hits and key is not None:
            used.add(key)
            continue
        found += [f"{relative}:{line}: {text!r}" for line, text in hits]
    assert not found, ("SQL text outside cashbook/db/; build it in a db/*_sql.py function and run it through "
                       "Database:\n" + "\n".join(found))
    stale = sorted(set(SQL_OUTSIDE_DB) - used - _excused_for_cursors())
    assert not stale, f"no SQL or cursor left there: remove from SQL_OUTSIDE_DB: {stale}"


def _excused_for_cursors() -> set[str]:
    return {key for relative, tree in _outside_db().items() if (key := _excused(relative)) and _cursors_found(tree)}


def test_no_raw_cursor_outside_db() -> None:
    """Only Database (cashbook/db/) holds DuckDB cursors: elsewhere rows, one, execute, arrow, registered, read_input."""
    found = [f"{relative}:{line}" for relative, tree in _outside_db().items() if _excused(relative) is None
             for line in _cursors_found(tree)]
    assert not found, "raw cursors outside cashbook/db/; ask Database for what you need instead: " + ", ".join(found)


def test_the_sql_rules_see_a_violation() -> None:
    """The readers themselves: SQL in any case and f-strings are seen, labels are not, cursors are seen."""
    source = ('x = "SELECT a FROM t WHERE b = ?"\ny = f"UPDATE {t} SET a = 1"\nz = "select a from t"\n'
              'w = "insert into t values (1)"\nlabel = "Show"\nhelp = "Set primary"\nhint = "Select rows to decide them"\n'
              'tip = "Drop customer files here"\nc = db.cursor()\nwith db.transaction() as cur:\n    pass\n'
              'with db.transaction():\n    pass\n')
    tree = ast.parse(source)
    assert [line for line, _ in _sql_found(tree)] == [1, 2, 3, 4]
    assert sorted(_cursors_found(tree)) == [9, 10]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(out)
