-- Named customer groups of any depth as temporal rows (valid_to NULL = current), and their audit trail.
-- Rows are never deleted or rewritten: a change closes the current row (valid_to) and appends the new one,
-- so the hierarchy as it was at any time is a plain query.
CREATE TABLE customer_group (
    group_id    INTEGER NOT NULL,          -- stable across renames
    group_name  VARCHAR NOT NULL,
    valid_from  TIMESTAMP NOT NULL,
    valid_to    TIMESTAMP,
    changed_by  VARCHAR NOT NULL,
    import_id   INTEGER
);

CREATE TABLE group_member (
    group_id           INTEGER NOT NULL,
    group_name         VARCHAR NOT NULL,
    customer_no        VARCHAR NOT NULL,
    parent_customer_no VARCHAR,            -- NULL: a top-level member
    is_primary         BOOLEAN NOT NULL,   -- receives the group's unallocated cash
    valid_from         TIMESTAMP NOT NULL,
    valid_to           TIMESTAMP,
    changed_by         VARCHAR NOT NULL,
    import_id          INTEGER
);

-- Who changed what and when; before and after are JSON text ({"group", "parent", "primary"}).
CREATE TABLE hierarchy_audit (
    audit_id     INTEGER PRIMARY KEY,
    changed_at   TIMESTAMP NOT NULL,
    changed_by   VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,        -- create, rename, add, move, set-primary, remove
    group_id     INTEGER,
    group_name   VARCHAR,
    customer_no  VARCHAR,
    before       VARCHAR,
    after        VARCHAR,
    import_id    INTEGER
);
