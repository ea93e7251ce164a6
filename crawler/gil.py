"""The crawl process's GIL switch interval (GOVCORPUS_SWITCH_INTERVAL), off by default.

A thread that wants the GIL waits until the holder has run for the switch interval
(`sys.setswitchinterval`, Python's default 5 ms). While the document workers were a
ProcessPoolExecutor, its feeder and result threads competed with the reactor, and 0.5 ms helped
(2,000-page crawl benchmark: 5 ms 41.4/42.5 s, 0.5 ms 38.6/32.9 s). The workers now get their
jobs from the event loop (crawler/procpool.py) and only the store thread competes: 0.5 ms then
costs more in hand-offs than it saves (alternating runs, 0.5 ms against 5 ms: 34.5/32.5/35.8 s
against 28.1/30.3/37.7 s, and less CPU in every pair; on the realworld site no difference).
The extension stays for deployments with more threads in the crawl process.
"""

from __future__ import annotations

import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class SwitchInterval:
    """Sets `sys.setswitchinterval(GOVCORPUS_SWITCH_INTERVAL)` (seconds) while spiders run, then restores it.

    The interval is process-wide and the HTTP service runs several crawls at once: it is set when
    the first running spider opens and the interpreter's own comes back when the last one closes.
    GOVCORPUS_SWITCH_INTERVAL = 0 leaves the interpreter's own; a negative value raises ValueError.
    """

    running = 0  # spiders open in this process with the extension on
    previous = 0.005

    def __init__(self, interval: float) -> None:
        if interval < 0:
            raise ValueError(f"GOVCORPUS_SWITCH_INTERVAL must be ≥ 0 seconds, not {interval}")
        self.interval = interval

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SwitchInterval:
        interval = crawler.settings.getfloat("GOVCORPUS_SWITCH_INTERVAL")
        if interval == 0:
            raise NotConfigured  # the default: no message, so Scrapy does not warn about it
        extension = cls(interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any = None) -> None:
        if SwitchInterval.running == 0:
            SwitchInterval.previous = sys.getswitchinterval()
        SwitchInterval.running += 1
        sys.setswitchinterval(self.interval)

    def spider_closed(self, spider: Any = None) -> None:
        SwitchInterval.running = max(0, SwitchInterval.running - 1)
        if SwitchInterval.running == 0:
            sys.setswitchinterval(SwitchInterval.previous)
