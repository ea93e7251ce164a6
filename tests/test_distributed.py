"""Distributed crawling: worker processes sharing a frontier, seen-set and dedup index in a real Redis.

Two `govcorpus crawl` workers crawl the test internet into SeaweedFS: every page is fetched once across
both, every document is stored once with the right canonical, and the union of their manifests holds
every touched URL exactly once. A worker killed with SIGKILL mid-crawl loses nothing: its leased
requests go back to the frontier, the other worker finishes, and its manifest is closed from its parts.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from internet import INTERNET_DIR, Internet, load_expected, start_internet
from redis_server import reply_bytes
from support import FAST, SHARED, stored_document
from test_dedup import MemoryStore, candidate, gold, reprint

from storage.backends import open_store
from storage.corpus import Corpus
from storage.dedup import Candidate, Link, StoreDedupIndex, fingerprint
from storage.dedup.redis_index import RedisDedupIndex
from storage.manifest import manifest_keys, read_manifest
from storage.runs import job_name

EXPECTED = load_expected()
FAST_REDIS = ["-s", "GOVCORPUS_REDIS_IDLE_TIMEOUT=1", "-s", "GOVCORPUS_REDIS_LEASE_TIMEOUT=3"]
JOB = job_name(["forum", "news", "portal"])


def fail_first() -> dict[tuple[str, str], int]:
    """Routes that answer 500 before they succeed: fetched once more, by design (the retry)."""
    counts = {}
    for host in ("portal", "forum", "news"):
        for route in json.loads((INTERNET_DIR / host / "routes.json").read_text(encoding="utf-8")):
            if route.get("fail_first"):
                counts[(host, route["path"])] = route["fail_first"]
    return counts


def start_worker(net: Internet, store: str, redis_url: str, log: Path) -> subprocess.Popen[str]:
    govcorpus = str(Path(sys.executable).parent / "govcorpus")
    command = [govcorpus, "crawl", "-v", "--config", str(net.config), "--store", store, *FAST, *FAST_REDIS]
    return subprocess.Popen(
        command, env={**os.environ, "GOVCORPUS_REDIS_URL": redis_url}, stdout=subprocess.PIPE, stderr=log.open("w"), text=True
    )


def finish(worker: subprocess.Popen[str], log: Path, timeout: float = 150) -> str:
    try:
        out, _ = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise AssertionError(f"worker did not finish in {timeout}s:\n{log.read_text()[-3000:]}") from None
    assert worker.returncode == 0, log.read_text()[-3000:]
    return out


def manifest_lines(store: str, net: Internet) -> tuple[dict[str, list[tuple[str, str]]], dict[tuple[str, str], dict]]:
    """(keys per manifest, line per URL) over every finished manifest; fails if a URL is in two lines."""
    per_manifest: dict[str, list[tuple[str, str]]] = {}
    lines: dict[tuple[str, str], dict] = {}
    for key in manifest_keys(open_store(store)):
        for line in read_manifest(open_store(store), key):
            if "url" in line:
                where = net.key_of(line["url"])
                assert where not in lines, f"{where} is in two manifest lines: {lines[where]} and {line}"
                lines[where] = line
                per_manifest.setdefault(key, []).append(where)
    return per_manifest, lines


def check_corpus(net: Internet, store: str, lines: dict[tuple[str, str], dict]) -> None:
    """The expected documents, each stored once, with the right canonical; every touched URL's outcome."""
    corpus = Corpus.open(store)
    records = [key for key in open_store(store).list("documents/")]
    assert len(records) == len(EXPECTED["documents"]), records
    stored = {net.key_of(entry["url"]): stored_document(corpus, entry["id"]) for entry in corpus.entries()}
    assert set(stored) == {(doc["host"], doc["path"]) for doc in EXPECTED["documents"]}
    by_id = {doc.id: key for key, doc in stored.items()}
    for expected in EXPECTED["documents"]:
        doc = stored[(expected["host"], expected["path"])]
        canonical = expected["duplicate_of"]
        assert (by_id.get(doc.duplicate_of) if doc.duplicate_of else None) == (
            (canonical["host"], canonical["path"]) if canonical else None
        ), expected["path"]
    expected_lines = {(entry["host"], entry["path"]): entry for entry in EXPECTED["touched"]}
    assert not sorted(set(lines) - set(expected_lines)), "touched but not expected"
    for key, entry in expected_lines.items():
        line = lines.get(key)
        if line is None:
            assert not entry.get("required"), f"required URL in no manifest: {key}"
            continue
        assert line["outcome"] == entry["outcome"], (key, line)
        if entry.get("reason"):
            assert line.get("reason") == entry["reason"], (key, line)


