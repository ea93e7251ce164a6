"""One writer per store: the lease in lock.json, on a local folder and on S3 (SeaweedFS's conditional writes)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dupsite import generate, sources_toml
from support import FAST, run_cli

from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.check import check_store
from storage.lease import LEASE_KEY, Holder, LeaseHeld, LeaseLost, StoreLease, held_lease, read_holder, store_lease
from storage.manifest import manifest_keys, read_manifest

# --- the conditional writes the lease is built on ------------------------------------------------


def test_conditional_writes_create_once_and_replace_only_the_version_read(store_uri: str) -> None:
    store = open_store(store_uri)
    first = store.put_new("lock.json", b"one")
    assert first is not None
    assert store.put_new("lock.json", b"two") is None  # exists: refused, not overwritten
    data, version = store.get_versioned("lock.json")
    assert (data, version) == (b"one", first)
    second = store.put_if("lock.json", b"three", version)
    assert second is not None and second != first
    assert store.put_if("lock.json", b"four", first) is None  # a stale version: refused
    assert store.get("lock.json") == b"three"
    assert not store.delete_if("lock.json", first)
    assert store.delete_if("lock.json", second)
    assert not store.exists("lock.json")
    assert store.put_if("lock.json", b"five", second) is None  # gone: nothing to replace


def test_of_many_concurrent_creators_exactly_one_wins(store_uri: str) -> None:
    store = open_store(store_uri)
    for round_ in range(3):
        key = f"race-{round_}.json"
        barrier = threading.Barrier(8)
        winners: list[int] = []

        def create(number: int, key: str = key, barrier: threading.Barrier = barrier, winners: list[int] = winners) -> None:
            barrier.wait()
            if store.put_new(key, str(number).encode()) is not None:
                winners.append(number)

        threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(winners) == 1 and store.get(key) == str(winners[0]).encode()


# --- the lease --------------------------------------------------------------------------------


def _holder(**fields: object) -> bytes:
    record = {
        "owner": "someone-else", "command": "govcorpus crawl --config other.toml", "host": socket.gethostname(),
        "pid": os.getpid(), "started": "2025-01-01T00:00:00Z", "heartbeat": time.time(), "timeout": 60.0,
    }  # fmt: skip
    record.update(fields)
    return json.dumps(record).encode()


def test_a_second_writer_is_refused_with_the_holder_named(store_uri: str) -> None:
    store = open_store(store_uri)
    with store_lease(store, "govcorpus crawl --config a.toml"):
        holder = read_holder(store)
        assert holder is not None and holder.pid == os.getpid() and holder.command == "govcorpus crawl --config a.toml"
        other = StoreLease(open_store(store_uri), "govcorpus crawl --config b.toml")
        with pytest.raises(LeaseHeld) as refused:
            other.acquire()
        message = str(refused.value)
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message and "`govcorpus crawl --config a.toml`" in message
        assert "--wait" in message and "\n" not in message
    assert not store.exists(LEASE_KEY)  # released
    with store_lease(store, "govcorpus crawl --config b.toml"):
        assert read_holder(store).command == "govcorpus crawl --config b.toml"  # type: ignore[union-attr]


def test_a_waiting_writer_gets_the_lease_when_the_holder_lets_go(store_uri: str) -> None:
    store = open_store(store_uri)
    first = StoreLease(store, "first", timeout=2).acquire()
    threading.Timer(1.0, first.release).start()
    messages: list[str] = []
    second = StoreLease(open_store(store_uri), "second", timeout=2)
    started = time.monotonic()
    second.acquire(wait=30, progress=messages.append)
    try:
        assert read_holder(store).command == "second"  # type: ignore[union-attr]
        assert messages and "`first`" in messages[0]
        assert time.monotonic() - started < 30
    finally:
        second.release()


def test_a_lease_whose_process_is_gone_is_taken_over(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "corpus"))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.put(LEASE_KEY, _holder(pid=gone.pid, pid_started=None))  # a crawl killed with SIGKILL left it
    with store_lease(store, "mine"):
        assert read_holder(store).command == "mine"  # type: ignore[union-attr]


def test_a_lease_without_heartbeat_is_taken_over_and_a_live_one_is_not(store_uri: str) -> None:
    store = open_store(store_uri)
    store.put(LEASE_KEY, _holder(host="another-host", heartbeat=time.time() - 5, timeout=60))
    with pytest.raises(LeaseHeld, match="another-host"):
        StoreLease(store, "mine").acquire()
    store.put(LEASE_KEY, _holder(host="another-host", heartbeat=time.time() - 61, timeout=60))
    with store_lease(store, "mine"):
        assert read_holder(store).command == "mine"  # type: ignore[union-attr]
    store.put(LEASE_KEY, b"{not json")  # a damaged lock.json protects nothing
    with store_lease(store, "mine again"):
        assert read_holder(store).command == "mine again"  # type: ignore[union-attr]


def test_the_heartbeat_renews_the_lease(store_uri: str) -> None:
    store = open_store(store_uri)
    with store_lease(store, "beating", timeout=0.8):
        first = read_holder(store)
        time.sleep(1.0)
        later = read_holder(store)
        assert first is not None and later is not None and later.heartbeat > first.heartbeat
        assert later.stale() is None
        store.put("documents/x.json", b"{}")  # writes go on


def test_a_holder_presumed_dead_writes_nothing_once_taken_over(store_uri: str) -> None:
    """A paused holder (SIGSTOP, a long GC) whose lease was taken over must not write behind its successor."""
    store = open_store(store_uri)
    lease = StoreLease(store, "paused", timeout=0.6).acquire()
    try:
        lease._stop.set()  # the pause: no heartbeat
        time.sleep(0.8)
        assert read_holder(store).stale() is not None  # type: ignore[union-attr]
        successor = StoreLease(open_store(store_uri), "successor", timeout=60)
        assert successor._try_acquire() is None  # takes the stale lease over (without registering here)
        with pytest.raises(LeaseLost, match="successor"):
            store.put("documents/late.json", b"{}")
        assert not store.exists("documents/late.json")
        assert read_holder(store).command == "successor"  # type: ignore[union-attr]
    finally:
        lease.release()
    assert store.exists(LEASE_KEY)  # the successor's lease is left alone


def test_the_workers_of_one_distributed_job_share_a_lease(store_uri: str) -> None:
    store = open_store(store_uri)
    first = StoreLease(store, "worker 1", group="job-a on redis://127.0.0.1:1/0").acquire()
    second = StoreLease(open_store(store_uri), "worker 2", group="job-a on redis://127.0.0.1:1/0")
    assert second._try_acquire() is None  # joined, not refused
    with pytest.raises(LeaseHeld, match="distributed job job-a"):
        StoreLease(open_store(store_uri), "another job", group="job-b on redis://127.0.0.1:1/0").acquire()
    with pytest.raises(LeaseHeld):
        StoreLease(open_store(store_uri), "a local crawl").acquire()
    first.release()
    assert store.exists(LEASE_KEY)  # a worker leaving does not end the job's lease
    second.end_group()
    second._holds = 1
    second.release()
    assert not store.exists(LEASE_KEY)  # the last worker does


def test_one_process_holds_one_lease_however_many_parts_ask(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "corpus"))
    with store_lease(store, "outer") as outer:
        with store_lease(open_store(str(tmp_path / "corpus")), "inner") as inner:
            assert inner is outer
        assert held_lease(store.uri) is outer and store.exists(LEASE_KEY)
    assert held_lease(store.uri) is None and not store.exists(LEASE_KEY)


def test_holder_records_parse_and_describe() -> None:
    holder = Holder.parse(_holder(pid=4242, host="h1", heartbeat=time.time() - 3))
    assert "pid 4242 on h1" in holder.describe() and "since 2025-01-01T00:00:00Z" in holder.describe()
    with pytest.raises(ValueError):
        Holder.parse(b'{"owner": "x"}')


# --- every command that writes takes the lease; readers do not ----------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["fetch", "http://127.0.0.1:9/report.html"],
        ["serve", "--port", "9"],
        ["demo", "--port", "9"],
        ["check", "--repair"],
    ],
    ids=lambda command: command[0],
)
def test_writers_are_refused_while_another_process_holds_the_lease(command: list[str], tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with store_lease(open_store(store), "govcorpus crawl --config holder.toml"):
        refused = run_cli(*command, "--store", store)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    holder = f"is in use by `govcorpus crawl --config holder.toml` (pid {os.getpid()}"
    assert refused.stderr.startswith(f"govcorpus: error: {Path(store).resolve()} {holder}")
    assert len(refused.stderr.strip().splitlines()) == 1


def test_readers_and_fetch_without_storing_need_no_lease(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with store_lease(open_store(store), "holder"):
        for command in (["ls"], ["runs"], ["check"], ["export", "--format", "jsonl", "--out", str(tmp_path / "out")]):
            result = run_cli(*command, "--store", store)
            assert result.returncode == 0, (command, result.stderr)
        assert "is being written by `holder`" in run_cli("check", "--store", store).stdout


# --- two crawls at once, as users would start them ---------------------------------------------

SLOW = [*FAST, "-s", "GOVCORPUS_PROCESS_WORKERS=0"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteServer, Path]]:
    tmp = tmp_path_factory.mktemp("dupsite")
    generate(tmp / "site", slow_list=5.0)  # each crawl lasts 5 s or more: time for a second one to try
    with serve_site(tmp / "site") as server:
        config = tmp / "sources.toml"
        config.write_text(sources_toml(server.base_url), encoding="utf-8")
        yield server, config


def _start_crawl(config: Path, store: str, *extra: str) -> subprocess.Popen[str]:
    command = [str(Path(sys.executable).parent / "govcorpus"), "crawl", "--config", str(config), "--store", store, *SLOW, *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _wait_for_lease(store: str) -> None:
    deadline = time.monotonic() + 60
    while read_holder(open_store(store)) is None:
        assert time.monotonic() < deadline, "the first crawl never took the lease"
        time.sleep(0.05)


def test_a_second_crawl_of_the_same_store_is_refused_and_the_store_stays_intact(site: tuple[SiteServer, Path], tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")  # on S3 the same lease code runs on conditional writes (tests above)
    config = site[1]
    other = tmp_path / "other.toml"  # another source on the same store: just as unsafe
    other.write_text(config.read_text(encoding="utf-8").replace('"dupsite"', '"other"'), encoding="utf-8")
    first = _start_crawl(config, store)
    try:
        _wait_for_lease(store)
        second = run_cli("crawl", "--config", str(other), "--store", store, *SLOW)
        assert second.returncode == 1
        assert "Traceback" not in second.stderr and len(second.stderr.strip().splitlines()) == 1, second.stderr
        assert f"is in use by `govcorpus crawl --config {config}" in second.stderr and f"pid {first.pid} on" in second.stderr
        assert "--wait" in second.stderr
        assert first.poll() is None  # all of this while the first crawl was running
    finally:
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-2000:]
    report = check_store(open_store(store))
    assert report.clean, report.problems
    (key,) = manifest_keys(open_store(store))
    assert sum(1 for line in read_manifest(open_store(store), key) if "url" in line) == 22
    assert not open_store(store).exists(LEASE_KEY)


def test_a_crawl_with_wait_runs_once_the_first_has_finished(site: tuple[SiteServer, Path], tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    first = _start_crawl(site[1], store)
    try:
        _wait_for_lease(store)
        # --max-pages: the second crawl need not wait for the slow list page too.
        second = run_cli("crawl", "--config", str(site[1]), "--store", store, "--wait", "120", "--max-pages", "3", *SLOW)
    finally:
        first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "govcorpus: waiting for" in second.stderr and f"pid {first.pid}" in second.stderr
    assert "Stored 0 documents, 0 duplicates" in second.stdout  # after the first, not beside it
    assert check_store(open_store(store)).clean
    assert len(manifest_keys(open_store(store))) == 2
