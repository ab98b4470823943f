"""SQL of the postings export: ledger entries and deduction resolutions not yet sent to the ERP."""

from __future__ import annotations

POSTABLE_COLUMNS = ("entry_id", "receipt_id", "kind", "doc_no", "customer_no", "source_doc_no", "source_customer_no",
                    "amount", "discount", "write_off", "deduction", "reason_code", "reverses", "created_at",
                    "payment_ref", "value_date", "currency", "reverses_journal")


_UNPOSTED_ENTRIES = """
        SELECT e.entry_id, e.receipt_id, e.kind, e.doc_no, coalesce(e.customer_no, d.customer_no) AS customer_no,
               e.source_doc_no, s.customer_no AS source_customer_no, e.amount, e.discount, e.write_off,
               e.deduction, e.reason_code, e.reverses, e.created_at, r.payment_ref, r.value_date,
               coalesce(r.currency, d.currency, s.currency) AS currency, nullif(op.journal_no, '') AS reverses_journal
        FROM allocation_entry e
        LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
        LEFT JOIN open_item d ON d.doc_no = e.doc_no
        LEFT JOIN open_item s ON s.doc_no = e.source_doc_no
        LEFT JOIN posted_entry op ON op.entry_id = e.reverses
        WHERE NOT EXISTS (SELECT 1 FROM posted_entry p WHERE p.entry_id = e.entry_id)"""


def unposted_entries_sql() -> str:
    """Every allocation entry no export carried yet, with what a journal line needs.

    ``reverses_journal`` is the journal that carried the entry this one reverses: such a reversal
    gets a reversing journal of its own; a reversal of an entry not yet exported nets out with it.
    """
    return _UNPOSTED_ENTRIES + "\n        ORDER BY e.entry_id"


EVENT_COLUMNS = ("event_id", "entry_id", "action", "amount", "new_doc_no", "created_at", "doc_no", "customer_no",
                 "reason_code", "payment_ref", "currency")

_UNPOSTED_EVENTS = """
        SELECT v.event_id, v.entry_id, v.action, v.amount, v.new_doc_no, v.created_at, e.doc_no,
               coalesce(e.customer_no, d.customer_no) AS customer_no, e.reason_code, r.payment_ref,
               coalesce(r.currency, d.currency) AS currency
        FROM deduction_event v
        JOIN allocation_entry e ON e.entry_id = v.entry_id
        LEFT JOIN open_item d ON d.doc_no = e.doc_no
        LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
        WHERE v.action IN ('write_off', 'rebill')
          AND NOT EXISTS (SELECT 1 FROM posted_deduction_event p WHERE p.event_id = v.event_id)"""


def unposted_deduction_events_sql() -> str:
    """Deduction write-offs and re-bills no export carried yet (a reinstatement is a ledger entry)."""
    return _UNPOSTED_EVENTS + "\n        ORDER BY v.event_id"


# -- building the journals set-wise, in temp tables of the export's transaction -------------------------
# pj_entry: the unposted entries, each with its journal group ``grp`` (the group's first entry id): one
#   group per receipt, per credit memo (no receipt), and apart from them the reversals of entries that an
#   earlier export carried (a reversing journal of their own).
# pj_event: the unposted deduction resolutions, one journal each, after the entries' journals.
# pj_net: every line of every journal, netted per account, customer, document and text (``src`` 0 for
#   entry groups, 1 for events; ``first`` orders lines as they arose: entry id, then place in the entry).
# pj_journal: the journals, numbered on from the last exported one; pj_line: their numbered lines.
POSTING_TEMP_TABLES = ("pj_entry", "pj_event", "pj_net", "pj_journal", "pj_line")
ENTRY_KINDS = ("document", "on_account", "unidentified", "credit", "refund")


