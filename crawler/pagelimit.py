"""GOVCORPUS_MAX_PAGES (`crawl --max-pages N`, a source's `max_pages`): at most N pages downloaded.

Scrapy's CLOSESPIDER_PAGECOUNT counts responses and then closes gracefully: every request already
handed to the downloader still goes out, so a crawl with 16 requests in flight overshot `--max-pages
5` about fourfold. This downloader middleware counts the pages as they are sent instead: the Nth
page's request asks the engine to close the spider, and a page request after it is refused with
`PageLimitReached` before anything is sent. Refused requests were never fetched, so, like the
requests still waiting in the scheduler, they are not in the manifest. robots.txt fetches and
retries of a page already counted do not count.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

log = logging.getLogger(__name__)
CLOSE_REASON = "max_pages"


class PageLimitReached(IgnoreRequest):
    """A page request made after the crawl's page limit was reached: not sent, not recorded."""


class PageLimitMiddleware:
    """Downloader middleware: sends at most GOVCORPUS_MAX_PAGES page requests, then closes the spider."""

    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.limit = limit
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageLimitMiddleware:
        limit = crawler.settings.getint("GOVCORPUS_MAX_PAGES")
        if limit <= 0:
            raise NotConfigured("GOVCORPUS_MAX_PAGES is 0: no page limit")
        return cls(crawler, limit)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.meta.get("retry_times"):
            return None  # a robots.txt fetch, or a page counted when it was first sent
        if self.sent >= self.limit:
            raise PageLimitReached(f"GOVCORPUS_MAX_PAGES={self.limit} pages were already requested")
        self.sent += 1
        if self.sent == self.limit:
            assert self.crawler.stats is not None and self.crawler.engine is not None
            self.crawler.stats.set_value("govcorpus/max_pages_reached", self.limit)
            log.info("%d pages requested (GOVCORPUS_MAX_PAGES): closing once they are processed", self.limit)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))
        return None
