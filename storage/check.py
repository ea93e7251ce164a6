"""`govcorpus check`: verify a store's derived parts against its documents, and rebuild what is derivable.

The documents (`documents/<id>.json`) are the truth; everything else is checked against them:

- `index.jsonl` must list every document once, with the fields the record has;
- the dedup index (`dedup/index/…`) must load (contiguous segments, one entry per document), hold
  every document and nothing else, and give each document the `duplicate_of` its record has;
- each finished manifest must parse, list a URL once, name only documents that exist and end with
  stats that agree with its lines; manifest parts must belong to an open run (`runs/active/`);
- each document's `duplicate_of` must name an existing canonical document, and its raw bytes exist:
  every WARC record a document names is read back from its file and offset (each file read once).

Documents of an open run (killed, or still going) may be missing from the indexes: that is in flight,
not damage, and resuming the run completes it. `repair_store` rebuilds `index.jsonl` from the
documents, the dedup index from the documents' fingerprints (re-pointing records at the canonical it
gives), joins orphan manifest parts into manifests, rewrites damaged manifests from their readable
lines, and moves unreadable document records to `damaged/` (their URLs are fetched again by the next
crawl). Raw bytes and documents that are gone, and WARC records that cannot be read, cannot be
rebuilt: those problems remain.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from cleaners.document import Document
from storage.backends import ObjectStore, StoreDamaged
from storage.corpus import INDEX_KEY, Corpus, index_entry, parse_index
from storage.dedup import Candidate, StoreDedupIndex, fingerprint, rank_for_document
from storage.lease import LEASE_KEY, Holder
from storage.manifest import (
    MANIFEST_PREFIX,
    OUTCOMES,
    line_stats,
    utc_now,
)
from storage.runs import ACTIVE_PREFIX, finish_cleanup
from storage.warc import WARC_PREFIX, WarcRef, record_problem

log = logging.getLogger(__name__)

DAMAGED_PREFIX = "damaged/"

# Problem kinds: a stable code, whether repair_store can fix it, and how a count of them reads.
KINDS: dict[str, tuple[bool, str]] = {
    "document_unreadable": (True, "document records that are not readable JSON documents"),
    "raw_missing": (False, "documents whose raw bytes (raw/… or their WARC file) are missing"),
    "warc_record_unreadable": (False, "documents whose WARC record cannot be read back: its file is cut short or damaged at its offset"),
    "duplicate_of_dangling": (True, "documents whose duplicate_of names a missing or non-canonical document"),
    "index_unreadable": (True, "index.jsonl cannot be read"),
    "index_missing_documents": (True, "documents missing from index.jsonl"),
    "index_orphan_entries": (True, "index.jsonl entries without a document"),
    "index_stale_entries": (True, "index.jsonl entries that differ from their document"),
    "dedup_unreadable": (True, "the dedup index cannot be loaded"),
    "dedup_missing_documents": (True, "documents missing from the dedup index"),
    "dedup_orphan_entries": (True, "dedup index entries without a document"),
    "duplicate_of_disagrees": (True, "documents whose duplicate_of differs from the dedup index's link"),
    "manifest_unreadable": (True, "manifests or manifest parts with unreadable lines"),
    "manifest_without_stats": (True, "manifests without a closing stats line"),
    "manifest_duplicate_urls": (True, "manifests listing a URL more than once"),
    "manifest_counts_disagree": (True, "manifests whose stats disagree with their lines"),
    "manifest_names_missing_documents": (False, "manifest lines naming a document that does not exist"),
    "orphan_manifest_parts": (True, "runs with manifest parts but no open run or manifest"),
    "manifest_parts_left_over": (True, "finished runs whose manifest parts were not deleted"),
    "active_run_unreadable": (True, "unreadable open-run records (runs/active/)"),
    "active_run_finished": (True, "open-run records of runs whose manifest is written"),
    "lease_unreadable": (True, "lock.json is not a lease record"),
}
# What a problem that --repair cannot rebuild leaves behind, for the kinds where that is known.
NOT_REBUILT: dict[str, str] = {
    "raw_missing": "the documents keep their text, but `reclean` fails them with no_raw",
    "warc_record_unreadable": "the documents keep their text, but `reclean` fails them with no_raw",
}


@dataclass
class Problem:
    """`count` findings of one kind; `example` names one of them."""

    kind: str
    count: int
    example: str

    @property
    def repairable(self) -> bool:
        return KINDS[self.kind][0]

    def line(self) -> str:
        consequence = f": {NOT_REBUILT[self.kind]}" if self.kind in NOT_REBUILT else ""
        how = "" if self.repairable else f" (cannot be rebuilt{consequence})"
        return f"{self.kind}: {self.count} {KINDS[self.kind][1]}{how}, e.g. {self.example}"


@dataclass
class Report:
    """What `check_store` found: problems by kind, and facts about the store."""

    uri: str
    documents: int = 0
    manifests: int = 0
    open_runs: list[str] = field(default_factory=list)
    set_aside: int = 0  # unreadable records a repair moved to damaged/
    holder: Holder | None = None
    problems: dict[str, Problem] = field(default_factory=dict)

    def add(self, kind: str, example: str, count: int = 1) -> None:
        problem = self.problems.get(kind)
        if problem is None:
            self.problems[kind] = Problem(kind, count, example)
        else:
            problem.count += count

    @property
    def clean(self) -> bool:
        return not self.problems

    def has(self, *kinds: str) -> bool:
        return any(kind in self.problems for kind in kinds)


@dataclass
class _Record:
    """What the check keeps of one document (not its text)."""

    doc: Document
    entry: dict[str, Any]


def check_store(store: ObjectStore) -> Report:
    """Verify `store` (read-only); raises only StoreError for a store that cannot be read at all."""
    report = Report(store.uri)
    _check_lease(store, report)
    records = _check_documents(store, report)
    open_runs = _check_active_runs(store, report)
    report.open_runs = sorted(open_runs)
    in_flight = {doc_id for doc_id, record in records.items() if record.doc.run_id in open_runs}
    _check_raw(store, report, records, in_flight)
    _check_index(store, report, records, in_flight)
    _check_dedup(store, report, records, in_flight)
    _check_manifests(store, report, records, open_runs)
    return report


def _check_lease(store: ObjectStore, report: Report) -> None:
    try:
        body = store.get(LEASE_KEY)
    except KeyError:
        return
    try:
        report.holder = Holder.parse(body)
    except ValueError:
        report.add("lease_unreadable", LEASE_KEY)


def _document_keys(store: ObjectStore) -> Iterator[str]:
    return (key for key in store.list("documents/") if key.count("/") == 1 and key.endswith(".json"))


def _read_document(store: ObjectStore, key: str) -> Document | None:
    try:
        doc = Document.from_dict(json.loads(store.get(key)))
    except (ValueError, TypeError, AttributeError):
        return None
    return doc if isinstance(doc.id, str) and f"documents/{doc.id}.json" == key and isinstance(doc.text, str) else None


def _check_documents(store: ObjectStore, report: Report) -> dict[str, _Record]:
    records: dict[str, _Record] = {}
    for key in _document_keys(store):
        doc = _read_document(store, key)
        if doc is None:
            report.add("document_unreadable", key)
            continue
        records[doc.id] = _Record(doc, index_entry(doc))
    report.documents = len(records)
    for doc_id, record in records.items():
        target = record.doc.duplicate_of
        if target is not None and (target not in records or records[target].doc.duplicate_of is not None):
            report.add("duplicate_of_dangling", f"documents/{doc_id}.json → {target}")
    return records


def _check_raw(store: ObjectStore, report: Report, records: dict[str, _Record], in_flight: set[str]) -> None:
    """Every document's raw bytes: its WARC records (a run still open may not have stored them yet), else raw/<sha>.

    Each WARC file that documents name is read once, and every record named in it is read back
    from its offset (what `reclean` will do): a file cut short or damaged there is
    `warc_record_unreadable`, a file that is gone `raw_missing`.
    """
    warc_files = set(store.list(WARC_PREFIX))
    raw = {key.rsplit("/", 1)[-1] for key in store.list("raw/")}
    named: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)  # WARC file → (document id, reference)
    for doc_id, record in records.items():
        doc = record.doc
        if doc.warc_records:
            if doc_id in in_flight:
                continue
            missing = sorted({ref["file"] for ref in doc.warc_records} - warc_files)
            if missing:
                report.add("raw_missing", f"documents/{doc_id}.json ({missing[0]})")
                continue
            for ref in doc.warc_records:
                named[ref["file"]].append((doc_id, ref))
        elif doc.raw_sha256 and doc.raw_sha256 not in raw:
            report.add("raw_missing", f"documents/{doc_id}.json (raw {doc.raw_sha256[:12]}…)")
    for key in sorted(named):
        try:
            blob = store.get(key)
        except KeyError:  # deleted since it was listed
            blob = b""
        unreadable: dict[str, str] = {}
        for doc_id, ref in named[key]:
            if doc_id not in unreadable:
                problem = _warc_record_problem(ref, blob)
                if problem is not None:
                    unreadable[doc_id] = f"documents/{doc_id}.json ({key}@{ref.get('offset')}: {problem})"
        for example in unreadable.values():
            report.add("warc_record_unreadable", example)


def _warc_record_problem(data: dict[str, Any], blob: bytes) -> str | None:
    """Why the record a document's `warc_records` item names cannot be read from `blob`, its file; None if it can."""
    try:
        ref = WarcRef.from_dict(data)
    except (TypeError, KeyError):
        return "not a WARC record reference"
    return record_problem(blob, ref)


