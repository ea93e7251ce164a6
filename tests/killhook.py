"""Test-only: a CorpusPipeline whose process dies by SIGKILL at a chosen store write.

Loaded in a crawl subprocess with PYTHONPATH=tests and
-s ITEM_PIPELINES='{"killhook.KillingCorpusPipeline": 300}'
-s KILL_AT=<key prefix>:<n>         die instead of the n-th put of a key starting with the prefix
-s KILL_AT=delete:<key prefix>:<n>  die instead of the n-th delete of such a key
-s KILL_AT=*:<n>                    die instead of the n-th write (put or delete) of any key
-s WRITE_LOG=<path>                 append "put <key>" / "delete <key>" for every write, before it happens
-s KILL_FLUSH_EVERY=<n>             flush manifest lines and dedup entries every n (so a small run has many)
"""

from __future__ import annotations

import os
import signal
from typing import Any

from scrapy.crawler import Crawler

from crawler.pipelines import CorpusPipeline
from storage.backends import LocalStore, S3Store


def _arm(kill_at: str, log_path: str | None) -> None:
    op, prefix, nth = "put", "", 0
    if kill_at:
        head, _, count = kill_at.rpartition(":")
        nth = int(count)
        op, _, prefix = head.partition(":") if head.startswith(("delete:", "put:")) else ("put", "", head)
        if head == "*":
            op, prefix = "*", ""
    seen = 0

    def before(kind: str, key: str) -> None:
        nonlocal seen
        if log_path:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{kind} {key}\n")
        if nth and (op == "*" or (op == kind and key.startswith(prefix))):
            seen += 1
            if seen == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    for backend in (LocalStore, S3Store):
        original_put, original_delete = backend.put, backend.delete

        def put(self: Any, key: str, data: bytes, _original: Any = original_put) -> None:
            before("put", key)
            _original(self, key, data)

        def delete(self: Any, key: str, _original: Any = original_delete) -> None:
            before("delete", key)
            _original(self, key)

        backend.put = put  # type: ignore[method-assign]
        backend.delete = delete  # type: ignore[method-assign]


class KillingCorpusPipeline(CorpusPipeline):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        settings = crawler.settings
        if settings.get("KILL_AT") or settings.get("WRITE_LOG"):
            _arm(settings.get("KILL_AT", ""), settings.get("WRITE_LOG"))
        pipeline = super().from_crawler(crawler)
        every = settings.getint("KILL_FLUSH_EVERY")
        if every and pipeline.ingestor.manifest is not None:
            pipeline.ingestor.manifest.flush_every = every
            pipeline.ingestor.dedup.flush_every = every  # type: ignore[attr-defined]
        return pipeline
