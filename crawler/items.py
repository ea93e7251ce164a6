"""What spiders hand to the pipeline: responses to turn into documents, skips and failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cleaners.document import Fetched


@dataclass
class FetchedItem:
    fetched: Fetched
    continuation: tuple[Fetched, ...] = ()  # later pages of the same article, in order
    parent: Fetched | None = None  # the article page that linked this attachment
    report_keywords: tuple[str, ...] = ()  # the source's report filter, applied to the title
    report_exclude: tuple[str, ...] = ()
    source: str | None = None
    apply_filters: bool = True  # False only for `fetch --no-filter`: crawls keep their report policy
    outcome: Any = field(default=None)  # set by the pipeline: storage.ingest.Outcome


@dataclass
class FailedItem:
    url: str
    reason: str
    detail: str | None = None
    skipped: bool = False
    source: str | None = None
    outcome: Any = field(default=None)


def skipped_item(url: str, reason: str, detail: str | None = None, source: str | None = None) -> FailedItem:
    """A URL the crawl touched on purpose but which is not a document (list page, sitemap …)."""
    return FailedItem(url, reason, detail, skipped=True, source=source)
