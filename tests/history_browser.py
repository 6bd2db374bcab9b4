"""Open the run history page in Chromium and say what it saw (run by the replay venv's
Python, where Playwright lives: ``.venv-replay/bin/python -P tests/history_browser.py
PAGE CHROMIUM``). Prints one JSON document: requests other than the page itself, console
errors, page errors, and per chart the number of markers in each of its series."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

COUNT_POINTS = """() => [...document.querySelectorAll('figure.chart')].map(f => ({
  chart: f.dataset.chart,
  series: [...f.querySelectorAll('g[id*="-series-"]')].map(g => g.querySelectorAll('use').length),
}))"""


async def main(page_path: str, chromium: str) -> dict:
    from playwright.async_api import async_playwright

    url = Path(page_path).resolve().as_uri()
    seen: dict = {"requests": [], "console_errors": [], "page_errors": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update"])
        page = await browser.new_page()

        async def route(r):
            if r.request.url != url:
                seen["requests"].append(r.request.url)
                await r.abort()
            else:
                await r.continue_()

        await page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and seen["console_errors"].append(m.text))
        page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
        await page.goto(url, wait_until="load")
        seen["title"] = await page.title()
        seen["charts"] = await page.evaluate(COUNT_POINTS)
        seen["rows"] = await page.evaluate(
            "() => document.querySelectorAll('#runs tbody tr').length")
        seen["links"] = await page.evaluate(
            "() => [...document.querySelectorAll('#runs a')].map(a => a.href)")
        await browser.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
