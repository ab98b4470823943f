"""Where banks hide the payer in free text: one reader per convention, into name, id and account.

BAI2 16/88 text, MT940 :86: free text and bank-statement text columns name the payer in the
words of whoever wrote them: NACHA ``ORIG CO NAME:``/``ORIG ID:`` copied into BAI2, ``ORIG``,
``B/O`` (by order of), Fedwire ``ORG:=``/``SENDER:=`` keys, SEPA slash keys (``/ORDP/``,
``/NAME/``, ``/CNTP/``), Swiss ``AUFTRAGGEBER:``, Romanian ``Platitor``. Every parser reads
them here, so a convention learnt once holds for every format, and the demo writes its varied
world with the same table (``write_payer_text``) so that what it writes is what banks write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_SPACES = re.compile(r"\s+")

# Keys that end a value: the next key of any convention a bank puts in the same text.
_STOP_KEYS = (
    "ORIG CO NAME", "ORIG ID", "ORIG BANK", "DESC DATE", "CO ENTRY DESCR", "ENTRY DESCR", "SEC", "TRACE#", "TRACE NO",
    "TRACE", "EED", "IND ID", "IND NAME", "RECV ID", "REF", "OBI", "BBI", "B/O", "BNF", "BNF ID", "BNF NAME",
    "BNF ADDRESS", "ORG", "ORG ID", "ORG ADDRESS", "OGB", "SND", "SENDER BNK", "SENDER ID", "SENDER REF", "SENDER",
    "REC FI", "REC ID", "RFB", "TRN", "IMAD", "OMAD", "FED NO", "BO", "BO1", "BO2", "BO3", "OB", "OB1", "OB2", "OB3",
    "BI", "PY", "FR", "TRID", "ENDT", "DBNM", "CRNM", "DACT", "DABA", "CACT", "CABA", "CREF", "REMI", "CHKN",
    "MITTEILUNGEN", "ZAHLUNGSGRUND", "VERWENDUNGSZWECK", "REFERENZ", "DETALII", "BENEFICIAR", "CODFISC",
    "PAYMENT DETAILS", "DETAILS", "INFO", "ID", "ADDR", "ADDRESS", "CITY", "IBAN", "BIC", "ACCT", "ACCOUNT",
)
_STOP_ALT = "|".join(re.escape(k) for k in sorted(set(_STOP_KEYS), key=len, reverse=True))
_STOP = rf"(?=\s{{2,}}|\n|\s*(?<![A-Z0-9])(?:{_STOP_ALT})\s*(?::=|:|=)|\s*-(?:Beneficiar|Detalii)\b|$)"
_ADDRESS_TAIL = re.compile(r"\s+(?:\S+\s+)?\d{1,4}[A-Z]?\s+(?:[A-Z]{1,2}-)?\d{4,5}\b.*$", re.S)


@dataclass(frozen=True)
class PayerEvidence:
    """Who paid, as the text says: any of name, id (tax, company or originator id) and account."""

    name: str | None = None
    id: str | None = None
    account: str | None = None
    convention: str = ""  # which convention named the payer, for the clerk and the tests

    @property
    def found(self) -> bool:
        return bool(self.name or self.id or self.account)

    def fill(self, other: PayerEvidence) -> PayerEvidence:
        """This evidence, with what it lacks taken from ``other``."""
        return replace(self, name=self.name or other.name, id=self.id or other.id,
                       account=self.account or other.account, convention=self.convention or other.convention)


def _clean(value: str | None) -> str | None:
    text = _SPACES.sub(" ", (value or "").replace("\n", " ")).strip(" ,;:/=-")
    return text or None


def _plain(value: str | None) -> str | None:
    """A value of a delimited field (slash keys): only its spacing tidied, every character kept."""
    text = _SPACES.sub(" ", value or "").strip()
    return text or None


def _keyed(key: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Z0-9/]){key}\s*(?::=|:|=)\s*(?P<v>.*?){_STOP}", flags | re.S)


def _account_first(value: str) -> tuple[str | None, str | None]:
    """``/DE89... NAME``, ``1/NAME`` (SWIFT 50F) or ``IBAN NAME``: (account, name)."""
    value = value.strip()
    if value.startswith("/"):
        account, _, name = value[1:].partition(" ")
        return account.strip() or None, _clean(name)
    if re.match(r"^\d/", value):  # 50F line number: 1/name 2/address
        return None, _clean(re.split(r"\s\d/", value[2:])[0])
    first, _, rest = value.partition(" ")
    if IBAN.match(first.upper()) or (first.isdigit() and len(first) >= 6):
        return first, _clean(rest)
    return None, _clean(value)


# -- the conventions ----------------------------------------------------------------------------
_ORIG_CO_NAME = _keyed(r"ORIG\s+CO\s+NAME")
_ORIG_ID = _keyed(r"ORIG\s+ID")


def _nacha_keys(text: str) -> PayerEvidence | None:
    """NACHA entries reported in BAI2: ``ORIG CO NAME:ACME CORP ORIG ID:1234567890 DESC DATE:...``."""
    name, ident = _ORIG_CO_NAME.search(text), _ORIG_ID.search(text)
    if not (name or ident):
        return None
    return PayerEvidence(name=_clean(name.group("v")) if name else None,
                         id=_clean(ident.group("v").split()[0]) if ident and ident.group("v").split() else None,
                         convention="ORIG CO NAME")


_ORIG = re.compile(rf"(?<![A-Z0-9/])ORIG(?:INATOR)?(?!\s*(?:CO\b|ID\b|BANK\b|BNK\b))\s*(?::=|:|=)?\s+(?P<v>.*?){_STOP}",
                   re.IGNORECASE | re.S)


def _orig(text: str) -> PayerEvidence | None:
    """``ORIG ACME CORP`` or ``ORIGINATOR: ACME CORP`` (wire and ACH descriptions)."""
    match = _ORIG.search(text)
    if not match:
        return None
    value = re.split(r"\s(?:REF|ID|TRN|OBI|TRACE)\b", match.group("v"), maxsplit=1, flags=re.IGNORECASE)[0]
    account, name = _account_first(value)
    return PayerEvidence(name=name, account=account, convention="ORIG") if name or account else None


_BY_ORDER = re.compile(rf"(?<![A-Z0-9])(?:B/O\s*(?::=|:|=)?|BO1?\s*:)\s*(?P<v>.*?){_STOP}", re.IGNORECASE | re.S)


def _by_order(text: str) -> PayerEvidence | None:
    """``B/O: ACME CORP``, ``B/O /GB29NWBK... ACME``, ``B/O 1/ACME CORP 2/1 HIGH ST`` (by order of);
    Citi UK's ``BO:11111111 BO1:DOE JO`` (account, then name; its ``OB:`` is the ordering bank)."""
    found = PayerEvidence(convention="B/O")
    for match in _BY_ORDER.finditer(text):  # BO:11111111 BO1:DOE JO: the account, then the name
        account, name = _account_first(match.group("v"))
        found = found.fill(PayerEvidence(name=name, account=account))
    return found if found.found else None


