"""`govcorpus serve` over real HTTP: fetches through the crawl's stack, errors, limits, concurrency, queries."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from official_docs import PAGE_FIELDS, disclosure_page
from support import SHARED, free_port, run_cli

from govcorpus.sitefixture import SiteServer, serve_site

FAST_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_START_DELAY": "0.01", "AUTOTHROTTLE_MAX_DELAY": "0.5"}
TEST_HOSTS = {"metadata.test": "169.254.169.254", "site.test": "127.0.0.2", "loopback.test": "127.0.0.1"}
CONTRACT_FIELDS = {
    "id", "url", "final_url", "title", "text", "published", "source_type", "encoding",
    "content_sha256", "fetched_at", "duplicate_of", "outcome",
}  # fmt: skip
HTML = {"Content-Type": "text/html; charset=utf-8"}


def report_html(gold: str, title: str) -> str:
    lines = (SHARED / "gold" / f"{gold}.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = "".join(f"<p>{line}</p>\n" for line in lines)
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>{paragraphs}</body></html>"


class Service:
    """A `govcorpus serve` subprocess on a free loopback port."""

    def __init__(self, store: Path, settings: dict[str, str]) -> None:
        self.store = store
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = [str(Path(sys.executable).parent / "govcorpus"), "serve", "--port", str(self.port), "--store", str(store)]
        for name, value in settings.items():
            args += ["-s", f"{name}={value}"]
        self.log = store.parent / f"serve-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
        self.client = httpx.Client(base_url=self.base_url, timeout=60)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"govcorpus serve exited early:\n{self.log.read_text(errors='replace')}")
            try:
                if self.client.get("/healthz").json().get("status") == "ok":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"govcorpus serve did not become ready:\n{self.log.read_text(errors='replace')}")

    def fetch(self, url: str, store: bool = True, **fields: Any) -> httpx.Response:
        return self.client.post("/fetch", json={"url": url, "store": store, **fields})

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running_service(store: Path, **settings: Any) -> Iterator[Service]:
    merged = {**FAST_SETTINGS, "GOVCORPUS_TEST_HOSTS": json.dumps(TEST_HOSTS)}
    merged.update({name: value if isinstance(value, str) else json.dumps(value) for name, value in settings.items()})
    service = Service(store, merged)
    try:
        yield service
    finally:
        service.stop()


class SlowSite:
    """A loopback server whose /slow.html and /hang answer only when released (robots.txt: 404 at once)."""

    def __init__(self, host: str, body: bytes) -> None:
        self.release = threading.Event()  # lets /slow.html answer
        self.stopped = threading.Event()  # lets /hang answer
        self.arrived = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path in ("/slow.html", "/hang"):
                    site.arrived.set()
                    (site.release if self.path == "/slow.html" else site.stopped).wait(20)
                    status, payload = 200, body
                else:
                    status, payload = 404, b"not found"
                self.send_response_only(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with suppress(OSError):  # the client gave up (timeout test)
                    self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("site")
    (root / "report.html").write_text(report_html("003", "新华路街道2023年工作总结"), encoding="utf-8")
    (root / "other.html").write_text(report_html("001", "某某区2024年政府工作报告"), encoding="utf-8")
    (root / "notice.html").write_text(disclosure_page("table"), encoding="utf-8")
    (root / "short.html").write_text("<html><head><title>通知</title></head><body><p>明天停电。</p></body></html>", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    (root / "big.html").write_bytes(b"<html><body>" + b"x" * (2 * 1024 * 1024) + b"</body></html>")
    # 32 MiB of markup in ~32 KB: over the limit only once decompressed.
    (root / "bomb.gz").write_bytes(gzip.compress(b"<html><body>" + b" " * (32 * 1024 * 1024), compresslevel=9))
    routes = [
        {"path": "/robots.txt", "file": "robots.txt", "headers": {"Content-Type": "text/plain"}},
        {"path": "/report.html", "file": "report.html", "headers": HTML},
        {"path": "/other.html", "file": "other.html", "headers": HTML},
        {"path": "/notice.html", "file": "notice.html", "headers": HTML},
        {"path": "/moved", "status": 301, "redirect": "/report.html"},
        {"path": "/short.html", "file": "short.html", "headers": HTML},
        {"path": "/error", "file": "short.html", "status": 500, "headers": HTML},
        {"path": "/private/report.html", "file": "report.html", "headers": HTML},
        {"path": "/big.html", "file": "big.html", "headers": HTML},
        {"path": "/bomb.html", "file": "bomb.gz", "headers": {**HTML, "Content-Encoding": "gzip"}},
    ]
    # A real OFD whose text is private-use glyph codes: fetched fine, unreadable as a document.
    (root / "ano.ofd").write_bytes((SHARED / "realworld" / "documents" / "ofdrw-ano.ofd").read_bytes())
    routes.append({"path": "/ano.ofd", "file": "ano.ofd", "headers": {"Content-Type": "application/octet-stream"}})
    # A real forum thread (Flarum) with other users' replies.
    (root / "thread.html").write_bytes((SHARED / "realworld" / "magic" / "forum-3a43c342657c.html").read_bytes())
    routes.append({"path": "/thread.html", "file": "thread.html", "headers": HTML})
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(root, host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="module")
def slow_site() -> Iterator[SlowSite]:
    slow = SlowSite("127.0.0.3", report_html("002", "某街道2023年工作总结").encode("utf-8"))
    yield slow
    slow.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("svc") / "corpus", GOVCORPUS_SSRF_ALLOW="127.0.0.2,127.0.0.3") as svc:
        yield svc


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service with small limits: 1 s downloads, no retries, 1 MiB bodies."""
    with running_service(
        tmp_path_factory.mktemp("limited") / "corpus",
        GOVCORPUS_SSRF_ALLOW="127.0.0.2,127.0.0.3",
        DOWNLOAD_TIMEOUT="1",
        RETRY_ENABLED="false",
        DOWNLOAD_MAXSIZE=str(1024 * 1024),
        DOWNLOAD_WARNSIZE="0",
    ) as svc:
        yield svc


