"""Start the replica as a subprocess for tests and the demo (a real socket, a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from .faults import gzipbomb_urls, large_urls
from .model import VARIANTS, Site

REPO_ROOT = Path(__file__).resolve().parents[2]


class Replica:
    """A running replica: `url` (== `proxy_url`), `port`, `log_path`, `latency` (seconds),
    `requests()`, `stop()`;
    `large_urls()` / `gzipbomb_urls()` list the extra pages of its `large=` / `gzipbomb=` faults;
    `day`, `daily`, `no_validators`, `live_picbox`, `variant` as passed to start_replica."""

    def __init__(self, proc: subprocess.Popen, url: str, log_path: str, own_log: bool,
                 seed: int = 1, articles: int = 60, faults: tuple[str, ...] = (),
                 grow: int = 0, correct: tuple[str, ...] = (), latency: float = 0.0, *,
                 day: int = 0, daily: int = 0, no_validators: bool = False,
                 live_picbox: bool = False, variant: str = "sznews") -> None:
        self.proc = proc
        self.variant = variant
        self.latency = latency
        self.day, self.daily = day, daily
        self.no_validators, self.live_picbox = no_validators, live_picbox
        self.seed, self.articles, self.faults = seed, articles, tuple(faults)
        self.grow, self.correct = grow, tuple(correct)
        self.url = url
        self.proxy_url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.log_path = log_path
        self._own_log = own_log

    def requests(self) -> list[dict]:
        """Parsed request-log lines so far."""
        try:
            text = Path(self.log_path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def large_urls(self, root: str | None = None) -> list[str]:
        """URLs of the `large=` pages (on `root`, default this origin; HOST_ROOT via the proxy)."""
        return large_urls(self.faults, seed=self.seed, articles=self.articles,
                          root=root or self.url, grow=self.grow)

    def gzipbomb_urls(self, root: str | None = None) -> list[str]:
        """URLs of the `gzipbomb=` pages (on `root`, default this origin)."""
        return gzipbomb_urls(self.faults, seed=self.seed, articles=self.articles,
                             root=root or self.url, grow=self.grow)

    def site(self) -> Site:
        """The Site this replica serves (same seed, articles, grow, correct, day, daily,
        variant)."""
        return Site(self.seed, self.articles, self.grow, self.correct, day=self.day,
                    daily=self.daily, variant=VARIANTS[self.variant])

    def stop(self) -> None:
        """Terminate the server; a log file we created ourselves is removed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._own_log:
            Path(self.log_path).unlink(missing_ok=True)

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_replica(*, articles: int = 60, seed: int = 1, maintenance: Iterable[str] = (),
                  log_path: str | os.PathLike | None = None, timeout: float = 20.0,
                  faults: Iterable[str] = (), grow: int = 0,
                  correct: Iterable[str] = (), latency: float = 0.0, day: int = 0,
                  daily: int = 0, no_validators: bool = False,
                  live_picbox: bool = False, variant: str = "sznews",
                  photo_kb: str | None = None) -> Replica:
    """Run `python -m tests.replica` on a free port and wait for its READY line.

    `faults`: `--fault` specs (see tests/replica/faults.py), e.g. `("status5xx=0.1:2",)`.
    `grow`: K new articles on top of the `articles` base site (`--grow`); `correct`: article
    paths served corrected (`--correct`), e.g. `(correctable_path(Site(seed, articles)),)`.
    `latency`: seconds every response waits before its status line (`--latency`).
    `day`, `daily`: the site on simulated day `day`, `daily` new articles a day (`--day`,
    `--daily`; tests/replica/days.py); `no_validators`: no ETag/Last-Modified, never 304;
    `live_picbox`: the 图片新闻 box shows the newest articles, so every page changes daily.
    `variant`: which county site it is (`--variant`, model.VARIANTS): `"xcnews"` serves the
    made-up sibling, proxied for http://xcnews.zjol.com.cn."""
    faults = tuple(faults)
    correct = tuple(correct)
    own = log_path is None
    if own:
        fd, name = tempfile.mkstemp(prefix="replica-", suffix=".jsonl")
        os.close(fd)
        log_path = name
    cmd = [sys.executable, "-m", "tests.replica", "--port", "0", "--seed", str(seed),
           "--articles", str(articles), "--log", str(log_path)]
    for m in maintenance:
        cmd += ["--maintenance", m]
    for f in faults:
        cmd += ["--fault", f]
    if grow:
        cmd += ["--grow", str(grow)]
    if correct:
        cmd += ["--correct", ",".join(correct)]
    if latency:
        cmd += ["--latency", repr(float(latency))]
    if day or daily:
        cmd += ["--day", str(day), "--daily", str(daily)]
    if no_validators:
        cmd.append("--no-validators")
    if live_picbox:
        cmd.append("--live-picbox")
    if variant != "sznews":
        cmd += ["--variant", variant]
    if photo_kb:  # "MIN-MAX": article photos of a real size (benchmarks)
        cmd += ["--photo-kb", photo_kb]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0].startswith("READY "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"replica did not start: {line!r}")
    return Replica(proc, line[0].split()[1], str(log_path), own, seed, articles, faults, grow,
                   correct, latency, day=day, daily=daily, no_validators=no_validators,
                   live_picbox=live_picbox, variant=variant)
