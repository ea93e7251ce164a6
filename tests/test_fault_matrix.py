"""The crawler rows of the fault matrix (issue #14), each against a loopback server that misbehaves.

- Retry-After on 429/503 is honoured (seconds and HTTP-date), up to GOVCORPUS_RETRY_AFTER_MAX;
- redirect loops, a redirect to itself, and a 302 onto a URL also linked directly all leave a
  manifest line for the URL as linked;
- a redirect to ftp:/file:/data:/gopher: is redirect_forbidden_scheme;
- a body over DOWNLOAD_MAXSIZE, announced or endless, is too_large with the limit;
- a body labelled gzip/deflate/br but not compressed is read as it is, and noted.

Waits are checked from below only (the retry came no sooner than asked): a slow machine cannot
fail them.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from time import time

import brotli
import pytest
from scripted import Answer, Route, ScriptedServer
from support import FAST, REPO, SHARED, run_cli

from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys, read_manifest

HTML = {"Content-Type": "text/html; charset=utf-8"}
TITLE = "新华路街道2023年工作总结"
GOLD = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
REPORT = (f"<!doctype html><html><head><meta charset='utf-8'><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
          + "".join(f"<p>{line}</p>" for line in GOLD) + "</body></html>").encode()
PDF = REPO / "tests" / "fixtures" / "pages" / "pdf" / "jingan_gzbg_2024.pdf"


def fetch(url: str, tmp_path: Path, *settings: str) -> tuple[int, dict | None, str]:
    result = run_cli("fetch", url, "--json", *FAST, *settings, "--store", str(tmp_path / "c"))
    return result.returncode, json.loads(result.stdout) if result.returncode == 0 else None, result.stderr


def manifest(store: Path) -> list[dict]:
    backend = open_store(str(store))
    return [line for key in manifest_keys(backend) for line in read_manifest(backend, key)]


# ---------------------------------------------------------------- Retry-After


def busy_once(status: int, retry_after: Callable[[], str]) -> Callable[[int], Answer]:
    """Answer `status` with a Retry-After to the first request, the report afterwards."""

    def answer(hit: int) -> Answer:
        if hit == 1:
            return Answer(status, {"Retry-After": retry_after(), "Content-Type": "text/html"}, b"busy")
        return Answer(200, HTML, REPORT)

    return answer


@pytest.fixture(scope="module")
def busy() -> Iterator[ScriptedServer]:
    routes: dict[str, Route] = {
        "/seconds.html": busy_once(429, lambda: "2"),
        "/date.html": busy_once(503, lambda: formatdate(time() + 3, usegmt=True)),  # an HTTP-date 3 s ahead
        "/too-long.html": busy_once(429, lambda: "3600"),
    }
    with ScriptedServer(routes) as server:
        yield server


@pytest.mark.parametrize(("path", "at_least"), [("/seconds.html", 1.9), ("/date.html", 1.5)])
def test_retry_after_is_honoured(busy: ScriptedServer, tmp_path: Path, path: str, at_least: float) -> None:
    code, _, stderr = fetch(busy.url(path), tmp_path)
    assert code == 0, stderr
    first, second = busy.hits(path)
    assert second - first >= at_least


def test_retry_after_is_capped(busy: ScriptedServer, tmp_path: Path) -> None:
    # Asked for an hour; waits GOVCORPUS_RETRY_AFTER_MAX (1 s) and finishes well within the CLI's timeout.
    code, _, stderr = fetch(busy.url("/too-long.html"), tmp_path, "-s", "GOVCORPUS_RETRY_AFTER_MAX=1")
    assert code == 0, stderr
    first, second = busy.hits("/too-long.html")
    assert second - first >= 0.9


# ---------------------------------------------------------------- redirects, every URL accounted for

REDIRECTS = {
    "/loop-a.html": "/loop-b.html",
    "/loop-b.html": "/loop-a.html",
    "/self.html": "/self.html",
    "/moved.html": "/target.html",
    "/to-ftp.html": "ftp://127.0.0.1/report.pdf",
    "/to-file.html": "file:///etc/passwd",
    "/to-data.html": "data:text/html,<p>hi</p>",
    "/to-gopher.html": "gopher://127.0.0.1:70/1",
}
LINKED = ["/loop-a.html", "/self.html", "/moved.html", "/target.html", "/to-ftp.html", "/to-file.html",
          "/to-data.html", "/to-gopher.html"]  # fmt: skip


@pytest.fixture(scope="module")
def redirecting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("redirects")
    (root / "target.html").write_bytes(REPORT)
    links = "".join(f'<li><a href="{path}">{TITLE}（{n}）</a></li>' for n, path in enumerate(LINKED))
    (root / "index.html").write_text(f"<html><head><meta charset='utf-8'></head><body><ul>{links}</ul></body></html>", encoding="utf-8")
    routes: list[dict[str, object]] = [{"path": "/index.html", "file": "index.html", "headers": HTML},
              {"path": "/target.html", "file": "target.html", "headers": HTML}]
    routes += [{"path": path, "status": 302, "redirect": target} for path, target in REDIRECTS.items()]
    (root / "routes.json").write_text(json.dumps(routes))
    with serve_site(root, host="127.0.0.1") as server:
        yield server


@pytest.fixture(scope="module")
def crawled(redirecting: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("crawl")
    (work / "sources.toml").write_text(
        f'[[sources]]\nname = "redirects"\nstart_urls = ["{redirecting.url("/index.html")}"]\nmax_depth = 1\n'
    )
    result = run_cli("crawl", "--config", str(work / "sources.toml"), "--store", str(work / "c"), *FAST, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [line for line in manifest(work / "c") if "url" in line]
    assert len(lines) == len({line["url"] for line in lines}), "a URL is in the manifest twice"
    return {line["url"].removeprefix(redirecting.base_url): line for line in lines}


def test_every_linked_url_has_a_manifest_line(crawled: dict[str, dict]) -> None:
    assert set(LINKED) <= set(crawled)


def test_redirect_loops_and_a_redirect_to_itself_are_redirect_loop(crawled: dict[str, dict]) -> None:
    for path in ("/loop-a.html", "/self.html"):
        assert (crawled[path]["outcome"], crawled[path]["reason"]) == ("failed", "redirect_loop"), crawled[path]
    assert "/loop-b.html" in crawled["/loop-a.html"]["detail"]


def test_a_redirect_onto_a_linked_url_is_recorded_either_way(redirecting: SiteServer, crawled: dict[str, dict]) -> None:
    moved, target = crawled["/moved.html"], crawled["/target.html"]
    assert target["outcome"] in ("stored", "duplicate")
    if moved["outcome"] == "skipped":  # the target was requested first: it is the document
        assert moved["reason"] == "redirected" and redirecting.url("/target.html") in moved["detail"]
    else:  # the redirect came first: its document names the target as final_url, the target is its duplicate
        assert moved["outcome"] in ("stored", "duplicate")


@pytest.mark.parametrize("path", ["/to-ftp.html", "/to-file.html", "/to-data.html", "/to-gopher.html"])
def test_a_redirect_to_another_scheme_is_redirect_forbidden_scheme(crawled: dict[str, dict], path: str) -> None:
    assert (crawled[path]["outcome"], crawled[path]["reason"]) == ("failed", "redirect_forbidden_scheme")
    assert REDIRECTS[path].split(":")[0] + ":" in crawled[path]["detail"]


def test_fetch_names_a_forbidden_scheme_redirect(redirecting: SiteServer, tmp_path: Path) -> None:
    code, _, stderr = fetch(redirecting.url("/to-file.html"), tmp_path)
    assert code == 1 and "redirect_forbidden_scheme" in stderr and "Traceback" not in stderr


def test_a_cookie_check_that_redirects_to_itself_is_followed_once(tmp_path: Path) -> None:
    def check(hit: int) -> Answer:
        if hit == 1:
            return Answer(302, {"Location": "/report.html", "Set-Cookie": "checked=1; Path=/"})
        return Answer(200, HTML, REPORT)

    with ScriptedServer({"/report.html": check}) as server:
        code, doc, stderr = fetch(server.url("/report.html"), tmp_path)
    assert code == 0, stderr
    assert doc is not None and doc["title"] == TITLE


# ---------------------------------------------------------------- too large


@pytest.fixture(scope="module")
def huge() -> Iterator[ScriptedServer]:
    routes = {
        "/announced.html": Answer(200, HTML, REPORT, announce=100 * 1024 * 1024),  # says 100 MB, sends 20 KB
        "/endless.html": Answer(200, HTML, endless=True),
    }
    with ScriptedServer(routes) as server:
        yield server


@pytest.mark.parametrize(
    ("path", "settings", "limit"),
    [("/announced.html", (), "64 MiB"), ("/endless.html", ("-s", "DOWNLOAD_MAXSIZE=1048576"), "1 MiB")],
)
def test_a_body_over_the_size_limit_is_too_large_with_the_limit(
    huge: ScriptedServer, tmp_path: Path, path: str, settings: tuple[str, ...], limit: str
) -> None:
    code, _, stderr = fetch(huge.url(path), tmp_path, "-s", "RETRY_TIMES=0", *settings)
    assert code == 1 and "too_large" in stderr and f"DOWNLOAD_MAXSIZE ({limit})" in stderr, stderr
    (line,) = [line for line in manifest(tmp_path / "c") if "url" in line]
    assert (line["outcome"], line["reason"]) == ("failed", "too_large")


def test_a_body_cut_short_says_what_happened(tmp_path: Path) -> None:
    """Fewer bytes than the Content-Length, then the connection closes: data_loss, with words to act on."""
    routes = {"/cut.html": Answer(200, HTML, REPORT[:2000], announce=len(REPORT))}
    with ScriptedServer(routes) as server:
        code, _, stderr = fetch(server.url("/cut.html"), tmp_path, "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_FAIL_ON_DATALOSS=True")
    assert code == 1 and "data_loss" in stderr and "Content-Length" in stderr, stderr
    (line,) = [line for line in manifest(tmp_path / "c") if "url" in line]
    assert (line["outcome"], line["reason"]) == ("failed", "data_loss") and "Content-Length" in line["detail"]


# ---------------------------------------------------------------- Content-Encoding that lies


@pytest.fixture(scope="module")
def encodings() -> Iterator[ScriptedServer]:
    pdf = PDF.read_bytes()
    routes = {
        "/plain-gzip.html": Answer(200, {**HTML, "Content-Encoding": "gzip"}, REPORT),
        "/plain-deflate.html": Answer(200, {**HTML, "Content-Encoding": "deflate"}, REPORT),
        "/plain-br.html": Answer(200, {**HTML, "Content-Encoding": "br"}, REPORT),
        "/plain-gzip.pdf": Answer(200, {"Content-Type": "application/pdf", "Content-Encoding": "gzip"}, pdf),
        "/plain-x-gzip.pdf": Answer(200, {"Content-Type": "application/pdf", "Content-Encoding": "x-gzip"}, pdf),
        "/real-gzip.html": Answer(200, {**HTML, "Content-Encoding": "gzip"}, gzip.compress(REPORT)),
        "/real-deflate.html": Answer(200, {**HTML, "Content-Encoding": "deflate"}, zlib.compress(REPORT)),
        "/real-br.html": Answer(200, {**HTML, "Content-Encoding": "br"}, brotli.compress(REPORT)),
        "/real-gzip.pdf": Answer(200, {"Content-Type": "application/pdf", "Content-Encoding": "gzip"}, gzip.compress(pdf)),
    }
    with ScriptedServer(routes) as server:
        yield server


@pytest.mark.parametrize("path", ["/plain-gzip.html", "/plain-deflate.html", "/plain-br.html", "/plain-gzip.pdf", "/plain-x-gzip.pdf"])
def test_a_body_labelled_compressed_but_not_is_read_as_it_is(encodings: ScriptedServer, tmp_path: Path, path: str) -> None:
    code, doc, stderr = fetch(encodings.url(path), tmp_path)
    assert code == 0, stderr
    assert doc is not None and doc["source_type"] == path.rsplit(".", 1)[1]
    assert doc["raw_headers"]["x-govcorpus-content-encoding-mislabelled"] in ("gzip", "x-gzip", "deflate", "br")
    assert "content-encoding" not in doc["raw_headers"]
    (stats,) = [line["stats"] for line in manifest(tmp_path / "c") if "stats" in line]
    assert stats["process"]["content_encoding_mislabelled"] == 1


@pytest.mark.parametrize("path", ["/real-gzip.html", "/real-deflate.html", "/real-br.html", "/real-gzip.pdf"])
def test_a_compressed_body_is_still_decompressed(encodings: ScriptedServer, tmp_path: Path, path: str) -> None:
    code, doc, stderr = fetch(encodings.url(path), tmp_path)
    assert code == 0, stderr
    assert doc is not None and doc["source_type"] == path.rsplit(".", 1)[1]
    assert "x-govcorpus-content-encoding-mislabelled" not in doc["raw_headers"]
