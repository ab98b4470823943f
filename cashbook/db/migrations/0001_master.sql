-- Customer master, open items, import history and the hierarchy file as stored rows.
CREATE SEQUENCE import_seq START 1;
CREATE TABLE import_batch (
    import_id    INTEGER PRIMARY KEY,
    kind         VARCHAR NOT NULL,          -- customers, items, hierarchy, remittance
    file_name    VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    rows         INTEGER NOT NULL,
    imported_at  TIMESTAMP NOT NULL,
    imported_by  VARCHAR NOT NULL,
    format       VARCHAR,
    summary      VARCHAR                    -- JSON: counts of new, changed, vanished, skipped
);

CREATE TABLE customer (
    customer_no   VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    parent_no     VARCHAR,
    currency      VARCHAR NOT NULL,
    credit_limit  DECIMAL(18,2),
    on_hold       BOOLEAN NOT NULL DEFAULT false,
    customer_type VARCHAR NOT NULL DEFAULT 'credit',
    bank_accounts VARCHAR NOT NULL DEFAULT '',   -- normalized, ';'-separated, as the ERP gives them
    email         VARCHAR,
    city          VARCHAR,
    active        BOOLEAN NOT NULL DEFAULT true, -- false once the ERP master no longer lists it
    provisional   BOOLEAN NOT NULL DEFAULT false,-- created by Cashbook for a payer the ERP lacks
    import_id     INTEGER,
    updated_at    TIMESTAMP
);

-- One row per (customer, account) so a payer's account finds its customer by a join.
CREATE TABLE customer_bank_account (
    account_norm VARCHAR NOT NULL,
    customer_no  VARCHAR NOT NULL
);

-- doc_no is unique: every import validates that before writing. It carries no PRIMARY KEY
-- index because maintaining one costs more than the rest of a million-row import together.
CREATE TABLE open_item (
    doc_no        VARCHAR NOT NULL,
    doc_type      VARCHAR NOT NULL,              -- INV, CRN, DBN
    customer_no   VARCHAR NOT NULL,
    doc_date      DATE NOT NULL,
    due_date      DATE NOT NULL,
    currency      VARCHAR NOT NULL,
    amount        DECIMAL(18,2) NOT NULL,
    open_amount   DECIMAL(18,2) NOT NULL,        -- as the ERP last reported it
    po_number     VARCHAR,
    discount_pct  DECIMAL(9,4),
    discount_days INTEGER,
    status        VARCHAR NOT NULL DEFAULT 'open', -- open, or settled (vanished from the ERP's file)
    doc_no_norm   VARCHAR NOT NULL,              -- normalized reference for matching joins
    import_id     INTEGER,
    updated_at    TIMESTAMP
);


-- What each master or items import changed (new rows carry their import_id instead), for review.
CREATE TABLE master_change (
    import_id  INTEGER NOT NULL,
    entity     VARCHAR NOT NULL,   -- customer, item
    key        VARCHAR NOT NULL,
    change     VARCHAR NOT NULL,   -- new, changed, vanished, returned
    detail     VARCHAR             -- which fields changed, before -> after
);

-- The hierarchy file as given, one member per row (rules and history live in hierarchy tables).
CREATE TABLE hierarchy_row (
    group_name         VARCHAR NOT NULL,
    customer_no        VARCHAR NOT NULL,
    parent_customer_no VARCHAR,
    is_primary         BOOLEAN NOT NULL,
    import_id          INTEGER
);

CREATE TABLE setting (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
