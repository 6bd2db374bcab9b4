"""``ARCHIVE_READ_ONLY`` (the debugging commands' default setting): every component that
writes under ARCHIVE_DIR stays out, since a command default cannot switch off what the
project's settings switch on (crawler/commands/__init__.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

RUN_OWNER = {"crawler.run.owner.ArchiveRun": 0}

WRITERS = [
    "crawler.capture.warc.WarcCapture",
    "crawler.run.end.RunEnd",
    "crawler.resume.tracker.JobTracker",
    "pipelines.version.ArticleVersionPipeline",
    "pipelines.jsonl.JsonLinesExportPipeline",
    "crawler.incremental.middleware.IncrementalMiddleware",
]


def read_only_crawler(tmp_path: Path):
    # A JOBDIR too (Scrapy makes it), or the job tracker would stay out for want of one.
    return get_crawler(settings_dict={"ARCHIVE_READ_ONLY": True, "ADDONS": RUN_OWNER,
                                      "ARCHIVE_DIR": str(tmp_path / "archive"),
                                      "JOBDIR": str(tmp_path / "jobdir")})


@pytest.mark.parametrize("path", WRITERS)
def test_a_component_that_writes_under_archive_dir_is_not_configured(path, tmp_path):
    with pytest.raises(NotConfigured):
        load_object(path).from_crawler(read_only_crawler(tmp_path))
    assert not (tmp_path / "archive").exists()


def test_the_maintenance_middleware_keeps_no_state(tmp_path):
    from crawler.dedup.maintenance import MaintenanceMiddleware

    assert MaintenanceMiddleware.from_crawler(read_only_crawler(tmp_path)).state_dir is None
    assert not (tmp_path / "archive").exists()


def test_the_setting_is_off_unless_a_command_sets_it():
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert settings.getpriority("ARCHIVE_READ_ONLY") is None
    assert settings.getbool("ARCHIVE_READ_ONLY") is False
