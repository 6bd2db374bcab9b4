"""Scrapy settings of the archive crawler; component settings are prefixed (WARC_, DEDUP_, ...)."""

from archive import layout

# Sets tldextract's TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS before Scrapy makes its extractor.
from crawler.fetching import offline  # noqa: F401

BOT_NAME = "sznews"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = "sznews-archive/0.1 (web archive crawler)"
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
    # Not br or zstd (Scrapy offers them when brotli/zstandard are installed): gzip and
    # deflate are what every archive tool reads. A server that sends br anyway is still
    # archived raw, indexed from its headers and decoded for extraction.
    "Accept-Encoding": "gzip, deflate",
}
ROBOTSTXT_OBEY = True

# Polite by default; the demo and tests turn politeness down against the local replica.
CONCURRENT_REQUESTS = 16
# Scrapy starts this many tasks for every response's output; a page yields one item at most.
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 4
RETRY_BACKOFF_BASE = 2.0  # seconds, doubled on every try
RETRY_BACKOFF_MAX = 120.0
# A news page is tens of KB; 16 MB stops giant pages and gzip bombs (also after decompression).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# DOWNLOAD_MAXSIZE counts only the body: response headers are capped while they are read
# (crawler/fetching/downloader.py); a real page sends under 2 KB of them.
DOWNLOAD_MAXHEADERS_SIZE = 64 * 1024
DOWNLOAD_MAXHEADERS = 200

# An archive keeps whatever the server said: errors are captured at response_downloaded
# whatever happens to them afterwards.
REDIRECT_ENABLED = True

# Nothing listens on a port during a crawl.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# The run's owner: built before every other component, it opens the run's files in one order
# (crawler/run/owner.py); the run's end (crawler.run.end.RunEnd) closes them in reverse.
ADDONS = {"crawler.run.owner.ArchiveRun": 0}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawler.capture.warc.WarcCapture": 100,
    # Closes the WARC writer, the work log and the state in that order; index, report.
    "crawler.run.end.RunEnd": 900,
    "crawler.resume.tracker.JobTracker": 50,
    # Spider state is not used; its pickle in JOBDIR is one more write that can fail.
    "scrapy.extensions.spiderstate.SpiderState": None,
    "crawler.run.progress.Progress": 910,
    "crawler.run.loglevel.LoggerLevel": 0,
}

DOWNLOAD_HANDLERS = {
    "http": "crawler.fetching.downloader.ArchivingHTTP11DownloadHandler",
    "https": "crawler.fetching.downloader.ArchivingHTTP11DownloadHandler",
}

SPIDER_MIDDLEWARES = {
    "crawler.resume.tracker.JobDoneMiddleware": 10,
    # Depth is not a limit here (related-article chains are legitimately deep) and the trap
    # guard bounds URLs: both only cost a pass over every request.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's retry rules, with back-off and Retry-After (crawler/fetching/retry.py).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.fetching.retry.BackoffRetryMiddleware": 550,
    # Between decompression (590) and retries (550): sees decoded bodies, acts before a retry.
    "crawler.dedup.maintenance.MaintenanceMiddleware": 580,
    # Pages that are not the site's (challenge, login wall, error page sent with 200).
    "crawler.dedup.notsite.NotSiteMiddleware": 579,
    "crawler.fetching.nosniff.NoSniffingOfCompressedBodies": 595,
    # Conditional headers go on last, right before the download.
    "crawler.incremental.middleware.IncrementalMiddleware": 950,
}

ITEM_PIPELINES = {
    "pipelines.warc_pointer.WarcPointerPipeline": 100,
    "pipelines.version.ArticleVersionPipeline": 700,
    "pipelines.jsonl.JsonLinesExportPipeline": 800,
}

# The site crawled: a crawler.profile.SiteProfile or its import path (README: "Site profile").
SITE_PROFILE = "crawler.profile.SZNEWS"

# Where everything goes: warc/, items/<run_id>/, index.cdxj, reports/.
ARCHIVE_DIR = layout.DEFAULT_ROOT
WARC_MAX_SIZE = 1024**3
WARC_PREFIX = ""  # empty: the site profile's short name (sznews, xcnews, ...)
WARC_OPERATOR = ""
# Set aside at the start (state/.reserve, at most a quarter of the free space) so that a run
# that fills the disk can still write its index and report (crawler/run/diskfull.py).
ARCHIVE_DISK_RESERVE = 64 * 1024 * 1024
PROGRESS_INTERVAL = 5.0

