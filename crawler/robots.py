"""robots.txt as RFC 9309 reads it: an unreachable robots.txt means "do not crawl this site yet".

Scrapy's RobotsTxtMiddleware allows everything when robots.txt cannot be fetched (a network error,
or a 5xx after retries), and leaves requests waiting on that fetch hanging. RFC 9309 §2.3.1.4 says
an unreachable robots.txt means complete disallow. This subclass does that, and says why in the
reason every such URL gets in the manifest (robots_unreachable).
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from twisted.internet.defer import Deferred


class RobotsUnreachable(IgnoreRequest):
    """A request refused because its site's robots.txt could not be read; `cause` is why, if known."""

    def __init__(self, why: str, cause: BaseException | None = None) -> None:
        super().__init__(f"robots.txt unreachable: {why}")
        self.cause = cause


class Unreachable(RobotParser):
    """Stands in for a robots.txt parser when robots.txt could not be fetched: allows nothing."""

    def __init__(self, why: str, cause: BaseException | None = None) -> None:
        self.why = why
        self.cause = cause

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> Self:
        """Never a ROBOTSTXT_PARSER: there is no body to parse when robots.txt is unreachable."""
        raise TypeError("Unreachable is made by RobotsTxtMiddleware when robots.txt cannot be fetched, not from a body")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    # Overrides Scrapy's private _parse_robots/_robots_error (pinned: scrapy>=2.19,<3).

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:  # still failing after the retry middleware's attempts
            self._settle(netloc, Unreachable(f"robots.txt answered HTTP {response.status}"))
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._settle(netloc, Unreachable(f"robots.txt could not be fetched ({type(exc).__name__})", exc))

    def _settle(self, netloc: str, parser: Unreachable) -> None:
        waiting = self._parsers.get(netloc)
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred) and not waiting.called:
            waiting.callback(parser)  # requests that were waiting on this fetch go on (and are refused)

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, Unreachable):
            self._stats.inc_value("robotstxt/unreachable")
            raise RobotsUnreachable(rp.why, rp.cause)
        super().process_request_2(rp, request)