_DEBTOR_KEYS = _keyed(r"DBNM")
_DEBTOR_ACCOUNT = _keyed(r"DACT")


def _debtor_keys(text: str) -> PayerEvidence | None:
    """ISO-style keys some banks print in BAI2 88 text: ``DBNM: name``, ``DACT: account``."""
    name, account = _DEBTOR_KEYS.search(text), _DEBTOR_ACCOUNT.search(text)
    if not (name or account):
        return None
    return PayerEvidence(name=_clean(name.group("v")) if name else None,
                         account=account.group("v").split()[0] if account and account.group("v").split() else None,
                         convention="DBNM")


_ORG = _keyed(r"(?:ORG|ORIGINATOR\s+NAME)(?!\s+(?:ID|ADDRESS))")
_ORG_ID = _keyed(r"ORG\s+ID")
_SENDER = _keyed(r"SENDER(?:\s+NAME)?(?!\s+(?:BNK|BANK|ID|REF))")


def _fedwire(text: str) -> PayerEvidence | None:
    """Fedwire keys as US banks print them: ``ORG:=NAME``, ``ORG ID:=account``, ``SENDER:=NAME``.

    ``SENDER BNK:=`` and ``SENDER ID:=`` name the sending bank and its routing number, not the payer.
    """
    org, org_id, sender = _ORG.search(text), _ORG_ID.search(text), _SENDER.search(text)
    if not (org or org_id or sender):
        return None
    name = _clean(org.group("v")) if org else None
    name = name or (_clean(sender.group("v")) if sender else None)
    account = org_id.group("v").split()[0].lstrip("/") if org_id and org_id.group("v").split() else None
    return PayerEvidence(name=name, account=account or None, convention="ORG")


