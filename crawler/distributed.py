"""Distributed crawling on scrapy-redis: many worker processes, one frontier, one seen-set, one dedup index.

Enabled by the DistributedAddon (govcorpus.distributed.redis_settings: GOVCORPUS_REDIS_URL / --redis). Per crawl job (the
sources' job name) Redis holds under `govcorpus:job:<job>:`

- `requests`: the frontier, scrapy-redis's priority queue (a sorted set of serialised requests);
- `seen`: the seen-set (request fingerprints). A request enters both in one Lua call, so a worker
  killed in between cannot leave a URL seen but never queued;
- `leases:<worker>`: requests a worker popped and has not finished. Popping moves a request from the
  frontier into its worker's lease hash atomically. A lease is released only once the request is done
  (its response or failure fully processed: items recorded, follow-up requests queued) and the manifest
  lines it produced are durable (flushed to the store);
- `hb:<worker>` (expiring) and `workers`: who is alive. A worker whose heartbeat expired is dead: any
  other worker moves its leases back into the frontier (except requests whose URL its flushed manifest
  parts already record), and the job's last worker closes its manifest from those parts;
- `run`, `seq`, `pids`, `touched`, `dead`: the job's shared run id, worker numbers (and their host:pid),
  documents written (for the final reconciliation) and dead workers whose manifests are to be closed.

Workers close when the frontier is empty and no worker holds a lease for GOVCORPUS_REDIS_IDLE_TIMEOUT
seconds. The last worker to close reconciles documents with the final dedup index, merges the corpus
index, closes dead workers' manifests, checkpoints the dedup log into the store and deletes the job's
keys, so the next crawl of the job starts afresh (as a local one would).
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy_redis.scheduler import Scheduler as ScrapyRedisScheduler
from twisted.internet import task

from cleaners.document import Document
from crawler import settings as defaults
from crawler.addons import MODE_PRIORITY
from crawler.components import Components
from storage.backends import ObjectStore
from storage.corpus import Corpus, index_entry
from storage.dedup import Link, StoreDedupIndex
from storage.dedup.redis_index import RedisDedupIndex
from storage.lease import StoreLease, distributed_group, hold_lease
from storage.manifest import MANIFEST_PREFIX, ManifestWriter, new_run_id, utc_now
from storage.runs import RunStart

log = logging.getLogger(__name__)

TICK = 0.25  # seconds between a worker's checks of the shared state
FLUSH_EVERY = 1.0  # seconds: how long finished requests may wait for a manifest flush to release their leases

# A request enters the seen-set and the frontier together, or not at all.
_ENQUEUE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# Popping leases: the request moves from the frontier to the worker's lease hash in one step.
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local token = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], token, popped[2] .. '|' .. popped[1])
return {tostring(token), popped[1]}
"""


def job_prefix(job: str) -> str:
    return f"govcorpus:job:{job}"


def _reply_bytes(value: bytes | str | None) -> bytes:
    """A Redis reply as the bytes it is: our clients never decode replies (redis-py types allow str too)."""
    if value is None:
        raise KeyError("Redis answered nil where a value was expected")
    return value if isinstance(value, bytes) else value.encode()


def _engine_slot(crawler: Crawler) -> Any:
    # Scrapy has no public "request finished" signal or "poll the scheduler now" call; the engine slot's
    # in-progress set and next-call are what the engine itself uses (stable across Scrapy 2.x).
    return getattr(crawler.engine, "_slot", None) if crawler.engine is not None else None


