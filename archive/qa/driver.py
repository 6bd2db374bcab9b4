"""Browser half of `python -m archive qa`: loads replayed pages in Chromium, reports what it saw.

Run by path with the replay venv's interpreter (`.venv-replay/bin/python -P
archive/qa/driver.py`), because Playwright lives there and not in the crawl venv; so this
file imports nothing from the project, only the standard library and Playwright (``-P``
keeps its own directory off sys.path). It only observes: which page is whole is decided by
archive/qa/judge.py, where the policy can be tested without a browser.

Protocol. stdin: one JSON document, ``{"wayback": "http://127.0.0.1:PORT", "chromium": PATH,
"parallel": N, "timeout": SECONDS, "pages": [{"id", "replay_url", "screenshot"}, ...]}``.
stdout: JSON lines, ``{"event": "ready"}`` once the browser runs, then one
``{"event": "page", ...}`` per page as it finishes (in completion order), or one
``{"event": "error", "message": ...}`` when nothing can be checked at all (exit status 3).

Every request of every page goes through a Playwright route. A request to anything but the
wayback host:port is a live-web leak: it is recorded and aborted, so that the check itself
never reaches the network. Each page gets a fresh browser context, so nothing is answered
from a cache warmed by an earlier page and every page's resources are really loaded.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any
from urllib.parse import urlsplit

# Known to work as root on our machines; without the background-networking flags Chromium
# tries Google's hosts at start, which a closed network refuses many times over.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "run `make replay-env` (it installs Playwright into .venv-replay)"


def emit(event: str, **fields: Any) -> None:
    """One line per event, flushed at once: the orchestrator shows progress from them."""
    sys.stdout.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


async def check_page(browser: Any, job: dict[str, Any], wayback: str,
                     timeout: float) -> dict[str, Any]:
    """Load one replay URL and collect every response, failure and leak it causes."""
    from playwright.async_api import Error as PlaywrightError

    home = urlsplit(wayback).netloc
    responses: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    leaks: list[str] = []
    closing = False
    row: dict[str, Any] = {"id": job["id"], "replay_url": job["replay_url"], "status": None,
                           "title": None, "text": "", "error": None, "screenshot": None,
                           "settled": True}

    async def route(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc != home:
            if url not in leaks:
                leaks.append(url)
            await route.abort("blockedbyclient")
        else:
            await route.continue_()

    def on_response(response: Any) -> None:
        if not closing:
            responses.append({"url": response.url, "status": response.status})

    def on_failed(request: Any) -> None:
        if not closing and request.url not in leaks:
            failures.append({"url": request.url, "error": request.failure or "failed"})

    def on_websocket(socket: Any) -> None:
        # Routes do not see WebSockets; any socket off the wayback host is a leak as well.
        if urlsplit(socket.url).netloc != home and socket.url not in leaks:
            leaks.append(socket.url)

    context = await browser.new_context(service_workers="block",
                                        viewport={"width": 1280, "height": 900})
    try:
        await context.route("**/*", route)
        page = await context.new_page()
        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        page.on("websocket", on_websocket)
        try:
            response = await page.goto(job["replay_url"], wait_until="load",
                                       timeout=timeout * 1000)
            row["status"] = response.status if response is not None else None
            try:
                await page.wait_for_load_state("networkidle", timeout=timeout * 1000)
            except PlaywrightError:
                row["settled"] = False  # still loading after the timeout: noted, not fatal
            row["title"] = await page.title()
            row["text"] = await page.evaluate(
                "() => document.body ? document.body.innerText : ''")
            if job.get("screenshot"):
                await page.screenshot(path=job["screenshot"], full_page=True,
                                      timeout=timeout * 1000)
                row["screenshot"] = job["screenshot"]
        except PlaywrightError as exc:
            row["error"] = str(exc).splitlines()[0]
    finally:
        closing = True
        await context.close()
    row.update(responses=responses, failures=failures, leaks=leaks)
    return row


async def run(config: dict[str, Any]) -> int:
    try:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright
    except ImportError as exc:
        emit("error", message=f"Playwright is not installed in {sys.prefix} ({exc}): "
                              f"{INSTALL_HINT}")
        return 3
    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(
                executable_path=config["chromium"], headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            emit("error", message=f"Chromium ({config['chromium']}) did not start: "
                                  f"{str(exc).splitlines()[0]}")
            return 3
        emit("ready", version=browser.version)
        limit = asyncio.Semaphore(max(1, int(config.get("parallel", 1))))
        timeout = float(config.get("timeout", 60))

        async def one(job: dict[str, Any]) -> None:
            async with limit:
                emit("page", **await check_page(browser, job, config["wayback"], timeout))

        try:
            await asyncio.gather(*(one(job) for job in config["pages"]))
        finally:
            await browser.close()
    return 0


def main() -> int:
    return asyncio.run(run(json.load(sys.stdin)))


if __name__ == "__main__":
    sys.exit(main())
