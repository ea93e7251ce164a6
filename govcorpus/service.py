"""`govcorpus serve`: an HTTP API that fetches URLs on request and queries the corpus.

A fetch runs the same Scrapy stack as `govcorpus fetch` (crawler.settings, FetchSpider, the corpus
pipeline and the journey), one crawler per request, with the SSRF guard (crawler.ssrf) switched on.
A Twisted reactor cannot be restarted, so one asyncio-flavoured reactor runs for the life of the
process on its own event loop in a daemon thread; request handlers on uvicorn's loop hand it
coroutines and await the result. Each storing fetch is a run with its own manifest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from types import FrameType, SimpleNamespace
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from cleaners.document import Document
from cleaners.metadata import standard_value
from cleaners.reasons import CONTENT_REASONS, SKIP_REASONS
from crawler.items import FailedItem, FetchedItem
from crawler.urlcheck import url_problem
from govcorpus.commands import fetch_answer
from govcorpus.errors import describe_for_http
from govcorpus.runner import project_settings
from storage.backends import StoreError
from storage.corpus import Corpus
from storage.journey import Outcome
from storage.listing import list_documents as listed_documents  # not the route below

log = logging.getLogger(__name__)
T = TypeVar("T")


# Settings of the service, under the user's overrides. GOVCORPUS_SSRF_GUARD may be turned off with
# -s only for a service that strangers cannot reach.
SERVICE_DEFAULTS: dict[str, Any] = {
    "GOVCORPUS_SSRF_GUARD": True,
    "TWISTED_DNS_RESOLVER": "crawler.ssrf.GuardedResolver",
    # A proxy resolves the target itself, where the guard cannot see the address.
    "HTTPPROXY_ENABLED": False,
    "GOVCORPUS_PROGRESS": False,
}
# GOVCORPUS_SERVICE_DEADLINE, _CONCURRENCY and _MAX_BODY are declared in crawler/settings.py.

MAX_PAGE = 100

# Outcome reasons and the HTTP status each answers with; any other skip ("not a report") and any
# content that cannot become a document (unreadable, mojibake, empty: CONTENT_REASONS) is 422, and
# any other failure an upstream failure (502: HTTP errors, DNS, connections).
STATUS_BY_REASON = {
    "bad_url": 400,
    "unsupported_scheme": 400,
    "redirect_forbidden_scheme": 400,
    "forbidden_address": 400,
    "robots_txt": 403,
    "too_large": 413,
    "timeout": 504,
    "store_unavailable": 503,
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
            from twisted.internet.asyncioreactor import AsyncioSelectorReactor
            from twisted.internet.main import installReactor

            reactor = AsyncioSelectorReactor(loop)  # as asyncioreactor.install() does, keeping the concrete type
            installReactor(reactor)

            def running() -> None:
                self.loop = loop
                ready.set()

            reactor.callWhenRunning(running)
            reactor.run(installSignalHandlers=False)
        except BaseException as exc:  # reported to start()'s caller
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
            from twisted.internet.interfaces import IReactorThreads

            IReactorThreads(reactor).callFromThread(reactor.stop)
            self.loop = None


REACTOR = ReactorThread()


def install_resolver(settings: Settings) -> None:
    """Install TWISTED_DNS_RESOLVER on the running reactor, as CrawlerProcess does for the CLI."""
    from scrapy.utils.misc import build_from_crawler, load_object
    from twisted.internet import reactor
    from twisted.internet.interfaces import IReactorThreads

    resolver_class = load_object(settings["TWISTED_DNS_RESOLVER"])
    # Like CrawlerProcess, pass an object with .settings where a Crawler is expected.
    build_from_crawler(resolver_class, SimpleNamespace(settings=settings), reactor=reactor).install_on_reactor()  # type: ignore[call-overload]
    IReactorThreads(reactor).getThreadPool().adjustPoolsize(maxthreads=settings.getint("REACTOR_THREADPOOL_MAXSIZE"))


# --- fetching ------------------------------------------------------------------------------------


def crawler_settings(base: dict[str, Any], store_uri: str, store: bool) -> Settings:
    """The per-request crawler settings: the project's, the service's, the user's, the request's."""
    overrides = {**SERVICE_DEFAULTS, **base}
    settings = project_settings(overrides)
    request = {
        "ADDONS": {**settings.getdict("ADDONS"), "crawler.addons.ServiceAddon": 0},
        "GOVCORPUS_STORE": store_uri,
        "GOVCORPUS_STORE_ENABLED": store,
        # No single download may outlive the fetch it belongs to.
        "DOWNLOAD_TIMEOUT": min(settings.getfloat("DOWNLOAD_TIMEOUT"), settings.getfloat("GOVCORPUS_SERVICE_DEADLINE")),
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

    async def fetch(self, url: str, store: bool, no_filter: bool = False, replies: bool = False) -> Outcome:
        """Fetch `url` within the deadline, counted from now: waiting for a free slot counts too."""
        due = time.monotonic() + self.deadline
        try:
            await asyncio.wait_for(self.slots.acquire(), self.deadline)
        except TimeoutError:
            return self._timeout(url)
        try:
            return await asyncio.wrap_future(self.reactor.submit(self._crawl(url, store, due, no_filter, replies)))
        finally:
            self.slots.release()

    def _timeout(self, url: str) -> Outcome:
        return Outcome(url, "failed", "timeout", f"no answer within {self.deadline:g} s (GOVCORPUS_SERVICE_DEADLINE)")

    async def _crawl(self, url: str, store: bool, due: float, no_filter: bool = False, replies: bool = False) -> Outcome:
        """On the reactor's loop: crawl `url` and return its outcome (as `govcorpus fetch` picks it).

        At the deadline the answer is a timeout at once; the crawl is stopped in the background
        (a download in flight can take until DOWNLOAD_TIMEOUT, itself capped at the deadline).
        """
        from crawler.spiders.fetch import FetchSpider

        crawler = Crawler(FetchSpider, crawler_settings(self.overrides, self.store_uri, store))
        items: list[Any] = []
        crawler.signals.connect(lambda item, **_: items.append(item), signal=signals.item_scraped, weak=False)
        self.active.add(crawler)
        task = asyncio.ensure_future(crawler.crawl_async(url=url, no_filter=no_filter, replies=replies))
        try:
            await asyncio.wait_for(asyncio.shield(task), max(0.0, due - time.monotonic()))
        except TimeoutError:
            self._abandon(crawler, task)
            return self._timeout(url)
        except Exception as exc:
            self.active.discard(crawler)
            problem = describe_for_http(exc)
            if problem is not None:
                log.warning("fetching %s: %s", url, problem["detail"])
                return Outcome(url, "failed", problem["reason"], problem["detail"])
            log.exception("fetching %s failed", url)
            return Outcome(url, "failed", "internal_error", f"{type(exc).__name__}: {exc}")
        self.active.discard(crawler)
        outcomes = [item.outcome for item in items if isinstance(item, FetchedItem | FailedItem) and item.outcome]
        if outcomes:
            return outcomes[-1]
        return Outcome(url, "failed", "no_response", "the download produced no response (run the service with -v for the log)")

    def _abandon(self, crawler: Crawler, task: asyncio.Future[Any]) -> None:
        """Stop a crawl that ran out of time without waiting for it; forget it once it has stopped."""
        stopping = asyncio.ensure_future(crawler.stop_async())

        def finished(_: asyncio.Future[Any]) -> None:
            if task.done() and stopping.done():
                self.active.discard(crawler)
                for future in (task, stopping):
                    if not future.cancelled() and future.exception() is not None:
                        log.debug("an abandoned crawl ended with %r", future.exception())

        task.add_done_callback(finished)
        stopping.add_done_callback(finished)

    async def stop(self) -> None:
        """On the reactor's loop: stop every crawl in flight."""
        await asyncio.gather(*(crawler.stop_async() for crawler in list(self.active)), return_exceptions=True)


