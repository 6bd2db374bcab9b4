"""The health checks, as plain functions of this run's numbers and the runs before.

Each returns the alerts it raises (none: the check passed). A threshold is learned from the
usable previous runs (median and spread, ``history``) once there are HEALTH_MIN_HISTORY of
them, and never looser than its fixed floor, so the first runs are judged too. The Spidermon
monitors (``monitors``) run these; tests call them directly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.misc import load_object

from crawler.health.history import learned_lower, learned_upper, spread, usable
from crawler.health.limits import HealthConfig
from crawler.run.outcome import run_failure

OK, WARNING, FAILED = "ok", "warning", "failed"
REQUIRED_FIELDS = ("title", "body", "published")
DAY = 86400.0


@dataclass
class Alert:
    check: str
    severity: str  # WARNING or FAILED
    message: str
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunData:
    """What the checks read: this run's report and quality, the previous reports."""

    report: dict[str, Any]
    quality: dict[str, Any]
    history: list[dict[str, Any]]
    config: HealthConfig

    @property
    def stats(self) -> dict[str, Any]:
        return self.report.get("stats") or {}

    def baseline(self, value: Any) -> list[float] | None:
        """``value(report)`` over the usable previous runs; None while too few to learn."""
        values = []
        for old in self.history:
            if usable(old):
                v = value(old)
                if v is not None:
                    values.append(float(v))
        return values if len(values) >= max(1, self.config.min_history) else None

    @property
    def articles(self) -> int:
        return int(self.quality.get("articles") or 0)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def run_end(d: RunData) -> list[Alert]:
    """The run ended as it should: finished, every end step done, the site reachable."""
    stats = {**d.stats, "finish_reason": d.report.get("finish_reason")}
    why = run_failure(stats)
    if why is None:
        return []
    # The site was unreachable when the only thing wrong is that no hub page came back.
    unreachable = run_failure({**stats, "sznews/hub_pages": 1}) is None
    if not unreachable:
        return [Alert("run_end", FAILED, f"The run did not end as it should: {why}.")]
    examples = [f.get("url", "") for f in d.report.get("failed_fetches") or []][:5]
    return [Alert("site_reachable", FAILED, f"The site was not reachable: {why}.", examples)]


def item_validation(d: RunData) -> list[Alert]:
    invalid = d.quality.get("invalid") or {}
    bad = sum(invalid.values())
    total = sum(int(d.quality.get(k) or 0) for k in invalid)
    if not bad:
        return []
    share = bad / total if total else 1.0
    severity = FAILED if share > d.config.invalid_items_fail else WARNING
    return [Alert("item_validation", severity,
                  f"{bad} of {total} items ({_pct(share)}) fail their JSON Schema "
                  f"(crawler/health/schemas).", list(d.quality.get("invalid_examples") or []))]


def field_coverage(d: RunData) -> list[Alert]:
    if d.articles < d.config.min_articles:
        return []
    alerts = []
    coverage = d.quality.get("coverage") or {}
    for name, share in coverage.items():
        if share is None:
            continue
        floor = d.config.coverage_floor if name in REQUIRED_FIELDS else 0.0
        usual = d.baseline(lambda r, n=name: (r.get("quality") or {}).get("coverage", {}).get(n))
        limit = floor
        if usual is not None:
            limit = max(floor, learned_lower(usual, d.config.spread, d.config.coverage_drop,
                                             d.articles, share))
        if share < limit:
            was = f", usually {_pct(spread(usual)[0])}" if usual else ""
            alerts.append(Alert("field_coverage", WARNING,
                                f"Only {_pct(share)} of this run's articles have their {name}"
                                f"{was} (threshold {_pct(limit)}).",
                                list((d.quality.get("missing_examples") or {}).get(name, []))))
    return alerts


def extraction_drift(d: RunData) -> list[Alert]:
    """More articles read by the text conventions, or with problems, than usual: the site's
    templates changed. The text conventions may still read them right; the profile needs a
    look."""
    alerts = []
    for key, what, n in (
        ("text_share", "article pages were read by the text conventions, not a template",
         int(d.quality.get("pages_parsed") or 0)),
        ("problems_share", "articles have extraction problems", d.articles),
    ):
        share = d.quality.get(key)
        usual = d.baseline(lambda r, k=key: (r.get("quality") or {}).get(k))
        if share is None or usual is None or n < d.config.min_articles:
            continue
        limit = learned_upper(usual, d.config.spread, d.config.drift_rise, n)
        if share > limit:
            examples = d.quality.get(key.replace("share", "examples")) or []
            alerts.append(Alert("extraction_drift", WARNING,
                                f"{_pct(share)} of this run's {what}; usually "
                                f"{_pct(spread(usual)[0])} (threshold {_pct(limit)}).",
                                list(examples)))
    return alerts


def _pages(d: RunData) -> int:
    inc = d.report.get("incremental") or {}
    return int(d.report.get("articles") or 0) + int(d.report.get("sections") or 0) + int(
        inc.get("unchanged") or 0) + int(inc.get("not_modified") or 0)


