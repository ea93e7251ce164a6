"""The one item pipeline: a thin adapter from Scrapy items to the journey (storage/journey.py).

A fetched item's document is built by the document workers and taken through the store steps on
the store thread (crawler/components.py); a failed or skipped URL is recorded there. Every outcome
is counted in Scrapy stats: `govcorpus/<outcome>`, `govcorpus/<outcome>/<reason>` and, for every
URL that did not become a document, `govcorpus/dropped/<reason>` (reasons: cleaners/reasons.py).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from cleaners.document import Rejected
from cleaners.extract import fallback_stages
from cleaners.reasons import Reason, Verdict
from crawler.components import Components
from crawler.items import FailedItem, FetchedItem
from storage.journey import Outcome

log = logging.getLogger(__name__)


class CorpusPipeline:
    """Takes each item on its journey and counts how it ended (see the module docstring)."""

    def __init__(self, crawler: Crawler, components: Components) -> None:
        self.crawler = crawler
        self.components = components

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        if not crawler.settings.getbool("GOVCORPUS_PIPELINE_ENABLED"):
            raise NotConfigured("GOVCORPUS_PIPELINE_ENABLED is off")
        return cls(crawler, Components.of(crawler))

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, FetchedItem | FailedItem):
            item.outcome = await self._outcome(item)
            self._count(item.outcome, item)
        return item

    async def _outcome(self, item: FetchedItem | FailedItem) -> Outcome:
        components, journey = self.components, self.components.journey
        try:
            if isinstance(item, FailedItem):
                if item.reason == Reason.NOT_MODIFIED:
                    return await components.write(journey.not_modified, item.url)
                return await components.write(journey.fail, item.url, item.reason, item.detail)
            exchange = item.exchange
            if journey.already_recorded(exchange.url):
                return Outcome(exchange.url, Verdict.SKIPPED, Reason.ALREADY_RECORDED)
            try:
                built = await components.workers.build(exchange, warc=journey.archives_records)
            except Rejected as rejected:
                return await components.write(journey.reject, exchange.url, rejected, size=exchange.size)
            except Exception as exc:  # a bug must cost one URL, recorded, not the run
                return await components.write(journey.crashed, exchange.url, exc, size=exchange.size)
            return await components.write(journey.accept, exchange, built)
        except Exception as exc:  # the store is unreachable (retries exhausted) or refused a write
            components.unstored += 1  # nothing recorded: resuming the run processes this URL again
            log.error("could not write %s to the store: %s", item.url, exc)
            return Outcome(item.url, Verdict.FAILED, Reason.STORE_ERROR, f"{type(exc).__name__}: {exc}")

    def _count(self, outcome: Outcome, item: FetchedItem | FailedItem) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"govcorpus/{outcome.outcome}")
        if outcome.reason:
            stats.inc_value(f"govcorpus/{outcome.outcome}/{outcome.reason}")
            if outcome.outcome in (Verdict.SKIPPED, Verdict.FAILED):
                stats.inc_value(f"govcorpus/dropped/{outcome.reason}")
        if isinstance(item, FetchedItem):
            stats.inc_value("govcorpus/bytes", item.exchange.size)
        document = outcome.document
        if document is not None and outcome.outcome in (Verdict.STORED, Verdict.DUPLICATE):
            for stage in fallback_stages(document.metadata):
                stats.inc_value(f"govcorpus/fallback/{stage}")  # an extraction stage's safety net caught this page
            if document.metadata.get("ocr"):
                stats.inc_value("govcorpus/ocr/documents")
                stats.inc_value("govcorpus/ocr/pages", document.metadata["ocr"]["pages"])
