"""Downloads cut at the size limit are named `too_large`, with the limit, not `cancelled`.

Scrapy's HTTP handler cancels a download whose Content-Length exceeds DOWNLOAD_MAXSIZE with a
message that says so, but one whose body grows past the limit as it arrives (no Content-Length,
an endless chunked body) with a bare cancellation that says nothing. This middleware counts the
bytes each download receives (the bytes_received signal) and turns either cancellation into
ResponseTooLarge, carrying the limit (DOWNLOAD_MAXSIZE, or the request's download_maxsize).
"""

from __future__ import annotations

import re
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response

from crawler.errors import ResponseTooLarge

# Scrapy's message when the announced size is over the limit (scrapy.utils._download_handlers.get_maxsize_msg).
_ANNOUNCED = re.compile(r"Expected to receive (\d+) bytes which is larger than download max size")


class DownloadSizeMiddleware:
    """Downloader middleware: a download cancelled at DOWNLOAD_MAXSIZE raises ResponseTooLarge."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.received: dict[Request, int] = {}  # bytes so far, per download in flight
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DownloadSizeMiddleware:
        return cls(crawler)

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        self.received[request] = self.received.get(request, 0) + len(data)

    def process_response(self, request: Request, response: Response) -> Response:
        self.received.pop(request, None)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        received = self.received.pop(request, 0)
        if not isinstance(exception, DownloadCancelledError):
            return
        limit = int(request.meta.get("download_maxsize", self.maxsize) or 0)
        announced = _ANNOUNCED.search(str(exception))
        if announced is not None:
            raise ResponseTooLarge(limit, int(announced.group(1)), "announced (Content-Length)") from exception
        if limit and received > limit:
            raise ResponseTooLarge(limit, received, "received before the download was cut") from exception
        return
