"""SQL for remittance imports: keys, duplicate detection, link candidates, receipt merging and reads.

Every builder returns a statement whose values are bound (``$import_id``, ``$days``...);
identifiers and constants come from code only. One command's files are written together: the
batch's import ids are in the temp table ``batch_import``, and every step runs once over them all.
Temp tables used across statements: ``staged_source``/``staged_line`` (the parsed files), ``open_advice``/``open_bank``, ``advice_term``/
``bank_term``/``advice_probe`` and ``candidate_pair`` (link candidates), ``link`` (the decided links),
``assign`` and ``merged``.
"""

from __future__ import annotations

from cashbook.linking import MIN_SQUASHED_TEXT_REF, MIN_TEXT_REF, USELESS_REFS
from cashbook.normalize import normalize_ref_sql

SOURCE_FIELDS = ("kind", "format", "file_name", "location", "payment_ref", "value_date", "amount", "currency",
                 "payer_name", "payer_account", "payer_id", "bank_ref", "bank_text", "account", "line_count")
LINE_FIELDS = ("reference", "paid_amount", "gross_amount", "discount", "adjustment", "reason_code",
               "adjustment_text", "doc_date", "ref_type", "po_number", "customer_ref")
BATCH = "(SELECT import_id FROM batch_import)"  # this command's import ids (batch_import_sql)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def squash_sql(expr: str) -> str:
    return f"regexp_replace(upper(coalesce({expr}, '')), '[^A-Z0-9]', '', 'g')"


def ref_key_sql(expr: str) -> str:
    """SQL of linking.payment_ref_key: '' for a missing or useless reference."""
    useless = ", ".join(_q(r) for r in sorted(USELESS_REFS))
    squashed = squash_sql(expr)
    return f"(CASE WHEN {squashed} IN ({useless}) OR ltrim({squashed}, '0') = '' THEN '' ELSE {squashed} END)"


def tokens_sql(expr: str) -> str:
    """SQL of linking.text_tokens: ' WORD WORD '."""
    return f"(' ' || trim(regexp_replace(upper(coalesce({expr}, '')), '[^A-Z0-9]+', ' ', 'g')) || ' ')"


def settings_sql() -> str:
    """The settings kept in the workspace, as (key, value)."""
    return "SELECT key, value FROM setting"


def batch_import_sql() -> str:
    """The temp table of this command's import ids ($ids), which every later step reads."""
    return "CREATE OR REPLACE TEMP TABLE batch_import AS SELECT unnest($ids::INTEGER[]) AS import_id"


def max_source_id_sql() -> str:
    return "SELECT coalesce(max(source_id), 0) FROM payment_source"


def max_receipt_id_sql() -> str:
    return "SELECT coalesce(max(receipt_id), 0) FROM receipt"


def insert_sources_sql() -> str:
    """Staged payments of every file into payment_source, numbered after the existing ones, keys computed.

    ``row`` numbers the batch's payments, ``seq`` a payment's place in its own file."""
    return f"""
        INSERT INTO payment_source
        SELECT $base + s.row, s.import_id, s.seq, {', '.join('s.' + f for f in SOURCE_FIELDS)},
               {ref_key_sql('s.payment_ref')}, {squash_sql('s.bank_ref')}, {tokens_sql('s.bank_text')},
               {squash_sql('s.payer_account')}, {squash_sql('s.payer_id')}, NULL, NULL
        FROM staged_source s"""


def insert_source_lines_sql() -> str:
    return f"""
        INSERT INTO payment_source_line
        SELECT $base + l.row, l.line_no, {', '.join('l.' + f for f in LINE_FIELDS)} FROM staged_line l"""


