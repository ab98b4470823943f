"""SQL of the matching engine: receipts to decide, payers, references, candidate documents and statuses.

The heavy, set-wise work of every pass is here (one statement for all receipts of a run);
the per-receipt decisions are pure Python in ``cashbook.matching.rules``. Temp tables of a run:
``m_pending`` (receipts to decide), ``m_scope`` (customer -> scope key and primary), ``m_item``
(documents with open_now and scope), ``m_ref`` (references of lines and bank text), ``m_hit``.
Values are bound (``$name``); identifiers come from code only.
"""

from __future__ import annotations

from collections.abc import Sequence

from cashbook.db.ledger_sql import (applicable_open_sql, live_entries_sql, open_conflicts_sql, open_items_now_sql,
                                    receipt_allocated_sql)
from cashbook.normalize import normalize_ref_sql, normalize_ref_words_sql

MIN_TEXT_DIGITS = 4  # a bank-text window must hold this many digits to be searched as a reference


def squash_sql(expr: str) -> str:
    return f"regexp_replace(upper(coalesce({expr}, '')), '[^A-Z0-9]', '', 'g')"


def proposal_now_sql() -> str:
    """Proposals with their current status: the latest decision appended, else the status proposed."""
    return """
        SELECT p.*, coalesce(d.status, p.status) AS status_now, coalesce(d.entry_ids, p.entry_ids) AS entry_ids_now,
               d.decided_by, d.decided_at
        FROM proposal p
        LEFT JOIN (SELECT proposal_id, arg_max(status, decision_id) AS status, arg_max(entry_ids, decision_id) AS entry_ids,
                          arg_max(decided_by, decision_id) AS decided_by, max(decided_at) AS decided_at
                   FROM proposal_decision GROUP BY proposal_id) d ON d.proposal_id = p.proposal_id"""


def receipt_status_sql() -> str:
    """Every receipt's matching status, derived from the ledger and the open proposals.

    suggested: proposals wait for a clerk; unmatched: nothing allocated; otherwise unidentified,
    applied (cash on documents) or on_account, by what the ledger holds; partial when cash is
    left that nobody decided.
    """
    return f"""
        SELECT r.receipt_id, r.amount,
               coalesce(a.applied, 0) AS applied, coalesce(a.on_account, 0) AS on_account,
               coalesce(a.unidentified, 0) AS unidentified,
               CAST(coalesce(r.amount, 0) - coalesce(a.allocated, 0) AS DECIMAL(18,2)) AS unallocated,
               coalesce(s.suggested, 0) AS suggested,
               CASE WHEN coalesce(s.suggested, 0) > 0 THEN 'suggested'
                    WHEN coalesce(a.allocated, 0) = 0 AND coalesce(a.applied, 0) = 0 THEN 'unmatched'
                    WHEN coalesce(r.amount, 0) - coalesce(a.allocated, 0) <> 0 THEN 'partial'
                    WHEN coalesce(a.unidentified, 0) > 0 THEN 'unidentified'
                    WHEN coalesce(a.applied, 0) <> 0 THEN 'applied'
                    ELSE 'on_account' END AS status
        FROM receipt r
        LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id
        LEFT JOIN (SELECT receipt_id, count(*) AS suggested FROM ({proposal_now_sql()})
                   WHERE status_now = 'suggested' GROUP BY receipt_id) s ON s.receipt_id = r.receipt_id"""


def update_receipt_status_sql() -> str:
    """Keep receipt.status (read by imports and lists) equal to the derived status, for $ids."""
    return f"""
        UPDATE receipt r SET status = s.status
        FROM ({receipt_status_sql()}) s
        WHERE s.receipt_id = r.receipt_id AND list_contains($ids, r.receipt_id) AND r.status IS DISTINCT FROM s.status"""


