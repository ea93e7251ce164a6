"""What a crawl's Scrapy components share, built once per crawler: the store's side of the journey.

`Components.of(crawler)` builds, from settings, the corpus, dedup index, manifest writer and WARC
archive (each chosen by class path: GOVCORPUS_CORPUS_CLASS, GOVCORPUS_DEDUP_INDEX_CLASS,
GOVCORPUS_MANIFEST_CLASS, GOVCORPUS_ARCHIVE_CLASS, built with Scrapy's `build_from_crawler`),
the store's lease, the run (resumed when GOVCORPUS_JOB names an unfinished one), the `Journey`
that ties them together, the single store thread that all writes go through and the document
workers. The item pipeline and the downloader middlewares take what they need from it; modes
are add-ons that change these settings (crawler/addons.py, crawler/distributed.py), the class
itself (GOVCORPUS_COMPONENTS_CLASS) only where a mode runs a run differently (distributed jobs).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.workers import DocumentWorkers
from storage.backends import open_store, store_uri_from_env
from storage.corpus import Corpus
from storage.dedup import DedupIndex
from storage.journey import Journey
from storage.lease import StoreLease, hold_lease
from storage.manifest import ManifestWriter, from_lines, new_run_id
from storage.runs import RunStart, begin_run, end_run

log = logging.getLogger(__name__)

T = TypeVar("T")
_ATTRIBUTE = "_govcorpus_components"


@dataclass
class _SharedStore:
    """One store's writer objects shared by every crawl of a process (GOVCORPUS_SHARED_STORE)."""

    corpus: Corpus
    dedup: DedupIndex
    writer: ThreadPoolExecutor


_SHARED: dict[str, _SharedStore] = {}
_SHARED_LOCK = threading.Lock()


