"""The journey of one fetched resource, from its bytes to its manifest line: one ordered list of steps.

    read → decode → extract → clean → filter     cleaners.pipeline.build_document (its own step list)
    → report policy → fingerprint → WARC records  BUILD_STEPS (storage/building.py): pure, run in worker processes
    → seen → changed → dedup → archive → write    STORE_STEPS: the store's one writer thread
    → record                                      every URL ends with exactly one manifest line

A build step returns what it was given, grown by one piece, or raises `Rejected` with a reason of
`cleaners.reasons`; a store step returns None to pass the document on or an `Outcome` that ends
the journey there. Whatever ends it, `record` writes the outcome as the URL's manifest line (after
everything the line names is durable: `ManifestWriter.before_flush`). Crawls, `govcorpus fetch`,
the HTTP service, distributed workers and `govcorpus reclean` all go through `Journey`, so a URL
is treated the same way whichever way it came in; what differs between them is which corpus,
dedup index, manifest writer and archive the journey is given (crawler/components.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from cleaners.document import Document, Rejected, document_id
from cleaners.extract import fallback_stages
from cleaners.reasons import Reason, Verdict, verdict_of
from storage.building import Built, Exchange, build
from storage.corpus import Corpus
from storage.dedup import Candidate, DedupIndex, Fingerprint, Link, StoreDedupIndex, rank_for_document
from storage.manifest import ManifestWriter, new_run_id
from storage.warc import PreparedRecords, WarcArchive

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- what travels (Exchange, Built: storage/building.py)


@dataclass
class Outcome:
    """How one URL's journey ended: its manifest line (and the document, when there is one)."""

    url: str
    outcome: str  # a cleaners.reasons.Verdict
    reason: str | None = None  # a cleaners.reasons code
    detail: str | None = None
    document: Document | None = None

    def manifest_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.reason:
            fields["reason"] = self.reason
        if self.detail:
            fields["detail"] = self.detail
        if self.document is not None:
            fields["id"] = self.document.id
            fields["version"] = self.document.version
            fields["content_sha256"] = self.document.content_sha256
            if self.document.duplicate_of:
                fields["duplicate_of"] = self.document.duplicate_of
            if stages := fallback_stages(self.document.metadata):
                fields["fallback"] = stages  # extraction stages whose safety net caught this page
        return fields


def rejected_outcome(url: str, rejected: Rejected) -> Outcome:
    """The outcome of a URL that was refused with a reason: skipped or failed, as the vocabulary says."""
    return Outcome(url, verdict_of(rejected.reason), rejected.reason, rejected.detail or None)


# ---------------------------------------------------------------- store steps (I/O)


@dataclass
class _Storing:
    exchange: Exchange
    built: Built
    doc: Document
    previous: Document | None = None
    archived: list[dict[str, Any]] = field(default_factory=list)


