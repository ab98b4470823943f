"""Reading the first worksheet of an XLSX workbook in bounded memory and time, whatever cells it holds.

python-calamine reads a sheet as one dense grid from A1 to its farthest cell, 32 bytes a cell:
one stray cell at XFD1048576 asks for 512 GiB and the process dies. So the sheet's XML is first
scanned as bytes (no tree, a few substring counts per megabyte). A sheet written the usual way,
without formulas and whose farthest cell keeps the grid small, then goes to calamine (about ten
times faster); any other is read here cell by cell into sparse rows, which costs memory for the
cells present only. Cells beyond column ZZ are left out with a note; formulas without a cached
value are refused by name, because the number a person sees is not in the file.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO

from lxml import etree

from cashbook.errors import Problem

MAX_GRID_CELLS = 6_000_000  # calamine's grid (about 200 MB) beyond which the sparse reader takes over
MAX_SHEET_CELLS = 20_000_000  # cells the sparse reader keeps (with the blanks inside each row)
MAX_COLUMNS = 702  # column ZZ: no table Cashbook reads is wider; cells beyond are left out with a note
MAX_ROWS = 1_048_576  # Excel's last row
MAX_SHEET_XML_BYTES = 2 * 1024**3  # a worksheet that unpacks to more is refused before it is read
MAX_PART_BYTES = 512 * 1024**2  # shared strings, styles, workbook
_CHUNK = 4 * 1024 * 1024
_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)


class XlsxUnreadable(Exception):
    """A workbook that cannot be read as a table; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class XlsxRows:
    """The worksheet's rows (``rows[0]`` is sheet row 1) as python-calamine types, and notes for the clerk."""

    rows: list[list[object]]
    notes: tuple[str, ...] = ()


