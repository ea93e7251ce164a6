"""One fetched resource in, one outcome out: build, check for duplicates, store, record.

The crawler's pipeline and the `fetch` command both go through `Ingestor`, so a crawl and
an on-demand fetch treat a URL the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cleaners.document import Document, Fetched, Rejected, document_id
from cleaners.pipeline import build_document
from storage.corpus import Corpus
from storage.dedup_exact import ExactDedup
from storage.manifest import ManifestWriter, new_run_id


def is_report(title: str | None, text: str, keywords: tuple[str, ...]) -> bool:
    """The title names a report kind; without a title, the opening lines must."""
    haystack = title or text[:200]
    return any(keyword in haystack for keyword in keywords)


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
        "robots_txt",
        "sitemap",
        "feed",
        "continuation",
        "stub_page",
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
        return fields


class Ingestor:
    """Turns fetched resources and fetch failures into stored documents and manifest lines.

    With `resume=True` the run `run_id` continues where a killed process left it: URLs it
    already recorded are not recorded again, and documents it had stored count as stored.
    """

    def __init__(self, corpus: Corpus, *, store: bool = True, run_id: str | None = None, resume: bool = False) -> None:
        self.corpus = corpus
        self.store = store
        self.run_id = run_id or new_run_id()
        self.dedup = ExactDedup(corpus.store)
        self.manifest: ManifestWriter | None = None
        if store:
            self.manifest = ManifestWriter.resume(corpus.store, self.run_id) if resume else ManifestWriter(corpus.store, self.run_id)
            if resume:
                corpus.rebuild_index()  # the killed run may have stored documents its index never saw

    def already_recorded(self, url: str) -> bool:
        return self.manifest is not None and url in self.manifest.recorded

    def ingest(
        self,
        fetched: Fetched,
        *,
        continuation: tuple[Fetched, ...] = (),
        parent: Fetched | None = None,
        report_keywords: tuple[str, ...] = (),
    ) -> Outcome:
        """Build the document of `fetched` (plus the later pages of a split article) and store it.

        `parent` is the article page that linked an attachment; `report_keywords`, when given,
        is the source's report filter: a document whose title names none of them is skipped.
        """
        if self.already_recorded(fetched.url):
            return Outcome(fetched.url, "skipped", "already_recorded")
        try:
            doc = build_document(fetched, continuation=continuation, parent=parent)
            if report_keywords and not is_report(doc.title, doc.text, report_keywords):
                raise Rejected("not_report", f"title {doc.title!r} names none of the report keywords")
        except Rejected as rejected:
            outcome = "skipped" if rejected.reason in SKIP_REASONS else "failed"
            return self._record(Outcome(fetched.url, outcome, rejected.reason, rejected.detail or None))
        return self._record(self._store(doc, fetched))

    def fail(self, url: str, reason: str, detail: str | None = None, *, skipped: bool = False) -> Outcome:
        """Record a URL that never produced a usable response (network error, HTTP error, robots.txt)."""
        return self._record(Outcome(url, "skipped" if skipped else "failed", reason, detail))

    def not_modified(self, url: str) -> Outcome:
        """The server answered 304 to our conditional GET: the stored document still holds."""
        previous = self.corpus.get(document_id(url))
        if previous is None:
            return self._record(Outcome(url, "failed", "http_304", "304 Not Modified for a URL we never stored"))
        return self._record(Outcome(url, "unchanged", "not_modified", document=previous))

    def _store(self, doc: Document, fetched: Fetched) -> Outcome:
        previous = self.corpus.get(doc.id)
        if previous is not None and previous.content_sha256 == doc.content_sha256:
            if previous.run_id == self.run_id:
                # Stored by this very run before it was killed: it counts as stored, once.
                self._register(previous)
                return Outcome(doc.url, "duplicate" if previous.duplicate_of else "stored", document=previous)
            return Outcome(doc.url, "unchanged", document=previous)
        doc = replace(
            doc,
            run_id=self.run_id,
            version=previous.version + 1 if previous else 1,
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
        )
        canonical = self.dedup.canonical_for(doc.content_sha256)
        if canonical is not None and canonical != doc.id:
            doc = replace(doc, duplicate_of=canonical, duplicate_relation="exact", duplicate_similarity=1.0)
        if self.store:
            # Raw bytes, then the record, then the dedup entry: each step is durable before the
            # next, and the manifest line is written only after all of them.
            self.corpus.put_raw(doc.raw_sha256, fetched.body, fetched.headers)
            self.corpus.put(doc, replaces=previous)
            self._register(doc)
        return Outcome(doc.url, "duplicate" if doc.duplicate_of else "stored", document=doc)

    def _register(self, doc: Document) -> None:
        if doc.duplicate_of is None:
            self.dedup.add(doc.content_sha256, doc.id)

    def _record(self, outcome: Outcome) -> Outcome:
        if self.manifest is not None and not self.already_recorded(outcome.url):
            self.manifest.record(outcome.url, outcome.outcome, **outcome.manifest_fields())
        return outcome

    def checkpoint(self) -> None:
        """Make everything recorded so far durable, leaving the run open to be resumed."""
        if self.manifest is not None:
            self.manifest.flush()
            self.corpus.write_index()

    def close(self, stats: dict[str, Any] | None = None) -> str | None:
        """Write the index and the run's manifest; return the manifest key."""
        if self.manifest is None:
            return None
        self.corpus.write_index()
        return self.manifest.close(stats)
