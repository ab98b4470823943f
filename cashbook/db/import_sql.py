"""SQL for table imports: typed conversion, validation checks and the sync of master and open items.

Every check is one vectorized query over a staged table of text cells (``rn`` is the data row
number a spreadsheet user counts, ``line`` the row in the file), so a million-row file is
validated at DuckDB's speed and every problem is reported, not just the first.
"""

from __future__ import annotations

from cashbook import money
from cashbook.normalize import normalize_ref_sql

# Amounts are judged by the same rules as cashbook.money.parse_money: the regular expressions
# and refusal texts come from there, so a cell means the same in a small and a million-row file.
_NUMBER = r"(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.][0-9]*)?|[.][0-9]+)"
_NUMBER_2DP = r"(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.][0-9]{0,2}0*)?|[.][0-9]{1,2}0*)"
MONEY_RE = rf"^([(]{_NUMBER}[)]|[+-]?{_NUMBER}|{_NUMBER}-)$"  # the forms the README lists
MONEY_2DP_RE = rf"^([(]{_NUMBER_2DP}[)]|[+-]?{_NUMBER_2DP}|{_NUMBER_2DP}-)$"  # ... with at most two places
INT_RE = r"^[0-9]{1,6}$"
PCT_RE = r"^[0-9]{1,3}(\.[0-9]{1,4})?%?$"
CURRENCY_RE = r"^[A-Z]{3}$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

ISO_CURRENCIES = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
    "GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT "
    "LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR "
    "NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP "
    "STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF "
    "XPF YER ZAR ZMW ZWL"
).split()

DATE_FORMATS_DAY_FIRST = ["%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d-%b-%Y", "%d-%b-%y",
                          "%d %b %Y", "%Y/%m/%d", "%d/%m/%y", "%d.%m.%y"]
DATE_FORMATS_MONTH_FIRST = ["%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%d.%m.%Y", "%m-%d-%Y", "%d-%b-%Y", "%d-%b-%y",
                            "%d %b %Y", "%Y/%m/%d", "%m/%d/%y", "%d.%m.%y"]

DOC_TYPE_SYNONYMS = {
    "INV": ("INV", "INVOICE", "IN", "RI", "DR", "SALES INVOICE", "I"),
    "CRN": ("CRN", "CREDIT NOTE", "CREDIT", "CN", "CM", "CR", "CREDIT MEMO", "C"),
    "DBN": ("DBN", "DEBIT NOTE", "DEBIT", "DN", "DM", "DEBIT MEMO", "D"),
}
CUSTOMER_TYPE_SYNONYMS = {
    "walk_in": ("WALK_IN", "WALK IN", "WALK-IN", "WALKIN", "CASH", "POS"),
    "named": ("NAMED",),
    "credit": ("CREDIT", "ACCOUNT", ""),
}
TRUE_WORDS = ("Y", "YES", "TRUE", "1", "X", "HOLD", "ON HOLD", "BLOCKED", "T")
FALSE_WORDS = ("N", "NO", "FALSE", "0", "", "F", "RELEASED")


def q(text: str) -> str:
    """A SQL string literal of a code constant (never of user input)."""
    return "'" + text.replace("'", "''") + "'"


def cell(column: str) -> str:
    """A staged cell: already trimmed, NULL when blank (staging did that once per cell)."""
    return f"s.\"raw_{column}\""


def money_sql(expr: str) -> str:
    """DECIMAL(18,2) from an amount text; NULL when it is not one. Plain numbers take the fast path."""
    return f"coalesce(TRY_CAST({expr} AS DECIMAL(18,2)), {_money_slow_sql(expr)})"


def _money_slow_sql(expr: str) -> str:
    body = f"replace(replace(replace(replace(replace({expr}, ',', ''), '(', ''), ')', ''), '+', ''), ' ', '')"
    negative = f"(starts_with({expr}, '(') OR ends_with({expr}, '-'))"
    body = f"rtrim({body}, '-')"
    return (
        f"(CASE WHEN {expr} IS NULL THEN NULL WHEN {negative} THEN -TRY_CAST(ltrim({body}, '-') AS DECIMAL(18,2)) "
        f"ELSE TRY_CAST({body} AS DECIMAL(18,2)) END)"
    )


