"""`python -m archive qa DIR`: replay every article and section page in a real browser.

An archive can pass `verify` (every record sound, every pointer right) and still replay
badly: an image the crawl never took, a stylesheet answered with pywb's "not found in
archive", a script that quietly fetches from the live web. Only a browser shows that, so this
command serves DIR with the project's own pywb replay (archive.replay), opens each page's
capture in headless Chromium and counts, per page, the resources loaded, the resources that
failed or answered >= 400, and the requests that left the replay; it also looks for the
item's title and first paragraph in the rendered text, so a page that "loads" but shows
something else is caught too. Like Browsertrix's QA pass, but offline and scriptable: the exit
status is 0 only when every checked page is whole.

This package runs in the crawl venv and imports neither Scrapy nor Playwright: Playwright
lives in the replay venv next to pywb, so the browser is driven by ``driver.py`` run by path
with that venv's interpreter, which reports JSON lines that ``judge`` judges. Chromium is
Debian's (`make replay-env` installs it), never a Playwright browser download.

One module per concern: ``pages`` (which pages to check), ``unpack`` (a WACZ laid out as an
ARCHIVE_DIR), ``browser`` (finding Chromium, running the driver), ``judge`` (whether a page is
whole), ``report`` (progress, the bad pages, the summary), ``runner`` (one pass) and ``cli``.
"""

from archive.qa.cli import HELP, add_arguments, main, run
from archive.qa.judge import judge
from archive.qa.pages import PageJob, QaSetupError, collect_pages, sample_pages
from archive.qa.runner import run_qa

__all__ = ["HELP", "PageJob", "QaSetupError", "add_arguments", "collect_pages", "judge", "main",
           "run", "run_qa", "sample_pages"]
