"""Tolerances, thresholds, account numbers and switches: one typed object, from a file and the environment.

Settings are read from a TOML file: ``CASHBOOK_SETTINGS`` if set, else ``cashbook.toml`` beside
the workspace file, else the defaults below. Values a clerk changes in the app are kept in the
workspace's ``setting`` table and override the file.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cashbook.errors import NameRefused, SettingsError
from cashbook.money import NUMBER_STYLES, DateWindow
from cashbook.names import shown_file_name, user_name_problem


def current_user() -> str:
    """Who is working: CASHBOOK_USER, else the operating-system login; refused when not a plain name."""
    name = os.environ.get("CASHBOOK_USER")
    return checked_user(name, "CASHBOOK_USER") if name is not None else getpass.getuser() or "unknown"


def checked_user(name: str, source: str = "--user") -> str:
    """``name`` when it can go into the ledger's "who"; NameRefused otherwise (stored as given, never trimmed)."""
    problem = user_name_problem(name)
    if problem:
        raise NameRefused(f"the user name in {source} ({shown_file_name(name)}) {problem}")
    return name


@dataclass(frozen=True)
class Accounts:
    """G/L accounts for postings."""

    bank: str = "1000"
    receivables: str = "1100"
    discount_expense: str = "6800"
    write_off: str = "6810"
    deductions: str = "1150"
    on_account: str = "2150"
    suspense: str = "2190"
    refunds: str = "2160"


PROFILES = ("default", "cautious")


@dataclass(frozen=True)
class Settings:
    write_off_amount: Decimal = Decimal("25.00")  # largest difference written off without a clerk
    write_off_percent: Decimal = Decimal("1.0")  # ... and at most this percent of the document
    bank_charge_amount: Decimal = Decimal("35.00")  # a wire short by up to this is a bank charge, written off
    decision_profile: str = "default"  # default: apply as a clerk would; cautious: suggest all but exact payments
    discount_grace_days: int = 3  # a discount taken this many days late still counts as earned
    discount_tolerance: Decimal = Decimal("0.05")  # rounding difference accepted on a discount
    link_days: int = 5  # advice and bank entry value dates may differ by this many days
    fuzzy_name_cutoff: int = 88  # rapidfuzz score for a payer name to identify a customer
    fuzzy_ref_max_distance: int = 2  # edit distance allowed for a near-miss reference
    subset_max_candidates: int = 22  # the largest candidate set a combination search may look at
    subset_max_items: int = 8  # the most items a combination may hold
    subset_time_limit: float = 0.5  # seconds a combination search may take per receipt
    create_missing_customers: bool = False
    hold_days_past_due: int = 60  # a customer with invoices past due longer than this goes on hold
    journal_prefix: str = "CP"
    journal_digits: int = 6
    currency: str = "GBP"
    earliest_date: date = date(1990, 1, 1)  # imported dates before this are refused as slips of the keyboard
    latest_date: date = date(2100, 12, 31)  # ... and after this
    number_style: str = "1,234.56"  # how amounts read on screen: "1,234.56", "1.234,56", "1 234,56" or "1'234.56"
    upload_max_mb: int = 200  # the largest file the app's Import page accepts
    upload_memory_mb: int = 2048  # memory the child process reading an upload may use
    upload_seconds: int = 300  # time it may take
    auth_header: str = ""  # a trusted proxy's header naming the signed-in user (e.g. X-Forwarded-User); "" = sign-in form
    session_hours: float = 12.0  # a browser stays signed in this long
    sign_in_attempts: int = 5  # wrong passwords in a row that lock a name...
    lockout_minutes: int = 15  # ...for this long
    accounts: Accounts = field(default_factory=Accounts)

    @property
    def date_window(self) -> DateWindow:
        return DateWindow(self.earliest_date, self.latest_date)

    def with_overrides(self, values: dict[str, Any]) -> "Settings":
        return _build({**self.as_dict(), **values})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _coerce(name: str, kind: Any, value: Any) -> Any:
    try:
        if kind in (Decimal, "Decimal"):
            if isinstance(value, float):
                value = repr(value)
            return Decimal(str(value))
        if kind in (date, "date"):
            return value if isinstance(value, date) else date.fromisoformat(str(value).strip())
        if kind in (int, "int"):
            return int(value)
        if kind in (float, "float"):
            return float(value)
        if kind in (bool, "bool"):
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "y", "on")
            return bool(value)
        return str(value)
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise SettingsError(f"setting {name}: {value!r} is not a valid {getattr(kind, '__name__', kind)}") from exc


def _build(values: dict[str, Any]) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if name == "accounts":
            account_fields = {f.name for f in fields(Accounts)}
            data = value if isinstance(value, dict) else asdict(value)
            bad = sorted(set(data) - account_fields)
            if bad:
                raise SettingsError(f"unknown accounts: {', '.join(bad)}; known: {', '.join(sorted(account_fields))}")
            kwargs[name] = Accounts(**{k: str(v) for k, v in data.items()})
        else:
            kwargs[name] = _coerce(name, known[name].type, value)
    if "number_style" in kwargs and kwargs["number_style"] not in NUMBER_STYLES:
        raise SettingsError(f"setting number_style: {kwargs['number_style']!r} is not one of "
                            f"{', '.join(repr(s) for s in NUMBER_STYLES)}")
    profile = kwargs.get("decision_profile", "default")
    if profile not in PROFILES:
        raise SettingsError(f"setting decision_profile: {profile!r} is not a profile; choose {' or '.join(PROFILES)}")
    settings = Settings(**kwargs)
    if settings.earliest_date > settings.latest_date:
        raise SettingsError(f"earliest_date {settings.earliest_date} is after latest_date {settings.latest_date}")
    return settings


def settings_file(db_path: str | None) -> Path | None:
    env = os.environ.get("CASHBOOK_SETTINGS")
    if env:
        return Path(env)
    if db_path and db_path != ":memory:":
        candidate = Path(db_path).expanduser().resolve().parent / "cashbook.toml"
        if candidate.exists():
            return candidate
    return None


def load_settings(db_path: str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Defaults, then the settings file, then overrides (the workspace's own settings)."""
    values: dict[str, Any] = {}
    path = settings_file(db_path)
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read settings ({exc})") from exc
    settings = _build(values) if values else Settings()
    if overrides:
        nested = {k: v for k, v in overrides.items() if not k.startswith("accounts.")}
        accounts = {k.split(".", 1)[1]: v for k, v in overrides.items() if k.startswith("accounts.")}
        settings = settings.with_overrides(nested)
        if accounts:
            settings = replace(settings, accounts=replace(settings.accounts, **accounts))
    return settings


SettingsSource = Callable[[], Settings]


class UsesSettings:
    """A service whose ``settings`` are read when used, from the source the facade gives it.

    A long-lived workspace (the app, a notebook) then applies a changed setting at once; a plain
    ``Settings`` (a test, a script) stays as given. The facade's source reads cheaply (see
    ``Workspace.settings``); a method reads ``self.settings`` once and keeps it for its work.
    """

    _settings_source: SettingsSource

    def _use_settings(self, settings: Settings | SettingsSource) -> None:
        self._settings_source = settings if callable(settings) else (lambda: settings)

    @property
    def settings(self) -> Settings:
        return self._settings_source()
