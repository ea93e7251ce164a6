"""`crawl --max-pages N` downloads at most N pages (crawler/pagelimit.py), and the summary says it stopped there.

Scrapy's CLOSESPIDER_PAGECOUNT, used before, let every request already in the downloader go out:
`--max-pages 5` fetched 19 pages on a real site (fresh-user trial).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from support import DEMO_SITE, FAST, run_cli

from govcorpus.sitefixture import serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys, read_manifest


def test_max_pages_is_a_limit_on_pages_downloaded(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
        # Many requests in flight at once: the old limit overshot by about that many.
        result = run_cli("crawl", "--config", str(config), "--store", store, "--max-pages", "3", *FAST, "-s", "CONCURRENT_REQUESTS=16")
        pages = [urlparse(target).path for method, target, _ in site.requests if not target.endswith("/robots.txt")]
    assert result.returncode == 0, result.stderr
    assert len(pages) == 3, pages
    assert "stopped at its page limit (3 pages)" in result.stderr
    lines = [line for line in read_manifest(open_store(store), manifest_keys(open_store(store))[-1]) if "url" in line]
    assert {urlparse(line["url"]).path for line in lines} <= set(pages)  # only what was fetched is recorded
    assert lines and all(line["outcome"] in ("stored", "duplicate", "skipped", "failed") for line in lines)


def test_without_a_limit_the_whole_site_is_crawled(tmp_path: Path) -> None:
    store = str(tmp_path / "corpus")
    with serve_site(DEMO_SITE) as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
        result = run_cli("crawl", "--config", str(config), "--store", store, *FAST)
        pages = {urlparse(target).path for method, target, _ in site.requests if not target.endswith("/robots.txt")}
    assert result.returncode == 0, result.stderr
    assert len(pages) > 3 and "page limit" not in result.stderr
