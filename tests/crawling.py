"""Run the real `scrapy crawl sznews` against the replica, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

FAST = {
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "AUTOTHROTTLE_ENABLED": "False",
}


@dataclass
class CrawlResult:
    archive_dir: Path
    returncode: int
    output: str

    @property
    def run_ids(self) -> list[str]:
        return sorted(p.name for p in (self.archive_dir / "items").iterdir())

    def items(self, kind: str = "articles", run_id: str | None = None) -> list[dict[str, Any]]:
        run_id = run_id or self.run_ids[-1]
        path = self.archive_dir / "items" / run_id / f"{kind}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]

    def report(self, run_id: str | None = None) -> dict[str, Any]:
        run_id = run_id or self.run_ids[-1]
        return json.loads((self.archive_dir / "reports" / f"{run_id}.json").read_text("utf-8"))

    @property
    def warcs(self) -> list[Path]:
        return sorted((self.archive_dir / "warc").glob("*.warc.gz"))


def crawl_env(proxy_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    if proxy_url:
        env["http_proxy"] = proxy_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_crawl(
    archive_dir: Path,
    *,
    proxy_url: str | None = None,
    start_url: str | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 600,
) -> CrawlResult:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive_dir}"]
    for key, value in {**FAST, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    if start_url:
        cmd += ["-a", f"start_url={start_url}"]
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=crawl_env(proxy_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CrawlResult(archive_dir, proc.returncode, proc.stdout + proc.stderr)
