"""Downloader middleware: conditional GETs for documents we already hold."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from cleaners.document import document_id
from crawler.components import Components

log = logging.getLogger(__name__)

# Roles whose pages must be fetched in full every time: they are how new documents are found.
# A generic page's links are followed and an article's attachments and later pages are found
# on it; a 304 has no body to find them in, so a re-crawl would never reach what they lead to
# (new documents, changed attachments). Only leaves (attachments) are asked for conditionally.
ALWAYS_FULL = {"list", "continuation", "page", "article"}


class ConditionalGetMiddleware:
    """Sends If-None-Match / If-Modified-Since from the stored document's validators, for leaves only.

    Pages whose links lead on (ALWAYS_FULL) are fetched in full; an unchanged one is recorded
    `unchanged` after it was read, and its links are followed. The validators come from the
    corpus index, loaded into memory once when the crawl starts (never a store read per request
    on the reactor thread). A 304 reaches the spider's errback and is recorded as `unchanged`;
    nothing is re-stored.
    """

    def __init__(self, components: Components) -> None:
        self.components = components

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        settings = crawler.settings
        if not settings.getbool("GOVCORPUS_CONDITIONAL_GET") or not settings.getbool("GOVCORPUS_STORE_ENABLED"):
            raise NotConfigured
        if not settings.getbool("GOVCORPUS_PIPELINE_ENABLED"):
            raise NotConfigured("no corpus pipeline: nothing is stored to compare with")
        components = Components.of(crawler)
        try:
            components.corpus.entries()  # load the index now, before the first request
        except Exception as exc:  # the store is unreachable: validators only save work, fetch in full
            log.warning("no conditional GETs: cannot read the corpus index (%s)", exc)
            raise NotConfigured("the corpus index cannot be read") from exc
        return cls(components)

    def process_request(self, request: Request, spider: Any = None) -> None:
        role = request.cb_kwargs.get("role")
        if role is None and request.cb_kwargs.get("source") is not None:
            return None  # a start URL of a crawl: a list, sitemap or feed
        if role in ALWAYS_FULL or request.method != "GET":
            return None
        entry = self.components.corpus.entry(document_id(request.url))
        if entry is None or (entry.get("run_id") is not None and entry.get("run_id") == self.components.run_id):
            # Stored by this run before it was killed: fetched in full, it is recorded as stored
            # (with its bytes), exactly as in a run that was never interrupted.
            return None
        if entry.get("etag"):
            request.headers.setdefault(b"If-None-Match", entry["etag"].encode("latin-1"))
        if entry.get("last_modified"):
            request.headers.setdefault(b"If-Modified-Since", entry["last_modified"].encode("latin-1"))
        return None
