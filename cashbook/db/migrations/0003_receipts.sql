-- Receipts and remittance lines, and every imported bank entry or advice kept as it came.

-- One row per ParsedPayment of an imported remittance or bank file, never changed afterwards
-- except for receipt_id (which receipt it belongs to, set once when it is linked or founds one).
CREATE TABLE payment_source (
    source_id          BIGINT PRIMARY KEY,
    import_id          INTEGER NOT NULL,
    seq                INTEGER NOT NULL,          -- position in its file, from 1
    kind               VARCHAR NOT NULL,          -- bank, advice
    format             VARCHAR NOT NULL,
    file_name          VARCHAR NOT NULL,
    location           VARCHAR NOT NULL,
    payment_ref        VARCHAR,
    value_date         DATE,
    amount             DECIMAL(18,2),
    currency           VARCHAR,
    payer_name         VARCHAR,
    payer_account      VARCHAR,
    payer_id           VARCHAR,
    bank_ref           VARCHAR,
    bank_text          VARCHAR NOT NULL,
    account            VARCHAR,                   -- the company's own account, where known
    line_count         INTEGER NOT NULL,
    ref_key            VARCHAR NOT NULL,          -- payment_ref compared form; '' when none or useless
    bank_ref_key       VARCHAR NOT NULL,
    text_tokens        VARCHAR NOT NULL,          -- ' ' || alphanumeric words of bank_text || ' '
    payer_account_key  VARCHAR NOT NULL,
    payer_id_key       VARCHAR NOT NULL,
    duplicate_of       BIGINT,                    -- the same payment already imported from another file
    receipt_id         BIGINT
);

-- The remittance lines of every source, as the file gave them.
CREATE TABLE payment_source_line (
    source_id       BIGINT NOT NULL,
    line_no         INTEGER NOT NULL,
    reference       VARCHAR NOT NULL,
    paid_amount     DECIMAL(18,2),
    gross_amount    DECIMAL(18,2),
    discount        DECIMAL(18,2),
    adjustment      DECIMAL(18,2),
    reason_code     VARCHAR,
    adjustment_text VARCHAR,
    doc_date        DATE,
    ref_type        VARCHAR,
    po_number       VARCHAR,
    customer_ref    VARCHAR
);

-- A receipt: money received (or announced), with its fields merged from its bank entry and advice.
CREATE TABLE receipt (
    receipt_id         BIGINT PRIMARY KEY,
    payment_ref        VARCHAR,
    value_date         DATE,
    amount             DECIMAL(18,2),
    currency           VARCHAR,
    payer_name         VARCHAR,
    payer_account      VARCHAR,
    payer_id           VARCHAR,
    bank_text          VARCHAR NOT NULL DEFAULT '',
    source_formats     VARCHAR NOT NULL,          -- '+'-joined, bank format first
    file_name          VARCHAR NOT NULL,          -- the bank entry's file, else the advice's
    bank_source_id     BIGINT,
    advice_source_ids  BIGINT[] NOT NULL,
    advice_amount      DECIMAL(18,2),             -- the advice's own total, kept for comparison
    line_source_id     BIGINT,                    -- whose lines remittance_line holds
    status             VARCHAR NOT NULL DEFAULT 'unmatched',
    payer_customer_no  VARCHAR,
    import_id          INTEGER NOT NULL,          -- the import that created it
    updated_import_id  INTEGER NOT NULL
);

-- What a receipt pays, line by line: the advice's lines, else those its bank entry carried.
CREATE TABLE remittance_line (
    receipt_id      BIGINT NOT NULL,
    line_no         INTEGER NOT NULL,
    reference       VARCHAR NOT NULL,
    paid_amount     DECIMAL(18,2),
    gross_amount    DECIMAL(18,2),
    discount        DECIMAL(18,2),
    adjustment      DECIMAL(18,2),
    reason_code     VARCHAR,
    adjustment_text VARCHAR,
    doc_date        DATE,
    ref_type        VARCHAR,
    po_number       VARCHAR,
    customer_ref    VARCHAR,
    reference_norm  VARCHAR NOT NULL,
    source_id       BIGINT NOT NULL
);
CREATE INDEX remittance_line_receipt ON remittance_line(receipt_id);