def pending_sql() -> str:
    """Receipts not yet decided: money seen on the bank, nothing in the ledger, no proposal waiting or applied.

    ``account_currency``: the one currency of the receipts whose currency is known on the company
    account this one arrived on (a bank account keeps one currency), NULL when they disagree or
    none is known; the run gives it to a receipt no file and no identified payer gives one."""
    return f"""
        CREATE OR REPLACE TEMP TABLE m_pending AS
        WITH account_currency AS (
            SELECT s.account, CASE WHEN count(DISTINCT r.currency) = 1 THEN min(r.currency) END AS currency
            FROM receipt r JOIN payment_source s ON s.source_id = r.bank_source_id
            WHERE s.account IS NOT NULL AND r.currency IS NOT NULL GROUP BY s.account)
        SELECT r.receipt_id, r.payment_ref, r.value_date, CAST(r.amount * 100 AS BIGINT) AS amount_cents, r.currency,
               (SELECT a.currency FROM payment_source s JOIN account_currency a ON a.account = s.account
                WHERE s.source_id = r.bank_source_id) AS account_currency,
               r.payer_name, r.payer_account, r.payer_id, coalesce(r.bank_text, '') AS bank_text,
               {squash_sql('r.payer_account')} AS account_key, {squash_sql('r.payer_id')} AS payer_id_key,
               EXISTS (SELECT 1 FROM remittance_line l WHERE l.receipt_id = r.receipt_id) AS has_lines
        FROM receipt r
        WHERE r.amount IS NOT NULL AND r.amount > 0 AND r.bank_source_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM allocation_entry e WHERE e.receipt_id = r.receipt_id)
          AND NOT EXISTS (SELECT 1 FROM ({proposal_now_sql()}) p
                          WHERE p.receipt_id = r.receipt_id AND p.status_now IN ('suggested', 'applied'))"""


def scope_sql() -> str:
    """Every customer's scope key (its current group, or itself) and the primary that holds unallocated cash."""
    return """
        CREATE OR REPLACE TEMP TABLE m_scope AS
        SELECT c.customer_no, c.name, c.customer_type, c.currency,
               coalesce('G:' || CAST(m.group_id AS VARCHAR), 'C:' || c.customer_no) AS scope_key,
               coalesce(p.customer_no, c.customer_no) AS primary_no
        FROM customer c
        LEFT JOIN group_member m ON m.customer_no = c.customer_no AND m.valid_to IS NULL
        LEFT JOIN (SELECT group_id, min(customer_no) AS customer_no FROM group_member
                   WHERE valid_to IS NULL AND is_primary GROUP BY group_id) p ON p.group_id = m.group_id"""


def scope_rows_sql() -> str:
    """Scope rows (customer_no, name, customer_type, scope_key, primary_no) of the customers in
    $customers and of their groups' primaries (a group found as a whole is paid for by its primary)."""
    return """
        WITH wanted AS (SELECT unnest($customers) AS customer_no)
        SELECT customer_no, name, customer_type, scope_key, primary_no FROM m_scope
        WHERE customer_no IN (SELECT customer_no FROM wanted)
           OR customer_no IN (SELECT primary_no FROM m_scope WHERE customer_no IN (SELECT customer_no FROM wanted))"""


def name_candidates_sql() -> str:
    """Customers whose name holds one of the words in $tokens (upper case): the name pass's first,
    small master. Splitting on anything but letters and digits, in any script, as payer_name_key does."""
    return r"""SELECT customer_no FROM m_scope
               WHERE list_has_any(regexp_split_to_array(upper(coalesce(name, '')), '[^\pL\pN]+'), $tokens)"""


def aliases_sql() -> str:
    """The customer each alias key in $keys was last taught to mean."""
    return """SELECT alias_key, arg_max(customer_no, created_at) FROM payer_alias
              WHERE alias_key IN (SELECT unnest($keys)) GROUP BY alias_key"""


def payer_keys_sql() -> str:
    """Payers found by the payer id in the file or by the bank account: (receipt_id, method, customer_no)."""
    return """
        SELECT p.receipt_id, 'payer_id' AS method, c.customer_no
        FROM m_pending p JOIN customer c ON p.payer_id_key <> '' AND upper(c.customer_no) = p.payer_id_key
        WHERE c.active
        UNION
        SELECT p.receipt_id, 'bank_account', a.customer_no
        FROM m_pending p JOIN customer_bank_account a ON p.account_key <> '' AND a.account_norm = p.account_key
        JOIN customer c ON c.customer_no = a.customer_no AND c.active"""


