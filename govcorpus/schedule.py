"""`govcorpus schedule`: run each source's crawl on its cron schedule, unattended, for months.

Each crawl runs as a child `govcorpus crawl --source NAME` process (Twisted's reactor cannot be
restarted in one process). APScheduler keeps at most one crawl per source (max_instances=1) and
coalesces missed runs into one. SIGTERM/SIGINT stops the scheduler and asks running crawls to
stop too; a crawl stopped that way checkpoints and is resumed by its next run.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from crawler.sources import Source
from govcorpus.errors import INTERRUPTED

log = logging.getLogger("govcorpus.schedule")

# Seconds a scheduled crawl waits for the store's lease (another source's crawl, a fetch…) before
# giving up: crawls of sources sharing a store run one after the other, not side by side.
QUEUE_BEHIND = 6 * 3600


class CrawlRunner:
    """Starts crawl processes and remembers which are running, so a shutdown can stop them."""

    def __init__(self, config: Path, store_uri: str, extra_args: Sequence[str]) -> None:
        self.config = config
        self.store_uri = store_uri
        self.extra_args = list(extra_args)
        self.running: dict[str, subprocess.Popen[str]] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def command(self, source: str) -> list[str]:
        return [
            sys.executable, "-m", "govcorpus.cli", "crawl",
            "--config", str(self.config), "--source", source, "--store", self.store_uri,
            "-s", "GOVCORPUS_PROGRESS=False", "--wait", str(QUEUE_BEHIND), *self.extra_args,
        ]  # fmt: skip

    def run(self, source: str) -> None:
        """One scheduled crawl of `source`; logs one summary line when it ends."""
        if self.stopping.is_set():
            return
        started = time.monotonic()
        process = subprocess.Popen(self.command(source), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with self.lock:
            self.running[source] = process
        stdout, stderr = process.communicate()
        with self.lock:
            self.running.pop(source, None)
        took = time.monotonic() - started
        summary = next((line for line in stdout.splitlines() if line.startswith("Stored ")), "")
        if process.returncode == 0:
            log.info("crawl %s finished in %.1fs: %s", source, took, summary)
        elif process.returncode == INTERRUPTED:
            log.info("crawl %s stopped after %.1fs before it finished; its next run resumes it: %s", source, took, summary)
        else:
            reason = (stderr.strip().splitlines() or [f"exit code {process.returncode}"])[-1]
            log.error("crawl %s failed after %.1fs (exit %s): %s", source, took, process.returncode, reason)

    def stop_all(self, timeout: float = 60.0) -> None:
        """Ask running crawls to stop (they checkpoint), then wait for them."""
        self.stopping.set()
        with self.lock:
            processes = list(self.running.values())
        for process in processes:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()


def build_scheduler(sources: list[Source], runner: CrawlRunner, run_now: bool) -> BlockingScheduler:
    scheduler = BlockingScheduler()
    for source in sources:
        assert source.schedule is not None
        scheduler.add_job(
            runner.run,
            CronTrigger.from_crontab(source.schedule),
            args=[source.name],
            id=source.name,
            name=f"crawl {source.name}",
            max_instances=1,  # never two crawls of the same source at once
            coalesce=True,  # runs missed while down or busy collapse into one
            misfire_grace_time=6 * 3600,
            **({"next_run_time": datetime.now().astimezone()} if run_now else {}),
        )
    return scheduler


def run_scheduler(sources: list[Source], config: Path, store_uri: str, extra_args: Sequence[str], run_now: bool) -> None:
    scheduled = [source for source in sources if source.schedule]
    if not scheduled:
        raise ValueError(f"no source in {config} has a `schedule` (a cron expression such as '0 3 * * *')")
    runner = CrawlRunner(config, store_uri, extra_args)
    scheduler = build_scheduler(scheduled, runner, run_now)

    def shutdown(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: stopping running crawls, then the scheduler", signal.Signals(signum).name)
        # Stop from another thread: the scheduler's shutdown waits for running jobs.
        threading.Thread(target=stop_everything, daemon=True).start()

    def stop_everything() -> None:
        runner.stop_all()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    for source in scheduled:
        log.info("scheduled %s: %s", source.name, source.schedule)
    scheduler.start()
    log.info("scheduler stopped")