def _check_active_runs(store: ObjectStore, report: Report) -> set[str]:
    runs = set()
    for key in store.list(ACTIVE_PREFIX):
        try:
            state = json.loads(store.get(key))
            run_id = str(state["run_id"])
        except (ValueError, KeyError, TypeError):
            report.add("active_run_unreadable", key)
            continue
        if store.exists(f"{MANIFEST_PREFIX}{run_id}.jsonl"):
            report.add("active_run_finished", key)
        else:
            runs.add(run_id)
    return runs


def _check_index(store: ObjectStore, report: Report, records: dict[str, _Record], in_flight: set[str]) -> None:
    try:
        body = store.get(INDEX_KEY)
    except KeyError:
        body = b""
    try:
        entries = parse_index(body, store.uri)
    except StoreDamaged as exc:
        report.add("index_unreadable", exc.detail)
        return
    indexed: dict[str, dict[str, Any]] = {}
    entry: dict[str, Any] | None
    for entry in entries:
        if entry["id"] in indexed:
            report.add("index_stale_entries", f"{entry['id']} listed twice")
        indexed[entry["id"]] = entry
    for doc_id, record in records.items():
        entry = indexed.get(doc_id)
        if entry is None:
            if doc_id not in in_flight:
                report.add("index_missing_documents", doc_id)
        elif entry != record.entry and doc_id not in in_flight:
            changed = sorted(name for name in record.entry if entry.get(name) != record.entry[name])
            report.add("index_stale_entries", f"{doc_id} ({', '.join(changed) or 'extra fields'})")
    for doc_id in indexed.keys() - records.keys():
        report.add("index_orphan_entries", doc_id)