class Coordinator:
    """One worker's view of the shared crawl state in Redis: registration, heartbeat, leases, reclaiming."""

    def __init__(self, crawler: Crawler, url: str, job: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.redis = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)
        self.job = job
        self.prefix = job_prefix(job)
        self.queue_key = settings.get("SCHEDULER_QUEUE_KEY") or f"{self.prefix}:requests"
        self.idle_timeout = settings.getfloat("GOVCORPUS_REDIS_IDLE_TIMEOUT", defaults.GOVCORPUS_REDIS_IDLE_TIMEOUT)
        self.lease_timeout = settings.getfloat("GOVCORPUS_REDIS_LEASE_TIMEOUT", defaults.GOVCORPUS_REDIS_LEASE_TIMEOUT)
        self.store: ObjectStore | None = None  # set by the pipeline: where manifests are
        # Flushes the manifest on the store thread, then releases the given finished leases.
        self.flush: Callable[[list[int]], None] | None = None
        self.leases: dict[int, tuple[Request, bytes]] = {}  # id(request) -> (request, lease token)
        self._leases_lock = threading.Lock()  # the store thread releases what the reactor leased
        self.redis.set(self._key("run"), new_run_id(), nx=True)
        self.run_id = _reply_bytes(self.redis.get(self._key("run"))).decode()
        self.worker = int(self.redis.incr(self._key("seq")))
        self.manifest_id = self.manifest_of(self.worker)
        self._stopping = threading.Event()
        self._beat()
        self.redis.sadd(self._key("workers"), self.worker)
        self.redis.hset(self._key("pids"), self.worker, f"{socket.gethostname()}:{os.getpid()}")  # who is who, for people
        self._heart = threading.Thread(target=self._heartbeat, name="govcorpus-heartbeat", daemon=True)
        self._heart.start()
        self._last_flush = time.monotonic()
        self.quiet_since: float | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> Coordinator:
        """The crawler's coordinator (made by whichever component asks first)."""
        existing = getattr(crawler, "_govcorpus_coordinator", None)
        if existing is None:
            url = crawler.settings.get("GOVCORPUS_REDIS_URL")
            job = crawler.settings.get("GOVCORPUS_JOB")
            if not url or not job:
                raise NotConfigured("distributed crawling needs GOVCORPUS_REDIS_URL and GOVCORPUS_JOB")
            existing = cls(crawler, url, job)
            crawler._govcorpus_coordinator = existing  # type: ignore[attr-defined]
        return existing

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def lease_key(self, worker: int | None = None) -> str:
        return self._key(f"leases:{self.worker if worker is None else worker}")

    def manifest_of(self, worker: int) -> str:
        return f"{self.run_id}-w{worker}"

    @contextmanager
    def locked(self, timeout: float = 300.0) -> Iterator[None]:
        lock = self.redis.lock(self._key("lock"), timeout=timeout, blocking_timeout=timeout)
        if not lock.acquire():
            raise TimeoutError(f"could not take {self._key('lock')} in {timeout:.0f}s: is a worker stuck?")
        try:
            yield
        finally:
            with suppress(redis.exceptions.LockError):
                lock.release()

    # --- liveness ---------------------------------------------------------------------------

    def _beat(self) -> None:
        self.redis.set(self._key(f"hb:{self.worker}"), 1, px=int(self.lease_timeout * 1000))

    def _heartbeat(self) -> None:
        # A thread, not the reactor: a long synchronous step in the crawl must not look like death.
        while not self._stopping.wait(self.lease_timeout / 5):
            try:
                self._beat()
            except redis.exceptions.RedisError as exc:
                log.warning("heartbeat to Redis failed: %s", exc)

    def stop(self) -> None:
        self._stopping.set()
        self.redis.delete(self._key(f"hb:{self.worker}"))

    def reclaim(self) -> int:
        """Re-queue the leases of workers whose heartbeat expired; return how many requests went back."""
        members = [int(m) for m in self.redis.smembers(self._key("workers"))]
        others = [w for w in members if w != self.worker]
        if not others:
            return 0
        alive = self.redis.pipeline(transaction=False)
        for worker in others:
            alive.exists(self._key(f"hb:{worker}"))
        stale = [w for w, beating in zip(others, alive.execute(), strict=True) if not beating]
        requeued = 0
        if stale:
            with self.locked():
                for worker in stale:
                    if self.redis.sismember(self._key("workers"), str(worker)) and not self.redis.exists(self._key(f"hb:{worker}")):
                        requeued += self._requeue_dead(worker)
        return requeued

    def _requeue_dead(self, worker: int) -> int:
        """Every request the dead worker held goes back, even one whose manifest line it had flushed.

        A line can be durable before its request is done: a sitemap's or list page's own line is
        written while its links are still being queued. Requests recorded already are marked in
        `{job}:recorded`, so whoever takes them follows their links again without a second line.
        """
        recorded = self._recorded_by(worker)
        leases = self.redis.hgetall(self.lease_key(worker))
        pipe = self.redis.pipeline(transaction=True)
        requeued = 0
        for value in leases.values():
            score, data = _reply_bytes(value).split(b"|", 1)
            url = pickle.loads(data)["url"]
            if url in recorded:
                pipe.sadd(self._key("recorded"), url)
            pipe.zadd(self.queue_key, {data: float(score)})
            requeued += 1
        pipe.delete(self.lease_key(worker))
        pipe.srem(self._key("workers"), worker)
        pipe.sadd(self._key("dead"), worker)
        pipe.execute()
        log.warning("worker %s of job %s is gone: %d of its requests went back to the frontier", worker, self.job, requeued)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("govcorpus/requeued", requeued)
        return requeued

    def recorded_elsewhere(self, url: str) -> bool:
        """Whether a dead worker had recorded `url` before its request came back to the frontier."""
        return bool(self.redis.sismember(self._key("recorded"), url))

    def _recorded_by(self, worker: int) -> set[str]:
        if self.store is None:
            return set()
        return ManifestWriter.resume(self.store, self.manifest_of(worker)).recorded

    # --- leases -----------------------------------------------------------------------------

    def leased(self, request: Request, token: bytes) -> None:
        with self._leases_lock:
            self.leases[id(request)] = (request, token)

    def finished(self) -> list[int]:
        """Leased requests the engine is done with (their output processed), by id."""
        slot = _engine_slot(self.crawler)
        inprogress = slot.inprogress if slot is not None else set()
        with self._leases_lock:
            return [key for key, (request, _) in self.leases.items() if request not in inprogress]

    def release(self, keys: list[int]) -> None:
        with self._leases_lock:
            tokens = [self.leases.pop(key)[1] for key in keys if key in self.leases]
        if tokens:
            self.redis.hdel(self.lease_key(), *tokens)

    def flush_finished(self, force: bool = False) -> None:
        """Make finished requests' manifest lines durable and release their leases."""
        if not self.leases or (not force and time.monotonic() - self._last_flush < FLUSH_EVERY):
            return
        self._last_flush = time.monotonic()
        done = self.finished()  # on the reactor: the engine's in-progress set is read here only
        if self.flush is not None:
            self.flush(done)  # the manifest lines of these requests first, then their leases
        else:
            self.release(done)

    # --- the shared frontier ----------------------------------------------------------------

    def frontier_busy(self) -> bool:
        """Requests queued, or leased by any worker (dead ones' too, until reclaimed)."""
        members = [int(m) for m in self.redis.smembers(self._key("workers"))]
        pipe = self.redis.pipeline(transaction=True)
        pipe.zcard(self.queue_key)
        for worker in members:
            pipe.hlen(self.lease_key(worker))
        return any(pipe.execute())

    def tick(self) -> None:
        self.reclaim()
        self.flush_finished()
        now = time.monotonic()
        if self.frontier_busy() or self.leases:
            self.quiet_since = None
        elif self.quiet_since is None:
            self.quiet_since = now
        slot = _engine_slot(self.crawler)
        if slot is not None and (self.redis.zcard(self.queue_key) or self.quiet_enough()):
            slot.nextcall.schedule()  # poll the frontier now rather than at the engine's 5 s heartbeat

    def quiet_enough(self) -> bool:
        return self.quiet_since is not None and time.monotonic() - self.quiet_since >= self.idle_timeout

    # --- leaving ----------------------------------------------------------------------------

    def leave(self) -> None:
        """Stop early (shut down, page limit): hand unfinished requests back to the frontier."""
        pipe = self.redis.pipeline(transaction=True)
        for value in self.redis.hgetall(self.lease_key()).values():
            score, data = _reply_bytes(value).split(b"|", 1)
            pipe.zadd(self.queue_key, {data: float(score)})
        pipe.delete(self.lease_key())
        pipe.srem(self._key("workers"), self.worker)
        pipe.execute()
        with self._leases_lock:
            self.leases.clear()
        self.stop()

    def finish(self, last: Callable[[Coordinator], None]) -> bool:
        """The frontier is done: leave; the last worker out runs `last` and deletes the job's keys."""
        self.release(list(self.leases))
        with self.locked():
            self.redis.srem(self._key("workers"), self.worker)
        self.stop()
        # A worker that died without being noticed yet still counts until its heartbeat expires.
        deadline = time.monotonic() + self.lease_timeout + self.idle_timeout + 10
        while True:
            self.reclaim()
            with self.locked():
                if not self.redis.exists(self._key("run")):
                    return False  # another worker was last and finished the job
                if not self.redis.scard(self._key("workers")):
                    if self.redis.zcard(self.queue_key):
                        log.warning("job %s: requests were re-queued after the crawl went idle; run it again", self.job)
                        return False
                    last(self)
                    keys = list(self.redis.scan_iter(f"{self.prefix}:*", count=1000))
                    self.redis.delete(*keys)  # the lock too: released by its deletion
                    return True
            if time.monotonic() > deadline:
                log.warning("job %s: other workers are still running; the last of them finishes the job", self.job)
                return False
            time.sleep(0.25)

    def dead_workers(self) -> list[int]:
        return sorted(int(w) for w in self.redis.smembers(self._key("dead")))

    def touch(self, doc_id: str) -> None:
        self.redis.sadd(self._key("touched"), doc_id)

    def touched(self) -> list[str]:
        return sorted(_reply_bytes(m).decode() for m in self.redis.smembers(self._key("touched")))