def stage_entries_sql() -> str:
    """pj_entry: what ``unposted_entries_sql`` reads, with each entry's group. Read in one pass: the open
    items (a day's million and a half) are scanned once for the documents the entries name, and the
    groups are one aggregate joined back (a window over every entry took longer)."""
    return """
        CREATE OR REPLACE TEMP TABLE pj_entry AS
        WITH todo AS MATERIALIZED (
            SELECT * FROM allocation_entry a
            WHERE NOT EXISTS (SELECT 1 FROM posted_entry p WHERE p.entry_id = a.entry_id)),
        docs AS MATERIALIZED (
            SELECT doc_no, customer_no, currency FROM open_item
            WHERE doc_no IN (SELECT doc_no FROM todo UNION ALL SELECT source_doc_no FROM todo)),
        keyed AS (
            SELECT e.entry_id, e.receipt_id, e.kind, e.doc_no, coalesce(e.customer_no, d.customer_no) AS customer_no,
                   e.source_doc_no, s.customer_no AS source_customer_no, e.amount, e.discount, e.write_off,
                   e.deduction, e.reason_code, e.reverses, e.created_at, r.payment_ref, r.value_date,
                   coalesce(r.currency, d.currency, s.currency) AS currency,
                   nullif(op.journal_no, '') AS reverses_journal, nullif(op.journal_no, '') IS NOT NULL AS reversing,
                   e.receipt_id IS NULL AS no_receipt, CASE WHEN e.receipt_id IS NULL THEN e.source_doc_no END AS memo
            FROM todo e
            LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
            LEFT JOIN docs d ON d.doc_no = e.doc_no
            LEFT JOIN docs s ON s.doc_no = e.source_doc_no
            LEFT JOIN posted_entry op ON op.entry_id = e.reverses),
        groups AS (
            SELECT reversing, no_receipt, receipt_id, memo, min(entry_id) AS grp
            FROM keyed GROUP BY reversing, no_receipt, receipt_id, memo)
        SELECT k.* EXCLUDE (no_receipt, memo), g.grp
        FROM keyed k JOIN groups g
          ON g.reversing = k.reversing AND g.no_receipt = k.no_receipt
         AND g.receipt_id IS NOT DISTINCT FROM k.receipt_id AND g.memo IS NOT DISTINCT FROM k.memo"""


def stage_events_sql() -> str:
    return f"CREATE OR REPLACE TEMP TABLE pj_event AS {_UNPOSTED_EVENTS}"


def unknown_kind_sql() -> str:
    """The first entry (in journal order) of a kind no journal knows: none while the ledger checks kinds."""
    kinds = ", ".join(f"'{k}'" for k in ENTRY_KINDS)
    return f"SELECT entry_id, kind FROM pj_entry WHERE kind NOT IN ({kinds}) ORDER BY grp, entry_id LIMIT 1"


def staged_counts_sql() -> str:
    """(entries, events) staged."""
    return "SELECT (SELECT count(*) FROM pj_entry), (SELECT count(*) FROM pj_event)"