def date_sql(expr: str, formats: list[str]) -> str:
    """A date from text: ISO dates (and ISO date-times from Excel) take the fast path."""
    listed = ", ".join(q(f) for f in formats)
    return (f"coalesce(CASE WHEN substr({expr}, 5, 1) = '-' AND (length({expr}) = 10 OR substr({expr}, 11, 1) IN (' ', 'T')) "
            f"THEN TRY_CAST(left({expr}, 10) AS DATE) END, CAST(try_strptime({expr}, [{listed}]) AS DATE))")


def enum_sql(expr: str, synonyms: dict[str, tuple[str, ...]]) -> str:
    cases = " ".join(
        f"WHEN upper(coalesce({expr}, '')) IN ({', '.join(q(s) for s in words)}) THEN {q(value)}"
        for value, words in synonyms.items()
    )
    return f"(CASE {cases} ELSE NULL END)"


def bool_sql(expr: str) -> str:
    return (
        f"(CASE WHEN upper(coalesce({expr}, '')) IN ({', '.join(q(w) for w in TRUE_WORDS)}) THEN true "
        f"WHEN upper(coalesce({expr}, '')) IN ({', '.join(q(w) for w in FALSE_WORDS)}) THEN false ELSE NULL END)"
    )


def slash_order_sql(stage: str, columns: list[str]) -> str:
    """Counts of slash dates that can only be day-first or only month-first, in one scan."""
    day = " + ".join(f"count(*) FILTER (WHERE strpos(\"{c}\", '/') > 0 AND TRY_CAST(split_part(\"{c}\", '/', 1) AS INTEGER) > 12)" for c in columns)
    month = " + ".join(f"count(*) FILTER (WHERE strpos(\"{c}\", '/') > 0 AND TRY_CAST(split_part(\"{c}\", '/', 2) AS INTEGER) > 12)" for c in columns)
    any_slash = " OR ".join(f"strpos(\"{c}\", '/') > 0" for c in columns)
    return f"SELECT {day}, {month} FROM {stage} WHERE {any_slash}"


Check = tuple[str, str, str]  # (condition, column, message expression) over typed s LEFT JOIN customer c


def problem_sql(condition: str, column: str, message_expr: str, join: str = "") -> Check:
    """One row check; all row checks of a file run together in a single scan (see row_checks_sql)."""
    return (condition, column, message_expr)


def row_checks_sql(checks: list[Check]) -> str:
    """Every row check in one pass over the typed file: (rn, line, column, message) per problem.

    The conditions first select the rows with any problem; messages are built only for those.
    """
    items = ", ".join(
        f"CASE WHEN {condition} THEN {{'col': {q(column)}, 'msg': {message}}} END" for condition, column, message in checks
    )
    return f"""
        SELECT rn, line, p.col, p.msg FROM (
            SELECT s.rn, s.line, unnest(list_filter([{items}], lambda x: x IS NOT NULL)) AS p
            FROM typed s LEFT JOIN customer c ON c.customer_no = {cell('customer_no')}
            WHERE {" OR ".join(f"({condition})" for condition, _, _ in checks)})"""


def value_msg(column: str, text: str) -> str:
    """A message quoting the cell: '"12.345" <text>'."""
    return f"'\"' || {cell(column)} || '\" ' || {q(text)}"


def required_checks(columns: list[str]) -> list[Check]:
    return [problem_sql(f"{cell(c)} IS NULL", c, q("is empty; a value is required")) for c in columns]


