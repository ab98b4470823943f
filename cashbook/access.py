"""Who may do what: the roles, and the one guard every protected action of the service layer calls.

A workspace without users belongs to one person: nothing is refused. Once a user exists, every
action names the least role it needs and ``require`` refuses anyone below it, in words that say
which role is needed, so the CLI, the app and notebooks obey the same rules.
"""

from __future__ import annotations

import weakref
from enum import Enum

from cashbook.db import Database
from cashbook.db import users_sql
from cashbook.errors import AccessRefused


class Role(str, Enum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, text: str) -> "Role":
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise AccessRefused(f"{text!r} is not a role; the roles are clerk, supervisor and admin",
                                title="Unknown role") from None


_RANKS = {Role.CLERK: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}

# What each role may do, as the README's table says; the guard's callers name these actions.
PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.CLERK: ("import bank and remittance files", "run matching", "accept and reject suggestions",
                 "apply cash, put it on account or in suspense, apply credit memos",
                 "unapply their own allocations of today", "resolve deductions within the write-off tolerance",
                 "read and export everything but postings"),
    Role.SUPERVISOR: ("everything a clerk may do", "unapply anyone's allocations", "write off beyond the tolerance",
                      "refund credit memos", "change hierarchies", "import the ERP customer master and open items",
                      "create provisional customers", "export postings", "change settings"),
    Role.ADMIN: ("everything a supervisor may do", "add users, change their roles and passwords, disable them",
                 "change the sign-in settings (auth_header, session_hours, sign-in lock-out)"),
}

# (db, user) -> role (None: not an active user), for the life of one open Database: matching
# may guard thousands of applies in one run. A change to users through UserService clears it.
_CACHE: "weakref.WeakKeyDictionary[Database, dict[str, Role | None]]" = weakref.WeakKeyDictionary()
_HAS_USERS: "weakref.WeakKeyDictionary[Database, bool]" = weakref.WeakKeyDictionary()


def forget(db: Database) -> None:
    """Drop what the guard knows of this workspace's users (after a change to them)."""
    _CACHE.pop(db, None)
    _HAS_USERS.pop(db, None)


def has_users(db: Database) -> bool:
    """Whether the workspace has users at all (without, it is a one-person workspace)."""
    if db not in _HAS_USERS:
        _HAS_USERS[db] = bool(db.scalar(users_sql.COUNT_USERS_SQL))
    return _HAS_USERS[db]


def role_of(db: Database, user: str) -> Role | None:
    """The role of an active user; None for a name that is not an active user."""
    known = _CACHE.setdefault(db, {})
    if user not in known:
        row = db.one(users_sql.USER_SQL, [user])
        known[user] = Role(row[1]) if row is not None and row[2] else None
    return known[user]


def require(db: Database, user: str, role: Role, action: str) -> None:
    """Refuse ``action`` unless ``user`` is an active user with ``role`` or above (always allowed without users)."""
    if not has_users(db):
        return
    current = role_of(db, user)
    if current is None:
        raise AccessRefused(f"{action} needs a {role.value}: {user!r} is not an active user of this workspace")
    if not current.allows(role):
        raise AccessRefused(f"{action} needs the {role.value} role; {user} is a {current.value}")


def require_user(db: Database, user: str) -> None:
    """Once a workspace has users, whoever works in it must be one of them (any role)."""
    if has_users(db) and role_of(db, user) is None:
        raise AccessRefused(
            f"this workspace has users, and {user!r} is not an active one; name yourself with --user NAME "
            "(or $CASHBOOK_USER), as a user an admin added with `cashbook users add`", title="Unknown user")


def allows(db: Database, user: str, role: Role) -> bool:
    """Whether ``user`` may do what needs ``role`` (for hiding what a role may not use)."""
    if not has_users(db):
        return True
    current = role_of(db, user)
    return current is not None and current.allows(role)
