"""SQL for named customer hierarchies: current and as-of members, trees with paths, group items, aging, search.

Every builder returns text with named parameters (``$group``, ``$as_of``, ``$today``...); the
trees are derived from parent links by a recursive query, never stored, so a move touches one row.
"""

from __future__ import annotations

MEMBER_COLUMNS = "group_id, group_name, customer_no, parent_customer_no, is_primary"
MAX_DEPTH = 10_000  # a guard for the recursive query; validated trees never come near it
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90")


def validity_sql(as_of: bool, alias: str = "") -> str:
    """The rows valid now (``valid_to IS NULL``) or at ``$as_of``."""
    a = f"{alias}." if alias else ""
    if not as_of:
        return f"{a}valid_to IS NULL"
    return f"{a}valid_from <= $as_of AND ({a}valid_to IS NULL OR {a}valid_to > $as_of)"


def members_sql(as_of: bool = False) -> str:
    """Every group member now (or at ``$as_of``): the join target for anything group-aware."""
    return f"SELECT {MEMBER_COLUMNS} FROM group_member WHERE {validity_sql(as_of)}"


def groups_sql(as_of: bool = False) -> str:
    return f"SELECT group_id, group_name, valid_from FROM customer_group WHERE {validity_sql(as_of)}"


def scope_sql() -> str:
    """Every member of ``$customer_no``'s group, or the customer alone when it is in no group."""
    return """
        WITH g AS (SELECT group_id FROM group_member WHERE valid_to IS NULL AND customer_no = $customer_no)
        SELECT customer_no FROM group_member
        WHERE valid_to IS NULL AND group_id IN (SELECT group_id FROM g)
        UNION ALL
        SELECT $customer_no WHERE NOT EXISTS (SELECT 1 FROM g)
        ORDER BY 1"""


def scope_pairs_sql() -> str:
    """(payer_no, member_no) for every current group member and each member of its group, for set-wise joins.

    A payer in no group has no rows: join with LEFT JOIN and coalesce(member_no, payer_no).
    """
    return """
        SELECT a.customer_no AS payer_no, b.customer_no AS member_no
        FROM group_member a JOIN group_member b ON b.group_id = a.group_id
        WHERE a.valid_to IS NULL AND b.valid_to IS NULL"""


def open_items_sql() -> str:
    """Open items and the amount still open on each: the one source of balances (the ledger will replace it)."""
    return """
        SELECT doc_no, doc_type, customer_no, doc_date, due_date, currency, amount, open_amount
        FROM open_item WHERE status = 'open'"""


def tree_cte_sql(as_of: bool = False) -> str:
    """CTEs ``m`` (members of ``$group``) and ``t`` (each with depth from 1 and its path as a list)."""
    return f"""
        WITH RECURSIVE m AS (
            SELECT customer_no, parent_customer_no, is_primary FROM group_member
            WHERE group_name = $group AND {validity_sql(as_of)}
        ),
        t AS (
            SELECT customer_no, parent_customer_no, is_primary, 1 AS depth, [customer_no] AS path_list
            FROM m WHERE parent_customer_no IS NULL
            UNION ALL
            SELECT m.customer_no, m.parent_customer_no, m.is_primary, t.depth + 1,
                   list_append(t.path_list, m.customer_no)
            FROM m JOIN t ON m.parent_customer_no = t.customer_no
            WHERE t.depth < {MAX_DEPTH}
        )"""


def tree_sql(as_of: bool = False) -> str:
    """The members of ``$group`` in tree order, with name, depth, path and own balance."""
    return f"""{tree_cte_sql(as_of)}
        SELECT t.customer_no, c.name, t.parent_customer_no AS parent, t.depth,
               array_to_string(t.path_list, ' / ') AS path, t.is_primary, c.currency,
               coalesce(b.balance, CAST(0 AS DECIMAL(18,2))) AS balance, coalesce(b.items, 0) AS open_items
        FROM t
        LEFT JOIN customer c ON c.customer_no = t.customer_no
        LEFT JOIN (SELECT customer_no, CAST(sum(open_amount) AS DECIMAL(18,2)) AS balance, count(*) AS items
                   FROM ({open_items_sql()}) WHERE customer_no IN (SELECT customer_no FROM m)
                   GROUP BY customer_no) b ON b.customer_no = t.customer_no
        ORDER BY t.path_list"""


def days_overdue_sql(due: str) -> str:
    return f"greatest(date_diff('day', {due}, CAST($today AS DATE)), 0)"


def bucket_sql(days: str) -> str:
    return (f"CASE WHEN {days} <= 0 THEN 'current' WHEN {days} <= 30 THEN '1-30' WHEN {days} <= 60 THEN '31-60' "
            f"WHEN {days} <= 90 THEN '61-90' ELSE 'over 90' END")