def money_checks(columns: dict[str, str]) -> list[Check]:
    """Amounts, by the rules of money.parse_money: one regular expression over every cell, set-wise.

    A cell in one of the README's forms with at most two places and at most 15 integer digits
    passes on the one regex; only the cells that fail it have their reason worked out.
    """
    checks = []
    for c, typed_column in columns.items():
        v = cell(c)
        bare = f"replace({v}, ' ', '')"
        digits = f"length(ltrim(regexp_extract(replace({bare}, ',', ''), '[0-9]+'), '0'))"
        too_large = f"(length({v}) > {money.MAX_INTEGER_DIGITS} AND {digits} > {money.MAX_INTEGER_DIGITS})"
        converted = f"s.{typed_column}"
        reason = (
            f"CASE WHEN regexp_full_match({bare}, {q(money.SCIENTIFIC_RE)}) THEN {q(money.REASON_SCIENTIFIC)} "
            f"WHEN regexp_full_match({bare}, {q(money.UNDERSCORE_RE)}) THEN {q(money.REASON_UNDERSCORE)} "
            f"WHEN regexp_full_match({bare}, {q(money.NOT_FINITE_RE)}) THEN {q(money.REASON_NOT_FINITE)} "
            f"WHEN NOT regexp_full_match({bare}, {q(MONEY_RE)}) THEN {q(money.REASON_NOT_AN_AMOUNT)} "
            f"WHEN {too_large} THEN {q(money.REASON_TOO_LARGE)} "
            f"WHEN NOT regexp_full_match({bare}, {q(MONEY_2DP_RE)}) THEN {q(money.REASON_PLACES)} "
            f"ELSE {q(money.REASON_NOT_AN_AMOUNT)} END")
        checks.append(problem_sql(
            f"{v} IS NOT NULL AND (NOT regexp_full_match({bare}, {q(MONEY_2DP_RE)}) OR {converted} IS NULL "
            f"OR {too_large})", c, f"'\"' || {v} || '\" ' || {reason}"))
    return checks
def currency_checks(column: str) -> list[Check]:
    codes = ", ".join(q(c) for c in ISO_CURRENCIES)
    return [problem_sql(f"{cell(column)} IS NOT NULL AND upper({cell(column)}) NOT IN ({codes})", column,
                        value_msg(column, "is not an ISO 4217 currency code"))]


def duplicate_check(key: str, label: str) -> str:
    return (
        f"SELECT s.rn, s.line, {q(key)}, '{label} \"' || d.k || '\" appears more than once; first on row ' || d.first_rn "
        f"FROM typed s JOIN (SELECT {cell(key)} AS k, min(s.rn) AS first_rn FROM typed s GROUP BY ALL HAVING count(*) > 1) d "
        f"ON d.k = {cell(key)} WHERE s.rn > d.first_rn"
    )


