"""Roles through the service API: what a clerk, a supervisor and an admin may do, and the refusals naming the role."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from cashbook.access import Role
from cashbook.errors import AccessRefused, AllocationError, SignInRefused
from cashbook.formats import camt
from cashbook.formats.base import ParsedPayment
from cashbook.service import Workspace
from tests.test_ledger_service import CUSTOMERS, ITEMS, TODAY, make_world

PASSWORDS = {"ada": "admin-pass-1", "alice": "clerk-pass-1", "cleo": "clerk-pass-2", "sam": "super-pass-1"}


@pytest.fixture()
def team(tmp_path: Path):
    """The small world of the ledger tests, then a team: ada (admin), alice and cleo (clerks), sam (supervisor)."""
    path = tmp_path / "ws.duckdb"
    make_world(path).close()
    with Workspace.open(path, user="ada") as ws:
        ws.users.add("ada", "admin", PASSWORDS["ada"])
    with Workspace.open(path, user="ada") as ws:
        ws.users.add("alice", Role.CLERK, PASSWORDS["alice"])
        ws.users.add("cleo", "clerk", PASSWORDS["cleo"])
        ws.users.add("sam", "supervisor", PASSWORDS["sam"])
    opened: dict[str, Workspace] = {}

    def as_user(name: str) -> Workspace:
        if name not in opened:
            opened[name] = Workspace.open(path, user=name)
        return opened[name]

    yield as_user
    for ws in opened.values():
        ws.close()


def refused(role: str):
    return pytest.raises(AccessRefused, match=f"needs the {role} role")


def test_without_users_nothing_is_refused_and_the_tolerance_still_holds(tmp_path: Path) -> None:
    with make_world(tmp_path / "ws.duckdb", user="solo") as ws:
        assert ws.role is None and ws.may(Role.ADMIN)
        ws.set_setting("link_days", "4")
        ws.allocation.apply_manual("PAY1", "INV1", D("500.00"))
        ws.allocation.unapply("PAY1")
        with pytest.raises(AllocationError, match="over the tolerance"):  # as before users existed
            ws.allocation.apply_manual("PAY1", "INV2", D("250.00"), write_off=D("50.00"))


def test_the_first_user_must_be_an_admin(tmp_path: Path) -> None:
    with make_world(tmp_path / "ws.duckdb", user="solo") as ws:
        with pytest.raises(AccessRefused, match="first user of a workspace must be an admin"):
            ws.users.add("alice", "clerk", PASSWORDS["alice"])
        with pytest.raises(AccessRefused, match="at least 8 characters"):
            ws.users.add("ada", "admin", "short")
        assert ws.users.add("ada", "admin", PASSWORDS["ada"]).role is Role.ADMIN
        with pytest.raises(AccessRefused, match="adding a user needs a admin|not an active user"):
            ws.users.add("bob", "clerk")  # "solo" is no user now
    with pytest.raises(AccessRefused, match="'solo' is not an active one"):
        Workspace.open(tmp_path / "ws.duckdb", user="solo")


def test_clerk_does_a_clerks_work(team) -> None:
    alice = team("alice")
    payment = ParsedPayment("bank", "PAY7", TODAY, D("300.00"), "GBP", payer_name="Acme Group", payer_account="GB11AAAA")
    [report] = alice.receipts.import_files([(camt.render([payment]), "bank2.xml")])
    assert report.ok and report.new_receipts == 1
    alice.allocation.apply_manual("PAY1", "INV1", D("480.00"), deduction=D("20.00"), reason_code="DAMAGED")
    alice.allocation.apply_manual("PAY1", "INV2", D("297.00"), write_off=D("3.00"))  # within 1 % of 300.00
    alice.credits.apply("CRN1", "INV3", D("100.00"))
    alice.allocation.unidentified("PAY3")
    alice.allocation.on_account("PAY2")
    alice.allocation.unapply("PAY2")  # her own allocation of today
    [deduction] = alice.credits.deductions()
    with refused("supervisor"):  # 20.00 is over the 5.00 tolerance of a 500.00 invoice
        alice.credits.resolve_deduction(deduction["deduction_id"], "write_off")
    alice.credits.resolve_deduction(deduction["deduction_id"], "rebill", new_doc_no="DBN1")
    entry = alice.ledger.ledger.entries(doc_no="INV2")[0]
    assert entry.created_by == "alice"
    alice.matching.run()
    assert alice.ledger.verify() == []


def test_clerk_is_refused_a_supervisors_work(team, tmp_path: Path) -> None:
    alice, cleo = team("alice"), team("cleo")
    cleo.allocation.apply_manual("PAY1", "INV1", D("100.00"))
    with pytest.raises(AccessRefused, match="unapplying allocations by cleo needs the supervisor role; alice is a clerk"):
        alice.allocation.unapply("PAY1")
    with refused("supervisor"):
        alice.allocation.apply_manual("PAY1", "INV2", D("250.00"), write_off=D("50.00"))
    with refused("supervisor"):
        alice.credits.refund("CRN1", D("10.00"))
    with refused("supervisor"):
        alice.hierarchy.add("C3", "Acme", parent="C1")
    with refused("supervisor"):
        alice.import_hierarchy(b"group_name,customer_no,parent_customer_no,is_primary\nOther,C3,,true\n",
                               file_name="h.csv")
    with refused("supervisor"):
        alice.import_customers(CUSTOMERS.encode(), file_name="customers2.csv")
    with refused("supervisor"):
        alice.import_items(ITEMS.encode(), file_name="items2.csv")
    with refused("supervisor"):
        alice.postings.export(tmp_path / "postings.csv")
    with refused("supervisor"):
        alice.postings.as_bytes("csv")
    with refused("supervisor"):
        alice.set_setting("write_off_amount", "100.00")
    with refused("supervisor"):
        alice.accounts.create_provisional("Mystery Payer")
    with refused("admin"):
        alice.users.add("mallory", "admin", "mallory-pass")
    with refused("admin"):
        alice.users.set_role("alice", "admin")
    assert not (tmp_path / "postings.csv").exists()
    assert cleo.ledger.ledger.open_now(["INV1"])["INV1"] == D("400.00")  # nothing of the refusals was written


def test_clerk_cannot_unapply_her_own_allocation_of_an_earlier_day(team) -> None:
    alice = team("alice")
    alice.allocation.apply_manual("PAY1", "INV1", D("100.00"))
    alice.db.execute("UPDATE allocation_entry SET created_at = created_at - INTERVAL 1 DAY")
    with pytest.raises(AccessRefused, match="allocations of an earlier day needs the supervisor role"):
        alice.allocation.unapply("PAY1")


def test_supervisor_does_what_a_clerk_may_not(team, tmp_path: Path) -> None:
    cleo, sam = team("cleo"), team("sam")
    cleo.allocation.apply_manual("PAY1", "INV1", D("100.00"))
    sam.allocation.unapply("PAY1")
    sam.allocation.apply_manual("PAY1", "INV2", D("250.00"), write_off=D("50.00"))  # beyond tolerance: a supervisor's call
    assert sam.ledger.ledger.open_now(["INV2"])["INV2"] == D("0.00")
    sam.credits.refund("CRN1", D("10.00"))
    sam.hierarchy.add("C3", "Acme", parent="C1")
    sam.set_setting("write_off_amount", "30.00")
    report = sam.postings.export(tmp_path / "postings.csv")
    assert report.journals and (tmp_path / "postings.csv").exists()
    with refused("admin"):
        sam.users.add("mallory", "clerk", "mallory-pass")
    with refused("admin"):
        sam.set_setting("auth_header", "X-Forwarded-User")
    assert sam.ledger.verify() == []


def test_admin_manages_users_and_every_change_is_audited(team) -> None:
    ada = team("ada")
    ada.users.set_role("cleo", "supervisor")
    ada.users.set_password("alice", "new-clerk-pass")
    ada.users.disable("cleo")
    ada.set_setting("auth_header", "X-Forwarded-User")
    assert ada.settings.auth_header == "X-Forwarded-User"
    with pytest.raises(AccessRefused, match="keeps at least one active admin"):
        ada.users.disable("ada")
    with pytest.raises(AccessRefused, match="'cleo' is not an active one"):
        Workspace.open(ada.path, user="cleo")
    events = [(e["name"], e["action"], e["detail"], e["created_by"]) for e in ada.users.events()]
    assert ("cleo", "role", "clerk -> supervisor", "ada") in events
    assert ("alice", "password", "changed", "ada") in events
    assert ("cleo", "disabled", None, "ada") in events
    assert [u.name for u in ada.users.list() if u.active] == ["ada", "alice", "sam"]


def test_a_user_changes_only_their_own_password(team) -> None:
    alice = team("alice")
    alice.users.set_password("alice", "alice-new-pass")
    with refused("admin"):
        alice.users.set_password("cleo", "cleo-new-pass1")
    assert alice.users.sign_in("alice", "alice-new-pass").name == "alice"


def test_passwords_are_never_stored_in_clear(team) -> None:
    ada = team("ada")
    ada.db.execute("CHECKPOINT")
    stored = Path(ada.path).read_bytes()
    assert all(p.encode() not in stored for p in PASSWORDS.values())
    assert all(h.startswith("$argon2id$") for (h,) in ada.db.rows("SELECT password_hash FROM app_user"))


def test_sign_in_and_lock_out_after_five_wrong_passwords(team) -> None:
    ada = team("ada")
    assert ada.users.sign_in("alice", PASSWORDS["alice"]).role is Role.CLERK
    for attempt in range(4):
        with pytest.raises(SignInRefused, match="^wrong name or password$"):
            ada.users.sign_in("alice", f"guess-{attempt}")
    with pytest.raises(SignInRefused, match="locked for 15 minutes"):
        ada.users.sign_in("alice", "guess-5")
    with pytest.raises(SignInRefused, match="locked until"):  # even the right password waits
        ada.users.sign_in("alice", PASSWORDS["alice"])
    with pytest.raises(SignInRefused, match="^wrong name or password$"):  # names nobody: the same refusal
        ada.users.sign_in("nobody", "whatever-pass")
    ada.db.execute("UPDATE user_event SET created_at = created_at - INTERVAL 16 MINUTE")
    assert ada.users.sign_in("alice", PASSWORDS["alice"]).name == "alice"
    actions = [e["action"] for e in ada.users.events("alice")]
    assert actions.count("sign_in_failed") == 5 and "locked" in actions and actions[-1] == "signed_in"


def test_a_disabled_user_cannot_sign_in(team) -> None:
    ada = team("ada")
    ada.users.disable("cleo")
    with pytest.raises(SignInRefused, match="wrong name or password"):
        ada.users.sign_in("cleo", PASSWORDS["cleo"])


def test_session_tokens_expire_are_signed_and_end_at_sign_out(team) -> None:
    ada = team("ada")
    token = ada.users.start_session("alice")
    assert ada.users.session_user(token).name == "alice"
    assert ada.users.session_user(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None  # tampered
    assert ada.users.session_user("alice") is None
    ada.users.end_session(token)
    assert ada.users.session_user(token) is None
    second = ada.users.start_session("alice")
    ada.db.execute("UPDATE app_session SET started_at = started_at")  # the session row stays; the clock moves on
    later = datetime.now() + timedelta(hours=13)
    assert ada.users.session_user(second, now=later) is None  # session_hours is 12
    assert ada.users.session_user(second).name == "alice"
    ada.users.disable("alice")
    assert ada.users.session_user(second) is None
