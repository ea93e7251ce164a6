"""What spiders hand to the pipeline: responses to turn into documents, skips and failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cleaners.reasons import is_reason
from storage.building import Exchange


@dataclass
class FetchedItem:
    """A response (with its article's later pages, its parent page and its source's policy) to take on the journey."""

    exchange: Exchange
    outcome: Any = field(default=None)  # set by the pipeline: storage.journey.Outcome

    @property
    def url(self) -> str:
        return self.exchange.url


@dataclass
class FailedItem:
    """A URL that produced no response to build from: a network or HTTP failure, or a skip (list page, robots.txt …)."""

    url: str
    reason: str  # a code of cleaners.reasons
    detail: str | None = None
    source: str | None = None
    outcome: Any = field(default=None)

    def __post_init__(self) -> None:
        if not is_reason(self.reason):
            raise ValueError(f"FailedItem with {self.reason!r}, which is not a reason of cleaners/reasons.py")


def skipped_item(url: str, reason: str, detail: str | None = None, source: str | None = None) -> FailedItem:
    """A URL the crawl touched on purpose but which is not a document (list page, sitemap …)."""
    return FailedItem(url, reason, detail, source=source)