# -- customers ----------------------------------------------------------------------------------
def typed_customers_sql(table: str = "typed") -> str:
    """The file with its raw cells (raw_*) and converted values; bad cells convert to NULL."""
    return f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT s.*, {cell('customer_no')} AS customer_no, {cell('name')} AS name,
               {cell('parent_no')} AS parent_no, upper({cell('currency')}) AS currency,
               {money_sql(cell('credit_limit'))} AS credit_limit,
               coalesce({bool_sql(cell('on_hold'))}, false) AS on_hold,
               coalesce({enum_sql(cell('customer_type'), CUSTOMER_TYPE_SYNONYMS)}, 'credit') AS customer_type,
               array_to_string(list_filter(list_transform(string_split(coalesce({cell('bank_accounts')}, ''), ';'),
                   lambda x: regexp_replace(upper(x), '[^A-Z0-9]', '', 'g')), lambda x: x <> ''), ';') AS bank_accounts,
               {cell('email')} AS email, {cell('city')} AS city
        FROM stage s"""


def customer_checks() -> list[Check]:
    checks = required_checks(["customer_no", "name", "currency"])
    checks += currency_checks("currency")
    checks += money_checks({"credit_limit": "credit_limit"})
    checks.append(problem_sql("s.credit_limit < 0", "credit_limit",
                              value_msg("credit_limit", "is negative; a credit limit is zero or more")))
    checks.append(problem_sql(f"{bool_sql(cell('on_hold'))} IS NULL", "on_hold",
                              value_msg("on_hold", "is not yes/no (use Y, N, TRUE, FALSE, 1 or 0)")))
    checks.append(problem_sql(f"{enum_sql(cell('customer_type'), CUSTOMER_TYPE_SYNONYMS)} IS NULL", "customer_type",
                              value_msg("customer_type", "is not a customer type (walk_in, named or credit)")))
    checks.append(problem_sql(f"{cell('email')} IS NOT NULL AND NOT regexp_full_match({cell('email')}, {q(EMAIL_RE)})",
                              "email", value_msg("email", "is not an e-mail address")))
    checks.append(problem_sql(
        f"{cell('parent_no')} IS NOT NULL AND {cell('parent_no')} = {cell('customer_no')}", "parent_no",
        q("a customer cannot be its own parent")))
    checks.append(problem_sql(
        f"c.currency IS NOT NULL AND upper({cell('currency')}) <> c.currency", "currency",
        "'customer ' || c.customer_no || ' holds currency ' || c.currency || ' in the workspace; "
        "a customer''s currency cannot change (file says ' || upper(" + cell("currency") + ") || ')'"))
    return checks


def customer_file_checks() -> list[str]:
    """Checks that compare rows with each other or with the workspace, as whole queries."""
    parent = cell("parent_no")
    return [
        duplicate_check("customer_no", "customer"),
        f"""SELECT s.rn, s.line, 'parent_no', 'parent "' || {parent} || '" is neither in this file nor in the workspace'
            FROM typed s WHERE {parent} IS NOT NULL
              AND {parent} NOT IN (SELECT customer_no FROM typed WHERE customer_no IS NOT NULL)
              AND {parent} NOT IN (SELECT customer_no FROM customer)""",
    ]


CUSTOMER_FIELDS = ("name", "parent_no", "currency", "credit_limit", "on_hold", "customer_type", "bank_accounts",
                   "email", "city")


def changed_fields_sql(fields: tuple[str, ...], new: str = "t", old: str = "c") -> str:
    parts = [
        f"CASE WHEN {new}.{f} IS DISTINCT FROM {old}.{f} THEN '{f}: ' || coalesce(CAST({old}.{f} AS VARCHAR), '') "
        f"|| ' -> ' || coalesce(CAST({new}.{f} AS VARCHAR), '') END"
        for f in fields
    ]
    return f"concat_ws('; ', {', '.join(parts)})"


def customer_diff_sql() -> str:
    """Every difference between the typed file and the workspace: new, changed, returned, vanished."""
    return f"""
        CREATE OR REPLACE TEMP TABLE diff AS
        SELECT t.customer_no AS key,
               CASE WHEN c.customer_no IS NULL THEN 'new'
                    WHEN c.provisional THEN 'merged'
                    WHEN NOT c.active THEN 'returned'
                    ELSE 'changed' END AS change,
               CASE WHEN c.customer_no IS NULL THEN NULL ELSE {changed_fields_sql(CUSTOMER_FIELDS)} END AS detail
        FROM typed t LEFT JOIN customer c ON c.customer_no = t.customer_no
        WHERE c.customer_no IS NULL OR c.provisional OR NOT c.active
           OR {' OR '.join(f't.{f} IS DISTINCT FROM c.{f}' for f in CUSTOMER_FIELDS)}
        UNION ALL
        SELECT c.customer_no, 'vanished', 'no longer in the ERP master'
        FROM customer c WHERE c.active AND NOT c.provisional
          AND NOT EXISTS (SELECT 1 FROM typed t WHERE t.customer_no = c.customer_no)"""


def apply_customers_sql() -> list[str]:
    sets = ", ".join(f"{f} = t.{f}" for f in CUSTOMER_FIELDS)
    return [
        f"""UPDATE customer c SET {sets}, active = true, provisional = false, import_id = $import_id,
                updated_at = $now
            FROM typed t, diff d
            WHERE t.customer_no = c.customer_no AND d.key = c.customer_no AND d.change IN ('changed', 'returned', 'merged')""",
        f"""INSERT INTO customer (customer_no, {', '.join(CUSTOMER_FIELDS)}, active, provisional, import_id, updated_at)
            SELECT t.customer_no, {', '.join('t.' + f for f in CUSTOMER_FIELDS)}, true, false, $import_id, $now
            FROM typed t JOIN diff d ON d.key = t.customer_no AND d.change = 'new'""",
        """UPDATE customer c SET active = false, import_id = $import_id, updated_at = $now
            FROM diff d WHERE d.key = c.customer_no AND d.change = 'vanished'""",
        "DELETE FROM customer_bank_account",
        """INSERT INTO customer_bank_account
            SELECT DISTINCT unnest(string_split(bank_accounts, ';')) AS account_norm, customer_no
            FROM customer WHERE bank_accounts <> '' AND active""",
        "INSERT INTO master_change SELECT $import_id, 'customer', key, change, detail FROM diff WHERE change <> 'new'",
    ]


# -- open items ---------------------------------------------------------------------------------
def item_values_sql(formats: list[str]) -> str:
    """The converted values of an items stage row ``s``; bad cells convert to NULL.

    The currency is not among them: a blank one is the customer's, which needs the master (see
    typed_items_sql). The normalized document number is computed where rows are written.
    """
    return f"""{cell('doc_no')} AS doc_no,
               {enum_sql(cell('doc_type'), DOC_TYPE_SYNONYMS)} AS doc_type,
               {cell('customer_no')} AS customer_no,
               {date_sql(cell('doc_date'), formats)} AS doc_date,
               {date_sql(cell('due_date'), formats)} AS due_date_given,
               coalesce(due_date_given, doc_date) AS due_date,
               {money_sql(cell('amount'))} AS amount,
               {money_sql(cell('open_amount'))} AS open_amount_given,
               coalesce(open_amount_given, amount) AS open_amount,
               {cell('po_number')} AS po_number,
               TRY_CAST(rtrim({cell('discount_pct')}, '%') AS DECIMAL(9,4)) AS discount_pct,
               TRY_CAST({cell('discount_days')} AS INTEGER) AS discount_days"""


def typed_items_sql(formats: list[str], table: str = "typed") -> str:
    """The file with its raw cells (raw_*) and converted values; bad cells convert to NULL."""
    return f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT s.*, {item_values_sql(formats)},
               coalesce(upper({cell('currency')}), c.currency) AS currency
        FROM stage s LEFT JOIN customer c ON c.customer_no = {cell('customer_no')}"""


