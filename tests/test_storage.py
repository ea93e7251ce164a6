"""One storage suite, run against every backend: a local directory and a real SeaweedFS."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support import SHARED, document_of, stored_document

from cleaners.document import Fetched, document_id
from storage.backends import LocalStore, S3Store, StoreError, open_store
from storage.building import Exchange, build
from storage.corpus import INDEX_KEY, Corpus, document_key
from storage.journey import Journey
from storage.manifest import ManifestWriter, manifest_keys, read_manifest
from storage.warc import WarcRef, read_response


def report_page(gold: str, title: str) -> bytes:
    paragraphs = (SHARED / "gold" / f"{gold}.txt").read_text(encoding="utf-8").splitlines()
    body = "".join(f"<p>{line}</p>" for line in paragraphs)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def fetched(url: str, body: bytes) -> Fetched:
    return Fetched(url, url, 200, {"content-type": "text/html; charset=utf-8"}, body, "2026-11-22T00:00:00Z")


def test_open_store_picks_backend_by_uri(store_uri: str) -> None:
    store = open_store(store_uri)
    assert isinstance(store, S3Store if store_uri.startswith("s3://") else LocalStore)


def test_put_get_overwrite_exists_delete(store_uri: str) -> None:
    store = open_store(store_uri)
    assert not store.exists("documents/a.json")
    with pytest.raises(KeyError):
        store.get("documents/a.json")
    store.put("documents/a.json", b"first")
    store.put("documents/a.json", "第二".encode())
    assert store.get("documents/a.json").decode() == "第二"
    assert store.exists("documents/a.json")
    store.delete("documents/a.json")
    store.delete("documents/a.json")  # deleting twice is fine
    assert not store.exists("documents/a.json")


def test_list_is_sorted_and_filtered_by_prefix(store_uri: str) -> None:
    store = open_store(store_uri)
    for key in ["raw/bb/2", "documents/b.json", "raw/aa/1", "documents/a.json", "index.jsonl"]:
        store.put(key, b"x")
    assert list(store.list("documents/")) == ["documents/a.json", "documents/b.json"]
    assert list(store.list("raw/")) == ["raw/aa/1", "raw/bb/2"]
    assert list(store.list()) == sorted(["raw/bb/2", "documents/b.json", "raw/aa/1", "documents/a.json", "index.jsonl"])


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "../escape"])
def test_invalid_keys_are_refused(store_uri: str, key: str) -> None:
    with pytest.raises(ValueError):
        open_store(store_uri).put(key, b"x")


def test_workers_opening_a_new_bucket_at_once_all_succeed(seaweedfs: object) -> None:
    """Two crawl workers started together on a bucket that does not exist yet: both create it, both go on."""
    bucket = f"govcorpus-race-{uuid.uuid4().hex[:8]}"
    opened = threading.Barrier(8)

    def open_together(_: int) -> str:
        opened.wait()
        return open_store(f"s3://{bucket}/run").uri

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(open_together, range(8))) == [f"s3://{bucket}/run"] * 8


def test_unsupported_uri_says_what_to_use() -> None:
    with pytest.raises(StoreError, match="s3://bucket/prefix"):
        open_store("gs://bucket/x")


def test_manifest_parts_join_into_one_file_with_stats(store_uri: str) -> None:
    store = open_store(store_uri)
    writer = ManifestWriter(store, "run-1", flush_every=2)
    writer.record("http://a/1", "stored", id="1")
    writer.record("http://a/2", "failed", reason="http_404")
    writer.record("http://a/3", "skipped", reason="too_short")
    assert len(list(store.list("manifests/run-1/"))) == 1  # first two lines already durable
    key = writer.close({"bytes": 10, "duration_s": 1.5})  # a caller's figures never override the lines'
    assert key == "manifests/run-1.jsonl"
    assert list(store.list("manifests/run-1/")) == []  # parts removed once joined
    lines = list(read_manifest(store, key))
    assert [line["url"] for line in lines[:-1]] == ["http://a/1", "http://a/2", "http://a/3"]
    assert lines[1]["reason"] == "http_404"
    stats = lines[-1]["stats"]
    assert stats["counts"] == {"stored": 1, "duplicate": 0, "unchanged": 0, "skipped": 1, "failed": 1}
    assert stats["bytes"] == 0 and stats["duration_s"] == 1.5
    assert manifest_keys(store) == ["manifests/run-1.jsonl"]


def test_unknown_outcome_is_refused(store_uri: str) -> None:
    with pytest.raises(ValueError):
        ManifestWriter(open_store(store_uri), "run").record("http://a", "maybe")


def test_ingest_stores_once_per_url_and_marks_copies(store_uri: str) -> None:
    corpus = Corpus.open(store_uri)
    page = report_page("003", "新华路街道2023年工作总结")
    urls = ["http://portal.test/a.html", "http://mirror.test/copy.html"]

    first = Journey(corpus, run_id="r1")
    outcomes = [first.ingest(Exchange(fetched(url, page))) for url in urls]
    first.close()
    # Equal copies: which one is canonical does not depend on which came first.
    docs = {url: stored_document(Corpus.open(store_uri), document_of(outcome).id) for url, outcome in zip(urls, outcomes, strict=True)}
    canonical = [doc for doc in docs.values() if doc.duplicate_of is None]
    copies = [doc for doc in docs.values() if doc.duplicate_of is not None]
    assert len(canonical) == 1 and len(copies) == 1
    assert copies[0].duplicate_of == canonical[0].id and copies[0].duplicate_relation == "exact"

    second = Journey(Corpus.open(store_uri), run_id="r2")
    again = second.ingest(Exchange(fetched(urls[0], page)))
    second.close()
    assert again.outcome == "unchanged"

    store = open_store(store_uri)
    assert len(list(store.list("documents/"))) == 2  # the URL fetched twice has one record
    record = json.loads(store.get(document_key(docs[urls[0]].id)))
    assert record["url"] == urls[0]
    assert "新华路街道" in record["text"]
    warc = [WarcRef.from_dict(ref) for ref in record["warc_records"]]  # the bytes as fetched, in the WARC archive
    assert [(ref.role, read_response(store, ref).body) for ref in warc] == [("document", page)]
    assert record["raw_headers"]["content-type"].startswith("text/html")

    index = [json.loads(line) for line in store.get(INDEX_KEY).decode().splitlines()]
    assert {entry["url"] for entry in index} == set(urls)
    assert {entry["duplicate_of"] for entry in index} == {None, canonical[0].id}

    (run1, _) = manifest_keys(store)
    lines = {line["url"]: line for line in read_manifest(store, run1) if "url" in line}
    assert lines[copies[0].url]["outcome"] == "duplicate"  # as the run ended, not as it went
    assert lines[canonical[0].url]["outcome"] == "stored"


def test_rejections_and_failures_reach_the_manifest(store_uri: str) -> None:
    corpus = Corpus.open(store_uri)
    journey = Journey(corpus, run_id="r")
    assert journey.ingest(Exchange(fetched("http://a/empty", b""))).outcome == "failed"
    assert journey.fail("http://a/404", "http_404", "HTTP 404").outcome == "failed"
    assert journey.fail("http://a/private", "robots_txt").outcome == "skipped"
    key = journey.close()
    assert key is not None
    lines = {line["url"]: line for line in read_manifest(corpus.store, key) if "url" in line}
    assert lines["http://a/empty"]["reason"] == "empty"
    assert (lines["http://a/404"]["outcome"], lines["http://a/404"]["reason"]) == ("failed", "http_404")
    assert lines["http://a/private"]["outcome"] == "skipped"
    assert list(corpus.store.list("documents/")) == []


def test_no_store_mode_writes_nothing(store_uri: str) -> None:
    corpus = Corpus.open(store_uri)
    outcome = Journey(corpus, store=False).ingest(Exchange(fetched("http://a/x", report_page("003", "新华路街道2023年工作总结"))))
    assert outcome.outcome == "stored" and outcome.document is not None
    assert list(open_store(store_uri).list()) == []


def test_rebuild_index_recovers_from_a_lost_index(store_uri: str) -> None:
    corpus = Corpus.open(store_uri)
    journey = Journey(corpus, run_id="r")
    doc = document_of(journey.ingest(Exchange(fetched("http://a/x", report_page("004", "长宁区政府工作报告")))))
    journey.close()
    corpus.store.delete(INDEX_KEY)
    fresh = Corpus.open(store_uri)
    assert fresh.entries() == []
    fresh.rebuild_index()
    assert [entry["id"] for entry in Corpus.open(store_uri).entries()] == [doc.id]


def test_puts_are_visible_at_once_and_sync_returns(store_uri: str) -> None:
    store = open_store(store_uri)
    for n in range(20):
        store.put(f"documents/{n:02d}.json", b"{}")
        assert store.get(f"documents/{n:02d}.json") == b"{}"
    store.put("documents/00.json", b"[]")  # over an existing object
    store.sync()
    store.delete("documents/01.json")
    assert len(list(store.list("documents/"))) == 19 and store.get("documents/00.json") == b"[]"


def test_a_record_cut_short_by_a_power_cut_is_fetched_again(store_uri: str) -> None:
    """A record whose data never reached the disk reads as empty: missing, not a crash, and rewritten."""
    page = report_page("003", "新华路街道2023年工作总结")
    url = "http://portal.test/a.html"
    corpus = Corpus.open(store_uri)
    corpus.store.put(document_key(document_id(url)), b"")
    assert corpus.get(document_id(url)) is None
    corpus.rebuild_index()
    assert corpus.entries() == []
    journey = Journey(Corpus.open(store_uri), run_id="after-the-cut")
    outcome = journey.ingest(Exchange(fetched(url, page)))
    journey.close()
    assert outcome.outcome == "stored" and stored_document(Corpus.open(store_uri), document_of(outcome).id).url == url


def test_a_document_worker_whose_crawl_is_already_gone_exits() -> None:
    """The crawl can die (SIGKILL) while its worker is still starting: the worker must not live on."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    started = time.monotonic()
    worker = subprocess.run(
        [sys.executable, "-c", f"import time; from storage.building import worker_init; worker_init({gone.pid}); time.sleep(60)"],
        timeout=30,
    )
    assert worker.returncode == 0 and time.monotonic() - started < 20


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_local_objects_get_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    """A corpus other users or services read: objects are 0666 less the umask, as open() makes files."""
    probe = (
        f"import os; os.umask({umask})\n"
        "from pathlib import Path\n"
        "from storage.backends import open_store\n"
        f"store = open_store({str(tmp_path / 'corpus')!r})\n"
        "store.put('docs/a.json', b'{}'); store.put('docs/a.json', b'{}{}')\n"  # new, then replaced
        "assert store.put_new('lock.json', b'{}') is not None\n"
        "store.sync()\n"
        f"print(' '.join(oct(p.stat().st_mode & 0o777) for p in sorted(Path({str(tmp_path / 'corpus')!r}).rglob('*.json'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.split() == [oct(mode), oct(mode)]


def test_fsyncs_run_in_batches_and_a_failure_is_reported_once(tmp_path: Path) -> None:
    from storage.backends import _Durability

    durability = _Durability()
    files = []
    for n in range(50):
        files.append(tmp_path / f"{n}.json")
        files[-1].write_bytes(b"{}")
        durability.add(files[-1], tmp_path)
    assert durability.wait() is None
    durability.add(tmp_path / "gone.json", tmp_path)  # never written: fsync cannot open it
    failure = durability.wait()
    assert isinstance(failure, FileNotFoundError) and "gone.json" in str(failure)
    assert durability.wait() is None  # reported once
    durability.add(files[0], tmp_path)
    assert durability.wait() is None  # the background thread went on after the failure


def test_a_store_whose_files_cannot_be_made_durable_says_so_on_sync(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "corpus"))
    store.put("docs/a.json", b"{}")
    store.sync()
    (tmp_path / "corpus" / "docs" / "a.json").unlink()
    (tmp_path / "corpus" / "docs").rmdir()  # the folder of the next put vanishes before its fsync can run
    store._durability.add(tmp_path / "corpus" / "docs" / "b.json", tmp_path / "corpus" / "docs")  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="could not be made durable"):
        store.sync()
    store.sync()  # reported once; the store stays usable
    store.put("docs/c.json", b"{}")
    store.sync()


