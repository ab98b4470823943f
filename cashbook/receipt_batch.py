"""Writing one command's remittance files: one transaction, one pass of linking and merging over them all.

Per file, the work of an import was some twenty statements over the whole workspace (open
sources, text index, candidate pairs, merge...), so a day's folder of hundreds of files paid it
hundreds of times. Here the staged files are written together and every step runs once over the
batch's import ids (``batch_import``); each file keeps its own import id, report and summary. The
decisions are those of ``cashbook.linking``, taken over every candidate pair at once: a link never
depends on the order the files were given in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from cashbook import linking
from cashbook.batches import ImportReport, next_import_ids, previous_imports, record_imports
from cashbook.db import Database
from cashbook.db import receipts_sql as sql
from cashbook.money import format_money
from cashbook.receipt_staging import PreparedFile, RemittanceReport

MAX_NOTES = 20
Step = Callable[[float, str], None]


def write_files(db: Database, files: Sequence[tuple[PreparedFile, RemittanceReport]], *, user: str, link_days: int,
                progress: Step | None = None) -> None:
    """Write every staged file in one transaction and fill in each file's report.

    Files imported before (by digest), also by another clerk while this one was parsing, become
    no-ops. Interrupted or failing, the transaction rolls back: the workspace is as before.
    """
    step = progress or (lambda fraction, text: None)
    with db.transaction():
        done = previous_imports(db, "remittance", [f.sha256 for f, _ in files])
        todo: list[tuple[PreparedFile, RemittanceReport]] = []
        for prepared, report in files:
            if prepared.sha256 in done:  # another clerk's import of the same file won the race
                report.noop, report.message = True, done[prepared.sha256]
            else:
                todo.append((prepared, report))
        if not todo:
            return
        ids = next_import_ids(db, len(todo))
        by_id: dict[int, RemittanceReport] = {}
        for import_id, (_, report) in zip(ids, todo):
            report.import_id = import_id
            by_id[import_id] = report
        db.rows(sql.batch_import_sql(), {"ids": ids})
        step(0.1, f"writing {sum(f.rows for f, _ in todo):,} payments of {len(todo)} files")
        _write_sources(db, [(f, r.import_id) for f, r in todo])  # type: ignore[misc]
        step(0.4, "linking advices to bank entries")
        _link_and_merge(db, by_id, link_days, step)
        summaries = []
        for prepared, report in todo:
            summary = {"counts": {"payments": report.payments, "lines": report.line_count, "links": report.links,
                                  "new_receipts": report.new_receipts, "attached": report.attached,
                                  **{f"skipped_{k}": v for k, v in report.skipped.items()}},
                       "warnings": report.warnings + report.notes}
            batch = ImportReport(kind="remittance", file=prepared.file, sha256=prepared.sha256, rows=prepared.rows,
                                 format=prepared.format)
            summaries.append((report.import_id, batch, summary))
        record_imports(db, summaries, user, datetime.now().replace(microsecond=0))  # type: ignore[arg-type]
        step(1.0, "done")


def _write_sources(db: Database, files: Sequence[tuple[PreparedFile, int]]) -> None:
    """Every file's staged payments and lines, numbered across the batch, in one insert each."""
    sources, lines = [], []
    offset = 0
    for prepared, import_id in files:
        staged = prepared.staged
        assert staged is not None  # refused files never reach the writer
        n = staged.sources.num_rows
        sources.append(staged.sources.append_column("import_id", pa.array([import_id] * n, pa.int32()))
                       .append_column("row", pa.array(range(offset + 1, offset + n + 1), pa.int64())))
        rows = pc.add(staged.lines.column("seq").cast(pa.int64()), offset)
        lines.append(staged.lines.append_column("row", rows))
        offset += n
    base = int(db.rows(sql.max_source_id_sql())[0][0])
    with db.registered("staged_source", pa.concat_tables(sources)), db.registered("staged_line", pa.concat_tables(lines)):
        db.rows(sql.insert_sources_sql(), {"base": base})
        db.rows(sql.insert_source_lines_sql(), {"base": base})
    db.rows(sql.mark_duplicates_sql())
    db.rows(sql.mark_repeats_in_file_sql())


def _pair_evidence(rows: Sequence[tuple]) -> list[linking.PairEvidence]:
    return [linking.PairEvidence(advice_id=int(a), bank_id=int(b), amount_equal=bool(eq), account_match=bool(acc),
                                 payer_id_match=bool(pid), advice_payer=an, bank_payer=bn, method=method)
            for a, b, eq, acc, pid, an, bn, method in rows]