def items_sql() -> str:
    """The documents a run can reach, with the open amount now (in cents) and the customer's scope:
    those named exactly by a reference and those of the payers' scopes; settled ones too, so that a
    reference to a paid document is recognised as such and not searched by amount. Needs m_ref."""
    now = open_items_now_sql("oi.doc_no IN (SELECT doc_no FROM m_reach)")
    return f"""
        CREATE OR REPLACE TEMP TABLE m_item AS
        WITH m_unknown_ref AS ({unknown_refs_sql()}),
        m_reach AS (
            SELECT doc_no FROM open_item WHERE doc_no IN (SELECT ref_upper FROM m_ref)
            UNION
            SELECT oi.doc_no FROM open_item oi JOIN m_scope s ON s.customer_no = oi.customer_no
            WHERE s.scope_key IN (SELECT scope_key FROM m_payer_scope)
            UNION
            SELECT doc_no FROM open_item WHERE doc_no_norm IN (SELECT ref_norm FROM m_unknown_ref))
        SELECT oi.doc_no, oi.doc_type, oi.customer_no, oi.doc_date, CAST(oi.amount * 100 AS BIGINT) AS amount_cents,
               CAST({applicable_open_sql('oi')} * 100 AS BIGINT) AS open_cents, oi.doc_no_norm,
               {normalize_ref_sql('oi.po_number')} AS po_norm, oi.discount_pct, oi.discount_days,
               coalesce(s.scope_key, 'C:' || oi.customer_no) AS scope_key,
               coalesce(s.primary_no, oi.customer_no) AS primary_no,
               oi.doc_no IN (SELECT doc_no FROM ({open_conflicts_sql()})) AS erp_conflict, oi.currency
        FROM ({now}) oi LEFT JOIN m_scope s ON s.customer_no = oi.customer_no"""


UNKNOWN_MIN_NORM = 5  # a normalized reference of a payer nobody knows must be this long to be searched


def unknown_refs_sql() -> str:
    """References of receipts whose payer is unknown (no scope at all) long enough to be looked up in
    normalized form across every document: a unique document there may identify the payer."""
    return f"""
        SELECT DISTINCT r.receipt_id, r.ref_key, r.ref_norm FROM m_ref r
        WHERE length(r.ref_norm) >= {UNKNOWN_MIN_NORM}
          AND r.receipt_id NOT IN (SELECT receipt_id FROM m_payer_scope)"""


def refs_sql() -> str:
    """References of every pending receipt: its remittance lines, else windows of 1-3 words of its
    bank text and payment reference that hold enough digits to be a document or PO number."""
    return f"""
        CREATE OR REPLACE TEMP TABLE m_ref AS
        SELECT l.receipt_id, l.line_no AS ref_key, 'line' AS source, l.reference, upper(trim(l.reference)) AS ref_upper,
               l.reference_norm AS ref_norm,
               CAST(l.paid_amount * 100 AS BIGINT) AS paid_cents, CAST(l.gross_amount * 100 AS BIGINT) AS gross_cents,
               CAST(l.discount * 100 AS BIGINT) AS discount_cents, CAST(l.adjustment * 100 AS BIGINT) AS adjustment_cents,
               l.reason_code, l.ref_type, {normalize_ref_sql('l.po_number')} AS po_norm, 1 AS width,
               {normalize_ref_words_sql('l.reference')} AS ref_norm_alt
        FROM remittance_line l JOIN m_pending p ON p.receipt_id = l.receipt_id
        UNION ALL
        SELECT receipt_id, -CAST(row_number() OVER (PARTITION BY receipt_id ORDER BY width, win) AS INTEGER), 'text',
               win, win, win_norm, NULL, NULL, NULL, NULL, NULL, NULL, '', width, win_norm
        FROM (
            SELECT receipt_id, arg_min(win, width) AS win, min(width) AS width, win_norm
            FROM (
                SELECT receipt_id, win, width, {normalize_ref_sql('win')} AS win_norm
                FROM (
                    WITH t AS (SELECT receipt_id, string_split(trim(regexp_replace(
                                   upper(bank_text || ' ' || coalesce(payment_ref, '')), '[^A-Z0-9]+', ' ', 'g')), ' ') AS toks
                               FROM m_pending WHERE NOT has_lines),
                    w AS (SELECT receipt_id, toks, unnest(range(1, len(toks) + 1)) AS i FROM t)
                    SELECT receipt_id, toks[i] AS win, 1 AS width FROM w
                    UNION ALL SELECT receipt_id, toks[i] || ' ' || toks[i + 1], 2 FROM w WHERE i + 1 <= len(toks)
                    UNION ALL SELECT receipt_id, toks[i] || ' ' || toks[i + 1] || ' ' || toks[i + 2], 3
                    FROM w WHERE i + 2 <= len(toks)
                ) x
                WHERE length(regexp_replace(win, '[^0-9]', '', 'g')) >= {MIN_TEXT_DIGITS}
            ) y GROUP BY receipt_id, win_norm
        ) z"""


