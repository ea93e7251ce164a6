"""Retries that wait as long as the server asked: Retry-After on 429 and 503.

Scrapy's RetryMiddleware retries a 429 or 503 at once (scrapy/scrapy#3849). A server that says
`Retry-After: 5` (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date) is asking for five seconds;
RFC 6585 §4 gives 429 the same header. This subclass (same settings: RETRY_ENABLED, RETRY_TIMES,
RETRY_HTTP_CODES, RETRY_PRIORITY_ADJUST) waits that long before handing back the retry, capped at
GOVCORPUS_RETRY_AFTER_MAX seconds. The wait is an asynchronous sleep: the reactor goes on serving
every other request meanwhile.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware as ScrapyRetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep

log = logging.getLogger(__name__)

# The statuses whose Retry-After asks the client to come back later (RFC 9110 §15.6.4, RFC 6585 §4).
RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait that a Retry-After header value asks for; None if it is absent or malformed.

    RFC 9110 §10.2.3: either delay-seconds (a non-negative integer) or an HTTP-date, which is
    compared with `now` (UTC; default the current time). A date in the past asks for no wait (0).
    """
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT (RFC 9110 §5.6.7)
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryMiddleware(ScrapyRetryMiddleware):
    """Scrapy's RetryMiddleware that honours Retry-After on 429 and 503, up to GOVCORPUS_RETRY_AFTER_MAX seconds."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.retry_after_max = max(0.0, settings.getfloat("GOVCORPUS_RETRY_AFTER_MAX"))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if not isinstance(result, Request) or response.status not in RETRY_AFTER_STATUSES:
            return result
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if not asked:
            return result
        wait = min(asked, self.retry_after_max)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("govcorpus/retry_after/waits")
        self.crawler.stats.max_value("govcorpus/retry_after/longest_wait", wait)
        log.debug("%s answered %d with Retry-After %s: retrying in %.1f s", request.url, response.status, asked, wait)
        await sleep(wait)
        return result
