"""A crawl killed with SIGKILL at any point, re-run with the same command, ends as if never killed."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import DEMO_SITE, FAST, REPO, run_cli

from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest
from storage.runs import active_runs

KILL_PIPELINE = ["-s", 'ITEM_PIPELINES={"killhook.KillingCorpusPipeline": 300}']


def crawl(site: SiteServer, store: str, tmp_path: Path, *extra: str) -> int:
    config = tmp_path / "sources.toml"
    config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
    env = {"PYTHONPATH": str(REPO / "tests")}
    return run_cli("crawl", "--config", str(config), "--store", store, *FAST, *extra, env=env).returncode


def final_state(store_uri: str) -> tuple[dict[str, tuple], dict[str, str]]:
    """(documents by URL path: content hash and canonical URL path, manifest outcome by URL path)."""
    corpus = Corpus.open(store_uri)
    docs = {entry["id"]: corpus.get(entry["id"]) for entry in corpus.entries()}
    by_path = {
        urlparse(doc.url).path: (doc.content_sha256, urlparse(docs[doc.duplicate_of].url).path if doc.duplicate_of else None)
        for doc in docs.values()
    }
    store = open_store(store_uri)
    (key,) = manifest_keys(store)
    lines = [line for line in read_manifest(store, key) if "url" in line]
    paths = [urlparse(line["url"]).path for line in lines]
    assert len(paths) == len(set(paths)), "a URL is in the final manifest more than once"
    return by_path, {urlparse(line["url"]).path: line["outcome"] for line in lines}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("reference")
    with serve_site(DEMO_SITE) as site:
        assert crawl(site, str(tmp / "corpus"), tmp) == 0
    return final_state(str(tmp / "corpus"))


@pytest.mark.parametrize(
    "kill_at",
    [
        "raw/:1",  # early: before the first document's bytes are written
        "documents/:3",  # mid-way, between a document's raw bytes and its record
        "dedup/:1",  # writing the dedup index, before the manifest that relies on it
        "manifests/:1",  # while flushing the first manifest lines
        "index.jsonl:1",  # at the very end, writing the index
    ],
)
def test_killed_crawl_resumes_to_the_same_corpus(kill_at: str, uninterrupted: tuple[dict, dict], tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:
        killed = crawl(site, store, tmp_path, *KILL_PIPELINE, "-s", f"KILL_AT={kill_at}", "-s", "GOVCORPUS_PROGRESS=False")
        assert killed == -9
        assert len(active_runs(open_store(store))) == 1  # the killed run is left open
        assert crawl(site, store, tmp_path) == 0
    assert final_state(store) == uninterrupted
    assert not list(open_store(store).list("runs/active/"))


def test_resumed_run_keeps_the_lines_it_had_flushed(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:
        assert crawl(site, store, tmp_path, *KILL_PIPELINE, "-s", "KILL_AT=index.jsonl:1") == -9
        (active,) = active_runs(open_store(store))
        run_id = active["run_id"]
        assert crawl(site, store, tmp_path) == 0
    (key,) = manifest_keys(open_store(store))
    assert key == f"manifests/{run_id}.jsonl"  # the same run, finished
    stats = json.loads(open_store(store).get(key).decode().splitlines()[-1])["stats"]
    assert stats["counts"]["stored"] + stats["counts"]["duplicate"] == len(Corpus.open(store).entries())