def hits_sql() -> str:
    """Reference hits of the exact, normalized and PO passes: (receipt_id, ref_key, doc_no, tier).

    Exact looks at every document (a payer unknown to the master may name its documents exactly);
    normalized and PO numbers only inside the payer's scope (the temp table m_payer_scope:
    receipt_id -> scope key), since short normalized forms and PO numbers repeat across customers;
    for a payer nobody knows, a normalized reference that names exactly one document of them all.
    Normalized and PO pairs are joined on the number first (few rows) and kept where the scope is the
    payer's: joining on the scope first paired every reference with every document of a large group.
    """
    return f"""
        CREATE OR REPLACE TEMP TABLE m_hit AS
        WITH m_norm_pair AS MATERIALIZED (
            SELECT r.receipt_id, r.ref_key, i.doc_no, i.scope_key
            FROM m_ref r JOIN m_item i ON i.doc_no_norm = r.ref_norm WHERE r.ref_norm <> ''),
        m_po_pair AS MATERIALIZED (
            SELECT r.receipt_id, r.ref_key, i.doc_no, i.scope_key
            FROM m_ref r JOIN m_item i ON i.po_norm = r.ref_norm WHERE i.po_norm <> ''
            UNION
            SELECT r.receipt_id, r.ref_key, i.doc_no, i.scope_key
            FROM m_ref r JOIN m_item i ON i.po_norm = r.po_norm WHERE i.po_norm <> '')
        SELECT r.receipt_id, r.ref_key, i.doc_no, 'exact' AS tier
        FROM m_ref r JOIN m_item i ON i.doc_no = r.ref_upper
        UNION
        SELECT n.receipt_id, n.ref_key, n.doc_no, 'normalized'
        FROM m_norm_pair n JOIN m_payer_scope s ON s.receipt_id = n.receipt_id AND s.scope_key = n.scope_key
        UNION
        SELECT r.receipt_id, r.ref_key, i.doc_no, 'normalized'
        FROM m_ref r JOIN m_payer_scope s ON s.receipt_id = r.receipt_id
        JOIN m_item i ON i.doc_no_norm = r.ref_norm_alt AND i.scope_key = s.scope_key
        WHERE r.ref_norm_alt <> '' AND r.ref_norm_alt <> r.ref_norm
        UNION
        SELECT u.receipt_id, u.ref_key, i.doc_no, 'normalized'
        FROM ({unknown_refs_sql()}) u JOIN m_item i ON i.doc_no_norm = u.ref_norm
        WHERE u.ref_norm IN (SELECT doc_no_norm FROM m_item GROUP BY doc_no_norm HAVING count(*) = 1)
        UNION
        SELECT p.receipt_id, p.ref_key, p.doc_no, 'po'
        FROM m_po_pair p JOIN m_payer_scope s ON s.receipt_id = p.receipt_id AND s.scope_key = p.scope_key"""


def fuzzy_refs_sql() -> str:
    """The fuzzy pass's references, numbered (``ref_idx``), each with its payer's scope: references of
    receipts whose scope is known that no exact, normalized or PO pass found in the payer's scope
    (an exact hit on another customer's document does not stop the search for a near miss of the
    payer's own, which may agree on the amount), or whose hits there do not agree on the amount (a
    mistyped number often lands on another document of the payer: a line whose paid amount closes
    none of its hits; bank text whose documents named in the scope do not add up to the receipt).

    Columns: ref_idx, receipt_id, ref_key, norm, norm_len, scope_key."""
    return f"""
        CREATE OR REPLACE TEMP TABLE m_fuzzy_ref AS
        WITH scoped AS (
            SELECT DISTINCT h.receipt_id, h.ref_key, hi.doc_no, hi.open_cents
            FROM m_hit h JOIN m_item hi ON hi.doc_no = h.doc_no
            JOIN m_payer_scope s ON s.receipt_id = h.receipt_id AND hi.scope_key = s.scope_key),
        text_explained AS (
            SELECT x.receipt_id FROM (SELECT DISTINCT sc.receipt_id, sc.doc_no, sc.open_cents FROM scoped sc
                                      JOIN m_ref r ON r.receipt_id = sc.receipt_id AND r.ref_key = sc.ref_key
                                      WHERE r.source = 'text') x
            JOIN m_pending p ON p.receipt_id = x.receipt_id
            GROUP BY x.receipt_id HAVING sum(x.open_cents) = any_value(p.amount_cents)),
        u AS (
            SELECT r.receipt_id, r.ref_key, CASE WHEN r.ref_norm_alt <> '' THEN r.ref_norm_alt ELSE r.ref_norm END AS norm,
                   s.scope_key
            FROM m_ref r JOIN m_payer_scope s ON s.receipt_id = r.receipt_id
            WHERE r.ref_norm <> '' AND length(r.ref_norm) >= {MIN_TEXT_DIGITS}
              AND (r.source = 'line' OR (r.width = 1 AND length(regexp_replace(r.reference, '[^0-9]', '', 'g')) >= 5))
              AND (NOT EXISTS (SELECT 1 FROM scoped sc WHERE sc.receipt_id = r.receipt_id AND sc.ref_key = r.ref_key)
                   OR (r.source = 'line' AND NOT EXISTS (
                           SELECT 1 FROM scoped sc WHERE sc.receipt_id = r.receipt_id AND sc.ref_key = r.ref_key
                             AND sc.open_cents = r.paid_cents + coalesce(r.discount_cents, 0)
                                                 + coalesce(r.adjustment_cents, 0)))
                   OR (r.source = 'text' AND r.receipt_id NOT IN (SELECT receipt_id FROM text_explained))))
        SELECT CAST(row_number() OVER (ORDER BY receipt_id, ref_key, scope_key) - 1 AS INTEGER) AS ref_idx,
               receipt_id, ref_key, norm, length(norm) AS norm_len, scope_key
        FROM u"""


