"""`python -m archive verify|wacz|replay` run for real on a crawl of the replica."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile

import pytest

from tests.crawling import ROOT, crawl_env


def archive_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive", *args], cwd=ROOT,
                          env=crawl_env(None), capture_output=True, text=True, timeout=300,
                          **kwargs)


def test_verify_passes_then_fails_after_a_flipped_byte(crawled, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(crawled.archive_dir, copy, ignore=shutil.ignore_patterns("replay"))
    ok = archive_cli("verify", str(copy))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "0 failures" in ok.stdout
    warc = sorted((copy / "warc").glob("*.warc.gz"))[0]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    bad = archive_cli("verify", str(copy))
    assert bad.returncode != 0
    assert warc.name in bad.stdout + bad.stderr


def test_wacz_of_the_crawl_validates_and_lists_the_articles(crawled, tmp_path):
    out = tmp_path / "sznews.wacz"
    proc = archive_cli("wacz", str(crawled.archive_dir), "-o", str(out), "--validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(out) as wacz:
        lines = wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()
    pages = {json.loads(line).get("url"): json.loads(line) for line in lines[1:]}
    for article in crawled.items("articles"):
        assert pages[article["url"]]["title"] == article["title"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.replay
def test_replay_serves_the_crawl_and_prints_where(crawled, tmp_path):
    if not (ROOT / ".venv-replay" / "bin" / "wayback").exists():
        pytest.fail("pywb is missing: run `make replay-env`")
    copy = tmp_path / "archive"
    shutil.copytree(crawled.archive_dir, copy)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "replay", str(copy), "--port",
                             str(port)], cwd=ROOT, env=crawl_env(None), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        article = crawled.items("articles")[0]
        url = f"http://127.0.0.1:{port}/sznews/mp_/{article['url']}"
        deadline = time.monotonic() + 90
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    body = response.read()
            except OSError:
                time.sleep(0.5)
        assert body is not None, "pywb did not answer"
        assert article["title"] in body.decode("gb18030", "replace")
        # pywb answers a moment before the command prints where it is (a loaded machine
        # stretches that moment): Ctrl-C only once it has said so.
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=10)
    output = "".join(lines)
    assert f"http://127.0.0.1:{port}/" in output
