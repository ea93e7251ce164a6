"""Crawl configured sources. One spider for every family: the differences are data (families.toml)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from cleaners.document import Fetched
from crawler.decoding import DecodedResponse
from crawler.items import FetchedItem, skipped_item
from crawler.links import Link, LinkRules, Role
from crawler.pagelimit import PageLimitReached
from crawler.pagelinks import WANTS_LINKS
from crawler.pagelinks import page_links as find_page_links
from crawler.responses import asked_url, failed_item, fetched, frame_parent
from crawler.sources import Source, load_sources, select_sources
from storage.building import Exchange

# The roles of pages whose links are followed (None: a start URL, whose role its response tells).
_FOLLOWED = (None, Role.LIST, Role.PAGE)
# Every href attribute, however quoted: a superset of what an HTML parser finds on <a> elements.
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def page_links(response: Response) -> list[Link]:
    """The page's links (crawler/pagelinks.py): found by the document workers, or here when they were not."""
    if not isinstance(response, TextResponse):
        return []
    found = response.links if isinstance(response, DecodedResponse) else None
    if found is None:
        found = find_page_links(response.text, response.url, response.encoding)
    return [Link(url, text) for url, text in found]


def _uncached(response: TextResponse) -> TextResponse:
    """A copy of `response` to parse: its parsed tree goes with it, not with the response.

    A response lives until its items are stored, and the libxml2 tree a selector caches on it is
    many times its body (tens of MB for a big page): parsed once per page, it need not be kept.
    """
    return response.replace()


def article_links(response: Response, rules: LinkRules) -> list[Link]:
    """The links an article page can lead to (attachments, its own later pages), found cheaply.

    An article's other links (navigation, related items) are never followed, so only these are
    turned into absolute, safely encoded URLs.
    """
    if not isinstance(response, TextResponse):
        return []
    hrefs = (html.unescape("".join(groups)) for groups in _HREF.findall(response.text))
    base_url = get_base_url(response)
    if not any(rules.may_lead_from_article(href, base_url) and _followed_url(response, rules, href) for href in hrefs):
        return []  # most articles: no attachment, no next page, and no need to parse the page here
    links = []
    for anchor in _uncached(response).xpath("//a[@href]"):
        url = _followed_url(response, rules, anchor.attrib["href"])
        if url is not None:
            text = " ".join(anchor.xpath(".//text()").getall()).strip()
            links.append(Link(safe_url_string(url, response.encoding), text))
    return links


def _followed_url(response: TextResponse, rules: LinkRules, href: str) -> str | None:
    """The absolute URL of an article's link if it is one an article leads to, else None."""
    url = response.urljoin(href.strip())
    return url if rules.is_attachment(url) or rules.continuation_of(url) is not None else None


def _xml_root_tag(body: bytes) -> str | None:
    head = body[:2048].lstrip()
    if not head.startswith(b"<?xml") and not head.startswith((b"<urlset", b"<sitemapindex", b"<rss", b"<feed")):
        return None
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    return None if root is None else etree.QName(root).localname


def feed_entries(body: bytes) -> list[Link]:
    """(link, title) of each RSS item or Atom entry."""
    root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    entries = []
    for element in root.iter("{*}item", "{*}entry", "item", "entry"):
        title = "".join(element.findtext("{*}title") or element.findtext("title") or "").strip()
        link = element.find("{*}link")
        if link is None:
            link = element.find("link")
        href = (link.get("href") or (link.text or "")).strip() if link is not None else ""
        if href:
            entries.append(Link(href, title))
    return entries