def fuzzy_docs_sql() -> str:
    """The open documents of the scopes the fuzzy references search, numbered (``doc_idx``).

    Columns: doc_idx, doc_no, doc_no_norm, norm_len, scope_key."""
    return """
        CREATE OR REPLACE TEMP TABLE m_fuzzy_doc AS
        SELECT CAST(row_number() OVER (ORDER BY doc_no) - 1 AS INTEGER) AS doc_idx, doc_no, doc_no_norm,
               length(doc_no_norm) AS norm_len, scope_key
        FROM m_item WHERE open_cents <> 0 AND scope_key IN (SELECT scope_key FROM m_fuzzy_ref)"""


def fuzzy_pair_index_sql() -> str:
    """The fuzzy pass's pairs as numbers, not strings: (ref_idx, doc_idx) of every reference of
    ``m_fuzzy_ref`` against every document of ``m_fuzzy_doc`` of its scope whose normalized length
    is within $max_distance (an edit distance is never below the difference in length)."""
    return """
        SELECT u.ref_idx, i.doc_idx
        FROM m_fuzzy_ref u JOIN m_fuzzy_doc i ON i.scope_key = u.scope_key
        WHERE i.norm_len BETWEEN u.norm_len - $max_distance AND u.norm_len + $max_distance"""


def fuzzy_ref_columns_sql() -> str:
    """(receipt_id, ref_key, norm) of the fuzzy references, by ref_idx."""
    return "SELECT receipt_id, ref_key, norm FROM m_fuzzy_ref ORDER BY ref_idx"


def fuzzy_doc_columns_sql() -> str:
    """(doc_no, doc_no_norm) of the fuzzy pass's documents, by doc_idx."""
    return "SELECT doc_no, doc_no_norm FROM m_fuzzy_doc ORDER BY doc_idx"


def contested_sql() -> str:
    """Documents claimed by exact or normalized references of two or more receipts of the same value
    date for more than is open: (receipt_id, doc_no, the other receipts' ids in order).

    A receipt's claim on a document is the most any of its references naming it pays (the line's
    paid amount, else the whole receipt), and never below nothing. A receipt in another currency
    than the document's claims nothing (its cash never applies there); one whose currency is not
    known yet still does."""
    return """
        WITH claim AS (
            SELECT h.receipt_id, h.doc_no, p.value_date,
                   greatest(0, max(coalesce(r.paid_cents, p.amount_cents))) AS claim
            FROM m_hit h JOIN m_pending p ON p.receipt_id = h.receipt_id
            LEFT JOIN m_ref r ON r.receipt_id = h.receipt_id AND r.ref_key = h.ref_key
            JOIN m_item hi ON hi.doc_no = h.doc_no
            WHERE h.tier IN ('exact', 'normalized') AND (p.currency IS NULL OR p.currency = hi.currency)
            GROUP BY h.receipt_id, h.doc_no, p.value_date),
        contested AS (
            SELECT c.doc_no, c.value_date
            FROM claim c JOIN m_item i ON i.doc_no = c.doc_no
            GROUP BY c.doc_no, c.value_date
            HAVING count(*) >= 2 AND sum(c.claim) > any_value(i.open_cents))
        SELECT c.receipt_id, c.doc_no, list(o.receipt_id ORDER BY o.receipt_id) AS others
        FROM claim c
        JOIN contested k ON k.doc_no = c.doc_no AND k.value_date IS NOT DISTINCT FROM c.value_date
        JOIN claim o ON o.doc_no = c.doc_no AND o.value_date IS NOT DISTINCT FROM c.value_date
                    AND o.receipt_id <> c.receipt_id
        GROUP BY c.receipt_id, c.doc_no
        ORDER BY c.receipt_id, c.doc_no"""


