"""`govcorpus serve`: an HTTP API that fetches URLs on request and queries the corpus.

A fetch runs the same Scrapy stack as `govcorpus fetch` (crawler.settings, FetchSpider, the corpus
pipeline and Ingestor), one crawler per request, with the SSRF guard (crawler.ssrf) switched on.
A Twisted reactor cannot be restarted, so one asyncio-flavoured reactor runs for the life of the
process on its own event loop in a daemon thread; request handlers on uvicorn's loop hand it
coroutines and await the result. Each storing fetch is a run with its own manifest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from cleaners.document import Document
from crawler.items import FailedItem, FetchedItem
from crawler.pipelines import CorpusPipeline
from govcorpus.runner import project_settings
from storage.corpus import Corpus
from storage.dedup import StoreDedupIndex
from storage.ingest import SKIP_REASONS, Outcome

log = logging.getLogger(__name__)
T = TypeVar("T")

PIPELINE = "crawler.pipelines.CorpusPipeline"
SERVICE_PIPELINE = "govcorpus.service.ServicePipeline"

# Settings of the service, under the user's overrides. GOVCORPUS_SSRF_GUARD may be turned off with
# -s only for a service that strangers cannot reach.
SERVICE_DEFAULTS: dict[str, Any] = {
    "GOVCORPUS_SSRF_GUARD": True,
    "TWISTED_DNS_RESOLVER": "crawler.ssrf.GuardedResolver",
    # A proxy resolves the target itself, where the guard cannot see the address.
    "HTTPPROXY_ENABLED": False,
    "GOVCORPUS_PROGRESS": False,
    "GOVCORPUS_SERVICE_DEADLINE": 120.0,  # seconds for a whole fetch (robots.txt, retries, redirects)
    "GOVCORPUS_SERVICE_CONCURRENCY": 32,  # fetches in flight at once; more wait their turn
}

MAX_PAGE = 100

# Outcome reasons and the HTTP status each answers with; any other skip is "not a report" (422)
# and any other failure an upstream failure (502).
STATUS_BY_REASON = {
    "bad_url": 400,
    "unsupported_scheme": 400,
    "redirect_forbidden_scheme": 400,
    "forbidden_address": 400,
    "robots_txt": 403,
    "too_large": 413,
    "timeout": 504,
    "internal_error": 500,
}


# --- the reactor ---------------------------------------------------------------------------------


class ReactorThread:
    """The process's Twisted reactor (AsyncioSelectorReactor on its own loop) in a daemon thread."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the reactor unless it runs already; a reactor installed elsewhere cannot be used."""
        with self._lock:
            if self.loop is not None:
                return
            import twisted.internet

            if "reactor" in vars(twisted.internet):
                raise RuntimeError("a Twisted reactor is already installed in this process: run the service in its own process")
            ready = threading.Event()
            failure: list[BaseException] = []
            thread = threading.Thread(target=self._run, args=(ready, failure), name="twisted-reactor", daemon=True)
            thread.start()
            ready.wait(30)
            if failure:
                raise RuntimeError(f"the Twisted reactor did not start: {failure[0]}") from failure[0]

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        try:
            # Installed here, not in uvicorn's thread: the reactor must own this thread's new loop,
            # not adopt the loop uvicorn is running.
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            from twisted.internet import asyncioreactor

            asyncioreactor.install(eventloop=loop)
            from twisted.internet import reactor

            def running() -> None:
                self.loop = loop
                ready.set()

            reactor.callWhenRunning(running)
            reactor.run(installSignalHandlers=False)
        except BaseException as exc:  # noqa: BLE001 (reported to start()'s caller)
            failure.append(exc)
            ready.set()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the reactor's loop; the future completes in the caller's world."""
        if self.loop is None:
            coro.close()
            raise RuntimeError("the reactor is not running: call start() first")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        if self.loop is not None:
            from twisted.internet import reactor

            reactor.callFromThread(reactor.stop)
            self.loop = None


REACTOR = ReactorThread()


def install_resolver(settings: Settings) -> None:
    """Install TWISTED_DNS_RESOLVER on the running reactor, as CrawlerProcess does for the CLI."""
    from scrapy.utils.misc import build_from_crawler, load_object
    from twisted.internet import reactor

    resolver_class = load_object(settings["TWISTED_DNS_RESOLVER"])
    # Like CrawlerProcess, pass an object with .settings where a Crawler is expected.
    build_from_crawler(resolver_class, SimpleNamespace(settings=settings), reactor=reactor).install_on_reactor()  # type: ignore[arg-type]
    reactor.getThreadPool().adjustPoolsize(maxthreads=settings.getint("REACTOR_THREADPOOL_MAXSIZE"))


# --- the pipeline, shared per store ---------------------------------------------------------------


@dataclass
class _SharedStore:
    corpus: Corpus
    dedup: StoreDedupIndex


_SHARED: dict[str, _SharedStore] = {}  # by store URI; touched on the reactor thread only


class ServicePipeline(CorpusPipeline):
    """CorpusPipeline whose storing runs share one Corpus and one dedup index per store.

    The dedup index and the corpus index each allow one writer: concurrent requests that each
    loaded their own would overwrite each other's additions. All pipelines run on the reactor
    thread, so sharing the in-memory objects serialises their writes. Each request is still its
    own run with its own manifest; a fetch with store=false keeps a private index, written nowhere.
    """

    store_thread = False  # the shared objects are serialised by the reactor thread

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        pipeline = super().from_crawler(crawler)
        ingestor = pipeline.ingestor
        if ingestor.store and type(ingestor.dedup) is StoreDedupIndex and ingestor.manifest is not None:
            shared = _SHARED.get(ingestor.corpus.uri)
            if shared is None:
                shared = _SHARED[ingestor.corpus.uri] = _SharedStore(ingestor.corpus, ingestor.dedup)
            ingestor.corpus = shared.corpus
            ingestor.dedup = shared.dedup
            ingestor.manifest.before_flush = shared.dedup.flush
        return pipeline


# --- fetching ------------------------------------------------------------------------------------


def crawler_settings(base: dict[str, Any], store_uri: str, store: bool) -> Settings:
    """The per-request crawler settings: the project's, the service's, the user's, the request's."""
    overrides = {**SERVICE_DEFAULTS, **base}
    settings = project_settings(overrides)
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    if PIPELINE in pipelines:
        pipelines[SERVICE_PIPELINE] = pipelines.pop(PIPELINE)
    request = {
        "ITEM_PIPELINES": pipelines,
        "GOVCORPUS_STORE": store_uri,
        "GOVCORPUS_STORE_ENABLED": store,
        # One document: worker processes would cost more than they save.
        "GOVCORPUS_PROCESS_WORKERS": 0,
    }
    for name, value in request.items():
        settings.set(name, value, priority="cmdline")
    return settings


class Fetcher:
    """Runs one FetchSpider crawl per request on the reactor thread."""

    def __init__(self, reactor: ReactorThread, store_uri: str, overrides: dict[str, Any]) -> None:
        self.reactor = reactor
        self.store_uri = store_uri
        self.overrides = overrides
        self.settings = crawler_settings(overrides, store_uri, store=False)
        self.deadline = self.settings.getfloat("GOVCORPUS_SERVICE_DEADLINE")
        self.slots = asyncio.Semaphore(max(1, self.settings.getint("GOVCORPUS_SERVICE_CONCURRENCY")))
        self.active: set[Crawler] = set()

    async def fetch(self, url: str, store: bool) -> Outcome:
        async with self.slots:
            return await asyncio.wrap_future(self.reactor.submit(self._crawl(url, store)))

    async def _crawl(self, url: str, store: bool) -> Outcome:
        """On the reactor's loop: crawl `url` and return its outcome (as `govcorpus fetch` picks it)."""
        from crawler.spiders.fetch import FetchSpider

        crawler = Crawler(FetchSpider, crawler_settings(self.overrides, self.store_uri, store))
        items: list[Any] = []
        crawler.signals.connect(lambda item, **_: items.append(item), signal=signals.item_scraped, weak=False)
        self.active.add(crawler)
        task = asyncio.ensure_future(crawler.crawl_async(url=url))
        timed_out = False
        try:
            await asyncio.wait_for(asyncio.shield(task), self.deadline)
        except TimeoutError:
            timed_out = True
            await crawler.stop_async()
            await asyncio.gather(task, return_exceptions=True)
        except Exception as exc:
            log.exception("fetching %s failed", url)
            return Outcome(url, "failed", "internal_error", f"{type(exc).__name__}: {exc}")
        finally:
            self.active.discard(crawler)
        outcomes = [item.outcome for item in items if isinstance(item, FetchedItem | FailedItem) and item.outcome]
        if outcomes:
            return outcomes[-1]
        if timed_out:
            return Outcome(url, "failed", "timeout", f"no answer within {self.deadline:g} s (GOVCORPUS_SERVICE_DEADLINE)")
        return Outcome(url, "failed", "no_response", "the download produced no response (run the service with -v for the log)")

    async def stop(self) -> None:
        """On the reactor's loop: stop every crawl in flight."""
        await asyncio.gather(*(crawler.stop_async() for crawler in list(self.active)), return_exceptions=True)


