"""A store's single-writer lease: `lock.json`, created atomically, renewed by a heartbeat, taken over when stale.

Every command that writes a store (crawl, fetch, serve, demo, check --repair) holds its lease while it
runs; a second writer is refused with one line naming the holder, or waits for it. Read-only commands
(ls, show, runs, export) take no lease.

- Acquiring creates `lock.json` only if it does not exist: `If-None-Match: *` on S3 (a conditional
  write: exactly one of many concurrent creators succeeds), a create under an flock(2)'d mutex on a
  local store (storage.backends.LocalStore.put_new).
- The holder renews its heartbeat every `timeout / 4` seconds on a background thread, replacing the
  object only if it is still the version it wrote (`If-Match` on the ETag; the content hash locally).
- A lease is stale when its holder is on this host and its process is gone (pid not running, or
  reused by a process that started later), or when its heartbeat is older than the holder's
  `timeout`. A stale lease is taken over by the same conditional replace, so of two processes
  taking over one stale lease only one wins.
- A holder that could not confirm its lease for `timeout / 2` (paused, or cut off from S3) writes
  nothing until it has renewed it; if another process took the lease over meanwhile, every further
  write raises LeaseLost (storage.backends write guard), so a holder that was presumed dead cannot
  corrupt the store behind its successor's back.
- The workers of one distributed crawl (`crawl --redis`) share one lease: its `group` names the job
  and its Redis; a worker of the same group joins a live lease instead of being refused, any of them
  renews it, and the job's last worker deletes it (`end_group`).

Staleness by heartbeat compares the holder's wall clock with the reader's: hosts that share an S3
store need clocks kept in step (NTP); a skew of s seconds shortens or lengthens the timeout by s.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.backends import ObjectStore, StoreError, set_write_guard

log = logging.getLogger(__name__)

LEASE_KEY = "lock.json"
DEFAULT_TIMEOUT = 60.0  # seconds without a heartbeat after which a lease is stale (GOVCORPUS_LEASE_TIMEOUT)
DEFAULT_WAIT = 3600.0  # seconds `--wait` waits for a lease when given no number
PROGRESS_EVERY = 30.0  # seconds between "still waiting" messages
_ATTEMPTS = 5  # conditional writes lost to a concurrent one before giving up on this round


class LeaseHeld(StoreError):
    """Another process holds the store's lease (and waiting, if asked, did not outlast it)."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


class LeaseLost(StoreError):
    """This process's lease was taken over (it was presumed dead) or removed: it must not write."""


