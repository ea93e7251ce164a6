"""Worker processes driven from the crawl's own event loop: jobs and results travel on one socket per worker.

Why not `concurrent.futures.ProcessPoolExecutor`: it moves every job through two helper threads
(a queue feeder that pickles, a manager that unpickles results and wakes the loop) and a wake-up
pipe, and its spawn context starts a resource-tracker process. In the crawl process those threads
compete for the GIL with the reactor: the 2,000-page crawl benchmark spent 9.7 s of its reactor
thread in the pool's wake-up writes waiting to get the GIL back (cProfile, stop 20), and the
tracker is 12 MB of the process tree. Here the loop writes a pickled job to a worker's socket and
reads the answer when the socket is readable: no thread, no tracker.

A worker is `python -c` running crawler.procworker.serve on its end of a socketpair, with the crawl's
sys.path. Each worker has at most `depth` jobs sent to it (the next is waiting there when one
ends); the rest wait in order in the pool. A worker that dies fails the jobs sent to it with
`WorkerLost` and is replaced on the next job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crawler.procworker import HEADER

log = logging.getLogger(__name__)

T = TypeVar("T")

# Ignore Ctrl-C before anything is imported (a terminal signals the whole process group; the crawl
# stops its workers itself), then serve with the crawl's import path.
_BOOT = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "import json, sys; sys.path[:0] = json.loads(sys.argv[2])\n"
    "from crawler.procworker import serve; serve(int(sys.argv[1]))\n"
)
READ_LIMIT = 1 << 24  # bytes the reader buffers before it stops reading a worker's socket
SHUTDOWN_GRACE = 2.0  # seconds a worker has to finish its job and exit once its socket is closed


class WorkerLost(RuntimeError):
    """A worker process ended (killed, out of memory, crashed) while jobs sent to it were unanswered."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, as text: the `__cause__` of the re-raised exception."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sent: deque[asyncio.Future[Any]] = field(default_factory=deque)
    alive: bool = True
    reading: asyncio.Task[None] | None = None


