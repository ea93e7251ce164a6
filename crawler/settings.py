"""Scrapy settings for govcorpus: polite by default. Override with GOVCORPUS_* or -s NAME=VALUE."""

from scrapy.settings.default_settings import EXTENSIONS_BASE as _SCRAPY_EXTENSIONS

BOT_NAME = "govcorpus"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "govcorpus/0.1 (+https://pypi.org/project/govcorpus/; research crawler for public government reports)"
ROBOTSTXT_OBEY = True

# Politeness: at most two requests in flight per site, paced by AutoThrottle.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for every response's output; our callbacks yield one item
# or a page of links, and 100 (the default) idle tasks per response cost more than the work.
CONCURRENT_ITEMS = 8
# Downloaded pages wait here, bodies and decoded text in memory, while the document workers build
# the ones before them; Scrapy stops downloading above this many bytes of them. Its 5 MB default
# let ~200 pages pile up (peak RSS of the 2,000-page crawl benchmark 301 -> 281 MB at 2 MB, same
# pages/s). 1 MB is still ~6 real pages of 171 KB (~100 of the synthetic ones) queued for two
# workers, which hold 4 jobs: realworld crawl benchmark 296/301 -> 287/292 MB, same pages/s.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# Scrapy checks every response's callback for a generator returning a value by reading its source
# (inspect.getsource + ast.parse); its cache is keyed weakly by the bound method, which is a new object
# per request, so it misses every time: ~2 % of the reactor thread on the 2,000-page crawl benchmark
# (py-spy). Our callbacks are ours and linted; the check is for hand-written spiders.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Keep a delay above 0: with a zero delay Scrapy 2.19 hands a site's whole queue to the downloader
# at once and CONCURRENT_REQUESTS_PER_DOMAIN no longer holds (tests/test_politeness.py measures it).
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# A browser without JavaScript renders <noscript>, and follows a meta refresh found there
# (Scrapy's default ignores refreshes inside noscript).
METAREFRESH_IGNORE_TAGS: list[str] = []
DOWNLOAD_TIMEOUT = 60

# Government reports as PDF run to tens of MB; anything far larger is not a report.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

# Only http(s): a crawler fed URLs from pages must not read local files or other schemes.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

ITEM_PIPELINES = {"crawler.pipelines.CorpusPipeline": 300}
DOWNLOADER_MIDDLEWARES = {
    # Off unless GOVCORPUS_SSRF_GUARD: before robots.txt, so a refused URL sends no request at all.
    "crawler.ssrf.SsrfGuardMiddleware": 50,
    # GOVCORPUS_MAX_PAGES: after robots.txt (a disallowed URL costs no page), before anything else.
    "crawler.pagelimit.PageLimitMiddleware": 110,
    # RFC 9309: an unreachable robots.txt disallows the site (Scrapy's own allows everything).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtMiddleware": 100,
    # Retry-After honoured on 429/503 (GOVCORPUS_RETRY_AFTER_MAX).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryMiddleware": 550,
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    # HTTP redirects, redirect stubs and frame shells in one place, after decompression; every hop
    # is accounted for (redirect_loop, redirect_forbidden_scheme, redirected).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.redirects.RedirectMiddleware": 580,
    # A body labelled gzip/deflate/br but sent as it is, is read as it is.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.compression.HttpCompressionMiddleware": 590,
    # A download cut at DOWNLOAD_MAXSIZE is too_large, with the limit.
    "crawler.sizelimit.DownloadSizeMiddleware": 595,
    # Decode once, at download, after decompression and before anything reads the text.
    "crawler.decoding.DecodeMiddleware": 585,
}
EXTENSIONS = {
    "crawler.extensions.Progress": 500,
    "crawler.gil.SwitchInterval": 0,
    "crawler.memory.ReleaseMemory": 0,
}
# Scrapy's RemoteControl is off (REMOTE_CONTROL_ENABLED below) and is not even loaded: its module
# imports aiohttp, 8.5 MB resident in the crawl process for an extension that then says
# NotConfigured. Disabling it in EXTENSIONS (None) would still import it, to resolve the key.
EXTENSIONS_BASE = {name: order for name, order in _SCRAPY_EXTENSIONS.items() if not name.endswith(".RemoteControl")}
# Modes are add-ons: crawler.addons.ServiceAddon (govcorpus serve), crawler.distributed.DistributedAddon (--redis).
ADDONS: dict[str, int] = {}

TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port: a crawler opens no listening sockets
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# govcorpus's own settings.
GOVCORPUS_STORE = None  # None: $GOVCORPUS_STORE, else ./corpus
GOVCORPUS_STORE_ENABLED = True  # False: build and dedup-check documents, write nothing
GOVCORPUS_MAX_PAGES = 0  # pages a crawl downloads at most (crawl --max-pages, a source's max_pages); 0: no limit
GOVCORPUS_RUN_ID = None
GOVCORPUS_JOB = None  # a name for a crawl job: a killed run of the same job is resumed
GOVCORPUS_LEASE_TIMEOUT = 60.0  # seconds without a heartbeat after which a store's writer lease is stale
GOVCORPUS_CONDITIONAL_GET = True  # send stored ETag/Last-Modified; 304 → unchanged
GOVCORPUS_SWITCH_INTERVAL = 0.0  # seconds a thread of the crawl process holds the GIL; 0 = Python's 5 ms (crawler/gil.py)
# Seconds between returning the crawl process's freed heap to the system; 0 = never (crawler/memory.py).
GOVCORPUS_RELEASE_MEMORY_INTERVAL = 1.0
GOVCORPUS_PROCESS_WORKERS = 2  # processes that build documents in parallel; 0 = in the crawl process
# The store side of a crawl, built once per crawler (crawler/components.py), each by class path:
# modes (crawler/addons.py, crawler/distributed.py) are add-ons that change these.
GOVCORPUS_COMPONENTS_CLASS = "crawler.components.Components"
GOVCORPUS_CORPUS_CLASS = "storage.corpus.Corpus"
GOVCORPUS_DEDUP_INDEX_CLASS = "storage.dedup.StoreDedupIndex"
GOVCORPUS_MANIFEST_CLASS = "storage.manifest.ManifestWriter"
GOVCORPUS_ARCHIVE_CLASS = "storage.warc.WarcArchive"  # the raw archive: WARC records of every response a document uses
GOVCORPUS_SHARED_STORE = False  # True: every crawl of the process shares one corpus, dedup index and store thread per store
# OCR of scanned PDF pages (cleaners/ocr.py), in the document workers.
GOVCORPUS_OCR_ENABLED = True  # False: a PDF without a text layer is skipped as no_text
GOVCORPUS_OCR_MAX_PAGES = 50  # pages recognised per document; the rest are counted in metadata.ocr
GOVCORPUS_OCR_PAGE_TIMEOUT = 60.0  # seconds per page; a page that runs over is skipped and recorded
GOVCORPUS_OCR_DPI = 150  # resolution pages are rendered at for recognition
GOVCORPUS_DECODE_AT_DOWNLOAD = True  # HTML is decoded by cleaners.encoding as it arrives (crawler/decoding.py)
GOVCORPUS_PROGRESS = True  # a live line on a terminal, periodic summaries otherwise
GOVCORPUS_PROGRESS_INTERVAL = 30.0  # seconds between summaries when not on a terminal
# SSRF guard, for URLs given by strangers (govcorpus serve turns it on, with its resolver
# crawler.ssrf.GuardedResolver as TWISTED_DNS_RESOLVER): only http(s) to public addresses.
GOVCORPUS_SSRF_GUARD = False
GOVCORPUS_SSRF_ALLOW: list[str] = []  # hosts, addresses or CIDRs allowed anyway (trusted internal hosts)
# Distributed crawls (crawler/distributed.py), on when GOVCORPUS_REDIS_URL is set (govcorpus --redis or $GOVCORPUS_REDIS_URL).
GOVCORPUS_REDIS_URL = None  # redis://host:port/db holding the shared frontier, seen-set and leases of GOVCORPUS_JOB
GOVCORPUS_REDIS_IDLE_TIMEOUT = 10.0  # seconds the shared frontier must stay idle before workers exit
GOVCORPUS_REDIS_LEASE_TIMEOUT = 30.0  # seconds a worker may stay silent before it is dead and its leases re-queued
# Read where they are used with no default of their own: declared here so `-s` can check them.
GOVCORPUS_PIPELINE_ENABLED = True  # False: no corpus pipeline at all (benchmarks)
GOVCORPUS_SSRF_RESOLVER = None  # the resolver GuardedResolver wraps (None: Scrapy's caching resolver)
GOVCORPUS_TEST_HOSTS: dict[str, str] = {}  # name → address(es) answered before real DNS (tests)

# Seconds a 429/503 retry waits at most for the Retry-After the server sent (crawler/retry.py).
GOVCORPUS_RETRY_AFTER_MAX = 60.0
# A page with no content of its own whose content is a same-site frame is read from that frame
# (crawler/redirects.py); redirect stubs follow METAREFRESH_ENABLED.
GOVCORPUS_CONTENT_FRAMES = True

# govcorpus serve (govcorpus/service.py).
GOVCORPUS_SERVICE_DEADLINE = 120.0  # seconds for a whole fetch (robots.txt, retries, redirects, download)
GOVCORPUS_SERVICE_CONCURRENCY = 32  # fetches in flight at once; more wait their turn
GOVCORPUS_SERVICE_MAX_BODY = 64 * 1024  # bytes of a request body; a larger one is answered 413
