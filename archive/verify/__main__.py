"""``python -m archive.verify DIR``: the same as ``python -m archive verify DIR``."""

import sys

from archive.verify.cli import main

sys.exit(main())
