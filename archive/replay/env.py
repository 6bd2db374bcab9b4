"""The separate pywb virtualenv, and the environment a child started from it runs in.

pywb lives in its own virtualenv (`make replay-env`) because it pins brotlipy, which breaks
Scrapy's brotli support; importing it here would poison the crawl environment. So replay
only runs programs of that venv (`wayback`, and its Python for the browser driver of
``archive.qa``) as child processes, each with the environment made here.
"""

from __future__ import annotations

import os
from pathlib import Path

from archive.replay.errors import ReplayEnvError

REPO_ROOT = Path(__file__).resolve().parents[2]
REPLAY_VENV_ENV = "SZNEWS_REPLAY_VENV"


DEFAULT_REPLAY_VENV = REPO_ROOT / ".venv-replay"


def replay_venv_dir() -> Path:
    """Where the pywb virtualenv is looked for: $SZNEWS_REPLAY_VENV, else <repo>/.venv-replay."""
    configured = os.environ.get(REPLAY_VENV_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_REPLAY_VENV


def find_replay_venv() -> Path:
    """The pywb virtualenv (``replay_venv_dir``), checked to hold a runnable ``wayback``.

    Fails with an actionable message instead of a bare FileNotFoundError, because the
    usual cause is simply that `make replay-env` was never run.
    """
    venv = replay_venv_dir()
    exe = venv / "bin" / "wayback"
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        source = f"${REPLAY_VENV_ENV}" if os.environ.get(REPLAY_VENV_ENV) else "default location"
        raise ReplayEnvError(
            f"pywb replay environment not found: {exe} is missing ({source}). "
            f"Run `make replay-env` to create {DEFAULT_REPLAY_VENV}, or point "
            f"{REPLAY_VENV_ENV} at a virtualenv with pywb installed."
        )
    return venv


def wayback_executable(venv: Path | None = None) -> Path:
    return (venv or find_replay_venv()) / "bin" / "wayback"


def offline_env(config_path: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the wayback child: no proxies, our config and nothing else.

    VIRTUAL_ENV/PYTHONPATH/PYTHONHOME from the crawl venv are dropped so the child resolves
    packages only from the replay venv (its script's shebang picks the interpreter).
    """
    env = dict(os.environ if base is None else base)
    for key in list(env):
        lower = key.lower()
        if (
            lower.endswith("_proxy")
            or lower.startswith("pywb_")
            or lower in ("pythonpath", "pythonhome", "virtual_env")
        ):
            del env[key]
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env["PYWB_CONFIG_FILE"] = str(config_path)
    env["PYTHONUNBUFFERED"] = "1"
    return env