def _link_and_merge(db: Database, by_id: dict[int, RemittanceReport], days: int, step: Step) -> None:
    for statement in (*sql.open_sources_sql(), *sql.text_terms_sql()):
        db.rows(statement)
    db.rows(sql.create_pairs_sql(), {"days": days})
    decision = linking.decide_links(linking.candidates(_pair_evidence(db.rows(sql.involved_pairs_sql()))))
    file_of = {int(s): int(i) for s, i in db.rows(sql.batch_sources_sql())}
    links = [c for c in decision.links if c.advice_id in file_of or c.bank_id in file_of]
    differ: dict[int, list[linking.Candidate]] = defaultdict(list)
    for c in links:  # a link is the later file's: the one that found its other half already there
        owner = max(i for i in (file_of.get(c.advice_id), file_of.get(c.bank_id)) if i is not None)
        report = by_id[owner]
        report.links += 1
        report.attached += file_of.get(c.advice_id) != file_of.get(c.bank_id)
        if not c.amount_equal:
            differ[owner].append(c)
    _note_ambiguities(db, by_id, decision, file_of)
    _warn_amounts_differ(db, by_id, differ)
    step(0.6, "merging receipts")
    link = pa.table({"advice_id": pa.array([c.advice_id for c in links], pa.int64()),
                     "bank_id": pa.array([c.bank_id for c in links], pa.int64())})
    with db.registered("link_arrow", link):
        db.rows(sql.link_table_sql())
    db.rows(sql.assign_sql(), {"base": int(db.rows(sql.max_receipt_id_sql())[0][0])})
    db.rows(sql.set_source_receipts_sql())
    db.rows(sql.repeat_receipts_sql())
    _warn_repeats(db, by_id)
    db.rows(sql.merged_sql())
    db.rows(sql.relined_sql())
    for receipt_id, status, import_id in db.rows(sql.attached_to_decided_sql()):
        by_id[int(import_id)].warnings.append(f"receipt #{receipt_id} was already {status} when this file's payment "
                                              f"joined it; review its allocations")
    for statement in sql.update_receipts_sql():
        db.rows(statement)
    db.rows(sql.insert_receipts_sql())
    step(0.8, "writing remittance lines")
    db.rows(sql.delete_lines_sql())
    db.rows(sql.insert_lines_sql())
    for import_id, payments, lines, duplicates in db.rows(sql.batch_counts_sql()):
        report = by_id[int(import_id)]
        report.payments, report.line_count = int(payments), int(lines)
        if duplicates:
            report.skipped["duplicates"] = int(duplicates)
    for import_id, count in db.rows(sql.new_receipts_sql()):
        by_id[int(import_id)].new_receipts = int(count)


def _places(db: Database, ids: set[int]) -> dict[int, tuple[str, object, str]]:
    """(file and location, amount, file, location and reference) of some sources, for the notes."""
    if not ids:
        return {}
    return {int(sid): (where, amount, named) for sid, where, amount, named in
            db.rows(sql.source_places_sql(), {"ids": sorted(ids)})}


def _warn_amounts_differ(db: Database, by_id: dict[int, RemittanceReport],
                         differ: dict[int, list[linking.Candidate]]) -> None:
    """An advice linked to a bank entry of another amount (a bank charge, a total its lines miss) is kept
    linked, and the clerk is told: matching trusts the cash on the bank and the documents named."""
    found = _places(db, {i for links in differ.values() for c in links[:MAX_NOTES] for i in (c.advice_id, c.bank_id)})
    for import_id, links in differ.items():
        report = by_id[import_id]
        for c in links[:MAX_NOTES]:
            (advice, advice_amount, _), (bank, bank_amount, _) = found[c.advice_id], found[c.bank_id]
            if advice_amount is None or bank_amount is None:
                continue
            gap = advice_amount - bank_amount  # type: ignore[operator]
            report.warnings.append(
                f"advice {advice} says {advice_amount:,.2f} but its bank entry {bank} brought {bank_amount:,.2f} "
                f"({'short' if gap > 0 else 'over'} by {abs(gap):,.2f}{', a bank charge?' if 0 < gap <= 50 else ''}); "
                f"linked: matching goes by the cash on the bank")
        if len(links) > MAX_NOTES:
            report.warnings.append(f"{len(links) - MAX_NOTES} more advices linked to bank entries of another amount")


def _warn_repeats(db: Database, by_id: dict[int, RemittanceReport]) -> None:
    """Say which bank entries a file lists more than once: each was imported once."""
    per_file: dict[int, list[tuple]] = defaultdict(list)
    for import_id, *row in db.rows(sql.repeats_in_file_sql()):
        per_file[int(import_id)].append(tuple(row))
    for import_id, rows in per_file.items():
        report = by_id[import_id]
        for location, bank_ref, amount, value_date, repeats in rows[:MAX_NOTES]:
            where = ", ".join(repeats[:5]) + (f" and {len(repeats) - 5} more" if len(repeats) > 5 else "")
            report.warnings.append(
                f"{report.file}: the bank entry at {location} (bank reference {bank_ref}, {format_money(amount)} on "
                f"{value_date}) is listed {len(repeats) + 1} times in this file ({where} repeat it); it is one receipt")
        if len(rows) > MAX_NOTES:
            report.warnings.append(f"{report.file}: {len(rows) - MAX_NOTES} more bank entries are listed more than once")


def _note_ambiguities(db: Database, by_id: dict[int, RemittanceReport], decision: linking.LinkDecision,
                      file_of: dict[int, int]) -> None:
    """Say, in each file whose new payment is concerned, which were not linked because more than one counterpart fitted."""
    per_file: dict[int, list[tuple[str, int, tuple[int, ...]]]] = defaultdict(list)
    for (kind, sid), others in sorted(decision.ambiguous.items()):
        for import_id in sorted({file_of[i] for i in (sid, *others) if i in file_of}):
            per_file[import_id].append((kind, sid, others))
    wanted = {i for relevant in per_file.values() for _, sid, others in relevant[:MAX_NOTES] for i in (sid, *others[:5])}
    where = {sid: named for sid, (_, _, named) in _places(db, wanted).items()}
    for import_id, relevant in per_file.items():
        report = by_id[import_id]
        for kind, sid, others in relevant[:MAX_NOTES]:
            other_kind = "bank entries" if kind == "advice" else "advices"
            named = "; ".join(where.get(o, str(o)) for o in others[:5]) + (" ..." if len(others) > 5 else "")
            report.notes.append(f"{kind} {where.get(sid, sid)} not linked: {len(others)} {other_kind} fit ({named})")
        if len(relevant) > MAX_NOTES:
            report.notes.append(f"{len(relevant) - MAX_NOTES} more payments not linked for the same reason")