def _plain_money_sql(column: str, typed_column: str) -> str:
    """True when an amount cell is written exactly as DuckDB writes its DECIMAL(18,2) value ("-1234.50").

    Such a cell passes money_checks: it matches MONEY_2DP_RE, converted, and has at most 15 digits.
    """
    return f"(length({cell(column)}) <= {money.MAX_INTEGER_DIGITS} AND CAST(s.{typed_column} AS VARCHAR) = {cell(column)})"


def item_clean_sql(window: money.DateWindow) -> str:
    """A condition, cheap to test, under which no check of item_checks can fire on a row.

    It only ever errs towards "not clean": a row it does not call clean is judged by the checks
    themselves. ``s`` holds the raw cells and item_values_sql, ``c`` the row's customer.
    """
    earliest, latest = f"DATE {q(window.earliest.isoformat())}", f"DATE {q(window.latest.isoformat())}"
    codes = ", ".join(q(c) for c in ISO_CURRENCIES)
    pct, days, currency = cell("discount_pct"), cell("discount_days"), cell("currency")
    return " AND ".join([
        f"{cell('doc_no')} IS NOT NULL", "c.customer_no IS NOT NULL",  # the customer is known, so its number is given
        f"{cell('doc_type')} IN ('INV', 'CRN', 'DBN')",
        f"s.doc_date BETWEEN {earliest} AND {latest}",
        f"({cell('due_date')} IS NULL OR s.due_date_given BETWEEN {earliest} AND {latest})",
        "s.due_date >= s.doc_date",
        _plain_money_sql("amount", "amount"),
        f"(CASE WHEN {cell('doc_type')} = 'CRN' THEN s.amount < 0 ELSE s.amount > 0 END)",
        f"({cell('open_amount')} IS NULL OR ({_plain_money_sql('open_amount', 'open_amount_given')} "
        "AND sign(s.open_amount_given) IN (0, sign(s.amount)) AND abs(s.open_amount_given) <= abs(s.amount)))",
        f"({currency} IS NULL OR ({currency} = c.currency AND {currency} IN ({codes})))",
        f"({pct} IS NULL OR (regexp_full_match({pct}, {q(PCT_RE)}) AND s.discount_pct <= 100))",
        f"({days} IS NULL OR regexp_full_match({days}, {q(INT_RE)}))",
        f"({pct} IS NULL OR {days} IS NOT NULL OR s.discount_pct <= 0)",
    ])


def checked_items_sql(formats: list[str], window: money.DateWindow, *, numbered: bool) -> str:
    """The temp table ``typed`` of converted values only, and ``bad``: whether any check of item_checks fires.

    One pass over the file: the checks are worked out only for rows item_clean_sql does not pass,
    and no raw cell is kept. A file with a bad row is typed again with its cells (typed_items_sql)
    for the messages. ``numbered``: the stage has rn and line (kept, for the same order).
    """
    conditions = " OR ".join(f"({condition})" for condition, _, _ in item_checks(window))
    return f"""
        CREATE OR REPLACE TEMP TABLE typed AS
        SELECT {'s.rn, s.line, ' if numbered else ''}s.doc_no, s.doc_type, s.customer_no, s.doc_date, s.due_date,
               coalesce(upper({cell('currency')}), c.currency) AS currency, s.amount, s.open_amount, s.po_number,
               s.discount_pct, s.discount_days,
               CASE WHEN {item_clean_sql(window)} THEN false ELSE coalesce({conditions}, false) END AS bad
        FROM (SELECT s.*, {item_values_sql(formats)} FROM stage s) s
        LEFT JOIN customer c ON c.customer_no = {cell('customer_no')}"""


