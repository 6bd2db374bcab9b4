"""The health checks' settings (HEALTH_*, ALERT_*), read once, validated."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.config import FromSettings, non_negative, setting


@dataclass(frozen=True)
class HealthConfig(FromSettings):
    enabled: bool = setting("HEALTH_ENABLED")
    # Previous reports read (the newest, by file name): the baseline of learned thresholds.
    history_runs: int = setting("HEALTH_HISTORY_RUNS")
    # Learned thresholds apply from this many usable previous runs on; before, the floors.
    min_history: int = setting("HEALTH_MIN_HISTORY")
    # A value is unusual beyond median +/- HEALTH_SPREAD x its median absolute deviation.
    spread: float = setting("HEALTH_SPREAD")
    # Checks on shares of articles (coverage, drift) need this many articles in the run.
    min_articles: int = setting("HEALTH_MIN_ARTICLES")
    # Field coverage: title, body and published below this share is a warning on any run.
    coverage_floor: float = setting("HEALTH_COVERAGE_FLOOR")
    # ... and any field this far below its usual share (or the learned spread, if larger).
    coverage_drop: float = setting("HEALTH_COVERAGE_DROP")
    # Items failing their JSON Schema: any is a warning, a share above this is failed.
    invalid_items_fail: float = setting("HEALTH_INVALID_ITEMS_FAIL")
    # Extraction drift: shares by text conventions / with problems this far above usual.
    drift_rise: float = setting("HEALTH_DRIFT_RISE")
    # Pages that are not the site's: any is a warning, a share above this is failed.
    not_site_fail: float = setting("HEALTH_NOT_SITE_FAIL")
    # URLs left in maintenance at the end: any is a warning, a share above this is failed.
    maintenance_fail: float = setting("HEALTH_MAINTENANCE_FAIL")
    # Requests below this fraction of the usual number: a warning.
    requests_min_ratio: float = setting("HEALTH_REQUESTS_MIN_RATIO")
    # Errors and retries per request: above this floor and the learned spread, a warning.
    error_rate_floor: float = setting("HEALTH_ERROR_RATE_FLOOR")
    retry_rate_floor: float = setting("HEALTH_RETRY_RATE_FLOOR")
    # No new article for this many days (a site that publishes daily): a warning.
    drought_days: float = setting("HEALTH_DROUGHT_DAYS")
    # Where alerts go (docs/operations.md); empty: no webhook.
    webhook_url: str = setting("ALERT_WEBHOOK_URL")
    webhook_timeout: float = setting("ALERT_WEBHOOK_TIMEOUT")
    # E-mail through Spidermon's SendSmtpEmail when SPIDERMON_EMAIL_TO is set.

    def __post_init__(self) -> None:
        shares = (self.coverage_floor, self.coverage_drop, self.invalid_items_fail,
                  self.drift_rise, self.not_site_fail, self.maintenance_fail,
                  self.requests_min_ratio, self.error_rate_floor, self.retry_rate_floor)
        if not all(0 <= s <= 1 for s in shares):
            raise ValueError(f"HEALTH_* shares must be within [0, 1]: {self}")
        non_negative(self, "history_runs", "min_history", "min_articles", "spread")
        if self.drought_days <= 0 or self.webhook_timeout <= 0:
            raise ValueError("HEALTH_DROUGHT_DAYS and ALERT_WEBHOOK_TIMEOUT must be > 0")
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError(f"ALERT_WEBHOOK_URL must be an http(s) URL: {self.webhook_url!r}")
