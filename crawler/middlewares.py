"""Downloader middleware: conditional GETs for documents we already hold."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from cleaners.document import document_id
from storage.backends import store_uri_from_env
from storage.corpus import Corpus

log = logging.getLogger(__name__)

# Roles whose pages must be fetched in full every time: they are how new documents are found.
ALWAYS_FULL = {"list", "continuation"}


class ConditionalGetMiddleware:
    """Sends If-None-Match / If-Modified-Since from the stored document's validators.

    A 304 reaches the spider's errback and is recorded as `unchanged`; nothing is re-stored.
    """

    def __init__(self, corpus: Corpus, crawler: Crawler | None = None) -> None:
        self.corpus = corpus
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        settings = crawler.settings
        if not settings.getbool("GOVCORPUS_CONDITIONAL_GET") or not settings.getbool("GOVCORPUS_STORE_ENABLED", True):
            raise NotConfigured
        return cls(Corpus.open(store_uri_from_env(settings.get("GOVCORPUS_STORE"))), crawler)

    def _run_id(self) -> str | None:
        stats = self.crawler.stats if self.crawler is not None else None
        return stats.get_value("govcorpus/run_id") if stats is not None else None

    def process_request(self, request: Request, spider: Any = None) -> None:
        role = request.cb_kwargs.get("role")
        if role is None and request.cb_kwargs.get("source") is not None:
            return None  # a start URL of a crawl: a list, sitemap or feed
        if role in ALWAYS_FULL or request.method != "GET":
            return None
        try:
            doc = self.corpus.get(document_id(request.url))
        except Exception as exc:  # the store is unreachable: validators only save work, fetch in full
            log.warning("no conditional GET for %s: cannot read the store (%s)", request.url, exc)
            return None
        if doc is None or (doc.run_id is not None and doc.run_id == self._run_id()):
            # Stored by this run before it was killed: fetched in full, it is recorded as stored
            # (with its bytes), exactly as in a run that was never interrupted.
            return None
        if doc.etag:
            request.headers.setdefault(b"If-None-Match", doc.etag.encode("latin-1"))
        if doc.last_modified:
            request.headers.setdefault(b"If-Modified-Since", doc.last_modified.encode("latin-1"))
        return None
