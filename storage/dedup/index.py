"""The dedup index: finds exact, near and fragment relations and keeps every document pointed at its canonical."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np

from storage.backends import ObjectStore, StoreDamaged
from storage.dedup import segments
from storage.dedup.columns import FingerprintColumns
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
# Shared 5-character shingles a near-duplicate pair needs at least, estimated from the two MinHashes:
# two 40-character excerpts sharing one stock slogan reach Jaccard 0.5 without being one text.
MIN_NEAR_SHINGLES = MIN_FRAGMENT_CHARS
# Share of a cluster's canonical sentence text that must be in a container before the cluster's other
# members' fragment edges count (storage.dedup.graph). Next year's report holds about a third of a
# report's sentences (benchmarks/dedup.py), a repost of it all of them.
MOSTLY_CONTAINED = 0.5

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
    Opening reads the latest snapshot plus newer segments and rebuilds the key table and links
    without re-running any query. One writer per prefix; documents added since the last flush are
    not durable.

    In memory (~2.5 KB a document): fingerprints as columns (storage.dedup.columns), and one key table
    (storage.dedup.multimap) mapping each document's content key, LSH band keys and sentence hashes to
    it. The MinHash is datasketch's; the band keys are MinHashLSH's banding, because
    datasketch.MinHashLSH took ~380 us an insert and ~240 us a query at 42 bands and ~3.5 KB a document.
    A copy (same normalised text and same sentences as an earlier document) only gets its exact edge:
    every other edge of it would be one its first occurrence has, so its keys are not indexed either.
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
            "min_near_shingles": MIN_NEAR_SHINGLES,
        }
        self._doc_ids: list[str] = []
        self._ranks: list[tuple] = []
        self._fps = FingerprintColumns()
        self._by_id: dict[str, int] = {}
        self._table = SortedMultiMap()  # content key (first occurrences), band keys, sentence hashes -> doc
        self._graph = ClusterGraph(key=lambda node: (self._ranks[node], self._doc_ids[node]), mostly_in=self._mostly_in)
        # Each node's link: the canonical it points at (-1: none), relation code, similarity (-1.0: none).
        self._link_target = array("i")
        self._link_relation = array("b")
        self._link_similarity = array("d")
        self._near_edges = array("q")  # flat (a, b) pairs
        self._fragment_edges = array("q")  # flat (fragment, container) pairs
        self._fragment_containment = array("d")
        self._pending = segments.Batch(0, self.params)
        self._tail_segments = 0
        self._direct_postings = _DIRECT_POSTINGS
        self._sum_when_cheaper = True  # tests turn it off to check the candidates' own lists give the same
        self._crowded_span = _CROWDED_SPAN  # and set this to 0 to check the other cheaper way
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
        keys = _Keys.of(fp)
        positions, docs = self._table.lookup(keys.all)
        first = self._first_with_content(node, docs[positions < keys.content]) if keys.content else None
        copy = first is not None and self._same_sentences(node, first)
        near: set[int]
        fragments: list[tuple[int, int, float]]
        if copy:
            near, fragments = ({first} if first is not None else set()), []
        else:
            near, fragments = self._find_edges(node, fp, keys, positions, docs, first)
        near_edges = [(node, other) for other in sorted(near)]
        self._record(node, fp, near_edges, fragments)
        changed = self._index(node, near_edges, fragments, keys, first, copy)
        if len(self._pending) >= self.flush_every:
            self.flush()
        return [self._as_link(node)] + [self._as_link(n) for n in changed if n != node]

    def link(self, doc_id: str) -> Link:
        return self._as_link(self._by_id[doc_id])

    def links(self) -> list[Link]:
        return [self._as_link(node) for node in range(len(self._doc_ids))]

    def canonical_ids(self) -> set[str]:
        return {self._doc_ids[node] for node in range(len(self._doc_ids)) if self._link_target[node] < 0}

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
        fragments = np.column_stack([
            np.frombuffer(self._fragment_edges, dtype=np.int64).reshape(-1, 2).astype(np.float64),
            np.frombuffer(self._fragment_containment, dtype=np.float64),
        ])
        snapshot = segments.Batch(
            0, self.params, self._doc_ids, self._ranks, self._fps,
            np.frombuffer(self._near_edges, dtype=np.int64).reshape(-1, 2), fragments,
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

    # --- indexing ---------------------------------------------------------------------------

    def _register(self, doc_id: str, rank: tuple, fp: Fingerprint) -> int:
        node = self._graph.add_node()
        self._doc_ids.append(doc_id)
        self._ranks.append(rank)
        self._fps.append(fp)
        self._link_target.append(-1)
        self._link_relation.append(0)
        self._link_similarity.append(-1.0)
        self._by_id[doc_id] = node
        return node

    def _record(self, node: int, fp: Fingerprint, near: list[tuple[int, int]], fragments: list[tuple[int, int, float]]) -> None:
        """Queue a new document and the edges found on its arrival for the next segment."""
        self._pending.doc_ids.append(self._doc_ids[node])
        self._pending.ranks.append(self._ranks[node])
        self._pending.fingerprints.append(fp)  # type: ignore[attr-defined]
        self._pending.near_edges.extend(near)  # type: ignore[union-attr]
        self._pending.fragment_edges.extend(fragments)  # type: ignore[union-attr]

    def _index(
        self,
        node: int,
        near: Sequence[tuple[int, int]] | np.ndarray,
        fragments: Sequence[tuple[int, int, float]] | np.ndarray,
        keys: _Keys | None = None,
        first: int | None = None,
        copy: bool | None = None,
    ) -> list[int]:
        """Index a registered node with the edges found when it arrived; return the nodes whose link changed.

        The seam for replicas (storage.dedup.redis_index): they replay other writers' documents with the
        edges those writers found (keys, first and copy left out), so no query is re-run and every
        replica holds the same graph.
        """
        if keys is None:
            keys = _Keys.of(self._fps[node])
            first = self._first_with_content(node, self._table.lookup(keys.all[: keys.content])[1]) if keys.content else None
            copy = first is not None and self._same_sentences(node, first)
        indexed = keys.indexed(content=first is None, rest=not copy)
        if len(indexed):
            self._table.add(indexed, node)
        if len(near) == 0 and len(fragments) == 0:
            return []  # alone in its cluster, in no fragment edge: canonical, and nothing else moved
        self._apply_edges(near, fragments)
        return self._relink(self._graph.upstream(node))

    def _first_with_content(self, node: int, candidates: np.ndarray) -> int | None:
        """The candidate (an indexed first occurrence) whose content hash is `node`'s, if any."""
        if len(candidates) == 0:
            return None
        equal = np.all(self._fps.content[candidates] == self._fps.content[node], axis=1)
        return int(candidates[equal][0]) if equal.any() else None

    def _same_sentences(self, a: int, b: int) -> bool:
        return bool(
            np.array_equal(self._fps.sentence_hashes_of(a), self._fps.sentence_hashes_of(b))
            and np.array_equal(self._fps.sentence_weights_of(a), self._fps.sentence_weights_of(b))
        )

    def _bulk_index(self, start: int = 0, chunk: int = 1 << 16) -> None:
        """The key table for nodes start.. in a few numpy calls a chunk (used on open), as add() would have built it."""
        fps = self._fps
        end = len(fps)
        with_content = np.flatnonzero(fps.has_content)
        first_of = np.full(end, -1, dtype=np.int64)  # for nodes with content: the first node with the same content
        if len(with_content):
            rows = np.ascontiguousarray(fps.content[with_content]).view(np.dtype((np.void, 16))).ravel()
            _, first_index, inverse = np.unique(rows, return_index=True, return_inverse=True)
            first_of[with_content] = with_content[first_index][inverse.ravel()]
        copies = np.zeros(end, dtype=bool)
        for node in np.flatnonzero((first_of >= 0) & (first_of != np.arange(end))).tolist():
            copies[node] = self._same_sentences(node, int(first_of[node]))
        offsets = fps.sentence_offsets
        for lo in range(start, end, chunk):
            hi = min(end, lo + chunk)
            nodes = np.arange(lo, hi)
            firsts = nodes[first_of[lo:hi] == nodes]
            banded = nodes[fps.has_minhash[lo:hi] & ~copies[lo:hi]]
            with_sentences = nodes[~copies[lo:hi]]
            counts = offsets[with_sentences + 1] - offsets[with_sentences]
            sentence_rows = np.repeat(offsets[with_sentences] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
            bands = band_keys(fps.minhash[banded])
            self._table.add_many(
                np.concatenate([content_keys(fps.content[firsts]), bands.ravel(), fps.sentence_hashes[sentence_rows]]),
                np.concatenate([firsts, np.repeat(banded, bands.shape[1]), np.repeat(with_sentences, counts)]),
            )

    # --- finding edges ----------------------------------------------------------------------

    def _similarities(self, a: int | np.ndarray, b: np.ndarray) -> np.ndarray:
        """MinHash Jaccard estimate of node `a` (or each of nodes `a`) against each of `b` (0 where one has no MinHash)."""
        minhash, has_minhash = self._fps.minhash, self._fps.has_minhash
        # Equal rows as bytes of 0/1, eight to a uint64: popcount counts them (count_nonzero(axis=1) sums bools).
        equal = np.bitwise_count((minhash[b] == minhash[a]).view(np.uint64)).sum(axis=1) / NUM_PERM
        return np.where(has_minhash[a] & has_minhash[b], equal, 0.0)

    def _near(self, node: int, others: np.ndarray) -> np.ndarray:
        """Which of `others` are near-duplicates of `node` by MinHash (bool, aligned with `others`)."""
        return self._near_pairs(np.full(len(others), node), others, self._similarities(node, others))

    def _near_pairs(self, a: np.ndarray, b: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        """Which pairs (a[i], b[i]) of MinHash Jaccard similarity[i] are near-duplicates (bool).

        Jaccard J >= NEAR_THRESHOLD, and J * |A u B| >= MIN_NEAR_SHINGLES shared shingles, the union's size
        being (|A| + |B|) / (1 + J) with each set's size estimated from its MinHash as datasketch's
        MinHash.count does: k / sum(h_i / 2^32) - 1 for k minima h_i.
        """
        near = similarity >= NEAR_THRESHOLD
        if near.any():
            union = (self._shingle_counts(a[near]) + self._shingle_counts(b[near])) / (1.0 + similarity[near])
            near[near] = similarity[near] * union >= MIN_NEAR_SHINGLES
        return near

    def _shingle_counts(self, nodes: np.ndarray) -> np.ndarray:
        """Estimated distinct shingles of each of `nodes` (float64), from their MinHash values."""
        minima = self._fps.minhash[nodes].sum(axis=1, dtype=np.uint64).astype(np.float64) / 2.0**32
        return NUM_PERM / np.maximum(minima, 1e-12) - 1.0

    def _mostly_in(self, a: int, b: int) -> bool:
        """Whether >= MOSTLY_CONTAINED of node a's sentence text occurs in node b's."""
        fps = self._fps
        total = int(fps.total_weights[a])
        shared = shared_weight(fps.sentence_hashes_of(a), fps.sentence_weights_of(a), fps.sentence_hashes_of(b))
        return total > 0 and shared >= MOSTLY_CONTAINED * total

    def _find_edges(
        self, node: int, fp: Fingerprint, keys: _Keys, positions: np.ndarray, docs: np.ndarray, first: int | None,
    ) -> tuple[set[int], list[tuple[int, int, float]]]:
        """Edges between `node` and earlier documents; each is a symmetric function of the pair, so order cannot matter.

        `positions`, `docs`: the key table's answer for keys.all; `first`: the earlier document with the same content.
        """
        near: set[int] = {first} if first is not None else set()
        sentences_from = keys.content + keys.bands
        if keys.bands:
            in_bands = (positions >= keys.content) & (positions < sentences_from)
            banded = np.unique(docs[in_bands])
            near.update(banded[self._near(node, banded)].tolist())
        in_sentences = positions >= sentences_from
        others, shared = self._sharing(fp, positions[in_sentences] - sentences_from, docs[in_sentences])
        if near and len(others):
            keep = ~np.isin(others, np.fromiter(near, dtype=np.int64, count=len(near)))
            others, shared = others[keep], shared[keep]
        fragments: list[tuple[int, int, float]] = []
        if len(others) == 0:
            return near, fragments
        mine = shared / fp.total_weight
        theirs = shared / self._fps.total_weights[others]
        # A pair that is near by MinHash is near whichever way it was found (an LSH miss otherwise).
        similar = self._near(node, others)
        contained_both = (mine >= CONTAINMENT_THRESHOLD) & (theirs >= CONTAINMENT_THRESHOLD)
        near.update(others[contained_both | similar].tolist())
        # Most candidates share a few stock sentences and nothing more: only the contained ones are visited.
        contained = ~(contained_both | similar) & ((mine >= CONTAINMENT_THRESHOLD) | (theirs >= CONTAINMENT_THRESHOLD))
        found = zip(others[contained].tolist(), mine[contained].tolist(), theirs[contained].tolist(), strict=True)
        for other, mine_share, their_share in found:
            if mine_share >= CONTAINMENT_THRESHOLD:
                fragments.append((node, other, mine_share))
            else:
                fragments.append((other, node, their_share))
        return near, fragments

    def _sharing(self, fp: Fingerprint, sentence_of: np.ndarray, doc_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Earlier documents sharing >= MIN_FRAGMENT_CHARS of sentence text with `fp`, and how much (two int64 arrays).

        `sentence_of`, `doc_of`: the postings of fp's sentences (which sentence, which document). A stock
        sentence (各位代表, a site's footer) has postings in a growing share of all documents, so
        summing every posting grows with the index. Prefix filtering (Chaudhuri et al., "A primitive
        operator for similarity joins", ICDE 2006) keeps the work bounded and the answer exact: the
        most common sentences whose weights sum below MIN_FRAGMENT_CHARS are not probed (a document
        sharing only those shares too little), and the documents found through the others get their
        shared weight from their own sentence lists. Where that costs more than summing the postings at
        hand (they are crowded onto few documents, or outnumbered by the candidates' lists), those are
        summed instead.
        """
        weights = fp.sentence_weights
        if fp.total_weight < MIN_FRAGMENT_CHARS or len(doc_of) == 0:
            return _NO_DOCS, _NO_DOCS
        counts = np.bincount(sentence_of, minlength=len(weights))
        most_common_first = np.argsort(counts, kind="stable")[::-1]
        skipped = most_common_first[: int(np.searchsorted(np.cumsum(weights[most_common_first]), MIN_FRAGMENT_CHARS))]
        if counts[skipped].sum() <= self._direct_postings or (self._sum_when_cheaper and _crowded(doc_of, self._crowded_span)):
            others, shared = _shared_weights(doc_of, weights[sentence_of], self._crowded_span)
        else:
            probed = np.ones(len(weights), dtype=bool)
            probed[skipped] = False
            others = np.unique(doc_of[probed[sentence_of]])
            offsets = self._fps.sentence_offsets
            if self._sum_when_cheaper and int((offsets[others + 1] - offsets[others]).sum()) >= len(doc_of):
                # The candidates' own sentence lists are longer than all the postings at hand (every
                # sentence stock, as on a site of near-copies): summing the postings is cheaper, and
                # as exact, since a document found only through skipped sentences shares too little.
                others, shared = _shared_weights(doc_of, weights[sentence_of], self._crowded_span)
            else:
                shared = self._shared_with(fp, others)
        keep = shared >= MIN_FRAGMENT_CHARS
        return others[keep], shared[keep]

    def _shared_with(self, fp: Fingerprint, others: np.ndarray) -> np.ndarray:
        """Normalised chars of fp's sentences each of `others` contains (int64, aligned with `others`)."""
        offsets = self._fps.sentence_offsets
        starts, counts = offsets[others], offsets[others + 1] - offsets[others]
        rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        theirs = self._fps.sentence_hashes[rows]
        mine = fp.sentence_hashes  # sorted
        at = np.minimum(np.searchsorted(mine, theirs), len(mine) - 1)
        found = mine[at] == theirs
        owner = np.repeat(np.arange(len(others)), counts)
        return np.bincount(owner[found], weights=fp.sentence_weights[at[found]], minlength=len(others)).astype(np.int64)

    # --- links ------------------------------------------------------------------------------

    def _apply_edges(self, near: Sequence[tuple[int, int]] | np.ndarray, fragments: Sequence[tuple[int, int, float]] | np.ndarray) -> None:
        near_pairs = near.tolist() if isinstance(near, np.ndarray) else near
        fragment_triples = fragments.tolist() if isinstance(fragments, np.ndarray) else fragments
        for a, b in near_pairs:
            self._graph.union(int(a), int(b))
            self._near_edges.extend((int(a), int(b)))
        for fragment, container, containment in fragment_triples:
            self._graph.add_fragment(int(fragment), int(container), containment)
            self._fragment_edges.extend((int(fragment), int(container)))
            self._fragment_containment.append(containment)

    def _relink(self, roots: Iterable[int]) -> list[int]:
        """Recompute links of every member of `roots`; return the nodes whose link changed."""
        changed = []
        for node, (target, is_fragment) in self._graph.resolve(sorted(roots)).items():
            current = self._link_target[node]
            if current == (-1 if target is None else target) and (current < 0 or (self._link_relation[node] == _FRAGMENT) == is_fragment):
                continue  # a link is a function of (node, target, is_fragment): unchanged
            new_target, relation, similarity = self._describe(node, target, is_fragment)
            if (self._link_target[node], self._link_relation[node], self._link_similarity[node]) != (new_target, relation, similarity):
                self._link_target[node], self._link_relation[node], self._link_similarity[node] = new_target, relation, similarity
                changed.append(node)
        return changed

    def _describe(self, node: int, target: int | None, is_fragment: bool) -> tuple[int, int, float]:
        """(target or -1, relation code, similarity or -1.0) of `node`'s link."""
        if target is None:
            return (-1, 0, -1.0)
        fps = self._fps
        if is_fragment:
            total = int(fps.total_weights[node])
            shared = shared_weight(fps.sentence_hashes_of(node), fps.sentence_weights_of(node), fps.sentence_hashes_of(target))
            return (target, _FRAGMENT, round(shared / total, 4) if total else 0.0)
        if self._equal_content(node, target):
            return (target, _EXACT, 1.0)
        if fps.has_minhash[node] and fps.has_minhash[target]:
            return (target, _NEAR, round(jaccard(fps.minhash[node], fps.minhash[target]), 4))
        return (target, _NEAR, 0.0)

    def _as_link(self, node: int) -> Link:
        target = self._link_target[node]
        if target < 0:
            return Link(self._doc_ids[node])
        return Link(self._doc_ids[node], self._doc_ids[target], _RELATIONS[self._link_relation[node]], self._link_similarity[node])

    # --- persistence ------------------------------------------------------------------------

    def _batch_problem(self, batch: segments.Batch) -> str | None:
        """What makes `batch` unfit to load next, or None (a gap, a second copy, foreign parameters)."""
        if _with_defaults(batch.params) != self.params:
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
            self._register_batch(batch)
            near = batch.near_edges if "min_near_shingles" in batch.params else self._without_short_near(np.asarray(batch.near_edges))
            self._apply_edges(near, batch.fragment_edges)
        self._bulk_index()
        self._tail_segments = len(tail)
        self._pending = segments.Batch(len(self._doc_ids), self.params)
        self._relink(self._graph.linked_clusters())

    def _without_short_near(self, near: np.ndarray) -> np.ndarray:
        """Near edges (m, 2) found before MIN_NEAR_SHINGLES, less those it rules out: what add() finds today.

        An edge stays when its pair is near by today's MinHash rule, has equal content, or each holds
        >= CONTAINMENT_THRESHOLD of the other's sentence text (and >= MIN_FRAGMENT_CHARS of it).
        """
        near = near.reshape(-1, 2)
        a, b = near[:, 0], near[:, 1]
        similarity = self._similarities(a, b)
        suspect = np.flatnonzero((similarity >= NEAR_THRESHOLD) & ~self._near_pairs(a, b, similarity))
        ruled_out = [
            i for i in suspect.tolist()
            if not self._equal_content(int(a[i]), int(b[i])) and not self._contained_both(int(a[i]), int(b[i]))
        ]
        return np.delete(near, ruled_out, axis=0)

    def _equal_content(self, a: int, b: int) -> bool:
        fps = self._fps
        return bool(fps.has_content[a] and fps.has_content[b] and np.array_equal(fps.content[a], fps.content[b]))

    def _contained_both(self, a: int, b: int) -> bool:
        fps = self._fps
        shared = shared_weight(fps.sentence_hashes_of(a), fps.sentence_weights_of(a), fps.sentence_hashes_of(b))
        return shared >= MIN_FRAGMENT_CHARS and all(
            shared >= CONTAINMENT_THRESHOLD * int(fps.total_weights[node]) for node in (a, b)
        )

    def _register_batch(self, batch: segments.Batch) -> None:
        first, count = len(self._doc_ids), len(batch)
        self._graph.add_nodes(count)
        self._doc_ids.extend(batch.doc_ids)
        self._ranks.extend(batch.ranks)
        self._fps.extend(FingerprintColumns.of(batch.fingerprints))
        self._link_target.extend([-1] * count)
        self._link_relation.extend([0] * count)
        self._link_similarity.extend([-1.0] * count)
        self._by_id.update(zip(batch.doc_ids, range(first, first + count), strict=True))


_EXACT, _NEAR, _FRAGMENT = 1, 2, 3
_NO_DOCS = np.zeros(0, dtype=np.int64)
# Postings of the skippable common sentences below which summing everything is cheaper than prefix filtering.
_DIRECT_POSTINGS = 256
_RELATIONS = {_EXACT: EXACT, _NEAR: NEAR, _FRAGMENT: FRAGMENT}
# Postings on a range of document numbers under this many times their count are summed by counting, not sorting.
_CROWDED_SPAN = 4


@dataclass(frozen=True)
class _Keys:
    """A document's keys in the key table, in one array: content key (0 or 1), band keys (0 or BANDS), sentence hashes."""

    all: np.ndarray
    content: int
    bands: int

    @classmethod
    def of(cls, fp: Fingerprint) -> _Keys:
        parts = []
        if fp.content_hash:
            parts.append(np.array([int.from_bytes(fp.content_hash[:8], "little") ^ int(_CONTENT_SALT)], dtype=np.uint64))
        if fp.minhash is not None:
            parts.append(band_keys(fp.minhash))
        parts.append(fp.sentence_hashes)
        return cls(np.concatenate(parts), int(bool(fp.content_hash)), LSH_PARAMS[0] if fp.minhash is not None else 0)

    def indexed(self, content: bool, rest: bool) -> np.ndarray:
        """The keys to add: the content key if `content`, band keys and sentence hashes if `rest`."""
        if content and rest:
            return self.all
        if rest:
            return self.all[self.content :]
        return self.all[: self.content] if content else self.all[:0]


def _shared_weights(docs: np.ndarray, weights: np.ndarray, crowded_span: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distinct `docs` (int64) and the summed `weights` (int) of each, as two aligned int64 arrays, sorted by doc.

    Postings `_crowded` with `crowded_span` are counted over their span of document numbers, in one
    pass; others are sorted.
    """
    if len(docs) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if _crowded(docs, crowded_span):
        low = int(docs.min())
        sums = np.bincount(docs - low, weights=weights)
        found = np.flatnonzero(np.bincount(docs - low))
        return found + low, sums[found].astype(np.int64)
    order = np.argsort(docs, kind="stable")
    docs = docs[order]
    starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
    return docs[starts], np.add.reduceat(weights[order].astype(np.int64), starts)


def _crowded(docs: np.ndarray, span: int) -> bool:
    """Whether the postings `docs` (int64, not empty) fall on a range of document numbers shorter than
    `span` times their count (many stock sentences in a small index): a pass over the range then
    costs less than sorting them."""
    return int(docs.max()) - int(docs.min()) < span * len(docs)


def content_keys(content: np.ndarray) -> np.ndarray:
    """Key-table keys of (n, 16) uint8 content hashes: their first 8 bytes, salted apart from the other keys."""
    return np.ascontiguousarray(content[:, :8]).view("<u8").ravel().astype(np.uint64) ^ _CONTENT_SALT


_CONTENT_SALT = np.uint64(0x5BD1E9955BD1E995)


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


def _with_defaults(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters a batch was written with, those it predates taken as today's (the loader makes up the difference)."""
    return {"min_near_shingles": MIN_NEAR_SHINGLES} | params


def _sequence(key: str) -> int:
    match = re.search(r"(\d+)$", key)
    if match is None:
        raise ValueError(f"not a dedup index key: {key}")
    return int(match.group(1))
