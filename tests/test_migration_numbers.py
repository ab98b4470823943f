"""Each migration has its own version number: two branches that both add 0007_*.sql must not both land as 7,
or a workspace already at version 7 would silently skip the second one."""

from __future__ import annotations

from collections import Counter

from cashbook.db.connection import migration_scripts


def test_migration_versions_are_unique_and_gapless() -> None:
    versions = [version for version, _, _ in migration_scripts()]
    twice = sorted(v for v, n in Counter(versions).items() if n > 1)
    assert not twice, f"migrations share version numbers {twice}: renumber the later one"
    assert versions == list(range(1, len(versions) + 1)), f"migration versions have a gap: {versions}"
