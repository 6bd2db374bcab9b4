"""``scrapy warcshell URL``: Scrapy's shell on an archived response, never on the network."""

from __future__ import annotations

import asyncio
import sys
from argparse import ArgumentParser, Namespace
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Headers, Request, Response, TextResponse
from scrapy.shell import Shell

from archive.captures import CaptureNotFound, Loaded, parse_timestamp
from archive.layout import ArchiveLayout
from archive.reader import ArchiveReadError
from crawler.archived.reextraction import Reextractor
from crawler.archived.responses import Archive, DownloadLimits, archived_response
from crawler.extraction.article import extract_article_page
from crawler.extraction.page import parse_html, parse_response
from crawler.extraction.section import extract_section_page
from crawler.items import ArticleItem, SectionItem
from crawler.profile import PageKind


class NetworkDisabled(RuntimeError):
    pass


def no_fetch(*args: Any, **kwargs: Any) -> None:
    raise NetworkDisabled(
        "warcshell never touches the network; load(url[, timestamp]) opens another "
        "archived capture"
    )


class ArchiveShell(Shell):
    """Scrapy's shell without fetch(): objects come from the archive (``load``)."""

    archive_help: str = ""

    @property
    def fetch_available(self) -> bool:
        return False

    def fetch(self, *args: Any, **kwargs: Any) -> None:
        no_fetch()

    def get_help(self) -> str:
        return super().get_help() + self.archive_help

    def _is_relevant(self, value: Any) -> bool:
        # Every dataclass counts as an item to itemadapter; list only Scrapy's objects and
        # the crawl's items in the banner (the archive helpers have their own lines).
        return isinstance(value, (*self.relevant_classes, ArticleItem, SectionItem))


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {
        "LOGSTATS_INTERVAL": 0,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        # The crawler exists only to give the shell its objects: nothing under ARCHIVE_DIR
        # may be written (crawler/commands/__init__.py).
        "ARCHIVE_READ_ONLY": True,
    }

    def syntax(self) -> str:
        return "URL [-t TIMESTAMP] [-c CODE] -s ARCHIVE_DIR=DIR"

    def short_desc(self) -> str:
        return "Scrapy shell on the archived response of URL (no network)"

    def long_desc(self) -> str:
        return (
            "Open Scrapy's shell on the response of URL as the archive holds it: the latest "
            "capture, or the one nearest -t YYYYMMDDhhmmss. The URL may be given in any form "
            "the site answers under (an article's _01 alias, dir/ for dir/index.shtml). The "
            "capture is found through ARCHIVE_DIR/index.cdxj (a scan of the WARCs without "
            "one); a revisit keeps its own status and headers and takes its original's "
            "payload; the body is decoded as HttpCompressionMiddleware decodes it, so "
            "`response` is what the spider's callback saw. Besides Scrapy's objects "
            "(`spider` is the sznews spider), the shell offers: page (the parsed page the "
            "spider extracts from), extracted (extract_article_page / extract_section_page of "
            "it), item (the item re-extraction makes of this capture), capture, record, "
            "captures (every capture of the URL), profile, load(url[, timestamp]) and the "
            "extraction functions. Nothing is ever fetched: fetch() is disabled. Exits 1 "
            "when the URL is not archived."
        )

    def add_options(self, parser: ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-t",
            "--timestamp",
            metavar="YYYYMMDDhhmmss",
            help="the capture nearest this UTC time (prefixes such as 2026 or 20261128 pad "
            "like wayback) instead of the latest",
        )
        parser.add_argument(
            "-c",
            dest="code",
            help="evaluate the code in the shell, print the result and exit",
        )

    def process_options(self, args: list[str], opts: Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel and self.settings.getpriority("LOG_LEVEL") < 40:
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args: list[str], opts: Namespace) -> None:
        if len(args) != 1:
            raise UsageError("warcshell takes exactly one URL")
        assert self.settings is not None
        timestamp = None
        if opts.timestamp:
            try:
                timestamp = parse_timestamp(opts.timestamp)
            except ValueError as exc:
                raise UsageError(str(exc), print_help=False) from None
        archive_dir = ArchiveLayout.at(self.settings.get("ARCHIVE_DIR")).root
        archive = Archive(archive_dir)
        if not archive.warc_dir.is_dir():
            return self._fail(f"no WARC files: {archive.warc_dir} does not exist")
        archive = Archive.open(archive_dir)

        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler("sznews")
        crawler._apply_settings()  # as `scrapy shell` does: stats, fingerprinter, ...
        spider = crawler.spidercls.from_crawler(crawler)
        crawler.spider = spider
        limits = DownloadLimits.from_settings(crawler.settings)
        # The capture tables are made once: every capture the shell opens asks them.
        extractor = Reextractor(archive, spider.profile, limits, spider.site_host)
        state: dict[str, Any] = {}

        def open_capture(url: str, ts: str | None = None) -> Response:
            capture = archive.find(url, parse_timestamp(ts) if ts else None, spider.profile)
            loaded = archive.load(capture)
            request = self._request(spider, archive, loaded)
            response = archived_response(loaded, request, limits)
            state.update(
                capture=capture,
                loaded=loaded,
                captures=archive.captures_of(url, spider.profile),
            )
            return response

        try:
            response = open_capture(args[0], timestamp)
        except CaptureNotFound as exc:
            return self._fail(f"not archived: {exc}")
        except (OSError, ArchiveReadError, IgnoreRequest) as exc:
            return self._fail(f"cannot read the capture of {args[0]}: {exc}")
        print(self._describe(state), file=sys.stderr)

        loop = None
        if not crawler.settings.getbool("TWISTED_REACTOR_ENABLED"):
            loop = asyncio.new_event_loop()  # never run: nothing is fetched
        shell = ArchiveShell(crawler, code=opts.code, loop=loop)

        def update_vars(shell_vars: dict[str, Any]) -> None:
            self._helpers(shell_vars, spider, archive, state, extractor)

        def load(url: str, timestamp: str | None = None) -> None:
            """Open another archived capture (latest, or nearest timestamp) in this shell."""
            response = open_capture(url, timestamp)
            print(self._describe(state), file=sys.stderr)
            shell.populate_vars(response, response.request, spider)

        state["load"] = load
        shell.update_vars = update_vars
        shell.archive_help = (
            "[s] Archive (warcshell, no network):\n"
            "[s]   capture    the capture shown; captures: every capture of its URL\n"
            "[s]   record     its WARC record (original: a revisit's original)\n"
            "[s]   page       the parsed page the spider extracts from\n"
            "[s]   extracted  extract_article_page/extract_section_page(page, profile)\n"
            "[s]   item       the item re-extraction makes of this capture\n"
            "[s]   load(url[, timestamp])  open another archived capture\n"
            "[s]   list(spider.parse(response))  run the spider's callback\n"
        )
        shell.start(response=response, spider=spider)

    # -- helpers ------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        print(f"warcshell: {message}", file=sys.stderr)
        self.exitcode = 1

    @staticmethod
    def _describe(state: dict[str, Any]) -> str:
        loaded: Loaded = state["loaded"]
        capture = loaded.capture
        kind = "revisit of " + loaded.original.target_uri if loaded.original else "response"
        return (
            f"warcshell: {loaded.url} captured {loaded.date} ({kind}, status {loaded.status}) "
            f"in {capture.filename} at {capture.offset}; {len(state['captures'])} capture(s)"
        )

    @staticmethod
    def _request(spider: Any, archive: Archive, loaded: Loaded) -> Request:
        """The request the spider made for this URL: canonical URL, its callback, the pointer."""
        # Here, not at the top: every scrapy command imports this module, and the capture
        # extension brings the download handler with it.
        from crawler.capture.warc import WARC_LOCATION

        profile = spider.profile
        url = profile.canonical_url(loaded.url)
        kind = profile.kind_of(url)
        callback = {
            PageKind.ARTICLE: spider.parse_article,
            PageKind.SECTION: spider.parse_section,
            PageKind.HOME: spider.parse,
        }.get(kind, spider.parse_requisite)
        method, headers, body = "GET", Headers(), b""
        sent = archive.request_record(loaded.capture, loaded.record.record_id)
        if sent is not None and sent.http_headers is not None:
            method = sent.http_headers.protocol or "GET"
            for name, value in sent.http_headers.headers:
                if name.lower() != "host":
                    headers.appendlist(name, value)
            body = sent.payload
        request = Request(
            url,
            method=method if method.isalpha() else "GET",
            headers=headers,
            body=body,
            callback=callback,
            meta={WARC_LOCATION: loaded.pointer},
            dont_filter=True,
        )
        return request

    @staticmethod
    def _helpers(
        shell_vars: dict[str, Any],
        spider: Any,
        archive: Archive,
        state: dict[str, Any],
        extractor: Reextractor,
    ) -> None:
        profile = spider.profile
        loaded: Loaded = state["loaded"]
        response: Response | None = shell_vars.get("response")
        page = parse_response(response) if isinstance(response, TextResponse) else None
        extracted: Any = None
        item: Any = None
        if page is not None and response is not None and page.tree is not None:
            # Only a 200 makes an item (the crawl never hands a 304 or an error to a callback).
            ok = loaded.status == 200
            kind = profile.kind_of(response.url)
            first = False  # an article's or a section's page 1: the page an item is made of
            if kind is PageKind.ARTICLE:
                extracted = extract_article_page(page, profile)
                first = profile.article_page_number(response.url) == 1
            elif kind is PageKind.SECTION:
                extracted = extract_section_page(page, profile)
                first = profile.list_page_number(response.url) == 1
            if ok and first:
                item = extractor.item_of(loaded.capture)
        shell_vars.update(
            profile=profile,
            archive=archive,
            capture=state["capture"],
            captures=state["captures"],
            record=loaded.record,
            original=loaded.original,
            page=page,
            extracted=extracted,
            load=state["load"],
            parse_html=parse_html,
            extract_article_page=extract_article_page,
            extract_section_page=extract_section_page,
            fetch=no_fetch,
        )
        if item is not None:
            shell_vars["item"] = item
