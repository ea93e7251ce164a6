"""Ctrl-C on a crawl: a terminal signals the whole process group, document workers included.

The crawl stops with one line, no traceback from any process, a summary that counts what this
run did so far (no manifest is closed yet), and the same command resumes it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import DEMO_SITE, FAST, run_cli

from govcorpus.sitefixture import serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys
from storage.runs import active_runs

SLOW = ["-s", "DOWNLOAD_DELAY=0.5", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]


def test_ctrl_c_on_a_crawl_prints_no_traceback_and_counts_what_it_did(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
        command = [str(Path(sys.executable).parent / "govcorpus"), "crawl", "--config", str(config), "--store", store, *SLOW]
        # A session of its own: the test signals the crawl's process group as a terminal's Ctrl-C does.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 90
        while len(site.requests) < 6 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert process.poll() is None, "the crawl ended before it could be interrupted"
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=90)
        assert "Traceback" not in stderr, stderr
        assert process.returncode == 130, (process.returncode, stderr)  # not 0: the crawl did not finish
        assert active_runs(open_store(store)) and not manifest_keys(open_store(store))  # checkpointed
        assert "stopped before it finished" in stderr
        counts = re.search(r"Stored (\d+) documents, (\d+) duplicates, (\d+) unchanged, (\d+) skipped, (\d+) failed", stdout)
        assert counts is not None, stdout
        assert sum(int(n) for n in counts.groups()) > 0, stdout  # what this run did before Ctrl-C
        resumed = run_cli("crawl", "--config", str(config), "--store", store, *FAST)
        assert resumed.returncode == 0, resumed.stderr
    assert len(manifest_keys(open_store(store))) == 1 and not active_runs(open_store(store))


def test_ctrl_c_on_a_fetch_says_what_it_does_and_a_second_one_stops_it(tmp_path: Path) -> None:
    """The first Ctrl-C waits for the download in flight, and says so; the second stops the fetch now.

    It used to print nothing on the first (Scrapy's line is a log line, hidden without -v) and end
    the second with "cannot become a document: no_response".
    """
    site = tmp_path / "site"
    site.mkdir()
    (site / "slow.html").write_text("<html><body><p>迟到的页面</p></body></html>", encoding="utf-8")
    (site / "routes.json").write_text(
        '[{"path": "/slow.html", "file": "slow.html", "status": 200, "delay": 60,'
        ' "headers": {"Content-Type": "text/html; charset=utf-8"}}]',
        encoding="utf-8",
    )
    store = tmp_path / "corpus"
    with serve_site(site) as server:
        command = [str(Path(sys.executable).parent / "govcorpus"), "fetch", server.url("/slow.html"), "--store", str(store)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while not server.requests and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert server.requests and process.poll() is None, "the fetch never reached the server"
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(2)
        assert process.poll() is None  # waiting for the download in flight
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=45)  # the server answers only after 60 s
    assert process.returncode == 130, (process.returncode, stderr)
    assert "Traceback" not in stderr, stderr
    assert "press Ctrl-C again to stop now" in stderr and stderr.strip().endswith("interrupted"), stderr
    assert run_cli("ls", "--store", str(store)).returncode == 0  # the store is usable afterwards
