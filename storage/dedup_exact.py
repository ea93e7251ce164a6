"""Exact-duplicate lookup by the hash of the canonical text, persisted in the store."""

from __future__ import annotations

from storage.backends import ObjectStore


class ExactDedup:
    """content_sha256 → id of the first document stored with that text."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @staticmethod
    def _key(content_sha256: str) -> str:
        return f"dedup/exact/{content_sha256}"

    def canonical_for(self, content_sha256: str) -> str | None:
        try:
            return self.store.get(self._key(content_sha256)).decode("ascii")
        except KeyError:
            return None

    def add(self, content_sha256: str, doc_id: str) -> None:
        self.store.put(self._key(content_sha256), doc_id.encode("ascii"))
