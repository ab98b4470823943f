"""The pure linking rules: reference keys, payer comparison and the unique-candidate decision."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashbook.db import receipts_sql
from cashbook.linking import (MIN_SQUASHED_TEXT_REF, MIN_TEXT_REF, Candidate, PairEvidence, candidates,
                              decide_links, names_match, payer_name_key, payment_ref_key, text_tokens)


@pytest.mark.parametrize("ref, key", [
    ("pay 123", "PAY123"), ("PAY-123", "PAY123"), ("  Pay.123 ", "PAY123"),
    ("BACS", ""), ("bacs", ""), ("NOTPROVIDED", ""), ("Not Provided", ""), ("SEPA", ""), ("000", ""),
    (None, ""), ("", ""), ("E2E-KRS-88121", "E2EKRS88121"),
])
def test_payment_ref_key(ref: str | None, key: str) -> None:
    assert payment_ref_key(ref) == key


@pytest.mark.parametrize("text", ["PAY-123", "bacs", "Not provided", "000", "", "Rechnung 2024-0117 / Kd 4711", "ÄÖ x-1"])
def test_sql_keys_agree_with_python(text: str) -> None:
    con = duckdb.connect()
    got = con.execute(f"SELECT {receipts_sql.ref_key_sql('$t')}, {receipts_sql.tokens_sql('$t')}", {"t": text}).fetchall()[0]
    assert got == (payment_ref_key(text), text_tokens(text))


def test_text_tokens_are_whole_words() -> None:
    assert text_tokens("Ref: PAY-123, inv 9") == " REF PAY 123 INV 9 "
    assert " PAY 123 " in text_tokens("/ROC/PAY-123/") and " PAY 12 " not in text_tokens("PAY-123")


def test_payer_names_ignore_case_punctuation_and_legal_forms() -> None:
    assert payer_name_key("Thames Valley Retail Ltd.") == "THAMES VALLEY RETAIL"
    assert names_match(["ACME WIDGETS LTD", "Kranservice Süd GmbH", "Acme"],
                       ["Acme Widgets Limited", "KRANSERVICE SÜD", "Zenith Foods plc"]) == [True, True, False]
    assert names_match(["Ltd"], ["GmbH"]) == [False]  # nothing left to compare is no evidence
    assert names_match([None], ["Acme"]) == [False]


def _pair(a: int, b: int, method: str = "reference", equal: bool = True, **kw: object) -> PairEvidence:
    return PairEvidence(advice_id=a, bank_id=b, method=method, amount_equal=equal, **kw)  # type: ignore[arg-type]


def test_amount_pairs_need_the_payer() -> None:
    pairs = [
        _pair(1, 10, "amount", account_match=True),
        _pair(2, 20, "amount", payer_id_match=True),
        _pair(3, 30, "amount", advice_payer="Acme Ltd", bank_payer="ACME LIMITED"),
        _pair(4, 40, "amount", advice_payer="Acme Ltd", bank_payer="Zenith Foods"),
        _pair(5, 50, "amount"),
        _pair(6, 60, "reference", advice_payer="Acme", bank_payer="Zenith"),  # a reference needs no payer
    ]
    found = {(c.advice_id, c.bank_id): c.payer for c in candidates(pairs)}
    assert found == {(1, 10): "account", (2, 20): "payer id", (3, 30): "name", (6, 60): ""}


def test_unique_candidates_link() -> None:
    decision = decide_links([Candidate(1, 10, "reference", True), Candidate(2, 20, "amount", True)])
    assert {(c.advice_id, c.bank_id) for c in decision.links} == {(1, 10), (2, 20)}
    assert decision.ambiguous == {}


def test_two_bank_entries_for_one_advice_link_nothing() -> None:
    decision = decide_links([Candidate(1, 10, "amount", True), Candidate(1, 11, "amount", True)])
    assert decision.links == ()
    assert decision.ambiguous == {("advice", 1): (10, 11)}


def test_two_advices_for_one_bank_entry_link_nothing() -> None:
    decision = decide_links([Candidate(1, 10, "amount", True), Candidate(2, 10, "amount", True)])
    assert decision.links == ()
    assert decision.ambiguous == {("bank", 10): (1, 2)}


def test_reference_beats_amount_and_equal_amount_breaks_ties() -> None:
    decision = decide_links([
        Candidate(1, 10, "reference", False), Candidate(1, 11, "amount", True),  # the reference wins
        Candidate(2, 20, "reference", False), Candidate(2, 21, "reference", True),  # same ref twice: the amount decides
    ])
    assert sorted((c.advice_id, c.bank_id) for c in decision.links) == [(1, 10), (2, 21)]


def test_a_bank_entry_taken_by_a_reference_is_not_linked_by_amount() -> None:
    # advice 2 only fits bank 10 by amount, but bank 10's best is advice 1 by reference
    decision = decide_links([Candidate(1, 10, "reference", True), Candidate(2, 10, "amount", True)])
    assert [(c.advice_id, c.bank_id) for c in decision.links] == [(1, 10)]


@given(st.lists(st.tuples(st.integers(1, 6), st.integers(10, 16), st.sampled_from(["reference", "amount"])),
                max_size=25), st.randoms())
def test_decision_does_not_depend_on_input_order(raw: list, rnd) -> None:
    found = [Candidate(a, b, m, (a * b) % 3 == 0) for a, b, m in raw]  # equal amounts are a property of the pair
    shuffled = list(found)
    rnd.shuffle(shuffled)
    first, second = decide_links(found), decide_links(shuffled)
    key = lambda d: sorted((c.advice_id, c.bank_id) for c in d.links)  # noqa: E731
    assert key(first) == key(second)
    links = key(first)
    assert len({a for a, _ in links}) == len(links) and len({b for _, b in links}) == len(links)


_WORDS = ["PAY", "123", "INV", "2024", "0117", "ACME", "KD", "4711", "RE", "X", "ZX", "99812", "AB12CD34", "E2E"]


@settings(deadline=None, max_examples=60)  # a DuckDB connection per example: slow on a busy machine
@given(st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4), min_size=1, max_size=12),
       st.lists(st.lists(st.sampled_from(_WORDS), max_size=8), min_size=1, max_size=12),
       st.lists(st.sampled_from(["-", " ", "/", "", "."]), min_size=1, max_size=3))
def test_text_search_finds_what_comparing_every_pair_finds(refs: list, texts: list, seps: list) -> None:
    """The term index (words, n-grams) behind the text search loses nothing and adds nothing."""
    advices = [(i, seps[i % len(seps)].join(words)) for i, words in enumerate(refs)]
    banks = [(100 + i, " ".join(words) if i % 2 else "/".join(words)) for i, words in enumerate(texts)]
    con = duckdb.connect()
    con.execute("CREATE TABLE payment_ref_in (source_id BIGINT, payment_ref VARCHAR)")
    con.execute("CREATE TABLE bank_text_in (source_id BIGINT, bank_text VARCHAR)")
    con.executemany("INSERT INTO payment_ref_in VALUES (?, ?)", advices)
    con.executemany("INSERT INTO bank_text_in VALUES (?, ?)", banks)
    common = ("DATE '2024-03-01' AS value_date, 1.00::DECIMAL(18,2) AS amount, 'EUR' AS currency, "
              "NULL::VARCHAR AS payer_name, '' AS payer_account_key, '' AS payer_id_key, 0 AS import_id")
    con.execute(f"""CREATE TEMP TABLE open_advice AS
        SELECT source_id, payment_ref, {receipts_sql.ref_key_sql('payment_ref')} AS ref_key, '' AS bank_ref_key,
               '' AS text_tokens, {receipts_sql.tokens_sql('payment_ref')} AS ref_tokens, {common}
        FROM payment_ref_in""")
    con.execute(f"""CREATE TEMP TABLE open_bank AS
        SELECT source_id, NULL AS payment_ref, '' AS ref_key, '' AS bank_ref_key, t AS text_tokens,
               replace(t, ' ', '') AS text_squashed, {common}
        FROM (SELECT source_id, {receipts_sql.tokens_sql('bank_text')} AS t FROM bank_text_in)""")
    for statement in receipts_sql.text_terms_sql():
        con.execute(statement)
    found = set(con.execute(f"SELECT advice_id, bank_id FROM ({receipts_sql.pairs_sql()})", {"days": 5}).fetchall())
    expected = set()
    for a, ref in advices:
        key = payment_ref_key(ref)
        for b, text in banks:
            tokens = text_tokens(text)
            if len(key) >= MIN_TEXT_REF and (text_tokens(ref) in tokens or
                                             (len(key) >= MIN_SQUASHED_TEXT_REF and key in tokens.replace(" ", ""))):
                expected.add((a, b))
    assert found == expected
