"""The one item pipeline: a thin adapter from Scrapy items to storage.ingest.Ingestor."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from cleaners.document import Rejected
from cleaners.extract import fallback_stages
from crawler.items import FailedItem, FetchedItem
from storage.backends import store_uri_from_env
from storage.corpus import Corpus
from storage.ingest import Ingestor, Outcome, prepare, worker_init
from storage.lease import StoreLease, hold_lease
from storage.runs import begin_run, end_run

log = logging.getLogger(__name__)

T = TypeVar("T")


class CorpusPipeline:
    """Builds, deduplicates and stores each fetched item; records every URL in the run's manifest.

    Building a document (decode, extract, clean) is CPU work: with GOVCORPUS_PROCESS_WORKERS > 0
    it runs in that many worker processes while the crawl goes on downloading; deduplication,
    storage and the manifest stay in this process, one item at a time, on a thread of their own
    (`store_thread`) so that fsyncs and S3 round trips do not hold up the reactor.

    With GOVCORPUS_JOB set (the crawl command sets it to the sources' names), a run that was
    killed or shut down is resumed by the next run of the same job instead of starting over.
    """

    # One thread, so the Ingestor still has a single writer; subclasses whose ingestors are shared
    # with other reactor-thread code turn it off.
    store_thread = True

    lease: StoreLease | None = None  # this pipeline's hold on the store's single-writer lease

    def __init__(self, crawler: Crawler, ingestor: Ingestor, job: str | None, workers: int) -> None:
        self.crawler = crawler
        self.ingestor = ingestor
        self.job = job
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="govcorpus-store") if self.store_thread else None
        self.started = time.monotonic()
        self.unstored = 0  # URLs whose results could not be written: the run must stay open
        self.pool_failures = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        settings = crawler.settings
        if not settings.getbool("GOVCORPUS_PIPELINE_ENABLED", True):
            raise NotConfigured("GOVCORPUS_PIPELINE_ENABLED is off")
        corpus = Corpus.open(store_uri_from_env(settings.get("GOVCORPUS_STORE")))
        store = settings.getbool("GOVCORPUS_STORE_ENABLED", True)
        job = settings.get("GOVCORPUS_JOB") if store else None
        # The store's one writer: the command that started this crawl holds the lease already (it
        # is reused); `scrapy crawl` takes it here. Before anything is read that a writer changes.
        lease = hold_lease(corpus.store, timeout=settings.getfloat("GOVCORPUS_LEASE_TIMEOUT")) if store else None
        try:
            run = begin_run(corpus.store, job) if job else None
            run_id, resumed = (run.run_id, run.resumed) if run else (settings.get("GOVCORPUS_RUN_ID"), False)
            ingestor = Ingestor(corpus, store=store, run_id=run_id, resume=resumed, started_at=run.started_at if run else None)
        except BaseException:
            if lease is not None:
                lease.release()
            raise
        pipeline = cls(crawler, ingestor, job, settings.getint("GOVCORPUS_PROCESS_WORKERS"))
        pipeline.lease = lease
        assert crawler.stats is not None
        crawler.stats.set_value("govcorpus/run_id", ingestor.run_id)
        crawler.stats.set_value("govcorpus/resumed", resumed)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedItem | FailedItem):
            return item
        try:
            if isinstance(item, FetchedItem):
                item.outcome = await self._ingest(item)
                self._count("bytes", _size(item))
            elif item.reason == "not_modified":
                item.outcome = await self._write(self.ingestor.not_modified, item.url)
            else:
                item.outcome = await self._write(self.ingestor.fail, item.url, item.reason, item.detail, skipped=item.skipped)
        except Exception as exc:  # the store is unreachable (retries exhausted) or refused a write
            item.outcome = self._unstored(item, exc)
        self._count(item.outcome.outcome)
        if item.outcome.reason:
            self._count(f"{item.outcome.outcome}/{item.outcome.reason}")
        if item.outcome.document is not None and item.outcome.outcome in ("stored", "duplicate"):
            for stage in fallback_stages(item.outcome.document.metadata):
                self._count(f"fallback/{stage}")  # an extraction stage's safety net caught this page
        return item

    async def _write(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call an Ingestor method on the store thread (or here, without one)."""
        if self.writer is None:
            return method(*args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.writer, partial(method, *args, **kwargs))

    async def _ingest(self, item: FetchedItem) -> Outcome:
        if self.workers <= 0:
            return await self._ingest_here(item)
        url = item.fetched.url
        if self.ingestor.already_recorded(url):
            return Outcome(url, "skipped", "already_recorded")
        job = partial(
            prepare, item.fetched, item.continuation, item.parent, item.report_keywords, item.report_exclude, item.apply_filters
        )
        pool = self._pool()
        size = _size(item)
        try:
            prepared = await asyncio.get_running_loop().run_in_executor(pool, job)
        except Rejected as rejected:
            return await self._write(self.ingestor.reject, url, rejected, size=size)
        except BrokenProcessPool as exc:
            if pool is self.pool:  # the first of the in-flight items to notice this pool broke
                self._pool_broke(exc)
            return await self._ingest_here(item)
        except Exception as exc:
            return await self._write(self.ingestor.crashed, url, exc, size=size)
        return await self._write(self.ingestor.accept, prepared, item.fetched, size=size)

    async def _ingest_here(self, item: FetchedItem) -> Outcome:
        """Build and store in this process."""
        return await self._write(
            self.ingestor.ingest,
            item.fetched,
            continuation=item.continuation,
            parent=item.parent,
            report_keywords=item.report_keywords,
            report_exclude=item.report_exclude,
            apply_filters=item.apply_filters,
        )

    def _pool_broke(self, exc: BaseException) -> None:
        """A worker died (out of memory, killed, could not start): the item is built here instead.

        A pool that breaks twice is given up for the rest of the crawl, which goes on in-process.
        """
        self.pool = None
        self.pool_failures += 1
        log.warning("document worker pool broke (%s); building in the crawl process", exc)
        if self.pool_failures >= 2:
            log.warning("giving up on worker processes for this crawl: building documents in-process")
            self.workers = 0

    def _unstored(self, item: FetchedItem | FailedItem, exc: Exception) -> Outcome:
        """Nothing is recorded for this URL, so resuming the run processes it again."""
        url = item.fetched.url if isinstance(item, FetchedItem) else item.url
        self.unstored += 1
        log.error("could not write %s to the store: %s", url, exc)
        return Outcome(url, "failed", "store_error", f"{type(exc).__name__}: {exc}")

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            # spawn, not fork: forking a process that runs a reactor and threads is unsafe.
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_init,
                initargs=(os.getpid(),),
            )
        return self.pool

    def _count(self, name: str, by: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"govcorpus/{name}", by)

    def spider_closed(self, spider: Any, reason: str) -> None:
        try:
            self._close(reason)
        finally:
            if self.lease is not None:
                self.lease.release()
                self.lease = None

    def _close(self, reason: str) -> None:
        assert self.crawler.stats is not None
        if self.writer is not None:
            self.writer.shutdown(wait=True)  # idle by now: every item's write was awaited
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.unstored:
            # Some results never reached the store: leave the run open so that the same command
            # resumes it and processes exactly those URLs again.
            self.crawler.stats.set_value("govcorpus/unstored", self.unstored)
            try:
                self.ingestor.checkpoint()
            except Exception as exc:
                log.error("could not checkpoint the run: %s", exc)
            return
        if reason == "shutdown" and self.job:
            # Stopped by a signal before the frontier was done: keep the run open to resume.
            self.ingestor.checkpoint()
            self.crawler.stats.set_value("govcorpus/checkpointed", True)
            return
        # Counts, reasons and bytes come from the manifest's lines (the same for a resumed run as for
        # one never interrupted); this process's own counters would miss what a killed one did.
        stats = {"duration_s": round(time.monotonic() - self.started, 3)}
        manifest_key = self.ingestor.close(stats)
        if self.job:
            end_run(self.ingestor.corpus.store, self.job)
        if manifest_key:
            self.crawler.stats.set_value("govcorpus/manifest", manifest_key)


def _size(item: FetchedItem) -> int:
    """Bytes fetched for an item: the response and its continuation pages."""
    return len(item.fetched.body) + sum(len(part.body) for part in item.continuation)