def test_files_no_sync_asked_for_are_made_durable_before_the_process_exits(tmp_path: Path) -> None:
    # Fewer files than a batch and no sync(): the store's exit hook fsyncs them. Exit hooks run
    # last registered first, so the probe's own, registered before the store module is imported,
    # runs after the store's and sees what it did.
    probe = (
        "import atexit\n"
        "seen = []\n"
        "atexit.register(lambda: print('finished', seen[0]._finished))\n"
        "from storage.backends import open_store, _UNSYNCED\n"
        f"store = open_store({str(tmp_path / 'corpus')!r})\n"
        "for n in range(3): store.put(f'docs/{n}.json', b'{}')\n"
        "seen.extend(_UNSYNCED)\n"
        "assert seen[0]._added == 3 and seen[0]._finished == 0\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["finished", "3"]


def test_the_journey_appends_the_warc_records_the_build_made(store_uri: str) -> None:
    """Builds in worker processes make the WARC records; the store's writer appends those very bytes."""
    url, parent_url = "http://portal.test/r.html", "http://portal.test/list.html"
    exchange = Exchange(fetched(url, report_page("003", "新华路街道2023年工作总结")), parent=fetched(parent_url, b"<html>list</html>"))
    assert build(exchange).warc == ()  # not asked for: nothing made
    built = build(exchange, warc=True)
    assert [(records.uri, records.role) for records in built.warc] == [(url, "document"), (parent_url, "parent")]

    journey = Journey(Corpus.open(store_uri), run_id="r")
    assert journey.archives_records
    doc = document_of(journey.accept(exchange, built))
    journey.close()
    store = open_store(store_uri)
    refs = [WarcRef.from_dict(ref) for ref in doc.warc_records]
    for ref, records in zip(refs, built.warc, strict=True):
        data = store.get(ref.file)
        assert data[ref.offset : ref.offset + ref.length] == records.response  # record ids are random: these bytes, not new ones
    bodies = [(ref.role, read_response(store, ref).body) for ref in refs]
    assert bodies == [("document", exchange.fetched.body), ("parent", b"<html>list</html>")]
    assert not Journey(Corpus.open(store_uri), store=False).archives_records  # fetch --no-store archives nothing