_PARTY_CONTEXTS = ("ORDP", "BENM", "ULTC", "ULTD", "ULTB")
_SLASH_KEYS = ("TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ULTC|ULTD|ULTB|ADDR|ISDT|RTRN|ACCW|CNTP|"
               "PREF|SVCL|PURP|CDTRREFTP|CDTRREF|CD|ISSR|ID|CHGS|EXCH|OCMT|INFO|RTYP|FX")
_SLASH_PARTY = re.compile(rf"/({_SLASH_KEYS})/")


def slash_party(text: str) -> PayerEvidence | None:
    """SEPA slash keys (Dutch banks, Rabobank, ING): ``/ORDP//NAME/ACME/ID/...``, ``/CNTP/iban/bic/name/city/``,
    ``/NAME/ACME/IBAN/...``. A party key belongs to the party it follows; the beneficiary (BENM,
    ULTB) is the company itself. Ultimate debtor (ULTD) fills what the ordering party lacks."""
    if "/" not in text:
        return None
    pieces = _SLASH_PARTY.split(text)
    found = PayerEvidence(convention="/NAME/")
    ultimate = PayerEvidence()
    context = ""
    for index in range(1, len(pieces) - 1, 2):
        key, value = pieces[index], pieces[index + 1].rstrip("/").strip()
        if key in _PARTY_CONTEXTS:
            context = key
            if value and key in ("ORDP", "ULTD"):  # /ORDP/ACME BV without a /NAME/ key
                target = replace(found if key == "ORDP" else ultimate, name=None)
                update = replace(target, name=_plain(value))
                if key == "ORDP":
                    found = replace(found, name=found.name or update.name, convention="/ORDP/")
                else:
                    ultimate = replace(ultimate, name=ultimate.name or update.name)
            continue
        if key not in ("NAME", "IBAN", "ACCW", "ID", "BIC", "ADDR"):
            context = "" if key != "CNTP" else context
        if context in ("BENM", "ULTB", "ULTC"):
            continue
        target = ultimate if context == "ULTD" else found
        if key == "NAME" and value:
            target = replace(target, name=target.name or _plain(value))
        elif key in ("IBAN", "ACCW") and value:
            target = replace(target, account=target.account or value.replace(" ", ""))
        elif key == "ID" and value and context in ("ORDP", "ULTD"):
            target = replace(target, id=target.id or _plain(value))
        elif key == "CNTP":
            parts = [part.strip() for part in value.split("/")]
            account = parts[0] if parts and parts[0] else None
            target = replace(target, account=target.account or account, convention="/CNTP/")
            if len(parts) > 2 and parts[2]:
                target = replace(target, name=target.name or _plain(parts[2]))
        if context == "ULTD":
            ultimate = target
        else:
            found = target
    result = found.fill(ultimate) if found.found else (replace(ultimate, convention="/ULTD/") if ultimate.found else found)
    return result if result.found else None


