"""Source configs as data: family defaults, validation, and the link decisions they drive."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawler.links import Link, LinkRules, Role
from crawler.sources import (
    ConfigError,
    Source,
    load_sources,
    parse_sources,
    select_sources,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_family_defaults_fill_unset_keys_and_own_keys_win(tmp_path: Path) -> None:
    sources = load_sources(
        write(
            tmp_path,
            """
[[sources]]
name = "board"
family = "discuz"
start_urls = ["http://127.0.0.3/forum-2-1.html"]
report_keywords = ["公报"]
schedule = "0 3 * * 1"
""",
        )
    )
    board = sources[0]
    assert board.family == "discuz"
    assert board.report_keywords == ("公报",)
    assert any("thread" in pattern for pattern in board.article_pages)
    assert board.schedule == "0 3 * * 1"
    assert board.domains() == ("127.0.0.3",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[sources]]\nstart_urls=['http://a/']\n", "'name' is required"),
        ("[[sources]]\nname='a'\n", "start_urls"),
        ("[[sources]]\nname='a'\nstart_urls=['ftp://a/']\n", "not http(s)"),
        ("[[sources]]\nname='a'\nfamily='wiki'\nstart_urls=['http://a/']\n", "not one of"),
        ("[[sources]]\nname='a'\nstart_urls=['http://a/']\nmax_pagez=3\n", "unknown keys"),
        ("[[sources]]\nname='a'\nstart_urls=['http://a/']\nschedule='daily'\n", "cron"),
        ("[[sources]]\nname='a'\nstart_urls=['http://a/']\n[[sources]]\nname='a'\nstart_urls=['http://b/']\n", "unique"),
        ("title = 'no sources'\n", "no [[sources]]"),
        ("[[sources]\n", "invalid TOML"),
    ],
)
def test_invalid_configs_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        load_sources(write(tmp_path, body))


def test_missing_file_and_unknown_source_names() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sources(Path("/nonexistent/sources.toml"))
    sources = parse_sources({"sources": [{"name": "a", "start_urls": ["http://a/"]}]})
    with pytest.raises(ConfigError, match=r"unknown source\(s\) \['b'\]"):
        select_sources(sources, ["b"])


def portal() -> LinkRules:
    return LinkRules(Source.with_defaults("portal", ("http://127.0.0.2/zwgk/index.html",), "gov_portal"))


def test_list_page_links_pagination_reports_and_attachments() -> None:
    rules = portal()
    base = "http://127.0.0.2"
    links = [
        Link(f"{base}/zwgk/index_1.html", "2"),
        Link(f"{base}/zwgk/more.html", "下一页"),
        Link(f"{base}/art/2024/1/17/art_1_1.html", "2024年静安区政府工作报告"),
        Link(f"{base}/art/2024/1/18/art_1_2.html", "关于开展消防演练的通知"),
        Link(f"{base}/files/report.pdf", "政府工作报告（PDF）"),
        Link(f"{base}/files/form.pdf", "报名表"),
        Link("http://127.0.0.9:1/casino", "政府工作报告"),
        Link(f"{base}/login/index.html", "登录"),
    ]
    assert dict(rules.links_from_list(links)) == {
        f"{base}/zwgk/index_1.html": Role.LIST,
        f"{base}/zwgk/more.html": Role.LIST,
        f"{base}/art/2024/1/17/art_1_1.html": Role.ARTICLE,
        f"{base}/files/report.pdf": Role.ATTACHMENT,
    }


def test_split_articles_continue_page_by_page() -> None:
    rules = LinkRules(Source.with_defaults("news", ("http://127.0.0.4/",), "aggregator"))
    page1 = "http://127.0.0.4/baogao/huadong/9817.html"
    links = [
        Link("http://127.0.0.4/baogao/huadong/9817_3.html", "3"),
        Link("http://127.0.0.4/baogao/huadong/9817_2.html", "2"),
        Link("http://127.0.0.4/baogao/huadong/9818.html", "下一篇"),
        Link("http://127.0.0.4/files/full.pdf", "附件"),
    ]
    assert rules.links_from_article(page1, links) == (
        "http://127.0.0.4/baogao/huadong/9817_2.html",
        ["http://127.0.0.4/files/full.pdf"],
    )
    assert rules.links_from_article("http://127.0.0.4/baogao/huadong/9817_2.html", links)[0] == (
        "http://127.0.0.4/baogao/huadong/9817_3.html"
    )


def test_discuz_threads_continue_across_thread_pages() -> None:
    rules = LinkRules(Source.with_defaults("bbs", ("http://127.0.0.3/forum-2-1.html",), "discuz"))
    assert rules.continuation_of("http://127.0.0.3/thread-12345-1-1.html") == ("http://127.0.0.3/thread-12345", 1)
    assert rules.continuation_of("http://127.0.0.3/thread-12345-2-1.html") == ("http://127.0.0.3/thread-12345", 2)
    assert rules.start_role("http://127.0.0.3/forum-2-1.html") is Role.LIST
    assert not rules.allowed("http://127.0.0.3/member.php?mod=logging&action=login")


def test_generic_sources_follow_everything_on_their_domains() -> None:
    rules = LinkRules(Source.with_defaults("demo", ("http://127.0.0.1:8000/",)))
    assert rules.generic and rules.is_report_title("anything")
    chosen = dict(rules.links_from_list([Link("http://127.0.0.1:8000/a.html"), Link("http://127.0.0.1:8000/b.pdf"), Link("http://other.invalid/")]))
    assert chosen == {"http://127.0.0.1:8000/a.html": Role.PAGE, "http://127.0.0.1:8000/b.pdf": Role.ATTACHMENT}


@pytest.mark.parametrize(
    "anchor",
    [
        '<a href="/files/report.pdf">附件</a>',
        "<A HREF='/files/report.pdf'>附件</A>",
        "<a class=x href = /files/report.pdf>附件</a>",
        '<a href="/files/get.pdf?id=1&amp;v=2">附件</a>',
        '<a href="  /files/report.pdf\n">附件</a>',
    ],
)
def test_article_links_find_attachments_however_the_href_is_written(anchor: str) -> None:
    from scrapy.http import HtmlResponse

    from crawler.spiders.sources import article_links

    page = f"<html><body><p>正文</p><a href='/zwgk/other.html'>相关</a>{anchor}</body></html>"
    response = HtmlResponse("http://127.0.0.2/art/2024/1/17/art_1_1.html", body=page.encode("utf-8"), encoding="utf-8")
    (link,) = article_links(response, portal())
    assert link.url.startswith("http://127.0.0.2/files/") and link.text == "附件"
    assert "&amp;" not in link.url
    plain = HtmlResponse(response.url, body=page.replace(anchor, "").encode("utf-8"), encoding="utf-8")
    assert article_links(plain, portal()) == []


_HREF_PIECES = ["/", "..", ".", "a", "pdf", ".pdf", ".PDF", ".p", "df", "doc", ".docx", "?", "#", "=", ";", "\t", "\n", " "]
_HREF_PIECES += ["%2e", "//h", "http:", "x.html"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_HREF_PIECES), max_size=8).map("".join),
    st.sampled_from(["http://127.0.0.2/art/2024/1/art_1.html", "http://127.0.0.2/files/get.pdf", "http://127.0.0.2/a/?q=1.pdf"]),
    st.sampled_from(["", '<base href="http://127.0.0.3/f/r.PDF">', '<base href="/doc/">']),
    st.sampled_from(["gov_portal", "aggregator"]),
)
@example("/files/a.p\ndf", "http://127.0.0.2/art/2024/1/art_1.html", "", "gov_portal")  # urljoin drops the line break
@example("?id=1", "http://127.0.0.2/files/get.pdf", "", "gov_portal")  # no path: the page's own
@example("#top", "http://127.0.0.2/art/2024/1/art_1.html", '<base href="http://127.0.0.3/f/r.PDF">', "gov_portal")
def test_the_cheap_article_link_check_never_drops_a_followed_link(href: str, page: str, base: str, family: str) -> None:
    """LinkRules.may_lead_from_article is a necessary condition: every href _followed_url follows passes it."""
    from scrapy.http import HtmlResponse
    from scrapy.utils.response import get_base_url

    from crawler.spiders.sources import _followed_url

    rules = LinkRules(Source.with_defaults("demo", ("http://127.0.0.2/",), family=family))
    response = HtmlResponse(page, body=f"<html><head>{base}</head></html>".encode(), encoding="utf-8")
    if _followed_url(response, rules, href) is not None:
        assert rules.may_lead_from_article(href, get_base_url(response))


def test_the_cheap_article_link_check_skips_plain_links_of_a_portal() -> None:
    rules = LinkRules(Source.with_defaults("demo", ("http://127.0.0.2/",), family="gov_portal"))
    page = "http://127.0.0.2/art/1.html"
    assert not rules.may_lead_from_article("/zwgk/other.html", page) and not rules.may_lead_from_article("?id=2", page)
    assert rules.may_lead_from_article("/files/a.PDF", page) and rules.may_lead_from_article("?id=2", "http://127.0.0.2/a.pdf")
    aggregator = LinkRules(Source.with_defaults("demo", ("http://127.0.0.2/",), family="aggregator"))
    assert aggregator.may_lead_from_article("/zwgk/other.html", page)