def column_name(number: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + ord(char) - 64
    return number


def read_xlsx(data: bytes, file: str) -> XlsxRows:
    """The first worksheet's rows; raises XlsxUnreadable with the problems of a workbook that cannot be read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        part = _first_sheet_part(archive, file)
        size = archive.getinfo(part).file_size
        if size > MAX_SHEET_XML_BYTES:
            raise _unreadable(file, f"the worksheet unpacks to {size:,} bytes; Cashbook reads up to {MAX_SHEET_XML_BYTES:,}")
        with archive.open(part) as stream:
            scan = scan_sheet(stream)
        if scan.fits_calamine:
            return XlsxRows(_read_with_calamine(data, file))
        return _SparseReader(archive, part, file).read()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, ValueError) as exc:
        raise _unreadable(file, f"the workbook cannot be read ({exc})") from exc


def _unreadable(file: str, message: str) -> XlsxUnreadable:
    return XlsxUnreadable([Problem(file, "", "", message)])


def _parse_part(archive: zipfile.ZipFile, name: str, file: str) -> etree._Element:
    """A small part (workbook, relationships, styles) as a tree: no entities, no network, default depth limits."""
    if archive.getinfo(name).file_size > MAX_PART_BYTES:
        raise _unreadable(file, f"the workbook's {name} unpacks to more than {MAX_PART_BYTES:,} bytes")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(archive.read(name), parser)
    except etree.XMLSyntaxError as exc:
        raise _unreadable(file, f"the workbook's {name} is not readable XML ({exc})") from exc


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _first_sheet_part(archive: zipfile.ZipFile, file: str) -> str:
    """The zip member of the workbook's first sheet, as calamine picks it (the order of workbook.xml)."""
    names = set(archive.namelist())
    workbook = "xl/workbook.xml"
    if workbook not in names:
        raise _unreadable(file, "the workbook has no xl/workbook.xml")
    sheets = [el for el in _parse_part(archive, workbook, file).iter() if _local(el.tag) == "sheet"]
    if not sheets:
        raise _unreadable(file, "the workbook has no worksheet")
    rel_id = next((sheets[0].get(f"{{{ns}}}id") for ns in _REL_NS if sheets[0].get(f"{{{ns}}}id")), None)
    rels = "xl/_rels/workbook.xml.rels"
    if rel_id and rels in names:
        for rel in _parse_part(archive, rels, file).iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id") == rel_id:
                target = rel.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else "xl/" + target
                part = re.sub(r"[^/]+/\.\./", "", part)
                if part in names:
                    return part
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    raise _unreadable(file, "the workbook's first worksheet is missing")


# --------------------------------------------------------------------------- the byte scan
_WIDE_REF = re.compile(rb'<c r="([A-Za-z]{2,})')
_FAR_ROW = re.compile(rb'r="[A-Za-z]*(\d{6,})')  # cells and rows numbered 100000 or more
_FORMULA = re.compile(rb"<f[\s>/]")
# Forms Excel, LibreOffice, openpyxl and xlsxwriter never write (a cell or row without its reference
# first, a prefixed element, an escaped or single-quoted reference): the sheet goes to the sparse reader.
_UNUSUAL = (re.compile(rb'<c(?! r="[A-Za-z])[\s>/]'), re.compile(rb'<row(?! r="\d)[\s>/]'), re.compile(rb":(?:c|row)[\s>/]"))
_UNUSUAL_TEXT = (b'r="&', b"r='")


def _columns_after(number: int) -> re.Pattern[bytes]:
    """Cells whose single-letter column lies beyond column ``number`` (1-25)."""
    upper, lower = chr(65 + number), chr(97 + number)
    return re.compile(b'<c r="([%s-Z%s-z])' % (upper.encode(), lower.encode()))


@dataclass
class SheetScan:
    """What a pass over a worksheet's bytes found: enough to bound calamine's grid, never the cells themselves."""

    usual: bool = True  # every cell and row written as <c r="..."> and <row r="...">
    formulas: bool = False
    max_row: int = 99_999  # an upper bound: rows of six digits or more are looked at one by one
    max_column: int = 1  # an upper bound: single letters are looked for from Z down, longer names one by one

    @property
    def fits_calamine(self) -> bool:
        return self.usual and not self.formulas and self.max_row * self.max_column <= MAX_GRID_CELLS


def scan_sheet(stream: IO[bytes]) -> SheetScan:
    """Scan a worksheet's XML in chunks; each chunk is cut before its last ``<`` so that no tag is split."""
    scan = SheetScan()
    carry = b""
    while True:
        chunk = stream.read(_CHUNK)
        buffer = carry + chunk
        if not chunk:
            _scan_buffer(scan, buffer)
            return scan
        cut = buffer.rfind(b"<")
        if cut <= 0 and len(buffer) < _CHUNK + 1024**2:
            carry = buffer  # one tag so far: wait for its end (a text over a megabyte holds no tag of interest)
            continue
        cut = cut if cut > 0 else len(buffer)
        _scan_buffer(scan, buffer[:cut])
        carry = buffer[cut:]


def _scan_buffer(scan: SheetScan, buffer: bytes) -> None:
    if not buffer:
        return
    if scan.usual and (any(form.search(buffer) for form in _UNUSUAL) or any(t in buffer for t in _UNUSUAL_TEXT)):
        scan.usual = False
    if not scan.formulas and _FORMULA.search(buffer):
        scan.formulas = True
    if scan.usual and not scan.formulas:
        letters = set(_WIDE_REF.findall(buffer))
        if letters:
            scan.max_column = max(scan.max_column, *(_column_number(x) for x in letters))
        if scan.max_column < 26:
            found = set(_columns_after(scan.max_column).findall(buffer))
            if found:
                scan.max_column = max(scan.max_column, *(_column_number(x) for x in found))
        rows = _FAR_ROW.findall(buffer)
        if rows:
            scan.max_row = max(scan.max_row, *(int(x) for x in rows))


def _read_with_calamine(data: bytes, file: str) -> list[list[object]]:
    # loaded on the first .xlsx only: most files are text, and the reader costs start-up time
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, PasswordError, XmlError, ZipError, ValueError, OSError) as exc:
        raise _unreadable(file, f"the workbook cannot be read ({exc})") from exc


# --------------------------------------------------------------------------- the sparse reader
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47})
_BUILTIN_DURATION_FORMATS = frozenset({46})
_REF = re.compile(r"^([A-Za-z]{1,3})(\d{1,7})$")


