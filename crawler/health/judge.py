"""Judge a run at its end, put the verdict in its report, then send the alerts.

Called by the run's end (``crawler/run/end.py``) with the report about to be
written: ``judge_run`` measures the items, reads the last HEALTH_HISTORY_RUNS reports, runs
the Spidermon suite's monitors and adds ``quality`` and ``health`` to the report; the
function it returns runs the suite's actions once the report is on disk. A ``failed``
health makes the run fail (``health/failed``, read by ``crawler.run.outcome``).
Nothing here may break the run's end: an error in a check is logged, counted and reported
as an alert of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spidermon.exceptions import NotConfigured as SpidermonNotConfigured
from spidermon.runners import MonitorRunner

from crawler.health.alerts import SmtpAlert, WebhookAlert
from crawler.health.checks import FAILED, Alert, RunData
from crawler.health.history import previous_reports
from crawler.health.limits import HealthConfig
from crawler.health.monitors import HealthData, HealthSuite
from crawler.health.quality import measure

logger = logging.getLogger(__name__)
progress = logging.getLogger("progress")

Deliver = Callable[[], None]


class _MonitorsThenActions(MonitorRunner):
    """Spidermon's runner, in two steps: monitors now, actions once the report is written."""

    def run_suite(self) -> Any:
        self.result.start()
        self.run_monitors()
        return self.result

    def deliver(self) -> None:
        self.run_actions()
        self.result.finish()


def summary_line(section: dict[str, Any]) -> str:
    """The health in one line: the status and the checks that raised alerts."""
    alerts = section.get("alerts") or []
    if not alerts:
        return f"health: {section.get('status')}"
    checks = ", ".join(f"{a['check']} ({a['severity']})" for a in alerts)
    return f"health: {section.get('status')}, {len(alerts)} alerts: {checks}"


def actions(crawler: Any, config: HealthConfig, count: Callable[[str], None]) -> list[Any]:
    out: list[Any] = []
    if config.webhook_url:
        out.append(WebhookAlert(config.webhook_url, config.webhook_timeout, count))
    if crawler.settings.get("SPIDERMON_EMAIL_TO"):
        try:
            out.append(SmtpAlert.from_settings(crawler, count, config.webhook_timeout))
        except SpidermonNotConfigured as exc:
            logger.warning("Health alerts by e-mail are off: %s", exc)
    return out


def judge_run(crawler: Any, report: dict[str, Any], items_dir: Path, reports_dir: Path,
              report_path: Path) -> Deliver:
    """Add ``quality`` and ``health`` to ``report``; the returned function sends alerts."""
    stats = crawler.stats
    config = HealthConfig.from_settings(crawler.settings)  # validated at start: see below
    if not config.enabled:
        return lambda: None

    def count(name: str) -> None:
        stats.inc_value(f"health/alerts/{name}")

    try:
        report["quality"] = measure(items_dir, report.get("stats"))
        history = previous_reports(reports_dir, report["run_id"], config.history_runs)
        health = HealthData(RunData(report, report["quality"], history, config),
                            report["run_id"], report_path)
        suite = HealthSuite(monitors_failed_actions=actions(crawler, config, count))
        runner = _MonitorsThenActions()
        result = runner.run(suite, health=health)
        for _test, error in result.errors:  # a check that broke: say so, do not hide it
            stats.inc_value("health/check_errors")
            logger.error("A health check raised an error:\n%s", error)
            health.alerts.append(Alert("health_checks", "warning",
                                       "A health check could not run (see the log).",
                                       [error.strip().splitlines()[-1]]))
    except Exception as exc:  # noqa: BLE001 - the report is written whatever broke here
        stats.inc_value("health/check_errors")
        logger.exception("The health checks could not run")
        report["health"] = {"status": "warning", "alerts": [Alert(
            "health_checks", "warning", f"The health checks could not run: {exc}").as_dict()]}
        return lambda: None
    section = health.section
    report["health"] = section
    stats.set_value("health/status", section["status"])
    for alert in health.alerts:
        stats.inc_value(f"health/{alert.severity}/{alert.check}")
    if section["status"] == FAILED:
        failed = [a for a in health.alerts if a.severity == FAILED]
        why = "health check failed: " + "; ".join(f"{a.check}: {a.message}" for a in failed)
        stats.set_value("health/failed", why)
        report["failed"] = report.get("failed") or why
    progress.info(summary_line(section))

    def deliver() -> None:
        if not health.alerts:
            return
        try:
            runner.deliver()
        except Exception:  # noqa: BLE001 - an alert that cannot be sent never fails the run
            count("errors")
            logger.exception("Sending the health alerts failed")

    return deliver