def checked_counts_sql() -> str:
    """(rows with a problem, rows) of the temp table ``typed`` made by checked_items_sql."""
    return "SELECT count(*) FILTER (WHERE bad), count(*) FROM typed"


def first_duplicate_sql(key: str) -> str:
    """One value of ``key`` (a column from code) that appears more than once in ``typed``, if any."""
    return f"SELECT {key} FROM typed GROUP BY {key} HAVING count(*) > 1 LIMIT 1"


def retype_item_dates_sql(table: str, formats: list[str]) -> str:
    """Re-read the dates of a typed items table in other formats (a file found to be month-first)."""
    return f"""
        UPDATE {table} AS s SET doc_date = {date_sql(cell('doc_date'), formats)},
               due_date_given = {date_sql(cell('due_date'), formats)},
               due_date = coalesce({date_sql(cell('due_date'), formats)}, {date_sql(cell('doc_date'), formats)})"""


DATE_HINT = "is not a date (use YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY)"


def date_window_checks(columns: dict[str, str], window: money.DateWindow) -> list[Check]:
    """Dates outside the window (0001-01-01 is a slip of the keyboard): the rule of money.DateWindow."""
    earliest, latest = f"DATE {q(window.earliest.isoformat())}", f"DATE {q(window.latest.isoformat())}"
    side = f"CASE WHEN {{typed}} < {earliest} THEN 'before' ELSE 'after' END"
    return [problem_sql(
        f"{typed} NOT BETWEEN {earliest} AND {latest}", c,
        f"CAST({typed} AS VARCHAR) || ' is ' || {side.format(typed=typed)} || "
        + q(f" the dates accepted ({window.earliest.isoformat()} to {window.latest.isoformat()}); fix the date, "
            "or widen the settings earliest_date and latest_date"))
        for c, typed in columns.items()]


def item_checks(window: money.DateWindow = money.DEFAULT_DATE_WINDOW) -> list[Check]:
    codes = ", ".join(q(c) for c in ISO_CURRENCIES)
    currency = cell("currency")
    checks = required_checks(["doc_no", "doc_type", "customer_no", "doc_date", "amount"])
    checks += date_window_checks({"doc_date": "s.doc_date", "due_date": "s.due_date_given"}, window)
    checks += [
        problem_sql(f"{cell('doc_type')} IS NOT NULL AND s.doc_type IS NULL", "doc_type",
                    value_msg("doc_type", "is not a document type (INV, CRN or DBN)")),
        problem_sql(f"{cell('doc_date')} IS NOT NULL AND s.doc_date IS NULL", "doc_date", value_msg("doc_date", DATE_HINT)),
        problem_sql(f"{cell('due_date')} IS NOT NULL AND s.due_date_given IS NULL", "due_date",
                    value_msg("due_date", DATE_HINT)),
    ]
    checks += money_checks({"amount": "amount", "open_amount": "open_amount_given"})
    checks += currency_checks("currency")
    checks += [
        problem_sql(f"{cell('discount_pct')} IS NOT NULL AND (NOT regexp_full_match({cell('discount_pct')}, {q(PCT_RE)}) "
                    "OR s.discount_pct > 100)", "discount_pct",
                    value_msg("discount_pct", "is not a percentage between 0 and 100")),
        problem_sql(f"{cell('discount_days')} IS NOT NULL AND NOT regexp_full_match({cell('discount_days')}, {q(INT_RE)})",
                    "discount_days", value_msg("discount_days", "is not a whole number of days")),
        problem_sql(f"{cell('discount_pct')} IS NOT NULL AND {cell('discount_days')} IS NULL AND s.discount_pct > 0",
                    "discount_days", q("is empty but discount_pct is set; say within how many days the discount applies")),
        problem_sql(f"{cell('customer_no')} IS NOT NULL AND c.customer_no IS NULL", "customer_no",
                    "'customer \"' || " + cell("customer_no") + " || '\" is not in the customer master; import customers first'"),
        problem_sql(f"{currency} IS NOT NULL AND c.currency IS NOT NULL AND upper({currency}) <> c.currency "
                    f"AND upper({currency}) IN ({codes})", "currency",
                    "'\"' || upper(" + currency + ") || '\" differs from customer ' || c.customer_no "
                    "|| '''s currency ' || c.currency"),
        problem_sql("s.doc_type = 'CRN' AND s.amount >= 0", "amount",
                    "'credit notes carry negative amounts; got ' || CAST(s.amount AS VARCHAR)"),
        problem_sql("s.doc_type IN ('INV', 'DBN') AND s.amount <= 0", "amount",
                    "s.doc_type || ' documents carry positive amounts; got ' || CAST(s.amount AS VARCHAR) "
                    "|| CASE WHEN s.amount < 0 THEN ' (a credit note is doc_type CRN)' ELSE '' END"),
        problem_sql("s.amount IS NOT NULL AND s.open_amount_given IS NOT NULL AND s.amount <> 0 "
                    "AND (sign(s.open_amount) NOT IN (0, sign(s.amount)) OR abs(s.open_amount) > abs(s.amount))",
                    "open_amount", "'open amount ' || CAST(s.open_amount AS VARCHAR) || ' must have the sign of the "
                    "amount and not exceed it (' || CAST(s.amount AS VARCHAR) || ')'"),
        problem_sql("s.due_date < s.doc_date", "due_date",
                    "'due date ' || CAST(s.due_date AS VARCHAR) || ' is before the document date ' || CAST(s.doc_date AS VARCHAR)"),
    ]
    return checks


