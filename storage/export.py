"""Export the canonical documents as JSON Lines or Parquet, with a manifest of files and checksums.

The files are plain enough for pandas, DuckDB, pyarrow and HF `datasets` to read as they are:
one row per canonical document (duplicates left out), text included, metadata as columns.

Every format has the same columns (`COLUMNS`). A document's own fields keep their names; the
metadata fields of README "Metadata" are lifted into columns of their own names, except
`metadata.source` (where a reprint comes from, 来源：北京日报), which becomes `reprint_source`:
`source` is the document's own field, the crawl source that fetched it. The whole `metadata`
object (per-format fields such as `tables`, `pages`, `ocr` included) is the `metadata` column, as
a JSON text in every format.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cleaners.document import Document
from storage.backends import ObjectStore
from storage.corpus import Corpus
from storage.listing import Listing, Unindexed, list_documents
from storage.manifest import utc_now

FORMATS = ("jsonl", "parquet")
MANIFEST_NAME = "_manifest.json"
ROWS_PER_FILE = 10_000

# Column name → Arrow type name; metadata fields are lifted out of `metadata` into columns.
COLUMNS: dict[str, str] = {
    "id": "string",
    "url": "string",
    "final_url": "string",
    "title": "string",
    "text": "string",
    "chars": "int64",
    "published": "string",
    "source_type": "string",
    "family": "string",
    "encoding": "string",
    "content_sha256": "string",
    "raw_sha256": "string",
    "fetched_at": "string",
    "region": "string",
    "doc_type": "string",
    "year": "int32",
    "delivered": "string",
    "meeting": "string",
    "speaker": "string",
    # An official document's fields (README "Metadata"): issuing organ, 发文字号, 成文日期 …
    "issuer": "string",
    "document_number": "string",
    "written_date": "string",
    "index_number": "string",
    "subject": "string",
    "addressee": "string",
    "publisher": "string",
    "signer": "string",
    "keywords": "string",
    "genre": "string",
    "validity": "string",
    # The document's own `source` is the crawl source (sources.toml); metadata's is the reprint's.
    "source": "string",
    "reprint_source": "string",
    "metadata": "string",  # the whole metadata object as JSON text
}
# Export column → metadata field, where the names differ.
RENAMED_METADATA = {"reprint_source": "source"}


def export_row(doc: Document) -> dict[str, Any]:
    """One flat row (COLUMNS): the document's own fields, then its metadata fields as columns."""
    record = doc.to_dict()
    metadata = record.pop("metadata") or {}
    row = {name: record[name] if name in record else metadata.get(RENAMED_METADATA.get(name, name)) for name in COLUMNS}
    row["chars"] = doc.chars
    row["metadata"] = json.dumps(metadata, ensure_ascii=False, sort_keys=True)
    if row["year"] is not None:
        row["year"] = int(row["year"])
    return row


def canonical_documents(corpus: Corpus, entries: list[dict[str, Any]] | None = None) -> Iterator[Document]:
    """The canonical documents of the index's `entries` (default: the whole index), in id order."""
    for entry in corpus.entries() if entries is None else entries:
        if entry.get("duplicate_of"):
            continue
        doc = corpus.get(entry["id"])
        if doc is not None and doc.duplicate_of is None:
            yield doc


def _jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _parquet_bytes(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, getattr(pa, type_name)()) for name, type_name in COLUMNS.items()])
    table = pa.Table.from_pylist(rows, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


@dataclass
class ExportResult:
    manifest_key: str
    files: list[dict[str, Any]]
    rows: int
    unindexed: Unindexed | None = None  # documents of runs under way, not in the index yet: not exported


def export_corpus(corpus: Corpus, out: ObjectStore, fmt: str, prefix: str = "", listing: Listing | None = None) -> ExportResult:
    """Write `part-NNNNN.<fmt>` files and `_manifest.json` under `prefix` of `out`.

    The documents are those the index lists, checked against the store (`storage.listing`):
    StoreDamaged when documents are missing from the index that no run under way explains.
    `listing`: that check's result, when the caller made it already.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    listing = listing if listing is not None else list_documents(corpus)
    encode = _parquet_bytes if fmt == "parquet" else _jsonl_bytes
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    files: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        data = encode(batch)
        key = f"{prefix}part-{len(files):05d}.{fmt}"
        out.put(key, data)
        files.append({"key": key, "rows": len(batch), "bytes": len(data), "sha256": sha256(data).hexdigest()})
        batch.clear()

    for doc in canonical_documents(corpus, listing.entries):
        batch.append(export_row(doc))
        if len(batch) >= ROWS_PER_FILE:
            flush()
    if batch or not files:
        flush()  # an empty corpus still exports one empty, schema-bearing file
    rows = sum(item["rows"] for item in files)
    manifest = {
        "format": fmt,
        "created_at": utc_now(),
        "source_store": corpus.uri,
        "rows": rows,
        "columns": COLUMNS,
        "files": files,
    }
    manifest_key = f"{prefix}{MANIFEST_NAME}"
    out.put(manifest_key, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return ExportResult(manifest_key, files, rows, listing.unindexed)
