"""SQL of users, their events (changes, sign-ins) and browser sessions; every value bound."""

from __future__ import annotations

USER_COLUMNS = ("name", "role", "active", "created_at", "created_by")

COUNT_USERS_SQL = "SELECT count(*) FROM app_user"
USER_SQL = "SELECT name, role, active, password_hash, created_at, created_by FROM app_user WHERE name = ?"
USERS_SQL = "SELECT name, role, active, password_hash, created_at, created_by FROM app_user ORDER BY name"
INSERT_USER_SQL = "INSERT INTO app_user VALUES (?, ?, ?, ?, ?, ?)"
SET_ROLE_SQL = "UPDATE app_user SET role = ? WHERE name = ?"
SET_PASSWORD_SQL = "UPDATE app_user SET password_hash = ? WHERE name = ?"
SET_ACTIVE_SQL = "UPDATE app_user SET active = ? WHERE name = ?"

INSERT_EVENT_SQL = ("INSERT INTO user_event VALUES (nextval('user_event_seq'), ?, ?, ?, ?, ?)")
EVENTS_SQL = ("SELECT event_id, name, action, detail, created_at, created_by FROM user_event "
              "WHERE ? IS NULL OR name = ? ORDER BY event_id")


def recent_failures_sql() -> str:
    """Failed sign-ins of a name since its last success and within the lock-out window (newest first)."""
    return """
        SELECT created_at FROM user_event
        WHERE name = $name AND action = 'sign_in_failed' AND created_at >= $since
          AND event_id > coalesce((SELECT max(event_id) FROM user_event
                                   WHERE name = $name AND action = 'signed_in'), 0)
        ORDER BY event_id DESC"""


INSERT_SESSION_SQL = "INSERT INTO app_session VALUES (?, ?, ?, NULL)"
SESSION_SQL = "SELECT name, started_at, ended_at FROM app_session WHERE session_id = ?"
END_SESSION_SQL = "UPDATE app_session SET ended_at = ? WHERE session_id = ? AND ended_at IS NULL"

SECRET_SQL = "SELECT value FROM app_secret WHERE name = ?"
INSERT_SECRET_SQL = "INSERT INTO app_secret VALUES (?, ?) ON CONFLICT DO NOTHING"
