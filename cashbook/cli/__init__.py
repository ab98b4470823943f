"""The `cashbook` command: thin handlers over the service API, for scripts and scheduled runs."""

import sys

try:
    from cashbook.cli.main import main
except KeyboardInterrupt:  # Ctrl-C while the command is still loading: nothing was opened, one line, no traceback
    sys.stderr.write("interrupted; nothing was written\n")
    sys.exit(130)

__all__ = ["main"]