def status_for(outcome: Outcome) -> int:
    if outcome.document is not None and outcome.outcome in ("stored", "duplicate", "unchanged"):
        return 200
    reason = outcome.reason or ""
    if reason in STATUS_BY_REASON:
        return STATUS_BY_REASON[reason]
    if outcome.outcome == "skipped" or reason in SKIP_REASONS or reason in CONTENT_REASONS:
        return 422
    return 502


def error(status: int, reason: str, detail: str | None, **extra: Any) -> JSONResponse:
    return JSONResponse({"reason": reason, "detail": detail, **extra}, status_code=status)


# --- queries -------------------------------------------------------------------------------------


SUMMARY_FIELDS = ("region", "year", "doc_type", "issuer", "document_number")


def _summary(entry: dict[str, Any], doc: Document | None) -> dict[str, Any]:
    metadata = doc.metadata if doc is not None else {}
    return {**entry, **{name: metadata.get(name) for name in SUMMARY_FIELDS}}


def _matches(
    doc: Document,
    region: str | None,
    year: str | None,
    doc_type: str | None,
    q: str | None,
    issuer: str | None = None,
    document_number: str | None = None,
) -> bool:
    metadata = doc.metadata or {}
    if region and region not in str(metadata.get("region") or ""):
        return False
    if year and str(metadata.get("year") or "") != year:
        return False
    if doc_type and str(metadata.get("doc_type") or "") != doc_type:
        return False
    if issuer and issuer not in str(metadata.get("issuer") or ""):
        return False
    if document_number and standard_value("document_number", document_number) != metadata.get("document_number"):
        return False
    if q:
        needle = q.casefold()
        return needle in (doc.title or "").casefold() or needle in doc.text.casefold()
    return True