class ProcessPool:
    """`workers` processes that run picklable no-argument callables for coroutines of one event loop.

    `initializer(*initargs)` runs first in every worker. `await pool.run(job)` returns `job()`'s
    result or raises its exception (its remote traceback as `__cause__`), or `WorkerLost`.
    `shutdown()` closes the sockets and waits `SHUTDOWN_GRACE` seconds before killing a worker.
    """

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        *,
        depth: int = 2,
    ) -> None:
        if workers < 1 or depth < 1:
            raise ValueError(f"a pool needs at least one worker and a depth of one (got {workers}, {depth})")
        self.size = workers
        self.depth = depth
        self.setup = pickle.dumps((initializer, initargs), pickle.HIGHEST_PROTOCOL)
        self.workers: list[_Worker] = []
        self.waiting: deque[tuple[Callable[[], Any], asyncio.Future[Any]]] = deque()
        self.starting = 0
        self.closed = False

    async def run(self, job: Callable[[], T]) -> T:
        if self.closed:
            raise RuntimeError("the process pool is shut down")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.waiting.append((job, future))
        await self._dispatch()
        return await future

    async def _dispatch(self) -> None:
        self.workers = [worker for worker in self.workers if worker.alive]
        while self.waiting and not self.closed and len(self.workers) + self.starting < self.size:
            self.starting += 1
            try:
                worker = await self._start()
            except OSError as exc:  # no process to be had (out of memory, of file descriptors)
                if not self.workers:
                    while self.waiting:
                        _lose(self.waiting.popleft()[1], f"no worker process could be started: {exc}")
                    return
                break  # the workers there are will do
            finally:
                self.starting -= 1
            self.workers.append(worker)
        while self.waiting and not self.closed:
            idle = min(self.workers, key=lambda w: len(w.sent), default=None)
            if idle is None or len(idle.sent) >= self.depth:
                return
            worker = idle
            job, future = self.waiting.popleft()
            if future.cancelled():
                continue
            # Pickled only now: a job's bytes exist while it is on its way, not while it waits.
            try:
                payload = pickle.dumps(job, pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                future.set_exception(exc)
                continue
            # One write, one send: a header sent on its own wakes the worker once more for nothing,
            # and a send that wakes the other end costs 20-25 us of CPU on this 2-core VM.
            worker.writer.write(HEADER.pack(len(payload)) + payload)
            worker.sent.append(future)

    async def _start(self) -> _Worker:
        mine, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(theirs.fileno()), json.dumps(sys.path)],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        # A big limit: below it the stream would pause and resume the socket every 128 kB of an answer.
        reader, writer = await asyncio.open_connection(sock=mine, limit=READ_LIMIT)
        writer.write(HEADER.pack(len(self.setup)) + self.setup)
        worker = _Worker(process, reader, writer)
        worker.reading = asyncio.get_running_loop().create_task(self._read(worker))
        return worker

    async def _read(self, worker: _Worker) -> None:
        try:
            while True:
                header = await worker.reader.readexactly(HEADER.size)
                frame = await worker.reader.readexactly(HEADER.unpack(header)[0])
                future = worker.sent.popleft()
                if not future.cancelled():
                    _settle(future, frame)
                await self._dispatch()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            worker.alive = False
            self._lost(worker, await _exit_status(worker.process))
        except asyncio.CancelledError:
            self._lost(worker, worker.process.poll())
            raise

    def _lost(self, worker: _Worker, code: int | None) -> None:
        worker.alive = False
        _hang_up(worker)
        if worker.sent and not self.closed:
            log.warning("a document worker ended (exit status %s); jobs sent to it and unanswered: %d", code, len(worker.sent))
        while worker.sent:
            _lose(worker.sent.popleft(), f"worker process {worker.process.pid} ended (exit status {code})")
        if self.waiting and not self.closed:  # the jobs waiting behind it go to a new worker
            asyncio.get_running_loop().create_task(self._dispatch())

    def shutdown(self, wait: bool = True) -> None:
        """Close every worker's socket: it exits once its job is done. Jobs not answered yet raise WorkerLost.

        wait=True waits up to SHUTDOWN_GRACE seconds for each worker, then kills it; wait=False
        returns at once (from the event loop) and kills the stragglers after the grace.
        """
        self.closed = True
        while self.waiting:
            _lose(self.waiting.popleft()[1], "the process pool was shut down")
        workers, self.workers = self.workers, []
        for worker in workers:
            if worker.reading is not None:
                worker.reading.cancel()
            _hang_up(worker)
            while worker.sent:
                _lose(worker.sent.popleft(), "the process pool was shut down")
        if not wait:
            asyncio.get_running_loop().call_later(SHUTDOWN_GRACE, _kill, [worker.process for worker in workers])
            return
        for worker in workers:
            try:
                worker.process.wait(timeout=SHUTDOWN_GRACE)
            except subprocess.TimeoutExpired:
                _kill([worker.process])


async def _exit_status(process: subprocess.Popen[bytes], patience: float = 0.5) -> int | None:
    """The exit status of a worker whose socket just closed (it is ending), waited for without blocking the loop."""
    for _ in range(int(patience / 0.01)):
        if (code := process.poll()) is not None:
            return code
        await asyncio.sleep(0.01)
    return process.poll()


def _hang_up(worker: _Worker) -> None:
    """End the worker's connection now: closing the transport alone would wait for the loop's next turn."""
    sock = worker.writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed by the other side
            sock.shutdown(socket.SHUT_RDWR)
    worker.writer.close()


def _kill(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _lose(future: asyncio.Future[Any], why: str) -> None:
    if not future.done():
        future.set_exception(WorkerLost(why))


def _settle(future: asyncio.Future[Any], frame: bytes) -> None:
    try:
        reply = pickle.loads(frame)
    except Exception as exc:  # an exception class that cannot be rebuilt here, a result of a missing type
        future.set_exception(RuntimeError(f"a worker's answer could not be read: {exc!r}"))
        return
    if reply[0] == "ok":
        future.set_result(reply[1])
        return
    raised: BaseException = reply[1]
    raised.__cause__ = RemoteTraceback(reply[2])
    future.set_exception(raised)