def item_file_checks() -> list[str]:
    return [duplicate_check("doc_no", "document")]


ITEM_FIELDS = ("doc_type", "customer_no", "doc_date", "due_date", "currency", "amount", "open_amount", "po_number",
               "discount_pct", "discount_days")


def item_diff_sql() -> str:
    return f"""
        CREATE OR REPLACE TEMP TABLE diff AS
        SELECT t.doc_no AS key,
               CASE WHEN i.doc_no IS NULL THEN 'new' WHEN i.status <> 'open' THEN 'returned' ELSE 'changed' END AS change,
               CASE WHEN i.doc_no IS NULL THEN NULL ELSE {changed_fields_sql(ITEM_FIELDS, 't', 'i')} END AS detail
        FROM typed t LEFT JOIN open_item i ON i.doc_no = t.doc_no
        WHERE i.doc_no IS NULL OR i.status <> 'open'
           OR {' OR '.join(f't.{f} IS DISTINCT FROM i.{f}' for f in ITEM_FIELDS)}
        UNION ALL
        SELECT i.doc_no, 'vanished', 'settled in the ERP (no longer in its open items)'
        FROM open_item i WHERE i.status = 'open' AND NOT EXISTS (SELECT 1 FROM typed t WHERE t.doc_no = i.doc_no)"""


def apply_items_sql(counts: dict[str, int], rows: int) -> list[str]:
    """The statements that write an items file's ``diff`` (``counts``: keys per change; ``rows``: the file's).

    Only the statements with something to do; the normalized document number is computed for the
    rows written. When every row of the file is new, no row needs looking up before it is inserted.
    """
    sets = ", ".join(f"{f} = t.{f}" for f in ITEM_FIELDS)
    statements = []
    if counts.get("changed") or counts.get("returned"):
        statements.append(
            f"""UPDATE open_item i SET {sets}, doc_no_norm = {normalize_ref_sql('t.doc_no')}, status = 'open',
                    import_id = $import_id, updated_at = $now
                FROM typed t, diff d
                WHERE t.doc_no = i.doc_no AND d.key = i.doc_no AND d.change IN ('changed', 'returned')""")
    if counts.get("new"):
        new_rows = "" if counts["new"] == rows else "WHERE t.doc_no IN (SELECT key FROM diff WHERE change = 'new')"
        statements.append(
            f"""INSERT INTO open_item (doc_no, {', '.join(ITEM_FIELDS)}, status, doc_no_norm, import_id, updated_at)
                SELECT t.doc_no, {', '.join('t.' + f for f in ITEM_FIELDS)}, 'open', {normalize_ref_sql('t.doc_no')},
                       $import_id, $now
                FROM typed t {new_rows}""")
    if counts.get("vanished"):
        statements.append("""UPDATE open_item i SET status = 'settled', import_id = $import_id, updated_at = $now
            FROM diff d WHERE d.key = i.doc_no AND d.change = 'vanished'""")
    if any(count for change, count in counts.items() if change != "new"):
        statements.append(
            "INSERT INTO master_change SELECT $import_id, 'item', key, change, detail FROM diff WHERE change <> 'new'")
    return statements


