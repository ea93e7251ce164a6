"""Re-cleaning offline: every stored document rebuilt from its raw responses with the current cleaners.

`govcorpus reclean` reads the responses a document was built from out of the store's WARC archive
(`Document.warc_records`: the page, its continuation pages, the page that linked an attachment), or,
for documents stored before the archive existed, the body kept under `raw/<sha256>` with the
response headers kept beside it. Nothing is fetched. Each document then takes the same build steps
a crawl runs (`storage.journey.build`: decode → extract → clean → filter → fingerprint) and ends as
one manifest line of the reclean run:

  stored / duplicate   the text changed: a new version is written (the old one goes to history/)
  unchanged            the same text (a changed title or metadata is written into the record in place)
  skipped / failed     the current cleaners refuse the page (the reason of the vocabulary); the stored
                       version is kept: re-cleaning never deletes a document
  failed: no_raw       neither a WARC record nor raw/ holds the document's bytes

When any text changed, the dedup index is rebuilt from every document's current text at the end
(`storage.check.rebuild_dedup`) and records and lines are re-pointed at the canonical it gives them.
A reclean run is a job like a crawl: killed, it is resumed by the same command to the same result.
The source's report filter (title keywords, crawl policy) is not applied again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cleaners.document import Document, Fetched, Rejected
from cleaners.ocr_options import DEFAULT_OCR, OcrOptions
from cleaners.reasons import Reason, Verdict
from storage.building import Built, Exchange, build
from storage.check import rebuild_dedup
from storage.corpus import Corpus
from storage.dedup import StoreDedupIndex
from storage.journey import Outcome, rejected_outcome
from storage.listing import list_documents
from storage.manifest import ManifestWriter
from storage.runs import begin_run, end_run, has_open_run, job_name
from storage.warc import WarcRef, read_response

log = logging.getLogger(__name__)

RECLEAN_JOB = "reclean"


@dataclass
class RecleanResult:
    """What a reclean run did: its id and manifest key, lines per outcome, and how many it rebuilt."""

    run_id: str
    manifest: str
    counts: dict[str, int] = field(default_factory=dict)
    documents: int = 0  # documents the selection held
    resumed: bool = False
    dedup: str | None = None  # what rebuilding the dedup index did, when it was rebuilt


class _WarcFiles:
    """The bytes of the WARC file read last: documents are visited in file order, so each file is read once."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._key: str | None = None
        self._data = b""

    def response(self, ref: WarcRef) -> Fetched:
        if ref.file != self._key:
            self._data, self._key = self.corpus.store.get(ref.file), ref.file
        return read_response(self.corpus.store, ref, self._data)


def exchange_of(doc: Document, warc: _WarcFiles) -> Exchange:
    """The responses `doc` was built from, as the crawl handed them over. Rejected(no_raw) when they are gone."""
    refs = [WarcRef.from_dict(ref) for ref in doc.warc_records]
    try:
        by_role: dict[str, list[Fetched]] = {}
        for ref in refs:
            by_role.setdefault(ref.role, []).append(warc.response(ref))
        if "document" in by_role:
            parents = by_role.get("parent", [])
            return Exchange(
                by_role["document"][0],
                continuation=tuple(by_role.get("continuation", ())),
                parent=parents[0] if parents else None,
                source=doc.source,
            )
        body = warc.corpus.get_raw(doc.raw_sha256)
    except (KeyError, ValueError) as exc:
        raise Rejected(Reason.NO_RAW, f"the raw bytes of {doc.id} are gone ({type(exc).__name__}: {exc}); fetch it again") from None
    headers = doc.raw_headers or ({"content-type": "application/octet-stream"} if doc.source_type != "html" else {})
    fetched = Fetched(doc.url, doc.final_url, 200, dict(headers), body, doc.fetched_at)
    return Exchange(fetched, source=doc.source)


