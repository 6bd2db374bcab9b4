"""Component settings, read one way: a frozen dataclass whose fields name their setting.

``ScheduleConfig.from_settings(settings)`` reads each field's setting with the getter of its
default's type (``getint`` for an int, ...), the default being the one in
``crawler/settings.py``; the class's ``__post_init__`` refuses a bad value
with a ValueError that names the setting, so a crawl with a bad setting stops before it
starts, and a config built by hand (in a test) is held to the same rules.
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any, Self

from crawler import settings as project


def default(name: str) -> Any:
    """The one default of setting ``name``: the value ``crawler/settings.py`` gives it.

    Code that reads a setting passes this as the getter's default (a crawler built without
    the project's settings, as tests build one, still gets the project's value), so no
    default is written twice. An AttributeError names a setting that has no default there.
    """
    return getattr(project, name)


def setting(name: str) -> Any:
    """A config field read from the Scrapy setting ``name`` (its project default when unset)."""
    return field(default=default(name), metadata={"setting": name})


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


def non_negative(config: Any, *names: str) -> None:
    """Refuse a config whose named fields are below zero, naming each field's setting.

    Shared by the configs whose counts and delays only make sense from zero up, so each
    says which setting is wrong the same way.
    """
    bad = [f"{f.metadata.get('setting', f.name)}={getattr(config, f.name)}"
           for f in fields(config) if f.name in names and getattr(config, f.name) < 0]
    if bad:
        raise ValueError(f"{', '.join(bad)}: must not be negative")
