"""Alerts (crawler/health/alerts.py, judge.py): the webhook and Spidermon's SMTP e-mail reach
local servers; a delivery that fails is logged and counted and the run's end goes on."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from scrapy.utils.test import get_crawler

from crawler.health.judge import judge_run, summary_line
from tests.test_health import article, report


class Hook:
    def __init__(self, status: int = 200) -> None:
        self.posts: list[dict[str, Any]] = []
        self.received = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append({"type": self.headers["Content-Type"],
                                   "json": json.loads(body)})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                hook.received.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()

    def auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (data.login, data.password) == (b"archive", b"secret")
        return AuthResult(success=ok)

    controller = Controller(box, hostname="127.0.0.1", port=_free_port(), authenticator=auth,
                            auth_require_tls=False)
    controller.start()
    yield controller, box
    controller.stop()


def _setup(tmp_path: Path, bad_items: int = 0) -> tuple[Path, Path, dict[str, Any]]:
    items = tmp_path / "items" / "run"
    items.mkdir(parents=True)
    lines = [article(i, title="" if i < bad_items else f"t{i}") for i in range(10)]
    (items / "articles.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    reports = tmp_path / "reports"
    reports.mkdir()
    rep = report(9, not_site_pages=["http://sznews.zjol.com.cn/sznews/system/2025/01/02/1.shtml"])
    return items, reports, rep


def _judge(tmp_path: Path, settings: dict[str, Any], bad_items: int = 0
           ) -> tuple[Any, dict[str, Any], Any]:
    items, reports, rep = _setup(tmp_path, bad_items)
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    deliver = judge_run(crawler, rep, items, reports, reports / "20250109T150000Z.json")
    return crawler, rep, deliver


def test_webhook_receives_the_health_section(tmp_path: Path, hook: Hook) -> None:
    crawler, rep, deliver = _judge(tmp_path, {"ALERT_WEBHOOK_URL": hook.url}, bad_items=5)
    assert rep["health"]["status"] == "failed"  # half the items invalid
    assert {a["check"]: a["severity"] for a in rep["health"]["alerts"]} == {
        "item_validation": "failed", "field_coverage": "warning", "not_site_pages": "warning"}
    assert set(rep["health"]) == {"status", "alerts"}
    assert set(rep["health"]["alerts"][0]) == {"check", "severity", "message", "examples"}
    assert crawler.stats.get_value("health/failed").startswith("health check failed")
    assert not hook.posts  # nothing is sent before the report is written
    deliver()
    assert hook.received.wait(10)
    (post,) = hook.posts
    assert post["type"].startswith("application/json")
    assert post["json"] == {"run_id": rep["run_id"], "health": rep["health"],
                            "report": str(tmp_path / "reports" / "20250109T150000Z.json")}
    assert crawler.stats.get_value("health/alerts/webhook/sent") == 1
    assert summary_line(rep["health"]) == (
        "health: failed, 3 alerts: item_validation (failed), field_coverage (warning), "
        "not_site_pages (warning)")


def test_no_alert_no_post(tmp_path: Path, hook: Hook) -> None:
    crawler, rep, deliver = _judge(tmp_path, {"ALERT_WEBHOOK_URL": hook.url})
    rep_ok = dict(rep)
    assert rep_ok["health"]["status"] == "warning"  # the one not-site page
    items, reports, clean = tmp_path / "items" / "run", tmp_path / "reports", report(9)
    deliver2 = judge_run(crawler, clean, items, reports, reports / "x.json")
    assert clean["health"] == {"status": "ok", "alerts": []}
    deliver2()
    assert not hook.received.wait(0.5) and hook.posts == []


def test_failed_deliveries_are_counted_not_raised(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/hook"
    crawler, rep, deliver = _judge(tmp_path, {
        "ALERT_WEBHOOK_URL": dead, "ALERT_WEBHOOK_TIMEOUT": 2,
        "SPIDERMON_EMAIL_TO": ["ops@example.org"], "SPIDERMON_EMAIL_SENDER": "a@example.org",
        "SPIDERMON_SMTP_HOST": "127.0.0.1", "SPIDERMON_SMTP_PORT": _free_port(),
        "SPIDERMON_SMTP_USER": "archive", "SPIDERMON_SMTP_PASSWORD": "secret"})
    deliver()
    assert crawler.stats.get_value("health/alerts/webhook/failed") == 1
    assert crawler.stats.get_value("health/alerts/email/failed") == 1
    bad = Hook(status=500)
    try:
        crawler, rep, deliver = _judge(tmp_path / "b", {"ALERT_WEBHOOK_URL": bad.url})
        deliver()
        assert bad.received.wait(10)
        assert crawler.stats.get_value("health/alerts/webhook/failed") == 1
    finally:
        bad.close()
    with socket.socket() as garbled:  # answers no HTTP at all: an HTTPException, not OSError
        garbled.bind(("127.0.0.1", 0))
        garbled.listen()

        def answer() -> None:
            conn, _ = garbled.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"garbage\r\n\r\n")

        server = threading.Thread(target=answer, daemon=True)
        server.start()
        crawler, rep, deliver = _judge(tmp_path / "c", {
            "ALERT_WEBHOOK_URL": f"http://127.0.0.1:{garbled.getsockname()[1]}/hook"})
        deliver()
        server.join(10)
        assert crawler.stats.get_value("health/alerts/webhook/failed") == 1


def test_email_over_smtp(tmp_path: Path, smtp: tuple[Controller, Mailbox]) -> None:
    controller, box = smtp
    crawler, rep, deliver = _judge(tmp_path, {
        "SPIDERMON_EMAIL_TO": ["ops@example.org"], "SPIDERMON_EMAIL_SENDER": "a@example.org",
        "SPIDERMON_SMTP_HOST": "127.0.0.1", "SPIDERMON_SMTP_PORT": controller.port,
        "SPIDERMON_SMTP_USER": "archive", "SPIDERMON_SMTP_PASSWORD": "secret"})
    deliver()
    assert crawler.stats.get_value("health/alerts/email/sent") == 1
    (envelope,) = box.messages
    assert envelope.rcpt_tos == ["ops@example.org"] and envelope.mail_from == "a@example.org"
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == f"[sznews archive] run {rep['run_id']}: warning"
    text = message.get_payload()[0].get_payload(decode=True).decode("utf-8")
    assert "[warning] not_site_pages" in text and "/sznews/system/2025/01/02/1.shtml" in text


def test_email_with_wrong_password_is_counted(tmp_path: Path,
                                              smtp: tuple[Controller, Mailbox]) -> None:
    controller, box = smtp
    crawler, rep, deliver = _judge(tmp_path, {
        "SPIDERMON_EMAIL_TO": ["ops@example.org"], "SPIDERMON_EMAIL_SENDER": "a@example.org",
        "SPIDERMON_SMTP_HOST": "127.0.0.1", "SPIDERMON_SMTP_PORT": controller.port,
        "SPIDERMON_SMTP_USER": "archive", "SPIDERMON_SMTP_PASSWORD": "wrong"})
    deliver()
    assert crawler.stats.get_value("health/alerts/email/failed") == 1 and box.messages == []


def test_a_crawl_whose_webhook_is_dead_still_exits_0_and_its_report_says_so(
        tmp_path: Path) -> None:
    """A warning with nobody listening: the run's result is the crawl's, the lost alert is in
    the report the history page shows."""
    from tests.crawling import run_crawl
    from tests.replica.testing import start_replica
    from tests.test_fortnight import QUICK

    dead = f"http://127.0.0.1:{_free_port()}/hook"
    settings = {**QUICK, "ALERT_WEBHOOK_URL": dead, "ALERT_WEBHOOK_TIMEOUT": "5",
                "HEALTH_NOT_SITE_FAIL": "1"}  # challenged pages: a warning, whatever the share
    with start_replica(articles=20, seed=3, faults=["challenge=0.3"]) as replica:
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url,
                           settings=settings)
    assert result.returncode == 0, result.output[-3000:]
    (path,) = (tmp_path / "archive" / "reports").glob("*.json")
    health = json.loads(path.read_text("utf-8"))["health"]
    assert health["status"] == "warning"
    assert [a["check"] for a in health["alerts"]] == ["not_site_pages"]
    assert health["delivery"] == {"webhook/failed": 1}
    assert "not delivered" in result.output
