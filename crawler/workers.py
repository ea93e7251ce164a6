"""The document workers: processes that decode pages and build documents while the crawl downloads.

Decoding a page and building its document (extract, clean, filter, fingerprint) is CPU work; with
GOVCORPUS_PROCESS_WORKERS > 0 it runs in that many processes, so the reactor keeps downloading.
With 0 workers (one-URL fetches, the HTTP service) it runs on a thread instead. A pool that
breaks (a worker killed, out of memory) is replaced once; a second break leaves the crawl
building in-process, never losing the item that saw the break.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from scrapy.settings import BaseSettings

from cleaners.encoding import Decoded
from cleaners.ocr_options import OcrOptions
from crawler.heap import run_then_release
from crawler.pagelinks import decode_with_links
from crawler.procpool import ProcessPool, WorkerLost
from storage.building import Built, Exchange, build, worker_init

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_POOL_BREAKS = 2
# A job whose input is at least this many bytes gives its freed heap back when it ends (crawler/heap.py).
RELEASE_AFTER_BYTES = 64 * 1024
_build_thread: ThreadPoolExecutor | None = None
_build_thread_lock = threading.Lock()


def build_thread() -> ThreadPoolExecutor:
    """The process's one thread for building without worker processes: PDFium allows one user at a time."""
    global _build_thread
    with _build_thread_lock:
        if _build_thread is None:
            _build_thread = ThreadPoolExecutor(1, thread_name_prefix="govcorpus-build")
        return _build_thread


def ocr_options(settings: BaseSettings) -> OcrOptions:
    """The GOVCORPUS_OCR_* settings as the options `build_document` takes."""
    return OcrOptions(
        enabled=settings.getbool("GOVCORPUS_OCR_ENABLED"),
        max_pages=settings.getint("GOVCORPUS_OCR_MAX_PAGES"),
        page_timeout=settings.getfloat("GOVCORPUS_OCR_PAGE_TIMEOUT"),
        dpi=settings.getint("GOVCORPUS_OCR_DPI"),
    )


class DocumentWorkers:
    """Runs `storage.journey.build` and the download decoder off the reactor thread.

    Without worker processes (and after the pool broke twice) they run on the process's build
    thread. `options` go to every build (the GOVCORPUS_OCR_* settings as `ocr`).
    """

    def __init__(self, workers: int, **options: Any) -> None:
        self.workers = workers
        self.options = options
        self.fallback: Executor = build_thread()
        self.pool: ProcessPool | None = None
        self.breaks = 0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> DocumentWorkers:
        return cls(settings.getint("GOVCORPUS_PROCESS_WORKERS"), ocr=ocr_options(settings))

    async def build(self, exchange: Exchange, *, warc: bool = False) -> Built:
        """The built document of `exchange` (with its WARC records when `warc`); raises what `build`
        raises (Rejected, or a bug's exception)."""
        return await self._run(partial(build, exchange, warc=warc, **self.options), exchange.size)

    async def decode(self, body: bytes, content_type: str | None, url: str | None = None) -> tuple[Decoded, list[tuple[str, str]] | None]:
        """`crawler.pagelinks.decode_with_links` of a downloaded page: its text, and its links when `url` is
        given. Raises Rejected when it cannot be decoded."""
        return await self._run(partial(decode_with_links, body, content_type, url), len(body))

    async def _run(self, job: Callable[[], T], size: int) -> T:
        loop = asyncio.get_running_loop()
        if self.workers <= 0:
            return await loop.run_in_executor(self.fallback, job)
        job = partial(run_then_release, job, size, RELEASE_AFTER_BYTES)
        pool = self._pool()
        try:
            return await pool.run(job)
        except WorkerLost as exc:
            if pool is self.pool:  # the first of the jobs in flight to notice this pool broke
                self._broke(exc)
            return await loop.run_in_executor(self.fallback, job)

    def _broke(self, exc: BaseException) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False)  # its other jobs raise WorkerLost and are built here too
        self.pool = None
        self.breaks += 1
        log.warning("document worker pool broke (%s); building in the crawl process", exc)
        if self.breaks >= MAX_POOL_BREAKS:
            log.warning("giving up on worker processes for this crawl: building documents in-process")
            self.workers = 0

    def _pool(self) -> ProcessPool:
        if self.pool is None:
            # New processes, not forks: forking a process that runs a reactor and threads is unsafe.
            self.pool = ProcessPool(self.workers, initializer=worker_init, initargs=(os.getpid(),))
        return self.pool

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
