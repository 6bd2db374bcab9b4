"""What the maintenance and not-the-site middlewares share: keep a bad answer out, ask later.

Both recognise a 200 answer that is not the page (a maintenance notice, a challenge or error
page), classify each response once (the verdict rides on the request's meta, for the capture
filter and the middleware), retry its URL with back-off without holding a download slot,
and hand the URLs still bad at the end to the next run through a state file. A subclass
names its meta keys, stats namespace, deferral kind, state file and exceptions, and says
what a bad answer is; the retry loop and the hand-over are here, once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.durable import replaced_atomically
from crawler.config import FromSettings, default, non_negative
from crawler.fetching.compression import decode
from crawler.fetching.deferral import Deferrals, RequestDeferred, backoff, is_robots
from crawler.profile import SiteProfile, site_profile
from crawler.resume.job import callback_name
from crawler.run.context import RunContext
from crawler.run.owner import run_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

Classifier = Callable[[bytes, str, str | None, bytes | None, SiteProfile], bool]


def decoded_within(body: bytes, content_encoding: bytes | None, limit: int) -> bytes | None:
    """The body decoded as the crawl decodes it; None when it does not decode, keeps a coding
    we cannot undo, or is larger than ``limit`` (too large to be such a page: not ours to
    judge)."""
    try:
        raw, kept = decode(body, [content_encoding] if content_encoding else [], limit)
    except Exception:  # noqa: BLE001 - too large or broken: not ours to judge
        return None
    if any(c != b"identity" for c in kept) or len(raw) > limit:
        return None
    return raw


def classify_once(request: Request, response: Response, profile: SiteProfile,
                  meta_key: str, classify: Classifier) -> bool:
    """Classify once per response object; the verdict rides on the request's meta."""
    cached = request.meta.get(meta_key)
    if cached is not None and cached[0] == id(response):
        return cached[1]
    content_type = response.headers.get(b"Content-Type")
    verdict = classify(
        response.body,
        response.url,
        content_type.decode("latin-1") if content_type else None,
        response.headers.get(b"Content-Encoding"),
        profile,
    )
    request.meta[meta_key] = (id(response), verdict)
    return verdict


class DeferralConfig(FromSettings):
    """Base of a frozen config dataclass with fields retry_times, retry_delay, max_delay and
    max_wait (each a ``setting(...)`` of its component)."""

    retry_times: int
    retry_delay: float
    max_delay: float
    max_wait: float

    def __post_init__(self) -> None:
        non_negative(self, "retry_times", "retry_delay", "max_delay", "max_wait")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        return backoff(self.retry_delay, attempt, self.max_delay, retry_after)


def load_pending(state_dir: Path, name: str) -> list[dict[str, str]]:
    """URLs an earlier run handed on (in maintenance, not the site's, or failed): asked first
    by this one."""
    path = state_dir / name
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring unreadable %s: %s", path, exc)
        return []
    return [e for e in data.get("urls", []) if isinstance(e, dict) and e.get("url")]