GROUP_ITEM_COLUMNS = ("doc_no", "doc_type", "customer_no", "member_path", "depth", "doc_date", "due_date", "currency",
                      "amount", "open_amount", "days_overdue", "aging_bucket")


def member_paths_sql() -> str:
    """The members of ``$group`` in tree order, with depth and path text."""
    return f"""{tree_cte_sql()}
        SELECT customer_no, depth, array_to_string(path_list, ' / ') AS member_path FROM t ORDER BY path_list"""


def group_open_items_sql() -> str:
    """Open items of every current member of ``$group``, aged at ``$today``.

    A semi-join on the member set, without the tree: carrying each member's path through the
    join costs more than the join itself, so the caller attaches paths to the members afterwards.
    """
    days = days_overdue_sql("i.due_date")
    return f"""
        SELECT i.doc_no, i.doc_type, i.customer_no, i.doc_date, i.due_date, i.currency, i.amount, i.open_amount,
               {days} AS days_overdue, {bucket_sql(days)} AS aging_bucket
        FROM ({open_items_sql()}) i
        WHERE i.customer_no IN (SELECT customer_no FROM group_member WHERE group_name = $group AND valid_to IS NULL)"""


def aging_sql() -> str:
    """The balance of ``$group`` and its aging buckets, one row per currency."""
    days = days_overdue_sql("i.due_date")
    buckets = ", ".join(
        f"coalesce(sum(i.open_amount) FILTER (WHERE {bucket_sql(days)} = '{name}'), 0) AS \"{name}\""
        for name in AGING_BUCKETS)
    return f"""{tree_cte_sql()}
        SELECT i.currency, coalesce(sum(i.open_amount), 0) AS balance, {buckets}, count(*) AS items
        FROM t JOIN ({open_items_sql()}) i ON i.customer_no = t.customer_no
        GROUP BY i.currency ORDER BY i.currency"""


def search_number_sql() -> str:
    return f"""
        SELECT c.customer_no, c.name, m.group_name FROM customer c
        LEFT JOIN ({members_sql()}) m ON m.customer_no = c.customer_no
        WHERE upper(c.customer_no) = upper($text)"""


def search_account_sql() -> str:
    return f"""
        SELECT DISTINCT c.customer_no, c.name, m.group_name FROM customer_bank_account b
        JOIN customer c ON c.customer_no = b.customer_no
        LEFT JOIN ({members_sql()}) m ON m.customer_no = c.customer_no
        WHERE b.account_norm = $account"""


def search_names_sql() -> str:
    return f"""
        SELECT c.customer_no, c.name, m.group_name FROM customer c
        LEFT JOIN ({members_sql()}) m ON m.customer_no = c.customer_no
        ORDER BY c.customer_no"""


def group_primaries_sql() -> str:
    return f"""
        SELECT g.group_name, m.customer_no, c.name FROM ({groups_sql()}) g
        LEFT JOIN ({members_sql()}) m ON m.group_id = g.group_id AND m.is_primary
        LEFT JOIN customer c ON c.customer_no = m.customer_no
        ORDER BY g.group_name"""


def group_list_sql() -> str:
    return f"""
        SELECT g.group_name AS "group", g.group_id, count(m.customer_no) AS members,
               max(m.customer_no) FILTER (WHERE m.is_primary) AS "primary", g.valid_from AS since
        FROM ({groups_sql()}) g LEFT JOIN ({members_sql()}) m ON m.group_id = g.group_id
        GROUP BY ALL ORDER BY g.group_name"""


def export_rows_sql(as_of: bool) -> str:
    """The canonical file's rows: group, customer, parent, primary; parents before children."""
    return f"""
        WITH RECURSIVE m AS ({members_sql(as_of)}),
        t AS (
            SELECT group_name, customer_no, parent_customer_no, is_primary, [customer_no] AS path_list
            FROM m WHERE parent_customer_no IS NULL
            UNION ALL
            SELECT m.group_name, m.customer_no, m.parent_customer_no, m.is_primary,
                   list_append(t.path_list, m.customer_no)
            FROM m JOIN t ON m.group_name = t.group_name AND m.parent_customer_no = t.customer_no
            WHERE len(t.path_list) < {MAX_DEPTH}
        )
        SELECT group_name, customer_no, parent_customer_no, is_primary FROM t ORDER BY group_name, path_list"""


def audit_sql(by_group: bool) -> str:
    where = "WHERE group_id IN (SELECT group_id FROM customer_group WHERE group_name = $group)" if by_group else ""
    return f"""
        SELECT audit_id, changed_at, changed_by, action, group_name AS "group", customer_no, before, after, import_id
        FROM hierarchy_audit {where} ORDER BY audit_id"""


def close_members_sql() -> str:
    """Close the current rows of the members listed in the registered table ``closing`` (group_id, customer_no)."""
    return """
        UPDATE group_member g SET valid_to = $now
        FROM closing c
        WHERE g.valid_to IS NULL AND g.group_id = c.group_id AND g.customer_no = c.customer_no"""


