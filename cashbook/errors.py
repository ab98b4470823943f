"""The errors Cashbook raises: each has a title and a detail a clerk can act on."""

from __future__ import annotations

from dataclasses import dataclass

from cashbook.names import shown_file_name


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong, as data."""

    file: str
    location: str  # "row 41", "segment 12 (BPR)", "line 3", "entry 2"; "" for the whole file
    column: str  # the column, field or element; "" when none applies
    message: str

    def __str__(self) -> str:
        file = shown_file_name(self.file)
        where = f"{file}:{self.location}" if self.location else file
        return f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class CashbookError(Exception):
    """Base class: ``title`` says what failed, ``detail`` what to do about it."""

    title = "Cashbook could not do that"

    def __init__(self, detail: str = "", *, title: str | None = None) -> None:
        super().__init__(detail or self.title)
        if title:
            self.title = title
        self.detail = detail

    def __str__(self) -> str:
        return self.detail or self.title


class FileRefused(CashbookError):
    """An input file with problems; nothing of it was written."""

    title = "File refused"

    def __init__(self, file: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.file = file
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{shown_file_name(file)}: refused, {count} problem{'s' if count != 1 else ''}; nothing was written\n{lines}")


class WorkspaceError(CashbookError):
    title = "Workspace problem"


class InputUnreadable(CashbookError):
    """DuckDB could not read a user's file (a CSV it reads itself); ``reason`` is its first line.

    The importing code turns it into the file's refusal (FileRefused), naming the file.
    """

    title = "File unreadable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(CashbookError):
    title = "Not found"


class HierarchyError(CashbookError):
    title = "Hierarchy change refused"


class AllocationError(CashbookError):
    title = "Allocation refused"


class OverAllocation(AllocationError):
    """More than a document has open, or a receipt has unallocated; or a reversal that would leave that."""

    title = "Over-allocation refused"


class NameRefused(CashbookError):
    """A user name that cannot go into the ledger's "who"."""

    title = "Name refused"


class CurrencyMismatch(AllocationError):
    """Cash applies only within one currency."""

    title = "Currencies differ"


class ToleranceExceeded(AllocationError):
    """A write-off beyond the tolerance of the settings."""

    title = "Write-off over tolerance"


class OutsideGroup(AllocationError):
    """A document outside the payer's group (its scope)."""

    title = "Outside the payer's group"


class ReasonMissing(AllocationError):
    """A deduction without the reason code the credit centre needs to work it."""

    title = "Reason code missing"


class DocumentSettled(AllocationError):
    """A document the ERP has already settled."""

    title = "Document already settled"


class SuggestionOutOfDate(AllocationError):
    """A suggestion whose document another receipt has paid since."""

    title = "Suggestion out of date"


class SettingsError(CashbookError):
    title = "Settings problem"


class SearchRefused(CashbookError):
    title = "Nothing to search for"


class DecisionsRefused(CashbookError):
    """A decisions workbook that cannot be read at all (not an xlsx, no Decision column)."""

    title = "Decisions file refused"


class AccessRefused(CashbookError):
    """An action the user's role does not allow, or a user the workspace does not know."""

    title = "Not allowed"


class SignInRefused(CashbookError):
    title = "Sign-in refused"