class RedisScheduler(ScrapyRedisScheduler):
    """scrapy-redis's scheduler with atomic enqueue (seen + queued) and leased pops."""

    coordinator: Coordinator

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        instance = super().from_crawler(crawler)
        instance.coordinator = Coordinator.of(crawler)
        instance._enqueue = instance.server.register_script(_ENQUEUE)
        instance._pop = instance.server.register_script(_POP)
        return instance

    def enqueue_request(self, request: Request) -> bool:
        data = self.queue._encode_request(request)
        if request.dont_filter:
            self.server.zadd(self.queue.key, {data: -request.priority})
        elif not self._enqueue(keys=[self.df.key, self.queue.key], args=[self.df.request_fingerprint(request), -request.priority, data]):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        popped = self._pop(keys=[self.queue.key, self.coordinator.lease_key(), self.coordinator._key("tokens")])
        if not popped:
            return None
        token, data = popped
        request = self.queue._decode_request(data)
        self.coordinator.leased(request, token)
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason: str) -> None:
        """Keep the shared frontier: the job's last worker deletes it (Coordinator.finish)."""


class DistributedCrawl:
    """Extension: keeps a worker open while the shared frontier has work, and its leases fresh."""

    def __init__(self, crawler: Crawler, coordinator: Coordinator) -> None:
        self.crawler = crawler
        self.coordinator = coordinator
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedCrawl:
        if not crawler.settings.get("GOVCORPUS_REDIS_URL"):
            raise NotConfigured("GOVCORPUS_REDIS_URL is not set: the crawl is local")
        extension = cls(crawler, Coordinator.of(crawler))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("govcorpus/worker", self.coordinator.worker)
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(TICK, now=False)

    def _tick(self) -> None:
        try:
            self.coordinator.tick()
        except redis.exceptions.RedisError as exc:  # a Redis hiccup must not kill the loop (and the worker)
            log.warning("checking the shared frontier failed: %s", exc)

    def spider_idle(self, spider: Any) -> None:
        self.coordinator.flush_finished(force=True)
        if not self.coordinator.quiet_enough():
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()


