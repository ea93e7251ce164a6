"""End to end: the bundled demo site → `govcorpus crawl`/`demo` → S3 (SeaweedFS) → `govcorpus ls`."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

from support import DEMO_SITE, FAST, free_port, run_cli

from govcorpus.sitefixture import load_routes, serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys, read_manifest


def demo_routes() -> list[dict]:
    return json.loads((DEMO_SITE / "routes.json").read_text(encoding="utf-8"))


def expected_document_paths() -> set[str]:
    return {route["path"] for route in demo_routes() if route.get("expect") == "document"}


def test_demo_routes_are_loadable() -> None:
    assert load_routes(DEMO_SITE)
    assert len(expected_document_paths()) >= 5


def test_crawl_of_demo_site_into_s3_lists_the_expected_documents(s3_uri: str, tmp_path: Path) -> None:
    with serve_site(DEMO_SITE, host="127.0.0.1") as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\nmax_depth = 3\n', encoding="utf-8")
        result = run_cli("crawl", "--config", str(config), "--store", s3_uri, *FAST)
        assert result.returncode == 0, result.stderr
        requested = {target for _, target, _ in site.requests}

    assert "Stored" in result.stdout and s3_uri in result.stdout
    listing = json.loads(run_cli("ls", "--json", "--store", s3_uri).stdout)
    assert {urlparse(entry["url"]).path for entry in listing} == expected_document_paths()
    for entry in listing:
        assert {"id", "url", "title", "chars", "duplicate_of"} <= entry.keys()
        assert entry["chars"] > 500

    # Every URL the crawl requested (robots.txt aside) is in the manifest exactly once.
    store = open_store(s3_uri)
    (manifest,) = manifest_keys(store)
    lines = [line for line in read_manifest(store, manifest) if "url" in line]
    touched = [urlparse(line["url"]).path for line in lines]
    assert sorted(touched) == sorted(set(touched))
    assert set(touched) == {urlparse(target).path for target in requested} - {"/robots.txt"}
    outcomes = {urlparse(line["url"]).path: line for line in lines}
    missing = [route["path"] for route in demo_routes() if route.get("expect") == "reject:http_404"]
    for path in missing:
        assert outcomes[path]["outcome"] == "failed" and outcomes[path]["reason"] == "http_404"


def test_demo_command_prints_a_summary_and_fills_the_store(tmp_path: Path) -> None:
    result = run_cli("demo", "--port", str(free_port()), *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Stored" in result.stdout and "Corpus: ./corpus" in result.stdout
    documents = list((tmp_path / "corpus" / "documents").glob("*.json"))
    assert len(documents) == len(expected_document_paths())
    assert (tmp_path / "corpus" / "index.jsonl").exists()


FAMILIES = ("discuz", "gov_portal", "pdf", "aggregator", "mirror")


def test_fetch_json_for_each_fixture_family_has_the_contract_fields(tmp_path: Path) -> None:
    fields = {
        "id", "url", "final_url", "title", "text", "published", "source_type", "encoding", "content_sha256", "fetched_at", "duplicate_of"
    }
    routes = {route["family"]: route for route in demo_routes() if route.get("expect") == "document"}
    assert set(FAMILIES) <= set(routes)
    with serve_site(DEMO_SITE, host="127.0.0.1") as site:
        for family in FAMILIES:
            result = run_cli("fetch", site.url(routes[family]["path"]), "--json", "--no-store", *FAST, "--store", str(tmp_path / "c"))
            assert result.returncode == 0, (family, result.stderr)
            doc = json.loads(result.stdout)
            assert fields <= doc.keys(), family
            assert doc["source_type"] == ("pdf" if family == "pdf" else "html")
            assert len(doc["text"]) > 1000 and doc["content_sha256"]
            if routes[family].get("title"):
                assert doc["title"] == routes[family]["title"], family
    assert not (tmp_path / "c" / "documents").exists()


def test_progress_is_reported_while_a_crawl_runs(tmp_path: Path) -> None:
    with serve_site(DEMO_SITE, host="127.0.0.1") as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
        slow = ["-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "GOVCORPUS_PROGRESS_INTERVAL=0.5"]
        result = run_cli("crawl", "--config", str(config), "--store", str(tmp_path / "c"), *slow)
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("govcorpus: ") and "pages fetched" in line]
    assert len(progress) >= 2  # not on a terminal: periodic lines, not a live one
    assert "stored" in progress[-1] and "failed" in progress[-1]


def test_progress_counts_what_a_resumed_run_recorded_before_apart_from_skipped() -> None:
    """A resumed run meets its own recorded URLs again (reason already_recorded): not "skipped" pages."""
    from rich.console import Console
    from scrapy.utils.test import get_crawler

    from crawler.extensions import Progress

    crawler = get_crawler(settings_dict={"GOVCORPUS_PROGRESS": True})
    crawler.stats.open_spider()
    for key, value in {"govcorpus/stored": 3, "govcorpus/skipped": 41, "govcorpus/skipped/already_recorded": 40,
                       "response_received_count": 45}.items():
        crawler.stats.set_value(key, value)
    line = Progress(crawler, Console(stderr=True), 1.0).line()
    assert "3 stored" in line and "1 skipped" in line and "40 recorded before the run was resumed" in line, line