class Components:
    """The crawl's store side, built once: see the module docstring. `close` ends or checkpoints the run."""

    resumable = True  # a killed run of GOVCORPUS_JOB is resumed from runs/active/

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.storing = settings.getbool("GOVCORPUS_STORE_ENABLED")
        self.job: str | None = settings.get("GOVCORPUS_JOB") if self.storing and self.resumable else None
        self.started = time.monotonic()
        self.unstored = 0  # URLs whose results could not be written: the run must stay open
        self.lease: StoreLease | None = None
        self.store = open_store(store_uri_from_env(settings.get("GOVCORPUS_STORE")))
        shared = self._shared() if settings.getbool("GOVCORPUS_SHARED_STORE") and self.storing else None
        self.writer = shared.writer if shared else ThreadPoolExecutor(1, thread_name_prefix="govcorpus-store")
        self.workers = DocumentWorkers.from_settings(settings)
        self.closing: list[Callable[[str], None]] = []  # run before the run ends, with the close reason
        self.closed: list[Callable[[str], None]] = []  # run after it ended
        # The store's one writer: the command that started this crawl holds the lease already (it is
        # reused); `scrapy crawl` takes it here. Before anything is read that a writer changes.
        self.lease = self.hold_lease() if self.storing else None
        try:
            self.corpus = shared.corpus if shared else self.build_corpus()
            run = self.open_run()
            self.run_id: str = run.run_id if run else settings.get("GOVCORPUS_RUN_ID") or new_run_id()
            self.resumed = bool(run and run.resumed)
            self.journey = Journey(
                self.corpus,
                store=self.storing,
                run_id=self.run_id,
                resume=self.resumed,
                dedup=shared.dedup if shared else self.build_dedup(),
                manifest=self.build_manifest(run) if self.storing else None,
                archive=self._build("GOVCORPUS_ARCHIVE_CLASS", self.store, self.run_id) if self.storing else None,
                started_at=run.started_at if run else None,
            )
        except BaseException:
            if self.lease is not None:
                self.lease.release()
            raise
        assert crawler.stats is not None
        crawler.stats.set_value("govcorpus/run_id", self.journey.run_id)
        crawler.stats.set_value("govcorpus/resumed", self.resumed)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> Components:
        """The crawler's components, built by whichever component asks first (GOVCORPUS_COMPONENTS_CLASS)."""
        existing = getattr(crawler, _ATTRIBUTE, None)
        if existing is None:
            components_class = load_object(crawler.settings["GOVCORPUS_COMPONENTS_CLASS"])
            existing = components_class(crawler)
            setattr(crawler, _ATTRIBUTE, existing)
        return existing

    # ------------------------------------------------------------ what a mode may build differently

    def hold_lease(self) -> StoreLease:
        return hold_lease(self.store, timeout=self.crawler.settings.getfloat("GOVCORPUS_LEASE_TIMEOUT"))

    def build_corpus(self) -> Corpus:
        return self._build("GOVCORPUS_CORPUS_CLASS", self.store)

    def open_run(self) -> RunStart | None:
        """The run to record into: the job's unfinished one (resumed), a new one, or None (a one-off)."""
        return begin_run(self.store, self.job) if self.job else None

    def build_dedup(self) -> DedupIndex:
        return self._build("GOVCORPUS_DEDUP_INDEX_CLASS", self.store)

    def build_manifest(self, run: RunStart | None) -> ManifestWriter:
        """The run's manifest writer: GOVCORPUS_MANIFEST_CLASS, resumed from its parts for a resumed run."""
        manifest_class = load_object(self.crawler.settings["GOVCORPUS_MANIFEST_CLASS"])
        if run is not None and run.resumed:
            resumed: ManifestWriter = manifest_class.resume(self.store, run.run_id, run.started_at)
            return resumed
        built: ManifestWriter = build_from_crawler(manifest_class, self.crawler, self.store, self.run_id)
        return built

    def _build(self, setting: str, *args: Any) -> Any:
        return build_from_crawler(load_object(self.crawler.settings[setting]), self.crawler, *args)

    def _shared(self) -> _SharedStore:
        with _SHARED_LOCK:
            shared = _SHARED.get(self.store.uri)
            if shared is None:
                shared = _SHARED[self.store.uri] = _SharedStore(
                    self.build_corpus(), self.build_dedup(), ThreadPoolExecutor(1, thread_name_prefix="govcorpus-store")
                )
            return shared

    # ------------------------------------------------------------ running

    async def write(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a Journey method on the store thread: the run's one writer, off the reactor."""
        return await asyncio.get_running_loop().run_in_executor(self.writer, partial(method, *args, **kwargs))

    async def spider_closed(self, spider: Any, reason: str) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self.writer, self.close, reason)
        finally:
            self.workers.shutdown()
            if not self.crawler.settings.getbool("GOVCORPUS_SHARED_STORE"):
                self.writer.shutdown(wait=True)
            if self.lease is not None:
                self.lease.release()
                self.lease = None

    def close(self, reason: str) -> None:
        """On the store thread: end the run (manifest with stats, job closed), or leave it open to resume."""
        stats = self.crawler.stats
        assert stats is not None
        for hook in self.closing:
            hook(reason)
        if self.unstored:
            # Some results never reached the store: leave the run open so that the same command
            # resumes it and processes exactly those URLs again.
            stats.set_value("govcorpus/unstored", self.unstored)
            self._checkpoint()
            return
        if reason == "shutdown" and self.job:
            # Stopped by a signal before the frontier was done: keep the run open to resume.
            self._checkpoint()
            stats.set_value("govcorpus/checkpointed", True)
            return
        process = {
            name: value
            for key, value in stats.get_stats().items()
            if key.startswith("govcorpus/") and not isinstance(value, bool)
            and not from_lines(name := key.removeprefix("govcorpus/"))
        }
        # The run's own figures come from its manifest lines (a resumed run is several processes);
        # what only this process counted is labelled as such.
        run_stats = {"duration_s": round(time.monotonic() - self.started, 3), "process": process}
        manifest_key = self.journey.close(run_stats)
        if self.job:
            end_run(self.store, self.job)
        if manifest_key:
            stats.set_value("govcorpus/manifest", manifest_key)
        for hook in self.closed:
            hook(reason)

    def _checkpoint(self) -> None:
        try:
            self.journey.checkpoint()
        except Exception as exc:
            log.error("could not checkpoint the run: %s", exc)