def mark_duplicates_sql() -> str:
    """A new payment already imported from another file (camt.053 and camt.054 of one entry) is a duplicate.

    Same kind, amount, value date and company account, and the same bank reference or the same
    useful payment reference. The duplicate joins the original's receipt and adds nothing to it (an
    original from an earlier file of the same command: once that has one, repeat_receipts_sql).
    """
    return """
        UPDATE payment_source n SET duplicate_of = d.original, receipt_id = d.receipt_id
        FROM (
            SELECT n.source_id, arg_min(e.source_id, e.source_id) AS original, arg_min(e.receipt_id, e.source_id) AS receipt_id
            FROM payment_source n JOIN payment_source e
              ON e.kind = n.kind AND e.amount = n.amount AND e.value_date IS NOT DISTINCT FROM n.value_date
             AND e.account IS NOT DISTINCT FROM n.account
            WHERE n.import_id IN (SELECT import_id FROM batch_import) AND e.import_id < n.import_id AND e.duplicate_of IS NULL
              AND ((n.bank_ref_key <> '' AND n.bank_ref_key = e.bank_ref_key) OR (n.ref_key <> '' AND n.ref_key = e.ref_key))
            GROUP BY n.source_id
        ) d
        WHERE n.source_id = d.source_id"""


def mark_repeats_in_file_sql() -> str:
    """A bank entry the file lists again, identical in what identifies it, is one entry: the later
    copies become duplicates of the first (a bank's export run twice into one file, issue 15).

    Identical means the same bank reference (never empty), amount, value date, currency, company
    account, payer account and payment reference; two payments that share only a reference stay two.
    """
    return """
        UPDATE payment_source n SET duplicate_of = d.original
        FROM (
            SELECT n.source_id, min(e.source_id) AS original
            FROM payment_source n JOIN payment_source e
              ON e.import_id = n.import_id AND e.source_id < n.source_id AND e.kind = 'bank'
             AND e.bank_ref_key = n.bank_ref_key AND e.amount = n.amount
             AND e.value_date IS NOT DISTINCT FROM n.value_date AND e.currency IS NOT DISTINCT FROM n.currency
             AND e.account IS NOT DISTINCT FROM n.account AND e.payer_account_key = n.payer_account_key
             AND e.ref_key = n.ref_key AND e.duplicate_of IS NULL
            WHERE n.import_id IN (SELECT import_id FROM batch_import) AND n.kind = 'bank' AND n.bank_ref_key <> '' AND n.duplicate_of IS NULL
            GROUP BY n.source_id
        ) d
        WHERE n.source_id = d.source_id"""


def repeat_receipts_sql() -> str:
    """Repeated entries of a file, and duplicates of an earlier file of the command, join the receipt their
    original was given."""
    return """
        UPDATE payment_source d SET receipt_id = o.receipt_id
        FROM payment_source o
        WHERE d.duplicate_of = o.source_id AND d.import_id IN (SELECT import_id FROM batch_import) AND o.import_id IN (SELECT import_id FROM batch_import)"""


def repeats_in_file_sql() -> str:
    """Each first copy of a repeated bank entry with the places of its repeats, for its file's report."""
    return """
        SELECT o.import_id, o.location, o.bank_ref, o.amount, o.value_date, list(d.location ORDER BY d.source_id)
        FROM payment_source d JOIN payment_source o ON o.source_id = d.duplicate_of AND o.import_id = d.import_id
        WHERE d.import_id IN (SELECT import_id FROM batch_import)
        GROUP BY o.import_id, o.source_id, o.location, o.bank_ref, o.amount, o.value_date
        ORDER BY o.source_id"""


def open_sources_sql() -> list[str]:
    """Sources still waiting for their other half: new ones, and receipts with only a bank entry or only advices.

    The advices carry their reference as words (``ref_tokens``), the bank entries their text with
    the spaces taken out (``text_squashed``): the two forms the text search compares.
    """
    cols = ("source_id, import_id, kind, payment_ref, value_date, amount, currency, payer_name, ref_key, "
            "bank_ref_key, text_tokens, payer_account_key, payer_id_key")
    open_where = """duplicate_of IS NULL AND (receipt_id IS NULL OR receipt_id IN (
                        SELECT receipt_id FROM receipt WHERE bank_source_id IS NULL OR len(advice_source_ids) = 0))"""
    return [
        f"CREATE OR REPLACE TEMP TABLE open_advice AS SELECT {cols}, {tokens_sql('payment_ref')} AS ref_tokens "
        f"FROM payment_source WHERE kind = 'advice' AND {open_where}",
        f"CREATE OR REPLACE TEMP TABLE open_bank AS SELECT {cols}, replace(text_tokens, ' ', '') AS text_squashed "
        f"FROM payment_source WHERE kind = 'bank' AND {open_where}",
    ]


