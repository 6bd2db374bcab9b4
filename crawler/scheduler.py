"""Scrapy's scheduler without its disk queue.

With JOBDIR set, Scrapy pickles every request into a disk queue that SIGKILL can leave
unreadable, and that cannot hold the in-progress article assemblies anyway. Resuming works
from the job's work log instead (crawler/job.py), so requests stay in memory; JOBDIR still
keeps the seen-set and the spider state.
"""

from __future__ import annotations

from scrapy.core.scheduler import Scheduler


class MemoryQueueScheduler(Scheduler):
    def _dqdir(self, jobdir: str | None) -> str | None:
        return None
