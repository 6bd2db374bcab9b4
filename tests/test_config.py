"""crawler/config.py: every component config is read from its settings the same way."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler.dedup.links import LinkDedupConfig
from crawler.dedup.maintenance import MaintenanceConfig
from crawler.fetching.downloader import HeaderLimits
from crawler.incremental.policy import ScheduleConfig

CONFIGS = [ScheduleConfig, MaintenanceConfig, LinkDedupConfig, HeaderLimits]


@pytest.mark.parametrize("cls", CONFIGS)
def test_unset_settings_give_the_project_defaults(cls):
    """A config's defaults are the ones crawler/settings.py documents."""
    from scrapy.utils.project import get_project_settings

    assert cls.from_settings(Settings()) == cls.from_settings(get_project_settings())


def test_each_field_is_read_with_the_getter_of_its_type():
    config = ScheduleConfig.from_settings(Settings({
        "INCREMENTAL_FRESH_DAYS": "3", "INCREMENTAL_FULL_SWEEP": "True",
        "INCREMENTAL_POLICY": "all",
    }))
    assert (config.fresh_days, config.full_sweep, config.policy) == (3.0, True, "all")
    limits = HeaderLimits.from_settings(Settings({"DOWNLOAD_MAXHEADERS": "64"}))
    assert limits.max_lines == 64 and isinstance(limits.max_lines, int)


@pytest.mark.parametrize(("cls", "name", "value"), [
    (ScheduleConfig, "INCREMENTAL_BACKOFF", 0.5),
    (MaintenanceConfig, "DEDUP_MAINTENANCE_RETRY_DELAY", -1),
    (LinkDedupConfig, "DEDUP_MAX_PATH_SEGMENTS", 0),
    (HeaderLimits, "DOWNLOAD_MAXHEADERS_SIZE", 10),
])
def test_a_bad_value_is_refused_from_settings_and_by_hand(cls, name, value):
    with pytest.raises(ValueError, match=name.split("_")[0]):
        cls.from_settings(Settings({name: value}))
    field = next(f.name for f in cls.__dataclass_fields__.values()
                 if f.metadata.get("setting") == name)
    with pytest.raises(ValueError):
        cls(**{field: value})
