"""A run's health: judged at its end against the runs before it, and told to someone.

``judge.RunHealth`` is what the run's end calls: it measures the run's items
(``quality``), reads the last reports (``history``), runs the Spidermon suite of checks
(``monitors`` over ``checks``) and, once the report is written, sends the alerts through
Spidermon actions (``alerts``: e-mail over SMTP, a webhook). docs/operations.md says what
each check means and what to do about it.
"""