def query_documents(
    corpus: Corpus,
    *,
    region: str | None,
    year: str | None,
    doc_type: str | None,
    q: str | None,
    offset: int,
    limit: int,
    issuer: str | None = None,
    document_number: str | None = None,
) -> dict[str, Any]:
    """A page of the index, filtered on metadata and text.

    `issuer` matches a substring of metadata.issuer; `document_number` matches metadata.document_number
    in its canonical form, however the query brackets the year (国发[2024]5号 finds 国发〔2024〕5号).

    A scan: with a filter every document record is read (fine for thousands of documents on a
    local store; a larger corpus wants a metadata index or a search engine).

    The index is checked against the documents first (`storage.listing`): StoreDamaged (503, naming
    `govcorpus check --repair`) when documents are missing from it that no run under way explains;
    documents of runs under way are named in `note`.
    """
    listing = listed_documents(corpus)
    entries = listing.entries
    if region or year or doc_type or q or issuer or document_number:
        matched: list[tuple[dict[str, Any], Document | None]] = []
        for entry in entries:
            doc = corpus.get(entry["id"])
            if doc is not None and _matches(doc, region, year, doc_type, q, issuer, document_number):
                matched.append((entry, doc))
    else:
        matched = [(entry, None) for entry in entries]
    page = matched[offset : offset + limit]
    items = [_summary(entry, doc if doc is not None else corpus.get(entry["id"])) for entry, doc in page]
    answer = {"total": len(matched), "offset": offset, "limit": limit, "items": items}
    if listing.unindexed is not None:
        answer["note"] = listing.unindexed.note()
    return answer


# --- the app -------------------------------------------------------------------------------------


