"""One fetched resource in, one outcome out: build, check for duplicates, store, record.

The crawler's pipeline and the `fetch` command both go through `Ingestor`, so a crawl and
an on-demand fetch treat a URL the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cleaners.document import Document, Fetched, Rejected
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
        "unsupported_type",
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
            fields["content_sha256"] = self.document.content_sha256
            if self.document.duplicate_of:
                fields["duplicate_of"] = self.document.duplicate_of
        return fields


class Ingestor:
    """Turns fetched resources and fetch failures into stored documents and manifest lines."""

    def __init__(self, corpus: Corpus, *, store: bool = True, run_id: str | None = None) -> None:
        self.corpus = corpus
        self.store = store
        self.dedup = ExactDedup(corpus.store)
        self.manifest = ManifestWriter(corpus.store, run_id or new_run_id()) if store else None

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
        try:
            extra = {"continuation": continuation} if continuation else {}
            if parent is not None:
                extra["parent"] = parent
            doc = build_document(fetched, **extra)
            if report_keywords and not is_report(doc.title, doc.text, report_keywords):
                raise Rejected("not_report", f"title {doc.title!r} names none of the report keywords")
        except Rejected as rejected:
            outcome = "skipped" if rejected.reason in SKIP_REASONS else "failed"
            return self._record(Outcome(fetched.url, outcome, rejected.reason, rejected.detail or None))
        return self._record(self._store(doc, fetched))

    def fail(self, url: str, reason: str, detail: str | None = None, *, skipped: bool = False) -> Outcome:
        """Record a URL that never produced a response (network error, HTTP error, robots.txt)."""
        return self._record(Outcome(url, "skipped" if skipped else "failed", reason, detail))

    def _store(self, doc: Document, fetched: Fetched) -> Outcome:
        previous = self.corpus.get(doc.id)
        if previous is not None and previous.content_sha256 == doc.content_sha256:
            return Outcome(doc.url, "unchanged", document=previous)
        canonical = self.dedup.canonical_for(doc.content_sha256)
        if canonical is not None and canonical != doc.id:
            doc = replace(doc, duplicate_of=canonical, duplicate_relation="exact", duplicate_similarity=1.0)
        if self.store:
            # Raw bytes, then the record, then the dedup entry: each step is durable before the
            # next, and the manifest line is written only after all of them.
            self.corpus.put_raw(doc.raw_sha256, fetched.body, fetched.headers)
            self.corpus.put(doc)
            if doc.duplicate_of is None:
                self.dedup.add(doc.content_sha256, doc.id)
        return Outcome(doc.url, "duplicate" if doc.duplicate_of else "stored", document=doc)

    def _record(self, outcome: Outcome) -> Outcome:
        if self.manifest is not None:
            self.manifest.record(outcome.url, outcome.outcome, **outcome.manifest_fields())
        return outcome

    def close(self, stats: dict[str, Any] | None = None) -> str | None:
        """Write the index and the run's manifest; return the manifest key."""
        if self.manifest is None:
            return None
        self.corpus.write_index()
        return self.manifest.close(stats)

