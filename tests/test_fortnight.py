"""Done when: a simulated fortnight of nightly runs on the replica's day model (tests/replica
/days.py) judges itself. Quiet days are `ok` with no alert; the day the site is down fails
on site_reachable; the day a third of the article pages answer a JavaScript challenge with
200 fails on not_site_pages, and no challenge reaches warc/ or the items, nor replaces an
article's last good version; the day the article template changes (the replica renders
every article in a markup no template describes) warns of extraction_drift while the text
conventions still read the articles right. The webhook receives every bad day.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawling import FAST, ROOT, crawl_env
from tests.replica.days import run_time
from tests.replica.expected import expected_articles
from tests.replica.pagefaults import NOT_SITE_PAGES
from tests.replica.testing import start_replica
from tests.test_health_alerts import Hook

SEED, BASE, DAILY, DAYS = 5, 30, 4, 14
DOWN, CHALLENGE, TEMPLATE = 4, 7, 10
# The site's template is the 2016 div layout, which the profile knows; on TEMPLATE day it is
# the third generation, which only the text conventions read.
KNOWN, UNKNOWN = "restyle=div", "restyle=plain"
QUICK = {**FAST, "RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0.1",
         "DEDUP_NOTSITE_RETRY_DELAY": "0.1", "DEDUP_NOTSITE_MAX_WAIT": "1",
         "LOG_LEVEL": "INFO"}


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def crawl(archive: Path, proxy_url: str, day: int, hook: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive}"]
    settings = {**QUICK, "ARCHIVE_NOW": run_time(day).isoformat(), "ALERT_WEBHOOK_URL": hook}
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    return subprocess.run(cmd, cwd=ROOT, env=crawl_env(proxy_url), capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    archive = tmp_path_factory.mktemp("fortnight") / "archive"
    hook = Hook()
    days: dict[int, dict[str, Any]] = {}
    try:
        for day in range(DAYS):
            faults = [UNKNOWN if day == TEMPLATE else KNOWN]
            if day == CHALLENGE:
                faults.append("challenge=0.34")
            with start_replica(articles=BASE, seed=SEED, day=day, daily=DAILY,
                               faults=faults) as replica:
                proxy = _closed_port_url() if day == DOWN else replica.proxy_url
                posts_before = len(hook.posts)
                proc = crawl(archive, proxy, day, hook.url)
                site = replica.site()
            reports = sorted((archive / "reports").glob("*.json"))
            report = json.loads(reports[-1].read_text("utf-8"))
            items_file = archive / "items" / report["run_id"] / "articles.jsonl"
            items = [json.loads(line) for line in items_file.read_text("utf-8").splitlines()
                     ] if items_file.exists() else []
            days[day] = {"code": proc.returncode, "report": report, "items": items,
                         "posts": hook.posts[posts_before:], "site": site,
                         "log": proc.stderr[-4000:]}
    finally:
        hook.close()
    return {"archive": archive, "days": days}


def _checks(report: dict[str, Any]) -> dict[str, str]:
    return {a["check"]: a["severity"] for a in report["health"]["alerts"]}


@pytest.mark.slow
def test_quiet_days_are_ok_without_a_single_alert(fortnight: dict[str, Any]) -> None:
    for day, run in fortnight["days"].items():
        if day in (DOWN, CHALLENGE, TEMPLATE):
            continue
        assert run["report"]["health"] == {"status": "ok", "alerts": []}, (day, run["report"]
                                                                            ["health"])
        assert run["code"] == 0 and run["posts"] == [], day
        assert run["report"]["incremental"]["new"] >= DAILY or day == DOWN + 1, day


@pytest.mark.slow
def test_the_day_the_site_is_down_fails(fortnight: dict[str, Any]) -> None:
    run = fortnight["days"][DOWN]
    assert run["code"] == 1, run["log"]
    assert run["report"]["health"]["status"] == "failed"
    assert _checks(run["report"])["site_reachable"] == "failed"
    (post,) = run["posts"]
    sent = dict(run["report"]["health"])
    assert sent.pop("delivery") == {"webhook/sent": 1}  # added once the alert was out
    assert post["json"]["health"] == sent
    assert post["json"]["run_id"] == run["report"]["run_id"]
    assert post["json"]["report"].endswith(f"reports/{run['report']['run_id']}.json")


@pytest.mark.slow
def test_the_challenge_day_fails_and_archives_no_challenge(fortnight: dict[str, Any]) -> None:
    run = fortnight["days"][CHALLENGE]
    report = run["report"]
    assert run["code"] == 1, run["log"]
    assert _checks(report) == {"not_site_pages": "failed"}
    (post,) = run["posts"]
    assert post["json"]["health"]["alerts"][0]["check"] == "not_site_pages"
    challenged = set(report["not_site_pages"])
    assert len(challenged) >= 3
    assert not challenged & {i["url"] for i in run["items"]}
    # Asked for again the next day, and archived then.
    nxt = fortnight["days"][CHALLENGE + 1]
    assert nxt["report"]["stats"]["dedup/notsite/carried_over"] == len(
        report["not_site_unresolved"]) > 0
    # No challenge anywhere in warc/ or the items, over the whole fortnight.
    marker = b"Checking your browser"
    assert marker in NOT_SITE_PAGES["js_challenge"]
    warcs = sorted((fortnight["archive"] / "warc").glob("*.warc.gz"))
    assert warcs
    bodies = 0
    for warc in warcs:  # every record's payload, decoded (chunked, gzip) as replay shows it
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    bodies += 1
                    assert marker not in record.content_stream().read(), warc
    assert bodies > DAYS
    for day in fortnight["days"].values():
        assert not [i for i in day["items"] if "Checking your browser" in i["body"]]


@pytest.mark.slow
def test_no_article_lost_its_last_good_version(fortnight: dict[str, Any]) -> None:
    days = fortnight["days"]
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    versions: dict[str, list[int]] = {}
    for day in sorted(days):
        if day == CHALLENGE:
            before_challenge = dict(newest)
        served = {a["url"]: a for a in expected_articles(days[day]["site"])}
        for item in days[day]["items"]:
            # Every version is the article as the site served it that day, never a challenge.
            assert item["title"] == served[item["url"]]["title"], (day, item["url"])
            assert item["body"] == served[item["url"]]["body"], (day, item["url"])
            newest[item["url"]] = (day, item)
            versions.setdefault(item["url"], []).append(item["version"])
        if day == CHALLENGE:
            after_challenge = dict(newest)
    # The challenged articles archived before kept that very version through the challenge
    # day: no new one, and so the one replay and the catalogue show.
    challenged = set(days[CHALLENGE]["report"]["not_site_pages"])
    kept = [url for url in challenged if url in before_challenge]
    assert kept, "some challenged article had been archived before"
    for url in kept:
        assert after_challenge[url] == before_challenge[url], url
    # No version number was spent on a page that is not the site's, nor given twice.
    for url, numbers in versions.items():
        assert numbers == list(range(1, len(numbers) + 1)), (url, numbers)


@pytest.mark.slow
def test_the_template_change_warns_and_text_conventions_read_right(
        fortnight: dict[str, Any]) -> None:
    run = fortnight["days"][TEMPLATE]
    assert run["code"] == 0, run["log"]
    assert run["report"]["health"]["status"] == "warning"
    assert _checks(run["report"]) == {"extraction_drift": "warning"}
    (post,) = run["posts"]
    assert post["json"]["health"]["status"] == "warning"
    quality = run["report"]["quality"]
    assert quality["text_share"] == 1.0 and quality["pages_parsed"] >= 5
    expected = {a["url"]: a for a in expected_articles(run["site"])}
    assert run["items"]
    for item in run["items"]:
        assert item["extracted_by"] == "text"
        for key in ("title", "body", "published"):
            assert item[key] == expected[item["url"]][key], (item["url"], key)
