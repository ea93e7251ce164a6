"""The fixture server serves routes exactly as declared, and index.json describes real, decodable pages."""

from __future__ import annotations

import codecs
import http.client
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import pytest
from support import SHARED

from govcorpus.sitefixture import SiteServer, serve_site

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
DEMO = Path(__file__).resolve().parents[1] / "govcorpus" / "demo_site"
INDEX = json.loads((PAGES / "index.json").read_text(encoding="utf-8"))
FAMILIES = {"discuz", "gov_portal", "aggregator", "pdf", "docx", "mirror", "decoy"}


def fetch(site: SiteServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        conn.request(method, quote(path, safe="/?&=%"))
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def misleads(data: bytes, charset: str, truth: str) -> bool:
    """A lying charset either fails to decode the bytes or decodes them to other text."""
    try:
        return data.decode(charset).lstrip("\ufeff") != truth
    except UnicodeDecodeError:
        return True


def key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with serve_site(PAGES) as server:
        yield server


def entry(path: str) -> dict:
    return next(e for e in INDEX if e["path"] == path)


def test_serves_file_with_exact_headers(site: SiteServer) -> None:
    status, headers, body = fetch(site, "/bbs/thread-12345-1-1.html")
    assert status == 200
    assert headers == {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
    assert body == (PAGES / "discuz/thread-12345-1-1.html").read_bytes()


def test_lying_and_missing_charsets_are_served_as_declared(site: SiteServer) -> None:
    assert fetch(site, "/baogao/huadong/9817.html")[1]["Content-Type"] == "text/html; charset=gb2312"
    assert fetch(site, "/zfgzbg/shanghai/2024-01-22/4521.html")[1]["Content-Type"] == "text/html"
    status, headers, _ = fetch(site, "/uploads/P020240118_2024政府工作报告.pdf")
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment")


def test_query_string_routes(site: SiteServer) -> None:
    status, _, body = fetch(site, "/bbs/forum.php?mod=viewthread&tid=12346")
    assert status == 200 and body.decode("gbk").count('id="postmessage_') == 5
    assert fetch(site, "/bbs/thread-12345-1-1.html?from=rss")[0] == 200  # unused query ignored


def test_redirects(site: SiteServer) -> None:
    status, headers, body = fetch(site, "/xhl/gzzj/5678.html")
    assert (status, headers["Location"], body) == (301, "/art/2024/2/2/art_4157_5678.html", b"")
    status, headers, _ = fetch(site, "/bbs/forum.php?mod=redirect&tid=12345&goto=lastpost")
    assert (status, headers["Location"]) == (302, "/bbs/thread-12345-1-1.html")


def test_flaky_route_fails_once_then_serves() -> None:
    with serve_site(PAGES) as fresh:
        assert fetch(fresh, "/art/2024/2/2/art_4157_5680.html")[0] == 500
        status, _, body = fetch(fresh, "/art/2024/2/2/art_4157_5680.html")
        assert status == 200 and body == (PAGES / "gov/art_4157_5678.html").read_bytes()
        assert fresh.hits("/art/2024/2/2/art_4157_5680.html") == 2


def test_error_routes_and_unknown_paths(site: SiteServer) -> None:
    assert fetch(site, "/xxgk/search.jsp?keyword=政府工作报告")[0] == 500
    assert fetch(site, "/art/2023/1/1/art_4157_404.html")[0] == 404
    assert fetch(site, "/no/such/page.html")[0] == 404
    status, _, body = fetch(site, "/robots.txt")
    assert status == 200 and b"Disallow: /bbs/member.php" in body


def test_head_and_request_log(site: SiteServer) -> None:
    status, headers, body = fetch(site, "/empty.html", method="HEAD")
    assert (status, body) == (200, b"")
    fetch(site, "/mirror/www.jingan.gov.cn/gzbg2024_3.html")
    method, path, headers = site.requests[-1]
    assert (method, path) == ("GET", "/mirror/www.jingan.gov.cn/gzbg2024_3.html")
    assert headers["host"] == f"{site.host}:{site.port}"
    assert ("HEAD", "/empty.html") in [(m, p) for m, p, _ in site.requests]


def test_binds_other_loopback_addresses() -> None:
    with serve_site(PAGES, host="127.0.0.2") as a, serve_site(DEMO, host="127.0.0.3") as b:
        assert a.base_url.startswith("http://127.0.0.2:") and b.base_url.startswith("http://127.0.0.3:")
        assert fetch(a, "/bbs/thread-12345-1-1.html")[0] == 200
        assert fetch(b, "/")[0] == 200
        assert fetch(b, "/bbs/thread-12400-1-1.html")[0] == 404  # each server has its own routes


@pytest.mark.parametrize("e", INDEX, ids=[e["path"] for e in INDEX])
def test_index_entry_exists_and_decodes_as_claimed(e: dict) -> None:
    assert e["family"] in FAMILIES
    assert e["expect"] == "document" or e["expect"].startswith("reject:")
    if e["file"] is None:
        assert e.get("redirect") and e["status"] in (301, 302)
        assert any(x["path"] == e["redirect"] for x in INDEX)
        return
    data = (PAGES / e["file"]).read_bytes()
    if e["encoding"]:
        text = data.decode(e["encoding"])  # strict: the claimed encoding is the truth
        for claimed in filter(None, (e.get("declared") or {}).values()):
            if codecs.lookup(claimed).name != codecs.lookup(e["encoding"].removesuffix("-sig")).name:
                assert misleads(data, claimed, text), claimed
    if e["gold"] and e["family"] not in ("pdf", "docx"):
        gold_lines = (SHARED / "gold" / f"{e['gold']}.txt").read_text(encoding="utf-8").splitlines()
        lo, hi = e.get("gold_lines", [0, len(gold_lines)])
        flat = key(re.sub(r"<[^>]+>", "", text.replace("&nbsp;", " ")))
        for line in gold_lines[lo:hi]:
            assert key(line) in flat, line[:30]
    if e["family"] == "docx":
        assert zipfile.ZipFile(BytesIO(data)).testzip() is None
    if e["family"] == "pdf" or e["file"].endswith(".pdf"):
        assert data.startswith(b"%PDF-")


def test_index_covers_each_family_and_gold_at_least_twice() -> None:
    pairs = [(e["family"], e["gold"]) for e in INDEX if e["gold"] and e["file"]]
    for pair in set(pairs):
        assert pairs.count(pair) >= 2, pair
    assert {e["gold"] for e in INDEX if e["gold"]} == {"000", "001", "002", "003", "004"}


def test_expected_text_variant_differs_from_gold_only_by_the_inserted_sentences() -> None:
    e = entry("/xhl/xxgk/gzzj/20240202/content_1102.html")
    expected = (PAGES / e["expected_text"]).read_text(encoding="utf-8").splitlines()
    gold = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
    assert len(expected) == len(gold)
    assert [i for i, (a, b) in enumerate(zip(expected, gold, strict=True)) if a != b] == [3, 7, 14]
    page = (PAGES / e["file"]).read_bytes().decode("gbk")
    assert all(s in page for s in ("上一篇章", "打印、复印", "版权所有者"))


def test_demo_site_routes_and_files() -> None:
    routes = json.loads((DEMO / "routes.json").read_text(encoding="utf-8"))
    assert 8 <= len(routes) <= 12
    assert sum(f.stat().st_size for f in DEMO.rglob("*") if f.is_file()) < 1_000_000
    for r in routes:
        assert (DEMO / r["file"]).is_file()
    with serve_site(DEMO) as demo:
        listing = fetch(demo, "/xxgk/index.html")[2].decode("utf-8")
        links = re.findall(r'href="(/[^"]*)"', listing)
        statuses = {link: fetch(demo, link)[0] for link in links}
        assert sorted(statuses.values()).count(404) == 1
    text = "".join((DEMO / r["file"]).read_bytes().decode(r["encoding"] or "latin-1") for r in routes)
    assert "../shared" not in text


def test_a_client_that_hangs_up_prints_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    """`govcorpus demo` serves its site in the foreground: a crawler's dropped connection is not an error to show."""
    import socket
    import struct
    import time
    from urllib.parse import urlsplit

    from support import DEMO_SITE

    with serve_site(DEMO_SITE) as site:
        address = urlsplit(site.base_url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        client = socket.create_connection((host, port))
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        client.close()
        time.sleep(0.5)
        again = http.client.HTTPConnection(host, port)
        again.request("GET", "/")
        assert again.getresponse().status == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err
