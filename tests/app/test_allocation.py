"""Cash allocation: run matching, open a receipt, accept its proposals, apply by hand, put the rest on account."""

from __future__ import annotations

from decimal import Decimal

from tests.app.conftest import USER, texts, workspace


def _matched(app):
    at = app()
    at.button(key="alloc_run").click().run()
    assert not at.exception
    return at


def test_run_matching_fills_the_queue(app):
    at = _matched(app)
    assert "matched" in texts(at) or "nothing to match" in texts(at)
    assert "suggested" in texts(at)


def test_accept_the_proposals_of_a_receipt(app, demo_workspace):
    _matched(app)
    ws = workspace(demo_workspace)
    waiting = ws.matching.proposals(status="suggested")
    assert waiting, "the demo always leaves suggestions for a clerk"
    rid = waiting[0].receipt_id
    at = app()
    at.text_input(key="alloc_search").input(f"#{rid}").run()
    assert f"Receipt #{rid}" in texts(at)
    at.button(key="alloc_accept").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Accepted" in texts(at)
    assert not ws.matching.proposals(rid, status="suggested")
    entries = ws.db.rows("SELECT DISTINCT created_by FROM allocation_entry WHERE receipt_id = ? AND rule <> 'manual'",
                         [rid])
    assert (USER,) in entries  # the clerk's name from the sidebar is on the ledger entries


def test_reject_then_apply_by_hand_and_put_the_rest_on_account(app, demo_workspace):
    _matched(app)
    ws = workspace(demo_workspace)
    waiting = ws.matching.proposals(status="suggested")
    doc_proposals = [p for p in waiting if p.kind == "document" and p.doc_no]
    assert doc_proposals
    proposal = doc_proposals[0]
    rid = proposal.receipt_id
    at = app()
    at.text_input(key="alloc_search").input(f"#{rid}").run()
    at.button(key="alloc_reject").click().run()
    assert "Rejected" in texts(at)
    part = Decimal("10.00")
    at.text_input(key="alloc_doc").input(proposal.doc_no)
    at.text_input(key="alloc_amount").input(str(part))
    at.button(key="FormSubmitter:alloc_manual_form-Apply").click().run()
    assert not at.error, [e.value for e in at.error]
    assert f"Applied {part:,.2f}" in texts(at)
    at.button(key="alloc_on_account").click().run()
    assert not at.error, [e.value for e in at.error]
    summary = ws.db.one("SELECT status FROM receipt WHERE receipt_id = ?", [rid])
    assert summary[0] in ("applied", "on_account")


def test_queue_filters_run_in_sql(app):
    at = _matched(app)
    at.selectbox(key="alloc_status").select("applied").run()
    at.text_input(key="alloc_payer").input("Shared Services").run()
    assert not at.exception
    assert "rows" in texts(at)


def test_unknown_reference_is_said_plainly(app):
    at = app()
    at.text_input(key="alloc_search").input("NO-SUCH-REF").run()
    assert any("No receipt fits" in w.value for w in at.warning)
