"""The one item pipeline: a thin adapter from Scrapy items to storage.ingest.Ingestor."""

from __future__ import annotations

import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import FailedItem, FetchedItem
from storage.backends import store_uri_from_env
from storage.corpus import Corpus
from storage.ingest import Ingestor


class CorpusPipeline:
    """Builds, deduplicates and stores each fetched item; records every URL in the run's manifest."""

    def __init__(self, crawler: Crawler, ingestor: Ingestor) -> None:
        self.crawler = crawler
        self.ingestor = ingestor
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        settings = crawler.settings
        if not settings.getbool("GOVCORPUS_PIPELINE_ENABLED", True):
            raise NotConfigured("GOVCORPUS_PIPELINE_ENABLED is off")
        corpus = Corpus.open(store_uri_from_env(settings.get("GOVCORPUS_STORE")))
        ingestor = Ingestor(
            corpus,
            store=settings.getbool("GOVCORPUS_STORE_ENABLED", True),
            run_id=settings.get("GOVCORPUS_RUN_ID"),
        )
        return cls(crawler, ingestor)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, FetchedItem):
            item.outcome = self.ingestor.ingest(
                item.fetched,
                continuation=item.continuation,
                parent=item.parent,
                report_keywords=item.report_keywords,
            )
            self._count("bytes", len(item.fetched.body) + sum(len(part.body) for part in item.continuation))
        elif isinstance(item, FailedItem):
            item.outcome = self.ingestor.fail(item.url, item.reason, item.detail, skipped=item.skipped)
        else:
            return item
        self._count(item.outcome.outcome)
        if item.outcome.reason:
            self._count(f"{item.outcome.outcome}/{item.outcome.reason}")
        return item

    def _count(self, name: str, by: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"govcorpus/{name}", by)

    def close_spider(self, spider: Any = None) -> None:
        assert self.crawler.stats is not None
        stats = {
            key.removeprefix("govcorpus/"): value
            for key, value in self.crawler.stats.get_stats().items()
            if key.startswith("govcorpus/")
        }
        stats["duration_s"] = round(time.monotonic() - self.started, 3)
        manifest_key = self.ingestor.close(stats)
        if manifest_key:
            self.crawler.stats.set_value("govcorpus/manifest", manifest_key)
