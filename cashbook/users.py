"""Users of a workspace (``ws.users``): adding them, their roles and passwords, sign-in with lock-out, sessions.

Passwords are hashed with argon2id (argon2-cffi) and never stored, logged or shown in clear. Every
change to a user and every sign-in attempt is appended to ``user_event``. Browser sessions are
signed, expiring tokens (itsdangerous) that name a session row, so that signing out ends them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cashbook import access
from cashbook.access import Role
from cashbook.db import Database
from cashbook.db import users_sql
from cashbook.errors import AccessRefused, NotFound, SignInRefused
from cashbook.settings import Settings, SettingsSource, UsesSettings

MIN_PASSWORD = 8
_HASHER = PasswordHasher()
_SESSION_SALT = "cashbook-session"


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    active: bool
    has_password: bool
    created_at: datetime
    created_by: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role.value, "active": self.active, "password": self.has_password,
                "created_at": self.created_at.isoformat(sep=" ", timespec="seconds"), "created_by": self.created_by}


def _user(row: tuple) -> User:
    name, role, active, password_hash, created_at, created_by = row
    return User(name, Role(role), bool(active), bool(password_hash), created_at, created_by)


def check_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 64 or any(ch in cleaned for ch in "\r\n\t"):
        raise AccessRefused(f"{name!r} is not a user name: 1 to 64 characters on one line", title="User refused")
    return cleaned


def check_password(password: str | None) -> str | None:
    if password is None:
        return None
    if len(password) < MIN_PASSWORD:
        raise AccessRefused(f"a password needs at least {MIN_PASSWORD} characters", title="Password refused")
    return password


class UserService(UsesSettings):
    """The users of one workspace, changed by ``by`` (an admin, or anyone adding the very first admin)."""

    def __init__(self, db: Database, by: str, settings: Settings | SettingsSource) -> None:
        self.db = db
        self.by = by
        self._use_settings(settings)

    # -- reading ------------------------------------------------------------------------------------
    def list(self) -> list[User]:
        return [_user(r) for r in self.db.rows(users_sql.USERS_SQL)]

    def get(self, name: str) -> User:
        row = self.db.one(users_sql.USER_SQL, [name.strip()])
        if row is None:
            raise NotFound(f"there is no user {name!r}")
        return _user(row)

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        return self.db.dicts(users_sql.EVENTS_SQL, [name, name])

    # -- changing (admin) -----------------------------------------------------------------------------
    def add(self, name: str, role: Role | str, password: str | None = None) -> User:
        """A new user; the first of a workspace must be an admin (and needs no one to add it)."""
        name, role = check_name(name), Role.parse(role) if isinstance(role, str) else role
        password = check_password(password)
        if access.has_users(self.db):
            access.require(self.db, self.by, Role.ADMIN, "adding a user")
        elif role is not Role.ADMIN:
            raise AccessRefused("the first user of a workspace must be an admin (--role admin); "
                                "the admin then adds the clerks and supervisors", title="User refused")
        if self.db.one(users_sql.USER_SQL, [name]) is not None:
            raise AccessRefused(f"there is already a user {name!r}", title="User refused")
        hashed = _HASHER.hash(password) if password is not None else None
        with self.db.transaction():
            self.db.execute(users_sql.INSERT_USER_SQL, [name, role.value, hashed, True, datetime.now(), self.by])
            self._event(name, "added", f"role {role.value}" + ("" if hashed else ", no password"))
        access.forget(self.db)
        return self.get(name)

    def set_role(self, name: str, role: Role | str) -> User:
        role = Role.parse(role) if isinstance(role, str) else role
        access.require(self.db, self.by, Role.ADMIN, "changing a user's role")
        user = self.get(name)
        if user.role is Role.ADMIN and role is not Role.ADMIN:
            self._keep_an_admin(user.name, "change the role of")
        with self.db.transaction():
            self.db.execute(users_sql.SET_ROLE_SQL, [role.value, user.name])
            self._event(user.name, "role", f"{user.role.value} -> {role.value}")
        access.forget(self.db)
        return self.get(user.name)

    def set_password(self, name: str, password: str) -> User:
        """An admin sets anyone's password; a user may change their own."""
        user = self.get(name)
        if user.name != self.by:
            access.require(self.db, self.by, Role.ADMIN, "setting another user's password")
        else:
            access.require_user(self.db, self.by)
        hashed = _HASHER.hash(check_password(password) or "")
        with self.db.transaction():
            self.db.execute(users_sql.SET_PASSWORD_SQL, [hashed, user.name])
            self._event(user.name, "password", "changed")
        return self.get(user.name)

    def disable(self, name: str) -> User:
        """A disabled user can no longer sign in or run commands; their history stays theirs."""
        access.require(self.db, self.by, Role.ADMIN, "disabling a user")
        user = self.get(name)
        if user.role is Role.ADMIN:
            self._keep_an_admin(user.name, "disable")
        with self.db.transaction():
            self.db.execute(users_sql.SET_ACTIVE_SQL, [False, user.name])
            self._event(user.name, "disabled", None)
        access.forget(self.db)
        return self.get(user.name)

    def enable(self, name: str) -> User:
        access.require(self.db, self.by, Role.ADMIN, "enabling a user")
        user = self.get(name)
        with self.db.transaction():
            self.db.execute(users_sql.SET_ACTIVE_SQL, [True, user.name])
            self._event(user.name, "enabled", None)
        access.forget(self.db)
        return self.get(user.name)

    # -- signing in -----------------------------------------------------------------------------------
    def locked_until(self, name: str, now: datetime | None = None) -> datetime | None:
        """When a name that had too many wrong passwords may try again; None when it may now."""
        now = now or datetime.now()
        window = timedelta(minutes=self.settings.lockout_minutes)
        failures = [at for (at,) in self.db.rows(users_sql.recent_failures_sql(),
                                                 {"name": name.strip(), "since": now - window})]
        if len(failures) < self.settings.sign_in_attempts:
            return None
        until = failures[0] + window
        return until if until > now else None

    def sign_in(self, name: str, password: str) -> User:
        """The user, when the name is an active user's and the password is theirs; refusals do not say which was wrong."""
        name = (name or "").strip()
        until = self.locked_until(name)
        if until is not None:
            raise SignInRefused(f"too many wrong passwords for {name}: signing in as {name} is locked until "
                                f"{until:%H:%M}. An admin can set a new password meanwhile.")
        row = self.db.one(users_sql.USER_SQL, [name])
        ok = False
        if row is not None and row[2] and row[3]:
            try:
                ok = _HASHER.verify(row[3], password or "")
            except (VerificationError, InvalidHashError):
                ok = False
        with self.db.transaction():
            self._event(name, "signed_in" if ok else "sign_in_failed", None, by=name)
        if not ok:
            if self.locked_until(name) is not None:
                with self.db.transaction():
                    self._event(name, "locked", f"{self.settings.sign_in_attempts} wrong passwords", by=name)
                raise SignInRefused(f"wrong name or password; that was the {self.settings.sign_in_attempts}th "
                                    f"attempt, so {name} is locked for {self.settings.lockout_minutes} minutes")
            raise SignInRefused("wrong name or password")
        return _user(row)  # type: ignore[arg-type]

    def active_user(self, name: str) -> User | None:
        """The user a trusted proxy's header names, if active (no password: the proxy authenticated them)."""
        row = self.db.one(users_sql.USER_SQL, [(name or "").strip()])
        return _user(row) if row is not None and row[2] else None

    # -- browser sessions -------------------------------------------------------------------------------
    def start_session(self, name: str) -> str:
        """A signed token for a browser cookie, naming a new session of ``name``."""
        session_id = secrets.token_urlsafe(18)
        self.db.execute(users_sql.INSERT_SESSION_SQL, [session_id, name, datetime.now()])
        return self._serializer().dumps({"u": name, "s": session_id})

    def session_user(self, token: str | None, now: datetime | None = None) -> User | None:
        """The active user a token names, while it is unexpired, correctly signed and not signed out."""
        if not token:
            return None
        try:
            data, signed_at = self._serializer().loads(token, return_timestamp=True)
        except BadSignature:
            return None
        age = (now or datetime.now()).astimezone() - signed_at.astimezone()
        if not isinstance(data, dict) or age > timedelta(hours=self.settings.session_hours):
            return None
        row = self.db.one(users_sql.SESSION_SQL, [str(data.get("s"))])
        if row is None or row[2] is not None or row[0] != data.get("u"):
            return None
        return self.active_user(row[0])

    def end_session(self, token: str | None) -> None:
        """Sign out: the session's token no longer signs anyone in."""
        if not token:
            return
        try:
            data = self._serializer().loads(token)
        except BadSignature:
            return
        if isinstance(data, dict):
            with self.db.transaction():
                self.db.execute(users_sql.END_SESSION_SQL, [datetime.now(), str(data.get("s"))])
                self._event(str(data.get("u")), "signed_out", None, by=str(data.get("u")))

    # -- internals ------------------------------------------------------------------------------------
    def _serializer(self) -> URLSafeTimedSerializer:
        secret = self.db.scalar(users_sql.SECRET_SQL, ["session"])
        if secret is None:
            self.db.execute(users_sql.INSERT_SECRET_SQL, ["session", secrets.token_urlsafe(32)])
            secret = self.db.scalar(users_sql.SECRET_SQL, ["session"])
        return URLSafeTimedSerializer(secret, salt=_SESSION_SALT)

    def _keep_an_admin(self, name: str, verb: str) -> None:
        others = [u for u in self.list() if u.role is Role.ADMIN and u.active and u.name != name]
        if not others:
            raise AccessRefused(f"cannot {verb} {name}: a workspace with users keeps at least one active admin",
                                title="User refused")

    def _event(self, name: str, action: str, detail: str | None, *, by: str | None = None) -> None:
        self.db.execute(users_sql.INSERT_EVENT_SQL, [name, action, detail, datetime.now(), by or self.by])