def insert_members_sql() -> str:
    """Append the rows of the registered table ``opening`` as current members."""
    return """
        INSERT INTO group_member (group_id, group_name, customer_no, parent_customer_no, is_primary,
                                  valid_from, valid_to, changed_by, import_id)
        SELECT group_id, group_name, customer_no, parent_customer_no, is_primary, $now, NULL, $user,
               CAST($import_id AS INTEGER)
        FROM opening"""


def insert_audit_sql() -> str:
    """Append the registered table ``audit_rows``, numbered after the last audit entry."""
    return """
        INSERT INTO hierarchy_audit
        SELECT (SELECT coalesce(max(audit_id), 0) FROM hierarchy_audit) + ord, $now, $user, action, group_id,
               group_name, customer_no, before, after, CAST($import_id AS INTEGER)
        FROM audit_rows"""


def master_sync_sql() -> str:
    """Current members that a customers import (temp tables ``diff`` and ``typed``) drops or re-parents."""
    return f"""
        SELECT m.group_name, m.customer_no, 'vanished' AS change, NULL AS old_parent, NULL AS new_parent
        FROM ({members_sql()}) m JOIN diff d ON d.key = m.customer_no AND d.change = 'vanished'
        UNION ALL
        SELECT m.group_name, m.customer_no, 'parent', c.parent_no, t.parent_no
        FROM ({members_sql()}) m JOIN customer c ON c.customer_no = m.customer_no
        JOIN typed t ON t.customer_no = m.customer_no
        WHERE c.parent_no IS DISTINCT FROM t.parent_no
        ORDER BY 1, 2"""


def insert_file_rows_sql(source: str) -> str:
    """The rows of a hierarchy file as imported (``source``: a registered Arrow table), for import ``?``."""
    return f"INSERT INTO hierarchy_row SELECT group_name, customer_no, parent_customer_no, is_primary, ? FROM {source}"


def groups_named_sql() -> str:
    """Parameter: a name; current groups of that name in any case, as (group_id, group_name)."""
    return ("SELECT group_id, group_name FROM customer_group WHERE valid_to IS NULL "
            "AND lower(group_name) = lower(?)")


def group_names_sql() -> str:
    """The names of the current groups."""
    return "SELECT group_name FROM customer_group WHERE valid_to IS NULL"


def group_of_sql() -> str:
    """Parameter: customer number; the name of its current group."""
    return "SELECT group_name FROM group_member WHERE valid_to IS NULL AND customer_no = ?"


def groups_of_sql() -> str:
    """Parameter: a list of customer numbers; (customer_no, group_name) of those in a group now."""
    return f"SELECT customer_no, group_name FROM ({members_sql()}) WHERE customer_no IN (SELECT unnest(?))"


def primary_of_sql() -> str:
    """Parameter: customer number; the primary of its current group."""
    return ("SELECT p.customer_no FROM group_member m JOIN group_member p ON p.group_id = m.group_id "
            "AND p.valid_to IS NULL AND p.is_primary WHERE m.valid_to IS NULL AND m.customer_no = ?")


def known_customers_sql() -> str:
    """Parameter: a list of customer numbers; those the master holds."""
    return "SELECT customer_no FROM customer WHERE customer_no IN (SELECT unnest(?))"


def last_change_sql() -> str:
    return "SELECT max(changed_at) FROM hierarchy_audit"


def next_group_id_sql() -> str:
    return "SELECT coalesce(max(group_id), 0) + 1 FROM customer_group"


def insert_group_sql() -> str:
    """Parameters: group id, name, valid from, by whom, import id."""
    return "INSERT INTO customer_group VALUES (?, ?, ?, NULL, ?, ?)"


def close_group_sql() -> str:
    """Parameters ``$now``, ``$gid``: the group's current row ends."""
    return "UPDATE customer_group SET valid_to = $now WHERE group_id = $gid AND valid_to IS NULL"


def close_group_members_sql() -> str:
    """Parameters ``$now``, ``$gid``: every current member row of the group ends."""
    return "UPDATE group_member SET valid_to = $now WHERE group_id = $gid AND valid_to IS NULL"


def renamed_members_sql() -> str:
    """Parameters ``$new``, ``$now``, ``$user``, ``$gid``: the members just closed, again under the group's new name."""
    return ("INSERT INTO group_member (group_id, group_name, customer_no, parent_customer_no, is_primary, "
            "valid_from, valid_to, changed_by, import_id) "
            "SELECT group_id, $new, customer_no, parent_customer_no, is_primary, $now, NULL, $user, NULL "
            "FROM group_member WHERE group_id = $gid AND valid_to = $now")


def staged_rows_sql() -> str:
    """The staged hierarchy file's rows (temp table ``stage``) in file order."""
    return "SELECT * FROM stage ORDER BY rn"
