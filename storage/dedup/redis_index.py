"""The dedup index shared by crawl workers through Redis: one log of documents, a replica in every worker.

Each worker holds a StoreDedupIndex in memory, loaded from the store's `dedup/index` like a local crawl's.
Documents added since the store was last checkpointed live in a Redis list, one entry per document in
arrival order (the store's segment format: doc id, rank, fingerprint and the edges found on arrival).
`add` fingerprints outside the lock, then under a Redis lock replays the entries other workers appended,
finds edges against every earlier document and appends its own entry. So adds are serialised exactly as
in one index: each sees every earlier document, and the canonical set stays order-independent.

`checkpoint` writes the entries the store lacks as one segment (by the last worker of a crawl job), so a
later crawl without Redis, `ls` and `show` see them. The Redis log is not trimmed: every replica that is
still open relies on it (see the gaps in the distributed crawl's documentation).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from hashlib import sha256
from typing import Any, cast

import numpy as np
import redis

from storage.backends import ObjectStore
from storage.dedup import segments
from storage.dedup.fingerprint import Fingerprint, fingerprint
from storage.dedup.index import Candidate, Link, StoreDedupIndex

LOCK_TIMEOUT = 30.0  # seconds: a worker killed while holding the lock blocks the others at most this long


def redis_key_for(store: ObjectStore) -> str:
    """The Redis key prefix of a store's dedup log: one log per corpus, whichever jobs crawl into it."""
    uri = getattr(store, "uri", None)
    if not uri:
        raise ValueError("this store has no uri: pass RedisDedupIndex(key=...) explicitly")
    return f"govcorpus:dedup:{sha256(uri.encode('utf-8')).hexdigest()[:16]}"


class RedisDedupIndex(StoreDedupIndex):
    """A StoreDedupIndex replica kept in step with the other workers' through a Redis log."""

    def __init__(
        self,
        client: redis.Redis,
        store: ObjectStore,
        prefix: str = "dedup/index",
        *,
        key: str | None = None,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.redis = client
        self.key = key or redis_key_for(store)
        self._log_key = f"{self.key}:log"
        self._base_key = f"{self.key}:base"  # arrival number of the log's first entry
        self._stored_key = f"{self.key}:stored"  # documents the store's index holds (written by checkpoint)
        self.lock_timeout = lock_timeout
        self._outgoing: segments.Batch | None = None  # the entry of the document being added
        super().__init__(store, prefix)
        with self._locked():
            loaded = len(self)
            self.redis.set(self._base_key, loaded, nx=True)
            self.redis.set(self._stored_key, loaded, nx=True)
            base = int(self.redis.get(self._base_key) or 0)
            known = base + self.redis.llen(self._log_key)
            if loaded > known or loaded < base or (loaded > base and self._logged_id(loaded - 1 - base) != self._doc_ids[-1]):
                raise RuntimeError(
                    f"the store's dedup index holds {loaded} documents but Redis {self.key} covers {base}..{known}: "
                    f"it was written without Redis (or Redis lost its data). With no crawl running, delete the "
                    f"Redis keys {self.key}:* and the log restarts from the store."
                )
            self.sync()

    def _logged_id(self, position: int) -> str | None:
        raw = self.redis.lindex(self._log_key, position)
        return segments.decode(cast(bytes, raw)).doc_ids[0] if raw is not None else None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.redis.lock(f"{self.key}:lock", timeout=self.lock_timeout, blocking_timeout=self.lock_timeout * 2)
        if not lock.acquire():
            raise TimeoutError(f"could not take the dedup lock {self.key}:lock in {self.lock_timeout * 2:.0f}s")
        try:
            yield
        finally:
            with suppress(redis.exceptions.LockError):  # expired while we held it: the next add re-syncs anyway
                lock.release()

    def sync(self) -> int:
        """Replay the documents other workers appended since the last sync; return how many."""
        base = int(self.redis.get(self._base_key) or 0)
        start = len(self) - base
        entries = cast(list[bytes], self.redis.lrange(self._log_key, start, -1))
        for raw in entries:
            batch = segments.decode(raw)
            if batch.params != self.params:
                raise ValueError(f"{self._log_key} holds dedup parameters {batch.params}, this code uses {self.params}")
            if batch.first != len(self):
                raise ValueError(f"{self._log_key} entry for document {batch.first} arrived when {len(self)} were known")
            last = len(batch) - 1
            for row, (doc_id, rank, fp) in enumerate(zip(batch.doc_ids, batch.ranks, batch.fingerprints, strict=True)):
                node = self._register(doc_id, rank, fp)
                self._index(node, batch.near_edges if row == last else [], batch.fragment_edges if row == last else [])
        return len(entries)

    def _record(self, node: int, fp: Fingerprint, near: list[tuple[int, int]], fragments: list[tuple[int, int, float]]) -> None:
        """The new document's log entry, pushed once add() has indexed it (nothing queues for a segment)."""
        self._outgoing = segments.Batch(node, self.params, [self._doc_ids[node]], [self._ranks[node]], [fp], near, fragments)

    def add(self, doc: Candidate, fp: Fingerprint | None = None) -> list[Link]:
        fp = fp if fp is not None else fingerprint(doc.text)  # the costly part, outside the lock
        with self._locked():
            self.sync()
            if doc.doc_id in self:
                return [self.link(doc.doc_id)]
            self._outgoing = None
            links = super().add(doc, fp)
            if self._outgoing is not None:
                self.redis.rpush(self._log_key, segments.encode(self._outgoing))
                self._outgoing = None
        return links

    def link(self, doc_id: str) -> Link:
        if doc_id not in self:
            self.sync()
        return super().link(doc_id)

    def flush(self) -> None:
        """Nothing to do: an add is in Redis before it returns. The store gets it from `checkpoint`."""

    def compact(self) -> None:
        raise NotImplementedError("a Redis dedup index writes the store only through checkpoint()")

    def checkpoint(self) -> int:
        """Write the documents the store's index lacks as one segment; return how many."""
        with self._locked():
            self.sync()
            stored, end = int(self.redis.get(self._stored_key) or 0), len(self)
            if end <= stored:
                return 0
            near = np.frombuffer(self._near_edges, dtype=np.int64).reshape(-1, 2)
            fragment_pairs = np.frombuffer(self._fragment_edges, dtype=np.int64).reshape(-1, 2)
            fragments = np.column_stack([fragment_pairs.astype(np.float64), np.frombuffer(self._fragment_containment, dtype=np.float64)])
            batch = segments.Batch(
                stored, self.params, self._doc_ids[stored:end], self._ranks[stored:end], self._fps[stored:end],
                near[near.max(axis=1, initial=-1) >= stored], fragments[fragment_pairs.max(axis=1, initial=-1) >= stored],
            )
            self.store.put(f"{self.prefix}/segments/{stored:012d}", segments.encode(batch))
            self.redis.set(self._stored_key, end)
            return end - stored

    def state(self) -> dict[str, Any]:
        """Where the log stands (for logs and tests)."""
        return {
            "documents": len(self),
            "base": int(self.redis.get(self._base_key) or 0),
            "stored": int(self.redis.get(self._stored_key) or 0),
            "log": self.redis.llen(self._log_key),
        }
