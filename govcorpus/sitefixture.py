"""Serve a static fixture site from a routes JSON on loopback, with exact statuses and headers.

A site directory holds `routes.json` (or `index.json`): a list of routes such as

    {"path": "/forum.php?mod=viewthread&tid=12346", "file": "discuz/t12346.html",
     "status": 200, "headers": {"Content-Type": "text/html; charset=gbk"}}

Optional keys: "delay" (seconds to wait before answering), "fail_status" (the status of the
failures below, default 500), "redirect" (Location for a 301/302 route), "fail_first" (answer 500 to the first
N requests, then the route normally). Other keys (family, gold, expect, ...) are ignored here.
Unknown paths get 404. Only the headers a route lists are sent, plus Content-Length (and
Location for redirects): no Server or Date, so tests can assert exact headers.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

ROUTE_FILES = ("routes.json", "index.json")
FIXED_LAST_MODIFIED = "Wed, 17 Jan 2024 08:00:00 GMT"
NOT_FOUND_BODY = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
FLAKY_BODY = b"<html><head><title>500 Internal Server Error</title></head><body>Internal Server Error</body></html>"


@dataclass
class Route:
    path: str
    file: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    redirect: str | None = None
    fail_first: int = 0
    fail_status: int = 500
    delay: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Route:
        return cls(
            path=data["path"],
            file=data.get("file"),
            status=int(data.get("status", 200)),
            headers=dict(data.get("headers") or {}),
            redirect=data.get("redirect"),
            fail_first=int(data.get("fail_first", 0)),
            fail_status=int(data.get("fail_status", 500)),
            delay=float(data.get("delay", 0.0)),
        )


def load_routes(site_dir: Path) -> dict[str, Route]:
    """Routes of a site directory keyed by their unquoted request target."""
    for name in ROUTE_FILES:
        routes_file = site_dir / name
        if routes_file.exists():
            entries = json.loads(routes_file.read_text(encoding="utf-8"))
            return {unquote(e["path"]): Route.from_dict(e) for e in entries}
    raise FileNotFoundError(f"no {' or '.join(ROUTE_FILES)} in {site_dir}")


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a crawler opening more connections at once than
    # the accept loop keeps up with gets SYNs dropped and waits a second for the retransmit.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a crawl stopped or cancelled mid-request) is not the server's
        # error: socketserver would print a traceback for it on the terminal of `govcorpus demo`.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SiteServer:
    """A running fixture server; stop it with `.stop()` or use it as a context manager."""

    def __init__(self, site_dir: Path, host: str = "127.0.0.1", port: int = 0, conditional: bool = False) -> None:
        self.site_dir = Path(site_dir)
        self.conditional = conditional  # send ETag/Last-Modified and answer conditional GETs with 304
        self.routes = load_routes(self.site_dir)
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests this server was answering at the same time
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _make_handler(self))
        bound = self._httpd.socket.getsockname()  # the bound address: the port chosen when 0 was asked
        self.host: str = bound[0]
        self.port: int = bound[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"sitefixture-{self.port}", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> int:
        """How many requests a route has answered (successful or not)."""
        return self._hits.get(unquote(path), 0)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _lookup(self, target: str) -> Route | None:
        target = unquote(target)
        route = self.routes.get(target)
        if route is None and "?" in target:
            # Real servers ignore query strings they do not use (e.g. ?from=rss).
            route = self.routes.get(urlsplit(target).path)
        return route

    def _respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append((method, target, headers))
            route = self._lookup(target)
            if route is None:
                return 404, {"Content-Type": "text/html"}, NOT_FOUND_BODY
            hit = self._hits[unquote(route.path)] = self._hits.get(unquote(route.path), 0) + 1
        if route.delay:
            time.sleep(route.delay)
        if hit <= route.fail_first:
            return route.fail_status, {"Content-Type": "text/html"}, FLAKY_BODY
        out_headers = dict(route.headers)
        if route.redirect is not None:
            out_headers["Location"] = route.redirect
        body = (self.site_dir / route.file).read_bytes() if route.file else b""
        if self.conditional and route.status == 200 and route.file:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            out_headers["ETag"] = etag
            out_headers["Last-Modified"] = FIXED_LAST_MODIFIED
            if headers.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
        return route.status, out_headers, body


def _make_handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection must not hold a thread forever

        def _serve(self, with_body: bool) -> None:
            received = {k.lower(): v for k, v in self.headers.items()}
            with site._lock:
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
            try:
                status, headers, body = site._respond(self.command, self.path, received)
            finally:
                with site._lock:
                    site.in_flight -= 1
            self.send_response_only(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:  # http.server's naming
            self._serve(with_body=True)

        def do_HEAD(self) -> None:
            self._serve(with_body=False)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request log is `site.requests`

    return Handler


def serve_site(site_dir: Path, host: str = "127.0.0.1", port: int = 0, conditional: bool = False) -> SiteServer:
    """Start serving `site_dir` in a background thread; port 0 picks a free port."""
    return SiteServer(site_dir, host=host, port=port, conditional=conditional)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fixture site directory on loopback.")
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with serve_site(args.site_dir, args.host, args.port) as site:
        print(site.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
