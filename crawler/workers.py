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
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

from cleaners.encoding import Decoded, decode_html
from storage.journey import Built, Exchange, build, worker_init

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_POOL_BREAKS = 2


class DocumentWorkers:
    """Runs `storage.journey.build` and the download decoder off the reactor thread.

    `fallback` is the executor used without worker processes (and after the pool broke twice).
    """

    def __init__(self, workers: int, fallback: Executor) -> None:
        self.workers = workers
        self.fallback = fallback
        self.pool: ProcessPoolExecutor | None = None
        self.breaks = 0

    async def build(self, exchange: Exchange, **options: Any) -> Built:
        """The built document of `exchange`; raises what `build` raises (Rejected, or a bug's exception)."""
        return await self._run(partial(build, exchange, **options))

    async def decode(self, body: bytes, content_type: str | None) -> Decoded:
        """`cleaners.encoding.decode_html` of a downloaded page; raises Rejected when it cannot be decoded."""
        return await self._run(partial(decode_html, body, content_type))

    async def _run(self, job: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        if self.workers <= 0:
            return await loop.run_in_executor(self.fallback, job)
        pool = self._pool()
        try:
            return await loop.run_in_executor(pool, job)
        except BrokenProcessPool as exc:
            if pool is self.pool:  # the first of the jobs in flight to notice this pool broke
                self._broke(exc)
            return await loop.run_in_executor(self.fallback, job)

    def _broke(self, exc: BaseException) -> None:
        self.pool = None
        self.breaks += 1
        log.warning("document worker pool broke (%s); building in the crawl process", exc)
        if self.breaks >= MAX_POOL_BREAKS:
            log.warning("giving up on worker processes for this crawl: building documents in-process")
            self.workers = 0

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

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