ITEM_COLUMNS = ("doc_no", "doc_type", "customer_no", "doc_date", "amount_cents", "open_cents", "scope_key",
                "primary_no", "discount_pct", "discount_days", "erp_conflict", "currency")


def documents_sql() -> str:
    """The documents the decisions need: every hit, and every open document of the scopes searched by amount."""
    return f"""
        SELECT {', '.join(ITEM_COLUMNS)} FROM m_item
        WHERE doc_no IN (SELECT doc_no FROM m_hit UNION SELECT doc_no FROM m_fuzzy_hit)
           OR (open_cents <> 0 AND scope_key IN (SELECT scope_key FROM m_amount_scope))"""


def allocations_sql() -> str:
    """One row per allocation: live ledger entries of receipts and the suggestions waiting for a clerk."""
    live = live_entries_sql()
    return f"""
        SELECT r.payment_ref, CASE WHEN e.kind = 'document' THEN e.doc_no END AS doc_no,
               CASE WHEN e.kind = 'unidentified' THEN NULL ELSE e.customer_no END AS customer_no,
               e.amount, e.discount, e.write_off,
               CASE e.kind WHEN 'document' THEN 'applied' ELSE e.kind END AS status,
               e.rule, e.score, e.deduction, e.reason_code, e.receipt_id, r.value_date, e.entry_id,
               CAST(NULL AS BIGINT) AS proposal_id, e.created_by, e.created_at
        FROM ({live}) e JOIN receipt r ON r.receipt_id = e.receipt_id
        WHERE e.kind IN ('document', 'on_account', 'unidentified')
        UNION ALL
        SELECT r.payment_ref, p.doc_no, p.customer_no, p.amount, p.discount, p.write_off, 'suggested', p.rule, p.score,
               p.deduction, p.reason_code, p.receipt_id, r.value_date, NULL, p.proposal_id, p.created_by, p.created_at
        FROM ({proposal_now_sql()}) p JOIN receipt r ON r.receipt_id = p.receipt_id
        WHERE p.status_now = 'suggested'
        ORDER BY receipt_id, status, doc_no NULLS LAST, entry_id NULLS LAST, proposal_id NULLS LAST"""


ALLOCATION_COLUMNS = ("payment_ref", "doc_no", "customer_no", "amount", "discount", "write_off", "status", "rule",
                      "score", "deduction", "reason_code", "receipt_id", "value_date", "entry_id", "proposal_id",
                      "created_by", "created_at")


def candidates_sql() -> str:
    """Every document of $scope_key with open_now and its own customer, for a clerk choosing by hand."""
    return f"""
        SELECT oi.doc_no, oi.doc_type, oi.customer_no, c.name AS customer_name, oi.doc_date, oi.due_date,
               oi.amount, oi.open_now, oi.po_number
        FROM ({open_items_now_sql("oi.status = 'open'")}) oi
        LEFT JOIN customer c ON c.customer_no = oi.customer_no
        WHERE oi.open_now <> 0 AND list_contains($customers, oi.customer_no)
        ORDER BY oi.doc_date, oi.doc_no"""


def settled_by_sql() -> str:
    """For each document in $docs, the receipt whose live ledger entry settled it last (and its reference)."""
    return f"""
        SELECT e.doc_no, arg_max(e.receipt_id, e.entry_id) AS receipt_id
        FROM ({live_entries_sql()}) e
        WHERE e.kind = 'document' AND e.receipt_id IS NOT NULL AND e.doc_no IN (SELECT unnest($docs))
        GROUP BY e.doc_no"""


NOTICE_COLUMNS = ("notice_id", "run_id", "receipt_id", "payment_ref", "value_date", "amount", "kind", "doc_no",
                  "earlier_receipt_id", "earlier_payment_ref", "detail", "created_at", "created_by")


def notices_sql() -> str:
    """Match notices (possible duplicates) with both receipts' references, newest first."""
    return """
        SELECT n.notice_id, n.run_id, n.receipt_id, r.payment_ref, r.value_date, r.amount, n.kind, n.doc_no,
               n.earlier_receipt_id, e.payment_ref AS earlier_payment_ref, n.detail, n.created_at, n.created_by
        FROM match_notice n JOIN receipt r ON r.receipt_id = n.receipt_id
        LEFT JOIN receipt e ON e.receipt_id = n.earlier_receipt_id"""


