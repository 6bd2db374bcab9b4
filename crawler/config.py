"""Component settings, read one way: a frozen dataclass whose fields name their setting.

``ScheduleConfig.from_settings(settings)`` reads each field's setting with the getter of its
default's type (``getint`` for an int, ...); the class's ``__post_init__`` refuses a bad value
with a ValueError that names the setting, so a crawl with a bad setting stops before it
starts, and a config built by hand (in a test) is held to the same rules.
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any, Self


def setting(name: str, default: Any) -> Any:
    """A config field read from the Scrapy setting ``name`` (``default`` when unset)."""
    return field(default=default, metadata={"setting": name})


class FromSettings:
    @classmethod
    def from_settings(cls, settings: Any) -> Self:
        getters = {bool: settings.getbool, int: settings.getint, float: settings.getfloat}
        values = {}
        for f in fields(cls):  # type: ignore[arg-type]
            name = f.metadata.get("setting")
            if name is not None:
                values[f.name] = getters.get(type(f.default), settings.get)(name, f.default)
        return cls(**values)
