"""Crawl configured sources: every page is offered as a document, links are followed by rule."""

from __future__ import annotations

import re
from pathlib import Path
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from twisted.python.failure import Failure

from crawler.items import FailedItem, FetchedItem
from crawler.responses import failed_item, fetched_item
from crawler.sources import Source, load_sources, select_sources

# Reports are often attachments: do not let the link extractor drop them.
ATTACHMENT_EXTENSIONS = {"pdf", "doc", "docx", "wps"}
DENY_EXTENSIONS = [ext for ext in IGNORED_EXTENSIONS if ext not in ATTACHMENT_EXTENSIONS]


class SourcesSpider(scrapy.Spider):
    name = "sources"

    def __init__(
        self, sources: list[Source] | None = None, config: str | None = None, source: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if sources is None:
            if config is None:
                raise ValueError("the sources spider needs a config: scrapy crawl sources -a config=FILE")
            sources = select_sources(load_sources(Path(config)), source.split(",") if source else None)
        self.sources = {source.name: source for source in sources}
        self._extractors = {
            source.name: LinkExtractor(
                allow=source.follow,
                deny=source.deny,
                allow_domains=source.domains(),
                deny_extensions=DENY_EXTENSIONS,
                unique=True,
            )
            for source in sources
        }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources.values():
            for url in source.start_urls:
                yield self._request(url, source, depth=0)

    def _request(self, url: str, source: Source, depth: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"source_name": source.name, "depth": depth},
        )

    def parse(self, response: Response, source_name: str = "", depth: int = 0, **kwargs: Any) -> Iterator[Any]:
        yield fetched_item(response)
        source = self.sources[source_name]
        if depth >= source.max_depth or not isinstance(response, TextResponse):
            return
        for link in self._extractors[source_name].extract_links(response):
            if not re.match(r"https?://", link.url):
                continue
            yield self._request(link.url, source, depth + 1)

    def on_error(self, failure: Failure) -> Iterator[FailedItem]:
        yield failed_item(failure)
