"""Politeness, measured at a real server: the User-Agent, two requests per site, robots.txt, 429 retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from support import SHARED, run_cli

from govcorpus.runner import project_settings
from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys, read_manifest

ARTICLES = 10


def article(number: int) -> str:
    paragraphs = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
    body = "".join(f"<p>{line}</p>" for line in paragraphs[number:])
    title = f"新华路街道2023年工作总结（{number}）"
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("polite")
    html = {"Content-Type": "text/html; charset=utf-8"}
    routes: list[dict[str, Any]] = [{"path": "/robots.txt", "file": "robots.txt", "headers": {"Content-Type": "text/plain"}}]
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    links = []
    for number in range(ARTICLES):
        path = f"/art/2024/2/2/art_{number}.html"
        (root / f"a{number}.html").write_text(article(number), encoding="utf-8")
        # Slow answers, so that concurrent requests overlap at the server and can be counted.
        routes.append({"path": path, "file": f"a{number}.html", "headers": html, "delay": 0.3})
        links.append(f'<li><a href="{path}">新华路街道2023年工作总结（{number}）</a></li>')
    (root / "busy.html").write_text(article(ARTICLES), encoding="utf-8")
    routes.append({"path": "/art/2024/2/2/art_busy.html", "file": "busy.html", "headers": html, "fail_first": 1, "fail_status": 429})
    links.append('<li><a href="/art/2024/2/2/art_busy.html">新华路街道2023年工作总结（忙）</a></li>')
    links.append('<li><a href="/private/art/2024/2/2/art_9.html">内部：2023年工作总结</a></li>')
    (root / "index.html").write_text(f"<html><body><ul>{''.join(links)}</ul></body></html>", encoding="utf-8")
    routes.append({"path": "/zwgk/index.html", "file": "index.html", "headers": html})
    feed_items = "".join(
        f"<item><title>新华路街道2023年工作总结（{n}）</title><link>/art/2024/2/2/art_{n}.html</link></item>" for n in (0, 1)
    )
    (root / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel>{feed_items}</channel></rss>')
    routes.append({"path": "/feed.xml", "file": "feed.xml", "headers": {"Content-Type": "application/rss+xml"}})
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(root, host="127.0.0.1") as server:
        yield server


def crawl(site: SiteServer, tmp_path: Path, start: str, *settings: str) -> dict[str, dict]:
    config = tmp_path / "sources.toml"
    config.write_text(f'[[sources]]\nname = "polite"\nfamily = "gov_portal"\nstart_urls = ["{site.url(start)}"]\n')
    store = str(tmp_path / "corpus")
    # Pacing nearly off, so that the per-site concurrency limit is what holds the crawl back. (Not 0:
    # with a zero delay Scrapy 2.19 hands a slot's whole queue to the downloader at once.)
    result = run_cli(
        "crawl", "--config", str(config), "--store", store, "-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=False", *settings
    )
    assert result.returncode == 0, result.stderr
    (key,) = manifest_keys(open_store(store))
    return {urlparse(line["url"]).path: line for line in read_manifest(open_store(store), key) if "url" in line}


def test_defaults_are_polite() -> None:
    settings = project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert 429 in settings.getlist("RETRY_HTTP_CODES") and 503 in settings.getlist("RETRY_HTTP_CODES")
    assert settings.get("USER_AGENT").startswith("govcorpus/")


def test_a_crawl_is_polite_at_the_server(site: SiteServer, tmp_path: Path) -> None:
    site.requests.clear()
    site.max_in_flight = 0
    lines = crawl(site, tmp_path, "/zwgk/index.html")

    assert site.max_in_flight == 2  # the per-site limit is reached and never exceeded
    assert all(headers.get("user-agent", "").startswith("govcorpus/") for _, _, headers in site.requests)
    requested = [urlparse(target).path for _, target, _ in site.requests]
    assert requested[0] == "/robots.txt"
    assert not any(path.startswith("/private/") for path in requested)
    assert lines["/private/art/2024/2/2/art_9.html"]["reason"] == "robots_txt"
    assert requested.count("/art/2024/2/2/art_busy.html") == 2  # 429, then retried
    kept = ("stored", "duplicate")  # the articles are excerpts of one report: most are fragments
    assert lines["/art/2024/2/2/art_busy.html"]["outcome"] in kept
    assert sum(line["outcome"] in kept for line in lines.values()) == ARTICLES + 1


def test_an_rss_feed_is_a_start_point(site: SiteServer, tmp_path: Path) -> None:
    lines = crawl(site, tmp_path, "/feed.xml")
    assert lines["/feed.xml"]["outcome"] == "skipped" and lines["/feed.xml"]["reason"] == "feed"
    assert {path for path, line in lines.items() if line["outcome"] in ("stored", "duplicate")} == {
        "/art/2024/2/2/art_0.html",
        "/art/2024/2/2/art_1.html",
    }


# robots.txt that answers 503 every time, or that never answers within DOWNLOAD_TIMEOUT: Scrapy's own
# middleware allows the whole site after either, so a crawl of a slow or overloaded server would read
# what robots.txt forbids. Route, crawl settings, and the start page's outcome and reason.
UNREACHABLE_ROBOTS: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, str]]] = {
    "503": ({"status": 503}, (), ("skipped", "robots_unreachable")),
    # The site does not answer at all: a failure of the page itself, named after the network error.
    "timeout": ({"delay": 2.5}, ("-s", "DOWNLOAD_TIMEOUT=1"), ("failed", "timeout")),
}


@pytest.mark.parametrize("failure", UNREACHABLE_ROBOTS)
def test_an_unreachable_robots_txt_means_do_not_crawl(tmp_path: Path, failure: str) -> None:
    """RFC 9309: robots.txt unreachable after retries disallows the site; nothing else is requested."""
    route, settings, (outcome, reason) = UNREACHABLE_ROBOTS[failure]
    root = tmp_path / "site"
    root.mkdir()
    (root / "a.html").write_text(article(0), encoding="utf-8")
    (root / "index.html").write_text('<a href="/art/2024/2/2/art_0.html">新华路街道2023年工作总结</a>', encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    html = {"Content-Type": "text/html; charset=utf-8"}
    routes: list[dict[str, Any]] = [
        {"path": "/robots.txt", "file": "robots.txt", "headers": {"Content-Type": "text/plain"}, **route},
        {"path": "/zwgk/index.html", "file": "index.html", "headers": html},
        {"path": "/art/2024/2/2/art_0.html", "file": "a.html", "headers": html},
    ]
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(root, host="127.0.0.1") as server:
        lines = crawl(server, tmp_path, "/zwgk/index.html", *settings)
        requested = [urlparse(target).path for _, target, _ in server.requests]
    assert set(requested) == {"/robots.txt"} and len(requested) == 3  # tried, retried twice, no page
    assert (lines["/zwgk/index.html"]["outcome"], lines["/zwgk/index.html"]["reason"]) == (outcome, reason)