def job_keys(redis_url: str) -> list[bytes]:
    return list(redis.Redis.from_url(redis_url).scan_iter(f"govcorpus:job:{JOB}:*"))


def test_two_workers_share_the_frontier(tmp_path: Path, s3_uri: str, redis_url: str) -> None:
    with start_internet(tmp_path) as net:
        logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
        workers = [start_worker(net, s3_uri, redis_url, log) for log in logs]
        outputs = [finish(worker, log) for worker, log in zip(workers, logs, strict=True)]
        requested = Counter((host, target) for host, server in net.servers.items() for _, target, _ in server.requests)

    for entry in EXPECTED["never_requested"]:  # robots.txt is obeyed by every worker
        assert (entry["host"], entry["path"]) not in requested
    retried = fail_first()
    for key, count in requested.items():
        if key[1] != "/robots.txt":  # each worker reads robots.txt itself
            assert count == 1 + retried.get(key, 0), f"{key} requested {count} times"
    per_manifest, lines = manifest_lines(s3_uri, net)
    assert len(per_manifest) == 2 and all(per_manifest.values()), "both workers recorded URLs"
    assert all("Manifest: manifests/" in out for out in outputs)
    assert {key for key in requested if key[1] != "/robots.txt"} <= set(lines) | {
        (doc["host"], doc["final_path"]) for doc in EXPECTED["documents"] if doc.get("final_path")
    }
    check_corpus(net, s3_uri, lines)
    assert job_keys(redis_url) == [], "the last worker deletes the job's keys"
    assert not open_store(s3_uri).exists("lock.json"), "the workers shared the store's lease; the last one removes it"


