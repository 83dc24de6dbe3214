"""``python -m symnn``: the same command line as ``symnn``."""

import sys

from symnn.cli import main

sys.exit(main())
