"""Deploy with `scrapyd-deploy` to a real Scrapyd and crawl the replica through its HTTP API.

Scrapyd binds 127.0.0.1 on a free port and keeps everything (scrapyd.conf, eggs, logs, dbs)
in a temporary directory; the crawl it spawns inherits its environment, so `http_proxy`
points at the replica. The egg is built from a copy of the project in a temporary
directory, so the build (build/, *.egg-info) never touches the working tree.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import FAST, ROOT, crawl_env
from tests.replica.expected import expected_articles
from tests.replica.model import Site
from tests.replica.testing import Replica, start_replica

pytest.importorskip("scrapyd")
pytest.importorskip("scrapyd_client")

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SEED = 7
ARTICLES = 30
PROJECT = "sznews"
JOB_TIMEOUT = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Scrapyd is on 127.0.0.1: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> dict[str, Any]:
    with _OPENER.open(url, timeout=10) as response:
        return json.load(response)


def _post(url: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    data = urllib.parse.urlencode(fields).encode()
    with _OPENER.open(url, data=data, timeout=30) as response:
        return json.load(response)


class Scrapyd:
    """A `scrapyd` process with its own scrapyd.conf and directories under `workdir`."""

    def __init__(self, workdir: Path, proxy_url: str) -> None:
        self.workdir = workdir
        self.logs_dir = workdir / "logs"
        self.output = workdir / "scrapyd.out"
        self.env = crawl_env(proxy_url)  # no other proxy variables; the crawl inherits it
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def _write_conf(self, port: int) -> None:
        conf = {
            "bind_address": "127.0.0.1",
            "http_port": str(port),
            "eggs_dir": str(self.workdir / "eggs"),
            "logs_dir": str(self.logs_dir),
            "dbs_dir": str(self.workdir / "dbs"),
            "items_dir": "",  # the project writes its own items; Scrapyd exports nothing
            "jobs_dir": "",
            "jobs_to_keep": "5",
            "max_proc": "1",
            "poll_interval": "0.5",
        }
        lines = ["[scrapyd]", *(f"{key} = {value}" for key, value in conf.items())]
        (self.workdir / "scrapyd.conf").write_text("\n".join(lines) + "\n", "utf-8")

    def start(self, attempts: int = 3, timeout: float = 30.0) -> None:
        for _ in range(attempts):  # a free port can be taken between choosing and binding it
            port = _free_port()
            self._write_conf(port)
            env = {**self.env, "SCRAPYD_BIND_ADDRESS": "127.0.0.1", "SCRAPYD_HTTP_PORT": str(port)}
            with self.output.open("ab") as out:
                self.proc = subprocess.Popen(
                    [str(BIN / "scrapyd")], cwd=self.workdir, env=env,
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                )
            self.url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if _get(self.url + "daemonstatus.json")["status"] == "ok":
                        return
                except OSError:
                    time.sleep(0.2)
            self.stop()
        raise RuntimeError(f"scrapyd did not start:\n{self.log()[-5000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.output.read_text("utf-8", "replace") if self.output.exists() else ""

    def job_log(self, job: str) -> str:
        return (self.logs_dir / PROJECT / "sznews" / f"{job}.log").read_text("utf-8", "replace")


def _project_copy(dest: Path) -> Path:
    """The files `python setup.py bdist_egg` reads: top-level files and packages."""
    dest.mkdir()
    for name in ("setup.py", "pyproject.toml", "scrapy.cfg", "README.md", "MANIFEST.in"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, dest / name)
    for path in ROOT.iterdir():
        if path.is_dir() and (path / "__init__.py").is_file():
            shutil.copytree(path, dest / path.name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _build_leftovers() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.name == "build" or p.name.endswith(".egg-info")}


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with start_replica(articles=ARTICLES, seed=SEED) as server:
        yield server


@pytest.fixture(scope="module")
def scrapyd(replica: Replica, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    server = Scrapyd(tmp_path_factory.mktemp("scrapyd"), replica.proxy_url)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> str:
    """`scrapyd-deploy env` of the project's scrapy.cfg, with SCRAPYD_URL naming our Scrapyd."""
    src = _project_copy(tmp_path_factory.mktemp("deploy") / "project")
    before = _build_leftovers()
    proc = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "env", "--version", "r1"],
        cwd=src, env={**crawl_env(None), "SCRAPYD_URL": scrapyd.url},
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["status"] == "ok", proc.stdout + proc.stderr
    assert _build_leftovers() == before, "the build wrote into the working tree"
    return "r1"


def test_deploy_lists_the_spider(scrapyd: Scrapyd, deployed: str) -> None:
    assert PROJECT in _get(scrapyd.url + "listprojects.json")["projects"]
    assert _get(scrapyd.url + f"listversions.json?project={PROJECT}")["versions"] == [deployed]
    assert _get(scrapyd.url + f"listspiders.json?project={PROJECT}")["spiders"] == ["sznews"]


def test_egg_holds_every_module_and_the_settings_entry_point(
    scrapyd: Scrapyd, deployed: str
) -> None:
    """The crawl imports the project from the egg: it must be complete on its own."""
    with zipfile.ZipFile(scrapyd.workdir / "eggs" / PROJECT / f"{deployed}.egg") as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]" in entry_points and "settings = crawler.settings" in entry_points
    for package in ("crawler", "spiders", "pipelines", "archive"):
        for module in (ROOT / package).rglob("*.py"):
            assert module.relative_to(ROOT).as_posix() in names


def test_scheduled_crawl_writes_the_archive(
    scrapyd: Scrapyd, deployed: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    archive_dir = tmp_path_factory.mktemp("scrapyd-archive") / "archive"  # absolute
    settings = {"ARCHIVE_DIR": str(archive_dir), **FAST}
    fields = [("project", PROJECT), ("spider", "sznews"), ("_version", deployed)]
    fields += [("setting", f"{key}={value}") for key, value in settings.items()]
    answer = _post(scrapyd.url + "schedule.json", fields)
    assert answer["status"] == "ok", answer
    job = answer["jobid"]

    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        jobs = _get(scrapyd.url + f"listjobs.json?project={PROJECT}")
        finished = [j for j in jobs["finished"] if j["id"] == job]
        if finished:
            break
        assert time.monotonic() < deadline, f"job not finished in {JOB_TIMEOUT} s: {jobs}"
        time.sleep(1)

    job_log = scrapyd.job_log(job)
    assert finished[0].get("exit_code", 0) == 0, job_log[-5000:]
    errors = [line for line in job_log.splitlines() if " ERROR: " in line]
    assert not errors, "\n".join(errors[:20])
    assert "Process died" not in scrapyd.log(), scrapyd.log()[-5000:]

    assert sorted((archive_dir / "warc").glob("*.warc.gz")), "no WARC"
    assert not list((archive_dir / "warc").glob("*.open")), "a WARC left open"
    assert (archive_dir / "index.cdxj").stat().st_size > 0
    (run_dir,) = (archive_dir / "items").iterdir()
    lines = (run_dir / "articles.jsonl").read_text("utf-8").splitlines()
    articles = [json.loads(line) for line in lines]
    want = {a["url"] for a in expected_articles(Site(SEED, ARTICLES))}
    assert len(articles) == ARTICLES == len(want)
    assert {a["url"] for a in articles} == want
    report = json.loads((archive_dir / "reports" / f"{run_dir.name}.json").read_text("utf-8"))
    assert report["finish_reason"] == "finished", report
    # Nothing went to Scrapyd's own item feed or to the working directory of the job.
    assert not (scrapyd.workdir / "items").exists()
    assert not (scrapyd.workdir / "data").exists()
