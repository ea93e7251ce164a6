"""The test internet itself: hosts up, robots.txt and sitemap served, routes answer as declared, ground truth consistent."""

from __future__ import annotations

import http.client
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from internet import (
    HOST_ADDRESSES,
    INTERNET_DIR,
    Internet,
    load_expected,
    start_internet,
)
from support import SHARED

NAMESPACE_HOSTS = {"www.w3.org", "www.sitemaps.org"}  # XML namespaces and DOCTYPEs, never fetched


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def routes(host: str) -> list[dict]:
    return json.loads((INTERNET_DIR / host / "routes.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Internet]:
    with start_internet(tmp_path_factory.mktemp("internet")) as internet:
        yield internet


def test_three_hosts_on_distinct_addresses(net: Internet) -> None:
    bases = net.base_urls
    assert set(bases) == set(HOST_ADDRESSES)
    assert len(set(bases.values())) == 3
    for name, server in net.servers.items():
        assert server.host in (HOST_ADDRESSES[name], "127.0.0.1")
        status, _, _ = get(net.url(name, "/robots.txt"))
        assert status == 200


def test_robots_txt_and_sitemap_name_the_real_base_url(net: Internet) -> None:
    _, headers, body = get(net.url("portal", "/robots.txt"))
    robots = body.decode()
    assert headers["content-type"] == "text/plain"
    assert "Disallow: /internal/" in robots
    assert f"Sitemap: {net.base_urls['portal']}/sitemap.xml" in robots
    assert "Disallow: /member.php" in get(net.url("forum", "/robots.txt"))[2].decode()

    _, _, sitemap = get(net.url("portal", "/sitemap.xml"))
    locs = re.findall(r"<loc>(.*?)</loc>", sitemap.decode())
    assert len(locs) > 20 and "{portal}" not in sitemap.decode()
    for loc in locs:
        assert loc.startswith(net.base_urls["portal"] + "/")
        assert not urlsplit(loc).path.startswith("/internal/")
        assert get(loc)[0] == 200


@pytest.mark.parametrize("host", sorted(HOST_ADDRESSES))
def test_every_route_answers_as_declared(net: Internet, host: str) -> None:
    for route in routes(host):
        if route.get("fail_first"):
            continue  # consumed by test_flaky_route_fails_once_then_succeeds
        status, headers, body = get(net.url(host, route["path"]))
        assert status == route["status"], route["path"]
        if route.get("redirect"):
            assert headers["location"] == route["redirect"]
            assert get(net.url(host, route["redirect"]))[0] == 200
        else:
            assert headers["content-type"] == route["headers"]["Content-Type"]
            assert body and b"{portal}" not in body


def test_unknown_path_is_404(net: Internet) -> None:
    expected = load_expected()
    missing = [t for t in expected["touched"] if t["reason"] == "http_404"]
    assert missing
    for entry in missing:
        assert get(net.url(entry["host"], entry["path"]))[0] == 404


def test_flaky_route_fails_once_then_succeeds(net: Internet) -> None:
    flaky = [(host, r) for host in HOST_ADDRESSES for r in routes(host) if r.get("fail_first")]
    assert len(flaky) == 1
    host, route = flaky[0]
    first, _, _ = get(net.url(host, route["path"]))
    second, headers, body = get(net.url(host, route["path"]))
    assert (first, second) == (500, 200)
    assert body.startswith(b"PK\x03\x04") and "wordprocessingml" in headers["content-type"]
    assert net.servers[host].hits(route["path"]) == 2


def test_attachments_are_what_they_claim(net: Internet) -> None:
    by_type = {r["headers"]["Content-Type"]: r for r in routes("portal") if not r["headers"]["Content-Type"].startswith("text/")}
    assert get(net.url("portal", by_type["application/pdf"]["path"]))[2].startswith(b"%PDF-")
    assert get(net.url("portal", by_type["application/msword"]["path"]))[2].startswith(bytes.fromhex("d0cf11e0a1b11ae1"))


def test_gbk_page_declares_no_charset_anywhere(net: Internet) -> None:
    page = next(d for d in load_expected()["documents"] if d.get("encoding") == "gbk")
    _, headers, body = get(net.url(page["host"], page["path"]))
    assert headers["content-type"] == "text/html"
    assert b"charset" not in body.lower()
    text = body.decode("gbk")
    assert page["title"] in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_continuation_pages_link_to_each_other(net: Internet) -> None:
    for doc in load_expected()["documents"]:
        pages = doc.get("joined_from") or []
        for here, there in itertools.pairwise(pages):
            name = there.rsplit("/", 1)[1].encode()
            assert name in get(net.url(doc["host"], here))[2]


def test_no_link_leaves_loopback_or_invalid_names() -> None:
    for path in INTERNET_DIR.rglob("*"):
        if not path.is_file() or path.suffix in (".pdf", ".docx", ".doc", ".py"):
            continue
        for host in re.findall(rb"https?://([A-Za-z0-9.-]+)", path.read_bytes()):
            name = host.decode()
            assert name.startswith("127.") or name.endswith(".invalid") or name in NAMESPACE_HOSTS, (path, name)


def test_expected_is_consistent_with_the_sites() -> None:
    expected = load_expected()
    touched = {(t["host"], t["path"]): t for t in expected["touched"]}
    assert len(touched) == len(expected["touched"])
    for doc in expected["documents"]:
        entry = touched[(doc["host"], doc["path"])]
        assert entry["outcome"] == ("duplicate" if doc["duplicate_of"] else "stored")
        if doc["duplicate_of"]:
            assert (doc["duplicate_of"]["host"], doc["duplicate_of"]["path"]) in touched
        for part in (doc["joined_from"] or [])[1:]:
            assert touched[(doc["host"], part)]["reason"] == "continuation"
        if doc["gold"]:
            assert (SHARED / "gold" / f"{doc['gold']}.txt").exists()
    robots = {host: get_robots_disallows(host) for host in HOST_ADDRESSES}
    for item in expected["never_requested"]:
        if item["host"] in HOST_ADDRESSES:
            assert any(item["path"].startswith(rule) for rule in robots[item["host"]])
        else:
            assert item["host"].startswith("127.0.0.9") or item["host"].split(":")[0].endswith(".invalid")
    outcomes = {t["outcome"] for t in expected["touched"]}
    assert {"stored", "duplicate", "skipped", "failed"} <= outcomes


def get_robots_disallows(host: str) -> list[str]:
    text = (INTERNET_DIR / host / "robots.txt").read_text(encoding="utf-8")
    return [line.split(":", 1)[1].strip().rstrip("*") for line in text.splitlines() if line.startswith("Disallow:")]


def test_sources_toml_is_substituted(net: Internet) -> None:
    import tomllib

    config = tomllib.loads(net.config.read_text(encoding="utf-8"))
    starts = [url for source in config["sources"] for url in source["start_urls"]]
    assert {source["name"] for source in config["sources"]} == set(HOST_ADDRESSES)
    for url in starts:
        assert "{" not in url and get(url)[0] == 200


def test_build_is_deterministic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(INTERNET_DIR / "build.py"), str(tmp_path)], check=True, capture_output=True)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (INTERNET_DIR / path.relative_to(tmp_path)).read_bytes(), path