class ServiceApp(FastAPI):
    """FastAPI with request bodies capped at `max_body_size`, answered in the service's error format.

    FastAPI's own limit (on Content-Length and while a chunked body streams in) raises an
    HTTPException(413) that the app's handler words; but where Content-Length alone is over the
    limit Starlette swaps any answer for a plain-text one, so that case is answered here first.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_size
        if scope["type"] == "http" and limit is not None and _declared_length(scope) > limit:
            await body_too_large(limit)(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # h11 refuses such a request before it gets here
    return 0


def body_too_large(limit: int) -> JSONResponse:
    return error(413, "body_too_large", f"request bodies are limited to {limit} bytes (GOVCORPUS_SERVICE_MAX_BODY)")


class FetchRequest(BaseModel):
    url: str = Field(max_length=4096, description="an http(s) URL of a report page, PDF, DOCX, DOC/WPS or OFD")
    store: bool = Field(default=True, description="false: build and check for duplicates, write nothing")
    no_filter: bool = Field(
        default=False,
        description="true: keep the page even if a report filter would refuse it; filter_verdict says what it would have said",
    )
    replies: bool = Field(default=False, description="true: a forum thread keeps every user's posts, not only the starter's")


def create_app(store_uri: str, settings: dict[str, Any] | None = None) -> FastAPI:
    """The API over `store_uri`; `settings` are Scrapy/govcorpus setting overrides (like -s)."""
    overrides = dict(settings or {})
    state: dict[str, Fetcher] = {}
    max_body = crawler_settings(overrides, store_uri, store=False).getint("GOVCORPUS_SERVICE_MAX_BODY")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        REACTOR.start()
        fetcher = Fetcher(REACTOR, store_uri, overrides)
        await asyncio.wrap_future(REACTOR.submit(_install_resolver(fetcher.settings)))
        state["fetcher"] = fetcher
        problem = await asyncio.to_thread(store_problem, store_uri)
        if problem is not None:
            print(
                f"govcorpus: warning: {problem['detail']} (requests that need the store answer 503 until it is fixed)",
                file=sys.stderr,
                flush=True,
            )
        yield
        try:
            await asyncio.wait_for(asyncio.wrap_future(REACTOR.submit(fetcher.stop())), 10)
        except (TimeoutError, RuntimeError):
            log.warning("crawls still in flight at shutdown were abandoned")

    app = ServiceApp(
        title="govcorpus",
        summary="Fetch Chinese government reports into a clean, deduplicated corpus, and query it.",
        lifespan=lifespan,
        # Checked on Content-Length and again while a (chunked) body streams in: 413 past it.
        max_body_size=max_body,
    )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error(400, "bad_request", problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 413:
            return body_too_large(max_body)
        return error(exc.status_code, "http_error", str(exc.detail))

    async def store_failure(request: Request, exc: Exception) -> JSONResponse:
        problem = describe_for_http(exc)
        if problem is None:  # not a store failure after all: let the server report it
            raise exc
        log.warning("%s %s: %s", request.method, request.url.path, problem["detail"])
        return error(problem["status"], problem["reason"], problem["detail"])

    for kind in _store_exception_types():
        app.add_exception_handler(kind, store_failure)

    @app.get("/healthz", responses={503: {"description": "the store cannot be used (reason store_unavailable)"}})
    def healthz() -> JSONResponse:
        """Readiness: the reactor runs and the store can be opened (503 with the reason if not)."""
        problem = store_problem(store_uri)
        if problem is not None:
            return JSONResponse({"status": problem["reason"], "store": store_uri, "detail": problem["detail"]}, status_code=503)
        return JSONResponse({"status": "ok" if REACTOR.loop is not None else "starting", "store": store_uri})

    @app.post(
        "/fetch",
        responses={
            400: {"description": "bad URL, a scheme other than http(s), or a non-public address (forbidden_address)"},
            403: {"description": "disallowed by the site's robots.txt"},
            413: {
                "description": "the page is larger than DOWNLOAD_MAXSIZE (after decompression), "
                "or the request body than GOVCORPUS_SERVICE_MAX_BODY"
            },
            422: {
                "description": "fetched, but not a report (too short, a list page, …) "
                "or not readable as a document (unreadable, mojibake, empty)"
            },
            502: {"description": "the upstream failed (HTTP error, unreachable, DNS)"},
            503: {"description": "the store cannot be used (store_unavailable: S3 credentials, endpoint, permissions)"},
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
        outcome = await state["fetcher"].fetch(body.url.strip(), body.store, body.no_filter, body.replies)
        status = status_for(outcome)
        if status == 200 and outcome.document is not None:
            return JSONResponse(fetch_answer(outcome, stored=body.store))
        return error(status, outcome.reason or "failed", outcome.detail, url=outcome.url, outcome=outcome.outcome)

    @app.get("/documents/{doc_id}")
    def get_document(doc_id: str) -> JSONResponse:
        """One stored document (its id, or a unique prefix of one)."""
        corpus = Corpus.open(store_uri)
        full_id = corpus.resolve_id(doc_id) if doc_id else None
        doc = corpus.get(full_id) if full_id else None
        if doc is None:
            unindexed = listed_documents(corpus).unindexed  # StoreDamaged (503) when the index lost documents
            later = f"; {unindexed.note()}" if unindexed is not None else ""
            return error(404, "not_found", f"no document {doc_id!r} (GET /documents lists them){later}")
        return JSONResponse(doc.to_dict())

    @app.get("/documents")
    def list_documents(
        region: str | None = Query(None, description="substring of metadata.region, e.g. 静安区"),
        year: int | None = Query(None, ge=1, le=9999, description="metadata.year, e.g. 2024"),
        doc_type: str | None = Query(None, description="metadata.doc_type"),
        q: str | None = Query(None, description="substring of the title or text (case-insensitive)"),
        issuer: str | None = Query(None, description="substring of metadata.issuer, e.g. 人民政府办公室"),
        document_number: str | None = Query(None, description="metadata.document_number (发文字号), e.g. 国发〔2024〕5号"),
        offset: int = Query(0, ge=0),
        limit: int = Query(20, ge=1, le=MAX_PAGE),
    ) -> dict[str, Any]:
        """Stored documents, sorted by id, filtered and paged; `total` counts all matches."""
        return query_documents(
            Corpus.open(store_uri), region=region, year=None if year is None else str(year), doc_type=doc_type, q=q,
            offset=offset, limit=limit, issuer=issuer, document_number=document_number,
        )  # fmt: skip

    return app


async def _install_resolver(settings: Settings) -> None:
    install_resolver(settings)


def store_problem(store_uri: str) -> dict[str, Any] | None:
    """{"status", "reason", "detail"} if the store cannot be opened now, else None."""
    from storage.backends import open_store

    try:
        open_store(store_uri)
    except Exception as exc:
        problem = describe_for_http(exc)
        if problem is None:
            raise
        return problem
    return None


def _store_exception_types() -> list[type[Exception]]:
    """What a store raises when it cannot be used: answered 503 store_unavailable, not 500."""
    from botocore.exceptions import BotoCoreError, ClientError

    return [StoreError, BotoCoreError, ClientError, OSError]


class _Terminated(Exception):
    """SIGTERM arrived: unwind (releasing the store's lease) before the process ends by it."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def serve(
    store_uri: str, *, host: str = "127.0.0.1", port: int = 8000, settings: dict[str, Any] | None = None, verbose: bool = False
) -> int | None:
    """Run the API with uvicorn until SIGINT or SIGTERM.

    Returns SIGTERM's number when that stopped it, for the caller to raise again once it has
    released what it holds (uvicorn shuts down gracefully, then re-raises the signal it caught:
    SIGTERM's default action would end the process at once, leaving the store's lease behind).
    SIGINT ends as KeyboardInterrupt, as before.
    """
    import uvicorn
    from scrapy.utils.log import configure_logging

    overrides = dict(settings or {})
    configure_logging(project_settings({**SERVICE_DEFAULTS, **overrides}))
    app = create_app(store_uri, overrides)
    print(f"govcorpus: serving {store_uri} on http://{host}:{port} (API docs at /docs)", file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info" if verbose else "warning")
    except _Terminated:
        return signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
        REACTOR.stop()
    return None
