"""The persisted form of the dedup index: batches of documents' fingerprints and the edges found when they arrived."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storage.dedup.columns import FingerprintColumns
from storage.dedup.fingerprint import Fingerprint

FORMAT = 1


@dataclass
class Batch:
    """Documents first..first+len-1 (arrival order) and the edges found when each arrived.

    `fingerprints` is any sequence of Fingerprint (decode gives FingerprintColumns); the edges are
    sequences of (a, b) near-duplicate pairs and (fragment, container, containment) triples, as lists
    of tuples or as (k, 2) / (k, 3) arrays (decode gives arrays: int64 pairs, float64 triples).
    """

    first: int
    params: dict[str, Any]
    doc_ids: list[str] = field(default_factory=list)
    ranks: list[tuple] = field(default_factory=list)
    fingerprints: Sequence[Fingerprint] = field(default_factory=list)
    near_edges: Sequence[tuple[int, int]] | np.ndarray = field(default_factory=list)
    fragment_edges: Sequence[tuple[int, int, float]] | np.ndarray = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.doc_ids)


def near_edge_array(edges: Sequence[tuple[int, int]] | np.ndarray) -> np.ndarray:
    """Near-duplicate edges as a (k, 2) int64 array."""
    return np.asarray(edges, dtype=np.int64).reshape(-1, 2)


def fragment_edge_array(edges: Sequence[tuple[int, int, float]] | np.ndarray) -> np.ndarray:
    """Fragment edges as a (k, 3) float64 array: fragment, container (exact below 2^53), containment."""
    return np.asarray(edges, dtype=np.float64).reshape(-1, 3)


def encode(batch: Batch) -> bytes:
    """The batch as an .npz object (format 1: one meta JSON array plus the fingerprint and edge arrays)."""
    meta = {
        "format": FORMAT, "first": batch.first, "params": batch.params, "doc_ids": batch.doc_ids, "ranks": [list(r) for r in batch.ranks]
    }
    fps = FingerprintColumns.of(batch.fingerprints)
    fragments = fragment_edge_array(batch.fragment_edges)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        content=fps.content,
        has_content=fps.has_content,
        minhash=fps.minhash,
        has_minhash=fps.has_minhash,
        sentence_offsets=fps.sentence_offsets,
        sentence_hashes=fps.sentence_hashes,
        sentence_weights=fps.sentence_weights,
        near_edges=near_edge_array(batch.near_edges),
        fragment_edges=fragments[:, :2].astype(np.int64),
        fragment_containment=fragments[:, 2].copy(),
    )
    return buffer.getvalue()


def decode(data: bytes) -> Batch:
    """ValueError on an unknown format or arrays that disagree with each other."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown dedup segment format {meta.get('format')!r}")
        fingerprints = FingerprintColumns.from_arrays(
            arrays["content"], arrays["has_content"], arrays["minhash"], arrays["has_minhash"],
            arrays["sentence_offsets"], arrays["sentence_hashes"], arrays["sentence_weights"],
        )
        if len(fingerprints) != len(meta["doc_ids"]):
            raise ValueError(f"dedup segment holds {len(meta['doc_ids'])} documents but {len(fingerprints)} fingerprints")
        near = arrays["near_edges"].astype(np.int64).reshape(-1, 2)
        fragments = np.column_stack([arrays["fragment_edges"].reshape(-1, 2).astype(np.float64), arrays["fragment_containment"]])
    return Batch(meta["first"], meta["params"], meta["doc_ids"], [_as_rank(r) for r in meta["ranks"]], fingerprints, near, fragments)


def _as_rank(value: list) -> tuple:
    return tuple(_as_rank(v) if isinstance(v, list) else v for v in value)
