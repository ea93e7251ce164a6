"""The build steps of a page's journey (storage/journey.py): pure, picklable, run in worker processes.

    read → decode → extract → clean → filter     cleaners.pipeline.build_document (its own step list)
    → report policy → fingerprint → WARC records  BUILD_STEPS

A step returns what it was given, grown by one piece, or raises `Rejected` with a reason of
`cleaners.reasons`. This module imports only what building needs (the cleaners and the
fingerprint), not the store: a worker process that builds documents loads it and nothing of the
corpus, manifest or dedup index, and the WARC record maker only once it is asked for records.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from cleaners.document import Document, Fetched, Rejected
from cleaners.pipeline import build_document
from cleaners.report_policy import ReportPolicy
from storage.dedup.fingerprint import Fingerprint, fingerprint
from storage.dedup.rank import rank_for_document

if TYPE_CHECKING:
    from storage.warc import PreparedRecords


@dataclass(frozen=True)
class Exchange:
    """What a crawl fetched for one URL: the response, the later pages of a split article, the page
    that linked it (an attachment's article, a frame's shell), and the source's report policy."""

    fetched: Fetched
    continuation: tuple[Fetched, ...] = ()
    parent: Fetched | None = None
    policy: ReportPolicy = ReportPolicy()
    source: str | None = None
    apply_filters: bool = True  # False only for `fetch --no-filter`: crawls keep their report policy
    forum_replies: bool = False  # `fetch --replies`: every user's posts of a forum thread, not only the starter's

    @property
    def url(self) -> str:
        return self.fetched.url

    @property
    def size(self) -> int:
        """Bytes fetched for this URL (bodies of the response and its continuation pages)."""
        return len(self.fetched.body) + sum(len(part.body) for part in self.continuation)

    def responses(self) -> list[tuple[Fetched, str]]:
        """Every response the document is built from, with its role in the WARC archive."""
        found = [(self.fetched, "document"), *((part, "continuation") for part in self.continuation)]
        return found + ([(self.parent, "parent")] if self.parent is not None else [])


@dataclass(frozen=True)
class Built:
    """A built document with its dedup fingerprint and rank: the CPU work, done before any I/O."""

    doc: Document
    fingerprint: Fingerprint
    rank: tuple[Any, ...]
    # The exchange's responses as compressed WARC records, made with the document when the build was
    # asked to (`build(..., warc=True)`): the store thread then only appends them.
    warc: tuple[PreparedRecords, ...] = ()



@dataclass
class _Building:
    exchange: Exchange
    options: dict[str, Any]
    warc: bool = False
    doc: Document | None = None
    built: Built | None = None


def _build(state: _Building) -> _Building:
    exchange = state.exchange
    state.doc = build_document(
        exchange.fetched,
        continuation=exchange.continuation,
        parent=exchange.parent,
        apply_filters=exchange.apply_filters,
        forum_replies=exchange.forum_replies,
        **state.options,
    )
    return state


def _report_policy(state: _Building) -> _Building:
    assert state.doc is not None
    try:
        state.doc = state.exchange.policy.check(state.doc)
    except Rejected as verdict:
        if state.exchange.apply_filters:
            raise
        # fetch --no-filter: the source's filter only says what it would have said
        state.doc.filter_verdict = state.doc.filter_verdict or {"reason": verdict.reason, "detail": verdict.detail}
    return state


def _fingerprint(state: _Building) -> _Building:
    assert state.doc is not None
    state.built = Built(state.doc, fingerprint(state.doc.text), rank_for_document(state.doc))
    return state


def _warc_records(state: _Building) -> _Building:
    assert state.built is not None
    if state.warc:
        from storage.warc import prepare_records  # warcio: only in processes that make records

        records = tuple(prepare_records(fetched, role) for fetched, role in state.exchange.responses())
        state.built = replace(state.built, warc=records)
    return state


BUILD_STEPS: Final[tuple[Callable[[_Building], _Building], ...]] = (_build, _report_policy, _fingerprint, _warc_records)


def build(exchange: Exchange, *, warc: bool = False, **options: Any) -> Built:
    """Run BUILD_STEPS: the document of `exchange`, fingerprinted, or Rejected with a reason.

    No I/O and picklable, so it runs in worker processes. `options` go to `build_document`.
    `warc=True` also makes the WARC records of the exchange's responses (`Built.warc`), so that
    this CPU work is done where the build runs, not on the store's one writer thread.
    """
    state = _Building(exchange, options, warc)
    for step in BUILD_STEPS:
        state = step(state)
    assert state.built is not None
    return state.built


def worker_init(parent: int) -> None:
    """In a worker process that runs `build`: ignore SIGINT, exit as soon as `parent` (the crawl) is gone.

    A crawl killed with SIGKILL cannot shut its pool down, and a worker blocked on its task
    queue would otherwise outlive it (holding the crawl's stdout open) forever. The parent's pid
    comes from the parent: read here, it would already be 1 if the crawl died while this started.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    # Ctrl-C in a terminal signals the whole process group: the crawl stops its workers itself,
    # and a worker interrupted in its task loop would print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
