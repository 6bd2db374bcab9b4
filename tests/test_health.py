"""Health checks (crawler/health): every check, both severities, thresholds learned from the
runs before (and the floors that judge a first run), the history read, and the run's end
adding ``quality`` and ``health`` to its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.health import checks
from crawler.health.checks import FAILED, OK, WARNING, Alert, RunData, status_of
from crawler.health.history import learned_lower, learned_upper, previous_reports
from crawler.health.limits import HealthConfig
from crawler.health.quality import measure
from crawler.run.outcome import run_failure

CONFIG = HealthConfig()
URL = "http://sznews.zjol.com.cn/sznews/system/2025/01/02/0300{:05d}.shtml"


def article(n: int, **changes: Any) -> dict[str, Any]:
    item = {"url": URL.format(n), "title": f"标题{n}", "source": "嵊州日报", "author": "记者",
            "editor": "编辑", "published": "2025-01-02T08:00:00+08:00",
            "breadcrumb": ["嵊州新闻网", "新闻"], "body": "正文。", "images": [],
            "pages": [URL.format(n)], "related": [], "fetched": "2025-01-02T15:00:00Z",
            "version": 1, "warc": None, "extracted_by": "div-2016"}
    item.update(changes)
    return item


def quality_of(tmp_path: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    d = tmp_path / "items"
    d.mkdir(exist_ok=True)
    (d / "articles.jsonl").write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return measure(d)


def report(day: int = 10, *, requests: int = 100, new: int = 5, **more: Any) -> dict[str, Any]:
    stats = {"sznews/hub_pages": 3, "retry/count": 0, **more.pop("stats", {})}
    rep = {"run_id": f"2025010{day % 10}T150000Z", "finish_reason": "finished",
           "clock": f"2025-01-{day:02d}T15:00:00+00:00", "requests": requests,
           "articles": 20, "sections": 10, "incremental": {"new": new},
           "errors": {"downloader": {}, "spider_exceptions": 0}, "not_site_pages": [],
           "maintenance_unresolved": [], "failed": None, "stats": stats}
    rep.update(more)
    return rep


def history(n: int, **quality: Any) -> list[dict[str, Any]]:
    return [report(day, quality=dict(quality)) for day in range(1, n + 1)]


def run(rep: dict[str, Any], quality: dict[str, Any], past: list[dict[str, Any]],
        check: str, **config: Any) -> list[Alert]:
    return checks.CHECKS[check](RunData(rep, quality, past, HealthConfig(**config)))


# ---- the run's end --------------------------------------------------------------------------
def test_run_end_and_site_reachable() -> None:
    assert run(report(), {}, [], "run_end") == []
    down = report(stats={"sznews/hub_pages": 0}, failed_fetches=[{"url": "http://x/"}])
    (alert,) = run(down, {}, [], "run_end")
    assert (alert.check, alert.severity, alert.examples) == ("site_reachable", FAILED,
                                                             ["http://x/"])
    (alert,) = run(report(finish_reason="shutdown"), {}, [], "run_end")
    assert (alert.check, alert.severity) == ("run_end", FAILED) and "shutdown" in alert.message
    (alert,) = run(report(stats={"run/end_errors/index": 1}), {}, [], "run_end")
    assert alert.check == "run_end" and "index" in alert.message


# ---- items ----------------------------------------------------------------------------------
def test_item_validation_warns_then_fails(tmp_path: Path) -> None:
    items = [article(i) for i in range(10)]
    assert run(report(), quality_of(tmp_path, items), [], "item_validation") == []
    items[0]["title"] = ""
    (alert,) = run(report(), quality_of(tmp_path, items), [], "item_validation")
    assert (alert.severity, alert.examples[0].split()[0]) == (WARNING, URL.format(0))
    assert "title" in alert.examples[0]
    for i in range(1, 4):
        del items[i]["body"]
    (alert,) = run(report(), quality_of(tmp_path, items), [], "item_validation")
    assert alert.severity == FAILED and "4 of 10" in alert.message


def test_field_coverage_first_run_floor_and_learned_drop(tmp_path: Path) -> None:
    items = [article(i) for i in range(10)]
    for i in range(2):
        items[i]["published"] = None
    quality = quality_of(tmp_path, items)
    # First run: only the floor of title, body and published judges it (80% < 90%).
    (alert,) = run(report(), quality, [], "field_coverage")
    assert alert.check == "field_coverage" and "published" in alert.message
    assert alert.examples == [URL.format(0), URL.format(1)]
    # An author on half the articles is this site's normal: no floor, no alert...
    for item in items:
        item["published"] = "2025-01-02T08:00:00+08:00"
    for i in range(5):
        items[i]["author"] = None
    quality = quality_of(tmp_path, items)
    usual_half = history(5, coverage={"author": 0.5})
    assert run(report(), quality, usual_half, "field_coverage") == []
    # ... but a drop from the usual 100% is, once there is a history to learn from.
    usual_all = history(5, coverage={"author": 1.0})
    (alert,) = run(report(), quality, usual_all, "field_coverage")
    assert "author" in alert.message and "usually 100%" in alert.message
    assert run(report(), quality, usual_all[:2], "field_coverage") == []  # too few runs


def test_extraction_drift_is_learned(tmp_path: Path) -> None:
    items = [article(i, extracted_by="text" if i < 6 else "div-2016") for i in range(10)]
    quality = quality_of(tmp_path, items)
    assert quality["text_share"] == 0.6
    assert run(report(), quality, [], "extraction_drift") == []  # nothing to drift from
    (alert,) = run(report(), quality, history(4, text_share=0.0, problems_share=0.0),
                   "extraction_drift")
    assert alert.check == "extraction_drift" and "text conventions" in alert.message
    assert alert.examples[0] == URL.format(0)
    # A site whose articles are mostly read by the text conventions anyway: no drift.
    assert run(report(), quality, history(4, text_share=0.5, problems_share=0.0),
               "extraction_drift") == []
    items = [article(i, problems=["no editor"] if i < 5 else []) for i in range(10)]
    (alert,) = run(report(), quality_of(tmp_path, items),
                   history(4, text_share=0.0, problems_share=0.0), "extraction_drift")
    assert "problems" in alert.message
    # Too few articles to judge a share.
    assert run(report(), quality_of(tmp_path, items[:3]),
               history(4, text_share=0.0, problems_share=0.0), "extraction_drift") == []


# ---- pages ----------------------------------------------------------------------------------
def test_not_site_and_maintenance_pages_warn_then_fail() -> None:
    one = report(not_site_pages=[URL.format(1)])
    (alert,) = run(one, {}, [], "not_site_pages")
    assert (alert.severity, alert.examples) == (WARNING, [URL.format(1)])
    many = report(not_site_pages=[URL.format(i) for i in range(10)])
    (alert,) = run(many, {}, [], "not_site_pages")
    assert alert.severity == FAILED
    # The report keeps a capped list; the share is of every URL, which the stat counts.
    capped = report(not_site_pages=[URL.format(1)], stats={"dedup/notsite/urls": 50})
    (alert,) = run(capped, {}, [], "not_site_pages")
    assert alert.severity == FAILED and alert.message.startswith("50 ")
    (alert,) = run(report(maintenance_unresolved=[URL.format(1)]), {}, [], "maintenance_pages")
    assert alert.severity == WARNING
    (alert,) = run(report(maintenance_unresolved=[URL.format(i) for i in range(20)]), {}, [],
                   "maintenance_pages")
    assert alert.severity == FAILED


# ---- traffic and drought --------------------------------------------------------------------
def test_requests_errors_retries_against_the_usual() -> None:
    past = history(5)
    assert run(report(), {}, past, "traffic") == []
    (alert,) = run(report(requests=10), {}, past, "traffic")
    assert alert.check == "requests"
    assert run(report(requests=10), {}, [], "traffic") == []  # first run: nothing usual yet
    errors = {"downloader": {"twisted.internet.error.ConnectionRefusedError": 20},
              "spider_exceptions": 0}
    (alert,) = run(report(errors=errors), {}, [], "traffic")  # the floor judges a first run
    assert alert.check == "errors" and "ConnectionRefusedError: 20" in alert.examples[0]
    # A site that always errs this much: learned, no alert.
    usual = [report(day, errors=errors) for day in range(1, 6)]
    assert run(report(errors=errors), {}, usual, "traffic") == []
    ignored = {"downloader": {"scrapy.exceptions.IgnoreRequest": 50,
                              "crawler.dedup.notsite.NotSiteDeferred": 50}}
    assert run(report(errors=ignored), {}, [], "traffic") == []  # dropped on purpose
    (alert,) = run(report(stats={"retry/count": 30}), {}, past, "traffic")
    assert alert.check == "retries"


def test_drought() -> None:
    past = [report(day, new=5 if day < 6 else 0) for day in range(1, 9)]
    assert run(report(7, new=0), {}, past[:6], "drought") == []  # 2 days since day 5's news
    (alert,) = run(report(9, new=0), {}, past, "drought")
    assert alert.check == "drought" and "4.0 days" in alert.message
    assert run(report(9, new=1), {}, past, "drought") == []
    assert run(report(9, new=0), {}, past, "drought", drought_days=5) == []


def test_status_and_exit() -> None:
    assert status_of([]) == OK
    assert status_of([Alert("x", WARNING, "")]) == WARNING
    assert status_of([Alert("x", WARNING, ""), Alert("y", FAILED, "")]) == FAILED
    stats = {"sznews/hub_pages": 1, "finish_reason": "finished"}
    assert run_failure(stats) is None
    assert run_failure({**stats, "health/failed": "health check failed: x"}) == (
        "health check failed: x")


# ---- the baseline ---------------------------------------------------------------------------
def test_only_the_newest_reports_are_read(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                          ) -> None:
    for day in range(1, 31):
        name = f"202501{day:02d}T150000Z.json"
        # The old ones are not JSON: reading one would log a warning and skip it.
        text = "not json" if day <= 16 else json.dumps({"run_id": name[:-5]})
        (tmp_path / name).write_text(text, "utf-8")
    got = previous_reports(tmp_path, "20250130T150000Z", 14)
    # Days 16..29 read, 16 unreadable (one warning): none of the fifteen before was opened.
    assert [r.message for r in caplog.records if "unreadable" in r.message] == [
        "Health baseline: skipping unreadable report 20250116T150000Z.json: "
        "Expecting value: line 1 column 1 (char 0)"]
    assert [r["run_id"] for r in got] == [f"202501{d:02d}T150000Z" for d in range(17, 30)]
    assert previous_reports(tmp_path / "none", "x", 14) == []


def test_learned_bounds() -> None:
    assert learned_upper([0.1, 0.1, 0.1], 3, 0.25) == pytest.approx(0.35)
    assert learned_upper([0.0, 0.5, 1.0], 3, 0.0) == pytest.approx(2.0)
    assert learned_lower([1.0, 1.0, 0.9], 3, 0.2) == pytest.approx(0.8)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="HEALTH_"):
        HealthConfig(not_site_fail=2.0)
    with pytest.raises(ValueError, match="ALERT_WEBHOOK_URL"):
        HealthConfig(webhook_url="ftp://x")


def test_extraction_is_counted_over_every_page_parsed(tmp_path: Path) -> None:
    items = [article(i, extracted_by="div-2016") for i in range(2)]  # two exported
    stats = {"sznews/extracted_by/div-2016": 2, "sznews/extracted_by/text": 18}
    quality_of(tmp_path, items)
    quality = measure(tmp_path / "items", stats)
    assert (quality["pages_parsed"], quality["text_share"]) == (20, 0.9)
    assert quality["extracted_by"] == {"div-2016": 2, "text": 18}
    (alert,) = run(report(), quality, history(4, text_share=0.0, problems_share=0.0),
                   "extraction_drift")
    assert "90% of this run's article pages" in alert.message


def test_a_bad_health_setting_stops_the_crawl_before_it_starts(tmp_path: Path) -> None:
    from scrapy.utils.test import get_crawler

    from crawler.run.end import RunEnd

    crawler = get_crawler(settings_dict={"ARCHIVE_DIR": str(tmp_path),
                                         "HEALTH_NOT_SITE_FAIL": "5"})
    with pytest.raises(ValueError, match="HEALTH_"):
        RunEnd.from_crawler(crawler)


def test_a_broken_check_is_an_alert_not_a_crash(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.utils.test import get_crawler

    from crawler.health.judge import judge_run

    def broken(d: RunData) -> list[Alert]:
        raise RuntimeError("a bug")

    monkeypatch.setitem(checks.CHECKS, "drought", broken)
    crawler = get_crawler()
    crawler.stats.open_spider()
    rep = report()
    judge_run(crawler, rep, tmp_path / "none", tmp_path / "reports", tmp_path / "r.json")()
    assert rep["health"]["status"] == "warning"
    (alert,) = rep["health"]["alerts"]
    assert alert["check"] == "health_checks" and "a bug" in alert["examples"][0]
    assert crawler.stats.get_value("health/check_errors") == 1
