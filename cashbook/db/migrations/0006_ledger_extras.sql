-- Around the ledger: deduction resolutions, posting journals, holds and provisional customers (all append-only).

-- A deduction item is a ledger entry with a deduction (its entry_id is the deduction's id); how it was
-- resolved is appended here, never written over: write_off, rebill (a new document), reinstated (reopened).
CREATE SEQUENCE deduction_event_seq START 1;
CREATE TABLE deduction_event (
    event_id     BIGINT PRIMARY KEY,
    entry_id     BIGINT NOT NULL,          -- the allocation entry that holds the deduction
    action       VARCHAR NOT NULL,         -- write_off, rebill, reinstated
    amount       DECIMAL(18,2) NOT NULL,
    new_doc_no   VARCHAR,                  -- the re-bill's document number
    reinstate_entry_id BIGINT,             -- the ledger entry that reopened the document (reinstated)
    note         VARCHAR,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL
);

-- Every journal a postings export wrote: numbered from a sequence kept here (max(seq) + 1 inside the
-- export's transaction, so a failed export leaves no gap).
CREATE TABLE posting_journal (
    journal_no   VARCHAR PRIMARY KEY,
    seq          BIGINT NOT NULL,
    export_id    INTEGER NOT NULL,
    journal_type VARCHAR NOT NULL,         -- receipt, reversal, credit, deduction
    receipt_id   BIGINT,
    source_doc_no VARCHAR,
    posting_date DATE NOT NULL,
    total        DECIMAL(18,2) NOT NULL    -- sum of debits (= sum of credits)
);

-- Which deduction resolutions went to the ERP in which journal.
CREATE TABLE posted_deduction_event (
    event_id   BIGINT NOT NULL,
    export_id  INTEGER NOT NULL,
    journal_no VARCHAR NOT NULL
);

-- Holds by rule (credit limit exceeded, invoices too long past due): each change appended with why.
CREATE SEQUENCE hold_event_seq START 1;
CREATE TABLE hold_event (
    event_id     BIGINT PRIMARY KEY,
    customer_no  VARCHAR NOT NULL,
    on_hold      BOOLEAN NOT NULL,
    reason       VARCHAR NOT NULL,
    balance      DECIMAL(18,2),
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL
);

-- Customers Cashbook created for payers or documents the ERP master lacks: where they came from.
-- The customer row itself lives in `customer` with provisional = true until the master brings it back.
CREATE TABLE provisional_customer (
    customer_no  VARCHAR PRIMARY KEY,
    origin       VARCHAR NOT NULL,         -- payer, document, manual
    origin_key   VARCHAR,                  -- the payer key, receipt or document it came from
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL,
    exported_at  TIMESTAMP                 -- last written to a new-customers file
);

-- The lines of every journal exported, as written: an export can be read again exactly.
CREATE TABLE posting_line (
    journal_no   VARCHAR NOT NULL,
    line_no      INTEGER NOT NULL,
    account      VARCHAR NOT NULL,
    customer_no  VARCHAR,
    doc_no       VARCHAR,
    debit        DECIMAL(18,2) NOT NULL,
    credit       DECIMAL(18,2) NOT NULL,
    description  VARCHAR NOT NULL
);
