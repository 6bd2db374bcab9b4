"""A full disk (or any failed write to ARCHIVE_DIR) ends the run once, with one message.

Whichever component hits the wall first (WARC writer, item files, state database) records
it here; later failures are its consequences and are logged as warnings. The message names
the file system (mount point and type) and the path, and becomes the run's ``failed`` and
the crawl's last line, so an operator knows which disk to look at.

So that the end of the run (index, report, state) has room on a disk that filled up, the
crawl command sets aside ``state/.reserve`` when it starts (``ARCHIVE_DISK_RESERVE``, at
most a quarter of the free space) and the run's end deletes it first.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.utils.defer import deferred_from_coro

from crawler.config import default

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.run.context import RunContext

logger = logging.getLogger(__name__)

RESERVE_NAME = ".reserve"
STAT = "run/write_error"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT, as such or as the cause of an ArchiveWriteError, or SQLite's own word."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _FULL_ERRNOS:
            return True
        if isinstance(seen, sqlite3.OperationalError) and "disk is full" in str(seen):
            return True
        seen = getattr(seen, "cause", None) or seen.__cause__
    return False


def mount_of(path: Path) -> tuple[str, str]:
    """(mount point, file system type) of the disk ``path`` is on, from /proc/mounts."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    point = path
    while not os.path.ismount(point) and point != point.parent:
        point = point.parent
    fstype = "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[1].replace("\\040", " ") == str(point):
                fstype = fields[2]  # the last mount on a point is the one in effect
    except OSError:
        pass
    return str(point), fstype


def _nearly_full(path: Path) -> bool:
    """SQLite reports some writes on a full disk as "disk I/O error": ask the disk."""
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        free = os.statvfs(path)
    except OSError:
        return False
    return free.f_bavail * free.f_frsize < 64 * 1024


def failure_message(exc: BaseException, path: Path) -> str:
    reason = getattr(exc, "cause", None) or exc
    if is_disk_full(exc) or (isinstance(exc, sqlite3.Error) and _nearly_full(path)):
        point, fstype = mount_of(path)
        return f"the disk is full ({point}, {fstype}): cannot write {path}: {reason}"
    return f"cannot write {path}: {reason}"


def record_write_failure(run: RunContext | None, crawler: Crawler | None, exc: BaseException,
                         path: Path, reason: str) -> bool:
    """The first failed write stops the crawl and names the disk; True if this was it.

    Safe from any thread: the crawl is stopped through the reactor.
    """
    if crawler is None or run is None:
        logger.error("%s", failure_message(exc, path))
        return True
    ctx = run
    if ctx.write_failed is not None:
        ctx.log_write_failure(logger, f"Also failed ({path})", exc)
        return False
    ctx.write_failed = exc
    message = failure_message(exc, path)
    ctx.summary.write_error = message
    if crawler.stats is not None:
        crawler.stats.set_value(STAT, message)
        crawler.stats.set_value("run/write_error_reason", reason)
    logger.error("%s; stopping the crawl", message)
    from twisted.internet import reactor  # installed by Scrapy once crawling

    reactor.callFromThread(stop_crawl, crawler, reason)
    return True


def stop_crawl(crawler: Crawler, reason: str) -> None:
    """Close the spider from the reactor thread (a disk that fills up ends the run)."""
    try:
        engine = crawler.engine
    except RuntimeError:  # not crawling yet: the spider_opened handler stops it then
        return
    if engine is not None:
        deferred_from_coro(engine.close_spider_async(reason=reason))


def create_reserve(state_dir: Path, max_bytes: int) -> int:
    """Set aside room for the run's end; bytes reserved (0 when there is too little)."""
    if max_bytes <= 0:
        return 0
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        free = os.statvfs(state_dir)
        size = min(max_bytes, free.f_bavail * free.f_frsize // 4) // 4096 * 4096
        path = state_dir / RESERVE_NAME
        if size <= 0:
            path.unlink(missing_ok=True)
            return 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
    except OSError as exc:
        logger.warning("Could not set aside room for the end of the run: %s", exc)
        (state_dir / RESERVE_NAME).unlink(missing_ok=True)
        return 0
    return size


def release_reserve(state_dir: Path) -> None:
    try:
        (state_dir / RESERVE_NAME).unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("Could not delete %s: %s", state_dir / RESERVE_NAME, exc)


def reserve_size(settings: Any) -> int:
    size = settings.getint("ARCHIVE_DISK_RESERVE", default("ARCHIVE_DISK_RESERVE"))
    if size < 0:
        raise ValueError(f"ARCHIVE_DISK_RESERVE must not be negative, got {size}")
    return size
