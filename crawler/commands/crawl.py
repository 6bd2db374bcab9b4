"""``scrapy crawl`` for an archive: one run at a time, resumable, with an honest exit code.

Before the crawl starts: take the ARCHIVE_DIR lock (a second run exits at once, code 75),
continue an unfinished run if one was killed (its run id and JOBDIR under ``job/``), and
put JOBDIR there unless the user chose one. After it: exit 1 when the run failed (nothing of
the site could be fetched, or it did not finish), so that a scheduler notices.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from scrapy.commands import crawl

from archive.layout import ArchiveLayout
from crawler.resume.job import ArchiveBusy, ArchiveJob, ArchiveLock
from crawler.run.diskfull import create_reserve, release_reserve, reserve_size
from crawler.run.outcome import run_failure

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)

EXIT_BUSY = 75  # EX_TEMPFAIL: try again later
EXIT_FAILED = 1


class Command(crawl.Command):
    def short_desc(self) -> str:
        return "Run a spider into ARCHIVE_DIR (locked, resumable)"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        archive_dir = ArchiveLayout.at(self.settings.get("ARCHIVE_DIR")).root
        try:
            reserve = reserve_size(self.settings)
        except ValueError as exc:
            print(f"scrapy crawl: {exc}", file=sys.stderr)
            sys.exit(EXIT_FAILED)
        self.lock = ArchiveLock(archive_dir)
        try:
            self.lock.acquire()
        except ArchiveBusy as exc:
            print(f"scrapy crawl: {exc}", file=sys.stderr)
            sys.exit(EXIT_BUSY)
        except OSError as exc:
            print(f"scrapy crawl: ARCHIVE_DIR {archive_dir} is not writable: {exc}",
                  file=sys.stderr)
            sys.exit(EXIT_FAILED)
        self.job = ArchiveJob(archive_dir)
        try:
            run_id, resumed = self.job.begin()
        except OSError as exc:
            print(f"scrapy crawl: cannot start a run in {archive_dir}: {exc}", file=sys.stderr)
            sys.exit(EXIT_FAILED)
        self.resumed = resumed
        # Room for the index and report should the disk fill up (crawler/run/diskfull.py).
        self.state_dir = ArchiveLayout(archive_dir).state_dir
        create_reserve(self.state_dir, reserve)
        self.settings.set("ARCHIVE_RUN_ID", run_id, priority="cmdline")
        self.settings.set("ARCHIVE_RESUMED", resumed, priority="cmdline")
        if not self.settings.get("JOBDIR"):
            self.settings.set("JOBDIR", str(self.job.scrapy_dir), priority="cmdline")
        if resumed:
            self.job.drop_scrapy_queue()
            print(f"Resuming unfinished run {run_id} in {archive_dir}", file=sys.stderr)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)
            return
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
        failure = run_failure(stats)
        if self.crawler_process.bootstrap_failed:
            failure = failure or "the crawl could not start"
        release_reserve(self.state_dir)  # the run's end did, unless it never ran
        reason = stats.get("finish_reason")
        if reason == "finished":
            self.job.finish()  # the next run starts afresh
        if failure:
            print(f"scrapy crawl: run failed: {failure}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
        self.lock.release()