def _check_dedup(store: ObjectStore, report: Report, records: dict[str, _Record], in_flight: set[str]) -> None:
    try:
        index = StoreDedupIndex(store)
    except StoreDamaged as exc:
        report.add("dedup_unreadable", exc.detail)
        return
    for doc_id, record in records.items():
        if doc_id not in index:
            if doc_id not in in_flight:
                report.add("dedup_missing_documents", doc_id)
            continue
        link = index.link(doc_id)
        if (record.doc.duplicate_of, record.doc.duplicate_relation) != (link.duplicate_of, link.relation) and doc_id not in in_flight:
            report.add("duplicate_of_disagrees", f"{doc_id}: record says {record.doc.duplicate_of}, index says {link.duplicate_of}")
    for link in index.links():
        if link.doc_id not in records:
            report.add("dedup_orphan_entries", link.doc_id)


def _manifest_groups(store: ObjectStore) -> tuple[list[str], dict[str, list[str]]]:
    """(finished manifest keys, part keys by run id)."""
    finished, parts = [], defaultdict(list)
    for key in store.list(MANIFEST_PREFIX):
        rest = key.removeprefix(MANIFEST_PREFIX)
        if "/" in rest:
            parts[rest.split("/", 1)[0]].append(key)
        elif key.endswith(".jsonl"):
            finished.append(key)
    return finished, dict(parts)


def _salvage(store: ObjectStore, key: str) -> tuple[list[dict[str, Any]], int]:
    """The readable manifest lines of `key` and how many lines were not."""
    lines, bad = [], 0
    try:
        text = store.get(key).decode("utf-8", errors="replace")
    except KeyError:
        return [], 0
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        if isinstance(line, dict) and (("url" in line and line.get("outcome") in OUTCOMES) or "stats" in line):
            lines.append(line)
        else:
            bad += 1
    return lines, bad


