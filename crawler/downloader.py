"""An HTTP/1.1 download handler that remembers what Scrapy's own forgets.

A faithful WARC needs the reason phrase of the status line and the moment the fetch began
(not when the request was scheduled). Scrapy's handler drops the phrase and measures only the
latency, so this subclass records both in ``request.meta`` (``warc/reason``,
``warc/fetch_began``). It reaches into Scrapy's private ``_ScrapyAgent``; when a Scrapy release
moves it, the crawl falls back to the stock handler and standard reason phrases (the WARC
extension logs that once).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers import http11
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

FETCH_BEGAN = "warc/fetch_began"
REASON = "warc/reason"


class _PhraseKeepingAgent(http11._ScrapyAgent):
    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        request.meta[REASON] = bytes(txresponse.phrase or b"")
        return super()._cb_bodyready(txresponse, request)


class ArchivingHTTP11DownloadHandler(http11.HTTP11DownloadHandler):
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
