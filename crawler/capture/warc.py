"""Capture every HTTP exchange into WARC/1.1 at ``response_downloaded``.

That signal fires before any downloader middleware sees the response, so the body is still
content-encoded, redirects and errors are still themselves, and robots.txt is there too.
The records are built here (cheap) and written by one background thread (file I/O never runs
on the event loop); the Future of their locations rides on ``request.meta`` so an item can
point at its page's record.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.layout import FILE_INDEX_DIR, ArchiveLayout
from archive.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    PROFILE_SERVER_NOT_MODIFIED,
    WARCINFO_CONFORMS_TO,
    WARCINFO_FORMAT,
    Exchange,
    exchange_records,
    format_warc_date,
    new_record_id,
    payload_digest,
    revisit_records,
)
from archive.writer import BackgroundWarcWriter, WarcFileWriter, recover_open_files
from crawler.capture.exchange import exchange_from, resolve_payload, safe_host_name
from crawler.capture.filters import CaptureFilter, bomb_filter, maintenance_filter
from crawler.config import default
from crawler.dedup.notsite import not_site_filter
from crawler.profile import site_profile
from crawler.resume import killpoints
from crawler.run.context import RunContext
from crawler.run.diskfull import record_write_failure
from crawler.run.owner import run_of
from crawler.state.records import Capture, Payload, warc_source
from crawler.state.store import CaptureState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

WARC_LOCATION = "warc_location"
# Set on a request whose 200 payload is the one archived for its URL by an earlier run.
UNCHANGED = "archive/unchanged"


@dataclass(frozen=True)
class WarcConfig:
    """Every WARC_* setting, validated in one place."""

    archive_dir: Path
    prefix: str
    max_size: int
    operator: str
    robots_policy: str
    software: str

    @classmethod
    def from_settings(cls, settings: Any) -> WarcConfig:
        max_size = settings.getint("WARC_MAX_SIZE", default("WARC_MAX_SIZE"))
        if max_size < 64 * 1024:
            raise ValueError(f"WARC_MAX_SIZE must be at least 64 KiB, got {max_size}")
        # A sibling site's files are named after it unless the operator names them.
        prefix = settings.get("WARC_PREFIX") or site_profile(settings).short_name
        if not prefix or any(c in prefix for c in "/\\\0 ") or prefix.startswith("."):
            raise ValueError(f"WARC_PREFIX must be a plain file-name part, got {prefix!r}")
        obey = settings.getbool("ROBOTSTXT_OBEY")
        return cls(
            archive_dir=ArchiveLayout.at(settings.get("ARCHIVE_DIR")).root,
            prefix=prefix,
            max_size=max_size,
            operator=settings.get("WARC_OPERATOR", default("WARC_OPERATOR")) or "",
            robots_policy="obey" if obey else "ignore",
            software=f"sznews-archive/0.1.0 (Scrapy/{scrapy.__version__})",
        )


class WarcCapture:
    def __init__(
        self,
        config: WarcConfig,
        stats: Any,
        host: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        record_id: Callable[[], str] = new_record_id,
        warcinfo_id: Callable[[], str] = new_record_id,
    ) -> None:
        self.config = config
        self.stats = stats
        self.host = host
        self.clock = clock
        self.record_id = record_id
        # The writer thread names warcinfo records when it opens a file, whenever that is:
        # a source of its own keeps the ids of exchanges (taken on the event loop) in order.
        self.warcinfo_id = warcinfo_id
        self.filters: list[CaptureFilter] = []
        self.revisits = False
        # Without a state database (a WarcCapture built on its own) payloads are remembered
        # here, for this instance only.
        self._payloads: dict[str, Payload] = {}
        self.warc_dir: Path | None = None
        self.state: CaptureState | None = None
        self.writer: BackgroundWarcWriter | None = None
        self._file_writer: WarcFileWriter | None = None
        self._failed: BaseException | None = None
        self._crawler: Crawler | None = None
        self.run: RunContext | None = None  # None: a capture built on its own (tests)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command writes no WARC files")
        if not crawler.settings.getbool("WARC_ENABLED", default("WARC_ENABLED")):
            raise NotConfigured("WARC_ENABLED is off: no WARC files are written")
        # A bad setting stops the crawl before it starts: archiving silently off is worse.
        config = WarcConfig.from_settings(crawler.settings)
        ext = cls(config, crawler.stats, safe_host_name(socket.gethostname()))
        ext._crawler = crawler
        run = run_of(crawler)
        ext.run = run.context
        ext.filters.append(bomb_filter(crawler.settings.getint("DOWNLOAD_MAXSIZE")))
        if crawler.settings.getbool("DEDUP_ENABLED", default("DEDUP_ENABLED")):
            ext.filters.append(maintenance_filter(site_profile(crawler.settings)))
            ext.filters.append(not_site_filter(site_profile(crawler.settings)))
            ext.revisits = crawler.settings.getbool("DEDUP_REVISITS", default("DEDUP_REVISITS"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        ext.state = run.state
        if ext.run.state_error is not None:  # a full disk: the crawl stops once opened
            record_write_failure(ext.run, crawler, ext.run.state_error, ext.run.layout.state_db,
                                 "state_write_error")
        return ext

    def warcinfo_fields(self) -> dict[str, str]:
        fields = {
            "software": self.config.software,
            "format": WARCINFO_FORMAT,
            "conformsTo": WARCINFO_CONFORMS_TO,
            "robots": self.config.robots_policy,
            "operator": self.config.operator,
            "hostname": self.host,
            "isPartOf": self.run_id,
        }
        return {name: value for name, value in fields.items() if value}

    @property
    def run_id(self) -> str:
        return self.run.run_id if self.run is not None else "standalone"

    def open(self, warc_dir: Path, index_path: Path | None = None) -> None:
        warc_dir.mkdir(parents=True, exist_ok=True)
        self.warc_dir = warc_dir
        for path in recover_open_files(warc_dir):
            logger.warning("Recovered an unfinished WARC from an earlier run: %s", path)
            self.stats.inc_value("warc/files/recovered")
        self._file_writer = WarcFileWriter(
            warc_dir,
            prefix=self.config.prefix,
            host=self.host,
            max_size=self.config.max_size,
            warcinfo_fields=self.warcinfo_fields(),
            clock=self.clock,
            record_id=self.warcinfo_id,
            index_dir=None if index_path is None else index_path.parent / FILE_INDEX_DIR,
        )
        self.writer = BackgroundWarcWriter(self._file_writer)
        if self.state is not None:
            self.state.sync_hooks.append(self._file_writer.sync)

    def spider_opened(self) -> None:
        if self.run is not None and self.run.write_failed is not None:
            self._failed = self.run.write_failed
            return  # could not even open the state: the spider starts nothing
        layout = ArchiveLayout(self.config.archive_dir)
        self.open(layout.warc_dir, layout.index_path)

    def response_downloaded(self, response: Response, request: Request) -> None:
        if self.writer is None:
            return
        if self._failed is not None:
            self.stats.inc_value("warc/skipped/after_write_error")
            return
        for capture_filter in self.filters:
            reason = capture_filter(request, response)
            if reason:
                self.stats.inc_value(f"warc/skipped/{reason}")
                return
        if "dataloss" in (response.flags or []) or "partial" in (response.flags or []):
            self.stats.inc_value("warc/skipped/incomplete")
            return
        exchange = exchange_from(request, response)
        previous = self.state.capture(exchange.url) if self.state is not None else None
        digest = payload_digest(exchange.response.body)
        records, claimed = self._records(exchange, digest, previous)
        if (
            previous is not None
            and response.status == 200
            and previous.digest == digest
            and previous.run_id != self.run_id  # a resumed run re-fetches its own work
        ):
            request.meta[UNCHANGED] = True
        future = self.writer.submit(records)
        future.target_uri = exchange.url  # for the kill tests' hook (crawler/resume/killpoints.py)
        future.add_done_callback(self._check_write)
        if self.state is not None:
            captured = response.status == 200 and records[0].warc_type == "response"
            future.add_done_callback(
                lambda f: self._remember(
                    f, exchange if captured else None, digest, records[0].record_id, claimed
                )
            )
        request.meta[WARC_LOCATION] = future
        self.stats.inc_value(f"warc/records/{records[0].warc_type}")
        self.stats.inc_value("warc/records/request")

    def _remember(
        self,
        future: Any,
        exchange: Exchange | None,
        digest: str,
        record_id: str,
        payload: Payload | None,
    ) -> None:
        """Runs on the writer thread once the records are on disk: state follows the WARC.

        ``exchange`` is the URL's new capture (a 200 response), or None when the records only
        move the state's place in the file on (a revisit, an error page, a redirect).
        """
        if future.exception() is not None or self.state is None:
            return
        if self.run is not None and self.run.write_failed is not None:
            return  # the disk is full: the state stays behind the WARC, as after a kill
        last = future.result()[-1]
        folded = (warc_source(last.filename), last.offset + last.length)
        if exchange is None:
            written = self.state.record_capture(None, None, folded)
            written.add_done_callback(self._check_state_write)
            return
        headers = {name.lower(): value for name, value in exchange.response.headers}
        etag = headers.get(b"etag")
        last_modified = headers.get(b"last-modified")
        written = self.state.record_capture(
            Capture(
                url=exchange.url,
                status=exchange.response.status,
                digest=digest,
                etag=etag.decode("latin-1") if etag else None,
                last_modified=last_modified.decode("latin-1") if last_modified else None,
                warc_date=format_warc_date(exchange.date),
                record_id=record_id,
                run_id=self.run_id,
            ),
            payload,
            folded,
        )
        written.add_done_callback(self._check_state_write)

    def _check_state_write(self, future: Any) -> None:
        """Runs on the state thread: SQLite's "database or disk is full" ends the run too."""
        exc = future.exception()
        if exc is not None and self.state is not None:
            record_write_failure(self.run, self._crawler, exc, self.state.path,
                                 "state_write_error")

    def _records(
        self, exchange: Exchange, digest: str, previous: Capture | None
    ) -> tuple[list[Any], Payload | None]:
        """A response pair; or a revisit pair when the server said 304 or the payload is
        already archived. With the pair, the payload this response is the original of."""
        response_id, request_id = self.record_id(), self.record_id()
        status, body = exchange.response.status, exchange.response.body
        revisit: tuple[str, Payload] | None = None  # profile, original
        claimed: Payload | None = None
        if status == 304 and previous is not None and previous.digest:
            self.stats.inc_value("incremental/not_modified")
            original = Payload(previous.digest, previous.url, previous.warc_date,
                               previous.record_id)
            revisit = (PROFILE_SERVER_NOT_MODIFIED, original)
        elif self.revisits and status == 200 and body:
            claimed = Payload(digest, exchange.url, format_warc_date(exchange.date), response_id)
            original = self._claim(claimed)
            if original is not None:
                claimed = None
                self.stats.inc_value("dedup/revisits")
                revisit = (PROFILE_IDENTICAL_PAYLOAD, original)
        if revisit is None:
            records = exchange_records(exchange, response_id=response_id, request_id=request_id)
            return list(records), claimed
        profile, original = revisit
        records = revisit_records(
            exchange,
            revisit_id=response_id,
            request_id=request_id,
            profile=profile,
            refers_to_uri=original.url,
            refers_to_date=original.warc_date,
            refers_to_record_id=original.record_id,
            payload_digest=original.digest,
        )
        return list(records), None

    def _claim(self, payload: Payload) -> Payload | None:
        """The original of ``payload``'s digest, if archived before; else ``payload`` is it."""
        if self.state is None:
            original = self._payloads.get(payload.digest)
            if original is None:
                self._payloads[payload.digest] = payload
            return original
        original = self.state.claim_payload(payload)
        if original is not None and original.location is not None and self.warc_dir:
            original = resolve_payload(original, self.warc_dir)
            self.state.resolved_payload(original)
        return original

    def _check_write(self, future: Any) -> None:
        """Runs on the writer thread: a failed write (disk full) stops the crawl once."""
        exc = future.exception()
        if exc is None:
            killpoints.reached("warc_write")
            url = getattr(future, "target_uri", None)
            if url:
                killpoints.written(url)
        if exc is None or self._failed is not None:
            return
        self._failed = exc
        path = getattr(exc, "path", None) or self.warc_dir or self.config.archive_dir
        record_write_failure(self.run, self._crawler, exc, Path(path), "warc_write_error")

    def close(self) -> None:
        """Finalizer: drain the queue, close and rename the open file."""
        if self.writer is None:
            return
        self.writer.close()
        fw = self._file_writer
        if fw is not None:
            self.stats.set_value("warc/bytes", fw.bytes_written)
            self.stats.set_value("warc/files", len(fw.files))
        self.writer = None
