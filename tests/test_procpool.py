"""The document workers' process pool (crawler/procpool.py): jobs, failures, lost workers, shutdown.

Real worker processes throughout; the jobs are module-level functions so that they pickle.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from cleaners.document import Rejected
from cleaners.reasons import Reason
from crawler.procpool import ProcessPool, RemoteTraceback, WorkerLost
from crawler.procworker import read_frame, write_frame
from crawler.workers import DocumentWorkers


def pid() -> int:
    return os.getpid()


def reject() -> None:
    raise Rejected(Reason.NOT_REPORT, "a list of links")


def unpicklable() -> object:
    return threading.Lock()


def die_unless(parent: int) -> int:
    """Kill the worker process that runs this; in `parent` (the in-process fallback) just answer."""
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return 42


def note_start(path: str) -> None:
    Path(path).write_text(str(os.getpid()), encoding="utf-8")


def test_jobs_run_in_worker_processes_and_answer_in_order_of_their_callers() -> None:
    async def scenario() -> tuple[list[int], set[int]]:
        pool = ProcessPool(2)
        try:
            squares = await asyncio.gather(*(pool.run(partial(pow, n, 2)) for n in range(200)))
            pids = set(await asyncio.gather(*(pool.run(pid) for _ in range(20))))
        finally:
            pool.shutdown()
        return squares, pids

    squares, pids = asyncio.run(scenario())
    assert squares == [n * n for n in range(200)]
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_an_exception_comes_back_as_itself_with_the_worker_traceback() -> None:
    async def scenario() -> BaseException:
        pool = ProcessPool(1)
        try:
            with pytest.raises(Rejected) as raised:
                await pool.run(reject)
            return raised.value
        finally:
            pool.shutdown()

    error = asyncio.run(scenario())
    assert isinstance(error, Rejected) and error.reason == Reason.NOT_REPORT
    assert isinstance(error.__cause__, RemoteTraceback)
    assert "in reject" in str(error.__cause__)


def test_a_result_that_cannot_be_pickled_is_an_error_not_a_hang() -> None:
    async def scenario() -> None:
        pool = ProcessPool(1)
        try:
            with pytest.raises(RuntimeError, match="result could not be sent back"):
                await pool.run(unpicklable)
            assert await pool.run(partial(pow, 2, 10)) == 1024  # the worker is still serving
        finally:
            pool.shutdown()

    asyncio.run(scenario())


def test_a_killed_worker_fails_its_job_with_worker_lost_and_is_replaced() -> None:
    async def scenario() -> int:
        pool = ProcessPool(1)
        try:
            with pytest.raises(WorkerLost, match="exit status -9"):
                await pool.run(partial(die_unless, os.getpid()))
            return await pool.run(partial(pow, 3, 3))
        finally:
            pool.shutdown()

    assert asyncio.run(scenario()) == 27


def test_shutdown_ends_every_worker_and_starts_no_helper_thread(tmp_path: Path) -> None:
    threads_before = threading.active_count()

    async def scenario() -> list[int]:
        pool = ProcessPool(2)
        await asyncio.gather(*(pool.run(partial(note_start, str(tmp_path / f"w{n}"))) for n in range(4)))
        assert threading.active_count() == threads_before  # the loop itself reads and writes the sockets
        workers = [worker.process.pid for worker in pool.workers]
        pool.shutdown()
        with pytest.raises(RuntimeError, match="shut down"):
            await pool.run(pid)
        return workers

    workers = asyncio.run(scenario())
    for worker in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)  # reaped: gone


def test_document_workers_build_a_job_whose_worker_died_in_the_crawl_process() -> None:
    """A worker lost (killed, out of memory) costs no item: the job runs again in-process."""

    async def scenario() -> tuple[int, int]:
        workers = DocumentWorkers(1)
        try:
            answer = await workers._run(partial(die_unless, os.getpid()), 0)
            return answer, workers.breaks
        finally:
            workers.shutdown()

    started = time.monotonic()
    assert asyncio.run(scenario()) == (42, 1)
    assert time.monotonic() - started < 60


def test_when_no_worker_can_start_the_jobs_are_built_in_the_crawl_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")

    async def scenario() -> int:
        pool = ProcessPool(1)
        with pytest.raises(WorkerLost, match="no worker process could be started"):
            await pool.run(partial(pow, 2, 3))
        pool.shutdown()
        workers = DocumentWorkers(2)
        try:
            return await workers._run(partial(pow, 2, 5), 0)
        finally:
            workers.shutdown()

    assert asyncio.run(scenario()) == 32


class _CountingSocket:
    """A real socket whose sendall calls are counted."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sends = 0

    def sendall(self, data: bytes) -> None:
        self.sends += 1
        self.sock.sendall(data)


def test_a_frame_goes_out_in_one_send_and_reads_back_whole() -> None:
    # Sent apart, the 8-byte header alone would wake the reader once more for nothing.
    mine, theirs = socket.socketpair()
    with mine, theirs:
        counting = _CountingSocket(mine)
        write_frame(counting, b"x" * 50_000)  # type: ignore[arg-type]
        assert counting.sends == 1
        assert read_frame(theirs) == b"x" * 50_000
