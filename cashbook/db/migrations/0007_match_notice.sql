-- Notices a match run raises beside its decisions: a clerk should look, but the cash is decided.
-- possible_duplicate: the receipt pays documents already settled, by an earlier receipt (named)
-- or by the ERP (earlier_receipt_id NULL); its cash went on account by the rules. Append-only.
CREATE SEQUENCE match_notice_seq START 1;
CREATE TABLE match_notice (
    notice_id           BIGINT PRIMARY KEY,
    run_id              INTEGER NOT NULL,
    receipt_id          BIGINT NOT NULL,
    kind                VARCHAR NOT NULL,   -- possible_duplicate
    doc_no              VARCHAR,
    earlier_receipt_id  BIGINT,             -- the receipt that settled doc_no first; NULL: the ERP did
    detail              VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    created_by          VARCHAR NOT NULL
);