def _check_manifests(store: ObjectStore, report: Report, records: dict[str, _Record], open_runs: set[str]) -> None:
    finished, parts = _manifest_groups(store)
    report.manifests = len(finished)
    # Records set aside by a repair are known losses (their URLs are fetched again), not dangling names.
    set_aside = {key.rsplit("/", 1)[-1].removesuffix(".json") for key in store.list(f"{DAMAGED_PREFIX}documents/")}
    report.set_aside = len(set_aside)
    for key in finished:
        lines, bad = _salvage(store, key)
        if bad:
            report.add("manifest_unreadable", f"{key} ({bad} lines)")
        url_lines = [line for line in lines if "url" in line]
        stats = [line for line in lines if "stats" in line]
        if not stats or "url" in lines[-1]:
            report.add("manifest_without_stats", key)
        urls = Counter(line["url"] for line in url_lines)
        twice = [url for url, n in urls.items() if n > 1]
        if twice:
            report.add("manifest_duplicate_urls", f"{key}: {twice[0]}")
        if stats and not bad and not twice and stats[-1]["stats"].get("counts") != line_stats(url_lines)["counts"]:
            report.add("manifest_counts_disagree", key)
        for line in url_lines:
            named = line.get("id")
            if named and line["outcome"] in ("stored", "duplicate", "unchanged") and named not in records and named not in set_aside:
                report.add("manifest_names_missing_documents", f"{key}: {line['url']} → {line['id']}")
    for run_id, keys in parts.items():
        for key in keys:
            _, bad = _salvage(store, key)
            if bad:
                report.add("manifest_unreadable", f"{key} ({bad} lines)")
        if f"{MANIFEST_PREFIX}{run_id}.jsonl" in finished:
            report.add("manifest_parts_left_over", f"{MANIFEST_PREFIX}{run_id}/ ({len(keys)} parts)")
        elif run_id not in open_runs and not _distributed_part_of_open_run(run_id, open_runs):
            report.add("orphan_manifest_parts", f"{MANIFEST_PREFIX}{run_id}/ ({len(keys)} parts)")


def _distributed_part_of_open_run(run_id: str, open_runs: set[str]) -> bool:
    """A distributed worker's manifest `<run>-w<N>` belongs to its job's run."""
    base, sep, worker = run_id.rpartition("-w")
    return bool(sep) and worker.isdigit() and base in open_runs


# --- repair --------------------------------------------------------------------------------


@dataclass
class RepairResult:
    """What `repair_store` did, one line per action."""

    actions: list[str] = field(default_factory=list)


def repair_store(store: ObjectStore, report: Report | None = None) -> RepairResult:
    """Rebuild what `report` (or a fresh check) found damaged. The caller holds the store's lease."""
    report = report if report is not None else check_store(store)
    result = RepairResult()
    if report.has("document_unreadable"):
        moved = 0
        for key in list(_document_keys(store)):
            if _read_document(store, key) is None:
                store.put(f"{DAMAGED_PREFIX}{key}", store.get(key))
                store.sync()
                store.delete(key)
                moved += 1
        result.actions.append(f"moved {moved} unreadable document records to {DAMAGED_PREFIX} (their URLs are fetched again)")
    corpus = Corpus(store)
    if report.has(
        "dedup_unreadable", "dedup_missing_documents", "dedup_orphan_entries", "duplicate_of_disagrees", "duplicate_of_dangling"
    ):
        result.actions.append(rebuild_dedup(store, corpus))
    if report.has(
        "index_unreadable", "index_missing_documents", "index_orphan_entries", "index_stale_entries",
        "document_unreadable", "dedup_unreadable", "dedup_missing_documents", "duplicate_of_disagrees", "duplicate_of_dangling",
    ):  # fmt: skip
        corpus.rebuild_index()
        result.actions.append(f"rebuilt {INDEX_KEY} from {len(corpus.entries())} documents")
    result.actions += _repair_manifests(store, report, corpus)
    return result


def rebuild_dedup(store: ObjectStore, corpus: Corpus) -> str:
    """Rebuild the dedup index from every current document's fingerprint and re-point the records; says what it did."""
    docs = sorted(
        (doc for doc in (corpus.get(key[len("documents/") : -len(".json")]) for key in _document_keys(store)) if doc is not None),
        key=lambda doc: (doc.fetched_at or "", doc.id),
    )
    index = StoreDedupIndex.rebuild(
        store, ((Candidate(doc.id, doc.text, rank_for_document(doc)), fingerprint(doc.text)) for doc in docs)
    )
    repointed = 0
    for doc in docs:
        link = index.link(doc.id)
        if (doc.duplicate_of, doc.duplicate_relation, doc.duplicate_similarity) != (link.duplicate_of, link.relation, link.similarity):
            corpus.put(
                Document.from_dict(
                    {**doc.to_dict(), "duplicate_of": link.duplicate_of, "duplicate_relation": link.relation,
                     "duplicate_similarity": link.similarity}
                )
            )  # fmt: skip
            repointed += 1
    return f"rebuilt the dedup index from {len(docs)} documents' fingerprints; re-pointed {repointed} documents"


