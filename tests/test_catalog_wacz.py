"""The WACZ's pages.jsonl carries each article's text, so ReplayWeb.page's own search can
find articles offline (it declares ``hasText``)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from archive.wacz import build_wacz, find_wacz_cli, validate_wacz
from tests.crawling import CrawlResult
from tests.test_catalog_replica import newest_items


def test_pages_carry_every_articles_newest_text(crawled: CrawlResult, tmp_path: Path) -> None:
    out = tmp_path / "archive.wacz"
    build_wacz(crawled.archive_dir, out)
    with zipfile.ZipFile(out) as zf:
        header, *pages = [json.loads(line) for line in
                          zf.read("pages/pages.jsonl").decode("utf-8").splitlines()]
    assert header["hasText"] is True
    items = newest_items(crawled.archive_dir)
    texts = {p["url"]: p.get("text") for p in pages}
    assert set(items) <= set(texts)
    for url, item in items.items():
        text, words = texts[url].rsplit("\n", 1)
        assert text == f"{item['title']}\n{item['body']}"
        # Every two-character run of Chinese characters, once, as a word of its own.
        words = words.split(" ")
        assert len(words) == len(set(words))
        title = item["title"]
        assert all(title[i:i + 2] in words for i in range(len(title) - 1)
                   if re.fullmatch(r"[\u4e00-\u9fff]{2}", title[i:i + 2]))
        assert all(len(w) == 2 and w in text for w in words)
    sections = set(texts) - set(items)
    assert sections and all(texts[url] is None for url in sections)
    if find_wacz_cli() is None:
        pytest.skip("py-wacz (`wacz` command) not installed: text written, not validated")
    accepted, output = validate_wacz(out)
    assert accepted, output
