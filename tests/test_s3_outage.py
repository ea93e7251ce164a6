"""An S3 outage in the middle of a crawl: SeaweedFS stops and comes back; nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from seaweed import restart_seaweedfs, start_seaweedfs, stop_seaweedfs
from support import DEMO_SITE, run_cli

from govcorpus.sitefixture import serve_site
from storage.corpus import Corpus

SLOW = ["-s", "DOWNLOAD_DELAY=0.4", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]


def expected_paths() -> set[str]:
    routes = json.loads((DEMO_SITE / "routes.json").read_text(encoding="utf-8"))
    return {route["path"] for route in routes if route.get("expect") == "document"}


def test_crawl_rides_out_an_s3_outage(tmp_path: Path) -> None:
    server = start_seaweedfs(tmp_path / "weed")
    env = {**os.environ, **server.env()}
    store = "s3://outage-test/corpus"
    try:
        with serve_site(DEMO_SITE) as site:
            config = tmp_path / "sources.toml"
            config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
            command = [str(Path(sys.executable).parent / "govcorpus"), "crawl", "--config", str(config), "--store", store, *SLOW]
            crawl = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while len(site.requests) < 4 and time.monotonic() < deadline:  # mid-run
                time.sleep(0.1)
            stop_seaweedfs(server)
            time.sleep(3)  # writes fail now; boto3's standard retry mode keeps backing off
            restart_seaweedfs(server)
            _, stderr = crawl.communicate(timeout=240)
            if crawl.returncode != 0:  # retries ran out: the next run of the same command resumes
                rerun = run_cli("crawl", "--config", str(config), "--store", store, "-s", "DOWNLOAD_DELAY=0", env=server.env())
                assert rerun.returncode == 0, rerun.stderr
        with pytest.MonkeyPatch.context() as patch:  # this server, for this read only
            for key, value in server.env().items():
                patch.setenv(key, value)
            corpus = Corpus.open(store)
            stored = {urlparse(entry["url"]).path for entry in corpus.entries()}
            records = sorted(urlparse(json.loads(corpus.store.get(key))["url"]).path for key in corpus.store.list("documents/"))
            manifests = [corpus.store.get(key).decode() for key in corpus.store.list("manifests/")]
        assert stored == expected_paths(), (crawl.returncode, stderr[-2000:], records, manifests)
    finally:
        stop_seaweedfs(server)