_CNTP = re.compile(r"/CNTP/(?P<v>[^\n]*)")


def _cntp(text: str) -> PayerEvidence | None:
    """ING ``/CNTP/NL32INGB0000012345/INGBNL2A/J DOE/AMSTERDAM/``: account, BIC, name, city."""
    match = _CNTP.search(text)
    if not match:
        return None
    parts = [part.strip() for part in match.group("v").split("/")]
    account = parts[0] if parts and parts[0] else None
    name = _clean(parts[2]) if len(parts) > 2 else None
    return PayerEvidence(name=name, account=account, convention="/CNTP/") if name or account else None


_AUFTRAGGEBER = _keyed(r"(?:AUFTRAGGEBER|ZAHLUNGSPFLICHTIGER|EINZAHLER)")


def _auftraggeber(text: str) -> PayerEvidence | None:
    """Swiss and German ``AUFTRAGGEBER: NAME STREET 10 8000 TOWN MITTEILUNGEN: ...`` (name, then address)."""
    match = _AUFTRAGGEBER.search(text)
    if not match:
        return None
    value = match.group("v")
    tokens = value.split()
    account = next((t for t in tokens if IBAN.match(t.upper())), None)
    name = _clean(_ADDRESS_TAIL.sub("", value))
    if name and account:
        name = _clean(name.replace(account, ""))
    return PayerEvidence(name=name, account=account, convention="AUFTRAGGEBER") if name or account else None


_PLATITOR = re.compile(r"(?<![A-Z])PL[AĂ]TITOR\s*:?\s+(?P<v>.*?)(?=\s*-?\s*(?:BENEFICIAR|DETALII)\b|\n|$)",
                       re.IGNORECASE | re.S)
_CODFISC = re.compile(r"\b(?:CODFISC|COD FISCAL|CUI|CIF)\s*:?\s*(?P<v>[A-Z0-9]+)", re.IGNORECASE)


def _platitor(text: str) -> PayerEvidence | None:
    """Romanian ``Platitor NAME [BIC] IBAN [BIC] CODFISC 123``: the name is what comes before the IBAN."""
    match = _PLATITOR.search(text)
    if not match:
        return None
    value = match.group("v")
    ident = _CODFISC.search(value)
    head = value[:ident.start()] if ident else value
    tokens = head.split()
    at = next((i for i, t in enumerate(tokens) if IBAN.match(t.upper())), None)
    account = None
    if at is not None:
        account = tokens[at].upper()
        if account.startswith("RO") and len(account) > 24:  # Alpha Bank writes the currency after the IBAN
            account = account[:24]
        tokens = tokens[:at]
        if tokens and BIC.match(tokens[-1]):
            tokens = tokens[:-1]  # the payer's bank's BIC in front of the IBAN
    name = _clean(" ".join(tokens))
    tax_id = _clean(ident.group("v")) if ident else None
    evidence = PayerEvidence(name=name, account=account, id=tax_id if tax_id and tax_id.strip("0") else None,
                             convention="Platitor")
    return evidence if evidence.found else None


# Most specific first: a text that names the payer twice keeps the first convention's values.
READERS: tuple[tuple[str, Callable[[str], PayerEvidence | None]], ...] = (
    ("ORIG CO NAME", _nacha_keys),
    ("ORG", _fedwire),
    ("B/O", _by_order),
    ("DBNM", _debtor_keys),
    ("AUFTRAGGEBER", _auftraggeber),
    ("Platitor", _platitor),
    ("/CNTP/", _cntp),
    ("/NAME/", slash_party),
    ("ORIG", _orig),
)
_HINT = re.compile(r"ORIG|ORG|SENDER|B/O|BO1?:|DBNM|DACT|AUFTRAGGEBER|ZAHLUNGSPFLICHTIGER|EINZAHLER|PL[AĂ]TITOR|/[A-Z]{2,4}/",
                   re.IGNORECASE)


