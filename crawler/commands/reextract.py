"""``scrapy reextract``: the article and section items rebuilt from the WARCs alone."""

from __future__ import annotations

import sys
from argparse import ArgumentParser, Namespace
from contextlib import ExitStack
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from archive.layout import ArchiveLayout
from archive.reader import ArchiveReadError
from crawler.archived.reextraction import AtomicLines, Reextractor
from crawler.archived.responses import DownloadLimits
from crawler.items import ArticleItem, item_line
from crawler.profile import site_profile


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # pure offline work: no reactor, no spider, no network

    def syntax(self) -> str:
        return ("-s ARCHIVE_DIR=DIR (-o | -O) ARTICLES.jsonl [--sections SECTIONS.jsonl] "
                "[--every-version]")

    def short_desc(self) -> str:
        return "Rebuild article and section items from the archive's WARCs (no network)"

    def long_desc(self) -> str:
        return (
            "Rebuild the items from ARCHIVE_DIR/warc alone, with the spider's own parsing, "
            "extraction, article assembly and version rule, so an improved extraction gives "
            "old archives better items without a new crawl (on the same extraction, the "
            "crawl's items field for field). Every WARC is read, oldest first. Run after run, "
            "an article's item is made of the latest 200 capture of its page 1 in the run (a "
            "revisit standing for its original's payload) and of the later pages the run "
            "archived, and is a new version only when its content differs from the newest "
            "version's, as in the crawl; a section item comes from list page 1. `warc` points "
            "at page 1's response (or revisit) record and `fetched` is its WARC-Date. "
            "Non-HTML responses, other hosts and maintenance pages are skipped. Output is "
            "JSON Lines in the crawl's format (items/<run>/*.jsonl): each article's newest "
            "version and each section's latest item, or with --every-version every item the "
            "runs exported; articles go to the -o/-O file, sections to the --sections file "
            "(not written without it). -o appends, -O overwrites; each file is replaced "
            "atomically."
        )

    def add_options(self, parser: ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help="append the article items to FILE (JSON Lines)",
        )
        parser.add_argument(
            "-O",
            "--overwrite-output",
            metavar="FILE",
            help="write the article items to FILE, replacing it",
        )
        parser.add_argument(
            "--sections",
            metavar="FILE",
            help="also write the section items to FILE (appended with -o, replaced with -O)",
        )
        parser.add_argument(
            "--every-version",
            action="store_true",
            help="every version of every article and every run's section items, not only "
            "the newest",
        )

    def run(self, args: list[str], opts: Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if bool(opts.output) == bool(opts.overwrite_output):
            raise UsageError("give exactly one of -o FILE (append) or -O FILE (overwrite)")
        assert self.settings is not None
        out = Path(opts.output or opts.overwrite_output)
        append = bool(opts.output)
        sections_out = Path(opts.sections) if opts.sections else None
        if sections_out is not None and sections_out.resolve() == out.resolve():
            raise UsageError("--sections must name another file than the articles' file")
        try:
            profile = site_profile(self.settings)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        layout = ArchiveLayout.at(self.settings.get("ARCHIVE_DIR"))
        archive_dir = layout.root
        if not layout.warc_dir.is_dir():
            print(f"reextract: no WARC files: {layout.warc_dir} does not exist",
                  file=sys.stderr)
            self.exitcode = 1
            return
        try:
            extractor = Reextractor.scan(
                archive_dir, profile, limits=DownloadLimits.from_settings(self.settings)
            )
        except (OSError, ArchiveReadError) as exc:
            self._cannot_read(archive_dir, exc)
            return
        # Items are written as they come (nothing piles up in memory); the files are put in
        # place only once every item is out, articles first, as before.
        with ExitStack() as files:
            articles_file = files.enter_context(AtomicLines(out, append=append))
            sections_file = (
                files.enter_context(AtomicLines(sections_out, append=append))
                if sections_out is not None
                else None
            )
            items = extractor.items(every_version=opts.every_version)
            while True:
                try:
                    item = next(items, None)
                except (OSError, ArchiveReadError) as exc:  # a read, not our writes, failed
                    self._cannot_read(archive_dir, exc)
                    return
                if item is None:
                    break
                if isinstance(item, ArticleItem):
                    articles_file.write(item_line(item))
                elif sections_file is not None:
                    sections_file.write(item_line(item))
            articles_file.commit()
            if sections_file is not None:
                sections_file.commit()
        written = f"articles -> {out}" + (f", sections -> {sections_out}" if sections_out else "")
        print(f"reextract: {extractor.stats.summary()}; {written}", file=sys.stderr)

    def _cannot_read(self, archive_dir: Path, exc: Exception) -> None:
        print(f"reextract: cannot read the archive {archive_dir}: {exc}", file=sys.stderr)
        self.exitcode = 1
