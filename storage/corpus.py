"""The corpus layout on an object store: documents, raw bytes, manifests and the index.

Keys (the same on every backend):
    documents/<id>.json              current version of each document (text + metadata)
    history/<id>/v<N>.json           earlier versions of a document that changed
    raw/<sha[:2]>/<sha>              the fetched bytes, content-addressed by their SHA-256
                                     (their response headers are in the document's raw_headers)
    manifests/<run-id>.jsonl         one line per URL a run touched, closing stats line last
    index.jsonl                      one line per current document (id, url, title, chars, …)
    dedup/…                          the deduplication index
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from cleaners.document import Document
from storage.backends import ObjectStore, StoreDamaged, open_store

log = logging.getLogger(__name__)

INDEX_KEY = "index.jsonl"
INDEX_FIELDS = (
    "id",
    "version",
    "url",
    "title",
    "chars",
    "content_sha256",
    "duplicate_of",
    "duplicate_relation",
    "source_type",
    "published",
    "fetched_at",
)


def document_key(doc_id: str) -> str:
    return f"documents/{doc_id}.json"


def history_key(doc_id: str, version: int) -> str:
    return f"history/{doc_id}/v{version:06d}.json"


def raw_key(raw_sha256: str) -> str:
    return f"raw/{raw_sha256[:2]}/{raw_sha256}"


def index_entry(doc: Document) -> dict[str, Any]:
    record = doc.to_dict()
    record["chars"] = doc.chars
    return {name: record.get(name) for name in INDEX_FIELDS}


def parse_index(body: bytes, uri: str) -> list[dict[str, Any]]:
    """The entries of an index.jsonl body; StoreDamaged naming the first bad line."""
    entries = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreDamaged(uri, INDEX_KEY, f"not UTF-8 at byte {exc.start}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StoreDamaged(uri, INDEX_KEY, f"line {number} is not JSON: {exc.msg}") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise StoreDamaged(uri, INDEX_KEY, f"line {number} has no document id")
        entries.append(entry)
    return entries


def _encode(doc: Document) -> bytes:
    return json.dumps(doc.to_dict(), ensure_ascii=False).encode("utf-8")


class Corpus:
    """Reads and writes documents on one ObjectStore."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._index: dict[str, dict[str, Any]] | None = None

    @classmethod
    def open(cls, uri: str) -> Corpus:
        return cls(open_store(uri))

    @property
    def uri(self) -> str:
        return self.store.uri

    def get(self, doc_id: str) -> Document | None:
        return self._read(document_key(doc_id))

    def _read(self, key: str) -> Document | None:
        try:
            body = self.store.get(key)
        except KeyError:
            return None
        try:
            return Document.from_dict(json.loads(body))
        except (ValueError, TypeError, AttributeError):
            # A record written just before a power cut, its data never reached the disk; no
            # manifest line names it, so the URL is fetched again and the record rewritten.
            log.warning("%s is unreadable (%d bytes): treated as missing", key, len(body))
            return None

    def put_raw(self, raw_sha256: str, body: bytes) -> None:
        """Keep the fetched bytes so cleaning can be re-run offline; content-addressed, so idempotent."""
        key = raw_key(raw_sha256)
        if not self.store.exists(key):
            self.store.put(key, body)

    def get_raw(self, raw_sha256: str) -> bytes:
        return self.store.get(raw_key(raw_sha256))

    def put(self, doc: Document, replaces: Document | None = None) -> None:
        """Write the document record, keeping the version it `replaces` in history first.

        The index is updated in memory and written by `write_index`.
        """
        if replaces is not None:
            self.store.put(history_key(replaces.id, replaces.version), _encode(replaces))
        self.store.put(document_key(doc.id), _encode(doc))
        self._loaded_index()[doc.id] = index_entry(doc)

    def history(self, doc_id: str) -> list[Document]:
        """Earlier versions of a document, oldest first."""
        return [Document.from_dict(json.loads(self.store.get(key))) for key in self.store.list(f"history/{doc_id}/")]

    def _loaded_index(self) -> dict[str, dict[str, Any]]:
        if self._index is None:
            self._index = {entry["id"]: entry for entry in self._read_index()}
        return self._index

    def _read_index(self) -> Iterator[dict[str, Any]]:
        """The entries of index.jsonl; StoreDamaged if it cannot be read as one."""
        try:
            body = self.store.get(INDEX_KEY)
        except KeyError:
            return iter(())
        return iter(parse_index(body, self.store.uri))

    def write_index(self) -> None:
        entries = sorted(self._loaded_index().values(), key=lambda entry: entry["id"])
        body = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
        self.store.put(INDEX_KEY, body.encode("utf-8"))

    def rebuild_index(self) -> None:
        """Rebuild the index from the document records (after a crash left it stale)."""
        self._index = {}
        for key in self.store.list("documents/"):
            doc = self._read(key) if key.endswith(".json") and key.count("/") == 1 else None
            if doc is not None:
                self._index[doc.id] = index_entry(doc)
        self.write_index()

    def entries(self) -> list[dict[str, Any]]:
        """The index: one summary per current document, sorted by id."""
        return sorted(self._loaded_index().values(), key=lambda entry: entry["id"])

    def resolve_id(self, prefix: str) -> str | None:
        """A full id from a unique prefix of one (like git's short hashes)."""
        matches = [doc_id for doc_id in self._loaded_index() if doc_id.startswith(prefix)]
        return matches[0] if len(matches) == 1 else None