def _terms_sql(table: str, words: str, squashed: str, words_where: str, grams_where: str,
               known: str | None = None) -> str:
    """(source_id, gram, term) of a table's rows: its words (gram false) and the n-grams of its squashed text.

    With ``known`` (a table of such terms), only the terms it holds: a filter on each kind apart is
    several times faster than one on (gram, term).
    """
    n = MIN_SQUASHED_TEXT_REF
    word_in = f"AND word IN (SELECT term FROM {known} WHERE NOT gram)" if known else ""
    gram_in = f"WHERE term IN (SELECT term FROM {known} WHERE gram)" if known else ""
    return f"""
        SELECT source_id, false AS gram, word AS term
        FROM (SELECT source_id, unnest(string_split(trim({words}), ' ')) AS word FROM {table} WHERE {words_where})
        WHERE word <> '' {word_in}
        UNION ALL
        SELECT source_id, true, term
        FROM (SELECT source_id, substring({squashed}, i, {n}) AS term
              FROM (SELECT source_id, {squashed}, unnest(range(1, length({squashed}) - {n - 2})) AS i
                    FROM {table} WHERE length({squashed}) >= {n} AND {grams_where}))
        {gram_in}"""


def text_terms_sql() -> list[str]:
    """The index behind the search for an advice's reference inside bank text, as equality joins.

    A reference of MIN_TEXT_REF to MIN_SQUASHED_TEXT_REF - 1 characters must appear as whole
    words in the text: every word of it is then a word of the text. A longer one must appear in
    the text with separators ignored: every n-gram of it (n = MIN_SQUASHED_TEXT_REF) is then an
    n-gram of the squashed text. So each advice probes with the one of its terms that the fewest
    bank entries have (none: no bank entry can hold it), and pairs_sql checks the entries found.
    Linear in the open sources, where comparing every advice with every bank entry of its date
    window was quadratic.
    """
    short = f"length(ref_key) BETWEEN {MIN_TEXT_REF} AND {MIN_SQUASHED_TEXT_REF - 1}"
    long = f"length(ref_key) >= {MIN_SQUASHED_TEXT_REF}"
    return [
        "CREATE OR REPLACE TEMP TABLE advice_term AS SELECT DISTINCT source_id, gram, term "
        f"FROM ({_terms_sql('open_advice', 'ref_tokens', 'ref_key', short, long)})",
        "CREATE OR REPLACE TEMP TABLE bank_term AS SELECT DISTINCT source_id, gram, term "
        f"FROM ({_terms_sql('open_bank', 'text_tokens', 'text_squashed', 'true', 'true', known='advice_term')})",
        """CREATE OR REPLACE TEMP TABLE advice_probe AS
           SELECT a.source_id, arg_min(a.term, coalesce(c.banks, 0)) AS term, any_value(a.gram) AS gram,
                  min(coalesce(c.banks, 0)) AS banks
           FROM advice_term a
           LEFT JOIN (SELECT gram, term, count(*) AS banks FROM bank_term GROUP BY gram, term) c
                  ON c.gram = a.gram AND c.term = a.term
           GROUP BY a.source_id""",
    ]