def format_kind(code: str) -> str | None:
    """"date" or "duration" for a number format that shows a date or time, else None (calamine's rules).

    Quoted text, escaped characters and [colour] sections do not count; [h], [m] and [s] make a duration.
    """
    escaped = quoted = False
    brackets = 0
    am_pm = False
    previous = " "
    elapsed = False
    for char in code:
        if escaped:
            escaped = False
        elif char in "_\\":
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == ";":
            return None
        elif char == "[":
            brackets += 1
        elif char == "]" and brackets == 1 and elapsed:
            return "duration"
        elif char == "]":
            brackets = max(0, brackets - 1)
        elif brackets == 0 and char in "aA" and not am_pm:
            am_pm = True
        elif brackets == 0 and am_pm and char in "pm/PM":
            return "date"
        elif brackets == 0 and not am_pm and char in "dmhysDMHYS":
            return "date"
        elif not (elapsed and char.lower() == previous.lower()):
            elapsed = previous == "[" and char in "mhsMHS"
        previous = char
    return None


def excel_date(serial: float, kind: str, date1904: bool) -> object:
    """A date-formatted number as python-calamine gives it: time below 1, date at midnight, else datetime."""
    milliseconds = round(serial * 86_400_000)
    if kind == "duration":
        return timedelta(milliseconds=milliseconds)
    if date1904:
        base = datetime(1904, 1, 1)
    else:
        base = datetime(1899, 12, 31) if serial < 60 else datetime(1899, 12, 30)
    moment = base + timedelta(milliseconds=milliseconds)
    if serial < 1:
        return time(moment.hour, moment.minute, moment.second, moment.microsecond)
    if moment.time() == time(0):
        return date(moment.year, moment.month, moment.day)
    return moment


def _text_of(element: etree._Element) -> str:
    """A shared or inline string: its <t> texts, leaving out phonetic runs (<rPh>)."""
    if len(element) == 1 and _local(element[0].tag) == "t":
        return element[0].text or ""
    parts = []
    for node in element.iter():
        if _local(node.tag) == "t" and _local(node.getparent().tag) != "rPh":
            parts.append(node.text or "")
    return "".join(parts)


def _iter_end(stream: IO[bytes], tag: str):
    return etree.iterparse(stream, events=("end",), tag=f"{{*}}{tag}", resolve_entities=False,
                           no_network=True, huge_tree=False, remove_blank_text=False)