def payment_refs_sql() -> str:
    """(receipt_id, payment_ref) of the receipts in $ids."""
    return "SELECT receipt_id, payment_ref FROM receipt WHERE receipt_id IN (SELECT unnest($ids))"


def run_open_cents_sql() -> str:
    """(doc_no, open_cents, amount_cents) of the run's documents as the run read them (``m_item``), for the
    ledger's limit checks: the same snapshot, without a second pass over the whole ledger."""
    return "SELECT doc_no, open_cents, CAST(NULL AS BIGINT) AS amount_cents FROM m_item"


def insert_proposals_sql(source: str, columns: Sequence[str]) -> str:
    """A run's proposals from the registered Arrow table ``source`` (names from code), with $run_id, $now, $user."""
    return (f"INSERT INTO proposal ({', '.join(columns)}, run_id, created_at, created_by) "
            f"SELECT {', '.join(columns)}, $run_id, $now, $user FROM {source}")


def insert_traces_sql(source: str) -> str:
    """A run's explain traces from the registered Arrow table ``source``, with $run_id."""
    return (f"INSERT INTO match_trace SELECT $run_id, receipt_id, payer_customer_no, payer_method, status, trace "
            f"FROM {source}")


def set_payers_from_sql(source: str) -> str:
    """The payer a run identified, kept on the receipt (``source`` holds receipt_id, payer_customer_no).

    A receipt whose files state no currency and whose payer the import could not name (a payer
    found only in bank text, by a fuzzy name) takes its payer's currency from the master now."""
    return (f"UPDATE receipt r SET payer_customer_no = t.payer_customer_no, "
            "currency = coalesce(r.currency, (SELECT c.currency FROM customer c WHERE c.customer_no = t.payer_customer_no)) "
            f"FROM {source} t "
            "WHERE t.receipt_id = r.receipt_id AND t.payer_customer_no IS NOT NULL "
            "AND (r.payer_customer_no IS DISTINCT FROM t.payer_customer_no OR r.currency IS NULL)")


def temp_table_from_sql(name: str, source: str) -> str:
    """A temp table of the run (``name``, from code) as a copy of the registered Arrow table ``source``."""
    return f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {source}"


# -- a run's bookkeeping and reading back its temp tables ---------------------------------------------
def next_run_id_sql() -> str:
    return "SELECT nextval('match_run_seq')"


def insert_run_sql() -> str:
    """A match run begins: run_id, started_at, run_by."""
    return "INSERT INTO match_run (run_id, started_at, run_by) VALUES (?, ?, ?)"


def finish_run_sql() -> str:
    """A match run ends: finished_at, receipts, counts (JSON), for run_id."""
    return "UPDATE match_run SET finished_at = ?, receipts = ?, counts = ? WHERE run_id = ?"


def pending_count_sql() -> str:
    return "SELECT count(*) FROM m_pending"


def pending_columns_sql() -> str:
    """What the decisions need of each pending receipt, amounts in cents."""
    return ("SELECT receipt_id, payment_ref, value_date, amount_cents, payer_name, payer_account, bank_text, has_lines, "
            "currency, account_currency FROM m_pending")


def customer_currencies_sql() -> str:
    """(customer_no, currency) of every customer: whose account may hold which receipt's cash."""
    return "SELECT customer_no, currency FROM m_scope"


def all_scope_rows_sql() -> str:
    """Every customer's scope row (customer_no, name, customer_type, scope_key, primary_no): the name pass's last resort."""
    return "SELECT customer_no, name, customer_type, scope_key, primary_no FROM m_scope"


def hit_columns_sql() -> str:
    """The reference hits of the exact, normalized and PO passes as the run reads them."""
    return "SELECT receipt_id, ref_key, doc_no, tier FROM m_hit"


def ref_columns_sql() -> str:
    """Every pending receipt's references (rules.Ref's fields after receipt_id), in reference order."""
    return ("SELECT receipt_id, ref_key, source, reference, paid_cents, gross_cents, discount_cents, adjustment_cents, "
            "reason_code, ref_type FROM m_ref ORDER BY receipt_id, ref_key")


def book_sql() -> str:
    """(scope_key, doc_no, customer_no, open_cents) of the open documents of the scopes searched by amount
    (``m_amount_scope``), in the order of ``rules.OpenBook``: scope, customer, date, number."""
    return """
        SELECT scope_key, doc_no, customer_no, open_cents FROM m_item
        WHERE open_cents <> 0 AND scope_key IN (SELECT scope_key FROM m_amount_scope)
        ORDER BY scope_key, customer_no, doc_date, doc_no"""