def pairs_sql() -> str:
    """Candidate (advice, bank entry) pairs among the open sources (text_terms_sql's tables built first).

    By reference: the advice's useful reference equals the bank entry's payment or bank reference,
    or appears in its text (value dates within $days): as whole words, or, for a reference of
    MIN_SQUASHED_TEXT_REF characters or more, with separators ignored (which whole words imply).
    By amount: an advice with no useful reference, the same amount, value dates within $days; the
    payer is checked in Python. Every branch is an equality join, so the cost grows with the pairs
    found, not with advices times bank entries.
    """
    same_currency = "(a.currency IS NULL OR b.currency IS NULL OR a.currency = b.currency)"
    near = "b.value_date BETWEEN a.value_date - CAST($days AS INTEGER) AND a.value_date + CAST($days AS INTEGER)"
    cols = ("a.source_id AS advice_id, b.source_id AS bank_id, a.amount = b.amount AS amount_equal, "
            "(a.payer_account_key <> '' AND a.payer_account_key = b.payer_account_key) AS account_match, "
            "(a.payer_id_key <> '' AND a.payer_id_key = b.payer_id_key) AS payer_id_match, "
            "a.payer_name AS advice_payer, b.payer_name AS bank_payer")
    in_text = (f"CASE WHEN length(a.ref_key) >= {MIN_SQUASHED_TEXT_REF} THEN contains(b.text_squashed, a.ref_key) "
               f"ELSE contains(b.text_tokens, a.ref_tokens) END")
    return f"""
        SELECT {cols}, 'reference' AS method FROM open_advice a JOIN open_bank b ON b.ref_key = a.ref_key
        WHERE a.ref_key <> '' AND {same_currency}
        UNION
        SELECT {cols}, 'reference' FROM open_advice a JOIN open_bank b ON b.bank_ref_key = a.ref_key
        WHERE a.ref_key <> '' AND {same_currency}
        UNION
        SELECT {cols}, 'reference'
        FROM advice_probe p JOIN bank_term t ON t.gram = p.gram AND t.term = p.term
        JOIN open_advice a ON a.source_id = p.source_id JOIN open_bank b ON b.source_id = t.source_id
        WHERE p.banks > 0 AND {near} AND {same_currency} AND {in_text}
        UNION
        SELECT {cols}, 'amount' FROM open_advice a JOIN open_bank b ON b.amount = a.amount AND {near}
        WHERE a.ref_key = '' AND {same_currency}"""


def create_pairs_sql() -> str:
    """Every candidate pair among the open sources, once per import."""
    return f"CREATE OR REPLACE TEMP TABLE candidate_pair AS {pairs_sql()}"


def involved_pairs_sql() -> str:
    """The candidate pairs that decide this import's links: those of a new source, and every other pair of
    the old sources these could link to (their other candidates decide whether a link is unique)."""
    return """
        WITH new AS (SELECT source_id FROM open_advice WHERE import_id IN (SELECT import_id FROM batch_import)
                     UNION ALL SELECT source_id FROM open_bank WHERE import_id IN (SELECT import_id FROM batch_import)),
        touching AS (SELECT * FROM candidate_pair
                     WHERE advice_id IN (SELECT source_id FROM new) OR bank_id IN (SELECT source_id FROM new)),
        involved AS (SELECT advice_id AS source_id FROM touching UNION SELECT bank_id FROM touching)
        SELECT * FROM candidate_pair
        WHERE advice_id IN (SELECT source_id FROM involved) OR bank_id IN (SELECT source_id FROM involved)"""


def assign_sql() -> str:
    """The receipt of every new, non-duplicate source: its linked partner's existing receipt, else a new one.

    New receipts are numbered after $base in the order of their first source.
    """
    return """
        CREATE OR REPLACE TEMP TABLE assign AS
        WITH n AS (SELECT source_id FROM payment_source WHERE import_id IN (SELECT import_id FROM batch_import) AND duplicate_of IS NULL),
        partner AS (SELECT advice_id AS sid, bank_id AS other FROM link UNION ALL SELECT bank_id, advice_id FROM link),
        x AS (SELECT n.source_id, p.other, o.receipt_id AS other_receipt
              FROM n LEFT JOIN partner p ON p.sid = n.source_id LEFT JOIN payment_source o ON o.source_id = p.other)
        SELECT source_id, other_receipt AS receipt_id, false AS new_receipt FROM x WHERE other_receipt IS NOT NULL
        UNION ALL
        SELECT source_id, $base + dense_rank() OVER (ORDER BY least(source_id, coalesce(other, source_id))), true
        FROM x WHERE other_receipt IS NULL"""


