"""Browser half of tests/test_catalog_browse.py, run by the replay venv's interpreter (where
Playwright is): search the browse page for a word, open a result's replay link, report.

stdin: {"chromium", "browse": "http://127.0.0.1:P", "word"}. stdout: one JSON object with
the titles found, the replay page's URL and text, and every request that tried to leave
127.0.0.1 (aborted, so the check itself never reaches the network).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any
from urllib.parse import urlsplit

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


async def main(config: dict[str, Any]) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    leaks: list[str] = []

    async def route(r: Any) -> None:
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:", "about:")) or host == "127.0.0.1":
            await r.continue_()
        else:
            leaks.append(r.request.url)
            await r.abort("blockedbyclient")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=config["chromium"], headless=True,
                                           args=ARGS)
        context = await browser.new_context()
        await context.route("**/*", route)
        page = await context.new_page()
        await page.goto(config["browse"] + "/catalog/articles", wait_until="load")
        await page.fill("#_search", config["word"])
        async with page.expect_navigation(wait_until="load"):
            await page.press("#_search", "Enter")
        titles = await page.locator("table.rows-and-columns td.col-title").all_inner_texts()
        link = page.locator("a.replay").first
        href = await link.get_attribute("href")
        async with page.expect_navigation(wait_until="load", timeout=60_000):
            await link.click()
        # pywb's framed view: the archived page is in the replay iframe.
        frame = page.frame_locator("iframe#replay_iframe")
        text = await frame.locator("body").inner_text(timeout=60_000)
        await browser.close()
    return {"titles": titles, "href": href, "url": page.url, "text": text, "leaks": leaks}


if __name__ == "__main__":
    result = asyncio.run(main(json.load(sys.stdin)))
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
