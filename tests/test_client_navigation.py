"""Redirect stubs and frame shells end to end: `govcorpus fetch`, `govcorpus serve` and a crawl, on loopback sites.

A stub is followed as a browser without JavaScript would, through the whole download stack
(robots.txt and the SSRF guard see the target); the document keeps the URL as asked and names the
target as final_url. A frame shell is read from its frame, with the shell's title.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FAST, SHARED, run_cli
from test_service import Service, running_service

from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest

HTML = {"Content-Type": "text/html; charset=utf-8"}
TITLE = "新华路街道2023年工作总结"
GOLD = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
OPENING = GOLD[0][:40]
NAV = '<div class="nav">' + " | ".join(f'<a href="/c{i}/">栏目{i}</a>' for i in range(20)) + "</div>"
FOOTER = '<div class="foot"><p>主办：区人民政府办公室　网站标识码：3101000000</p><p>沪ICP备00000000号</p></div>'


def report(title: str = TITLE, extra_head: str = "") -> str:
    paragraphs = "".join(f"<p>{line}</p>\n" for line in GOLD)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{extra_head}</head>"
            f"<body><h1>{title}</h1>{paragraphs}</body></html>")


def stub(head: str = "", body: str = "") -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>页面跳转</title>{head}</head>"
            f"<body>{body}<p>页面正在跳转，如未自动跳转，请<a href='#'>点击这里</a>。</p></body></html>")


def refresh(target: str, delay: int = 0) -> str:
    return f'<meta http-equiv="refresh" content="{delay};URL=\'{target}\'">'


PAGES: dict[str, str] = {
    "/wz/t1.html": report(),
    "/wz/t2.html": report(),
    "/stub/head.html": stub(head=refresh("/wz/t1.html")),
    "/stub/long-head.html": stub(head="<style>" + ".menu li { float: left; }\n" * 2000 + "</style>"
                                 + "<script>var nav = [];\n" + "nav.push('x');\n" * 2000 + "</script>" + refresh("/wz/t1.html")),
    "/stub/deep-body.html": stub(
        body=NAV + "<div><div><table><tr><td>" + refresh("../wz/t1.html", 1) + "</td></tr></table></div></div>" + FOOTER
    ),
    "/stub/noscript.html": stub(head="<script>window.location.replace('/wz/t1.html');</script>"
                                "<noscript>" + refresh("/wz/t1.html") + "</noscript>"),
    "/stub/script.html": stub(body=NAV + "<script>setTimeout(function(){ top.location.href = '/wz/t1.html'; }, 2000);</script>"),
    "/stub/chain.html": stub(head=refresh("/stub/head.html")),
    "/stub/to-private.html": stub(head=refresh("/private/t3.html")),
    "/stub/to-ftp.html": stub(head=refresh("ftp://127.0.0.1/report.pdf")),
    "/stub/loop-a.html": stub(head=refresh("/stub/loop-b.html")),
    "/stub/loop-b.html": stub(body="<script>location.href = '/stub/loop-a.html';</script>"),
    "/private/t3.html": report(),
    "/article/reloads.html": report(extra_head=refresh("/article/reloads.html", 0) + '<meta http-equiv="refresh" content="300">'),
    "/article/auto-return.html": report(extra_head=refresh("/index.html", 30)),
    "/shell/t8321.html": (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{TITLE}_区人民政府</title>"
        f"<meta name='ArticleTitle' content='{TITLE}'><meta name='PubDate' content='2024-02-02'></head><body>{NAV}"
        f"<h1>{TITLE}</h1><table class='xxgk'><tr><td>发布机构：</td><td>新华路街道办事处</td>"
        "<td>发布日期：</td><td>2024-02-02</td></tr></table>"
        "<div id='zoom'><iframe src='/shell/content_8321.html' width='100%' height='3200' frameborder='0'></iframe>"
        f"<iframe src='/stat/pixel.html' width='1' height='1'></iframe></div>{FOOTER}</body></html>"
    ),
    "/shell/content_8321.html": "<html><head><meta charset='utf-8'></head><body>"
    + "".join(f"<p>{line}</p>" for line in GOLD) + "</body></html>",
    "/stat/pixel.html": "<html><body></body></html>",
}


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stubs")
    routes = [{"path": "/robots.txt", "file": "robots.txt", "headers": {"Content-Type": "text/plain"}}]
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    for number, (path, html) in enumerate(PAGES.items()):
        (root / f"{number}.html").write_text(html, encoding="utf-8")
        routes.append({"path": path, "file": f"{number}.html", "headers": HTML})
    links = "".join(f'<li><a href="{path}">{TITLE}（{n}）</a></li>' for n, path in enumerate(CRAWLED))
    (root / "index.html").write_text(f"<html><head><meta charset='utf-8'></head><body><ul>{links}</ul></body></html>", encoding="utf-8")
    routes.append({"path": "/index.html", "file": "index.html", "headers": HTML})
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site(site_dir: Path) -> Iterator[SiteServer]:
    with serve_site(site_dir, host="127.0.0.1") as server:
        yield server


def fetch_json(site: SiteServer, path: str, tmp_path: Path) -> dict:
    result = run_cli("fetch", site.url(path), "--json", "--no-store", *FAST, "--store", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------- govcorpus fetch


@pytest.mark.parametrize("path", ["/stub/head.html", "/stub/long-head.html", "/stub/deep-body.html",
                                  "/stub/noscript.html", "/stub/script.html", "/stub/chain.html"])
def test_fetch_follows_a_stub_and_keeps_the_url_as_asked(site: SiteServer, tmp_path: Path, path: str) -> None:
    doc = fetch_json(site, path, tmp_path)
    assert doc["url"] == site.url(path)
    assert doc["final_url"] == site.url("/wz/t1.html")
    assert doc["title"] == TITLE and doc["text"].startswith(OPENING)


@pytest.mark.parametrize("path", ["/article/reloads.html", "/article/auto-return.html"])
def test_fetch_keeps_an_article_that_carries_a_refresh(site: SiteServer, tmp_path: Path, path: str) -> None:
    before = site.hits("/index.html")
    doc = fetch_json(site, path, tmp_path)
    assert doc["url"] == doc["final_url"] == site.url(path)
    assert doc["text"].startswith(OPENING)
    assert site.hits("/index.html") == before


def test_fetch_reads_a_shell_from_its_content_frame(site: SiteServer, tmp_path: Path) -> None:
    doc = fetch_json(site, "/shell/t8321.html", tmp_path)
    assert doc["url"] == site.url("/shell/t8321.html")
    assert doc["final_url"] == site.url("/shell/content_8321.html")
    assert doc["title"] == TITLE  # from the shell
    assert doc["published"] == "2024-02-02"
    assert doc["text"].startswith(OPENING) and GOLD[-1] in doc["text"]
    assert site.hits("/stat/pixel.html") == 0


def test_fetch_applies_robots_txt_to_a_stub_target(site: SiteServer, tmp_path: Path) -> None:
    store = tmp_path / "c"
    result = run_cli("fetch", site.url("/stub/to-private.html"), *FAST, "--store", str(store))
    assert result.returncode == 1 and "robots_txt" in result.stderr, result.stderr
    assert site.hits("/private/t3.html") == 0
    lines = [line for key in manifest_keys(open_store(str(store))) for line in read_manifest(open_store(str(store)), key)]
    assert [(line["url"], line["reason"]) for line in lines if "url" in line] == [(site.url("/stub/to-private.html"), "robots_txt")]


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/stub/loop-a.html", "redirect_loop"), ("/stub/to-ftp.html", "redirect_forbidden_scheme")],
)
def test_fetch_names_a_stub_that_leads_nowhere(site: SiteServer, tmp_path: Path, path: str, reason: str) -> None:
    result = run_cli("fetch", site.url(path), *FAST, "--store", str(tmp_path / "c"))
    assert result.returncode == 1
    assert reason in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# ---------------------------------------------------------------- a crawl

CRAWLED = [
    "/stub/deep-body.html", "/stub/noscript.html", "/stub/to-private.html", "/stub/to-ftp.html",
    "/stub/loop-a.html", "/article/reloads.html", "/shell/t8321.html",
]  # fmt: skip


@pytest.fixture(scope="module")
def crawled(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], Corpus]:
    work = tmp_path_factory.mktemp("crawl")
    config = work / "sources.toml"
    config.write_text(f'[[sources]]\nname = "stubs"\nstart_urls = ["{site.url("/index.html")}"]\nmax_depth = 1\n')
    store = str(work / "corpus")
    result = run_cli("crawl", "--config", str(config), "--store", store, *FAST, timeout=300)
    assert result.returncode == 0, result.stderr
    (key,) = manifest_keys(open_store(store))
    lines = [line for line in read_manifest(open_store(store), key) if "url" in line]
    assert len(lines) == len({line["url"] for line in lines})
    return {line["url"].removeprefix(site.base_url): line for line in lines}, Corpus.open(store)


def test_a_crawl_records_each_linked_stub_under_its_own_url(site: SiteServer, crawled: tuple) -> None:
    lines, corpus = crawled
    outcomes = {path: (line["outcome"], line.get("reason")) for path, line in lines.items()}
    # Two stubs lead to /wz/t1.html: the first is stored with it, the second names it as already requested.
    # (Every page here holds the same text: one document is stored, the others are its duplicates.)
    pair = [outcomes[path] for path in ("/stub/deep-body.html", "/stub/noscript.html")]
    assert ("skipped", "redirected") in pair and any(outcome in ("stored", "duplicate") for outcome, _ in pair), pair
    second = next(line for path, line in lines.items() if line.get("reason") == "redirected")
    assert second["detail"].startswith(f"to {site.url('/wz/t1.html')}")
    first = next(path for path in ("/stub/deep-body.html", "/stub/noscript.html") if "id" in lines[path])
    assert outcomes["/article/reloads.html"][0] in ("stored", "duplicate")
    assert outcomes["/shell/t8321.html"][0] in ("stored", "duplicate")
    assert outcomes["/stub/to-private.html"] == ("skipped", "robots_txt")
    assert outcomes["/stub/to-ftp.html"] == ("failed", "redirect_forbidden_scheme")
    assert outcomes["/stub/loop-a.html"] == ("failed", "redirect_loop")
    # Targets reached only by a stub are not URLs the crawl was linked to.
    assert not {"/wz/t1.html", "/shell/content_8321.html", "/stub/loop-b.html"} & set(lines)
    doc = corpus.get(lines[first]["id"])
    assert doc.url == site.url(first) and doc.final_url == site.url("/wz/t1.html")
    shell = corpus.get(lines["/shell/t8321.html"]["id"])
    assert shell.title == TITLE and shell.final_url == site.url("/shell/content_8321.html")
    assert site.hits("/private/t3.html") == 0


# ---------------------------------------------------------------- govcorpus serve, SSRF guard on


@pytest.fixture(scope="module")
def allowed_site(site_dir: Path, tmp_path_factory: pytest.TempPathFactory, site: SiteServer) -> Iterator[SiteServer]:
    """The same pages on 127.0.0.3 (on the service's allow-list), plus a stub to the loopback site."""
    root = tmp_path_factory.mktemp("allowed")
    for path in site_dir.iterdir():
        (root / path.name).write_bytes(path.read_bytes())
    routes = json.loads((root / "routes.json").read_text())
    (root / "to-loopback.html").write_text(stub(head=refresh(site.url("/wz/t2.html"))), encoding="utf-8")
    routes.append({"path": "/stub/to-loopback.html", "file": "to-loopback.html", "headers": HTML})
    (root / "routes.json").write_text(json.dumps(routes))
    with serve_site(root, host="127.0.0.3") as server:
        yield server


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("serve") / "corpus", GOVCORPUS_SSRF_ALLOW="127.0.0.3") as service:
        yield service


def test_serve_follows_stubs_and_shells(guarded: Service, allowed_site: SiteServer) -> None:
    response = guarded.fetch(allowed_site.url("/stub/noscript.html"), store=False)
    assert response.status_code == 200, response.text
    assert response.json()["final_url"] == allowed_site.url("/wz/t1.html")
    response = guarded.fetch(allowed_site.url("/shell/t8321.html"), store=False)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == TITLE


def test_serve_refuses_a_stub_to_a_forbidden_address(guarded: Service, allowed_site: SiteServer, site: SiteServer) -> None:
    before = site.hits("/wz/t2.html")
    response = guarded.fetch(allowed_site.url("/stub/to-loopback.html"), store=False)
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "forbidden_address"
    assert site.hits("/wz/t2.html") == before
    response = guarded.fetch(allowed_site.url("/stub/to-ftp.html"), store=False)
    assert response.status_code == 400 and response.json()["reason"] == "redirect_forbidden_scheme"