def stage_net_lines_sql() -> str:
    """Each entry's signed amounts (debit positive; they add up to zero), netted per journal and key.

    Parameters: the accounts ($bank, $receivables, $discount_expense, $write_off, $deductions,
    $on_account, $suspense, $refunds). Texts as the ERP has always read them (a missing number reads None).
    """
    return """
        CREATE OR REPLACE TEMP TABLE pj_net AS
        WITH e AS (
            SELECT *, coalesce(nullif(payment_ref, ''), 'receipt #' || receipt_id, '') AS ref,
                   coalesce(doc_no, 'None') AS doc_text, coalesce(source_doc_no, 'None') AS src_text,
                   amount + discount + write_off + deduction AS settled,
                   coalesce(' (' || nullif(reason_code, '') || ')', '') AS reason
            FROM pj_entry),
        v AS (
            SELECT *, 'Deduction' || coalesce(' (' || nullif(reason_code, '') || ')', '') || ' on '
                      || coalesce(doc_no, 'None') AS label
            FROM pj_event),
        signed (src, grp, ord, account, customer_no, doc_no, text, value) AS (
            SELECT 0, grp, entry_id * 8 + 1, $bank, NULL::VARCHAR, NULL::VARCHAR, 'Receipt ' || ref,
                   CAST(amount AS DECIMAL(38, 2))
            FROM e WHERE kind IN ('document', 'on_account', 'unidentified')
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 2, $receivables, customer_no, doc_no,
                   'Payment ' || ref || ' on ' || doc_text, -settled
            FROM e WHERE kind = 'document'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 3, $discount_expense, customer_no, doc_no,
                   'Discount taken on ' || doc_text, discount
            FROM e WHERE kind = 'document'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 4, $write_off, customer_no, doc_no, 'Write-off on ' || doc_text, write_off
            FROM e WHERE kind = 'document'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 5, $deductions, customer_no, doc_no,
                   'Deduction' || reason || ' on ' || doc_text, deduction
            FROM e WHERE kind = 'document'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 2, $on_account, customer_no, NULL,
                   'Unapplied cash ' || ref || ' on account', -amount
            FROM e WHERE kind = 'on_account'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 2, $suspense, NULL, NULL, 'Unidentified cash ' || ref || ' in suspense', -amount
            FROM e WHERE kind = 'unidentified'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 1, $receivables, source_customer_no, source_doc_no,
                   'Credit ' || src_text || ' applied to ' || doc_text, amount
            FROM e WHERE kind = 'credit'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 2, $receivables, customer_no, doc_no,
                   'Credit ' || src_text || ' applied to ' || doc_text, -amount
            FROM e WHERE kind = 'credit'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 1, $receivables, source_customer_no, source_doc_no,
                   'Refund of credit ' || src_text, amount
            FROM e WHERE kind = 'refund'
            UNION ALL
            SELECT 0, grp, entry_id * 8 + 2, $refunds, source_customer_no, source_doc_no,
                   'Refund of credit ' || src_text, -amount
            FROM e WHERE kind = 'refund'
            UNION ALL
            SELECT 1, event_id, 1, $write_off, customer_no, doc_no, label || ' written off', amount
            FROM v WHERE action = 'write_off'
            UNION ALL
            SELECT 1, event_id, 1, $receivables, customer_no, new_doc_no,
                   label || ' re-billed as ' || coalesce(new_doc_no, 'None'), amount
            FROM v WHERE action = 'rebill'
            UNION ALL
            SELECT 1, event_id, 2, $deductions, customer_no, doc_no,
                   label || CASE WHEN action = 'write_off' THEN ' written off'
                                 ELSE ' re-billed as ' || coalesce(new_doc_no, 'None') END, -amount
            FROM v)
        SELECT src, grp, account, customer_no, doc_no, text, sum(value) AS net, min(ord) AS first
        FROM signed
        GROUP BY src, grp, account, customer_no, doc_no, text
        HAVING sum(value) <> 0"""


def unbalanced_staged_sql() -> str:
    """How many staged journals would not balance: none while every entry balances on its own."""
    return "SELECT count(*) FROM (SELECT src, grp FROM pj_net GROUP BY src, grp HAVING sum(net) <> 0)"


def stage_journals_sql() -> str:
    """The journals in order, numbered from $last_seq on as $prefix and $digits digits (more when it outgrows
    them; $below = 10 ** digits): the entry groups with any line left after netting, then one per event.

    A receipt's journal is dated by the receipt's value date; any other by its latest entry. Its
    reference, receipt, credit memo and currency are those of its first entry ($currency when none).
    """
    return """
        CREATE OR REPLACE TEMP TABLE pj_journal AS
        WITH groups AS (
            SELECT grp, bool_or(reversing) AS reversing, max(created_at) AS last_at FROM pj_entry GROUP BY grp),
        prefixes AS (  -- a reversing journal names the journals it reverses
            SELECT grp, 'Reversal of ' || string_agg(reverses_journal, ', ' ORDER BY reverses_journal) || ': ' AS prefix
            FROM (SELECT DISTINCT grp, reverses_journal FROM pj_entry WHERE reversing) GROUP BY grp),
        kept AS (SELECT DISTINCT grp FROM pj_net WHERE src = 0),  -- a group netted to nothing has no journal
        heads AS (
            SELECT 0 AS src, g.grp,
                   CASE WHEN g.reversing THEN 'reversal' WHEN f.receipt_id IS NOT NULL THEN 'receipt' ELSE 'credit' END
                       AS journal_type,
                   CASE WHEN NOT g.reversing AND f.receipt_id IS NOT NULL AND f.value_date IS NOT NULL
                        THEN f.value_date ELSE CAST(g.last_at AS DATE) END AS posting_date,
                   f.receipt_id, f.payment_ref, CASE WHEN f.receipt_id IS NULL THEN f.source_doc_no END AS source_doc_no,
                   coalesce(nullif(f.currency, ''), $currency) AS currency, coalesce(p.prefix, '') AS prefix
            FROM groups g JOIN kept k ON k.grp = g.grp JOIN pj_entry f ON f.entry_id = g.grp
            LEFT JOIN prefixes p ON p.grp = g.grp
            UNION ALL
            SELECT 1, event_id, 'deduction', CAST(created_at AS DATE), NULL, payment_ref, doc_no,
                   coalesce(nullif(currency, ''), $currency), ''
            FROM pj_event),
        numbered AS (SELECT *, $last_seq + row_number() OVER (ORDER BY src, grp) AS seq FROM heads)
        SELECT *, $prefix || CASE WHEN seq < $below THEN lpad(CAST(seq AS VARCHAR), $digits, '0')
                                  ELSE CAST(seq AS VARCHAR) END AS journal_no
        FROM numbered"""


