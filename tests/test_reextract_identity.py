"""Re-extraction drives the crawl's code: on the same extraction it gives the crawl's items.

`scrapy reextract --every-version` over an archive writes exactly the lines of the crawl's item
files (`items/<run>/*.jsonl`, every run), byte for byte: multi-page articles, sections,
`version`, `warc` pointers, problems and `fetched` alike. No field is run-specific: `fetched`
is when the fetch of page 1 began, which the crawl takes from the fetch and re-extraction
from the WARC-Date of the same record; everything else comes from the archived pages. Only
the order of the lines differs (the crawl writes items as responses come in), so the lines
are compared sorted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import ROOT, CrawlResult, crawl_env, run_crawl
from tests.replica.days import corrected_on, run_time
from tests.replica.model import HOST_ROOT
from tests.replica.testing import start_replica

SEED, ARTICLES, DAILY = 7, 80, 2
DAYS = (5, 6)  # day 6 corrects an article of day 5 on its 4th page and one of day 1


def crawl_lines(archive_dir: Path, kind: str) -> list[bytes]:
    """Every line of every run's item file of ``kind``, sorted."""
    lines: list[bytes] = []
    for path in sorted((archive_dir / "items").glob(f"*/{kind}.jsonl")):
        lines += path.read_bytes().splitlines(keepends=True)
    return sorted(lines)


def reextracted(archive_dir: Path, out_dir: Path, *flags: str) -> tuple[list[bytes], list[bytes]]:
    """`scrapy reextract`'s article and section lines, sorted."""
    articles, sections = out_dir / "articles.jsonl", out_dir / "sections.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "reextract", "-s", f"ARCHIVE_DIR={archive_dir}",
         *flags, "-O", str(articles), "--sections", str(sections)],
        cwd=ROOT, env=crawl_env(None), capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return (sorted(articles.read_bytes().splitlines(keepends=True)),
            sorted(sections.read_bytes().splitlines(keepends=True)))


def by_url(lines: list[bytes]) -> dict[str, list[dict]]:
    items: dict[str, list[dict]] = {}
    for line in lines:
        item = json.loads(line)
        items.setdefault(item["url"], []).append(item)
    return items


def test_reextract_gives_the_crawls_item_files(crawled: CrawlResult, tmp_path: Path) -> None:
    articles, sections = reextracted(crawled.archive_dir, tmp_path, "--every-version")
    assert articles == crawl_lines(crawled.archive_dir, "articles")
    assert sections == crawl_lines(crawled.archive_dir, "sections")
    assert len(articles) == 80
    assert any(len(json.loads(line)["pages"]) > 1 for line in articles)


@pytest.fixture(scope="module", params=["live picbox", "validators"])
def two_days(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrawlResult]:
    """The scheduled runs of days 5 and 6 of the replica's day model into one archive.

    "live picbox": every page changes every day (the 图片新闻 box), so each article
    rechecked on day 6 comes back with new bytes, and only the corrected ones with new
    content. "validators": an unchanged page is a 304; page 1 of the article corrected on
    its 4th page is one, its later pages are checked, and the article is fetched again.
    """
    archive_dir = tmp_path_factory.mktemp("two-days")
    for day in DAYS:
        with start_replica(articles=ARTICLES, seed=SEED, day=day, daily=DAILY,
                           live_picbox=request.param == "live picbox") as replica:
            result = run_crawl(archive_dir, proxy_url=replica.proxy_url,
                               settings={"ARCHIVE_NOW": run_time(day).isoformat()})
            assert result.returncode == 0, result.output[-5000:]
            site = replica.site()
    result.corrected = corrected_on(site, DAYS[1], HOST_ROOT)  # type: ignore[attr-defined]
    result.mode = request.param  # type: ignore[attr-defined]
    yield result


def test_reextract_gives_every_runs_items_and_versions(
    two_days: CrawlResult, tmp_path: Path
) -> None:
    assert len(two_days.run_ids) == 2
    articles, sections = reextracted(two_days.archive_dir, tmp_path, "--every-version")
    assert articles == crawl_lines(two_days.archive_dir, "articles")
    assert sections == crawl_lines(two_days.archive_dir, "sections")
    # What makes this a test of versions: day 6 rechecked articles that had not changed (all
    # of whose bytes had, with the live picbox), and made a second version of the corrected
    # ones only, one of them a 4-page article corrected on its last page.
    stats = two_days.report()["stats"]
    assert stats.get("incremental/articles/unchanged", 0) > 0
    if two_days.mode == "live picbox":  # type: ignore[attr-defined]
        assert stats["incremental/articles/unchanged_content"] > 0
    else:
        assert stats["incremental/articles/changed_later_page"] == 1
    items = by_url(articles)
    second = {url for url, versions in items.items() if len(versions) > 1}
    assert second == set(two_days.corrected)  # type: ignore[attr-defined]
    for url in second:
        assert sorted(v["version"] for v in items[url]) == [1, 2]
    assert any(len(items[url][0]["pages"]) == 4 for url in second)


def test_reextract_gives_each_articles_newest_version(
    two_days: CrawlResult, tmp_path: Path
) -> None:
    articles, sections = reextracted(two_days.archive_dir, tmp_path)
    newest = {url: max(items, key=lambda i: i["version"])
              for url, items in by_url(crawl_lines(two_days.archive_dir, "articles")).items()}
    assert [json.loads(line) for line in articles] == sorted(
        newest.values(), key=lambda i: json.dumps(i, ensure_ascii=False, separators=(", ", ": "))
    )
    latest_run = two_days.run_ids[-1]
    assert sorted(sections) == sorted(
        (two_days.archive_dir / "items" / latest_run / "sections.jsonl").read_bytes()
        .splitlines(keepends=True)
    )
