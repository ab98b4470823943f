"""Named customer groups of any depth: validated changes, append-only history with audit, group views and search.

Every change, whether from a command, the canonical file or the app, goes through one path:
build the group's new member set, check every rule on it, then close the rows that change and
append their successors. A refused change writes nothing; history is never rewritten.
"""

from __future__ import annotations

from cashbook.access import Role, require
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process, utils

from cashbook.db import Database
from cashbook.db import hierarchy_sql as hsql
from cashbook.errors import FileRefused, HierarchyError, Problem
from cashbook.exports import write_table
from cashbook.formats.tabular import is_xlsx
from cashbook.batches import ImportReport, previous_import, record_import
from cashbook.imports import stage_file
from cashbook.normalize import normalize_account
from cashbook.templates import HIERARCHY, MappingProfile

FILE_COLUMNS = ("group", "customer_no", "parent_customer_no", "primary")
AUDIT_COLUMNS = ("audit_id", "changed_at", "changed_by", "action", "group", "customer_no", "before", "after",
                 "import_id")
PRIMARY_TRUE = ("Y", "YES", "TRUE", "T", "1", "X", "PRIMARY")
PRIMARY_FALSE = ("N", "NO", "FALSE", "F", "0", "")
MAX_NAME = 100
NAME_RE = re.compile(r"^[^\W_][^\x00-\x1f\x7f]*$")  # starts with a letter or digit, no control characters
NAME_CUTOFF = 75.0  # rapidfuzz WRatio score from which a name counts as found
MAX_SYNC_WARNINGS = 200
REPORT_LABELS = {"add": "added", "move": "moved", "set-primary": "primary changed", "remove": "removed"}
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Member:
    """One member of a group's tree as stored: its parent inside the group (None at the top) and primary flag."""

    customer_no: str
    parent: str | None = None
    primary: bool = False

    def state(self, group: str) -> str:
        return json.dumps({"group": group, "parent": self.parent, "primary": self.primary})


@dataclass
class Group:
    """A group's current state; ``group_id`` stays the same across renames."""

    group_id: int
    name: str
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def primary(self) -> str | None:
        return next((c for c, m in self.members.items() if m.primary), None)

    def descendants(self, customer_no: str) -> set[str]:
        children: dict[str, list[str]] = {}
        for c, m in self.members.items():
            if m.parent is not None:
                children.setdefault(m.parent, []).append(c)
        found: set[str] = set()
        stack = list(children.get(customer_no, []))
        while stack:
            node = stack.pop()
            if node not in found:
                found.add(node)
                stack.extend(children.get(node, []))
        return found


@dataclass(frozen=True)
class Change:
    """One member's row replaced: ``before`` None for an addition, ``after`` None for a removal."""

    action: str
    group_id: int
    group: str
    customer_no: str
    before: Member | None
    after: Member | None

    def describe(self) -> str:
        b, a = self.before, self.after
        if b is None and a is not None:
            where = f" under {a.parent}" if a.parent else " at the top"
            return f"added {a.customer_no} to '{self.group}'{where}{' as primary' if a.primary else ''}"
        if a is None and b is not None:
            return f"removed {b.customer_no} from '{self.group}'"
        assert a is not None and b is not None
        parts = []
        if a.parent != b.parent:
            parts.append(f"moved {a.customer_no} from {b.parent or 'the top'} to {a.parent or 'the top'}")
        if a.primary != b.primary:
            parts.append(f"{a.customer_no} is {'now' if a.primary else 'no longer'} the primary of '{self.group}'")
        return "; ".join(parts)


# -- rules -------------------------------------------------------------------------------------
def clean_group_name(name: str | None) -> str:
    """A group name as stored, or HierarchyError saying what is wrong with it."""
    text = (name or "").strip()
    if not text:
        raise HierarchyError("a group needs a name; the name is empty")
    if len(text) > MAX_NAME:
        raise HierarchyError(f"the group name '{text[:40]}...' is longer than {MAX_NAME} characters")
    if not NAME_RE.match(text):
        raise HierarchyError(f"the group name '{text}' must start with a letter or digit and hold no control characters")
    return text


