"""The one item pipeline: a thin adapter from Scrapy items to storage.ingest.Ingestor."""

from __future__ import annotations

import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import FailedItem, FetchedItem
from storage.backends import store_uri_from_env
from storage.corpus import Corpus
from storage.ingest import Ingestor
from storage.runs import begin_run, end_run


class CorpusPipeline:
    """Builds, deduplicates and stores each fetched item; records every URL in the run's manifest.

    With GOVCORPUS_JOB set (the crawl command sets it to the sources' names), a run that was
    killed or shut down is resumed by the next run of the same job instead of starting over.
    """

    def __init__(self, crawler: Crawler, ingestor: Ingestor, job: str | None) -> None:
        self.crawler = crawler
        self.ingestor = ingestor
        self.job = job
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        settings = crawler.settings
        if not settings.getbool("GOVCORPUS_PIPELINE_ENABLED", True):
            raise NotConfigured("GOVCORPUS_PIPELINE_ENABLED is off")
        corpus = Corpus.open(store_uri_from_env(settings.get("GOVCORPUS_STORE")))
        store = settings.getbool("GOVCORPUS_STORE_ENABLED", True)
        job = settings.get("GOVCORPUS_JOB") if store else None
        run_id, resumed = begin_run(corpus.store, job) if job else (settings.get("GOVCORPUS_RUN_ID"), False)
        pipeline = cls(crawler, Ingestor(corpus, store=store, run_id=run_id, resume=resumed), job)
        crawler.stats.set_value("govcorpus/run_id", pipeline.ingestor.run_id)
        crawler.stats.set_value("govcorpus/resumed", resumed)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, FetchedItem):
            item.outcome = self.ingestor.ingest(
                item.fetched,
                continuation=item.continuation,
                parent=item.parent,
                report_keywords=item.report_keywords,
            )
            self._count("bytes", len(item.fetched.body) + sum(len(part.body) for part in item.continuation))
        elif isinstance(item, FailedItem) and item.reason == "not_modified":
            item.outcome = self.ingestor.not_modified(item.url)
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

    def spider_closed(self, spider: Any, reason: str) -> None:
        assert self.crawler.stats is not None
        if reason == "shutdown" and self.job:
            # Stopped by a signal before the frontier was done: keep the run open to resume.
            self.ingestor.checkpoint()
            self.crawler.stats.set_value("govcorpus/checkpointed", True)
            return
        stats = {
            key.removeprefix("govcorpus/"): value
            for key, value in self.crawler.stats.get_stats().items()
            if key.startswith("govcorpus/") and not isinstance(value, bool)
        }
        stats["duration_s"] = round(time.monotonic() - self.started, 3)
        manifest_key = self.ingestor.close(stats)
        if self.job:
            end_run(self.ingestor.corpus.store, self.job)
        if manifest_key:
            self.crawler.stats.set_value("govcorpus/manifest", manifest_key)
