"""`python -m archive browse` in Chromium: a two-character word finds its articles and a
result's replay link opens the archived page, with no request leaving 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from archive.qa.browser import find_chromium
from archive.qa.pages import QaSetupError
from archive.replay.env import replay_venv_dir
from tests.crawling import CrawlResult
from tests.test_catalog_replica import expected, newest_items
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def _two_character_word(items: dict) -> str:
    """A two-character word of titles that finds a few articles (a page shows 20)."""
    words = {title[i:i + 2] for title in (item["title"] or "" for item in items.values())
             for i in range(len(title) - 1)}
    counts = {w: len(expected(items, w)) for w in words
              if re.fullmatch(r"[\u4e00-\u9fff]{2}", w)}
    return max(sorted(w for w, c in counts.items() if 2 <= c <= 15), key=lambda w: counts[w])


def _longer(items: dict) -> str:
    """Four characters of some article's body."""
    body = next(item["body"] for item in items.values() if len(item["body"] or "") > 20)
    return body[10:14]


opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_browse_finds_a_two_character_word_and_opens_its_replay(
    crawled: CrawlResult, tmp_path: Path
) -> None:
    python = replay_venv_dir() / "bin" / "python"
    if not python.is_file():
        pytest.skip("no replay venv (make replay-env)")
    try:
        chromium = find_chromium()
    except QaSetupError as exc:
        pytest.skip(str(exc))
    archive = tmp_path / "archive"  # browse writes its pywb layout into DIR/replay
    shutil.copytree(crawled.archive_dir, archive)
    items = newest_items(archive)
    word = _two_character_word(items)
    want = {items[url]["title"] for url in expected(items, word)}
    log = tmp_path / "browse.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "archive", "browse",
                                 str(archive), "--port", "0"], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def ready() -> str | None:
            assert proc.poll() is None, log.read_text("utf-8")
            found = re.search(r"^Browse: (http://127\.0\.0\.1:\d+)/", log.read_text("utf-8"),
                              re.M)
            return found.group(1) if found else None

        browse = wait_until(ready, timeout=120, interval=0.1, what="browse's Browse: line")
        run = subprocess.run([str(python), "-P", str(ROOT / "tests" / "catalog_browser.py")],
                             input=json.dumps({"chromium": chromium, "browse": browse,
                                               "word": word}),
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        seen = json.loads(run.stdout)
        # The table's search (Datasette's JSON API) finds what Ctrl-F finds, any length.
        for query in (word[0], word, _longer(items), f"{word} {word[0]}", "量子计算"):
            api = f"{browse}/catalog/articles.json?" + urlencode(
                {"_search": query, "_shape": "objects", "_size": "max", "_col": "url"})
            with opener.open(api, timeout=60) as resp:
                rows = json.load(resp)["rows"]
            assert {r["url"] for r in rows} == expected(items, query), query
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    assert seen["leaks"] == []
    assert set(seen["titles"]) == want and want, (word, seen["titles"])
    # The first result's replay: pywb's page of that capture, showing the article's title.
    first = seen["titles"][0]
    assert "/sznews/" in seen["href"] and seen["url"] == seen["href"]
    assert first in seen["text"]
