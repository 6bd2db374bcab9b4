"""``scrapy check`` as Scrapy has it, with ARCHIVE_DIR read-only (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.commands import check


class Command(check.Command):
    default_settings: ClassVar[dict[str, Any]] = {
        **check.Command.default_settings,
        "ARCHIVE_READ_ONLY": True,
    }