def test_health_and_openapi_docs(service: Service) -> None:
    assert service.client.get("/healthz").json()["status"] == "ok"
    spec = service.client.get("/openapi.json").json()
    assert {"/fetch", "/documents", "/documents/{doc_id}", "/healthz"} <= spec["paths"].keys()
    assert service.client.get("/docs").status_code == 200


def test_fetch_answers_what_the_cli_prints(service: Service, site: SiteServer, tmp_path: Path) -> None:
    url = site.url("/report.html")
    response = service.fetch(url, store=False)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc.keys() >= CONTRACT_FIELDS
    assert doc["url"] == doc["final_url"] == url
    # Nothing was written: the answer must not say "stored", only what a store would record.
    assert (doc["outcome"], doc["would_be"]) == ("not_stored", "stored") and doc["duplicate_of"] is None
    assert not (service.store / "documents").exists()
    cli = run_cli("fetch", url, "--json", "--no-store", "--store", str(tmp_path / "c"), *[f"-s{n}={v}" for n, v in FAST_SETTINGS.items()])
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    for volatile in ("fetched_at", "run_id"):
        expected.pop(volatile)
        doc.pop(volatile)
    assert doc == expected


def test_fetch_stores_and_documents_can_be_queried(service: Service, site: SiteServer) -> None:
    response = service.fetch(site.url("/moved"))
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["url"] == site.url("/moved") and doc["final_url"] == site.url("/report.html")

    stored = service.client.get(f"/documents/{doc['id']}").json()
    assert stored["text"] == doc["text"] and stored["content_sha256"] == doc["content_sha256"]
    assert service.client.get(f"/documents/{doc['id'][:8]}").json()["id"] == doc["id"]
    missing = service.client.get("/documents/ffffffffffffffff")
    assert missing.status_code == 404 and missing.json()["reason"] == "not_found"

    ids = [item["id"] for item in service.client.get("/documents", params={"q": "新华路街道"}).json()["items"]]
    assert doc["id"] in ids
    assert service.client.get("/documents", params={"q": "没有这样的文字"}).json()["total"] == 0
    metadata = stored["metadata"]
    for name in ("region", "year", "doc_type"):
        if metadata.get(name) is not None:
            found = service.client.get("/documents", params={name: str(metadata[name])}).json()
            assert doc["id"] in [item["id"] for item in found["items"]]
            assert all(str(item[name]) == str(metadata[name]) or name == "region" for item in found["items"])
    assert service.client.get("/documents", params={"year": "1066"}).json()["total"] == 0
    page = service.client.get("/documents", params={"limit": 1, "offset": 0}).json()
    assert page["limit"] == 1 and len(page["items"]) == 1 and page["total"] >= 1
    assert service.client.get("/documents", params={"limit": 1000}).status_code == 400
    bad_year = service.client.get("/documents", params={"year": "abc"})
    assert bad_year.status_code == 400, bad_year.text
    assert bad_year.json()["reason"] == "bad_request" and "year" in bad_year.json()["detail"]


