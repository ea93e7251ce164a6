"""Fetch one URL through the crawl's download stack: `scrapy crawl fetch -a url=URL`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FailedItem, FetchedItem
from crawler.responses import failed_item, fetched_item


class FetchSpider(scrapy.Spider):
    name = "fetch"

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.parse, errback=self.on_error, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[FetchedItem]:
        yield fetched_item(response)

    def on_error(self, failure: Failure) -> Iterator[FailedItem]:
        yield failed_item(failure)
