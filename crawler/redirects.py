"""Redirects followed as a browser without JavaScript follows them, each URL accounted for.

One downloader middleware in place of Scrapy's RedirectMiddleware and MetaRefreshMiddleware
(same settings: REDIRECT_ENABLED, REDIRECT_MAX_TIMES, REDIRECT_PRIORITY_ADJUST,
METAREFRESH_ENABLED, METAREFRESH_MAXDELAY, METAREFRESH_IGNORE_TAGS):

- HTTP redirects (3xx + Location), as Scrapy follows them;
- redirect stubs and frame shells (crawler/clientside.py): a page with no content of its own that
  a browser leaves by a meta refresh or a trivial script, or whose content is a same-site frame.
  A frame's request carries the shell (FRAME_PARENT) so that the shell's title and metadata
  complement the frame's document. GOVCORPUS_CONTENT_FRAMES turns frames off.

Every hop is a new scrapy.Request returned to the engine, so it passes the whole downloader
middleware chain again (SSRF guard, robots.txt, …). And every hop is accounted for, so that each
URL a crawl touches ends in its manifest:

- a redirect to a scheme other than http(s) raises RedirectForbiddenScheme;
- a chain that comes back to a URL it holds, or grows past REDIRECT_MAX_TIMES, raises RedirectLoop
  (a URL may come back once right after a response that set a cookie: a cookie check);
- a redirect to a URL this crawl has requested already raises Redirected (the URL as linked is
  recorded as skipped: redirected; the target has, or will have, its own line);
- any other redirect is followed past the duplicate filter (it was checked here), so the
  scheduler never drops it silently.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import (
    RedirectMiddleware as ScrapyRedirectMiddleware,
)
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.settings import BaseSettings
from w3lib.url import canonicalize_url

from crawler.clientside import Navigation, find_navigation, rules
from crawler.errors import Redirected, RedirectForbiddenScheme, RedirectLoop
from crawler.responses import FRAME_PARENT, fetched

log = logging.getLogger(__name__)

# Bytes without which a page can be neither a stub nor a shell, looked for before any parsing
# (about a quarter of real pages have one, mostly an <iframe>; the rest are never parsed here).
# Searched in the lower-cased body, one pattern at a time: each starts with a literal, which the
# regex engine finds with a fast scan, where one case-insensitive alternation tries every byte
# (2 ms for a 10 kB page, 20 ms for a real one, on the reactor thread).
_CANDIDATES = tuple(
    re.compile(pattern)
    for pattern in (
        rb"http-equiv\s*=\s*[\"']?refresh",
        rb"location\s*(?:\.\s*href\s*)?=(?!=)|location\s*\.\s*(?:replace|assign)\s*\(",
        rb"navigate\s*\(",
        rb"<iframe\b|<frame\b",
    )
)
_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|script|i?frame)\b", re.IGNORECASE)


def _may_navigate(body: bytes) -> bool:
    """Whether the body holds a meta refresh, a location script, navigate() or a frame: worth parsing for one."""
    lowered = body.lower()  # ASCII only, as the patterns are
    return any(candidate.search(lowered) for candidate in _CANDIDATES)


def _accounted(request: Request) -> bool:
    """Whether a request is one of the crawl's own, with a manifest line to come.

    Requests for no callback (robots.txt) are the download stack's own: their redirects are
    followed as Scrapy follows them, so that robots.txt is read as RFC 9309 says (crawler/robots.py).
    """
    return request.callback is not NO_CALLBACK


def _canonical(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


class RedirectMiddleware(ScrapyRedirectMiddleware):
    """HTTP redirects, redirect stubs and frame shells; loops, forbidden schemes and repeats named."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.client_side = settings.getbool("METAREFRESH_ENABLED")
        self.frames = settings.getbool("GOVCORPUS_CONTENT_FRAMES")
        self.max_delay = settings.getfloat("METAREFRESH_MAXDELAY")
        self.ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")
        # Fingerprints of the requests this crawl sent on their own, or reached by a redirect it followed.
        self.requested: set[bytes] = set()

    def _fingerprint(self, request: Request) -> bytes:
        return self.crawler.request_fingerprinter.fingerprint(request)

    def process_request(self, request: Request) -> None:
        if "redirect_urls" not in request.meta and _accounted(request):
            self.requested.add(self._fingerprint(request))

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        result = super().process_response(request, response)
        if result is not response:
            return result
        return self._client_side(request, response)

    # ------------------------------------------------------------ client-side

    def _client_side(self, request: Request, response: Response) -> Request | Response:
        if (
            not self.client_side
            or not _accounted(request)
            or request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or response.status != 200
            or not isinstance(response, TextResponse)
            or len(response.body) > rules()["max_page_bytes"]
            or not _may_navigate(response.body)
        ):
            return response
        if not isinstance(response, HtmlResponse) and not _HTML_SNIFF.search(response.body[:4096]):
            return response  # a feed, a sitemap, a text file
        navigation = find_navigation(
            response.text,
            response.url,
            encoding=response.encoding,
            max_delay=self.max_delay,
            ignore_tags=self.ignore_tags,
            frames=self.frames,
        )
        if navigation is None:
            return response
        return self._follow(request, response, navigation)

    def _follow(self, request: Request, response: Response, navigation: Navigation) -> Request:
        redirected = self._redirect_request_using_get(request, response, navigation.url)
        if navigation.kind == "frame":  # (a frame that is a stub in turn keeps the shell it came from)
            redirected.meta[FRAME_PARENT] = fetched(response)
        assert self.crawler.stats is not None
        name = "content_frame" if navigation.kind == "frame" else f"client_redirect/{navigation.kind}"
        self.crawler.stats.inc_value(f"govcorpus/{name}")
        return self._redirect(redirected, request, navigation.kind)

    # ------------------------------------------------------------ every hop

    def _build_redirect_request(self, source_request: Request, response: Response, *, url: str, **kwargs: Any) -> Request:
        if not _accounted(source_request):
            return super()._build_redirect_request(source_request, response, url=url, **kwargs)
        if url.split(":", 1)[0].lower() not in ("http", "https"):
            raise RedirectForbiddenScheme(url)
        chain = [*source_request.meta.get("redirect_urls", []), source_request.url]
        target = _canonical(url)
        repeats = sum(_canonical(hop) == target for hop in chain)
        # A server that sets a cookie and sends the browser back to the same URL is checking for
        # cookies: a browser comes back once with the cookie.
        if repeats > 1 or (repeats == 1 and b"Set-Cookie" not in response.headers):
            raise RedirectLoop([*chain, url])
        redirected = super()._build_redirect_request(source_request, response, url=url, **kwargs)
        if not repeats and self._fingerprint(redirected) in self.requested:
            raise Redirected(url)
        return redirected

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        if not _accounted(request):
            return super()._redirect(redirected, request, reason)
        try:
            followed = super()._redirect(redirected, request, reason)
        except IgnoreRequest as exc:  # max redirections reached
            chain = [*request.meta.get("redirect_urls", []), request.url, redirected.url]
            raise RedirectLoop(chain, limit=self.max_redirect_times) from exc
        # Checked above against what this crawl has requested: the duplicate filter must not drop
        # it, or the URL as linked would end nowhere.
        followed.dont_filter = True
        self.requested.add(self._fingerprint(followed))
        return followed
