"""The dedup index: finds exact, near and fragment relations and keeps every document pointed at its canonical."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np

from storage.backends import ObjectStore, StoreDamaged
from storage.dedup import segments
from storage.dedup.fingerprint import (
    MIN_SENTENCE_CHARS,
    NUM_PERM,
    SHINGLE_CHARS,
    Fingerprint,
    fingerprint,
    jaccard,
    shared_weight,
)
from storage.dedup.graph import ClusterGraph
from storage.dedup.multimap import SortedMultiMap

# Chosen by measurement: see the storage.dedup docstring.
NEAR_THRESHOLD = 0.5
LSH_PARAMS = (42, 3)  # bands x rows of the MinHashLSH banding: P(candidate) 0.995 at J = 0.5, 0.68 at 0.3, 4e-5 at 0.01
CONTAINMENT_THRESHOLD = 0.8
# Shared sentence text a fragment needs at least (normalised chars): one stock sentence is not an excerpt.
MIN_FRAGMENT_CHARS = 60

EXACT, NEAR, FRAGMENT = "exact", "near", "fragment"
REBUILD_MARKER = "REBUILDING"


@dataclass(frozen=True)
class Candidate:
    doc_id: str
    text: str
    rank: tuple = ()  # higher is the better version; see storage.dedup.rank.rank_for


@dataclass(frozen=True)
class Link:
    doc_id: str
    duplicate_of: str | None = None  # the canonical document, never another duplicate
    relation: str | None = None  # exact | near | fragment
    similarity: float | None = None  # 1.0 for exact, MinHash Jaccard for near, containment for fragment


class DedupIndex(Protocol):
    def add(self, doc: Candidate, fp: Fingerprint | None = None) -> list[Link]:
        """Index `doc`; return its link and the new link of every document whose canonical changed."""

    def link(self, doc_id: str) -> Link:
        """KeyError if `doc_id` was never added."""

    def flush(self) -> None:
        """Make everything added so far durable."""


class StoreDedupIndex:
    """Dedup index persisted in an ObjectStore under `prefix`, held in memory while open.

    Layout: `{prefix}/segments/{first:012d}` holds the documents added from arrival number `first` on
    (fingerprints and the edges found when they arrived), written every `flush_every` documents;
    `{prefix}/snapshots/{end:012d}` holds documents 0..end-1 in one object, written when
    `max_tail_segments` segments have piled up, after which the segments it covers are deleted.
    Opening reads the latest snapshot plus newer segments and rebuilds band tables, postings and links
    without re-running any query. One writer per prefix; documents added since the last flush are
    not durable.

    The MinHash is datasketch's; the band tables are MinHashLSH's banding in sorted numpy arrays, because
    datasketch.MinHashLSH took ~380 us an insert and ~240 us a query at 42 bands and ~3.5 KB a document.
    """

    def __init__(
        self,
        store: ObjectStore,
        prefix: str = "dedup/index",
        *,
        flush_every: int = 64,
        max_tail_segments: int = 256,
        _rebuilding: bool = False,
    ) -> None:
        self.store = store
        self.prefix = prefix.rstrip("/")
        self.flush_every = flush_every
        self.max_tail_segments = max_tail_segments
        self.params: dict[str, Any] = {
            "shingle_chars": SHINGLE_CHARS,
            "num_perm": NUM_PERM,
            "min_sentence_chars": MIN_SENTENCE_CHARS,
            "near_threshold": NEAR_THRESHOLD,
            "lsh_params": list(LSH_PARAMS),
            "containment_threshold": CONTAINMENT_THRESHOLD,
            "min_fragment_chars": MIN_FRAGMENT_CHARS,
        }
        self._doc_ids: list[str] = []
        self._ranks: list[tuple] = []
        self._fingerprints: list[Fingerprint] = []
        # Per node, as arrays, so that a document's candidates are verified in a few numpy calls.
        self._minhashes = np.zeros((0, NUM_PERM), dtype=np.uint32)  # zeros where a node has no MinHash
        self._has_minhash = np.zeros(0, dtype=bool)
        self._weights = np.zeros(0, dtype=np.int64)  # total sentence weight
        self._by_id: dict[str, int] = {}
        self._by_content: dict[bytes, int] = {}
        self._bands = SortedMultiMap()  # LSH band key -> doc
        self._postings = SortedMultiMap()  # sentence hash -> doc containing it
        self._graph = ClusterGraph(key=lambda node: (self._ranks[node], self._doc_ids[node]))
        self._links: dict[int, tuple[int | None, str | None, float | None]] = {}
        self._near_edges: list[tuple[int, int]] = []
        self._fragment_edges: list[tuple[int, int, float]] = []
        self._pending = segments.Batch(0, self.params)
        self._tail_segments = 0
        if not _rebuilding:
            self._load()

    @classmethod
    def rebuild(cls, store: ObjectStore, documents: Iterable[tuple[Candidate, Fingerprint]], prefix: str = "dedup/index") -> Self:
        """Replace the persisted index under `prefix` with one built from `documents`; return it.

        Links do not depend on the order documents are added in. A marker object stays in place
        from before the old index is deleted until the new snapshot is written, so a rebuild cut
        short is reported as damage on the next open instead of loading as a smaller index.
        """
        marker = f"{prefix.rstrip('/')}/{REBUILD_MARKER}"
        store.put(marker, b"a rebuild of the dedup index was started and has not finished\n")
        for key in list(store.list(f"{prefix.rstrip('/')}/")):
            if key != marker:
                store.delete(key)
        index = cls(store, prefix, flush_every=1 << 62, _rebuilding=True)
        for candidate, fp in documents:
            index.add(candidate, fp)
        index.compact()
        store.sync()
        store.delete(marker)
        return index

    # --- public API -------------------------------------------------------------------------

    def add(self, doc: Candidate, fp: Fingerprint | None = None) -> list[Link]:
        if doc.doc_id in self._by_id:
            return [self.link(doc.doc_id)]
        fp = fp if fp is not None else fingerprint(doc.text)
        node = self._register(doc.doc_id, tuple(doc.rank), fp)
        near, fragments = self._find_edges(node, fp)
        changed = self._index(node, [(node, other) for other in near], fragments)
        if len(self._pending) >= self.flush_every:
            self.flush()
        first = self._as_link(node)
        return [first] + [self._as_link(n) for n in changed if n != node]

    def _index(self, node: int, near: list[tuple[int, int]], fragments: list[tuple[int, int, float]]) -> list[int]:
        """Index a registered node with the edges found when it arrived; return the nodes whose link changed.

        The seam for replicas (storage.dedup.redis_index): they replay other writers' documents with the
        edges those writers found, so no query is re-run and every replica holds the same graph.
        """
        fp = self._fingerprints[node]
        if fp.minhash is not None:
            self._bands.add(band_keys(fp.minhash), node)
        self._postings.add(fp.sentence_hashes, node)
        self._pending.doc_ids.append(self._doc_ids[node])
        self._pending.ranks.append(self._ranks[node])
        self._pending.fingerprints.append(fp)
        self._pending.near_edges.extend(near)
        self._pending.fragment_edges.extend(fragments)
        self._apply_edges(near, fragments)
        return self._relink(self._graph.upstream(node))

    def link(self, doc_id: str) -> Link:
        return self._as_link(self._by_id[doc_id])

    def links(self) -> list[Link]:
        return [self._as_link(node) for node in range(len(self._doc_ids))]

    def canonical_ids(self) -> set[str]:
        return {self._doc_ids[node] for node in range(len(self._doc_ids)) if self._links[node][0] is None}

    def __len__(self) -> int:
        return len(self._doc_ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._by_id

    def flush(self) -> None:
        self._write_pending()
        if self._tail_segments >= self.max_tail_segments:
            self.compact()

    def compact(self) -> None:
        """Write one snapshot of everything and drop the segments and snapshots it replaces."""
        self._write_pending()
        end = len(self._doc_ids)
        snapshot = segments.Batch(
            0, self.params, list(self._doc_ids), list(self._ranks), list(self._fingerprints),
            list(self._near_edges), list(self._fragment_edges),
        )
        key = f"{self.prefix}/snapshots/{end:012d}"
        self.store.put(key, segments.encode(snapshot))
        # Only after the snapshot is durable: a crash in between leaves extra objects, never a gap.
        for old in list(self.store.list(f"{self.prefix}/snapshots/")):
            if old != key:
                self.store.delete(old)
        for old in list(self.store.list(f"{self.prefix}/segments/")):
            if _sequence(old) < end:
                self.store.delete(old)
        self._tail_segments = 0

    def _write_pending(self) -> None:
        if len(self._pending):
            self.store.put(f"{self.prefix}/segments/{self._pending.first:012d}", segments.encode(self._pending))
            self._tail_segments += 1
            self._pending = segments.Batch(len(self._doc_ids), self.params)

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- finding edges ----------------------------------------------------------------------

    def _register(self, doc_id: str, rank: tuple, fp: Fingerprint) -> int:
        node = self._graph.add_node()
        self._doc_ids.append(doc_id)
        self._ranks.append(rank)
        self._fingerprints.append(fp)
        self._grow(node + 1)
        if fp.minhash is not None:
            self._minhashes[node] = fp.minhash
            self._has_minhash[node] = True
        self._weights[node] = fp.total_weight
        self._by_id[doc_id] = node
        if fp.content_hash:
            self._by_content.setdefault(fp.content_hash, node)
        return node

    def _grow(self, size: int) -> None:
        """Room for `size` nodes in the per-node arrays (capacity doubles, so appends stay cheap)."""
        capacity = len(self._weights)
        if size <= capacity:
            return
        capacity = max(size, 2 * capacity, 64)
        self._minhashes = _extended(self._minhashes, capacity)
        self._has_minhash = _extended(self._has_minhash, capacity)
        self._weights = _extended(self._weights, capacity)

    def _similarities(self, minhash: np.ndarray, others: np.ndarray) -> np.ndarray:
        """MinHash Jaccard estimate of `minhash` against each of `others` (0 where one has no MinHash)."""
        equal = np.count_nonzero(self._minhashes[others] == minhash, axis=1) / NUM_PERM
        return np.where(self._has_minhash[others], equal, 0.0)

    def _find_edges(self, node: int, fp: Fingerprint) -> tuple[set[int], list[tuple[int, int, float]]]:
        """Edges between `node` and earlier documents; each is a symmetric function of the pair, so order cannot matter."""
        near: set[int] = set()
        if fp.content_hash:
            same = self._by_content[fp.content_hash]
            if same != node:
                near.add(same)
        if fp.minhash is not None:
            banded = np.unique(self._bands.lookup(band_keys(fp.minhash))[1])
            near.update(banded[self._similarities(fp.minhash, banded) >= NEAR_THRESHOLD].tolist())
        others, shared = self._shared_sentences(fp)
        keep = (shared >= MIN_FRAGMENT_CHARS) & ~np.isin(others, np.fromiter(near, dtype=np.int64, count=len(near)))
        others, shared = others[keep], shared[keep]
        fragments: list[tuple[int, int, float]] = []
        if len(others) == 0:
            return near, fragments
        mine = shared / fp.total_weight
        theirs = shared / self._weights[others]
        # A pair that is near by MinHash is near whichever way it was found (an LSH miss otherwise).
        similar = self._similarities(fp.minhash, others) >= NEAR_THRESHOLD if fp.minhash is not None else np.zeros(len(others), bool)
        contained_both = (mine >= CONTAINMENT_THRESHOLD) & (theirs >= CONTAINMENT_THRESHOLD)
        near.update(others[contained_both | similar].tolist())
        rest = ~(contained_both | similar)
        for other, mine_share, their_share in zip(others[rest].tolist(), mine[rest].tolist(), theirs[rest].tolist()):
            if mine_share >= CONTAINMENT_THRESHOLD:
                fragments.append((node, other, mine_share))
            elif their_share >= CONTAINMENT_THRESHOLD:
                fragments.append((other, node, their_share))
        return near, fragments

    def _shared_sentences(self, fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
        """Indexed docs sharing sentences with `fp`, and the normalised chars they share (two aligned arrays)."""
        positions, docs = self._postings.lookup(fp.sentence_hashes)
        if len(docs) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        order = np.argsort(docs, kind="stable")
        docs = docs[order]
        weights = fp.sentence_weights[positions[order]].astype(np.int64)
        starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
        return docs[starts].astype(np.int64), np.add.reduceat(weights, starts)

    def _bulk_index(self) -> None:
        """Band tables and postings for every registered document in a few numpy calls (used on open)."""
        with_minhash = np.flatnonzero(self._has_minhash[: len(self._doc_ids)])
        if len(with_minhash):
            keys = band_keys(self._minhashes[with_minhash])
            self._bands.add_many(keys.ravel(), np.repeat(with_minhash, keys.shape[1]))
        sizes = [len(fp.sentence_hashes) for fp in self._fingerprints]
        if sum(sizes):
            hashes = np.concatenate([fp.sentence_hashes for fp in self._fingerprints])
            self._postings.add_many(hashes, np.repeat(np.arange(len(sizes)), sizes))

    # --- links ------------------------------------------------------------------------------

    def _apply_edges(self, near: list[tuple[int, int]], fragments: list[tuple[int, int, float]]) -> None:
        for a, b in near:
            self._graph.union(a, b)
        for fragment, container, containment in fragments:
            self._graph.add_fragment(fragment, container, containment)
        self._near_edges.extend(near)
        self._fragment_edges.extend(fragments)

    def _relink(self, roots: set[int]) -> list[int]:
        """Recompute links of every member of `roots`; return the nodes whose link changed."""
        changed = []
        for node, (target, is_fragment) in self._graph.resolve(sorted(roots)).items():
            link = self._describe(node, target, is_fragment)
            if self._links.get(node) != link:
                self._links[node] = link
                changed.append(node)
        return changed

    def _describe(self, node: int, target: int | None, is_fragment: bool) -> tuple[int | None, str | None, float | None]:
        if target is None:
            return (None, None, None)
        mine, theirs = self._fingerprints[node], self._fingerprints[target]
        if is_fragment:
            total = mine.total_weight
            containment = shared_weight(mine.sentence_hashes, mine.sentence_weights, theirs.sentence_hashes) / total if total else 0.0
            return (target, FRAGMENT, round(containment, 4))
        if mine.content_hash and mine.content_hash == theirs.content_hash:
            return (target, EXACT, 1.0)
        similarity = jaccard(mine.minhash, theirs.minhash) if mine.minhash is not None and theirs.minhash is not None else 0.0
        return (target, NEAR, round(similarity, 4))

    def _as_link(self, node: int) -> Link:
        target, relation, similarity = self._links[node]
        return Link(self._doc_ids[node], None if target is None else self._doc_ids[target], relation, similarity)

    # --- persistence ------------------------------------------------------------------------

    def _batch_problem(self, batch: segments.Batch) -> str | None:
        """What makes `batch` unfit to load next, or None (a gap, a second copy, foreign parameters)."""
        if batch.params != self.params:
            return f"was written with dedup parameters {batch.params}, this code uses {self.params}"
        if batch.first != len(self._doc_ids):
            return f"starts at document {batch.first}, expected {len(self._doc_ids)}: the index is incomplete"
        end = batch.first + len(batch)
        twice = [doc_id for doc_id in batch.doc_ids if doc_id in self._by_id]
        if twice or len(set(batch.doc_ids)) != len(batch):
            return f"holds document {(twice or batch.doc_ids)[0]} a second time: two writers added it"
        if any(not (0 <= a < end and 0 <= b < end) for a, b in batch.near_edges) or any(
            not (0 <= a < end and 0 <= b < end) for a, b, _ in batch.fragment_edges
        ):
            return "has an edge to a document it does not follow"
        return None

    def _load(self) -> None:
        if self.store.exists(f"{self.prefix}/{REBUILD_MARKER}"):
            raise StoreDamaged(self.store.uri, "the dedup index", "a rebuild of it was interrupted")
        snapshots = list(self.store.list(f"{self.prefix}/snapshots/"))
        batches_keys = [snapshots[-1]] if snapshots else []
        start = _sequence(snapshots[-1]) if snapshots else 0
        tail = [key for key in self.store.list(f"{self.prefix}/segments/") if _sequence(key) >= start]
        batches_keys += tail
        for key in batches_keys:
            data = self.store.get(key)
            try:
                batch = segments.decode(data)
            except Exception as exc:  # numpy/zip/JSON errors of a cut-short or foreign object
                raise StoreDamaged(self.store.uri, "the dedup index", f"{key} is unreadable: {exc}") from None
            problem = self._batch_problem(batch)
            if problem is not None:
                raise StoreDamaged(self.store.uri, "the dedup index", f"{key} {problem}")
            for doc_id, rank, fp in zip(batch.doc_ids, batch.ranks, batch.fingerprints):
                self._register(doc_id, rank, fp)
            self._apply_edges(batch.near_edges, batch.fragment_edges)
        self._bulk_index()
        self._tail_segments = len(tail)
        self._pending = segments.Batch(len(self._doc_ids), self.params)
        self._relink(set(self._graph.clusters()))


def band_keys(hashvalues: np.ndarray) -> np.ndarray:
    """LSH band keys (MinHashLSH's banding: BANDS x ROWS hash values each) as uint64, band number mixed in."""
    bands, rows = LSH_PARAMS
    values = hashvalues[..., : bands * rows].astype(np.uint64).reshape(*hashvalues.shape[:-1], bands, rows)
    keys = (values * _ROW_MULTIPLIERS).sum(axis=-1)  # wraps mod 2^64: a hash of the band's values
    keys ^= keys >> np.uint64(31)
    keys *= np.uint64(0x94D049BB133111EB)
    return keys ^ _BAND_SALTS


_ROW_MULTIPLIERS = np.random.default_rng(2024).integers(1, 1 << 63, size=LSH_PARAMS[1], dtype=np.uint64) | np.uint64(1)
_BAND_SALTS = np.random.default_rng(2025).integers(0, 1 << 63, size=LSH_PARAMS[0], dtype=np.uint64)


def _extended(array: np.ndarray, rows: int) -> np.ndarray:
    """`array` with zero rows appended up to `rows`."""
    grown = np.zeros((rows, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _sequence(key: str) -> int:
    match = re.search(r"(\d+)$", key)
    if match is None:
        raise ValueError(f"not a dedup index key: {key}")
    return int(match.group(1))
