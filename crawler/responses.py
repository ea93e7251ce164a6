"""Scrapy objects to govcorpus items: responses become Fetched, failures get a reason.

A URL is recorded as it was asked for (linked, given on the command line): after redirects, HTTP
or client-side, `url` is the first URL of the chain and `final_url` the last, and a failure
anywhere along the chain is the first URL's failure.
"""

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
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error
from twisted.python.failure import Failure

from cleaners.document import Fetched
from crawler.errors import (
    Redirected,
    RedirectForbiddenScheme,
    RedirectLoop,
    ResponseTooLarge,
)
from crawler.items import FailedItem, FetchedItem
from crawler.robots import RobotsUnreachable
from crawler.ssrf import ForbiddenAddress
from storage.building import Exchange
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

# What to say of a network failure whose exception has no message of its own.
_NETWORK_DETAILS = {
    "data_loss": "the server closed the connection before the whole body (its Content-Length) arrived; retry later",
    "connection_lost": "the server closed the connection before the response ended; retry later",
    "timeout": "no answer within DOWNLOAD_TIMEOUT",
    "dns_error": "the host name does not resolve",
    "connection_refused": "the server refused the connection",
}


# Request meta: the frame shell (a Fetched) whose content frame this request fetches (crawler/redirects.py).
FRAME_PARENT = "govcorpus_frame_parent"


def asked_url(source: Request | Response) -> str:
    """The URL of a request, or of a response's request, as it was asked for: before any redirect."""
    request = source.request if isinstance(source, Response) else source
    if request is None:
        return source.url
    return str(request.meta.get("redirect_urls", [request.url])[0])


def fetched(response: Response) -> Fetched:
    """The response as the cleaners take it: url as asked, final_url as answered."""
    headers = {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }
    return Fetched(
        url=asked_url(response),
        final_url=response.url,
        status=response.status,
        headers=headers,
        body=response.body,
        fetched_at=utc_now(),
        decoded=getattr(response, "decoded", None),  # decoded once, at download (crawler/decoding.py)
    )


def frame_parent(response: Response) -> Fetched | None:
    """The frame shell whose content this response is, if it is one (its title and metadata complement it)."""
    parent = response.meta.get(FRAME_PARENT) if response.request is not None else None
    return parent if isinstance(parent, Fetched) else None


def fetched_item(response: Response) -> FetchedItem:
    return FetchedItem(Exchange(fetched(response), parent=frame_parent(response)))


def failed_item(failure: Failure) -> FailedItem:
    """Name the reason a request produced no usable response."""
    request = getattr(failure, "request", None)
    url = asked_url(request) if request is not None else "?"
    exc = failure.value
    # After redirects, where the failure happened (the URL as asked is the one recorded).
    at = f" at {request.url}" if request is not None and request.url != url else ""
    if isinstance(exc, HttpError):
        status = exc.response.status
        if status == 304:
            return FailedItem(url, "not_modified", "304 Not Modified")
        return FailedItem(exc.response.url if request is None else url, f"http_{status}", f"HTTP {status}{at}")
    if isinstance(exc, RedirectLoop):
        return FailedItem(url, "redirect_loop", str(exc))
    if isinstance(exc, RedirectForbiddenScheme):
        return FailedItem(url, "redirect_forbidden_scheme", str(exc))
    if isinstance(exc, Redirected):
        return FailedItem(url, "redirected", f"to {exc.target} (already requested in this crawl)")
    if isinstance(exc, ResponseTooLarge):
        return FailedItem(url, "too_large", f"{exc}{at}")
    if isinstance(exc, IgnoreRequest):
        if isinstance(exc, RobotsUnreachable):
            network = next((reason for exc_type, reason in _NETWORK_REASONS if isinstance(exc.cause, exc_type)), None)
            if network is not None:  # the site itself is unreachable: say so, as for any page
                return FailedItem(url, network, f"{exc.cause} (its robots.txt could not be fetched either)".strip())
            return FailedItem(url, "robots_unreachable", f"{exc}: not crawled until it can be read")
        if "robots.txt" in str(exc):
            return FailedItem(url, "robots_txt", f"disallowed by the site's robots.txt{at}")
        if "DOWNLOAD_MAXSIZE" in str(exc):  # HttpCompressionMiddleware: too large once decompressed
            return FailedItem(url, "too_large", str(exc))
        return FailedItem(url, "ignored", str(exc) or "request ignored")
    if isinstance(exc, DownloadCancelledError):
        too_large = "max size" in str(exc).lower()
        return FailedItem(url, "too_large" if too_large else "cancelled", f"{exc}{at}".strip() or "download cancelled")
    for exc_type, reason in _NETWORK_REASONS:
        if isinstance(exc, exc_type):
            return FailedItem(url, reason, f"{str(exc).strip() or _NETWORK_DETAILS.get(reason, reason)}{at}")
    return FailedItem(url, "download_error", f"{type(exc).__name__}: {exc}".strip() + at)
