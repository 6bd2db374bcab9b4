"""``python -m archive.qa DIR``: the same as ``python -m archive qa DIR``."""

import sys

from archive.qa.cli import main

sys.exit(main())