class Journey:
    """One run's writer: takes built documents and refusals through STORE_STEPS and records each URL.

    `store=False` checks documents against the dedup index without writing anything (fetch
    --no-store). With `resume=True` the run `run_id` continues where a killed process left it:
    URLs it already recorded are not recorded again, and documents it had stored count as stored.
    `dedup`, `manifest` and `archive` replace the store's own (distributed workers share one index
    and one run id, each writing its own manifest); `started_at` is when a resumed run first started.
    """

    def __init__(
        self,
        corpus: Corpus,
        *,
        store: bool = True,
        run_id: str | None = None,
        resume: bool = False,
        dedup: DedupIndex | None = None,
        manifest: ManifestWriter | None = None,
        archive: WarcArchive | None = None,
        started_at: str | None = None,
    ) -> None:
        self.corpus = corpus
        self.store = store
        self.run_id = run_id or new_run_id()
        self.dedup: DedupIndex = dedup if dedup is not None else StoreDedupIndex(corpus.store)
        self.archive: WarcArchive | None = None
        self.repointed: dict[str, Link] = {}  # documents whose canonical changed during this run
        self._unsynced: set[str] = set()  # documents whose record may not yet carry their new link
        self.manifest: ManifestWriter | None = None
        if not store:
            return
        self.archive = archive if archive is not None else WarcArchive(corpus.store, self.run_id)
        if manifest is not None:
            self.manifest = manifest
        elif resume:
            self.manifest = ManifestWriter.resume(corpus.store, self.run_id, started_at)
        else:
            self.manifest = ManifestWriter(corpus.store, self.run_id)
        previous_flush = self.manifest.before_flush
        self.manifest.before_flush = lambda: self._make_durable(previous_flush)
        if resume:
            corpus.rebuild_index()  # the killed run may have stored documents its index never saw
            self.reconcile()  # and re-pointed documents in the dedup index, not in their records

    def _make_durable(self, then: Callable[[], None] | None) -> None:
        """Before a manifest flush: the WARC records and the dedup entries its lines name."""
        if self.archive is not None:
            self.archive.flush()
        self.dedup.flush()
        if then is not None:
            then()

    # ------------------------------------------------------------ entry points

    @property
    def archives_records(self) -> bool:
        """Whether builds for this journey should make the WARC records (`build(..., warc=True)`) for it to append."""
        return isinstance(self.archive, WarcArchive)

    def already_recorded(self, url: str) -> bool:
        return self.manifest is not None and self.manifest.has_recorded(url)

    def ingest(self, exchange: Exchange, **options: Any) -> Outcome:
        """Build the document of `exchange` here and now, then take it through the store steps."""
        if self.already_recorded(exchange.url):
            return Outcome(exchange.url, Verdict.SKIPPED, Reason.ALREADY_RECORDED)
        try:
            built = build(exchange, **options)
        except Rejected as rejected:
            return self.reject(exchange.url, rejected, size=exchange.size)
        except Exception as exc:  # a bug must cost one URL, recorded, not the run
            return self.crashed(exchange.url, exc, size=exchange.size)
        return self.accept(exchange, built)

    def accept(self, exchange: Exchange, built: Built) -> Outcome:
        """Take a built document through STORE_STEPS and record how its journey ended."""
        state = _Storing(exchange, built, built.doc)
        for step in STORE_STEPS:
            ended = step(self, state)
            if ended is not None:
                return self.record(ended, exchange.size)
        raise AssertionError("the last store step always ends the journey")

    def reject(self, url: str, rejected: Rejected, *, size: int | None = None) -> Outcome:
        """Record a fetched resource that is not a document; `size` is the bytes fetched for it."""
        return self.record(rejected_outcome(url, rejected), size)

    def crashed(self, url: str, exc: BaseException, *, size: int | None = None) -> Outcome:
        """Record a URL whose processing raised an unexpected error (logged with its traceback)."""
        log.error("processing %s failed", url, exc_info=exc)
        return self.reject(url, Rejected(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"), size=size)

    def fail(self, url: str, reason: str, detail: str | None = None) -> Outcome:
        """Record a URL that never produced a usable response (network error, HTTP error, robots.txt)."""
        return self.record(Outcome(url, verdict_of(reason), reason, detail))

    def not_modified(self, url: str) -> Outcome:
        """The server answered 304 to our conditional GET: the stored document still holds."""
        previous = self.corpus.get(document_id(url))
        if previous is None:
            return self.record(Outcome(url, Verdict.FAILED, "http_304", "304 Not Modified for a URL we never stored"))
        if previous.run_id == self.run_id and self.store:
            return self.record(self._own(previous))  # stored by this run before it was killed
        return self.record(Outcome(url, Verdict.UNCHANGED, Reason.NOT_MODIFIED, document=previous))

    # ------------------------------------------------------------ the steps

    def _seen(self, state: _Storing) -> Outcome | None:
        """A document this run stored before it was killed counts as stored, once; an unchanged one as unchanged."""
        state.previous = self.corpus.get(state.doc.id)
        previous = state.previous
        if previous is None or previous.content_sha256 != state.doc.content_sha256:
            return None
        if previous.run_id == self.run_id and self.store:
            return self._own(previous, state.exchange)
        return Outcome(state.doc.url, Verdict.UNCHANGED, document=previous)

    def _versioned(self, state: _Storing) -> Outcome | None:
        """This run's version of the document: its number, validators for the next conditional GET, headers."""
        previous, fetched = state.previous, state.exchange.fetched
        state.doc = replace(
            state.doc,
            run_id=self.run_id,
            version=previous.version + 1 if previous else 1,
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
            raw_headers=dict(fetched.headers),
            source=state.exchange.source,
        )
        return None

    def _archived(self, state: _Storing) -> Outcome | None:
        """The responses the document was built from, as WARC records (durable before the manifest line)."""
        if self.archive is not None:
            state.doc = replace(state.doc, warc_records=self._archive(state.exchange, state.built.warc))
        return None

    def _deduplicated(self, state: _Storing) -> Outcome | None:
        """Linked to its canonical; the documents the addition re-pointed are noted for rewriting."""
        state.doc = self._link(state.doc, state.built.rank, state.built.fingerprint)
        return None

    def _link(self, doc: Document, rank: tuple[Any, ...], fp: Fingerprint | None) -> Document:
        own, *moved = self.dedup.add(Candidate(doc.id, doc.text, rank), fp)
        for link in moved:
            self.repointed[link.doc_id] = link
            self._unsynced.add(link.doc_id)
        return _linked(doc, own)

    def _written(self, state: _Storing) -> Outcome:
        """The record (the earlier version to history/), then the records the dedup addition re-pointed."""
        doc, previous = state.doc, state.previous
        if self.store:
            replaces = previous if previous is not None and previous.content_sha256 != doc.content_sha256 else None
            self.corpus.put(doc, replaces=replaces)
            self._sync_records()
        return Outcome(doc.url, Verdict.DUPLICATE if doc.duplicate_of else Verdict.STORED, document=doc)

    # ------------------------------------------------------------ recording

    def record(self, outcome: Outcome, size: int | None = None) -> Outcome:
        """The URL's manifest line (once per run; `size`: bytes fetched for it)."""
        if self.manifest is not None and not self.already_recorded(outcome.url):
            fields = outcome.manifest_fields()
            if size is not None:
                fields["bytes"] = size
            self.manifest.record(outcome.url, outcome.outcome, **fields)
        return outcome

    def checkpoint(self) -> None:
        """Make everything recorded so far durable, leaving the run open to be resumed."""
        if self.manifest is not None:
            self._sync_records()
            self.manifest.flush()
            self.corpus.write_index()

    def close(self, stats: dict[str, Any] | None = None) -> str | None:
        """Write the dedup index, the corpus index and the run's manifest; return the manifest key."""
        if self.manifest is None:
            return None
        self._sync_records()
        self._make_durable(None)
        self.corpus.write_index()
        return self.manifest.close(stats, amend=self._amend)

    # ------------------------------------------------------------ resumed runs and re-pointing

    def reconcile(self) -> int:
        """Rewrite the records whose duplicate_of differs from the dedup index's link; return how many.

        A process killed between adding a document to the dedup index and re-pointing the documents
        that addition moved leaves records behind the index (which is the truth: it was durable
        first). Reads the corpus index, so call it after `Corpus.rebuild_index`.
        """
        fixed = 0
        for entry in self.corpus.entries():
            link = self._current_link(entry["id"])
            if link is None or (entry.get("duplicate_of"), entry.get("duplicate_relation")) == (link.duplicate_of, link.relation):
                continue
            doc = self.corpus.get(entry["id"])
            if doc is not None:
                self.corpus.put(_linked(doc, link))
                self.repointed[doc.id] = link
                fixed += 1
        if fixed:
            log.info("re-pointed %d documents at the canonical the dedup index gives them", fixed)
        return fixed

    def _own(self, previous: Document, exchange: Exchange | None = None) -> Outcome:
        """A document this very run stored before it was killed: it counts as stored (or duplicate), once.

        Its WARC records may have been in a file the kill never stored: they are written again.
        """
        current = previous
        if exchange is not None and self.archive is not None:
            current = replace(current, warc_records=self._archive(exchange))
        current = self._link(current, rank_for_document(current), None)
        if current != previous:
            self.corpus.put(current)
        self._sync_records()
        return Outcome(previous.url, Verdict.DUPLICATE if current.duplicate_of else Verdict.STORED, document=current)

    def _archive(self, exchange: Exchange, prepared: tuple[PreparedRecords, ...] = ()) -> list[dict[str, Any]]:
        """Write the exchange's responses to the archive: the records the build made, else made here."""
        assert self.archive is not None
        if prepared:
            return [self.archive.append(records).to_dict() for records in prepared]
        return [self.archive.write(fetched, role).to_dict() for fetched, role in exchange.responses()]

    def _current_link(self, doc_id: str) -> Link | None:
        try:
            return self.dedup.link(doc_id)
        except KeyError:
            return None

    def _sync_records(self) -> None:
        """Give every re-pointed document's record the link the dedup index has for it now."""
        for doc_id in sorted(self._unsynced):
            other = self.corpus.get(doc_id)
            link = self._current_link(doc_id)
            if other is not None and link is not None and (
                (other.duplicate_of, other.duplicate_relation, other.duplicate_similarity)
                != (link.duplicate_of, link.relation, link.similarity)
            ):
                self.corpus.put(_linked(other, link))
            self._unsynced.discard(doc_id)

    def _amend(self, line: dict[str, Any]) -> dict[str, Any]:
        """A line as it reads once the run is over: its document's final canonical, as the dedup index has it.

        The index, not this process's memory: lines flushed by a process killed earlier in the run
        name documents that may have been re-pointed since (or before the kill, by that process).
        """
        doc_id = line.get("id")
        if not doc_id or line["outcome"] not in (Verdict.STORED, Verdict.DUPLICATE, Verdict.UNCHANGED):
            return line
        link = self._current_link(doc_id) or self.repointed.get(doc_id)
        if link is None:
            return line
        line = {key: value for key, value in line.items() if key != "duplicate_of"}
        if link.duplicate_of:
            line["duplicate_of"] = link.duplicate_of
        if line["outcome"] == Verdict.UNCHANGED:
            return line
        return {**line, "outcome": Verdict.DUPLICATE if link.duplicate_of else Verdict.STORED}


def _linked(doc: Document, link: Link) -> Document:
    return replace(doc, duplicate_of=link.duplicate_of, duplicate_relation=link.relation, duplicate_similarity=link.similarity)


STORE_STEPS: Final[tuple[Callable[[Journey, _Storing], Outcome | None], ...]] = (
    Journey._seen,
    Journey._versioned,
    Journey._archived,
    Journey._deduplicated,
    Journey._written,
)