def set_source_receipts_sql() -> str:
    return "UPDATE payment_source s SET receipt_id = a.receipt_id FROM assign a WHERE s.source_id = a.source_id"


def _master_currency_sql() -> str:
    """The currency of a receipt no file stated it for (an advice alone, an X12 820 without CUR, a BAI2
    file naming none): the one currency of the customer its payer id or account names (from the bank
    entry, else the advice), else of the documents its lines name exactly, else of the customer its
    payer name is. Never a guess: NULL when these disagree or find nothing."""
    one = "HAVING count(DISTINCT {col}) = 1"
    payer_id, account = "coalesce(b.payer_id, a.payer_id)", "coalesce(b.payer_account, a.payer_account)"
    return f"""coalesce(
                   (SELECT min(c.currency) FROM customer c WHERE c.customer_no = {payer_id} {one.format(col='c.currency')}),
                   (SELECT min(c.currency) FROM customer_bank_account ba JOIN customer c ON c.customer_no = ba.customer_no
                    WHERE ba.account_norm = {squash_sql(account)} AND {squash_sql(account)} <> ''
                    {one.format(col='c.currency')}),
                   (SELECT min(o.currency) FROM payment_source_line l
                    JOIN open_item o ON o.doc_no_norm = {normalize_ref_sql('l.reference')}
                    WHERE l.source_id = coalesce(a.source_id, b.source_id) {one.format(col='o.currency')}),
                   (SELECT min(c.currency) FROM customer c WHERE upper(c.name) = upper(coalesce(b.payer_name, a.payer_name))
                    {one.format(col='c.currency')}))"""


def merged_sql() -> str:
    """A receipt's fields from its sources: bank fields win, the advice fills gaps.

    A currency no source states is the master's (``_master_currency_sql``), never a default.

    payment_ref is the advice's useful reference, else the bank entry's; the lines are the
    advice's when it has any, else the bank entry's.
    """
    return f"""
        CREATE OR REPLACE TEMP TABLE merged AS
        WITH touched AS (SELECT DISTINCT receipt_id FROM assign),
        parts AS (
            SELECT s.receipt_id,
                   min(s.source_id) FILTER (WHERE s.kind = 'bank') AS bank_id,
                   coalesce(list(s.source_id ORDER BY s.source_id) FILTER (WHERE s.kind = 'advice'), []) AS advice_ids,
                   min(s.source_id) FILTER (WHERE s.kind = 'advice') AS advice_id,
                   arg_min(s.import_id, s.source_id) AS first_import_id, max(s.import_id) AS last_import_id
            FROM payment_source s JOIN touched t ON t.receipt_id = s.receipt_id
            WHERE s.duplicate_of IS NULL
            GROUP BY s.receipt_id)
        SELECT p.receipt_id,
               CASE WHEN a.ref_key <> '' THEN a.payment_ref ELSE coalesce(b.payment_ref, a.payment_ref) END AS payment_ref,
               CASE WHEN b.source_id IS NOT NULL THEN b.value_date ELSE a.value_date END AS value_date,
               CASE WHEN b.source_id IS NOT NULL THEN b.amount ELSE a.amount END AS amount,
               coalesce(b.currency, a.currency, {_master_currency_sql()}) AS currency,
               coalesce(b.payer_name, a.payer_name) AS payer_name,
               coalesce(b.payer_account, a.payer_account) AS payer_account,
               coalesce(b.payer_id, a.payer_id) AS payer_id,
               coalesce(b.bank_text, a.bank_text, '') AS bank_text,
               concat_ws('+', b.format, a.format) AS source_formats,
               coalesce(b.file_name, a.file_name) AS file_name,
               b.source_id AS bank_source_id,
               p.advice_ids AS advice_source_ids,
               a.amount AS advice_amount,
               CASE WHEN a.line_count > 0 THEN a.source_id WHEN b.line_count > 0 THEN b.source_id END AS line_source_id,
               p.first_import_id, p.last_import_id
        FROM parts p
        LEFT JOIN payment_source b ON b.source_id = p.bank_id
        LEFT JOIN payment_source a ON a.source_id = p.advice_id"""


