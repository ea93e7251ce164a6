"""`govcorpus schedule`: cron jobs per source, one crawl per source at a time, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from support import DEMO_SITE, FAST, run_cli

from crawler.sources import Source
from govcorpus.schedule import CrawlRunner, build_scheduler
from govcorpus.sitefixture import serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys
from storage.runs import active_runs


def write_config(tmp_path: Path, base_url: str) -> Path:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[[sources]]\nname = "demo"\nstart_urls = ["{base_url}/"]\nschedule = "0 3 * * *"\n', encoding="utf-8"
    )
    return config


def start_scheduler(config: Path, store: str, log: Path, *settings: str) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "govcorpus"), "schedule", "--config", str(config), "--store", store, "--now", *settings]
    with log.open("wb") as sink:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink, env=os.environ.copy())


def wait_for(condition: Callable[[], object], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_jobs_never_overlap_and_missed_runs_coalesce(tmp_path: Path) -> None:
    source = Source.with_defaults("demo", ("http://127.0.0.1/",), schedule="*/5 * * * *")
    scheduler = build_scheduler([source], CrawlRunner(tmp_path / "s.toml", str(tmp_path), []), run_now=False)
    (job,) = scheduler.get_jobs()
    assert job.id == "demo" and job.max_instances == 1 and job.coalesce
    assert str(job.trigger).startswith("cron[") and "minute='*/5'" in str(job.trigger)


def test_scheduled_crawl_runs_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:
        log = tmp_path / "schedule.log"
        process = start_scheduler(write_config(tmp_path, site.base_url), store, log, *FAST)
        try:
            wait_for(lambda: "crawl demo finished" in log.read_text())
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    stderr = log.read_text()
    assert process.returncode == 0, stderr
    assert manifest_keys(open_store(store))
    assert "crawl demo finished in" in stderr and "Stored" in stderr
    assert "scheduler stopped" in stderr


def test_sigterm_during_a_crawl_checkpoints_and_the_next_run_resumes(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    slow = ["-s", "DOWNLOAD_DELAY=1", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with serve_site(DEMO_SITE) as site:
        config = write_config(tmp_path, site.base_url)
        log = tmp_path / "schedule.log"
        process = start_scheduler(config, store, log, *slow)
        try:
            wait_for(lambda: len(site.requests) >= 3)  # the crawl is under way
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=90)
        assert process.returncode == 0, log.read_text()
        (active,) = active_runs(open_store(store))  # checkpointed, not finished
        assert not manifest_keys(open_store(store))
        result = run_cli("crawl", "--config", str(config), "--store", store, *FAST)
        assert result.returncode == 0, result.stderr
    assert manifest_keys(open_store(store)) == [f"manifests/{active['run_id']}.jsonl"]
    assert not active_runs(open_store(store))
