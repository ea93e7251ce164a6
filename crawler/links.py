"""Decide what each link on a page is to the crawl, from the source's rules. No Scrapy here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from urllib.parse import urlparse

from crawler.sources import Source


class Role(StrEnum):
    PAGE = "page"  # generic: a candidate document whose links are followed too
    LIST = "list"
    ARTICLE = "article"
    ATTACHMENT = "attachment"
    CONTINUATION = "continuation"


@dataclass(frozen=True)
class Link:
    url: str
    text: str = ""


_URL_UNSAFE = str.maketrans("", "", "\t\r\n")


def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


class LinkRules:
    """A source's patterns compiled once, with the decisions made from them."""

    def __init__(self, source: Source) -> None:
        self.source = source

    @cached_property
    def _list(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.source.list_pages)

    @cached_property
    def _article(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.source.article_pages)

    @cached_property
    def _continuation(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.source.continuation)

    @cached_property
    def _deny(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.source.deny)

    @cached_property
    def _follow(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.source.follow)

    @cached_property
    def _next_texts(self) -> frozenset[str]:
        return frozenset(text.lower() for text in self.source.next_page_text)

    @property
    def generic(self) -> bool:
        return not (self.source.list_pages or self.source.article_pages)

    def is_report_title(self, text: str) -> bool:
        """The report filter: no keywords configured means everything passes."""
        return self.source.policy.admits(text)

    def names_report(self, text: str) -> bool:
        """Evidence that a link leads to a report: its text names one of the source's report kinds."""
        return self.source.policy.names_report(text)

    def may_lead_from_article(self, href: str, base_url: str) -> bool:
        """A cheap necessary condition for `href` (an article's link as written, entities unescaped) to
        name an attachment or a continuation page once joined with `base_url` (the page's base).

        Joining takes the path's last segment from the href, or, when the href has no path of its
        own, keeps the base's path: an attachment's extension is spelled in one of the two (dot
        segments only remove segments; urljoin drops tabs and line breaks first, as the WHATWG URL
        standard does, so they are dropped here too). Continuation patterns read the whole joined
        URL: with any configured, every href may lead somewhere.
        """
        if self._continuation:
            return True
        texts = (href.lower().translate(_URL_UNSAFE), base_url.lower())
        return any(extension in text for text in texts for extension in self._dotted_extensions)

    @cached_property
    def _dotted_extensions(self) -> tuple[str, ...]:
        return tuple("." + ext for ext in self.source.attachment_extensions)

    def is_attachment(self, url: str) -> bool:
        return urlparse(url).path.lower().endswith(self._dotted_extensions)

    def is_list_url(self, url: str) -> bool:
        return any(pattern.search(url) for pattern in self._list)

    def is_article_url(self, url: str) -> bool:
        return any(pattern.search(url) for pattern in self._article)

    def allowed(self, url: str) -> bool:
        if urlparse(url).scheme not in ("http", "https"):
            return False
        host = (urlparse(url).hostname or "").lower()
        if not any(host == domain or host.endswith("." + domain) for domain in self.source.domains()):
            return False
        if any(pattern.search(url) for pattern in self._deny):
            return False
        return not self._follow or any(pattern.search(url) for pattern in self._follow)

    def continuation_of(self, url: str) -> tuple[str, int] | None:
        """(article stem, page number) when `url` is one page of a split article."""
        for pattern in self._continuation:
            match = pattern.search(url)
            if match:
                page = match.group("page")
                return match.group("stem"), int(page) if page else 1
        return None

    def start_role(self, url: str) -> Role:
        if self.generic:
            return Role.PAGE
        if self.is_attachment(url):
            return Role.ATTACHMENT
        if self.is_article_url(url) and not self.is_list_url(url):
            return Role.ARTICLE
        return Role.LIST

    def links_from_list(self, links: list[Link]) -> list[tuple[str, Role]]:
        """Pagination, report articles and report attachments linked from a list page."""
        chosen: dict[str, Role] = {}
        for link in links:
            if link.url in chosen or not self.allowed(link.url):
                continue
            text = link.text.strip()
            if self.generic:
                chosen[link.url] = Role.ATTACHMENT if self.is_attachment(link.url) else Role.PAGE
            elif self.is_attachment(link.url):
                if self.is_report_title(text):
                    chosen[link.url] = Role.ATTACHMENT
            elif text.lower() in self._next_texts or self.is_list_url(link.url):
                chosen[link.url] = Role.LIST
            elif self.names_report(text) or (self.is_article_url(link.url) and self.is_report_title(text)):
                # Text evidence is enough whatever the URL's shape (/show.asp?id=77); URL patterns
                # add candidates and `deny` (checked in `allowed`) refuses, but they never veto the text.
                chosen[link.url] = Role.ARTICLE
        return list(chosen.items())

    def links_from_article(self, page_url: str, links: list[Link]) -> tuple[str | None, list[str]]:
        """The next page of this article (if split) and the attachments it links to."""
        here = self.continuation_of(page_url)
        next_page = None
        attachments = []
        for link in links:
            if not self.allowed(link.url):
                continue
            if self.is_attachment(link.url):
                if link.url not in attachments:
                    attachments.append(link.url)
            elif here is not None and next_page is None:
                there = self.continuation_of(link.url)
                if there is not None and there[0] == here[0] and there[1] == here[1] + 1:
                    next_page = link.url
        return next_page, attachments