def read_payer(segments: str | Sequence[str]) -> PayerEvidence:
    """The payer named in bank text, by whichever convention names it; empty evidence when none does.

    ``segments`` are the text's records or lines (BAI2 88 records, :86: lines already unwrapped);
    a value never runs from one segment into the next.
    """
    text = segments if isinstance(segments, str) else "\n".join(s for s in segments if s)
    if not text or not _HINT.search(text):
        return PayerEvidence()
    found = PayerEvidence()
    for _, reader in READERS:
        evidence = reader(text)
        if evidence is not None:
            found = found.fill(evidence) if found.found else evidence
            if found.name and found.account and found.id:
                break
    return found


# -- writing, for the demo's varied world ----------------------------------------------------------
WRITE_CONVENTIONS = ("ORIG CO NAME", "ORIG", "B/O", "ORG", "SENDER", "AUFTRAGGEBER", "Platitor", "/ORDP/", "/NAME/",
                     "/CNTP/")


def write_payer_text(convention: str, name: str | None, payer_id: str | None = None, account: str | None = None,
                     *, reference: str = "") -> list[str]:
    """Text lines naming the payer as a bank of that convention writes them (its own words around them)."""
    name = _SPACES.sub(" ", (name or "").upper()).strip()
    ref = reference.strip()
    if convention == "ORIG CO NAME":
        lines = [f"ORIG CO NAME:{name[:16]} ORIG ID:{payer_id or '0000000000'} DESC DATE: CO ENTRY DESCR:PAYMENT",
                 "SEC:CCD TRACE#:0210000" + "".join(ch for ch in (payer_id or "1") if ch.isdigit())[-8:].zfill(8)]
        return lines + ([f"IND NAME:CASHBOOK LTD REF:{ref}"] if ref else [])
    if convention == "ORIG":
        return [f"ACH CREDIT RECEIVED ORIG {name}" + (f" REF {ref}" if ref else "")]
    if convention == "B/O":
        who = f"/{account} {name}" if account else name
        return ["INCOMING WIRE", f"B/O: {who}"] + ([f"OBI: {ref}"] if ref else [])
    if convention == "ORG":
        return ["SENDER BNK:=JPMORGAN CHASE BANK", "SENDER ID:=021000021", f"ORG:={name}"] + (
            [f"ORG ID:={account}"] if account else []) + (["BNF NAME:=CASHBOOK LTD"]) + ([f"OBI:={ref}"] if ref else [])
    if convention == "SENDER":
        return [f"SENDER:={name}"] + ([f"OBI:={ref}"] if ref else [])
    if convention == "AUFTRAGGEBER":
        return [f"GIRO AUS KONTO AUFTRAGGEBER: {name} BAHNHOFSTRASSE 12 8001 ZUERICH"
                + (f" {account}" if account else "") + (f" MITTEILUNGEN: {ref}" if ref else "")]
    if convention == "Platitor":
        return [f"Incasare Platitor {name} " + (f"{account} " if account else "")
                + (f"CODFISC {payer_id} " if payer_id else "") + f"-Detalii {ref}".rstrip()]
    if convention == "/ORDP/":
        return [f"/TRTP/SEPA OVERBOEKING/ORDP//NAME/{name}" + (f"/ID/{payer_id}" if payer_id else "")
                + (f"/IBAN/{account}" if account else "") + (f"/REMI/{ref}" if ref else "") + "/"]
    if convention == "/NAME/":
        return ["/TRTP/SEPA OVERBOEKING" + (f"/IBAN/{account}" if account else "") + f"/NAME/{name}"
                + (f"/REMI/{ref}" if ref else "") + "/"]
    if convention == "/CNTP/":
        return [f"/CNTP/{account or ''}/ABNANL2A/{name}/AMSTERDAM/" + (f"/REMI/USTD//{ref}/" if ref else "")]
    raise ValueError(f"unknown payer text convention {convention!r}")