def test_documents_can_be_queried_by_issuer_and_document_number(service: Service, site: SiteServer) -> None:
    response = service.fetch(site.url("/notice.html"))
    assert response.status_code == 200, response.text
    doc_id = response.json()["id"]
    queries = ({"issuer": "人民政府办公室"}, {"document_number": "示政办发[2024]3号"}, {"document_number": PAGE_FIELDS["document_number"]})
    for params in queries:
        found = service.client.get("/documents", params=params).json()
        assert [item["id"] for item in found["items"]] == [doc_id], params
        assert found["items"][0]["document_number"] == PAGE_FIELDS["document_number"]
    assert service.client.get("/documents", params={"document_number": "示政办发〔2024〕4号"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/error", 502, "http_500"),
        ("/missing.html", 502, "http_404"),
        ("/short.html", 422, None),
        ("/ano.ofd", 422, "unreadable"),  # the content, not the upstream: 502 is for upstream failures
        ("/private/report.html", 403, "robots_txt"),
    ],
)
def test_fetch_errors_are_json_with_a_reason(service: Service, site: SiteServer, path: str, status: int, reason: str | None) -> None:
    response = service.fetch(site.url(path), store=False)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["reason"] and body["url"] == site.url(path)
    if reason:
        assert body["reason"] == reason


