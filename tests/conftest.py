"""Shared test helpers: where our own fixtures and the shared real-world samples live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"


def shared_files(fmt: str) -> list[Path]:
    """Every real-world sample of one format, or [] when ../shared/fixtures is absent."""
    folder = SHARED_FIXTURES / fmt
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name != "SOURCES.md")


def shared_params(fmt: str) -> list:
    """pytest parameters over the shared samples of a format; one skipped case when absent."""
    files = shared_files(fmt)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"../shared/fixtures/{fmt} is absent"))]
    return [pytest.param(p, id=p.name) for p in files]
