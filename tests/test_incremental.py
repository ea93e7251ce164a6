"""Incremental crawls: conditional GETs, unchanged content, new versions with history, `runs`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import DEMO_SITE, FAST, run_cli

from govcorpus.sitefixture import serve_site
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest


def crawl(site_url: str, store: str, tmp_path: Path) -> dict[str, dict]:
    """Run one crawl of the demo site; return its manifest lines by URL path."""
    config = tmp_path / "sources.toml"
    config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site_url}/"]\n', encoding="utf-8")
    result = run_cli("crawl", "--config", str(config), "--store", store, *FAST)
    assert result.returncode == 0, result.stderr
    latest = manifest_keys(open_store(store))[-1]
    return {urlparse(line["url"]).path: line for line in read_manifest(open_store(store), latest) if "url" in line}


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(DEMO_SITE, copy)
    return copy


def stored_paths(lines: dict[str, dict]) -> set[str]:
    return {path for path, line in lines.items() if line["outcome"] in ("stored", "duplicate")}


def test_second_run_sends_validators_and_stores_nothing(site_copy: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(site_copy, conditional=True) as site:
        first = crawl(site.base_url, store, tmp_path)
        documents = stored_paths(first)
        assert documents
        site.requests.clear()
        second = crawl(site.base_url, store, tmp_path)
        requests = list(site.requests)

    assert {path for path, line in second.items() if line["outcome"] == "unchanged"} == documents
    assert not stored_paths(second)
    # Every URL the first run touched is touched again: a page whose links lead on is read in
    # full, so what it links to is reached even when the page itself did not change.
    assert set(second) == set(first)
    conditional = {urlparse(target).path for _, target, headers in requests if "if-none-match" in headers}
    leaves = {path for path in documents if path.endswith(".pdf")}
    assert leaves and conditional == leaves  # attachments were asked for conditionally ...
    assert all(second[path]["reason"] == "not_modified" for path in leaves)
    plain = {urlparse(target).path for _, target, headers in requests if "if-none-match" not in headers}
    assert documents - leaves <= plain  # ... pages in full, to find new links
    assert list(open_store(store).list("history/")) == []


def test_a_new_document_linked_from_an_unchanged_page_is_found(site_copy: Path, tmp_path: Path) -> None:
    """A scheduled re-crawl must reach what unchanged pages link to now (it once stopped at their 304)."""
    store = str(tmp_path / "corpus")
    routes = json.loads((site_copy / "routes.json").read_text(encoding="utf-8"))
    portal = next(route for route in routes if route.get("family") == "gov_portal")
    pdf = next(route for route in routes if route["path"].endswith(".pdf"))
    # A report the site serves but no page links to yet.
    shutil.copy(site_copy / pdf["file"], site_copy / "pdf" / "new-report.pdf")
    routes.append({**pdf, "path": "/files/2024/new-report.pdf", "file": "pdf/new-report.pdf"})
    (site_copy / "routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    with serve_site(site_copy, conditional=True) as site:
        first = crawl(site.base_url, store, tmp_path)
        assert first[portal["path"]]["outcome"] == "stored" and "/files/2024/new-report.pdf" not in first
        # A page that links to the portal article now links to the new report as well.
        linking = next(
            route for route in routes
            if route.get("file") and route["path"] != portal["path"] and route["path"] in first
            and portal["path"].encode() in (site_copy / route["file"]).read_bytes()
        )
        page = site_copy / linking["file"]
        page.write_bytes(page.read_bytes().replace(b"</body>", b'<a href="/files/2024/new-report.pdf">new</a></body>', 1))
        second = crawl(site.base_url, store, tmp_path)
    assert "/files/2024/new-report.pdf" in second, sorted(second)
    assert second["/files/2024/new-report.pdf"]["outcome"] in ("stored", "duplicate")


def test_changed_page_becomes_a_new_version_with_history(site_copy: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    routes = json.loads((site_copy / "routes.json").read_text(encoding="utf-8"))
    portal = next(route for route in routes if route.get("family") == "gov_portal")
    with serve_site(site_copy, conditional=True) as site:
        first = crawl(site.base_url, store, tmp_path)
        page = site_copy / portal["file"]
        html = page.read_bytes()
        marker = "加快招商引资步伐".encode(portal.get("encoding") or "utf-8")
        assert marker in html
        page.write_bytes(html.replace(marker, "全面加快招商引资步伐".encode(portal.get("encoding") or "utf-8"), 1))
        second = crawl(site.base_url, store, tmp_path)

    assert first[portal["path"]]["outcome"] == "stored"
    assert second[portal["path"]]["outcome"] == "stored" and second[portal["path"]]["version"] == 2
    doc_id = second[portal["path"]]["id"]
    corpus = Corpus.open(store)
    current = corpus.get(doc_id)
    assert current is not None and current.version == 2 and "全面加快招商引资步伐" in current.text
    (old,) = corpus.history(doc_id)
    assert old.version == 1 and "全面加快" not in old.text
    (entry,) = [entry for entry in corpus.entries() if entry["id"] == doc_id]
    assert entry["version"] == 2 and entry["content_sha256"] == current.content_sha256
    others = {path for path in stored_paths(first) if path != portal["path"]}
    assert {path for path, line in second.items() if line["outcome"] == "unchanged"} == others


def test_unchanged_content_without_validators_is_unchanged(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:  # no ETag, no Last-Modified: every page comes back in full
        first = crawl(site.base_url, store, tmp_path)
        second = crawl(site.base_url, store, tmp_path)
    documents = stored_paths(first)
    assert {path for path, line in second.items() if line["outcome"] == "unchanged"} == documents
    assert all("reason" not in second[path] for path in documents)

    runs = json.loads(run_cli("runs", "--json", "--store", store).stdout)
    assert len(runs) == 2
    assert runs[0]["counts"]["stored"] + runs[0]["counts"]["duplicate"] == len(documents)
    assert runs[1]["counts"]["stored"] == 0 and runs[1]["counts"]["unchanged"] == len(documents)
    assert all(run["bytes"] > 0 and run["duration_s"] > 0 for run in runs)
