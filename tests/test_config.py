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


def test_no_code_restates_a_settings_default():
    """A default is written once, in crawler/settings.py: a getter of a project setting takes
    ``crawler.config.default(NAME)`` or nothing, never a value of its own."""
    import ast
    from pathlib import Path

    import crawler.settings as project

    root = Path(__file__).resolve().parent.parent
    getters = {"get", "getint", "getbool", "getfloat", "getlist", "getdict"}
    restated = []
    for package in ("crawler", "spiders", "pipelines"):
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in getters and len(node.args) == 2):
                    continue
                name, fallback = node.args
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)
                        and hasattr(project, name.value)):
                    continue
                if not (isinstance(fallback, ast.Call) and isinstance(fallback.func, ast.Name)
                        and fallback.func.id == "default"):
                    restated.append(f"{path.relative_to(root)}:{node.lineno} {name.value}")
    assert restated == []


def test_a_config_field_takes_its_default_from_the_project_settings():
    import crawler.settings as project

    for cls in CONFIGS:
        for field in cls.__dataclass_fields__.values():
            name = field.metadata.get("setting")
            if name is not None:
                assert field.default == getattr(project, name), name


def test_non_negative_names_every_negative_setting_and_passes_zero():
    from crawler.dedup.notsite import NotSiteConfig
    from crawler.health.limits import HealthConfig

    with pytest.raises(ValueError, match=r"^DEDUP_NOTSITE_RETRY_TIMES=-1, "
                                         r"DEDUP_NOTSITE_MAX_WAIT=-2\.0: must not be negative$"):
        NotSiteConfig(retry_times=-1, max_wait=-2.0)
    with pytest.raises(ValueError, match="HEALTH_SPREAD=-1"):
        HealthConfig(spread=-1)
    assert NotSiteConfig(retry_times=0, retry_delay=0, max_delay=0, max_wait=0).retry_times == 0
    assert HealthConfig(history_runs=0, min_history=0, min_articles=0, spread=0).spread == 0