def not_site_pages(d: RunData) -> list[Alert]:
    urls = list(d.report.get("not_site_pages") or [])
    if not urls:
        return []
    # The report's list is capped (RunSummary.LIMIT); the stat counts every URL.
    count = max(len(urls), int(d.stats.get("dedup/notsite/urls") or 0))
    share = count / max(1, count + _pages(d))
    severity = FAILED if share > d.config.not_site_fail else WARNING
    return [Alert("not_site_pages", severity,
                  f"{count} article or section URLs ({_pct(share)}) answered a page that is "
                  f"not the site's (a challenge, login or error page); kept out of the archive "
                  f"and asked for again next run.", urls[:5])]


def maintenance_pages(d: RunData) -> list[Alert]:
    urls = list(d.report.get("maintenance_unresolved") or [])
    if not urls:
        return []
    count = len(urls)  # not capped: every URL left is the next run's to ask for first
    share = count / max(1, count + _pages(d))
    severity = FAILED if share > d.config.maintenance_fail else WARNING
    seen = d.stats.get("dedup/maintenance/seen", 0)
    return [Alert("maintenance_pages", severity,
                  f"{count} URLs were still in maintenance at the end ({seen} maintenance "
                  f"answers in all); the next run asks for them first.", urls[:5])]


def _is_error(exception_path: str) -> bool:
    """A download exception that is an error: not a request dropped or deferred on purpose
    (robots.txt, dedup, maintenance and not-the-site deferrals are IgnoreRequests)."""
    try:
        cls = load_object(exception_path)
    except (ImportError, NameError, ValueError, AttributeError):
        return True
    return not (isinstance(cls, type) and issubclass(cls, IgnoreRequest))


def _download_errors(report: dict[str, Any]) -> dict[str, int]:
    downloader = (report.get("errors") or {}).get("downloader") or {}
    return {k: v for k, v in downloader.items() if _is_error(k)}


def _errors(report: dict[str, Any]) -> int:
    errors = report.get("errors") or {}
    return sum(_download_errors(report).values()) + int(errors.get("spider_exceptions") or 0)


def _rate(report: dict[str, Any], count: float) -> float | None:
    requests = report.get("requests") or 0
    return count / requests if requests else None


def traffic(d: RunData) -> list[Alert]:
    """Requests, errors and retries against the usual."""
    alerts = []
    requests = int(d.report.get("requests") or 0)
    usual = d.baseline(lambda r: r.get("requests"))
    if usual is not None:
        mid = spread(usual)[0]
        if requests < d.config.requests_min_ratio * mid:
            alerts.append(Alert("requests", WARNING,
                                f"{requests} requests, far fewer than the usual {mid:.0f}."))
    for check, count, floor in (
        ("errors", lambda r: _errors(r), d.config.error_rate_floor),
        ("retries", lambda r: (r.get("stats") or {}).get("retry/count", 0),
         d.config.retry_rate_floor),
    ):
        rate = _rate(d.report, count(d.report))
        if rate is None:
            continue
        limit = floor
        history = d.baseline(lambda r, c=count: _rate(r, c(r)))
        if history is not None:
            limit = max(floor, learned_upper(history, d.config.spread, 0.0))
        if rate > limit:
            examples = [f"{k}: {v}" for k, v in sorted(_download_errors(d.report).items())][:5]
            alerts.append(Alert(check, WARNING,
                                f"{count(d.report)} {check} for {requests} requests "
                                f"({_pct(rate)}, threshold {_pct(limit)}).", examples))
    return alerts


def _when(report: dict[str, Any]) -> float | None:
    stamp = report.get("clock") or report.get("started")
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _new(report: dict[str, Any]) -> int:
    return int((report.get("incremental") or {}).get("new") or 0)


def drought(d: RunData) -> list[Alert]:
    """A site that publishes daily and shows nothing new for days has stopped, or moved."""
    if _new(d.report):
        return []
    now = _when(d.report)
    dated = [(t, _new(r)) for r in d.history if (t := _when(r)) is not None]
    if now is None or not dated:
        return []
    with_news = [t for t, new in dated if new]
    since = max(with_news) if with_news else min(t for t, _ in dated)
    days = (now - since) / DAY
    if days < d.config.drought_days:
        return []
    return [Alert("drought", WARNING,
                  f"No new article for {days:.1f} days (HEALTH_DROUGHT_DAYS="
                  f"{d.config.drought_days:g}).")]


CHECKS = {
    "run_end": run_end,
    "item_validation": item_validation,
    "field_coverage": field_coverage,
    "extraction_drift": extraction_drift,
    "not_site_pages": not_site_pages,
    "maintenance_pages": maintenance_pages,
    "traffic": traffic,
    "drought": drought,
}


def status_of(alerts: list[Alert]) -> str:
    if any(a.severity == FAILED for a in alerts):
        return FAILED
    return WARNING if alerts else OK
