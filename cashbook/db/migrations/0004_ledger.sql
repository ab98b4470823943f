-- The append-only allocation ledger: every apply, reversal, on-account and suspense entry.
CREATE SEQUENCE allocation_seq START 1;
CREATE TABLE allocation_entry (
    entry_id      BIGINT PRIMARY KEY,
    receipt_id    BIGINT,                  -- the cash; NULL for a credit memo applied or refunded
    kind          VARCHAR NOT NULL,        -- document, on_account, unidentified, credit, refund
    doc_no        VARCHAR,                 -- the document settled (document, credit)
    customer_no   VARCHAR,                 -- the document's customer, or who holds cash on account
    source_doc_no VARCHAR,                 -- the credit memo applied (credit) or refunded (refund)
    amount        DECIMAL(18,2) NOT NULL,  -- cash (or credit) applied; negative in a reversal
    discount      DECIMAL(18,2) NOT NULL DEFAULT 0,
    write_off     DECIMAL(18,2) NOT NULL DEFAULT 0,
    deduction     DECIMAL(18,2) NOT NULL DEFAULT 0,  -- short payment with a reason, left for review
    reason_code   VARCHAR,
    rule          VARCHAR NOT NULL,        -- the matching rule, or manual
    score         DOUBLE,                  -- the proposal's confidence, 0..1 (not money)
    evidence      VARCHAR,                 -- JSON: why
    reverses      BIGINT,                  -- the entry this entry reverses
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL,
    prev_hash     VARCHAR NOT NULL,
    hash          VARCHAR NOT NULL         -- sha256 over prev_hash and this entry: tampering shows
);
CREATE INDEX allocation_doc ON allocation_entry(doc_no);
CREATE INDEX allocation_receipt ON allocation_entry(receipt_id);

-- One row per document or receipt touched: two clerks changing the same one at once conflict
-- on this row, so the second transaction fails instead of over-applying.
CREATE TABLE allocation_guard (
    key     VARCHAR PRIMARY KEY,
    version BIGINT NOT NULL
);

-- Which entries went to the ERP in which postings export (filled by the postings export).
CREATE SEQUENCE posting_export_seq START 1;
CREATE TABLE posting_export (
    export_id   INTEGER PRIMARY KEY,
    exported_at TIMESTAMP NOT NULL,
    exported_by VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    journals    INTEGER NOT NULL
);
CREATE TABLE posted_entry (
    entry_id   BIGINT NOT NULL,
    export_id  INTEGER NOT NULL,
    journal_no VARCHAR NOT NULL
);
