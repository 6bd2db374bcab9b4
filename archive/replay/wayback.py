"""`wayback` run as a child process, bound to 127.0.0.1, offline, and stopped for sure.

wayback is started without ``--live``, ``--record``, ``--proxy`` or ``--autoindex``, with
``PYWB_CONFIG_FILE`` pinned to the collection's config (so a stray variable in the user's
shell cannot substitute another one) and without proxy variables (``NO_PROXY=*``): pywb
talks to its own internal warcserver over HTTP on localhost, and an inherited
``http_proxy`` would route even that through a proxy.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from archive.replay.collection import DEFAULT_COLLECTION
from archive.replay.env import offline_env, wayback_executable
from archive.replay.errors import CollectionError, WaybackStartError
from archive.replay.stopping import stop_process
from archive.replay.urls import replay_url

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"


def free_port(host: str = LOCALHOST) -> int:
    """Ask the kernel for an unused port; wayback has no way to report one it picked."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    """urllib honours http_proxy by default; a local probe must never go through a proxy."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _tail(path: Path | None, limit: int = 4000) -> str:
    if path is None:
        return "(output not captured)"
    try:
        return path.read_text("utf-8", errors="replace")[-limit:]
    except OSError:
        return "(no log)"


@dataclass
class WaybackProcess:
    """A running `wayback`; stop() (or leaving the with-block) terminates it."""

    proc: subprocess.Popen[bytes]
    root: Path
    host: str
    port: int
    log_path: Path | None = None
    _log_fh: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def replay_url(
        self,
        url: str,
        timestamp: str | datetime | None = None,
        *,
        collection: str = DEFAULT_COLLECTION,
        mode: str = "mp_",
    ) -> str:
        return replay_url(self.url, collection, timestamp, url, mode)

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float | None = None) -> int:
        return self.proc.wait(timeout)

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate politely, then kill; safe to call more than once."""
        stop_process(self.proc, timeout)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None
        return self.proc.returncode

    def __enter__(self) -> WaybackProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _wait_until_ready(wb: WaybackProcess, timeout: float) -> None:
    """Poll collinfo.json: it answers only once both pywb apps are up and collections load."""
    opener = _no_proxy_opener()
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not wb.running():
            raise WaybackStartError(
                f"wayback exited with status {wb.proc.returncode} before answering on {wb.url}"
                f"\n{_tail(wb.log_path)}"
            )
        try:
            with opener.open(f"{wb.url}/collinfo.json", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise WaybackStartError(
        f"wayback did not answer on {wb.url} within {timeout:.0f}s (last error: {last})"
        f"\n{_tail(wb.log_path)}"
    )


def start_wayback(
    root: Path,
    port: int = 0,
    *,
    host: str = LOCALHOST,
    venv: Path | None = None,
    log_path: Path | None = None,
    echo: bool = False,
    new_session: bool = False,
    threads: int = 4,
    timeout: float = 60.0,
) -> WaybackProcess:
    """Start `wayback` serving root's collections and return once it answers HTTP.

    wayback binds to ``-b host -p port`` (default 0.0.0.0:8080 otherwise, i.e. exposed on
    every interface, which an archive viewer has no business doing). It cannot report a
    port it picked, so with port=0 we reserve a free one first; if another process grabs it
    in between, wayback dies with "Address already in use" and we retry with a fresh port.

    Output goes to log_path (default root/wayback.log) unless echo=True, in which case it
    is inherited (foreground use from the CLI). new_session=True keeps a terminal's Ctrl-C
    away from wayback (which answers SIGINT with a gevent traceback) so that the caller can
    stop it with SIGTERM instead; the price is that it survives a SIGKILLed caller.
    """
    root = Path(root).resolve()
    config = root / "config.yaml"
    if not config.is_file():
        raise CollectionError(f"{config} missing: call prepare_collection() first")
    exe = wayback_executable(venv)
    if not echo and log_path is None:
        log_path = root / "wayback.log"
    attempts = 3 if port == 0 else 1
    for attempt in range(1, attempts + 1):
        chosen = port or free_port(host)
        cmd = [str(exe), "--bind", host, "--port", str(chosen), "--threads", str(threads),
               "--directory", str(root)]
        log_fh = None if echo or log_path is None else open(log_path, "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=offline_env(config),
            stdin=subprocess.DEVNULL,
            stdout=log_fh,
            stderr=subprocess.STDOUT if log_fh is not None else None,
            start_new_session=new_session,
        )
        wb = WaybackProcess(proc, root, host, chosen, None if echo else log_path, log_fh)
        try:
            _wait_until_ready(wb, timeout)
        except WaybackStartError:
            wb.stop()
            if attempt < attempts and "Address already in use" in _tail(wb.log_path):
                log.warning("port %d was taken before wayback bound it; retrying", chosen)
                continue
            raise
        except BaseException:
            wb.stop()
            raise
        return wb
    raise AssertionError("unreachable")