@dataclass(frozen=True)
class Holder:
    """The content of `lock.json`: who holds the store and since when.

    `heartbeat` is Unix time in seconds; `timeout` is the holder's own staleness bound in seconds;
    `pid_started` is the process's start time in clock ticks since boot (Linux /proc), to tell a
    reused pid from the holder; `group` is set for a lease shared by a distributed job's workers.
    """

    owner: str
    command: str
    host: str
    pid: int
    started: str
    heartbeat: float
    timeout: float
    pid_started: int | None = None
    group: str | None = None

    @classmethod
    def parse(cls, data: bytes) -> Holder:
        """ValueError if `data` is not a lease record."""
        try:
            fields = json.loads(data)
            return cls(
                owner=str(fields["owner"]),
                command=str(fields.get("command", "?")),
                host=str(fields["host"]),
                pid=int(fields["pid"]),
                started=str(fields.get("started", "?")),
                heartbeat=float(fields["heartbeat"]),
                timeout=float(fields.get("timeout", DEFAULT_TIMEOUT)),
                pid_started=None if fields.get("pid_started") is None else int(fields["pid_started"]),
                group=fields.get("group"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a lease record: {exc}") from None

    def encode(self) -> bytes:
        fields: dict[str, Any] = asdict(self)
        fields["heartbeat_at"] = _iso(self.heartbeat)  # for people reading the object
        return json.dumps(fields, ensure_ascii=False, indent=1).encode("utf-8")

    def stale(self, now: float | None = None) -> str | None:
        """Why this lease no longer protects anything, or None while its holder lives."""
        age = (time.time() if now is None else now) - self.heartbeat
        if self.group is None and self.host == socket.gethostname() and not _process_alive(self.pid, self.pid_started):
            return f"its process (pid {self.pid}) is gone"
        if age > self.timeout:
            return f"no heartbeat for {age:.0f} s (timeout {self.timeout:.0f} s)"
        return None

    def describe(self, now: float | None = None) -> str:
        age = max(0.0, (time.time() if now is None else now) - self.heartbeat)
        who = f"pid {self.pid} on {self.host}"
        if self.group is not None:
            who = f"the workers of distributed job {self.group} (last heartbeat from {who})"
        return f"`{self.command}` ({who}, since {self.started}, last heartbeat {age:.0f} s ago)"


class StoreLease:
    """This process's claim to be the one writer of `store`. Use `store_lease` to hold one."""

    def __init__(
        self, store: ObjectStore, command: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, group: str | None = None
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"lease timeout must be positive, got {timeout}")
        self.store = store
        self.timeout = timeout
        self.group = group
        self.holder = Holder(
            owner=os.urandom(8).hex(),
            command=_redact(command if command is not None else _this_command()),
            host=socket.gethostname(),
            pid=os.getpid(),
            started=_iso(time.time()),
            heartbeat=time.time(),
            timeout=timeout,
            pid_started=_process_start(os.getpid()),
            group=group,
        )
        self._version: str | None = None
        self._confirmed = 0.0  # monotonic time of the last successful create/renewal
        self._lost: str | None = None
        self._ending_group = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._holds = 0  # users in this process (hold_lease); released when the last lets go

    # --- acquiring --------------------------------------------------------------------------

    def acquire(self, wait: float = 0.0, progress: Callable[[str], None] | None = None) -> StoreLease:
        """Take the lease, waiting up to `wait` seconds for its holder to finish.

        Raises LeaseHeld naming the holder when the time is up, StoreError if the store fails.
        `progress` gets a line when waiting starts and every PROGRESS_EVERY seconds after.
        """
        deadline = time.monotonic() + max(0.0, wait)
        next_progress = time.monotonic()
        while True:
            holder = self._try_acquire()
            if holder is None:
                self._start()
                return self
            now = time.monotonic()
            if now >= deadline:
                raise LeaseHeld(self._refusal(holder, waited=wait > 0), holder)
            if progress is not None and now >= next_progress:
                progress(
                    f"waiting for {self.store.uri}: it is in use by {holder.describe()}; "
                    f"{deadline - now:.0f} s left to wait"
                )
                next_progress = now + PROGRESS_EVERY
            time.sleep(min(1.0, self.timeout / 4, max(0.05, deadline - now)))

    def _try_acquire(self) -> Holder | None:
        """None once the lease is ours; else its live holder."""
        holder: Holder | None = None
        for _ in range(_ATTEMPTS):
            mine = self._record()
            version = self.store.put_new(LEASE_KEY, mine)
            if version is not None:
                self._took(version, None)
                return None
            try:
                data, version = self.store.get_versioned(LEASE_KEY)
            except KeyError:
                continue  # released between our create and our read: try again
            reason: str | None
            try:
                holder = Holder.parse(data)
            except ValueError:
                holder, reason = None, "its lock.json is unreadable"
            else:
                if holder.owner == self.holder.owner:
                    self._took(version, None)  # a create whose answer was lost: it is ours
                    return None
                reason = holder.stale()
                if reason is None and self.group is not None and holder.group == self.group:
                    self._version, self._confirmed = version, time.monotonic()
                    log.info("joined the lease of %s held by distributed job %s", self.store.uri, self.group)
                    return None
            if reason is None:
                assert holder is not None
                return holder
            taken = self.store.put_if(LEASE_KEY, mine, version)
            if taken is not None:
                self._took(taken, reason if holder is None else f"held by pid {holder.pid} on {holder.host}: {reason}")
                return None
        if holder is None:
            raise StoreError(f"cannot take the lease of {self.store.uri}: {LEASE_KEY} keeps changing; try again")
        return holder

    def _took(self, version: str, stale: str | None) -> None:
        if stale is not None:
            log.warning("took over the lease of %s, %s", self.store.uri, stale)
        self._version, self._confirmed = version, time.monotonic()

    def _record(self) -> bytes:
        return replace(self.holder, heartbeat=time.time()).encode()

    def _refusal(self, holder: Holder, waited: bool) -> str:
        hint = (
            "It did not finish while we waited; try again later."
            if waited
            else "Wait for it to finish, or re-run with --wait to queue behind it."
        )
        return (
            f"{self.store.uri} is in use by {holder.describe()}: a store has one writer at a time. {hint} "
            f"If that process is gone, its lease expires {holder.timeout:.0f} s after its last heartbeat."
        )

    def _start(self) -> None:
        set_write_guard(self.store.uri, self.guard)
        _HELD[self.store.uri] = self
        self._holds = 1
        self._thread = threading.Thread(target=self._heartbeat, name="govcorpus-lease", daemon=True)
        self._thread.start()

    # --- holding ----------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.timeout / 4):
            try:
                self.renew()
            except LeaseLost as exc:
                log.error("%s", exc)
                return
            except Exception as exc:  # the store is unreachable: writes wait in guard() until it answers
                log.warning("could not renew the lease of %s: %s", self.store.uri, exc)

    def renew(self) -> None:
        """Write a fresh heartbeat if the lease is still ours; LeaseLost if it is not."""
        with self._lock:
            if self._lost is not None:
                raise LeaseLost(self._lost)
            assert self._version is not None
            mine = self._record()
            version = self.store.put_if(LEASE_KEY, mine, self._version)
            if version is None:
                version = self._rejoin(mine)
            self._version, self._confirmed = version, time.monotonic()

    def _rejoin(self, mine: bytes) -> str:
        """Our conditional renewal failed: a group member renewed it (fine), or we lost it."""
        for _ in range(_ATTEMPTS):
            try:
                data, version = self.store.get_versioned(LEASE_KEY)
                holder = Holder.parse(data)
            except KeyError:
                holder, version = None, ""
            except ValueError:
                holder = None
            if holder is None or self.group is None or holder.group != self.group:
                who = "removed" if holder is None else f"taken over by {holder.describe()}"
                self._lost = (
                    f"the lease of {self.store.uri} was {who} while this process held it "
                    "(it was presumed dead): stopping without writing more"
                )
                set_write_guard(self.store.uri, self.guard)  # keeps refusing writes
                raise LeaseLost(self._lost)
            renewed = self.store.put_if(LEASE_KEY, mine, version)
            if renewed is not None:
                return renewed
        raise StoreError(f"cannot renew the lease of {self.store.uri}: {LEASE_KEY} keeps changing")

    def guard(self) -> None:
        """Called before each write to the store: refuse it unless the lease is surely still ours."""
        if self._lost is not None:
            raise LeaseLost(self._lost)
        if time.monotonic() - self._confirmed > self.timeout / 2:
            try:
                self.renew()
            except LeaseLost:
                raise
            except Exception as exc:
                raise StoreError(f"cannot confirm the lease of {self.store.uri} before writing: {exc}") from exc

    @property
    def lost(self) -> str | None:
        """Why the lease was lost, or None while it is held."""
        return self._lost

    def end_group(self) -> None:
        """The distributed job is finished: `release` deletes the shared lease instead of leaving it to others."""
        self._ending_group = True

    def release(self) -> None:
        """Let go of the lease; the last user in this process stops the heartbeat and deletes it if it is
        ours (a group's only once the job ended)."""
        with self._lock:
            self._holds -= 1
            if self._holds > 0:
                return
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        if _HELD.get(self.store.uri) is self:
            del _HELD[self.store.uri]
        set_write_guard(self.store.uri, None)
        if self._lost is not None or self._version is None:
            return
        if self.group is not None and not self._ending_group:
            return  # other workers of the job may go on; the last one deletes it
        with self._lock:
            try:
                if not self.store.delete_if(LEASE_KEY, self._version) and self.group is not None:
                    data, version = self.store.get_versioned(LEASE_KEY)
                    if Holder.parse(data).group == self.group:
                        self.store.delete_if(LEASE_KEY, version)
            except (KeyError, ValueError):
                pass
            except Exception as exc:  # the store is unreachable: the lease expires on its own
                log.warning("could not release the lease of %s: %s", self.store.uri, exc)
        self._version = None


_HELD: dict[str, StoreLease] = {}


def held_lease(uri: str) -> StoreLease | None:
    """The lease this process holds on the store at `uri`, if any."""
    return _HELD.get(uri)


def hold_lease(
    store: ObjectStore,
    command: str | None = None,
    *,
    wait: float = 0.0,
    timeout: float = DEFAULT_TIMEOUT,
    group: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> StoreLease:
    """The store's lease for this process: the one it holds already, else a new one (see `acquire`).

    Call `release()` once per `hold_lease`.
    """
    existing = held_lease(store.uri)
    if existing is not None:
        with existing._lock:
            if existing._holds > 0:
                existing._holds += 1
                return existing
    return StoreLease(store, command, timeout=timeout, group=group).acquire(wait, progress)


@contextmanager
def store_lease(
    store: ObjectStore,
    command: str | None = None,
    *,
    wait: float = 0.0,
    timeout: float = DEFAULT_TIMEOUT,
    group: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Iterator[StoreLease]:
    """Hold the store's lease for the duration of the block (see `hold_lease`)."""
    lease = hold_lease(store, command, wait=wait, timeout=timeout, group=group, progress=progress)
    try:
        yield lease
    finally:
        lease.release()


def distributed_group(redis_url: str, job: str) -> str:
    """The lease group of distributed crawl `job` on the Redis at `redis_url` (credentials left out)."""
    return f"{job} on {_redact(redis_url)}"


def read_holder(store: ObjectStore) -> Holder | None:
    """Who holds the store's lease now (None: nobody, or an unreadable lock.json)."""
    try:
        return Holder.parse(store.get(LEASE_KEY))
    except (KeyError, ValueError):
        return None


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _this_command() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if name in ("cli.py", "__main__.py", "-m", "-c"):
        name = "govcorpus"
    return " ".join([name, *sys.argv[1:]])


def _redact(command: str) -> str:
    """The command line without credentials in URLs (redis://:secret@host)."""
    return re.sub(r"(\w+://)[^/@\s]*@", r"\1***@", command)[:300]


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or None where /proc has no answer."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat.rsplit(")", 1)[1].split()[19])  # field 22; the name before ")" may hold spaces
    except (IndexError, ValueError):
        return None


def _process_alive(pid: int, started: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    if started is not None:
        now = _process_start(pid)
        if now is not None and now != started:
            return False  # the pid was reused by a later process
    return True