def _file_order(doc: Document) -> tuple[str, int, str]:
    first = doc.warc_records[0] if doc.warc_records else {}
    return (str(first.get("file", "")), int(first.get("offset", 0)), doc.id)


class UnknownSource(LookupError):
    """`reclean --source NAME` names a source no stored document comes from (a typo, most likely)."""


class NothingSelected(LookupError):
    """The selection (`--source`, `--since`) holds no stored document: no run is begun, nothing is written."""


def select(corpus: Corpus, *, source: str | None = None, since: str | None = None) -> list[Document]:
    """The stored documents to re-clean, in WARC file order: of crawl source `source`, fetched on or after `since`.

    `since` is an ISO 8601 date or time (UTC), compared with each document's `fetched_at`.
    """
    chosen = []
    for entry in list_documents(corpus).entries:  # StoreDamaged when the index lost documents: check --repair
        if since and str(entry.get("fetched_at") or "") < since:
            continue
        doc = corpus.get(entry["id"])
        if doc is None or (source is not None and doc.source != source):
            continue
        chosen.append(doc)
    return sorted(chosen, key=_file_order)


class Reclean:
    """One reclean run over `documents`: build, compare with the stored version, write, record.

    `build_options` go to `storage.journey.build` (the OCR bounds); `progress(done, total)` is
    called after each document.
    """

    def __init__(
        self,
        corpus: Corpus,
        run_id: str,
        *,
        resumed: bool = False,
        started_at: str | None = None,
        build_options: dict[str, Any] | None = None,
    ) -> None:
        self.corpus = corpus
        self.run_id = run_id
        self.options = build_options or {}
        self.manifest = ManifestWriter.resume(corpus.store, run_id, started_at) if resumed else ManifestWriter(corpus.store, run_id)
        if resumed:
            corpus.rebuild_index()  # the killed process may have stored versions its index never saw
        self.warc = _WarcFiles(corpus)
        self.resumed = resumed
        self.new_versions = 0  # written by this run (by this process, or by the one a kill stopped)

    def run(self, documents: list[Document], progress: Callable[[int, int], None] | None = None) -> str | None:
        """Re-clean every document; returns what rebuilding the dedup index did (None: no text changed)."""
        for done, doc in enumerate(documents, 1):
            if not self.manifest.has_recorded(doc.url):
                self._record(self._reclean(doc))
            if progress is not None:
                progress(done, len(documents))
        if self.resumed and not self.new_versions:  # the killed process may have recorded them all already
            current = (self.corpus.get(selected.id) for selected in documents)
            self.new_versions = sum(1 for record in current if record is not None and record.run_id == self.run_id)
        dedup = None
        if self.new_versions:
            self.manifest.flush()
            self.corpus.write_index()
            dedup = rebuild_dedup(self.corpus.store, self.corpus)
        self.corpus.write_index()
        return dedup

    def close(self, stats: dict[str, Any]) -> str:
        """Join the run's manifest, each line's outcome amended to the dedup index's final link."""
        index = StoreDedupIndex(self.corpus.store)

        def amend(line: dict[str, Any]) -> dict[str, Any]:
            doc_id = line.get("id")
            if line["outcome"] not in (Verdict.STORED, Verdict.DUPLICATE) or doc_id is None or doc_id not in index:
                return line
            link = index.link(doc_id)
            line = {key: value for key, value in line.items() if key != "duplicate_of"}
            if link.duplicate_of:
                line["duplicate_of"] = link.duplicate_of
            return {**line, "outcome": Verdict.DUPLICATE if link.duplicate_of else Verdict.STORED}

        return self.manifest.close(stats, amend=amend)

    def _record(self, outcome: Outcome) -> None:
        self.manifest.record(outcome.url, outcome.outcome, **outcome.manifest_fields())

    def _reclean(self, previous: Document) -> Outcome:
        try:
            built = build(exchange_of(previous, self.warc), **self.options)
        except Rejected as rejected:
            if rejected.reason != Reason.NO_RAW:
                rejected = Rejected(rejected.reason, f"{rejected.detail}; the stored version is kept".lstrip("; "))
            return rejected_outcome(previous.url, rejected)
        except Exception as exc:  # a cleaner's bug costs one document, recorded, not the run
            log.error("re-cleaning %s failed", previous.url, exc_info=exc)
            return Outcome(previous.url, Verdict.FAILED, Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        if previous.run_id == self.run_id:  # written by this run before it was killed
            self.new_versions += 1
            return Outcome(previous.url, Verdict.STORED, document=previous)
        if built.doc.content_sha256 == previous.content_sha256:
            return self._same_text(previous, built)
        doc = replace(
            built.doc,
            run_id=self.run_id,
            version=previous.version + 1,
            etag=previous.etag,
            last_modified=previous.last_modified,
            raw_headers=previous.raw_headers,
            warc_records=previous.warc_records,
            source=previous.source,
            duplicate_of=previous.duplicate_of,  # until the dedup index is rebuilt at the end of the run
            duplicate_relation=previous.duplicate_relation,
            duplicate_similarity=previous.duplicate_similarity,
        )
        self.corpus.put(doc, replaces=previous)
        self.new_versions += 1
        return Outcome(doc.url, Verdict.STORED, document=doc)

    def _same_text(self, previous: Document, built: Built) -> Outcome:
        fresh = built.doc
        if (fresh.title, fresh.metadata, fresh.published) == (previous.title, previous.metadata, previous.published):
            return Outcome(previous.url, Verdict.UNCHANGED, document=previous)
        doc = replace(previous, title=fresh.title, metadata=fresh.metadata, published=fresh.published)
        self.corpus.put(doc)
        return Outcome(previous.url, Verdict.UNCHANGED, detail="title or metadata updated", document=doc)


def reclean(
    corpus: Corpus,
    *,
    source: str | None = None,
    since: str | None = None,
    ocr: OcrOptions = DEFAULT_OCR,
    progress: Callable[[int, int], None] | None = None,
) -> RecleanResult:
    """Re-clean the selected documents of `corpus` (see the module docstring); the caller holds the store's lease.

    Returns the run's result; raises StoreDamaged when the store cannot be read as a corpus, and,
    before anything is written, UnknownSource when no stored document comes from `source` and
    NothingSelected when the selection holds no document (unless a killed run of it is to be resumed).
    """
    began = time.monotonic()
    documents = select(corpus, source=source, since=since)
    if source is not None and not documents and not select(corpus, source=source):
        known = sorted({doc.source for entry in corpus.entries() if (doc := corpus.get(entry["id"])) and doc.source})
        raise UnknownSource(f"no stored document comes from source {source!r}; the store's sources: {', '.join(known) or 'none'}")
    selection = [f"source={source}"] if source else []
    selection += [f"since={since}"] if since else []
    job = job_name([RECLEAN_JOB, *selection])  # the same command resumes its killed run
    if not documents and not has_open_run(corpus.store, job):
        chosen = " and ".join(([f"from source {source!r}"] if source else []) + ([f"fetched on or after {since}"] if since else []))
        raise NothingSelected(f"no stored document {chosen}" if chosen else f"{corpus.uri} holds no document")
    start = begin_run(corpus.store, job)
    run = Reclean(corpus, start.run_id, resumed=start.resumed, started_at=start.started_at, build_options={"ocr": ocr})
    dedup = run.run(documents, progress)
    stats = {"command": "reclean", "documents": len(documents), **({"dedup": dedup} if dedup else {})}
    key = run.close({**stats, "duration_s": round(time.monotonic() - began, 3)})  # this process's, as a crawl's
    end_run(corpus.store, job)
    return RecleanResult(start.run_id, key, dict(run.manifest.counts), len(documents), start.resumed, dedup)
