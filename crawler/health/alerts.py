"""Alerts that reach a person: Spidermon actions run when a health check raised an alert.

A delivery that fails is logged and counted (``health/alerts/<action>/failed``) and never
fails the run: the exit status and the report already say what happened.
"""

from __future__ import annotations

import http.client
import json
import logging
import smtplib
import urllib.request
import warnings
from collections.abc import Callable
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon.core.actions import Action

with warnings.catch_warnings():
    # Spidermon's module imports scrapy.mail (deprecated); SmtpAlert below sends with smtplib.
    warnings.simplefilter("ignore", ScrapyDeprecationWarning)
    from spidermon.contrib.actions.email.smtp import SendSmtpEmail

logger = logging.getLogger(__name__)

Count = Callable[[str], None]

DEFAULT_SUBJECT = ("[sznews archive] run {{ data.health.run_id }}: "
                   "{{ data.health.section.status }}")
DEFAULT_BODY = """Run {{ data.health.run_id }}: {{ data.health.section.status }}
Report: {{ data.health.report_path }}
{% for a in data.health.section.alerts %}
[{{ a.severity }}] {{ a.check }}: {{ a.message }}
{% for e in a.examples %}    {{ e }}
{% endfor %}{% endfor %}
What each check means: docs/operations.md
"""


def webhook_payload(data: Any) -> dict[str, Any]:
    health = data.health
    return {"run_id": health.run_id,
            "report": str(health.report_path) if health.report_path else None,
            "health": health.section}


class WebhookAlert(Action):
    """POST the run's health section, run id and report path as JSON to ALERT_WEBHOOK_URL.

    Directly, never through the environment's ``http_proxy``: that one points the crawl at
    the site (or at a replica, as ``make demo`` does), not at the operator's alert service.
    """

    _opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __init__(self, url: str, timeout: float, count: Count) -> None:
        super().__init__()
        self.url, self.timeout, self.count = url, timeout, count

    def run_action(self) -> None:
        body = json.dumps(webhook_payload(self.data), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        # HTTPError, URLError, timeouts are OSErrors; a garbled answer an HTTPException.
        except (OSError, ValueError, http.client.HTTPException) as exc:
            logger.warning("Health alert to ALERT_WEBHOOK_URL %s not delivered: %s",
                           self.url, exc)
            self.count("webhook/failed")
            return
        self.count("webhook/sent")


class SmtpAlert(SendSmtpEmail):
    """Spidermon's SMTP e-mail, sent with smtplib while the run's end waits for it (Scrapy's
    MailSender sends later, on the reactor, and says nothing of a failure)."""

    body_html_template = None

    def __init__(self, *args: Any, count: Count, timeout: float = 30.0, **kwargs: Any) -> None:
        kwargs.setdefault("subject", DEFAULT_SUBJECT)
        kwargs.setdefault("body_text", DEFAULT_BODY)
        super().__init__(*args, **kwargs)
        self.count, self.timeout = count, timeout

    @classmethod
    def from_settings(cls, crawler: Any, count: Count, timeout: float) -> SmtpAlert:
        kwargs = {k: v for k, v in cls.from_crawler_kwargs(crawler).items() if v is not None}
        kwargs["subject"] = kwargs.get("subject") or DEFAULT_SUBJECT
        if not any(kwargs.get(k) for k in ("body_text", "body_text_template", "body_html",
                                           "body_html_template")):
            kwargs["body_text"] = DEFAULT_BODY
        return cls(count=count, timeout=timeout, **kwargs)

    def send_message(self, message: Any, **kwargs: Any) -> None:
        smtp_class = smtplib.SMTP_SSL if self.smtp_enforce_ssl else smtplib.SMTP
        recipients = [*self.to, *(self.cc or []), *(self.bcc or [])]
        try:
            with smtp_class(self.smtp_host, self.smtp_port, timeout=self.timeout) as smtp:
                if self.smtp_enforce_tls:
                    smtp.starttls()
                smtp.login(self.smtp_user, self.smtp_password)
                smtp.sendmail(self.sender, recipients, message.as_string())
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("Health alert e-mail to %s via %s:%s not delivered: %s",
                           ", ".join(recipients), self.smtp_host, self.smtp_port, exc)
            self.count("email/failed")
            return
        self.count("email/sent")
