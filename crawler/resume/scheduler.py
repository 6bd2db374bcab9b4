"""Scrapy's scheduler without its disk queue.

With JOBDIR set, Scrapy pickles every request into a disk queue that SIGKILL can leave
unreadable, and that cannot hold the in-progress article assemblies anyway. Resuming works
from the job's work log instead (crawler/resume/job.py), so requests stay in memory; JOBDIR still
keeps the seen-set and the spider state.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter

if TYPE_CHECKING:
    from scrapy import Request

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


class ArchiveDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter, going on in memory when JOBDIR's seen-set cannot be written.

    On a full disk the write of a fingerprint fails inside the scheduler, where nothing
    catches it: every request after that ends in an unretrieved task error. The run is being
    stopped by whoever hit the full disk first; the seen-set only matters to a resumed run,
    and the work log, not the seen-set, says what a resumed run must do again.
    """

    def request_seen(self, request: Request) -> bool:
        try:
            return super().request_seen(request)
        except OSError as exc:
            logger.warning("The seen-set in JOBDIR is no longer written: %s", exc)
            file, self.file = self.file, None
            if file is not None:
                with contextlib.suppress(OSError):
                    file.close()
            return False  # the fingerprint was added before the write failed

    def close(self, reason: str) -> None:
        try:
            super().close(reason)
        except OSError as exc:
            logger.warning("Could not close the seen-set in JOBDIR: %s", exc)
