"""Run a spider in this process with the project's settings and collect what it produced."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.python.failure import Failure


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """crawler.settings plus overrides: the same settings `scrapy crawl` uses from scrapy.cfg."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


@dataclass
class RunResult:
    items: list[Any] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False  # a SIGINT/SIGTERM stopped a `interruptible` run


class _InterruptibleProcess(CrawlerProcess):
    """A CrawlerProcess that remembers a SIGINT/SIGTERM and says on stderr what the first one does.

    Scrapy's first signal stops gracefully, after the downloads in flight (up to DOWNLOAD_TIMEOUT
    on a slow server); its log line is hidden without -v, so a user saw Ctrl-C do nothing.
    """

    interrupted = False

    def _signal_shutdown(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        self.interrupted = True
        super()._signal_shutdown(signum, _)
        # Not printed here: a signal handler may interrupt a write to the same stream.
        reactor.callFromThread(_say_stopping)  # type: ignore[attr-defined]


def _say_stopping() -> None:
    print("govcorpus: stopping once the download in flight ends; press Ctrl-C again to stop now", file=sys.stderr, flush=True)


def run_spider(
    spider_cls: type,
    overrides: dict[str, Any] | None = None,
    *,
    keep_items: bool = True,
    interruptible: bool = False,
    **spider_args: Any,
) -> RunResult:
    """Crawl to completion; return the items the pipeline processed (unless `keep_items` is False) and the final stats.

    An item holds its response bodies, decoded text and document: a crawl, which reads its results
    from the stats and the manifest, passes `keep_items=False` so that memory does not grow with
    every page crawled.

    An exception that stops the crawl from starting or finishing (a store that cannot be opened,
    a component that cannot be built) is raised here, after the reactor has stopped, instead of
    being logged by Twisted as an unhandled error while the caller goes on as if nothing failed.
    With `interruptible` a SIGINT/SIGTERM is reported (`interrupted`) and the first one says on
    stderr that the run stops once the downloads in flight end.
    """
    result = RunResult()
    process = (_InterruptibleProcess if interruptible else CrawlerProcess)(project_settings(overrides))
    crawler = process.create_crawler(spider_cls)

    def collect(item: Any, response: Any = None, spider: Any = None) -> None:
        result.items.append(item)

    failures: list[Failure] = []
    if keep_items:
        crawler.signals.connect(collect, signal=signals.item_scraped)
    process.crawl(crawler, **spider_args).addErrback(failures.append)
    process.start()
    result.interrupted = bool(getattr(process, "interrupted", False))
    if failures:
        failures[0].raiseException()
    result.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    logging.getLogger(__name__).debug("run finished: %s", result.stats)
    return result
