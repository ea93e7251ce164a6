"""Fetch one URL through the crawl's download stack: `scrapy crawl fetch -a url=URL`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FailedItem, FetchedItem
from crawler.responses import failed_item, fetched_item


def _flag(value: bool | str) -> bool:
    return value not in (False, "", "0", "false", "False", "no")


class FetchSpider(scrapy.Spider):
    """One URL. `no_filter` (`-a no_filter=1`, `fetch --no-filter`): the report filters only say what
    they would have refused (the document's `filter_verdict`), they refuse nothing. `replies`
    (`fetch --replies`): a forum thread keeps every user's posts, not only the starter's."""

    name = "fetch"

    def __init__(self, url: str, no_filter: bool | str = False, replies: bool | str = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.no_filter = _flag(no_filter)
        self.replies = _flag(replies)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.parse, errback=self.on_error, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[FetchedItem]:
        item = fetched_item(response)
        if self.no_filter or self.replies:
            item.exchange = replace(item.exchange, apply_filters=not self.no_filter, forum_replies=self.replies)
        yield item

    def on_error(self, failure: Failure) -> Iterator[FailedItem]:
        yield failed_item(failure)
