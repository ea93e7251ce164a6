"""A loopback HTTP server whose answers tests script per path: statuses, headers, bodies that lie
about their size or never end. It records when each request arrived.

The fixture site server (govcorpus.sitefixture) serves files with exact headers; this one serves
what a misbehaving server sends: a Retry-After on the first hits only, a Content-Length of 100 MB
with no body behind it, an endless chunked body.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass
class Answer:
    """One response: `body` sent with its Content-Length, unless `announce` claims another length
    (the body is then cut short) or `endless` streams chunks of it until the client goes away."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    announce: int | None = None
    endless: bool = False


# A route answers a fixed Answer, or one chosen by how many times the path was hit (1, 2, …).
Route = Answer | Callable[[int], Answer]


class ScriptedServer:
    """Serve `routes` (by path, query included; others 404) on `host` until stopped."""

    def __init__(self, routes: Mapping[str, Route], host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.arrivals: dict[str, list[float]] = {}  # path → time.monotonic() of each request
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_GET(self) -> None:
                with server._lock:
                    hits = server.arrivals.setdefault(self.path, [])
                    hits.append(time.monotonic())
                    count = len(hits)
                route = server.routes.get(self.path)
                answer = route(count) if callable(route) else route
                if answer is None:
                    answer = Answer(404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>")
                server._send(self, answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self.host, self.port = str(self._httpd.server_address[0]), int(self._httpd.server_address[1])
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        handler.send_response_only(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        try:
            if answer.endless:
                handler.send_header("Transfer-Encoding", "chunked")
                handler.end_headers()
                for chunk in _forever(answer.body or b"x" * 65536):
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                return
            handler.send_header("Content-Length", str(answer.announce if answer.announce is not None else len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
            if answer.announce is not None:
                handler.close_connection = True
        except OSError:  # the client hung up: what a size limit does
            handler.close_connection = True

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> list[float]:
        with self._lock:
            return list(self.arrivals.get(path, []))

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _forever(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk
