"""`govcorpus export`: canonical documents only, readable back by pyarrow and DuckDB, on every backend."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from support import SHARED, run_cli

from cleaners.document import Document, document_id, sha256_hex
from storage.backends import open_store
from storage.corpus import Corpus
from storage.export import COLUMNS, export_corpus


def make_doc(url: str, gold: str, **metadata: object) -> Document:
    text = (SHARED / "gold" / f"{gold}.txt").read_text(encoding="utf-8").strip()
    return Document(
        id=document_id(url),
        url=url,
        final_url=url,
        title=f"report {gold}",
        text=text,
        source_type="html",
        encoding="utf-8",
        content_sha256=sha256_hex(text),
        raw_sha256=sha256_hex(url),
        fetched_at="2026-11-22T00:00:00Z",
        metadata=dict(metadata),
    )


@pytest.fixture
def corpus(store_uri: str) -> Corpus:
    corpus = Corpus.open(store_uri)
    original = make_doc("http://a/001", "001", region="上海市静安区", year=2023, doc_type="政府工作报告")
    corpus.put(original)
    corpus.put(make_doc(
        "http://a/003", "003", issuer="上海市长宁区人民政府新华路街道办事处", publisher="上海市长宁区人民政府",
        document_number="长新办〔2024〕1号", written_date="2024-02-02",
    ))
    corpus.put(replace(make_doc("http://b/001-copy", "001"), duplicate_of=original.id, duplicate_relation="exact"))
    corpus.write_index()
    return corpus


def test_parquet_export_has_canonical_rows_with_metadata_columns(corpus: Corpus, tmp_path: Path) -> None:
    out = open_store(str(tmp_path / "export"))
    result = export_corpus(corpus, out, "parquet")
    assert result.rows == 2
    table = pq.read_table(tmp_path / "export" / "part-00000.parquet")
    assert table.column_names == list(COLUMNS)
    rows = {row["url"]: row for row in table.to_pylist()}
    assert set(rows) == {"http://a/001", "http://a/003"}  # the duplicate is left out
    assert rows["http://a/001"]["region"] == "上海市静安区" and rows["http://a/001"]["year"] == 2023
    assert rows["http://a/003"]["issuer"].endswith("办事处") and rows["http://a/003"]["publisher"].endswith("人民政府")
    assert rows["http://a/003"]["document_number"] == "长新办〔2024〕1号" and rows["http://a/001"]["document_number"] is None
    assert rows["http://a/001"]["text"].startswith("——2023年1月5日")

    files = str(tmp_path / "export" / "*.parquet")
    count, chars = duckdb.execute(f"select count(*), sum(chars) from read_parquet('{files}')").fetchall()[0]
    assert count == 2 and chars == sum(len(row["text"]) for row in rows.values())


def test_jsonl_export_and_manifest_checksums(corpus: Corpus, tmp_path: Path) -> None:
    out = open_store(str(tmp_path / "export"))
    export_corpus(corpus, out, "jsonl", prefix="v1")
    manifest = json.loads(out.get("v1/_manifest.json"))
    assert manifest["format"] == "jsonl" and manifest["rows"] == 2
    (part,) = manifest["files"]
    data = out.get(part["key"])
    import hashlib

    assert hashlib.sha256(data).hexdigest() == part["sha256"] and len(data) == part["bytes"]
    count = duckdb.execute(f"select count(*) from read_json_auto('{tmp_path / 'export' / part['key']}')").fetchall()[0][0]
    assert count == 2


def test_export_command_writes_to_s3(corpus: Corpus, s3_uri: str) -> None:
    out_uri = s3_uri + "-export"
    result = run_cli("export", "--format", "parquet", "--store", corpus.uri, "--out", out_uri)
    assert result.returncode == 0, result.stderr
    assert "Exported 2 canonical documents" in result.stdout
    out = open_store(out_uri)
    manifest = json.loads(out.get("_manifest.json"))
    import io

    table = pq.read_table(io.BytesIO(out.get(manifest["files"][0]["key"])))
    assert table.num_rows == 2


def test_empty_corpus_exports_an_empty_file_with_the_schema(tmp_path: Path) -> None:
    out = open_store(str(tmp_path / "export"))
    result = export_corpus(Corpus.open(str(tmp_path / "empty")), out, "parquet")
    assert result.rows == 0
    assert pq.read_table(tmp_path / "export" / "part-00000.parquet").column_names == list(COLUMNS)


def test_every_format_keeps_the_reprint_source_apart_from_the_crawl_source(tmp_path: Path) -> None:
    """`source` is the crawl source that fetched the document; metadata.source (来源：北京日报) is `reprint_source`."""
    corpus = Corpus.open(str(tmp_path / "corpus"))
    doc = make_doc("http://a/001", "001", source="北京日报", signer="张三", tables=[[["项目", "金额"]]])
    corpus.put(replace(doc, source="jingan"))
    corpus.write_index()
    rows = {}
    for fmt in ("jsonl", "parquet"):
        out = open_store(str(tmp_path / fmt))
        export_corpus(corpus, out, fmt)
        path = tmp_path / fmt / f"part-00000.{fmt}"
        if fmt == "parquet":
            (rows[fmt],) = pq.read_table(path).to_pylist()
        else:
            (rows[fmt],) = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert list(rows[fmt]) == list(COLUMNS)
        assert json.loads(out.get("_manifest.json"))["columns"] == COLUMNS
    assert rows["jsonl"] == rows["parquet"]  # the same columns and values in every format
    row = rows["parquet"]
    assert row["source"] == "jingan" and row["reprint_source"] == "北京日报" and row["signer"] == "张三"
    assert json.loads(row["metadata"]) == doc.metadata  # nothing of metadata is lost, per-format fields included
    sql = f"select source, reprint_source from read_parquet('{tmp_path / 'parquet' / '*.parquet'}')"
    assert duckdb.execute(sql).fetchall() == [("jingan", "北京日报")]