class LeasedManifest(ManifestWriter):
    """A worker's own manifest (`<run>-w<N>`); a URL a dead worker recorded counts as recorded."""

    coordinator: Coordinator | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, store: ObjectStore, run_id: str) -> LeasedManifest:
        coordinator = Coordinator.of(crawler)
        manifest = cls(store, coordinator.manifest_id)
        manifest.coordinator = coordinator
        coordinator.store = store
        return manifest

    def has_recorded(self, url: str) -> bool:
        return super().has_recorded(url) or (self.coordinator is not None and self.coordinator.recorded_elsewhere(url))

    def flush_and_release(self, done: list[int]) -> None:
        """On the store thread: make the lines durable, then release the leases of the requests that wrote them."""
        self.flush()
        if done and self.coordinator is not None:
            self.coordinator.release(done)


class TrackingCorpus(Corpus):
    """Notes every document written in Redis first, for the job's final reconciliation."""

    def __init__(self, store: ObjectStore, coordinator: Coordinator) -> None:
        super().__init__(store)
        self.coordinator = coordinator

    @classmethod
    def from_crawler(cls, crawler: Crawler, store: ObjectStore) -> TrackingCorpus:
        return cls(store, Coordinator.of(crawler))

    def put(self, doc: Document, replaces: Document | None = None) -> None:
        self.coordinator.touch(doc.id)
        super().put(doc, replaces)


