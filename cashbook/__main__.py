"""`python -m cashbook`: the same command as the installed `cashbook` script."""

import sys

from cashbook.cli import main

sys.exit(main())
