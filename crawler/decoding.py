"""Decode once, at download: every HTML response becomes text by cleaners.encoding, and only there.

Scrapy's own inference tries the Content-Type header, a BOM and <meta>, then ascii/utf-8/cp1252;
a GBK page whose header lies (`charset=utf-8`) comes out garbled, and so did the link texts the
report filter reads. `DecodeMiddleware` decodes the bytes with `cleaners.encoding.decode_html`
(declarations verified, GB-family and Big5 detection, mojibake repaired) on the document workers
and hands on a `DecodedResponse`, whose `text` is that decoding: link extraction, the report
filter on link text, redirect-stub detection and the cleaner all read the same text. The bytes
stay as they came (the WARC archive and `raw_sha256` keep them). Pages whose links the spider
follows (meta `govcorpus_links`) get them found by the workers too, in the same job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response

from cleaners.document import Fetched, Rejected
from cleaners.encoding import Decoded
from cleaners.pipeline import sniff_source_type
from crawler.components import Components
from crawler.pagelinks import WANTS_LINKS
from crawler.workers import DocumentWorkers

log = logging.getLogger(__name__)


class DecodedResponse(HtmlResponse):
    """An HTML response whose `text` is its decoding's text (and `encoding` the codec it was decoded with).

    `decoded` comes from the workers without its text when the body rebuilds it
    (`Decoded.without_text`): the text is rebuilt at each reading of `text` and not kept, as the
    response waits in memory until its items are stored.

    `links`: the page's (URL, text) links found while decoding (crawler/pagelinks.py), when the
    request asked for them (meta `govcorpus_links`); None otherwise.
    """

    attributes: tuple[str, ...] = (*HtmlResponse.attributes, "decoded", "links")

    def __init__(self, *args: Any, decoded: Decoded, links: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        self.decoded = decoded
        self.links = links
        kwargs["encoding"] = decoded.used
        super().__init__(*args, **kwargs)

    @property
    def text(self) -> str:
        return self.decoded.with_text(self.body).text


def is_html(response: Response) -> bool:
    """Whether the cleaners will read this response as HTML (by its bytes first, its Content-Type second)."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    probe = Fetched(response.url, response.url, response.status, {"content-type": content_type}, response.body, "")
    try:
        return sniff_source_type(probe) == "html"
    except Rejected:
        return False


@dataclass
class DecodeMiddleware:
    """Downloader middleware: HTML responses are decoded by the document workers into DecodedResponse."""

    workers: DocumentWorkers

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DecodeMiddleware:
        if not crawler.settings.getbool("GOVCORPUS_DECODE_AT_DOWNLOAD"):
            raise NotConfigured("GOVCORPUS_DECODE_AT_DOWNLOAD is off")
        if crawler.settings.getbool("GOVCORPUS_PIPELINE_ENABLED"):
            return cls(Components.of(crawler).workers)
        return cls(DocumentWorkers(0))

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if isinstance(response, DecodedResponse) or not response.body or not is_html(response):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        links_of = response.url if request.meta.get(WANTS_LINKS) else None
        try:
            decoded, links = await self.workers.decode(response.body, content_type, links_of)
        except Rejected as rejected:  # binary, undecodable: the pipeline says so with the same reason
            log.debug("%s not decoded at download: %s", response.url, rejected)
            return response
        return response.replace(cls=DecodedResponse, decoded=decoded, links=links)