class JobDedupIndex(RedisDedupIndex):
    """The job's shared dedup index in Redis; without storing, a private index (checked, never shared)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, store: ObjectStore) -> StoreDedupIndex:
        if not crawler.settings.getbool("GOVCORPUS_STORE_ENABLED"):
            return StoreDedupIndex(store)
        return cls(Coordinator.of(crawler).redis, store)


def _with_link(doc: Document, link: Link) -> Document:
    return replace(doc, duplicate_of=link.duplicate_of, duplicate_relation=link.relation, duplicate_similarity=link.similarity)


def _amender(links: dict[str, Link]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Rewrite stored/duplicate manifest lines to the final canonical (as Journey.close does for one run)."""

    def amend(line: dict[str, Any]) -> dict[str, Any]:
        link = links.get(line.get("id", ""))
        if link is None or line["outcome"] not in ("stored", "duplicate"):
            return line
        line = {key: value for key, value in line.items() if key != "duplicate_of"}
        if link.duplicate_of:
            return {**line, "outcome": "duplicate", "duplicate_of": link.duplicate_of}
        return {**line, "outcome": "stored"}

    return amend


class DistributedAddon:
    """One worker of a distributed crawl job (GOVCORPUS_REDIS_URL, GOVCORPUS_JOB): shared frontier,
    seen-set and dedup index in Redis, the job's shared store lease, a manifest of its own."""

    def update_settings(self, settings: BaseSettings) -> None:
        prefix = job_prefix(settings["GOVCORPUS_JOB"])
        for name, value in {
            "REDIS_URL": settings["GOVCORPUS_REDIS_URL"],
            "SCHEDULER": "crawler.distributed.RedisScheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_PERSIST": True,  # the job's last worker deletes the keys (Coordinator.finish)
            "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",
            "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "crawler.distributed.DistributedCrawl": 400},
            "GOVCORPUS_COMPONENTS_CLASS": "crawler.distributed.DistributedComponents",
            "GOVCORPUS_CORPUS_CLASS": "crawler.distributed.TrackingCorpus",
            "GOVCORPUS_DEDUP_INDEX_CLASS": "crawler.distributed.JobDedupIndex",
            "GOVCORPUS_MANIFEST_CLASS": "crawler.distributed.LeasedManifest",
        }.items():
            settings.set(name, value, MODE_PRIORITY)