MERGED_FIELDS = ("payment_ref", "value_date", "amount", "currency", "payer_name", "payer_account", "payer_id",
                 "bank_text", "source_formats", "file_name", "bank_source_id", "advice_source_ids", "advice_amount",
                 "line_source_id")


def relined_sql() -> str:
    """Receipts whose lines must be (re)written: new ones, and those whose line source changed."""
    return """
        CREATE OR REPLACE TEMP TABLE relined AS
        SELECT m.receipt_id, m.line_source_id FROM merged m LEFT JOIN receipt r ON r.receipt_id = m.receipt_id
        WHERE r.receipt_id IS NULL OR r.line_source_id IS DISTINCT FROM m.line_source_id"""


def attached_to_decided_sql() -> str:
    """Existing receipts gaining a source after the matching engine already worked on them, with the
    import of each source joining them."""
    return """SELECT DISTINCT r.receipt_id, r.status, s.import_id
              FROM receipt r JOIN assign a ON a.receipt_id = r.receipt_id AND NOT a.new_receipt
              JOIN payment_source s ON s.source_id = a.source_id
              WHERE r.status <> 'unmatched' ORDER BY r.receipt_id, s.import_id"""


def update_receipts_sql() -> list[str]:
    """Existing receipts take their merged fields; every other column (status, payer...) stays.

    Rewritten as delete and insert: DuckDB updates a LIST column (advice_source_ids) row by row,
    some thirty times slower than writing the rows again.
    """
    replaced = ", ".join(f"m.{f} AS {f}" for f in MERGED_FIELDS)
    return [
        f"""CREATE OR REPLACE TEMP TABLE rewritten AS
            SELECT r.* REPLACE ({replaced}, m.last_import_id AS updated_import_id)
            FROM receipt r JOIN merged m ON m.receipt_id = r.receipt_id""",
        "DELETE FROM receipt WHERE receipt_id IN (SELECT receipt_id FROM rewritten)",
        "INSERT INTO receipt SELECT * FROM rewritten",
    ]


def insert_receipts_sql() -> str:
    return f"""
        INSERT INTO receipt (receipt_id, {', '.join(MERGED_FIELDS)}, import_id, updated_import_id)
        SELECT m.receipt_id, {', '.join('m.' + f for f in MERGED_FIELDS)}, m.first_import_id, m.last_import_id
        FROM merged m WHERE NOT EXISTS (SELECT 1 FROM receipt r WHERE r.receipt_id = m.receipt_id)"""


def delete_lines_sql() -> str:
    return "DELETE FROM remittance_line WHERE receipt_id IN (SELECT receipt_id FROM relined)"


def link_table_sql() -> str:
    """The decided links (registered as ``link_arrow``) as the temp table ``link``."""
    return "CREATE OR REPLACE TEMP TABLE link AS SELECT * FROM link_arrow"


def batch_sources_sql() -> str:
    """(source_id, import_id) of the batch's new payments that are not duplicates."""
    return f"SELECT source_id, import_id FROM payment_source WHERE import_id IN {BATCH} AND duplicate_of IS NULL"


def batch_counts_sql() -> str:
    """Per file of the batch: payments written, the lines they carry, duplicates skipped."""
    return f"""
        SELECT import_id, count(*) FILTER (WHERE duplicate_of IS NULL),
               coalesce(sum(line_count) FILTER (WHERE duplicate_of IS NULL), 0),
               count(*) FILTER (WHERE duplicate_of IS NOT NULL)
        FROM payment_source WHERE import_id IN {BATCH} GROUP BY import_id"""


def new_receipts_sql() -> str:
    """Per file: the new receipts whose first payment it brought."""
    return """
        SELECT s.import_id, count(*)
        FROM (SELECT receipt_id, min(source_id) AS first FROM assign WHERE new_receipt GROUP BY receipt_id) a
        JOIN payment_source s ON s.source_id = a.first GROUP BY s.import_id"""


