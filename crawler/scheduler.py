"""Scrapy's scheduler without its disk queue.

With JOBDIR set, Scrapy pickles every request into a disk queue that SIGKILL can leave
unreadable, and that cannot hold the in-progress article assemblies anyway. Resuming works
from the job's work log instead (crawler/job.py), so requests stay in memory; JOBDIR still
keeps the seen-set and the spider state.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.core.scheduler import Scheduler

logger = logging.getLogger(__name__)


class MemoryQueueScheduler(Scheduler):
    def _dqdir(self, jobdir: str | None) -> str | None:
        return None

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        except OSError as exc:
            # JOBDIR's seen-set could not be flushed (a full disk, already reported).
            logger.warning("Could not close the seen-set in JOBDIR: %s", exc)
            return None
