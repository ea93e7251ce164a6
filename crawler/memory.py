"""The crawl process's heap follows its live data: freed pages go back to the system (crawler/heap.py)."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.heap import can_release, release_free_memory


class ReleaseMemory:
    """Extension: `release_free_memory()` every GOVCORPUS_RELEASE_MEMORY_INTERVAL seconds while a spider runs.

    The crawl process parses list pages for their links and holds bodies in flight; the pages
    freed between those peaks are returned to the system instead of staying resident for the
    whole crawl. 0 turns it off.
    """

    def __init__(self, interval: float) -> None:
        if interval < 0:
            raise ValueError(f"GOVCORPUS_RELEASE_MEMORY_INTERVAL must be ≥ 0 seconds, not {interval}")
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReleaseMemory:
        interval = crawler.settings.getfloat("GOVCORPUS_RELEASE_MEMORY_INTERVAL")
        if interval == 0:
            raise NotConfigured("GOVCORPUS_RELEASE_MEMORY_INTERVAL is 0")
        if not can_release():
            raise NotConfigured("no glibc malloc_trim here")
        extension = cls(interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any = None) -> None:
        self.loop = task.LoopingCall(release_free_memory)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any = None) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