def _release(element: etree._Element) -> None:
    """Free an element once read, and the siblings before it, so memory stays with the rows kept."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


class _SparseReader:
    """Cells read one by one into rows that hold only what is present (a blank row costs nothing)."""

    def __init__(self, archive: zipfile.ZipFile, part: str, file: str) -> None:
        self.archive, self.part, self.file = archive, part, file
        self.names = set(archive.namelist())
        self.strings: list[str] = []
        self.kinds: list[str | None] = []
        self.date1904 = False
        self.no_value: list[str] = []
        self.dropped: list[str] = []
        self.kept = 0

    def read(self) -> XlsxRows:
        self._load_workbook_facts()
        rows: dict[int, list[object]] = {}
        try:
            with self.archive.open(self.part) as stream:
                self._read_cells(stream, rows)
        except etree.XMLSyntaxError as exc:
            raise _unreadable(self.file, f"the worksheet is not readable XML ({exc})") from exc
        if self.no_value:
            raise XlsxUnreadable([
                Problem(self.file, "", "", f"cell {ref} holds a formula with no value; save the file in Excel and upload again")
                for ref in self.no_value
            ])
        blank: list[object] = []
        dense = [rows.get(index, blank) for index in range(max(rows, default=-1) + 1)]
        notes = ()
        if self.dropped:
            shown = ", ".join(self.dropped[:5]) + (f" and {len(self.dropped) - 5} more" if len(self.dropped) > 5 else "")
            notes = (f"cells beyond column {column_name(MAX_COLUMNS)} were not read: {shown}",)
        return XlsxRows(dense, notes)

    def _load_workbook_facts(self) -> None:
        workbook = _parse_part(self.archive, "xl/workbook.xml", self.file)
        for element in workbook.iter():
            if _local(element.tag) == "workbookPr":
                self.date1904 = element.get("date1904", "").lower() in ("1", "true")
        strings = "xl/sharedStrings.xml"
        if strings in self.names:
            if self.archive.getinfo(strings).file_size > MAX_PART_BYTES:
                raise _unreadable(self.file, f"the workbook's shared strings unpack to more than {MAX_PART_BYTES:,} bytes")
            with self.archive.open(strings) as stream:
                try:
                    for _event, item in _iter_end(stream, "si"):
                        self.strings.append(_text_of(item))
                        _release(item)
                except etree.XMLSyntaxError as exc:
                    raise _unreadable(self.file, f"the workbook's shared strings are not readable XML ({exc})") from exc
        styles = "xl/styles.xml"
        if styles in self.names:
            root = _parse_part(self.archive, styles, self.file)
            custom = {int(el.get("numFmtId", "-1")): el.get("formatCode", "")
                      for el in root.iter() if _local(el.tag) == "numFmt"}
            for section in root.iter():
                if _local(section.tag) == "cellXfs":
                    self.kinds = [self._kind(int(xf.get("numFmtId", "0")), custom) for xf in section
                                  if _local(xf.tag) == "xf"]

    @staticmethod
    def _kind(format_id: int, custom: dict[int, str]) -> str | None:
        if format_id in custom:
            return format_kind(custom[format_id])
        if format_id in _BUILTIN_DURATION_FORMATS:
            return "duration"
        return "date" if format_id in _BUILTIN_DATE_FORMATS else None

    def _read_cells(self, stream: IO[bytes], rows: dict[int, list[object]]) -> None:
        next_row = 0
        tags: tuple[str, str, str, str] | None = None
        columns: dict[str, int] = {}
        for _event, row in _iter_end(stream, "row"):
            if tags is None:
                ns = row.tag[: -len("row")]  # "{namespace}" or ""
                tags = (ns + "c", ns + "f", ns + "v", ns + "is")
            number = row.get("r")
            row_index = int(number) - 1 if number and number.isdigit() else next_row
            next_row = row_index + 1
            column = 0
            for cell in row:
                if cell.tag != tags[0]:
                    continue
                ref = cell.get("r")
                cell_row = row_index
                if ref:
                    match = _REF.match(ref)
                    if match is None:
                        raise _unreadable(self.file, f"a cell is named {ref[:20]!r}, which is not a cell reference")
                    letters = match[1]
                    column = columns.get(letters) or columns.setdefault(letters, _column_number(letters) - 1)
                    cell_row = int(match[2]) - 1
                if cell_row >= MAX_ROWS:
                    raise _unreadable(self.file, f"a cell lies in row {cell_row + 1:,}, beyond Excel's last row {MAX_ROWS:,}")
                value = self._value(cell, tags, cell_row, column)
                if value is not None:
                    self._place(rows, cell_row, column, value)
                column += 1
            _release(row)

    def _value(self, cell: etree._Element, tags: tuple[str, str, str, str], row: int, column: int) -> object:
        kind = cell.get("t", "n")
        formula = raw = inline = None
        for child in cell:
            tag = child.tag
            if tag == tags[2]:
                raw = child.text or ""
            elif tag == tags[1]:
                formula = child
            elif tag == tags[3]:
                inline = child
        if formula is not None and (raw is None or (raw == "" and kind != "str")):
            self.no_value.append(f"{column_name(column + 1)}{row + 1}")
            return None
        if kind == "inlineStr":
            return _text_of(inline) if inline is not None else None
        if raw is None:
            return None
        if kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                ref = f"{column_name(column + 1)}{row + 1}"
                raise _unreadable(self.file, f"cell {ref} names shared string {raw[:20]!r}, which the workbook lacks") from None
        if kind in ("str", "e"):
            return raw if kind == "str" else ""
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":  # an ISO 8601 date or time, as Strict OOXML writes them
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                return raw
            return moment.date() if moment.time() == time(0) else moment
        if raw == "":
            return None
        number = float(raw)
        style = cell.get("s")
        date_kind = None
        if style:
            index = int(style)
            date_kind = self.kinds[index] if 0 <= index < len(self.kinds) else None
        return excel_date(number, date_kind, self.date1904) if date_kind else number

    def _place(self, rows: dict[int, list[object]], row: int, column: int, value: object) -> None:
        if column >= MAX_COLUMNS:
            self.dropped.append(f"{column_name(column + 1)}{row + 1}")
            return
        cells = rows.setdefault(row, [])
        if column >= len(cells):
            self.kept += column + 1 - len(cells)
            if self.kept > MAX_SHEET_CELLS:
                raise _unreadable(self.file, f"the worksheet holds more than {MAX_SHEET_CELLS:,} cells; "
                                             "save only the table as .xlsx or CSV")
            cells.extend([""] * (column + 1 - len(cells)))
        cells[column] = value