def _repair_manifests(store: ObjectStore, report: Report, corpus: Corpus) -> list[str]:
    actions = []
    documents = {entry["id"]: entry for entry in corpus.entries()}
    if report.has("active_run_unreadable", "active_run_finished"):
        removed = 0
        for key in list(store.list(ACTIVE_PREFIX)):
            try:
                run_id = str(json.loads(store.get(key))["run_id"])
            except (ValueError, KeyError, TypeError):
                store.delete(key)  # its parts, if any, are joined below as orphans
                removed += 1
                continue
            if store.exists(f"{MANIFEST_PREFIX}{run_id}.jsonl"):
                finish_cleanup(store, run_id)
                store.delete(key)
                removed += 1
        actions.append(f"removed {removed} open-run records of finished or unreadable runs")
    if report.has("manifest_unreadable", "manifest_without_stats", "manifest_duplicate_urls", "manifest_counts_disagree"):
        finished, _ = _manifest_groups(store)
        rewritten = 0
        for key in finished:
            lines, bad = _salvage(store, key)
            url_lines = _first_per_url(line for line in lines if "url" in line)
            stats = [line for line in lines if "stats" in line]
            old = stats[-1]["stats"] if stats else {}
            intact = not bad and stats and "url" not in lines[-1] and len(url_lines) == len(lines) - len(stats)
            if intact and old.get("counts") == line_stats(url_lines)["counts"]:
                continue
            run = stats[-1].get("run") if stats else key.removeprefix(MANIFEST_PREFIX).removesuffix(".jsonl")
            _write_manifest(store, key, run, url_lines, {**old, "repaired": {"at": utc_now(), "unreadable_lines": bad}})
            rewritten += 1
        actions.append(f"rewrote {rewritten} damaged manifests from their readable lines")
    if report.has("manifest_parts_left_over", "orphan_manifest_parts", "active_run_unreadable"):
        finished, parts = _manifest_groups(store)
        open_runs = set()
        for key in store.list(ACTIVE_PREFIX):
            with suppress(ValueError, KeyError, TypeError):
                open_runs.add(str(json.loads(store.get(key))["run_id"]))
        joined = cleaned = 0
        for run_id, keys in parts.items():
            target = f"{MANIFEST_PREFIX}{run_id}.jsonl"
            if target in finished:
                lines, _ = _salvage(store, target)
                have = {line["url"] for line in lines if "url" in line}
                extra = [line for key in keys for line in _salvage(store, key)[0] if "url" in line and line["url"] not in have]
                if extra:  # lines a damaged join lost: keep them
                    url_lines = _first_per_url(line for line in [*lines, *extra] if "url" in line)
                    kept: dict[str, Any] = next((line["stats"] for line in reversed(lines) if "stats" in line), {})
                    _write_manifest(store, target, run_id, url_lines, {**kept, "repaired": {"at": utc_now(), "joined_lines": len(extra)}})
                finish_cleanup(store, run_id)
                cleaned += 1
            elif run_id not in open_runs and not _distributed_part_of_open_run(run_id, open_runs):
                url_lines = _first_per_url(line for key in keys for line in _salvage(store, key)[0] if "url" in line)
                url_lines = [_with_document_link(line, documents) for line in url_lines]
                _write_manifest(store, target, run_id, url_lines, {"repaired": {"at": utc_now(), "joined_parts": len(keys)}})
                finish_cleanup(store, run_id)
                joined += 1
        actions.append(f"joined the parts of {joined} abandoned runs into manifests; removed left-over parts of {cleaned} finished runs")
    if report.has("lease_unreadable"):
        actions.append(f"replaced the unreadable {LEASE_KEY} (this repair holds the lease)")
    return actions


def _first_per_url(lines: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    unique = []
    for line in lines:
        if line["url"] not in seen:
            seen.add(line["url"])
            unique.append(line)
    return unique


def _with_document_link(line: dict[str, Any], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A stored/duplicate line of an abandoned run as its document reads now (as a finished run amends it)."""
    entry = documents.get(line.get("id") or "")
    if entry is None or line["outcome"] not in ("stored", "duplicate"):
        return line
    line = {key: value for key, value in line.items() if key != "duplicate_of"}
    if entry.get("duplicate_of"):
        return {**line, "outcome": "duplicate", "duplicate_of": entry["duplicate_of"]}
    return {**line, "outcome": "stored"}


def _write_manifest(store: ObjectStore, key: str, run: str | None, lines: list[dict[str, Any]], stats: dict[str, Any]) -> None:
    stats = {**stats, **line_stats(lines)}
    stats.setdefault("finished_at", utc_now())
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    body += json.dumps({"run": run, "stats": stats}, ensure_ascii=False) + "\n"
    store.put(key, body.encode("utf-8"))
    store.sync()
