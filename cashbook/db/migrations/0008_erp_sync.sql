-- What the ERP has booked of the postings Cashbook exported, and the documents on which the ERP and Cashbook disagree.

-- One row per exported journal's settlement of one document that the ERP has booked, i.e. that its
-- open-items file now reflects (see docs/ledger.md, "When the ERP has booked an export"). Append-only.
CREATE TABLE erp_booking (
    journal_no   VARCHAR NOT NULL,
    doc_no       VARCHAR NOT NULL,
    amount       DECIMAL(18,2) NOT NULL,   -- the journal's net settlement of the document
    how          VARCHAR NOT NULL,         -- open_amount, settled (dropped by the ERP), accepted, migrated
    import_id    INTEGER,                  -- the items import that showed it booked
    conflict_id  BIGINT,                   -- the conflict a supervisor resolved by accepting the ERP's figure
    booked_at    TIMESTAMP NOT NULL,
    booked_by    VARCHAR NOT NULL
);

-- Documents an items import left with less open than Cashbook holds on them (over-applied, or
-- dropped while still carrying cash not yet exported): listed until a supervisor resolves them.
CREATE SEQUENCE erp_conflict_seq START 1;
CREATE TABLE erp_conflict (
    conflict_id  BIGINT PRIMARY KEY,
    doc_no       VARCHAR NOT NULL,
    import_id    INTEGER,
    erp_status   VARCHAR NOT NULL,         -- open, or settled (no longer in the ERP's file)
    erp_open     DECIMAL(18,2) NOT NULL,   -- what the ERP's file says is open (0 when dropped)
    unexported   DECIMAL(18,2) NOT NULL,   -- Cashbook's settlement not yet exported
    pending      DECIMAL(18,2) NOT NULL,   -- exported, not yet seen booked by the ERP
    open_now     DECIMAL(18,2) NOT NULL,   -- erp_open - pending - unexported
    reason       VARCHAR NOT NULL,
    detected_at  TIMESTAMP NOT NULL,
    detected_by  VARCHAR NOT NULL
);

-- How a supervisor resolved a conflict: reverse (reversing ledger entries) or accept_erp. Append-only.
CREATE TABLE erp_conflict_resolution (
    conflict_id  BIGINT NOT NULL,
    action       VARCHAR NOT NULL,         -- reverse, accept_erp
    entry_ids    VARCHAR,                  -- the reversing entries (reverse)
    note         VARCHAR,
    resolved_at  TIMESTAMP NOT NULL,
    resolved_by  VARCHAR NOT NULL
);

-- Workspaces from before this rule counted an export as booked once the ERP's file had changed the
-- document in any way after it; those exports are recorded as booked so that no balance moves.
INSERT INTO erp_booking
SELECT u.journal_no, u.doc_no, u.amount, 'migrated', NULL, NULL, current_timestamp, 'migration'
FROM (
    SELECT pe.journal_no, m.doc_no, sum(m.settled) AS amount, any_value(pe.export_id) AS export_id
    FROM (SELECT entry_id, doc_no, amount + discount + write_off + deduction AS settled FROM allocation_entry
          WHERE kind IN ('document', 'credit') AND doc_no IS NOT NULL
          UNION ALL
          SELECT entry_id, source_doc_no, -amount FROM allocation_entry
          WHERE kind IN ('credit', 'refund') AND source_doc_no IS NOT NULL) m
    JOIN posted_entry pe ON pe.entry_id = m.entry_id AND pe.journal_no <> ''
    GROUP BY pe.journal_no, m.doc_no
) u
JOIN posting_export px ON px.export_id = u.export_id
JOIN open_item oi ON oi.doc_no = u.doc_no
WHERE oi.updated_at IS NOT NULL AND oi.updated_at >= px.exported_at;