def stage_lines_sql() -> str:
    """The journals' lines: debits first, then credits, each in the order they arose."""
    return """
        CREATE OR REPLACE TEMP TABLE pj_line AS
        SELECT j.seq, j.journal_no,
               CAST(row_number() OVER (PARTITION BY j.seq ORDER BY n.net < 0, n.first) AS INTEGER) AS line_no,
               n.account, n.customer_no, n.doc_no,
               CAST(CASE WHEN n.net > 0 THEN n.net ELSE 0 END AS DECIMAL(18, 2)) AS debit,
               CAST(CASE WHEN n.net < 0 THEN -n.net ELSE 0 END AS DECIMAL(18, 2)) AS credit,
               j.prefix || n.text AS description
        FROM pj_net n JOIN pj_journal j ON j.src = n.src AND j.grp = n.grp"""


def staged_summary_sql() -> str:
    """(journals, first and last journal number, lines, total debited) of the staged export."""
    return """
        SELECT (SELECT count(*) FROM pj_journal), (SELECT min_by(journal_no, seq) FROM pj_journal),
               (SELECT max_by(journal_no, seq) FROM pj_journal), (SELECT count(*) FROM pj_line),
               (SELECT coalesce(sum(debit), 0) FROM pj_line)"""


def record_journals_sql() -> str:
    """posting_journal from the staged journals for $export_id (total: the sum of debits, 0 for none)."""
    return """
        INSERT INTO posting_journal
        SELECT j.journal_no, j.seq, $export_id, j.journal_type, j.receipt_id, j.source_doc_no, j.posting_date,
               coalesce(t.total, 0)
        FROM pj_journal j LEFT JOIN (SELECT seq, sum(debit) AS total FROM pj_line GROUP BY seq) t ON t.seq = j.seq
        ORDER BY j.seq"""


def record_lines_sql() -> str:
    return """
        INSERT INTO posting_line
        SELECT journal_no, line_no, account, customer_no, doc_no, debit, credit, description
        FROM pj_line ORDER BY seq, line_no"""


def record_posted_entries_sql() -> str:
    """Every staged entry carried by $export_id: in its group's journal, or netted ('') when none was left."""
    return """
        INSERT INTO posted_entry
        SELECT e.entry_id, $export_id, coalesce(j.journal_no, '')
        FROM pj_entry e LEFT JOIN pj_journal j ON j.src = 0 AND j.grp = e.grp
        ORDER BY j.seq, e.entry_id"""


def record_posted_events_sql() -> str:
    return """
        INSERT INTO posted_deduction_event
        SELECT j.grp, $export_id, j.journal_no FROM pj_journal j WHERE j.src = 1 ORDER BY j.seq"""


def netted_count_sql() -> str:
    """Staged entries that cancelled out with their reversal: no journal carries them."""
    return "SELECT count(*) FROM pj_entry e WHERE NOT EXISTS (SELECT 1 FROM pj_journal j WHERE j.src = 0 AND j.grp = e.grp)"


def _csv_cell(expr: str) -> str:
    """A CSV cell as Python's csv module writes it (QUOTE_MINIMAL, lines ending in a newline): quoted when it
    holds a comma, a quote or a newline (not a carriage return), quotes doubled; NULL is empty."""
    return (f"CASE WHEN {expr} IS NULL THEN '' "
            f"WHEN contains({expr}, ',') OR contains({expr}, '\"') OR contains({expr}, chr(10)) "
            f"THEN '\"' || replace({expr}, '\"', '\"\"') || '\"' ELSE {expr} END")


