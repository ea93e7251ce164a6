"""One fetched resource in, one outcome out: build, check for duplicates, store, record.

The crawler's pipeline and the `fetch` command both go through `Ingestor`, so a crawl and
an on-demand fetch treat a URL the same way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from cleaners.document import Document, Fetched, Rejected, document_id
from cleaners.extract import fallback_stages
from cleaners.pipeline import build_document
from storage.corpus import Corpus
from storage.dedup import (
    Candidate,
    DedupIndex,
    Fingerprint,
    Link,
    StoreDedupIndex,
    fingerprint,
    rank_for_document,
)
from storage.manifest import ManifestWriter, new_run_id

log = logging.getLogger(__name__)


def is_report_title(title: str, keywords: tuple[str, ...], exclude: tuple[str, ...] = ()) -> bool:
    """The report filter: the title names a report kind and is not news about one.

    No keywords means everything passes.
    """
    if not keywords:
        return True
    return any(keyword in title for keyword in keywords) and not any(word in title for word in exclude)


# Rejections that mean "this is not a report": recorded as skipped, not failed.
SKIP_REASONS = frozenset(
    {
        "too_short",
        "not_chinese",
        "not_report",
        "list_page",
        "login_page",
        "soft_404",
        "unsupported_type",
        "not_html",
        "binary",
        "no_text",
        "script_rendered",
        "robots_txt",
        "robots_unreachable",
        "sitemap",
        "feed",
        "continuation",
        "stub_page",
        "redirected",  # the URL redirects to one this crawl requested already: that one has its own line
    }
)


@dataclass
class Outcome:
    url: str
    outcome: str  # stored | duplicate | unchanged | skipped | failed
    reason: str | None = None
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


@dataclass(frozen=True)
class Prepared:
    """A built document, its dedup fingerprint and rank: everything CPU-bound, done before any I/O."""

    doc: Document
    fingerprint: Fingerprint
    rank: tuple


def prepare(
    fetched: Fetched,
    continuation: tuple[Fetched, ...] = (),
    parent: Fetched | None = None,
    report_keywords: tuple[str, ...] = (),
    report_exclude: tuple[str, ...] = (),
    apply_filters: bool = True,
) -> Prepared:
    """Build, filter and fingerprint the document: no I/O and picklable, so it may run in a worker process.

    `parent` is the article page that linked an attachment; `report_keywords`, when given,
    is the source's report filter: a document whose title names none of them is rejected.
    With `apply_filters` False (`fetch --no-filter`) no report filter refuses the document; the
    first that would have is named in its `filter_verdict`.
    """
    doc = build_document(fetched, continuation=continuation, parent=parent, apply_filters=apply_filters)
    # Without a title, the opening lines stand in for it.
    if not is_report_title(doc.title or doc.text[:200], report_keywords, report_exclude):
        verdict = Rejected("not_report", f"title {doc.title!r} does not name a report (source's report filter)")
        if apply_filters:
            raise verdict
        doc.filter_verdict = doc.filter_verdict or {"reason": verdict.reason, "detail": verdict.detail}
    return Prepared(doc, fingerprint(doc.text), rank_for_document(doc))


def worker_init(parent: int) -> None:
    """In a worker process that runs `prepare`: exit as soon as `parent` (the crawl) is gone.

    A crawl killed with SIGKILL cannot shut its pool down, and a worker blocked on its task
    queue would otherwise outlive it (holding the crawl's stdout open) forever. The parent's pid
    comes from the parent: read here, it would already be 1 if the crawl died while this started.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class Ingestor:
    """Turns fetched resources and fetch failures into stored documents and manifest lines.

    With `resume=True` the run `run_id` continues where a killed process left it: URLs it
    already recorded are not recorded again, and documents it had stored count as stored.
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
        started_at: str | None = None,
    ) -> None:
        """`dedup` and `manifest` replace the store's index and the run's own manifest (distributed workers
        share one index and one run id, each writing its own manifest). `started_at` is when a resumed
        run first started."""
        self.corpus = corpus
        self.store = store
        self.run_id = run_id or new_run_id()
        self.dedup: DedupIndex = dedup if dedup is not None else StoreDedupIndex(corpus.store)
        self.repointed: dict[str, Link] = {}  # documents whose canonical changed during this run
        self._unsynced: set[str] = set()  # documents whose record may not yet carry their new link
        self.manifest: ManifestWriter | None = None
        if store and manifest is not None:
            self.manifest = manifest
        elif store:
            if resume:
                self.manifest = ManifestWriter.resume(corpus.store, self.run_id, started_at)
            else:
                self.manifest = ManifestWriter(corpus.store, self.run_id)
            self.manifest.before_flush = self.dedup.flush
            if resume:
                corpus.rebuild_index()  # the killed run may have stored documents its index never saw
                self.reconcile()  # and re-pointed documents in the dedup index, not in their records

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
                self.corpus.put(self._linked(doc, link))
                self.repointed[doc.id] = link
                fixed += 1
        if fixed:
            log.info("re-pointed %d documents at the canonical the dedup index gives them", fixed)
        return fixed

    def _current_link(self, doc_id: str) -> Link | None:
        try:
            return self.dedup.link(doc_id)
        except KeyError:
            return None

    def already_recorded(self, url: str) -> bool:
        return self.manifest is not None and self.manifest.has_recorded(url)

    def ingest(
        self,
        fetched: Fetched,
        *,
        continuation: tuple[Fetched, ...] = (),
        parent: Fetched | None = None,
        report_keywords: tuple[str, ...] = (),
        report_exclude: tuple[str, ...] = (),
        apply_filters: bool = True,
    ) -> Outcome:
        """Prepare the document of `fetched` here and now, then accept it (see `prepare`)."""
        if self.already_recorded(fetched.url):
            return Outcome(fetched.url, "skipped", "already_recorded")
        size = len(fetched.body) + sum(len(part.body) for part in continuation)
        try:
            prepared = prepare(fetched, continuation, parent, report_keywords, report_exclude, apply_filters)
        except Rejected as rejected:
            return self.reject(fetched.url, rejected, size=size)
        except Exception as exc:  # a bug must cost one URL, recorded, not the run
            return self.crashed(fetched.url, exc, size=size)
        return self.accept(prepared, fetched, size=size)

    def crashed(self, url: str, exc: BaseException, *, size: int | None = None) -> Outcome:
        """Record a URL whose processing raised an unexpected error (logged with its traceback)."""
        log.error("processing %s failed", url, exc_info=exc)
        return self.reject(url, Rejected("internal_error", f"{type(exc).__name__}: {exc}"), size=size)

    def reject(self, url: str, rejected: Rejected, *, size: int | None = None) -> Outcome:
        """Record a fetched resource that is not a document; `size` is the bytes fetched for it."""
        outcome = "skipped" if rejected.reason in SKIP_REASONS else "failed"
        return self._record(Outcome(url, outcome, rejected.reason, rejected.detail or None), size)

    def accept(self, prepared: Prepared, fetched: Fetched, *, size: int | None = None) -> Outcome:
        """Check a prepared document for duplicates, store it and record the outcome."""
        size = len(fetched.body) if size is None else size
        return self._record(self._store(prepared.doc, fetched, prepared.fingerprint, prepared.rank), size)

    def fail(self, url: str, reason: str, detail: str | None = None, *, skipped: bool = False) -> Outcome:
        """Record a URL that never produced a usable response (network error, HTTP error, robots.txt)."""
        return self._record(Outcome(url, "skipped" if skipped else "failed", reason, detail))

    def not_modified(self, url: str) -> Outcome:
        """The server answered 304 to our conditional GET: the stored document still holds."""
        previous = self.corpus.get(document_id(url))
        if previous is None:
            return self._record(Outcome(url, "failed", "http_304", "304 Not Modified for a URL we never stored"))
        if previous.run_id == self.run_id and self.store:
            return self._record(self._own(previous))  # stored by this run before it was killed
        return self._record(Outcome(url, "unchanged", "not_modified", document=previous))

    def _own(self, previous: Document) -> Outcome:
        """A document this very run stored before it was killed: it counts as stored (or duplicate), once."""
        current = self._link(previous, previous)
        return Outcome(previous.url, "duplicate" if current.duplicate_of else "stored", document=current)

    def _store(self, doc: Document, fetched: Fetched, fp: Fingerprint | None = None, rank: tuple | None = None) -> Outcome:
        previous = self.corpus.get(doc.id)
        if previous is not None and previous.content_sha256 == doc.content_sha256:
            if previous.run_id == self.run_id and self.store:
                return self._own(previous)
            return Outcome(doc.url, "unchanged", document=previous)
        doc = replace(
            doc,
            run_id=self.run_id,
            version=previous.version + 1 if previous else 1,
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
            raw_headers=dict(fetched.headers),
        )
        if self.store:
            # Raw bytes, then the record, then the dedup entry (durable at the latest when the
            # manifest next flushes): the manifest line comes after all of them.
            self.corpus.put_raw(doc.raw_sha256, fetched.body)
            doc = self._link(doc, previous, fp, rank)
        else:
            doc = self._linked(doc, self.dedup.add(self._candidate(doc, rank), fp)[0])
        return Outcome(doc.url, "duplicate" if doc.duplicate_of else "stored", document=doc)

    @staticmethod
    def _candidate(doc: Document, rank: tuple | None = None) -> Candidate:
        return Candidate(doc.id, doc.text, rank if rank is not None else rank_for_document(doc))

    @staticmethod
    def _linked(doc: Document, link: Link) -> Document:
        return replace(
            doc, duplicate_of=link.duplicate_of, duplicate_relation=link.relation, duplicate_similarity=link.similarity
        )

    def _link(self, doc: Document, previous: Document | None, fp: Fingerprint | None = None, rank: tuple | None = None) -> Document:
        """Add `doc` to the dedup index, store it with its link, and re-point what the index moved."""
        own, *moved = self.dedup.add(self._candidate(doc, rank), fp)
        doc = self._linked(doc, own)
        for link in moved:
            self.repointed[link.doc_id] = link
            self._unsynced.add(link.doc_id)
        self.corpus.put(doc, replaces=previous if previous is not None and previous.content_sha256 != doc.content_sha256 else None)
        self._sync_records()
        return doc

    def _sync_records(self) -> None:
        """Give every re-pointed document's record the link the dedup index has for it now."""
        for doc_id in sorted(self._unsynced):
            other = self.corpus.get(doc_id)
            link = self._current_link(doc_id)
            if other is not None and link is not None:
                if (other.duplicate_of, other.duplicate_relation, other.duplicate_similarity) != (
                    link.duplicate_of, link.relation, link.similarity
                ):  # fmt: skip
                    self.corpus.put(self._linked(other, link))
            self._unsynced.discard(doc_id)

    def _record(self, outcome: Outcome, size: int | None = None) -> Outcome:
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

    def _amend(self, line: dict[str, Any]) -> dict[str, Any]:
        """A line as it reads once the run is over: its document's final canonical, as the dedup index has it.

        The index, not this process's memory: lines flushed by a process killed earlier in the run
        name documents that may have been re-pointed since (or before the kill, by that process).
        """
        doc_id = line.get("id")
        if not doc_id or line["outcome"] not in ("stored", "duplicate", "unchanged"):
            return line
        link = self._current_link(doc_id) or self.repointed.get(doc_id)
        if link is None:
            return line
        line = {key: value for key, value in line.items() if key != "duplicate_of"}
        if link.duplicate_of:
            line["duplicate_of"] = link.duplicate_of
        if line["outcome"] == "unchanged":
            return line
        return {**line, "outcome": "duplicate" if link.duplicate_of else "stored"}

    def close(self, stats: dict[str, Any] | None = None) -> str | None:
        """Write the dedup index, the corpus index and the run's manifest; return the manifest key."""
        if self.manifest is None:
            return None
        self._sync_records()
        self.dedup.flush()
        self.corpus.write_index()
        return self.manifest.close(stats, amend=self._amend)