def url_problem(url: str) -> tuple[str, str] | None:
    """(reason, detail) if `url` cannot be fetched at all, before anything is sent."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        return "bad_url", f"{url!r} is not a valid URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        return "unsupported_scheme", f"{scheme} only http and https URLs are fetched, e.g. https://example.gov.cn/report.html"
    if not host or port == 0:
        return "bad_url", f"{url!r} has no host: give a full URL such as https://example.gov.cn/report.html"
    return None


def status_for(outcome: Outcome) -> int:
    if outcome.document is not None and outcome.outcome in ("stored", "duplicate", "unchanged"):
        return 200
    reason = outcome.reason or ""
    if reason in STATUS_BY_REASON:
        return STATUS_BY_REASON[reason]
    if outcome.outcome == "skipped" or reason in SKIP_REASONS:
        return 422
    return 502


def error(status: int, reason: str, detail: str | None, **extra: Any) -> JSONResponse:
    return JSONResponse({"reason": reason, "detail": detail, **extra}, status_code=status)


# --- queries -------------------------------------------------------------------------------------


def _summary(entry: dict[str, Any], doc: Document | None) -> dict[str, Any]:
    metadata = doc.metadata if doc is not None else {}
    return {**entry, **{name: metadata.get(name) for name in ("region", "year", "doc_type")}}


def _matches(doc: Document, region: str | None, year: str | None, doc_type: str | None, q: str | None) -> bool:
    metadata = doc.metadata or {}
    if region and region not in str(metadata.get("region") or ""):
        return False
    if year and str(metadata.get("year") or "") != year:
        return False
    if doc_type and str(metadata.get("doc_type") or "") != doc_type:
        return False
    if q:
        needle = q.casefold()
        return needle in (doc.title or "").casefold() or needle in doc.text.casefold()
    return True


def query_documents(
    corpus: Corpus, *, region: str | None, year: str | None, doc_type: str | None, q: str | None, offset: int, limit: int
) -> dict[str, Any]:
    """A page of the index, filtered on metadata and text.

    A scan: with a filter every document record is read (fine for thousands of documents on a
    local store; a larger corpus wants a metadata index or a search engine).
    """
    entries = corpus.entries()
    if region or year or doc_type or q:
        matched: list[tuple[dict[str, Any], Document | None]] = []
        for entry in entries:
            doc = corpus.get(entry["id"])
            if doc is not None and _matches(doc, region, year, doc_type, q):
                matched.append((entry, doc))
    else:
        matched = [(entry, None) for entry in entries]
    page = matched[offset : offset + limit]
    items = [_summary(entry, doc if doc is not None else corpus.get(entry["id"])) for entry, doc in page]
    return {"total": len(matched), "offset": offset, "limit": limit, "items": items}


# --- the app -------------------------------------------------------------------------------------


class FetchRequest(BaseModel):
    url: str = Field(max_length=4096, description="an http(s) URL of a report page, PDF or DOCX")
    store: bool = Field(default=True, description="false: build and check for duplicates, write nothing")


def create_app(store_uri: str, settings: dict[str, Any] | None = None) -> FastAPI:
    """The API over `store_uri`; `settings` are Scrapy/govcorpus setting overrides (like -s)."""
    overrides = dict(settings or {})
    state: dict[str, Fetcher] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        REACTOR.start()
        fetcher = Fetcher(REACTOR, store_uri, overrides)
        await asyncio.wrap_future(REACTOR.submit(_install_resolver(fetcher.settings)))
        state["fetcher"] = fetcher
        yield
        try:
            await asyncio.wait_for(asyncio.wrap_future(REACTOR.submit(fetcher.stop())), 10)
        except (TimeoutError, RuntimeError):
            log.warning("crawls still in flight at shutdown were abandoned")

    app = FastAPI(
        title="govcorpus",
        summary="Fetch Chinese government reports into a clean, deduplicated corpus, and query it.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error(400, "bad_request", problems)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """Liveness: the reactor runs and the store is configured."""
        return {"status": "ok" if REACTOR.loop is not None else "starting", "store": store_uri}

    @app.post(
        "/fetch",
        responses={
            400: {"description": "bad URL, a scheme other than http(s), or a non-public address (forbidden_address)"},
            403: {"description": "disallowed by the site's robots.txt"},
            413: {"description": "larger than DOWNLOAD_MAXSIZE (after decompression)"},
            422: {"description": "fetched, but not a report (too short, a list page, …)"},
            502: {"description": "the upstream failed (HTTP error, unreachable, DNS)"},
            504: {"description": "timed out"},
        },
    )
    async def fetch(body: FetchRequest) -> JSONResponse:
        """Fetch one URL, clean it, check it for duplicates and (unless store=false) store it.

        Answers the same object as `govcorpus fetch --json`; errors are {"reason", "detail", "url"}.
        """
        problem = url_problem(body.url)
        if problem is not None:
            return error(400, *problem, url=body.url)
        outcome = await state["fetcher"].fetch(body.url.strip(), body.store)
        status = status_for(outcome)
        if status == 200 and outcome.document is not None:
            return JSONResponse({**outcome.document.to_dict(), "outcome": outcome.outcome})
        return error(status, outcome.reason or "failed", outcome.detail, url=outcome.url, outcome=outcome.outcome)

    @app.get("/documents/{doc_id}")
    def get_document(doc_id: str) -> JSONResponse:
        """One stored document (its id, or a unique prefix of one)."""
        corpus = Corpus.open(store_uri)
        full_id = corpus.resolve_id(doc_id) if doc_id else None
        doc = corpus.get(full_id) if full_id else None
        if doc is None:
            return error(404, "not_found", f"no document {doc_id!r} (GET /documents lists them)")
        return JSONResponse(doc.to_dict())

    @app.get("/documents")
    def list_documents(
        region: str | None = Query(None, description="substring of metadata.region, e.g. 静安区"),
        year: str | None = Query(None, description="metadata.year, e.g. 2024"),
        doc_type: str | None = Query(None, description="metadata.doc_type"),
        q: str | None = Query(None, description="substring of the title or text (case-insensitive)"),
        offset: int = Query(0, ge=0),
        limit: int = Query(20, ge=1, le=MAX_PAGE),
    ) -> dict[str, Any]:
        """Stored documents, sorted by id, filtered and paged; `total` counts all matches."""
        return query_documents(
            Corpus.open(store_uri), region=region, year=year, doc_type=doc_type, q=q, offset=offset, limit=limit
        )

    return app


async def _install_resolver(settings: Settings) -> None:
    install_resolver(settings)


def serve(store_uri: str, *, host: str = "127.0.0.1", port: int = 8000, settings: dict[str, Any] | None = None, verbose: bool = False) -> None:
    """Run the API with uvicorn until interrupted."""
    import uvicorn
    from scrapy.utils.log import configure_logging

    overrides = dict(settings or {})
    configure_logging(project_settings({**SERVICE_DEFAULTS, **overrides}))
    app = create_app(store_uri, overrides)
    print(f"govcorpus: serving {store_uri} on http://{host}:{port} (API docs at /docs)", file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info" if verbose else "warning")
    finally:
        REACTOR.stop()