def test_a_killed_worker_loses_nothing(tmp_path: Path, s3_uri: str, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    prefix = f"govcorpus:job:{JOB}"
    with start_internet(tmp_path) as net:
        logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
        workers = {worker.pid: (worker, log) for worker, log in ((start_worker(net, s3_uri, redis_url, log), log) for log in logs)}
        # Mid-crawl: freeze a worker that holds leases (so none is released under us), then kill it.
        victim, held = None, 0
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            served = sum(len(server.requests) for server in net.servers.values())
            for number_reply, host_pid in client.hgetall(f"{prefix}:pids").items():
                pid, number = int(reply_bytes(host_pid).decode().rpartition(":")[2]), reply_bytes(number_reply).decode()
                if served < 15 or pid not in workers or not client.hlen(f"{prefix}:leases:{number}"):
                    continue
                os.kill(pid, signal.SIGSTOP)
                held = client.hlen(f"{prefix}:leases:{number}")
                if held:
                    os.kill(pid, signal.SIGKILL)
                    victim = workers.pop(pid)[0]
                    break
                os.kill(pid, signal.SIGCONT)
            time.sleep(0.005)
        assert victim is not None, "no worker held a lease mid-crawl"
        victim.wait(timeout=10)
        ((survivor, log),) = workers.values()
        finish(survivor, log, timeout=150)
        survivor_log = log.read_text()

    assert held >= 1
    assert "went back to the frontier" in survivor_log
    per_manifest, lines = manifest_lines(s3_uri, net)
    # The killed worker's flushed lines (if it flushed any before dying) were joined into its manifest.
    assert 1 <= len(per_manifest) <= 2
    assert not [key for key in open_store(s3_uri).list("manifests/") if "/part-" in key], "unjoined manifest parts"
    check_corpus(net, s3_uri, lines)
    assert job_keys(redis_url) == []


# --- the dedup index in Redis ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_docs() -> list[Candidate]:
    seed_000 = next((SHARED / "seeds").glob("000_*.txt")).read_text(encoding="utf-8")
    return [
        candidate("000", seed_000, family="mirror"),
        candidate("001", gold("001"), family="discuz"),
        candidate("001-reprint", reprint(gold("001")), family="aggregator"),
        candidate("002", gold("002"), source_type="pdf"),
        candidate("003", gold("003"), family="gov_portal"),
        candidate("004", gold("004"), family="aggregator"),
    ]


def links_of(index: StoreDedupIndex) -> dict[str, Link]:
    return {link.doc_id: link for link in index.links()}


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_redis_index_matches_the_store_index_across_two_workers(redis_url: str, seed_docs: list[Candidate], order: int) -> None:
    fingerprints = {doc.doc_id: fingerprint(doc.text) for doc in seed_docs}
    reference = StoreDedupIndex(MemoryStore())
    for doc in seed_docs:
        reference.add(doc, fingerprints[doc.doc_id])
    docs = list(itertools.permutations(seed_docs))[order * 173]
    client = redis.Redis.from_url(redis_url)
    key = f"govcorpus:test-dedup:{order}"
    client.delete(*client.keys(f"{key}:*") or [key])
    store = MemoryStore()
    workers = [RedisDedupIndex(client, store, key=key), RedisDedupIndex(client, store, key=key)]
    changed: dict[str, Link] = {}
    for n, doc in enumerate(docs):  # the two workers take turns, each seeing the other's documents
        for link in workers[n % 2].add(doc, fingerprints[doc.doc_id]):
            changed[link.doc_id] = link
    for worker in workers:
        worker.sync()
        assert links_of(worker) == links_of(reference)
        assert worker.canonical_ids() == reference.canonical_ids() == {"001", "002", "003", "004"}
    # What the adds reported, applied in order, ends where the index is: nobody misses a re-pointing.
    assert changed == links_of(reference)
    # A third worker opening late, and a local index after the checkpoint, agree too.
    assert links_of(RedisDedupIndex(client, store, key=key)) == links_of(reference)
    assert workers[0].checkpoint() == len(seed_docs) and workers[1].checkpoint() == 0
    assert links_of(StoreDedupIndex(store)) == links_of(reference)
    assert links_of(RedisDedupIndex(client, store, key=key)) == links_of(reference)


def test_redis_index_refuses_a_store_written_behind_its_back(redis_url: str, seed_docs: list[Candidate]) -> None:
    client = redis.Redis.from_url(redis_url)
    key = "govcorpus:test-dedup:behind"
    client.delete(*client.keys(f"{key}:*") or [key])
    store = MemoryStore()
    RedisDedupIndex(client, store, key=key).add(seed_docs[0])
    with StoreDedupIndex(store) as local:  # a crawl without Redis writing the same store
        local.add(seed_docs[1])
    with pytest.raises(RuntimeError, match="delete the Redis keys"):
        RedisDedupIndex(client, store, key=key)


def test_a_dead_workers_recorded_list_page_still_goes_back(tmp_path: Path, redis_url: str) -> None:
    """A sitemap's line can be durable while its links are still being queued: the request goes back anyway.

    Whoever takes it again follows its links, and does not write a second line for it.
    """
    from scrapy.utils.test import get_crawler

    from crawler.distributed import Coordinator, LeasedManifest

    job = "requeue-recorded"
    client = redis.Redis.from_url(redis_url)
    client.delete(*client.keys(f"govcorpus:job:{job}:*") or ["none"])
    settings = {"GOVCORPUS_REDIS_URL": redis_url, "GOVCORPUS_JOB": job, "GOVCORPUS_REDIS_LEASE_TIMEOUT": 1}
    store = open_store(str(tmp_path / "corpus"))
    dead, alive = (Coordinator.of(get_crawler(settings_dict=settings)) for _ in range(2))
    try:
        sitemap, article = "http://127.0.0.2/sitemap.xml", "http://127.0.0.2/zwgk/a.html"
        dead_manifest = LeasedManifest(store, dead.manifest_id)
        dead_manifest.record(sitemap, "skipped", reason="sitemap")
        dead_manifest.flush()  # durable, while the sitemap's links were still being queued
        for url in (sitemap, article):
            data = pickle.dumps({"url": url})
            client.hset(dead.lease_key(), url, b"0|" + data)
        dead.stop()  # its heartbeat ends: it is dead
        alive.store = store
        assert alive.reclaim() == 2
        queued = {pickle.loads(reply_bytes(data))["url"] for data in client.zrange(alive.queue_key, 0, -1)}
        assert queued == {sitemap, article}
        manifest = LeasedManifest(store, alive.manifest_id)
        manifest.coordinator = alive
        assert manifest.has_recorded(sitemap) and not manifest.has_recorded(article)
    finally:
        for coordinator in (dead, alive):
            coordinator.stop()
        client.delete(*client.keys(f"govcorpus:job:{job}:*") or ["none"])
