"""scrapy.cfg deploys to a real scrapyd on loopback; a crawl scheduled over its HTTP API fills the store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import DEMO_SITE, REPO, free_port

from govcorpus.sitefixture import serve_site
from storage.corpus import Corpus

BIN = Path(sys.executable).parent
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md", "crawler", "cleaners", "storage", "govcorpus")


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A real scrapyd bound to 127.0.0.1 on a free port, its eggs, logs and queues in a temp dir."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home}/eggs\n"
        f"logs_dir = {home}/logs\nitems_dir =\ndbs_dir = {home}/dbs\npoll_interval = 0.5\nmax_proc = 2\n",
        encoding="utf-8",
    )
    log = (home / "scrapyd.log").open("wb")
    process = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            call(base, "daemonstatus.json")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((home / "scrapyd.log").read_text(errors="replace")[-2000:]) from None
            time.sleep(0.3)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_deploy_and_schedule_a_crawl_through_scrapyd(scrapyd: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, project / name)
    (project / "scrapy.cfg").write_text(
        f"[settings]\ndefault = crawler.settings\n\n[deploy:test]\nurl = {scrapyd}/\nproject = govcorpus\n", encoding="utf-8"
    )
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "test"], cwd=project, capture_output=True, text=True, timeout=180)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "sources" in call(scrapyd, "listspiders.json?project=govcorpus")["spiders"]

    store = tmp_path / "corpus"
    with serve_site(DEMO_SITE) as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
        settings = [f"GOVCORPUS_STORE={store}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_START_DELAY=0.01", "GOVCORPUS_JOB=demo"]
        job = call(
            scrapyd,
            "schedule.json",
            [("project", "govcorpus"), ("spider", "sources"), ("config", str(config))]
            + [("setting", setting) for setting in settings],
        )
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            jobs = call(scrapyd, "listjobs.json?project=govcorpus")
            if any(finished["id"] == job["jobid"] for finished in jobs["finished"]):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the scrapyd job did not finish: {jobs}")

    routes = json.loads((DEMO_SITE / "routes.json").read_text(encoding="utf-8"))
    expected = {route["path"] for route in routes if route.get("expect") == "document"}
    assert {urlparse(entry["url"]).path for entry in Corpus.open(str(store)).entries()} == expected
