-- The matching engine: runs, proposals with their evidence, clerks' decisions on them, learned payer aliases.
-- Proposals are not ledger entries: an applied proposal names the ledger entries it created (entry_ids).
-- A proposal row is never rewritten: a clerk's accept, reject or a superseding decision is appended
-- to proposal_decision, so who decided what and when stays visible.
CREATE SEQUENCE match_run_seq START 1;
CREATE TABLE match_run (
    run_id       INTEGER PRIMARY KEY,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    run_by       VARCHAR NOT NULL,
    receipts     INTEGER NOT NULL DEFAULT 0,
    counts       VARCHAR                    -- JSON: receipts per status and proposals per rule
);

CREATE SEQUENCE proposal_seq START 1;
CREATE TABLE proposal (
    proposal_id  BIGINT PRIMARY KEY,
    run_id       INTEGER,                   -- NULL for a clerk's manual allocation
    receipt_id   BIGINT NOT NULL,
    kind         VARCHAR NOT NULL,          -- document, on_account, unidentified
    doc_no       VARCHAR,
    customer_no  VARCHAR,                   -- the document's customer, or who holds the cash on account
    amount       DECIMAL(18,2) NOT NULL,    -- cash applied
    discount     DECIMAL(18,2) NOT NULL DEFAULT 0,
    write_off    DECIMAL(18,2) NOT NULL DEFAULT 0,
    deduction    DECIMAL(18,2) NOT NULL DEFAULT 0,
    reason_code  VARCHAR,
    rule         VARCHAR NOT NULL,
    score        DOUBLE,                    -- confidence 0..1, not money
    evidence     VARCHAR,                   -- JSON: why
    status       VARCHAR NOT NULL,          -- as proposed: applied or suggested
    entry_ids    BIGINT[],                  -- the ledger entries, when applied at proposal time
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL
);

CREATE SEQUENCE proposal_decision_seq START 1;
CREATE TABLE proposal_decision (
    decision_id  BIGINT PRIMARY KEY,
    proposal_id  BIGINT NOT NULL,
    status       VARCHAR NOT NULL,          -- applied, rejected, superseded
    amount       DECIMAL(18,2),             -- the amount a clerk applied, when changed
    entry_ids    BIGINT[],
    decided_at   TIMESTAMP NOT NULL,
    decided_by   VARCHAR NOT NULL,
    note         VARCHAR
);

-- What a run looked at for each receipt: the payer found, the passes, candidates and why (for explain).
CREATE TABLE match_trace (
    run_id             INTEGER NOT NULL,
    receipt_id         BIGINT NOT NULL,
    payer_customer_no  VARCHAR,
    payer_method       VARCHAR,
    status             VARCHAR NOT NULL,
    trace              VARCHAR NOT NULL     -- JSON list of lines
);

-- A payer's name or account learned from a clerk's confirmation: key 'N:<name key>' or 'A:<account>'.
CREATE TABLE payer_alias (
    alias_key    VARCHAR NOT NULL,
    customer_no  VARCHAR NOT NULL,
    learned_from BIGINT,                    -- the receipt whose confirmation taught it
    created_by   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

-- Payers unknown to the master, proposed as new customers for the ERP ("create missing customers").
CREATE TABLE missing_customer (
    payer_key            VARCHAR PRIMARY KEY,
    proposed_customer_no VARCHAR NOT NULL,
    payer_name           VARCHAR,
    payer_account        VARCHAR,
    first_receipt_id     BIGINT NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    created_by           VARCHAR NOT NULL
)
