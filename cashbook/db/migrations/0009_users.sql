-- Who may work in a workspace: users with a role, their sign-in state, and an audit of every change to them.
-- A workspace without users is a one-person workspace (no sign-in, nothing refused).

CREATE TABLE app_user (
    name            VARCHAR PRIMARY KEY,
    role            VARCHAR NOT NULL,      -- clerk, supervisor, admin
    password_hash   VARCHAR,               -- argon2id; NULL for a user who signs in only through the proxy header
    active          BOOLEAN NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR NOT NULL
);

-- Every change to users (added, role, password, disabled) and every sign-in and sign-out, appended.
CREATE SEQUENCE user_event_seq START 1;
CREATE TABLE user_event (
    event_id    BIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL,          -- whom the event is about (a name typed at sign-in may be no user)
    action      VARCHAR NOT NULL,          -- added, role, password, disabled, enabled, signed_in, sign_in_failed, locked, signed_out
    detail      VARCHAR,
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL
);

-- Browser sessions: the signed cookie names one; signing out ends it, so a copied cookie stops working.
CREATE TABLE app_session (
    session_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP
);

-- The key that signs session cookies: made on first use, never shown.
CREATE TABLE app_secret (
    name   VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
