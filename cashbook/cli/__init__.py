"""The `cashbook` command: thin handlers over the service API, for scripts and scheduled runs."""

from cashbook.cli.main import main

__all__ = ["main"]
