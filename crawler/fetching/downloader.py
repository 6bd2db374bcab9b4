"""An HTTP/1.1 download handler that remembers what Scrapy's own forgets.

A faithful WARC needs the reason phrase of the status line and the moment the fetch began
(not when the request was scheduled). Scrapy's handler drops the phrase and measures only the
latency, so this subclass records both in ``request.meta`` (``warc/reason``,
``warc/fetch_began``). It subclasses Scrapy's private ``_ScrapyAgent`` and builds it from the
handler's private attributes, as Scrapy's own ``download_request`` does. Nothing falls back
when a Scrapy release moves them: an archive that quietly lost its servers' reason phrases
would be worse than a crawl that does not start, so ``tests/test_downloader.py`` fetches
through this handler from a server with an unusual status line and fails on such an upgrade.
(A response that did not come through this handler, in unit tests, gets the standard phrase
of its status: ``crawler/capture/exchange.py: exchange_from``.)

It also caps response headers while they are read (``DOWNLOAD_MAXHEADERS_SIZE`` bytes,
``DOWNLOAD_MAXHEADERS`` lines): Twisted keeps every header line a server sends and
``DOWNLOAD_MAXSIZE`` counts only the body, so ``200 OK`` followed by header lines without
end grew the crawl to gigabytes within one download timeout. The cap lives in a protocol
subclass installed through the pool's private ``_factory`` (as Scrapy itself does) and reads
the parser's private ``state``; ``tests/test_hostile.py`` pins both to the installed Twisted
and Scrapy, so an upgrade that moves them fails loudly instead of silently uncapping.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers import http11
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.python.failure import Failure
from twisted.web import _newclient

from crawler.config import FromSettings, setting

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

FETCH_BEGAN = "warc/fetch_began"
REASON = "warc/reason"


class _PhraseKeepingAgent(http11._ScrapyAgent):
    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        request.meta[REASON] = bytes(txresponse.phrase or b"")
        return super()._cb_bodyready(txresponse, request)


class HeadersTooLarge(Exception):
    """The server sent more response header than the cap allows; the connection is cut."""


@dataclass(frozen=True)
class HeaderLimits(FromSettings):
    """DOWNLOAD_MAXHEADERS_SIZE and DOWNLOAD_MAXHEADERS, validated in one place."""

    max_bytes: int = setting("DOWNLOAD_MAXHEADERS_SIZE")
    max_lines: int = setting("DOWNLOAD_MAXHEADERS")

    def __post_init__(self) -> None:
        if self.max_bytes < 1024 or self.max_lines < 8:
            raise ValueError(
                "DOWNLOAD_MAXHEADERS_SIZE must be at least 1024 and DOWNLOAD_MAXHEADERS at "
                f"least 8, got {self.max_bytes} and {self.max_lines}"
            )


_IN_HEADERS = (_newclient.STATUS, _newclient.HEADER)


class HeaderCappingProtocol(http11._LenientHTTP11ClientProtocol):
    """Counts what arrives while the parser is still in the status line or headers."""

    def __init__(self, quiescent: Any, limits: HeaderLimits, stats: Any) -> None:
        super().__init__(quiescent)
        self._limits = limits
        self._stats = stats
        self._counted: tuple[Any, int, int] = (None, 0, 0)  # parser, bytes, lines

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        parser = self._parser
        if parser is None or getattr(parser, "state", None) not in _IN_HEADERS:
            super().dataReceived(data)
            return
        counted, size, lines = self._counted
        if counted is not parser:
            size = lines = 0
        size, lines = size + len(data), lines + data.count(b"\n")
        self._counted = (parser, size, lines)
        super().dataReceived(data)
        # Only a chunk after which the headers are still not over counts against the cap: the
        # chunk that ends them may carry body bytes too.
        if self._parser is parser and parser.state in _IN_HEADERS and (
            size > self._limits.max_bytes or lines > self._limits.max_lines
        ):
            if self._stats is not None:
                self._stats.inc_value("downloader/headers_too_large")
            self.transport.abortConnection()
            self._disconnectParser(Failure(HeadersTooLarge(
                f"response headers over {self._limits.max_bytes} bytes or "
                f"{self._limits.max_lines} lines ({size} bytes, {lines} lines so far)"
            )))


class HeaderCappingFactory(http11._LenientHTTP11ClientFactory):
    def __init__(self, quiescent: Any, metadata: Any, *, limits: HeaderLimits,
                 stats: Any) -> None:
        super().__init__(quiescent, metadata)
        self._limits = limits
        self._stats = stats

    def buildProtocol(self, addr: Any) -> HeaderCappingProtocol:  # noqa: N802
        return HeaderCappingProtocol(self._quiescentCallback, self._limits, self._stats)


class ArchivingHTTP11DownloadHandler(http11.HTTP11DownloadHandler):
    def __init__(self, crawler: Any) -> None:
        limits = HeaderLimits.from_settings(crawler.settings)
        super().__init__(crawler)
        self._pool._factory = functools.partial(
            HeaderCappingFactory, limits=limits, stats=crawler.stats
        )

    async def download_request(self, request: Request) -> Response:
        request.meta[FETCH_BEGAN] = datetime.now(UTC)
        agent = _PhraseKeepingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with http11.wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except http11.ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                http11.logger.warning(http11.get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