def source_places_sql() -> str:
    """Where each of some sources ($ids) came from, and its amount, for the notes of a report."""
    return """SELECT source_id, file_name || ' ' || location, amount,
                     file_name || ' ' || location || coalesce(' (' || payment_ref || ')', '')
              FROM payment_source WHERE list_contains($ids, source_id)"""


def insert_lines_sql() -> str:
    return f"""
        INSERT INTO remittance_line
        SELECT r.receipt_id, l.line_no, {', '.join('l.' + f for f in LINE_FIELDS)},
               {normalize_ref_sql('l.reference')}, l.source_id
        FROM relined r JOIN payment_source_line l ON l.source_id = r.line_source_id
        ORDER BY r.receipt_id, l.line_no"""


# -- reads ----------------------------------------------------------------------------------------
RECEIPT_COLUMNS = ("receipt_id", "payment_ref", "value_date", "amount", "currency", "payer_name", "payer_account",
                   "payer_id", "bank_text", "source_formats", "file_name", "bank_source_id", "advice_source_ids",
                   "advice_amount", "status", "payer_customer_no")


def receipts_sql(with_status: bool) -> str:
    where = "WHERE r.status = $status" if with_status else ""
    return f"""
        SELECT r.receipt_id, r.payment_ref, r.value_date, r.amount, r.currency, r.payer_name,
               r.payer_customer_no AS customer_no, r.status, r.source_formats,
               (SELECT count(*) FROM remittance_line l WHERE l.receipt_id = r.receipt_id) AS lines,
               r.advice_amount, r.payer_account, r.bank_text
        FROM receipt r {where}
        ORDER BY r.receipt_id LIMIT $limit OFFSET $offset"""


def receipt_sql() -> str:
    return f"SELECT {', '.join(RECEIPT_COLUMNS)} FROM receipt WHERE receipt_id = $receipt_id"


def lines_sql() -> str:
    return f"""SELECT receipt_id, line_no, {', '.join(LINE_FIELDS)}, reference_norm, source_id
               FROM remittance_line WHERE receipt_id = $receipt_id ORDER BY line_no"""


def sources_sql() -> str:
    return f"""SELECT source_id, import_id, {', '.join(SOURCE_FIELDS)}, duplicate_of
               FROM payment_source WHERE receipt_id = $receipt_id ORDER BY kind, source_id"""


def find_sql() -> str:
    """Receipts whose id, payment reference, or any source's payment or bank reference is the one asked for."""
    return """
        SELECT DISTINCT r.receipt_id, r.payment_ref, r.value_date, r.amount, r.currency, r.payer_name
        FROM receipt r
        WHERE r.receipt_id = $id OR r.payment_ref = $ref
           OR r.receipt_id IN (SELECT receipt_id FROM payment_source
                               WHERE $key <> '' AND (ref_key = $key OR bank_ref_key = $key))
        ORDER BY r.receipt_id LIMIT 50"""


def export_sql() -> str:
    """One row per receipt, with its linked advices named by format, file and location."""
    return """
        SELECT r.receipt_id, r.payment_ref, r.value_date, r.amount, r.currency, r.payer_name,
               r.payer_customer_no AS customer_no, r.source_formats AS source_format, r.payer_account, r.bank_text,
               coalesce(l.lines, 0) AS lines, r.advice_amount,
               coalesce(a.advices, '') AS advices, r.status, r.file_name
        FROM receipt r
        LEFT JOIN (SELECT receipt_id, count(*) AS lines FROM remittance_line GROUP BY receipt_id) l
               ON l.receipt_id = r.receipt_id
        LEFT JOIN (SELECT receipt_id, string_agg(format || ' ' || file_name || ' ' || location, '; ' ORDER BY source_id) AS advices
                   FROM payment_source WHERE kind = 'advice' AND duplicate_of IS NULL GROUP BY receipt_id) a
               ON a.receipt_id = r.receipt_id
        ORDER BY r.receipt_id"""


EXPORT_COLUMNS = ("receipt_id", "payment_ref", "value_date", "amount", "currency", "payer_name", "customer_no",
                  "source_format", "payer_account", "bank_text", "lines", "advice_amount", "advices", "status",
                  "file_name")
