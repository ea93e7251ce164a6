"""A crawl killed with SIGKILL at a write boundary, re-run with the same command, ends as if never killed.

Each test kills a crawl of tests/dupsite.py (22 URLs: copies, longer versions and excerpts, so documents
are re-pointed mid-run) instead of one chosen store write, re-runs the same command, and compares the
finished run with an uninterrupted reference run of the same site: the outcome of every URL (stored or
duplicate, and of which document), the documents and their canonicals, and the run's stats (counts per
outcome and reason, bytes) must be equal, and every manifest line must agree with its document.

The reference run has 60 writes; these tests kill at 6 of them on a local store (the first of the kinds
of write that went wrong before, a record re-pointed at a better version, one at random) and at 1 on
S3, to keep the suite short. `python tests/resumecheck.py [--store s3]` kills at every one of them.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dupsite import generate, sources_toml
from resumecheck import KILL_PIPELINE, QUICK, Final, KillPoint, chosen_boundaries, crawl, final_state, kill_and_resume
from seaweed import SeaweedS3, restart_seaweedfs, start_seaweedfs, stop_seaweedfs
from support import REPO

from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.check import check_store
from storage.runs import active_runs

LOCAL_POINTS = [
    "first manifests/part-put",  # the first manifest lines becoming durable
    "re-pointed record",  # a document re-pointed at a better version that just arrived
    "first index.jsonl-put",
    "first manifests/-put",  # the joined manifest
    "first manifests/part-delete",  # the run is finished but its parts are not yet deleted
    "random",
]
S3_POINTS = ["first manifests/part-delete"]
RNG = random.Random(int(os.environ.get("GOVCORPUS_TEST_SEED", time.time_ns() % 10_000)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteServer, Path]]:
    tmp = tmp_path_factory.mktemp("dupsite")
    generate(tmp / "site")
    with serve_site(tmp / "site") as server:
        config = tmp / "sources.toml"
        config.write_text(sources_toml(server.base_url), encoding="utf-8")
        yield server, config


@pytest.fixture(scope="module")
def reference(site: tuple[SiteServer, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Final, dict[str, KillPoint]]:
    """The uninterrupted run: its result, and the write boundaries to kill at (from its write log)."""
    tmp = tmp_path_factory.mktemp("reference")
    log = tmp / "writes.log"
    done = crawl(site[1], str(tmp / "corpus"), "-s", f"WRITE_LOG={log}")
    assert done.returncode == 0, done.stderr[-2000:]
    final = final_state(str(tmp / "corpus"))
    assert final.stats["counts"]["duplicate"] >= 6 and final.stats["counts"]["stored"] >= 10, final.stats
    points = chosen_boundaries(log.read_text().splitlines(), RNG)
    points["random"] = next(point for name, point in points.items() if name.startswith("random"))
    return final, points


@pytest.mark.parametrize("point", LOCAL_POINTS)
def test_killed_crawl_resumes_to_the_reference_run(
    point: str, site: tuple[SiteServer, Path], reference: tuple[Final, dict[str, KillPoint]], tmp_path: Path
) -> None:
    final, points = reference
    store = str(tmp_path / "corpus")
    run_id = kill_and_resume(site[1], store, points[point])
    assert final_state(store, run_id) == final, f"KILL_AT={points[point].setting()}"
    assert check_store(open_store(store)).clean


@pytest.mark.parametrize("point", S3_POINTS)
def test_killed_crawl_on_s3_resumes_to_the_reference_run(
    point: str, site: tuple[SiteServer, Path], reference: tuple[Final, dict[str, KillPoint]], s3_uri: str
) -> None:
    final, points = reference
    run_id = kill_and_resume(site[1], s3_uri, points[point])
    assert final_state(s3_uri, run_id) == final, f"KILL_AT={points[point].setting()}"
    assert check_store(open_store(s3_uri)).clean


@pytest.fixture
def own_seaweedfs(tmp_path: Path) -> Iterator[SeaweedS3]:
    server = start_seaweedfs(tmp_path / "weed")
    try:
        yield server
    finally:
        stop_seaweedfs(server)


def test_s3_outage_then_kill_resumes_to_the_reference_run(
    site: tuple[SiteServer, Path], reference: tuple[Final, dict[str, KillPoint]], own_seaweedfs: SeaweedS3, tmp_path: Path
) -> None:
    """S3 goes away mid-crawl: writes fail (two attempts each) and documents are left half-linked; then SIGKILL."""
    server, config = site
    store = "s3://outage-kill/corpus"
    env = {**os.environ, **own_seaweedfs.env(), "PYTHONPATH": str(REPO / "tests"), "AWS_MAX_ATTEMPTS": "2"}
    command = [str(Path(sys.executable).parent / "govcorpus"), "crawl", "--config", str(config), "--store", store, *QUICK, *KILL_PIPELINE]
    command += ["-s", "DOWNLOAD_DELAY=0.5"]
    before = len(server.requests)
    crawl_process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def fetched_since(count: int) -> None:
        deadline = time.monotonic() + 60
        while len(server.requests) - before < count and time.monotonic() < deadline and crawl_process.poll() is None:
            time.sleep(0.02)

    try:
        fetched_since(8)
        own_seaweedfs.process.terminate()  # S3 goes away (its stopping is not waited for: the crawl goes on)
        fetched_since(len(server.requests) - before + 3)  # the crawl goes on fetching; its writes fail
        assert crawl_process.poll() is None, crawl_process.communicate()[1][-2000:]
        crawl_process.kill()
        crawl_process.communicate(timeout=30)
    finally:
        if crawl_process.poll() is None:
            crawl_process.kill()
    stop_seaweedfs(own_seaweedfs)  # waits for it to have stopped
    restart_seaweedfs(own_seaweedfs)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in own_seaweedfs.env().items():
            patch.setenv(key, value)
        (active,) = active_runs(open_store(store))
        resumed = crawl(config, store)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert final_state(store, active["run_id"]) == reference[0]
        assert check_store(open_store(store)).clean