# The dedup layer (README: "Dedup").
DEDUP_ENABLED = True
DEDUP_MAINTENANCE_RETRY_TIMES = 6
DEDUP_MAINTENANCE_RETRY_DELAY = 30.0  # seconds, doubled on every try
DEDUP_MAINTENANCE_MAX_DELAY = 1800.0
DEDUP_MAINTENANCE_MAX_WAIT = 600.0  # longest idle wait once only maintenance URLs are left
# Pages that are not the site's (docs/operations.md: "Pages that are not the site's").
DEDUP_NOTSITE_ENABLED = True
DEDUP_NOTSITE_RETRY_TIMES = 2
DEDUP_NOTSITE_RETRY_DELAY = 60.0  # seconds, doubled on every try
DEDUP_NOTSITE_MAX_DELAY = 600.0
DEDUP_NOTSITE_MAX_WAIT = 300.0  # longest idle wait once only such URLs are left
DEDUP_TEMPLATE_MIN_PAGES = 3
DEDUP_MAX_QUERY_VARIANTS = 20
DEDUP_MAX_PATH_SEGMENTS = 12
DEDUP_REVISITS = True

# Scheduled runs (README: "Scheduled incremental runs").
INCREMENTAL_ENABLED = True
INCREMENTAL_POLICY = "adaptive"  # "all": recheck every archived article every run
INCREMENTAL_FRESH_DAYS = 7.0  # an article is rechecked on every run this long after publication
INCREMENTAL_MIN_INTERVAL_DAYS = 1.0
INCREMENTAL_MAX_INTERVAL_DAYS = 90.0  # every archived article is rechecked at least this often
INCREMENTAL_REQUISITE_MAX_INTERVAL_DAYS = 365.0
INCREMENTAL_BACKOFF = 1.5  # interval factor after an unchanged recheck (halved when changed)
INCREMENTAL_FULL_SWEEP_DAYS = 7.0  # every list page of every column at least this often
INCREMENTAL_FULL_SWEEP = False  # -s INCREMENTAL_FULL_SWEEP=True: this run walks every list page

# Health checks at the end of every run, and alerts (docs/operations.md: "Health checks").
HEALTH_ENABLED = True
HEALTH_HISTORY_RUNS = 14  # previous reports read (the newest by name), never all of them
HEALTH_MIN_HISTORY = 3  # usable previous runs before learned thresholds apply
HEALTH_SPREAD = 3.0  # unusual: beyond the median +/- this many median absolute deviations
HEALTH_MIN_ARTICLES = 5  # share checks (coverage, drift) need this many articles in the run
HEALTH_COVERAGE_FLOOR = 0.9  # title, body, published on fewer articles: a warning
HEALTH_COVERAGE_DROP = 0.2  # any field this far below its usual coverage: a warning
HEALTH_INVALID_ITEMS_FAIL = 0.2  # items failing their JSON Schema: above this share, failed
HEALTH_DRIFT_RISE = 0.25  # share by text conventions / with problems this far above usual
HEALTH_NOT_SITE_FAIL = 0.05  # pages that are not the site's: above this share, failed
HEALTH_MAINTENANCE_FAIL = 0.2  # URLs left in maintenance: above this share, failed
HEALTH_REQUESTS_MIN_RATIO = 0.3  # fewer requests than this fraction of usual: a warning
HEALTH_ERROR_RATE_FLOOR = 0.05  # errors per request above this (and usual): a warning
HEALTH_RETRY_RATE_FLOOR = 0.1  # retries per request above this (and usual): a warning
HEALTH_DROUGHT_DAYS = 3.0  # no new article for this many days: a warning
ALERT_WEBHOOK_URL = ""  # POST of the health section, run id and report path
ALERT_WEBHOOK_TIMEOUT = 10.0
# E-mail alerts: Spidermon's SPIDERMON_EMAIL_TO, SPIDERMON_EMAIL_SENDER, SPIDERMON_SMTP_HOST,
# SPIDERMON_SMTP_PORT, SPIDERMON_SMTP_USER, SPIDERMON_SMTP_PASSWORD, ... (unset: no e-mail).

SPIDER_CONTRACTS = {"crawler.contracts.FirstArticleContract": 10}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
SCHEDULER = "crawler.resume.scheduler.MemoryQueueScheduler"
DUPEFILTER_CLASS = "crawler.resume.scheduler.ArchiveDupeFilter"

# crawl, warcshell, reextract, and parse/check/shell/fetch/view with ARCHIVE_DIR read-only
# (ARCHIVE_READ_ONLY, their default_settings: crawler/commands/__init__.py).
COMMANDS_MODULE = "crawler.commands"

# Read by the code with these defaults before; defined here so each default has one home.
WARC_ENABLED = True  # off: no WARC files (extraction only)
ARCHIVE_NOW = None  # ISO 8601: the run's clock, placing it on another day; None: system clock
