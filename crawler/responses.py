"""Scrapy objects to govcorpus items: responses become Fetched, failures get a reason."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error
from twisted.python.failure import Failure

from cleaners.document import Fetched
from crawler.items import FailedItem, FetchedItem
from crawler.robots import RobotsUnreachable
from crawler.ssrf import ForbiddenAddress
from storage.manifest import utc_now

_NETWORK_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ForbiddenAddress, "forbidden_address"),
    (CannotResolveHostError, "dns_error"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (DownloadTimeoutError, "timeout"),
    (ResponseDataLossError, "data_loss"),
    (DownloadFailedError, "download_failed"),
    (UnsupportedURLSchemeError, "unsupported_scheme"),
    (NotSupported, "unsupported_scheme"),
    (error.DNSLookupError, "dns_error"),
    (error.ConnectionRefusedError, "connection_refused"),
    (error.TimeoutError, "timeout"),
    (error.TCPTimedOutError, "timeout"),
    (error.ConnectionLost, "connection_lost"),
    (error.ConnectError, "connect_error"),
)


def fetched_item(response: Response) -> FetchedItem:
    headers = {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }
    url = response.request.meta.get("redirect_urls", [response.url])[0] if response.request else response.url
    return FetchedItem(
        Fetched(
            url=url,
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=utc_now(),
        )
    )


def failed_item(failure: Failure) -> FailedItem:
    """Name the reason a request produced no usable response."""
    request = getattr(failure, "request", None)
    url = request.url if request is not None else "?"
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        if status == 304:
            return FailedItem(url, "not_modified", "304 Not Modified")
        return FailedItem(exc.response.url if request is None else url, f"http_{status}", f"HTTP {status}")
    if isinstance(exc, IgnoreRequest):
        if isinstance(exc, RobotsUnreachable):
            network = next((reason for exc_type, reason in _NETWORK_REASONS if isinstance(exc.cause, exc_type)), None)
            if network is not None:  # the site itself is unreachable: say so, as for any page
                return FailedItem(url, network, f"{exc.cause} (its robots.txt could not be fetched either)".strip())
            return FailedItem(url, "robots_unreachable", f"{exc}: not crawled until it can be read", skipped=True)
        if "robots.txt" in str(exc):
            return FailedItem(url, "robots_txt", "disallowed by the site's robots.txt", skipped=True)
        if "DOWNLOAD_MAXSIZE" in str(exc):  # HttpCompressionMiddleware: too large once decompressed
            return FailedItem(url, "too_large", str(exc))
        return FailedItem(url, "ignored", str(exc) or "request ignored", skipped=True)
    if isinstance(exc, DownloadCancelledError):
        too_large = "max size" in str(exc).lower()
        return FailedItem(url, "too_large" if too_large else "cancelled", str(exc))
    for exc_type, reason in _NETWORK_REASONS:
        if isinstance(exc, exc_type):
            return FailedItem(url, reason, str(exc).strip() or reason)
    return FailedItem(url, "download_error", f"{type(exc).__name__}: {exc}".strip())