# -- staging and the import's own bookkeeping ---------------------------------------------------
STAGED_ARROW = "staged_arrow"  # the name a file's rows, read in Python, are registered under


def stage_from_arrow_sql() -> str:
    """The temp table ``stage`` from the Arrow table registered as STAGED_ARROW."""
    return f"CREATE OR REPLACE TEMP TABLE stage AS SELECT * FROM {STAGED_ARROW}"


def clean_sql(column: str) -> str:
    """A cell trimmed and NULL when blank; trim() only runs on the rare padded cell."""
    return (f"CASE WHEN {column} = '' THEN NULL WHEN {column} LIKE ' %' OR {column} LIKE '% ' "
            f"OR {column} LIKE '\t%' THEN nullif(trim({column}), '') ELSE {column} END")


def csv_stage_sql(source: str, *, names: tuple[str, ...], mapping: dict[str, int], width: int, skip: int,
                  delimiter: str, encoding: str) -> str:
    """The data rows of a CSV as raw_* text cells, read by DuckDB's own reader.

    ``source`` is a private literal path (see imports._safe_source); a view over read_csv cannot take
    a bound parameter, so it is quoted here. ``delimiter`` and ``encoding`` come from code's short lists.
    """
    columns = {f"column{i}": "VARCHAR" for i in range(width)}
    selects = ", ".join(
        f"{clean_sql(f'column{mapping[name]}')} AS \"raw_{name}\"" if name in mapping
        else f"CAST(NULL AS VARCHAR) AS \"raw_{name}\""
        for name in names
    )
    return (f"""SELECT {selects}
                FROM read_csv({q(source)}, header = false, skip = {int(skip)}, delim = {q(delimiter)}, quote = '"',
                              escape = '"', columns = {columns!r}, null_padding = true, encoding = {q(encoding)},
                              strict_mode = false, parallel = true)""")


def temp_view_sql(name: str, query: str) -> str:
    """A temp view ``name`` (from code) over ``query``."""
    return f"CREATE OR REPLACE TEMP VIEW {name} AS {query}"


def temp_table_sql(name: str, query: str) -> str:
    """A temp table ``name`` (from code) made from ``query``."""
    return f"CREATE OR REPLACE TEMP TABLE {name} AS {query}"


def drop_temp_table_sql(name: str) -> str:
    """Drop the temp table ``name`` (from code)."""
    return f"DROP TABLE IF EXISTS temp.main.{name}"


def span_sql(table: str) -> str:
    """(first rowid, rows) of a table made from a file."""
    return f"SELECT min(rowid), count(*) FROM {table}"


def numbered_sql(table: str, base: int, skip: int) -> str:
    """Rows of a table made from a file, with their data row number and file line.

    DuckDB keeps the file's row order and numbers a new table's rows consecutively from a base
    that depends on the transaction, so rowid less that base is the row number: no window
    function has to serialize a million-row read.
    """
    return f"SELECT rowid - {int(base)} + 1 AS rn, rowid - {int(base)} + {int(skip) + 1} AS line, * FROM {table}"


def problems_sql(row_checks: list[Check], file_checks: list[str], limit: int) -> str:
    """Every problem of the typed file, (rn, line, column, message), in row order, at most ``limit``."""
    query = " UNION ALL ".join(f"({c})" for c in [row_checks_sql(row_checks), *file_checks])
    return f"SELECT * FROM ({query}) ORDER BY 1, 3 LIMIT {int(limit)}"


def change_counts_sql() -> str:
    """How many keys of the temp table ``diff`` each change has."""
    return "SELECT change, count(*) FROM diff GROUP BY change ORDER BY change"


def change_samples_sql(limit: int = 10) -> str:
    """Parameter: a change; the first keys of it, for the report."""
    return f"SELECT key FROM diff WHERE change = ? ORDER BY key LIMIT {int(limit)}"
