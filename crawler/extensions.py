"""Progress people can watch: a live line on a terminal, periodic summaries in logs."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from cleaners.reasons import Reason

OUTCOMES = ("stored", "duplicate", "unchanged", "skipped", "failed")


class Progress:
    """Pages fetched, documents stored, duplicates, unchanged, failures and the rate."""

    def __init__(self, crawler: Crawler, console: Console, interval: float) -> None:
        self.crawler = crawler
        self.console = console
        self.interval = interval
        self.started = time.monotonic()
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not crawler.settings.getbool("GOVCORPUS_PROGRESS"):
            raise NotConfigured
        console = Console(stderr=True)
        interactive = console.is_terminal
        interval = 0.5 if interactive else crawler.settings.getfloat("GOVCORPUS_PROGRESS_INTERVAL")
        extension = cls(crawler, console, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def line(self) -> str:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        pages = stats.get("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        # A resumed run meets the URLs it recorded before it was stopped: they are its own, not skipped.
        again = stats.get(f"govcorpus/skipped/{Reason.ALREADY_RECORDED}", 0)
        counts = ", ".join(
            f"{stats.get(f'govcorpus/{name}', 0) - (again if name == 'skipped' else 0)} {name}" for name in OUTCOMES
        )
        if again:
            counts += f", {again} recorded before the run was resumed"
        return f"govcorpus: {pages} pages fetched ({pages / elapsed:.1f}/s) — {counts}"

    def spider_opened(self, spider: Any) -> None:
        if self.console.is_terminal:
            self.live = Live(Text(self.line()), console=self.console, refresh_per_second=4, transient=False)
            self.live.start()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self) -> None:
        if self.live is not None:
            self.live.update(Text(self.line()))
        else:
            self.console.print(self.line(), highlight=False, soft_wrap=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(Text(self.line()))
            self.live.stop()
