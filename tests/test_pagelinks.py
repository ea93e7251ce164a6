"""Links found by the document workers (crawler/pagelinks.py) are the links Scrapy's LinkExtractor finds.

The crawl used to run `LinkExtractor(deny_extensions=…, unique=False)` in the crawl process; the
workers now find the links while decoding, without Scrapy. Compared on every real page of
../shared/realworld and ../shared/cases and on our fixture pages, with a URL whose query is not
ASCII (it is percent-encoded in the page's own encoding).
"""

from __future__ import annotations

import pytest
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from support import DEMO_SITE, FIXTURE_PAGES, SHARED

from cleaners.document import Rejected
from cleaners.encoding import decode_html
from crawler import pagelinks
from crawler.decoding import DecodedResponse
from crawler.links import Link
from crawler.pagelinks import DENY_EXTENSIONS, decode_with_links, page_links
from crawler.spiders import sources

PAGES = sorted(
    path
    for root in (SHARED / "realworld", SHARED / "cases", FIXTURE_PAGES, DEMO_SITE)
    for path in root.rglob("*")
    if path.suffix in (".html", ".htm", ".shtml") and path.is_file()
)


def test_the_extension_list_is_scrapys_and_reports_stay_followable() -> None:
    assert list(pagelinks.IGNORED_EXTENSIONS) == list(IGNORED_EXTENSIONS)
    assert {"pdf", "doc", "docx", "wps"}.isdisjoint(DENY_EXTENSIONS) and "zip" in DENY_EXTENSIONS


def test_links_are_the_link_extractors_on_every_real_page() -> None:
    extractor = LinkExtractor(deny_extensions=list(DENY_EXTENSIONS), unique=False)
    compared = 0
    for path in PAGES:
        body = path.read_bytes()
        try:
            decoded = decode_html(body, None)
        except Rejected:
            continue
        url = f"http://127.0.0.2/政府/{path.name}?栏目=报告"
        response = DecodedResponse(url=url, body=body, decoded=decoded)
        expected = [(link.url, link.text or "") for link in extractor.extract_links(response)]
        assert page_links(decoded.text, url, decoded.used) == expected, path
        compared += 1
    assert compared >= 100


def test_base_href_and_the_pages_encoding_shape_the_urls() -> None:
    page = '<html><head><base href="http://127.0.0.3/根/"></head><body><a href=" 报告.html?年=2024 ">报告</a>' \
        '<area href="b.pdf"><a href="c.zip">包</a><a href="mailto:x@y">信</a><a>无</a></body></html>'
    # Joined with <base href>; the path percent-encoded as UTF-8, the query in the page's encoding
    # (年 is C4 EA in GB18030), as a browser sends it; archives and mailto: are not followed.
    assert page_links(page, "http://127.0.0.2/x.html", "gb18030") == [
        ("http://127.0.0.3/%E6%A0%B9/%E6%8A%A5%E5%91%8A.html?%C4%EA=2024", "报告"),
        ("http://127.0.0.3/%E6%A0%B9/b.pdf", ""),
    ]


def test_the_workers_job_finds_links_only_when_asked() -> None:
    body = '<html><head><meta charset="gbk"></head><body><a href="/a.html">第一</a></body></html>'.encode("gbk")
    decoded, links = decode_with_links(body, "text/html", None)
    assert decoded.text_dropped and "第一" in decoded.with_text(body).text and links is None  # the body rebuilds the text
    _, links = decode_with_links(body, "text/html", "http://127.0.0.2/list.html")
    assert links == [("http://127.0.0.2/a.html", "第一")]


def test_the_spider_takes_the_workers_links_and_finds_them_itself_without() -> None:
    body = b'<html><body><a href="/on-the-page.html">page</a></body></html>'
    decoded = decode_html(body, "text/html; charset=utf-8")
    given = DecodedResponse(url="http://127.0.0.2/", body=body, decoded=decoded, links=[("http://127.0.0.2/w.html", "w")])
    assert sources.page_links(given) == [Link("http://127.0.0.2/w.html", "w")]
    missing = DecodedResponse(url="http://127.0.0.2/", body=body, decoded=decoded)
    assert sources.page_links(missing) == [Link("http://127.0.0.2/on-the-page.html", "page")]
    assert given.replace().links == given.links  # Scrapy's replace() carries them over


@pytest.mark.parametrize("role", [None, sources.Role.LIST, sources.Role.PAGE])
def test_requests_for_pages_whose_links_are_followed_ask_for_them(role: sources.Role | None) -> None:
    spider = sources.SourcesSpider(sources=[])
    assert spider._request("http://127.0.0.2/", "s", role, 0).meta.get(pagelinks.WANTS_LINKS) is True


@pytest.mark.parametrize("role", [sources.Role.ARTICLE, sources.Role.ATTACHMENT, sources.Role.CONTINUATION])
def test_requests_for_leaves_do_not(role: sources.Role) -> None:
    spider = sources.SourcesSpider(sources=[])
    assert pagelinks.WANTS_LINKS not in spider._request("http://127.0.0.2/", "s", role, 0).meta