class SourcesSpider(scrapy.Spider):
    name = "sources"

    def __init__(
        self, sources: list[Source] | None = None, config: str | None = None, source: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if sources is None:
            if config is None:
                raise ValueError("the sources spider needs a config: scrapy crawl sources -a config=FILE")
            sources = select_sources(load_sources(Path(config)), source.split(",") if source else None)
        self.sources = {source.name: source for source in sources}
        self.rules = {source.name: LinkRules(source) for source in sources}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources.values():
            for url in source.start_urls:
                yield self._request(url, source.name, None, depth=0)

    def _request(self, url: str, source: str, role: Role | None, depth: int, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"source": source, "role": role, "depth": depth},
            meta={**meta, WANTS_LINKS: True} if role in _FOLLOWED else meta,
        )

    def parse(self, response: Response, source: str = "", role: Role | None = None, depth: int = 0, **kwargs: Any) -> Iterator[Any]:
        rules = self.rules[source]
        if role is None:  # a start URL: a sitemap, a feed, or a page whose role its URL tells
            root = _xml_root_tag(response.body)
            if root in ("urlset", "sitemapindex"):
                yield from self._parse_sitemap(response, source, depth)
                return
            if root in ("rss", "feed", "RDF"):
                yield from self._parse_feed(response, source, depth)
                return
            role = rules.start_role(response.url)
        if role is Role.LIST:
            yield skipped_item(asked_url(response), "list_page", "links followed", source)
            yield from self._follow_list(response, source, depth)
        elif role is Role.PAGE:
            yield self._item(fetched(response), source, parent=frame_parent(response))
            yield from self._follow_list(response, source, depth)
        elif role is Role.ATTACHMENT:
            parent = frame_parent(response) or response.meta.get("govcorpus_parent")
            yield self._item(fetched(response), source, parent=parent)
        elif role is Role.CONTINUATION:
            yield from self._article(response, source, depth, parts=response.meta["govcorpus_parts"])
        else:
            yield from self._article(response, source, depth, parts=())

    def _item(self, fetched: Fetched, source: str, **fields: Any) -> FetchedItem:
        return FetchedItem(Exchange(fetched, policy=self.sources[source].policy, source=source, **fields))

    def _follow_list(self, response: Response, source: str, depth: int) -> Iterator[scrapy.Request]:
        max_depth = self.sources[source].max_depth
        for url, role in self.rules[source].links_from_list(page_links(response)):
            # Pagination of a list does not count as going deeper.
            next_depth = depth if role is Role.LIST else depth + 1
            if next_depth <= max_depth:
                yield self._request(url, source, role, next_depth)

    def _article(self, response: Response, source: str, depth: int, parts: tuple[Any, ...]) -> Iterator[Any]:
        """Collect the pages of a split article one after another, then hand over the whole."""
        # A frame shell's title and metadata complement the article, whose first page is its frame.
        shell = frame_parent(response) if not parts else response.meta.get("govcorpus_shell")
        parts = (*parts, fetched(response))
        rules = self.rules[source]
        next_page, attachments = rules.links_from_article(response.url, article_links(response, rules))
        if next_page is not None and next_page not in {part.url for part in parts}:
            yield self._request(next_page, source, Role.CONTINUATION, depth, govcorpus_parts=parts, govcorpus_shell=shell)
            return
        yield from self._finish_article(parts, source, depth, attachments, shell)

    def _finish_article(
        self, parts: tuple[Any, ...], source: str, depth: int, attachments: list[str], shell: Fetched | None = None
    ) -> Iterator[Any]:
        first, rest = parts[0], parts[1:]
        yield self._item(first, source, continuation=rest, parent=shell)
        for part in rest:
            yield skipped_item(part.url, "continuation", f"joined into {first.url}", source)
        if depth + 1 <= self.sources[source].max_depth:
            for url in attachments:
                yield self._request(url, source, Role.ATTACHMENT, depth + 1, govcorpus_parent=first)

    def _parse_sitemap(self, response: Response, source: str, depth: int) -> Iterator[Any]:
        rules = self.rules[source]
        sitemap = Sitemap(response.body)
        yield skipped_item(asked_url(response), "sitemap", "URLs followed", source)
        for entry in sitemap:
            url = entry["loc"]
            if not rules.allowed(url):
                continue
            if sitemap.type == "sitemapindex":
                yield self._request(url, source, None, depth)
            else:
                yield self._request(url, source, rules.start_role(url), depth + 1)

    def _parse_feed(self, response: Response, source: str, depth: int) -> Iterator[Any]:
        rules = self.rules[source]
        yield skipped_item(asked_url(response), "feed", "entries followed", source)
        for entry in feed_entries(response.body):
            url = response.urljoin(entry.url)
            if rules.allowed(url) and rules.is_report_title(entry.text):
                yield self._request(url, source, rules.start_role(url), depth + 1)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        item = failed_item(failure)
        request = getattr(failure, "request", None)
        if request is not None:
            item.source = request.cb_kwargs.get("source")
            parts = request.meta.get("govcorpus_parts")
            if parts:  # a later page of a split article failed: keep what was collected
                depth = request.cb_kwargs.get("depth", 0)
                yield from self._finish_article(parts, item.source or "", depth, [], request.meta.get("govcorpus_shell"))
        if not isinstance(failure.value, PageLimitReached):  # never sent: like a request left in the scheduler
            yield item
