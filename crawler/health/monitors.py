"""The health checks as a Spidermon monitor suite.

Each monitor method runs one check of ``checks`` on the run's data and fails (as a
unittest would) when the check raises an alert, whatever its severity: Spidermon then runs
its ``monitors_failed_actions``, the alerts of ``alerts``. The alerts themselves, with their
severity, are collected on ``data.health`` for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from spidermon import Monitor, MonitorSuite, monitors

from crawler.health.checks import CHECKS, Alert, RunData, status_of


@dataclass
class HealthData:
    """What monitors read and fill, and what actions send (``data.health``)."""

    run: RunData
    run_id: str
    report_path: Path | None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def section(self) -> dict:
        # Failures first; otherwise in the order the suite ran the checks.
        alerts = sorted(self.alerts, key=lambda a: a.severity != "failed")
        return {"status": status_of(self.alerts), "alerts": [a.as_dict() for a in alerts]}


class HealthMonitor(Monitor):
    def judge(self, check: str) -> None:
        health: HealthData = self.data.health
        alerts = CHECKS[check](health.run)
        health.alerts.extend(alerts)
        if alerts:
            self.fail("; ".join(f"{a.severity}: {a.message}" for a in alerts))


@monitors.name("Run")
class RunMonitor(HealthMonitor):
    @monitors.name("the run ended as it should and the site was reachable")
    def test_run_end(self) -> None:
        self.judge("run_end")


@monitors.name("Items")
class ItemsMonitor(HealthMonitor):
    @monitors.name("items match their JSON Schema")
    def test_item_validation(self) -> None:
        self.judge("item_validation")

    @monitors.name("articles have their fields as usual")
    def test_field_coverage(self) -> None:
        self.judge("field_coverage")

    @monitors.name("extraction reads the templates as usual")
    def test_extraction_drift(self) -> None:
        self.judge("extraction_drift")


@monitors.name("Pages")
class PagesMonitor(HealthMonitor):
    @monitors.name("pages are the site's")
    def test_not_site_pages(self) -> None:
        self.judge("not_site_pages")

    @monitors.name("no page left in maintenance")
    def test_maintenance_pages(self) -> None:
        self.judge("maintenance_pages")


@monitors.name("Traffic")
class TrafficMonitor(HealthMonitor):
    @monitors.name("requests, errors and retries as usual")
    def test_traffic(self) -> None:
        self.judge("traffic")

    @monitors.name("the site publishes")
    def test_drought(self) -> None:
        self.judge("drought")


class HealthSuite(MonitorSuite):
    monitors = [RunMonitor, ItemsMonitor, PagesMonitor, TrafficMonitor]