def rejected_pending_sql() -> str:
    """(receipt_id, doc_no) that a clerk rejected for the pending receipts."""
    return f"""
        SELECT receipt_id, doc_no FROM ({proposal_now_sql()})
        WHERE status_now = 'rejected' AND doc_no IS NOT NULL AND receipt_id IN (SELECT receipt_id FROM m_pending)"""


def next_id_sql(sequence: str) -> str:
    """The next value of ``sequence`` (a name from code)."""
    return f"SELECT nextval('{sequence}')"


def reserve_ids_sql(sequence: str, count: int) -> str:
    """Take ``count`` more values of ``sequence`` in one round trip (names and count from code), so that a
    run's rows get consecutive ids after the one ``next_id_sql`` gave."""
    return f"SELECT max(nextval('{sequence}')) FROM range({int(count)})"


def insert_notices_sql(source: str) -> str:
    """A run's notices from the registered Arrow table ``source``, ids included."""
    return (f"INSERT INTO match_notice SELECT notice_id, run_id, receipt_id, kind, doc_no, earlier_receipt_id, detail, "
            f"created_at, created_by FROM {source}")


def update_pending_status_sql() -> str:
    """``update_receipt_status_sql`` for the run's receipts (``m_pending``), without a list of ids."""
    return f"""
        UPDATE receipt r SET status = s.status
        FROM ({receipt_status_sql()}) s
        WHERE s.receipt_id = r.receipt_id AND r.receipt_id IN (SELECT receipt_id FROM m_pending)
          AND r.status IS DISTINCT FROM s.status"""


def payers_of_sql() -> str:
    """(receipt_id, payer_name, payer_account) of the receipts in $ids, by id."""
    return ("SELECT receipt_id, payer_name, payer_account FROM receipt WHERE receipt_id IN (SELECT unnest($ids)) "
            "ORDER BY receipt_id")


def missing_keys_sql() -> str:
    return "SELECT payer_key FROM missing_customer"


def missing_count_sql() -> str:
    return "SELECT count(*) FROM missing_customer"


def insert_missing_customer_sql() -> str:
    """payer_key, proposed_customer_no, payer_name, payer_account, first_receipt_id, created_at, created_by."""
    return "INSERT INTO missing_customer VALUES (?, ?, ?, ?, ?, ?, ?)"


def missing_customers_sql() -> str:
    return "SELECT * FROM missing_customer ORDER BY proposed_customer_no"


def status_counts_sql() -> str:
    return f"SELECT status, count(*) FROM ({receipt_status_sql()}) GROUP BY status"


def notices_newest_first_sql() -> str:
    return f"SELECT * FROM ({notices_sql()}) ORDER BY notice_id DESC"


PROPOSAL_COLUMNS = ("proposal_id", "run_id", "receipt_id", "kind", "doc_no", "customer_no", "amount", "discount",
                    "write_off", "deduction", "reason_code", "rule", "score", "evidence", "status_now", "entry_ids_now")


def proposals_sql(*, by_ids: bool, by_receipt: bool, by_status: bool) -> str:
    """Proposals with their current status, filtered by $ids, $rid and $status as asked, by id."""
    conditions = [c for c, on in (("list_contains($ids, proposal_id)", by_ids), ("receipt_id = $rid", by_receipt),
                                  ("status_now = $status", by_status)) if on]
    return (f"SELECT {', '.join(PROPOSAL_COLUMNS)} FROM ({proposal_now_sql()}) "
            f"WHERE {' AND '.join(conditions) or 'true'} ORDER BY proposal_id")


def receipt_exists_sql() -> str:
    return "SELECT 1 FROM receipt WHERE receipt_id = ?"


def traces_of_sql() -> str:
    """(run_id, trace) of one receipt (?), oldest run first."""
    return "SELECT run_id, trace FROM match_trace WHERE receipt_id = ? ORDER BY run_id"


def payer_of_sql() -> str:
    return "SELECT payer_customer_no FROM receipt WHERE receipt_id = ?"


def scope_customers_sql() -> str:
    """The customers of $c's current group, and $c itself."""
    return ("WITH g AS (SELECT group_id FROM group_member WHERE valid_to IS NULL AND customer_no = $c) "
            "SELECT customer_no FROM group_member WHERE valid_to IS NULL AND group_id IN (SELECT group_id FROM g) "
            "UNION SELECT $c")
