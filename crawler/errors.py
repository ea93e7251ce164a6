"""Why a request produced no document: the exceptions govcorpus's downloader middlewares raise.

Each one reaches the spider's errback and becomes a manifest line with its reason
(crawler/responses.py `failed_item`). They are IgnoreRequest subclasses, so a spider without an
errback drops them quietly, as Scrapy does with its own refusals.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class RedirectLoop(IgnoreRequest):
    """A chain of redirects that comes back on itself or goes on too long (reason redirect_loop).

    `chain` holds the URLs in order, the one that closes the loop last; `limit` is set when the
    chain was cut at REDIRECT_MAX_TIMES rather than seen to repeat.
    """

    def __init__(self, chain: list[str], limit: int | None = None) -> None:
        self.chain = chain
        self.limit = limit
        detail = f"more than {limit} redirects (REDIRECT_MAX_TIMES), the last to {chain[-1]}" if limit is not None else " → ".join(chain)
        super().__init__(detail)


class RedirectForbiddenScheme(IgnoreRequest):
    """A redirect (HTTP or client-side) to a scheme other than http(s): ftp:, file:, data:, gopher: …"""

    def __init__(self, target: str) -> None:
        self.target = target
        scheme = target.split(":", 1)[0].lower()
        super().__init__(f"redirected to a {scheme}: URL ({target[:200]}); only http and https are followed")


class Redirected(IgnoreRequest):
    """A redirect to a URL this crawl has requested already: that URL is recorded under its own line."""

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__(target)


class ResponseTooLarge(IgnoreRequest):
    """A body larger than the download size limit (DOWNLOAD_MAXSIZE, or the request's download_maxsize).

    `limit` and `size` are bytes; `size` is what was announced or received before the download
    was cut (a lower bound for an endless body); `how` says where the limit was met.
    """

    def __init__(self, limit: int, size: int | None = None, how: str = "received") -> None:
        self.limit = limit
        self.size = size
        self.how = how
        got = f"{size} bytes {how}" if size else f"more {how}"
        super().__init__(f"larger than DOWNLOAD_MAXSIZE ({format_bytes(limit)}): {got}")


def format_bytes(size: int) -> str:
    """A size in the largest binary unit that divides it evenly enough to read: 64 MiB, 1.5 KiB, 12 B."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"