def save_pending(state_dir: Path, entries: list[dict[str, str]], name: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    # A full disk leaves the old file, and no temporary file.
    with replaced_atomically(state_dir / name) as tmp:
        tmp.write_text(json.dumps({"urls": entries}, ensure_ascii=False, indent=1), "utf-8")


class DeferringMiddleware:
    """Downloader middleware base: swallow a bad answer, reschedule its URL, hand on the rest."""

    STATS: ClassVar[str]  # stats namespace, e.g. "dedup/maintenance"
    META_ATTEMPT: ClassVar[str]
    META_VERDICT: ClassVar[str]
    DEFERRAL_KIND: ClassVar[str]
    STATE_FILE: ClassVar[str]
    SAVE_FAILED: ClassVar[str]  # logged when the state file cannot be written
    DEFERRED_TEXT: ClassVar[str]  # the deferral's message: "<text>, retry in 10s: <url>"
    UNRESOLVED_TEXT: ClassVar[str]  # the give-up's message: "<text>: <url>"
    Deferred: ClassVar[type[RequestDeferred]]
    Unresolved: ClassVar[type[IgnoreRequest]]
    CONFIG: ClassVar[type[DeferralConfig]]
    # A robots.txt request waits in place (the robots middleware awaits its answer).
    ROBOTS_WAIT_IN_PLACE: ClassVar[bool] = False

    def __init__(self, config: Any, stats: Any, deferrals: Deferrals,
                 state_dir: Path | None = None, *, profile: SiteProfile) -> None:
        self.config = config
        self.stats = stats
        self.deferrals = deferrals
        # Once only such URLs are left, the run waits for them this long at most.
        deferrals.max_idle_wait[self.DEFERRAL_KIND] = config.max_wait
        self.state_dir = state_dir
        self.profile = profile
        self.run: RunContext | None = None  # set by from_crawler: the report names what is left
        self.unresolved: dict[str, str] = {}  # url -> callback name
        self._waiting: dict[str, str] = {}
        self._logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("DEDUP_ENABLED", default("DEDUP_ENABLED")):
            raise NotConfigured("DEDUP_ENABLED is off")
        config = cls.CONFIG.from_settings(crawler.settings)  # ValueError: a bad setting
        cls.check_enabled(config)
        run = run_of(crawler)
        ctx = run.context
        read_only = crawler.settings.getbool("ARCHIVE_READ_ONLY")
        mw = cls(config, crawler.stats, run.deferrals,
                 None if read_only else ctx.layout.state_dir,
                 profile=site_profile(crawler.settings))
        mw.run = ctx
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    @classmethod
    def check_enabled(cls, config: Any) -> None:
        """Raise NotConfigured when the config switches the component off."""

    def is_bad(self, request: Request, response: Response) -> bool:
        raise NotImplementedError

    def note_bad(self, request: Request, response: Response) -> None:
        """Log (once) and count a bad answer, before its retry is decided."""

    def note_unresolved(self, request: Request, attempts: int) -> None:
        """A URL gave up on: more than logging is the subclass's."""

    def retry_after(self, response: Response) -> float | None:
        return None

    def left_waiting(self) -> Iterable[tuple[str, str]]:
        """(url, callback name) of the retries still pending when the run ends."""
        raise NotImplementedError

    def report(self, run: RunContext) -> None:
        """Put what is left in the run's summary."""

    async def process_response(self, request: Request, response: Response) -> Any:
        if not self.is_bad(request, response):
            if request.meta.get(self.META_ATTEMPT):
                self.stats.inc_value(f"{self.STATS}/recovered")
                self._waiting.pop(request.url, None)
                self.deferrals.note_progress()
            return response
        self.stats.inc_value(f"{self.STATS}/seen")
        self.note_bad(request, response)
        attempt = request.meta.get(self.META_ATTEMPT, 0) + 1
        if attempt > self.config.retry_times:
            self.stats.inc_value(f"{self.STATS}/unresolved")
            self._waiting.pop(request.url, None)
            self.unresolved[request.url] = callback_name(request)
            self.note_unresolved(request, attempt - 1)
            raise self.Unresolved(f"{self.UNRESOLVED_TEXT}: {request.url}")
        delay = self.config.delay(attempt, self.retry_after(response))
        retry = request.replace(dont_filter=True)
        retry.meta[self.META_ATTEMPT] = attempt
        retry.meta.pop(self.META_VERDICT, None)
        self.stats.inc_value(f"{self.STATS}/deferred")
        if self.ROBOTS_WAIT_IN_PLACE and is_robots(request):
            await self.deferrals.wait(delay)
            return retry
        self._waiting[request.url] = callback_name(request)
        self.deferrals.schedule(retry, delay, self.DEFERRAL_KIND)
        raise self.Deferred(f"{self.DEFERRED_TEXT}, retry in {delay:.0f}s: {request.url}")

    def spider_closed(self) -> None:
        # A retry still waiting when the run ends is the next run's, like an unresolved one.
        for url, name in list(self.left_waiting()):
            self.unresolved[url] = name
            self.stats.inc_value(f"{self.STATS}/unresolved")
        self._waiting.clear()
        run = self.run
        if self.state_dir is not None:
            entries = [{"url": u, "callback": cb} for u, cb in sorted(self.unresolved.items())]
            try:
                save_pending(self.state_dir, entries, self.STATE_FILE)
            except OSError as exc:
                if run is None:
                    raise
                own = logging.getLogger(type(self).__module__)
                run.log_write_failure(own, self.SAVE_FAILED, exc)
        if run is not None:
            self.report(run)
