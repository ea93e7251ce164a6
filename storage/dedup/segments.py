"""The persisted form of the dedup index: batches of documents' fingerprints and the edges found when they arrived."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storage.dedup.fingerprint import NUM_PERM, Fingerprint

FORMAT = 1


@dataclass
class Batch:
    """Documents first..first+len-1 (arrival order) and the edges found when each arrived."""

    first: int
    params: dict[str, Any]
    doc_ids: list[str] = field(default_factory=list)
    ranks: list[tuple] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    near_edges: list[tuple[int, int]] = field(default_factory=list)
    fragment_edges: list[tuple[int, int, float]] = field(default_factory=list)  # fragment, container, containment

    def __len__(self) -> int:
        return len(self.doc_ids)


def encode(batch: Batch) -> bytes:
    n = len(batch)
    fps = batch.fingerprints
    meta = {"format": FORMAT, "first": batch.first, "params": batch.params, "doc_ids": batch.doc_ids, "ranks": [list(r) for r in batch.ranks]}
    content = np.zeros((n, 16), dtype=np.uint8)
    minhash = np.zeros((n, NUM_PERM), dtype=np.uint32)
    has_content = np.zeros(n, dtype=bool)
    has_minhash = np.zeros(n, dtype=bool)
    for row, fp in enumerate(fps):
        if fp.content_hash:
            content[row] = np.frombuffer(fp.content_hash, dtype=np.uint8)
            has_content[row] = True
        if fp.minhash is not None:
            minhash[row] = fp.minhash
            has_minhash[row] = True
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(fp.sentence_hashes) for fp in fps])
    concat = lambda arrays, dtype: np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)  # noqa: E731
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        content=content,
        has_content=has_content,
        minhash=minhash,
        has_minhash=has_minhash,
        sentence_offsets=offsets,
        sentence_hashes=concat([fp.sentence_hashes for fp in fps], np.uint64),
        sentence_weights=concat([fp.sentence_weights for fp in fps], np.uint32),
        near_edges=np.array(batch.near_edges, dtype=np.int64).reshape(-1, 2),
        fragment_edges=np.array([(a, b) for a, b, _ in batch.fragment_edges], dtype=np.int64).reshape(-1, 2),
        fragment_containment=np.array([c for _, _, c in batch.fragment_edges], dtype=np.float64),
    )
    return buffer.getvalue()


def decode(data: bytes) -> Batch:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown dedup segment format {meta.get('format')!r}")
        content, has_content = arrays["content"], arrays["has_content"]
        minhash, has_minhash = arrays["minhash"], arrays["has_minhash"]
        offsets = arrays["sentence_offsets"]
        hashes, weights = arrays["sentence_hashes"], arrays["sentence_weights"]
        fingerprints = [
            Fingerprint(
                content[row].tobytes() if has_content[row] else b"",
                minhash[row].copy() if has_minhash[row] else None,
                hashes[offsets[row] : offsets[row + 1]].copy(),
                weights[offsets[row] : offsets[row + 1]].copy(),
            )
            for row in range(len(meta["doc_ids"]))
        ]
        near = [tuple(edge) for edge in arrays["near_edges"].tolist()]
        fragments = [
            (a, b, c) for (a, b), c in zip(arrays["fragment_edges"].tolist(), arrays["fragment_containment"].tolist())
        ]
    return Batch(meta["first"], meta["params"], meta["doc_ids"], [_as_rank(r) for r in meta["ranks"]], fingerprints, near, fragments)  # type: ignore[arg-type]


def _as_rank(value: list) -> tuple:
    return tuple(_as_rank(v) if isinstance(v, list) else v for v in value)
