"""Test-only: a CorpusPipeline whose process dies by SIGKILL at a chosen store write.

Loaded in a crawl subprocess with PYTHONPATH=tests and
-s ITEM_PIPELINES='{"killhook.KillingCorpusPipeline": 300}'
-s KILL_AT=<key prefix>:<n>   (die instead of the n-th put of a key starting with the prefix)
"""

from __future__ import annotations

import os
import signal
from typing import Any

from scrapy.crawler import Crawler

from crawler.pipelines import CorpusPipeline
from storage.backends import LocalStore, S3Store


def _arm(prefix: str, nth: int) -> None:
    seen = 0
    for backend in (LocalStore, S3Store):
        original = backend.put

        def put(self: Any, key: str, data: bytes, _original: Any = original) -> None:
            nonlocal seen
            if key.startswith(prefix):
                seen += 1
                if seen == nth:
                    os.kill(os.getpid(), signal.SIGKILL)
            _original(self, key, data)

        backend.put = put  # type: ignore[method-assign]


class KillingCorpusPipeline(CorpusPipeline):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        prefix, _, nth = crawler.settings.get("KILL_AT", "").rpartition(":")
        if nth:
            _arm(prefix, int(nth))
        return super().from_crawler(crawler)
