"""What spiders hand to the pipeline: a response to turn into a document, or a failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cleaners.document import Fetched


@dataclass
class FetchedItem:
    fetched: Fetched
    outcome: Any = field(default=None)  # set by the pipeline: storage.ingest.Outcome


@dataclass
class FailedItem:
    url: str
    reason: str
    detail: str | None = None
    skipped: bool = False
    outcome: Any = field(default=None)