def test_fetch_with_no_filter_gives_the_text_and_the_verdict(service: Service, site: SiteServer) -> None:
    response = service.fetch(site.url("/short.html"), store=False, no_filter=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "明天停电" in body["text"]
    assert body["filter_verdict"]["reason"] == "not_report"
    assert service.fetch(site.url("/error"), store=False, no_filter=True).status_code == 502  # still fails


def test_fetch_with_replies_keeps_the_whole_thread(service: Service, site: SiteServer) -> None:
    reply = "Private Forum Facade这个插件可以实现"
    starter = service.fetch(site.url("/thread.html"), store=False, no_filter=True)
    thread = service.fetch(site.url("/thread.html"), store=False, no_filter=True, replies=True)
    assert starter.status_code == thread.status_code == 200, (starter.text, thread.text)
    assert reply not in starter.json()["text"] and reply in thread.json()["text"]


def test_unreachable_upstream_is_502(service: Service) -> None:
    response = service.fetch(f"http://127.0.0.2:{free_port('127.0.0.2')}/report.html", store=False)
    assert response.status_code == 502
    assert response.json()["reason"] == "connection_refused"


@pytest.mark.parametrize("body", [{"url": "not a url"}, {"url": "http://"}, {"store": True}, {"url": 5}])
def test_bad_requests_are_400(service: Service, body: dict[str, Any]) -> None:
    response = service.client.post("/fetch", json=body)
    assert response.status_code == 400
    assert response.json()["reason"] in ("bad_url", "unsupported_scheme", "bad_request")


def test_twenty_concurrent_fetches_share_one_dedup_index(service: Service, site: SiteServer) -> None:
    urls = [site.url(f"/other.html?copy={n}") for n in range(20)]

    async def fire() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=120) as client:
            return await asyncio.gather(*(client.post("/fetch", json={"url": url}) for url in urls))

    responses = asyncio.run(fire())
    assert [response.status_code for response in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
    docs = [response.json() for response in responses]
    assert len({doc["id"] for doc in docs}) == 20
    # Every copy is in the index, and all but one point at the same canonical: no request's writes were lost.
    listed = service.client.get("/documents", params={"q": "某某区2024年政府工作报告", "limit": 100}).json()["items"]
    mine = {item["id"]: item for item in listed if item["id"] in {doc["id"] for doc in docs}}
    assert len(mine) == 20
    canonicals = [doc_id for doc_id, item in mine.items() if item["duplicate_of"] is None]
    assert len(canonicals) == 1
    assert {item["duplicate_of"] for item in mine.values() if item["duplicate_of"]} == set(canonicals)
    manifests = list((service.store / "manifests").glob("*.jsonl"))
    assert len(manifests) >= 20  # one run, so one manifest, per storing request


def test_slow_upstream_does_not_block_others(service: Service, site: SiteServer, slow_site: SlowSite) -> None:
    slow_result: list[httpx.Response] = []

    def slow_fetch() -> None:
        with httpx.Client(base_url=service.base_url, timeout=60) as client:
            slow_result.append(client.post("/fetch", json={"url": slow_site.base_url + "/slow.html", "store": False}))

    thread = threading.Thread(target=slow_fetch)
    thread.start()
    try:
        assert slow_site.arrived.wait(30), "the slow request never reached its upstream"
        fast = service.fetch(site.url("/report.html"), store=False)
        assert fast.status_code == 200
        assert not slow_result, "the slow fetch finished before it was released"
    finally:
        slow_site.release.set()
        thread.join(60)
    assert slow_result and slow_result[0].status_code == 200, slow_result


def test_timeout_is_504(limited: Service, slow_site: SlowSite) -> None:
    response = limited.fetch(slow_site.base_url + "/hang", store=False)
    assert response.status_code == 504, response.text
    assert response.json()["reason"] == "timeout"


@pytest.mark.parametrize("path", ["/big.html", "/bomb.html"])
def test_too_large_is_413_also_after_decompression(limited: Service, site: SiteServer, path: str) -> None:
    response = limited.fetch(site.url(path), store=False)
    assert response.status_code == 413, response.text
    assert response.json()["reason"] == "too_large"


# --- the deadline and request bodies ------------------------------------------------------------


@pytest.fixture(scope="module")
def short_deadline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A 2 s deadline over the default 60 s DOWNLOAD_TIMEOUT, no retries."""
    with running_service(
        tmp_path_factory.mktemp("deadline") / "corpus",
        GOVCORPUS_SSRF_ALLOW="127.0.0.2,127.0.0.3",
        GOVCORPUS_SERVICE_DEADLINE="2",
        RETRY_ENABLED="false",
    ) as svc:
        yield svc


def test_deadline_bounds_the_whole_fetch(short_deadline: Service, slow_site: SlowSite, site: SiteServer) -> None:
    # /hang answers only after 20 s: a client that gives up at 15 s gets the 504 only if the
    # deadline, not the download timeout or the upstream, ends the fetch.
    with httpx.Client(base_url=short_deadline.base_url, timeout=15) as client:
        response = client.post("/fetch", json={"url": slow_site.base_url + "/hang", "store": True})
    assert response.status_code == 504, response.text
    assert response.json()["reason"] == "timeout" and "GOVCORPUS_SERVICE_DEADLINE" in response.json()["detail"]
    # the abandoned crawl does not keep the service from answering the next fetch
    assert short_deadline.fetch(site.url("/report.html"), store=False).status_code == 200


def _assert_body_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["reason"] == "body_too_large" and f"{limit} bytes" in body["detail"] and "GOVCORPUS_SERVICE_MAX_BODY" in body["detail"]


def test_request_body_over_the_limit_is_413(service: Service) -> None:
    padding = "a" * (200 * 1024)
    response = service.client.post(
        "/fetch", content=json.dumps({"url": "http://x.test/", "pad": padding}), headers={"Content-Type": "application/json"}
    )
    _assert_body_too_large(response, 64 * 1024)


def test_chunked_request_body_is_cut_off_while_streaming(service: Service) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"url": "http://x.test/", "pad": "'
        for _ in range(16 * 1024):  # 1 GiB if it were read whole
            yield b"a" * 65536

    response = service.client.post("/fetch", content=chunks(), headers={"Content-Type": "application/json"})
    _assert_body_too_large(response, 64 * 1024)


def test_body_under_the_limit_is_read(service: Service) -> None:
    response = service.client.post("/fetch", json={"url": "ftp://x.test/", "pad": "a" * (60 * 1024)})
    assert response.status_code == 400 and response.json()["reason"] == "unsupported_scheme", response.text


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_stopped_service_releases_the_store(tmp_path: Path, stop: str) -> None:
    """SIGTERM (systemd, docker stop, kill) stops the service as cleanly as SIGINT: lock.json goes with it."""
    import signal

    service = Service(tmp_path / "corpus", FAST_SETTINGS)
    try:
        assert (tmp_path / "corpus" / "lock.json").exists()  # the service holds the store's lease
        service.process.send_signal(getattr(signal, stop))
        status = service.process.wait(timeout=30)
    finally:
        service.stop()
    assert status in (0, -signal.SIGTERM, -signal.SIGINT, 130), service.log.read_text(errors="replace")
    assert not (tmp_path / "corpus" / "lock.json").exists(), service.log.read_text(errors="replace")
    assert "Traceback" not in service.log.read_text(errors="replace")