_CSV_COLUMNS = (("journal_no", True), ("line_no", False), ("payment_ref", True), ("posting_date", False),
                ("account", True), ("customer_no", True), ("doc_no", True), ("debit", False), ("credit", False),
                ("currency", True), ("description", True), ("journal_type", True))  # EXPORT_COLUMNS: text or not


def staged_csv_sql() -> str:
    """The staged lines as the body of the postings CSV (EXPORT_COLUMNS), one line each without the last newline.

    A line whose cells hold no comma (it has exactly its 11 separators), no quote and no newline needs no
    quoting and is the cells joined; any other is quoted cell by cell (``_csv_cell``)."""
    plain = "concat(" + ", ',', ".join(f"x.{c}" for c, _ in _CSV_COLUMNS) + ")"
    quoted = " || ',' || ".join(_csv_cell(f"x.{c}") if text else f"CAST(x.{c} AS VARCHAR)" for c, text in _CSV_COLUMNS)
    return f"""
        SELECT string_agg(CASE WHEN strlen(plain) - strlen(replace(plain, ',', '')) = {len(_CSV_COLUMNS) - 1}
                                    AND NOT contains(plain, '"') AND NOT contains(plain, chr(10))
                               THEN plain ELSE {quoted} END, chr(10) ORDER BY x.seq, x.line_no)
        FROM (SELECT *, {plain} AS plain
              FROM (SELECT l.seq, l.line_no, j.journal_no, j.payment_ref, j.posting_date, l.account, l.customer_no,
                           l.doc_no, l.debit, l.credit, j.currency, l.description, j.journal_type
                    FROM pj_line l JOIN pj_journal j ON j.seq = l.seq) x) x"""


def staged_rows_sql() -> str:
    """The staged lines as the postings file's rows (EXPORT_COLUMNS), typed, for a spreadsheet."""
    return """
        SELECT j.journal_no, l.line_no, j.payment_ref, j.posting_date, l.account, l.customer_no, l.doc_no,
               l.debit, l.credit, j.currency, l.description, j.journal_type
        FROM pj_line l JOIN pj_journal j ON j.seq = l.seq
        ORDER BY l.seq, l.line_no"""


def drop_staged_sql(table: str) -> str:
    """Free a staging table (a name from POSTING_TEMP_TABLES) once the export is recorded."""
    return f"DROP TABLE IF EXISTS {table}"


LINE_COLUMNS = ("journal_no", "line_no", "payment_ref", "date", "account", "customer_no", "doc_no", "debit", "credit",
                "currency", "description", "journal_type", "export_id")


def journal_lines_sql(where: str = "true") -> str:
    """Lines of exported journals as they were written, e.g. for ``$export_id``."""
    return f"""
        SELECT l.journal_no, l.line_no, r.payment_ref, j.posting_date AS date, l.account, l.customer_no, l.doc_no,
               l.debit, l.credit, coalesce(r.currency, '') AS currency, l.description, j.journal_type, j.export_id
        FROM posting_line l JOIN posting_journal j ON j.journal_no = l.journal_no
        LEFT JOIN receipt r ON r.receipt_id = j.receipt_id
        WHERE {where}
        ORDER BY j.seq, l.line_no"""


def unbalanced_journals_sql() -> str:
    """Journals whose debits and credits differ: none, ever."""
    return """
        SELECT journal_no, sum(debit) AS debit, sum(credit) AS credit FROM posting_line
        GROUP BY journal_no HAVING sum(debit) <> sum(credit)"""


# -- recording an export ---------------------------------------------------------------------------------
def next_export_id_sql() -> str:
    return "SELECT nextval('posting_export_seq')"


def last_journal_seq_sql() -> str:
    """The number of the last journal ever exported (0 before the first)."""
    return "SELECT coalesce(max(seq), 0) FROM posting_journal"


def insert_export_sql() -> str:
    """export_id, exported_at, exported_by, file_name, journals."""
    return "INSERT INTO posting_export VALUES (?, ?, ?, ?, ?)"