def find_cycles(parents: dict[str, str | None]) -> list[list[str]]:
    """Every cycle of two or more members in the parent links (each member has one parent)."""
    state: dict[str, int] = {}
    cycles = []
    for start in parents:
        if start in state:
            continue
        path: list[str] = []
        index: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parents and node not in state:
            state[node] = 1
            index[node] = len(path)
            path.append(node)
            node = parents[node]
        if node is not None and node in index and len(path) - index[node] > 1:
            cycles.append(path[index[node]:])
        for visited in path:
            state[visited] = 2
    return cycles


def tree_problems(group: str, members: dict[str, Member]) -> list[tuple[str, str, str]]:
    """(customer_no, column, message) for every rule the group's tree breaks; customer '' for the whole group."""
    out: list[tuple[str, str, str]] = []
    for c, m in members.items():
        if m.parent is None:
            continue
        if m.parent == c:
            out.append((c, "parent_customer_no", f"{c} cannot be its own parent"))
        elif m.parent not in members:
            out.append((c, "parent_customer_no",
                        f"parent {m.parent} is not a member of group '{group}'; a parent must be in the same group"))
    for cycle in find_cycles({c: m.parent for c, m in members.items()}):
        loop = " -> ".join(cycle + [cycle[0]])
        for c in cycle:
            out.append((c, "parent_customer_no", f"the parents form a cycle ({loop}); a tree has no cycles"))
    primaries = [c for c, m in members.items() if m.primary]
    if members and not primaries:
        out.append(("", "primary", f"group '{group}' has no primary customer; exactly one member must be primary"))
    for c in primaries[1:]:
        out.append((c, "primary", f"group '{group}' has more than one primary customer ({', '.join(primaries)}); "
                                  f"exactly one member must be primary"))
    return out


def _as_of_moment(as_of: datetime | date | None) -> datetime | None:
    """A date means the end of that day: the hierarchy as the day closed."""
    if as_of is None or isinstance(as_of, datetime):
        return as_of
    return datetime.combine(as_of, time.max)