class DistributedComponents(Components):
    """Components of one worker: the job's run id and shared lease; the last worker out finishes the job."""

    resumable = False  # a job's run is shared through Redis, not resumed from runs/active/

    def __init__(self, crawler: Crawler) -> None:
        self.coordinator = Coordinator.of(crawler)
        super().__init__(crawler)
        manifest = self.journey.manifest
        if isinstance(manifest, LeasedManifest):
            self.coordinator.flush = lambda done: self._on_writer_later(manifest.flush_and_release, done)
        assert crawler.stats is not None
        crawler.stats.set_value("govcorpus/run_id", self.coordinator.manifest_id)
        crawler.stats.set_value("govcorpus/job_run_id", self.coordinator.run_id)

    def hold_lease(self) -> StoreLease:
        # The job's workers share the store's lease (storage.lease): they do not lock each other out.
        group = distributed_group(self.crawler.settings["GOVCORPUS_REDIS_URL"], self.coordinator.job)
        return hold_lease(self.store, timeout=self.crawler.settings.getfloat("GOVCORPUS_LEASE_TIMEOUT"), group=group)

    def open_run(self) -> RunStart | None:
        return RunStart(self.coordinator.run_id, False, utc_now())

    def _on_writer_later(self, method: Callable[[list[int]], None], done: list[int]) -> None:
        future = self.writer.submit(method, done)
        future.add_done_callback(_log_failure)

    def close(self, reason: str) -> None:
        if reason != "finished":
            super().close(reason)
            self.coordinator.leave()
            return
        if isinstance(self.journey.dedup, RedisDedupIndex):
            self.journey.repointed.update(self._final_links(self.coordinator.touched()))
        super().close(reason)
        if self.coordinator.finish(self._finish_job) and self.lease is not None:
            self.lease.end_group()  # the last worker out: the store is free again

    def _final_links(self, doc_ids: list[str]) -> dict[str, Link]:
        dedup = self.journey.dedup
        assert isinstance(dedup, RedisDedupIndex)
        dedup.sync()
        return {doc_id: dedup.link(doc_id) for doc_id in doc_ids if doc_id in dedup}

    def _finish_job(self, coordinator: Coordinator) -> None:
        """The last worker: documents and corpus index follow the final dedup index; dead workers' manifests close."""
        dedup = self.journey.dedup
        if not isinstance(dedup, RedisDedupIndex):
            return
        store = self.store
        links = self._final_links(coordinator.touched())
        corpus = Corpus(store)  # a fresh read of index.jsonl: each worker wrote its own view of it
        entries = corpus._loaded_index()
        for doc_id, link in links.items():
            doc = corpus.get(doc_id)
            if doc is None:
                continue
            if (doc.duplicate_of, doc.duplicate_relation, doc.duplicate_similarity) != (link.duplicate_of, link.relation, link.similarity):
                doc = _with_link(doc, link)  # another worker's add re-pointed it after this record was written
                corpus.put(doc)
            entries[doc.id] = index_entry(doc)
        corpus.write_index()
        for worker in coordinator.dead_workers():
            manifest_id = coordinator.manifest_of(worker)
            if any(True for _ in store.list(f"{MANIFEST_PREFIX}{manifest_id}/")):
                ManifestWriter.resume(store, manifest_id).close(
                    {"worker": worker, "killed": True, "closed_by": coordinator.worker}, amend=_amender(links)
                )
        written = dedup.checkpoint()
        log.info("job %s finished: %d documents reconciled, %d dedup entries checkpointed", coordinator.job, len(links), written)


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        log.error("flushing the manifest failed: %s", future.exception())