# -- the service -------------------------------------------------------------------------------
class HierarchyService:
    """Groups and their trees in one workspace, changed by ``user``; ``clock`` is injectable for history tests."""

    def __init__(self, db: Database, user: str, clock: Clock | None = None) -> None:
        self.db = db
        self.user = user
        self._clock = clock or datetime.now

    # -- reading state ------------------------------------------------------------------------
    def _value(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
        """One value, with the result fully consumed (DuckDB refuses other work on a cursor with a pending result)."""
        rows = self.db.rows(sql, params)
        return rows[0][0] if rows else None

    def _load(self, names: Iterable[str] | None = None) -> dict[str, Group]:
        """Current groups (all, or those named) with their members."""
        groups = {name: Group(gid, name) for gid, name, _ in self.db.rows(hsql.groups_sql())
                  if names is None or name in names}
        for gid, name, c, parent, primary in self.db.rows(hsql.members_sql()):
            if name in groups:
                groups[name].members[c] = Member(c, parent, bool(primary))
        return groups

    def _group(self, name: str) -> Group:
        """The named current group, or HierarchyError naming the closest spelling."""
        text = (name or "").strip()
        if not text:
            raise HierarchyError("a group needs a name; the name is empty")
        found = self._load([text])
        if text in found:
            return found[text]
        same = [n for (n,) in self.db.rows(hsql.groups_named_sql(), [text])]
        hint = f"; did you mean '{same[0]}'?" if same else "; create it with `cashbook hierarchy create`"
        raise HierarchyError(f"there is no group '{text}'{hint}")

    def _membership(self, customer_no: str) -> tuple[str, Group] | None:
        name = self._value(hsql.group_of_sql(),
                              [customer_no])
        return None if name is None else (name, self._load([name])[name])

    def _require_known(self, customers: Iterable[str]) -> None:
        wanted = sorted({c for c in customers if c})
        known = {c for (c,) in self.db.rows(hsql.known_customers_sql(),
                                            [wanted])}
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise HierarchyError(f"unknown customer{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
                                 f"not in the customer master; import customers first")

    def _now(self) -> datetime:
        """The clock, kept strictly after the last change so that history orders and as-of views are exact."""
        now = self._clock()
        last = self._value(hsql.last_change_sql())
        if last is not None and now <= last:
            now = last + timedelta(microseconds=1)
        return now

    # -- writing ------------------------------------------------------------------------------
    def _changes(self, group: Group, after: dict[str, Member], action: str | None) -> list[Change]:
        changes = []
        for c in sorted(set(group.members) | set(after)):
            b, a = group.members.get(c), after.get(c)
            if b == a:
                continue
            if action is not None:
                kind = action
            elif b is None:
                kind = "add"
            elif a is None:
                kind = "remove"
            elif a.parent != b.parent:
                kind = "move"
            else:
                kind = "set-primary"
            changes.append(Change(kind, group.group_id, group.name, c, b, a))
        return changes

    def _commit(self, group: Group, after: dict[str, Member], action: str | None = None) -> list[str]:
        """Check the group's new member set against every rule, then write the difference."""
        problems = tree_problems(group.name, after)
        if problems:
            raise HierarchyError("; ".join(dict.fromkeys(m for _, _, m in problems)) + ". Nothing was changed.")
        changes = self._changes(group, after, action)
        if changes:
            self._write(self._now(), changes, None)
        return [c.describe() for c in changes]

    def _write(self, now: datetime, changes: list[Change], import_id: int | None) -> None:
        """Close the rows that change, append their successors and one audit entry per change."""
        params = {"now": now, "user": self.user, "import_id": import_id}
        closing = [c for c in changes if c.before is not None]
        opening = [(c, c.after) for c in changes if c.after is not None]
        if closing:
            with self.db.registered("closing", pa.table({
                    "group_id": pa.array([c.group_id for c in closing], pa.int32()),
                    "customer_no": [c.customer_no for c in closing]})):
                self.db.execute(hsql.close_members_sql(), {"now": now})
        if opening:
            with self.db.registered("opening", pa.table({
                    "group_id": pa.array([c.group_id for c, _ in opening], pa.int32()),
                    "group_name": [c.group for c, _ in opening],
                    "customer_no": [c.customer_no for c, _ in opening],
                    "parent_customer_no": pa.array([a.parent for _, a in opening], pa.string()),
                    "is_primary": pa.array([a.primary for _, a in opening], pa.bool_())})):
                self.db.execute(hsql.insert_members_sql(), params)
        self._audit(now, [(c.action, c.group_id, c.group, c.customer_no,
                           c.before.state(c.group) if c.before else None,
                           c.after.state(c.group) if c.after else None) for c in changes], import_id)

    def _audit(self, now: datetime, rows: list[tuple[str, int, str, str | None, str | None, str | None]],
               import_id: int | None) -> None:
        if not rows:
            return
        table = pa.table({
            "ord": pa.array(range(1, len(rows) + 1), pa.int64()),
            "action": [r[0] for r in rows],
            "group_id": pa.array([r[1] for r in rows], pa.int32()),
            "group_name": [r[2] for r in rows],
            "customer_no": pa.array([r[3] for r in rows], pa.string()),
            "before": pa.array([r[4] for r in rows], pa.string()),
            "after": pa.array([r[5] for r in rows], pa.string()),
        })
        with self.db.registered("audit_rows", table):
            self.db.execute(hsql.insert_audit_sql(), {"now": now, "user": self.user, "import_id": import_id})

    def _insert_group(self, now: datetime, group_id: int, name: str, import_id: int | None) -> None:
        self.db.execute(hsql.insert_group_sql(),
                        [group_id, name, now, self.user, import_id])

    def _refuse_taken(self, name: str, except_id: int | None = None) -> None:
        taken = self.db.rows(hsql.groups_named_sql(), [name])
        for gid, existing in taken:
            if gid != except_id:
                same = "exists already" if existing == name else f"exists already as '{existing}' (names ignore case)"
                raise HierarchyError(f"a group '{name}' {same}; choose another name")

    # -- commands -----------------------------------------------------------------------------
    def create(self, group: str) -> list[str]:
        """An empty group; it gets its primary with its first member."""
        require(self.db, self.user, Role.SUPERVISOR, "creating a group")
        name = clean_group_name(group)
        with self.db.transaction():
            self._refuse_taken(name)
            now = self._now()
            group_id = int(self._value(hsql.next_group_id_sql()))
            self._insert_group(now, group_id, name, None)
            self._audit(now, [("create", group_id, name, None, None, json.dumps({"group": name}))], None)
        return [f"created group '{name}'"]

    def add(self, customer_no: str, group: str, parent: str | None = None, primary: bool = False) -> list[str]:
        """Put a customer into a group; the first member becomes primary unless another is named later."""
        require(self.db, self.user, Role.SUPERVISOR, "adding a customer to a group")
        customer_no = (customer_no or "").strip()
        parent = (parent or "").strip() or None
        if not customer_no:
            raise HierarchyError("which customer? the customer number is empty")
        with self.db.transaction():
            target = self._group(group)
            self._require_known([customer_no, parent or ""])
            current = self._membership(customer_no)
            if current is not None and current[0] == target.name:
                raise HierarchyError(f"{customer_no} is already a member of '{target.name}'; "
                                     f"use move or set-primary to change its place")
            if current is not None:
                raise HierarchyError(f"{customer_no} is in group '{current[0]}'; a customer is in at most one group. "
                                     f"Remove it there first (cashbook hierarchy remove {customer_no})")
            if parent is not None and parent not in target.members:
                raise HierarchyError(self._outside_message(parent, target.name))
            after = dict(target.members)
            make_primary = primary or not target.members
            if make_primary:
                after = {c: Member(c, m.parent, False) for c, m in after.items()}
            after[customer_no] = Member(customer_no, parent, make_primary)
            return self._commit(target, after)

    def _outside_message(self, parent: str, group: str) -> str:
        other = self._value(hsql.group_of_sql(),
                               [parent])
        where = f"it is in group '{other}'" if other else "it is in no group"
        return f"parent {parent} is not a member of group '{group}' ({where}); a parent must be in the same group"

    def move(self, customer_no: str, parent: str | None) -> list[str]:
        """Hang a member (with its subtree) under another member of its group, or at the top (parent None)."""
        require(self.db, self.user, Role.SUPERVISOR, "moving a group member")
        customer_no = (customer_no or "").strip()
        parent = (parent or "").strip() or None
        with self.db.transaction():
            self._require_known([customer_no, parent or ""])
            found = self._membership(customer_no)
            if found is None:
                raise HierarchyError(f"{customer_no} is in no group; add it with `cashbook hierarchy add`")
            group = found[1]
            if parent == customer_no:
                raise HierarchyError(f"{customer_no} cannot be its own parent")
            if parent is not None and parent not in group.members:
                raise HierarchyError(self._outside_message(parent, group.name))
            if parent is not None and parent in group.descendants(customer_no):
                raise HierarchyError(f"{parent} is below {customer_no} in '{group.name}'; moving {customer_no} "
                                     f"under it would make a cycle. Move {parent} out of the subtree first")
            after = dict(group.members)
            old = after[customer_no]
            after[customer_no] = Member(customer_no, parent, old.primary)
            return self._commit(group, after, "move") or [f"{customer_no} is already there; nothing changed"]

    def remove(self, customer_no: str) -> list[str]:
        """Take a customer out of its group; its children move up to its parent."""
        require(self.db, self.user, Role.SUPERVISOR, "removing a group member")
        customer_no = (customer_no or "").strip()
        with self.db.transaction():
            found = self._membership(customer_no)
            if found is None:
                self._require_known([customer_no])
                raise HierarchyError(f"{customer_no} is in no group; nothing to remove")
            group = found[1]
            old = group.members[customer_no]
            if old.primary and len(group.members) > 1:
                raise HierarchyError(
                    f"{customer_no} is the primary customer of '{group.name}'; set another member primary first "
                    f"(cashbook hierarchy set-primary \"{group.name}\" CUSTOMER), then remove it")
            after = {c: (Member(c, old.parent, m.primary) if m.parent == customer_no else m)
                     for c, m in group.members.items() if c != customer_no}
            return self._commit(group, after)

    def set_primary(self, group: str, customer_no: str) -> list[str]:
        """Make a member the one that receives the group's unallocated cash."""
        require(self.db, self.user, Role.SUPERVISOR, "changing a group's primary")
        customer_no = (customer_no or "").strip()
        with self.db.transaction():
            target = self._group(group)
            if customer_no not in target.members:
                self._require_known([customer_no])
                raise HierarchyError(f"{customer_no} is not a member of '{target.name}'; add it first")
            after = {c: Member(c, m.parent, c == customer_no) for c, m in target.members.items()}
            return self._commit(target, after, "set-primary") or [f"{customer_no} is already the primary"]

    def rename(self, group: str, new_name: str) -> list[str]:
        """A new name for a group; its history keeps the old name up to now."""
        require(self.db, self.user, Role.SUPERVISOR, "renaming a group")
        new = clean_group_name(new_name)
        with self.db.transaction():
            target = self._group(group)
            if new == target.name:
                raise HierarchyError(f"the group is already called '{new}'")
            self._refuse_taken(new, except_id=target.group_id)
            now = self._now()
            params = {"now": now, "gid": target.group_id, "new": new, "user": self.user}
            self.db.execute(hsql.close_group_sql(),
                            {"now": now, "gid": target.group_id})
            self._insert_group(now, target.group_id, new, None)
            self.db.execute(hsql.close_group_members_sql(),
                            {"now": now, "gid": target.group_id})
            self.db.execute(hsql.renamed_members_sql(), params)
            self._audit(now, [("rename", target.group_id, new, None, json.dumps({"group": target.name}),
                               json.dumps({"group": new}))], None)
        return [f"renamed group '{target.name}' to '{new}'"]

    # -- the canonical file -------------------------------------------------------------------
    def import_file(self, data: bytes, file: str, profile: MappingProfile | None = None) -> ImportReport:
        """Make every group the file names exactly what the file says; other groups stay as they are."""
        require(self.db, self.user, Role.SUPERVISOR, "importing a hierarchy")
        sha = hashlib.sha256(data).hexdigest()
        xlsx = is_xlsx(data)
        line_kind = "sheet row" if xlsx else "file line"
        report = ImportReport(kind="hierarchy", file=file, sha256=sha, rows=0, format="xlsx" if xlsx else "csv")
        with self.db.transaction():
            staged = stage_file(self.db, data, file, HIERARCHY, profile)
            report.warnings += staged.notes
            report.rows = staged.rows
            if staged.rows == 0:
                raise FileRefused(file, [Problem(file, "", "", "the file has a header but no data rows")])
            raw = self._staged_rows()
            targets, hierarchy_rows, problems = self._read_file_rows(file, raw, line_kind)
            if problems:
                raise FileRefused(file, problems)
            current = self._load()
            now = self._now()
            new_groups: list[str] = []
            changes: list[Change] = []
            next_id = int(self._value(hsql.next_group_id_sql()))
            for name, after in targets.items():
                group = current.get(name)
                if group is None:
                    group = Group(next_id, name)
                    next_id += 1
                    new_groups.append(name)
                    current[name] = group
                changes += self._changes(group, after, None)
            if not changes and not new_groups:
                report.noop = True
                report.message = previous_import(self.db, "hierarchy", sha) or "the workspace already holds exactly this content"
                return report
            counts = {"groups created": len(new_groups)}
            for kind, label in REPORT_LABELS.items():
                counts[label] = sum(1 for c in changes if c.action == kind)
            report.counts = {k: n for k, n in counts.items() if n}
            report.samples = {"groups created": new_groups[:10]} if new_groups else {}
            for kind, label in REPORT_LABELS.items():
                keys = [f"{c.customer_no} ({c.group})" for c in changes if c.action == kind][:10]
                if keys:
                    report.samples[label] = keys
            report.import_id = record_import(self.db, report, self.user, now)
            self._store_rows(hierarchy_rows, report.import_id)
            for name in new_groups:
                gid = current[name].group_id
                self._insert_group(now, gid, name, report.import_id)
            self._audit(now, [("create", current[n].group_id, n, None, None, json.dumps({"group": n}))
                              for n in new_groups], report.import_id)
            self._write(now, changes, report.import_id)
        return report

    def _staged_rows(self) -> list[tuple]:
        """(rn, line, group, customer_no, parent, PRIMARY TEXT) of the staged file, blanks as None."""
        cur = self.db.execute(hsql.staged_rows_sql())
        names = [d[0].removeprefix("raw_") for d in cur.description]
        out = []
        for row in cur.fetchall():
            cells = dict(zip(names, row))
            text = {c: (cells.get(c) or "").strip() or None for c in FILE_COLUMNS}
            out.append((cells["rn"], cells["line"], text["group"], text["customer_no"], text["parent_customer_no"],
                        (text["primary"] or "").upper()))
        return out

    def _read_file_rows(self, file: str, raw: list[tuple], line_kind: str
                        ) -> tuple[dict[str, dict[str, Member]], list[tuple], list[Problem]]:
        """The file's groups as member sets, its typed rows, and every problem with its data row."""
        problems: list[Problem] = []

        def problem(rn: int, line: int, column: str, message: str) -> None:
            problems.append(Problem(file, str(rn), column, f"{message} ({line_kind} {line})"))

        targets: dict[str, dict[str, Member]] = {}
        where: dict[str, tuple[int, int]] = {}  # customer -> (rn, line) of its row
        group_rows: dict[str, tuple[int, int]] = {}
        typed = []
        for rn, line, group, customer, parent, primary_text in raw:
            if group is None:
                problem(rn, line, "group", "is empty; a value is required")
            else:
                try:
                    group = clean_group_name(group)
                except HierarchyError as exc:
                    problem(rn, line, "group", str(exc))
                    group = None
            if customer is None:
                problem(rn, line, "customer_no", "is empty; a value is required")
            if primary_text not in PRIMARY_TRUE + PRIMARY_FALSE:
                problem(rn, line, "primary", f"\"{primary_text}\" is not yes/no (use Y or N, TRUE or FALSE, 1 or 0)")
            if customer is not None and customer in where:
                problem(rn, line, "customer_no", f"customer {customer} appears more than once; first on row "
                                                 f"{where[customer][0]} (a customer is in at most one group)")
                continue
            if group is None or customer is None:
                continue
            where[customer] = (rn, line)
            group_rows.setdefault(group, (rn, line))
            member = Member(customer, parent, primary_text in PRIMARY_TRUE)
            targets.setdefault(group, {})[customer] = member
            typed.append((group, customer, parent, member.primary))
        known = {c for (c,) in self.db.rows(
            hsql.known_customers_sql(),
            [sorted(set(where) | {m.parent for ms in targets.values() for m in ms.values() if m.parent})])}
        for customer, (rn, line) in where.items():
            if customer not in known:
                problem(rn, line, "customer_no", f"unknown customer {customer}: not in the customer master; "
                                                 f"import customers first")
        current = self.db.rows(hsql.groups_of_sql(), [sorted(where)])
        for customer, other in current:
            if other not in targets:
                rn, line = where[customer]
                problem(rn, line, "customer_no", f"{customer} stays in group '{other}', which this file does not name; "
                                                 f"a customer is in at most one group. Remove it there or add group "
                                                 f"'{other}' to the file")
        existing = self.db.rows(hsql.group_names_sql())
        for (name,) in existing:
            for group, (rn, line) in group_rows.items():
                if group != name and group.lower() == name.lower():
                    problem(rn, line, "group", f"group '{group}' differs from the existing group '{name}' only in "
                                               f"case; write the name exactly as '{name}'")
        for group, members in targets.items():
            for customer, column, message in tree_problems(group, members):
                rn, line = where[customer] if customer else group_rows[group]
                problem(rn, line, column, message)
        problems.sort(key=lambda p: (int(p.location), p.column))
        return targets, typed, problems

    def _store_rows(self, rows: list[tuple], import_id: int) -> None:
        table = pa.table({"group_name": [r[0] for r in rows], "customer_no": [r[1] for r in rows],
                          "parent_customer_no": pa.array([r[2] for r in rows], pa.string()),
                          "is_primary": pa.array([r[3] for r in rows], pa.bool_())})
        with self.db.registered("file_rows", table):
            self.db.execute(hsql.insert_file_rows_sql("file_rows"), [import_id])

    def export_rows(self, as_of: datetime | date | None = None) -> list[tuple]:
        """The canonical file's rows (group, customer_no, parent_customer_no, primary), now or as of a moment."""
        moment = _as_of_moment(as_of)
        params = {"as_of": moment} if moment is not None else None
        return self.db.rows(hsql.export_rows_sql(moment is not None), params)

    def export_file(self, path: str | Path, as_of: datetime | date | None = None) -> int:
        """The canonical file (.csv or .xlsx); importing it again changes nothing. Returns the row count."""
        return write_table(path, FILE_COLUMNS, self.export_rows(as_of))

    def export_audit(self, path: str | Path) -> int:
        return write_table(path, AUDIT_COLUMNS, self.db.rows(hsql.audit_sql(False)))

    def history(self, group: str | None = None) -> list[dict[str, Any]]:
        """Audit entries, oldest first; for a group, every entry under any name it has had."""
        if group is None:
            return self.db.dicts(hsql.audit_sql(False))
        return self.db.dicts(hsql.audit_sql(True), {"group": group.strip()})

    # -- views --------------------------------------------------------------------------------
    def groups(self) -> list[dict[str, Any]]:
        """Current groups: name, member count, primary customer and since when the name holds."""
        return self.db.dicts(hsql.group_list_sql())

    def tree(self, group: str, as_of: datetime | date | None = None) -> list[dict[str, Any]]:
        """Members in tree order: customer_no, name, parent, depth (1 at the top), path, is_primary, balance."""
        moment = _as_of_moment(as_of)
        name = (group or "").strip()
        if moment is None:
            name = self._group(name).name
            return self.db.dicts(hsql.tree_sql(False), {"group": name})
        return self.db.dicts(hsql.tree_sql(True), {"group": name, "as_of": moment})

    def group_of(self, customer_no: str) -> str | None:
        return self._value(hsql.group_of_sql(),
                              [(customer_no or "").strip()])

    def scope(self, customer_no: str) -> list[str]:
        """Every member of the payer's group at every level, or the payer alone: where its cash may go."""
        return [c for (c,) in self.db.rows(hsql.scope_sql(), {"customer_no": (customer_no or "").strip()})]

    def primary_of(self, customer_no: str) -> str:
        """Who receives the unallocated cash of this customer's group (the customer itself outside groups)."""
        customer_no = (customer_no or "").strip()
        primary = self._value(hsql.primary_of_sql(), [customer_no])
        return primary or customer_no

    def members_sql(self, as_of: bool = False) -> str:
        """SQL of the current (or ``$as_of``) members, for other areas' joins."""
        return hsql.members_sql(as_of)

    def group_members_table(self, group: str) -> pa.Table:
        """The members of a group in tree order: customer_no, depth, member_path."""
        return self.db.arrow(hsql.member_paths_sql(), {"group": (group or "").strip()})

    def group_items_table(self, group: str, today: date | None = None, ordered: bool = True) -> pa.Table:
        """Every open item of every member, as Arrow (money stays decimal128).

        The fast path for big groups: members (with paths) and items are fetched apart and joined
        in Arrow. ``ordered`` sorts by tree order, then due date, then document number; matching,
        which needs no order, passes False and saves the sort.
        """
        name = (group or "").strip()
        members = self.group_members_table(name)
        items = self.db.arrow(hsql.group_open_items_sql(), {"group": name, "today": today or date.today()})
        position = pc.index_in(items.column("customer_no"), value_set=members.column("customer_no"))
        if ordered:
            items = items.append_column("position", position)
            items = items.take(pc.sort_indices(items, sort_keys=[("position", "ascending"), ("due_date", "ascending"),
                                                                  ("doc_no", "ascending")]))
            position = items.column("position")
            items = items.drop_columns(["position"])
        items = (items.add_column(3, "member_path", members.column("member_path").take(position))
                 .add_column(4, "depth", members.column("depth").take(position)))
        return items.select(list(hsql.GROUP_ITEM_COLUMNS))

    def group_items(self, group: str, today: date | None = None) -> list[dict[str, Any]]:
        """Every open item of every member at every level: the original customer_no, the member's path, aging."""
        return self.group_items_table(self._group(group).name, today).to_pylist()

    def aging(self, group: str, today: date | None = None) -> list[dict[str, Any]]:
        """Per currency: balance and the buckets current, 1-30, 31-60, 61-90, over 90 days past due (Decimal)."""
        name = self._group(group).name
        return self.db.dicts(hsql.aging_sql(), {"group": name, "today": today or date.today()})

    def export_group_items(self, group: str, path: str | Path, today: date | None = None) -> int:
        rows = self.group_items(group, today)
        return write_table(path, hsql.GROUP_ITEM_COLUMNS, [[r[c] for c in hsql.GROUP_ITEM_COLUMNS] for r in rows])

    # -- search -------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Customers and groups by customer number (exact), bank account (exact, normalized) or name (fuzzy)."""
        query = (text or "").strip()
        if not query:
            return []
        found: dict[str, dict[str, Any]] = {}

        def hit(customer_no: str | None, name: str | None, group: str | None, score: float, on: str) -> None:
            if customer_no is None:
                return
            best = found.get(customer_no)
            if best is None or score > best["score"]:
                found[customer_no] = {"customer_no": customer_no, "name": name, "group": group,
                                      "score": round(float(score), 1), "matched_on": on}

        for c, name, group in self.db.rows(hsql.search_number_sql(), {"text": query}):
            hit(c, name, group, 100.0, "customer_no")
        account = normalize_account(query)
        if len(account) >= 4:
            for c, name, group in self.db.rows(hsql.search_account_sql(), {"account": account}):
                hit(c, name, group, 100.0, "bank_account")
        primaries = self.db.rows(hsql.group_primaries_sql())
        group_hits = process.extract(query, [g for g, _, _ in primaries], scorer=fuzz.WRatio,
                                     processor=utils.default_process, score_cutoff=NAME_CUTOFF, limit=limit)
        for _, score, index in group_hits:
            group, c, name = primaries[index]
            hit(c, name, group, score, "group")
        customers = self.db.rows(hsql.search_names_sql())
        name_hits = process.extract(query, [n for _, n, _ in customers], scorer=fuzz.WRatio,
                                    processor=utils.default_process, score_cutoff=NAME_CUTOFF, limit=limit)
        for _, score, index in name_hits:
            c, name, group = customers[index]
            hit(c, name, group, score, "name")
        return sorted(found.values(), key=lambda r: (-r["score"], r["customer_no"]))[:limit]


# -- the ERP master sync -----------------------------------------------------------------------
def master_sync_warnings(db: Database) -> list[str]:
    """Members that the customers import being applied (temp tables ``diff`` and ``typed``) drops or re-parents.

    They stay in their groups: a clerk decides, since the named hierarchy is Cashbook's own.
    """
    found = db.rows(hsql.master_sync_sql())
    out = []
    for group, customer, change, old, new in found[:MAX_SYNC_WARNINGS]:
        if change == "vanished":
            out.append(f"group '{group}': member {customer} is no longer in the ERP master; it stays in the group "
                       f"(cashbook hierarchy remove {customer} to take it out)")
        else:
            out.append(f"group '{group}': member {customer} changed its ERP parent from {old or 'none'} to "
                       f"{new or 'none'}; its place in the group is unchanged (cashbook hierarchy move to change it)")
    if len(found) > MAX_SYNC_WARNINGS:
        out.append(f"... and {len(found) - MAX_SYNC_WARNINGS} more group members changed in the ERP master")
    return out

