"""Page titles (cleaners/html_title.py): the heading that agrees with the page's declared title.

Each rule has a synthetic page of its kind, and the real pages of ../shared/realworld where the
kind was found (titles asserted as short strings read from those pages, not copied markup).
"""

from __future__ import annotations

import pytest
from support import SHARED

from benchmarks.realworld_pages import load_pages, title_match
from benchmarks.realworld_systems import govcorpus_system, run_system
from cleaners.extract import extract_html

REALWORLD = SHARED / "realworld"
BODY = "<div class='content'>" + "<p>全区上下坚持稳中求进工作总基调，经济运行总体平稳、稳中有进。</p>" * 6 + "</div>"


def title_of(head: str, body: str) -> str | None:
    return extract_html(f"<html><head>{head}</head><body>{body}{BODY}</body></html>").title


# ---------------------------------------------------------------- synthetic pages, one per rule


def test_a_logo_heading_linking_home_loses_to_the_heading_that_agrees_with_title() -> None:
    body = """<div class="top"><h1><a href="http://money.example.com/" class="fn_logo"><span>某某商业</span></a></h1></div>
    <h2><span><a href="http://money.example.com/special/">更多</a></span>全部文章</h2>
    <div class="main"><h2 class="con1_lt">新华路街道2023年工作总结</h2></div>"""
    assert title_of("<title>新华路街道2023年工作总结_某某财经</title>", body) == "新华路街道2023年工作总结"


def test_a_heading_that_is_only_a_link_home_is_chrome_even_without_a_logo_class() -> None:
    # No heading agrees with <title>: the home-page link heading and the "更多" list head are
    # skipped, and the title is <title> without the site's name.
    body = """<h1><a href="/">区政府网</a></h1><h2><a href="/list/">更多</a>通知公告</h2>"""
    assert title_of("<title>关于开展安全生产检查的通知_区政府网</title>", body) == "关于开展安全生产检查的通知"


def test_buttons_counters_and_edit_links_after_the_title_are_cut() -> None:
    title = "<title>关于做好春节期间安全工作的通知_某某吧_某某贴吧</title>"
    buttons = """<h3 class="core_title_txt">关于做好春节期间安全工作的通知<span><a>只看楼主</a><a>收藏</a><a>回复</a></span></h3>"""
    assert title_of(title, buttons) == "关于做好春节期间安全工作的通知"
    edit = """<h1 id="firstHeading"><span>雄安新区</span><span class="editsection">[<a href="?action=edit">编辑</a>]</span></h1>"""
    assert title_of("<title>雄安新区 - 某某百科，自由的百科全书</title>", edit) == "雄安新区"
    counter = """<h1 class="title">第二章 失乡号的船长<span class="count">241</span></h1>"""
    assert title_of("<title>第二章 失乡号的船长 _《某书》在线阅读 - 某某网</title>", counter) == "第二章 失乡号的船长"
    audio = """<h1 class="article__title"><span>某区召开年度工作会议</span><div class="audio">播报文章</div></h1>"""
    assert title_of("<title>某区召开年度工作会议_【某资讯】</title>", audio) == "某区召开年度工作会议"


def test_a_badge_after_a_title_without_site_name_is_cut() -> None:
    body = """<div class="post-title">2020年专利工作要点<em class="tag">精华</em></div>"""
    assert title_of("<title>2020年专利工作要点</title>", body) == "2020年专利工作要点"


def test_a_site_name_after_a_bare_hyphen_is_not_the_title() -> None:
    body = """<div class="list"><h3>静安区2024年政府工作报告</h3><p>来源：某某网</p></div>"""
    assert title_of("<title>静安区2024年政府工作报告-某某网</title>", body) == "静安区2024年政府工作报告"
    # … but a hyphen inside a title, with no heading cut at it, keeps the whole title.
    whole = """<h1>1-10月全区固定资产投资结构趋稳趋优</h1>"""
    assert title_of("<title>1-10月全区固定资产投资结构趋稳趋优</title>", whole) == "1-10月全区固定资产投资结构趋稳趋优"


def test_og_title_confirms_the_heading_when_title_is_empty() -> None:
    head = """<title></title><meta property="og:title" content="绥德：33名退役军人被表彰" />"""
    body = """<div class="rich_media_content"><h1 style="font-size:16px">绥德县举行</h1></div>
    <h1 class="rich_media_title">绥德：33名退役军人被表彰</h1>"""
    assert title_of(head, body) == "绥德:33名退役军人被表彰"  # NFKC until clean_text widens it


def test_a_navigation_heading_is_not_the_title() -> None:
    body = """<div class="Nav_wrap"><h2 class="Nav_title_1pHFq">热门</h2></div>"""
    assert title_of("<title>某市发布暴雨预警 - 某某的微博 - 微博</title>", body) == "某市发布暴雨预警"


def test_the_site_suffix_of_a_declared_title_is_not_kept_when_a_heading_agrees() -> None:
    head = """<meta property="og:title" content="5月LPR按兵不动：1年期为3.45%_经济_宏观频道_某某网 - EXAMPLE.COM">"""
    body = """<div class="title-box"><span class="title">5月LPR按兵不动：1年期为3.45%</span></div>"""
    assert title_of(head, body) == "5月LPR按兵不动:1年期为3.45%"


def test_a_heading_is_still_the_title_when_title_names_only_the_site() -> None:
    assert title_of("<title>区政府网</title>", "<h1>关于开展安全生产检查的通知</h1>") == "关于开展安全生产检查的通知"


# ---------------------------------------------------------------- the real pages where the kinds were found


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("gbk-originals/2.html", "埃洛普离职：微软卧底成弃儿？"),  # h1 fn_logo link home; h2 con1_ltle
        ("gbk-originals/11.html", "Uber刷单刷出中国人性劣根？"),
        ("magic/article-06586406af5a.html", "雄安新区"),  # Wikipedia [编辑]
        ("magic/article-0eebc3efd179.html", "37岁丁俊晖身价过亿，住英国富人区，43岁妻子身材傲人，家世显赫"),  # 播报文章
        ("magic/forum-6db2e2d672d8.html", "什么样的人才算是佛系？在线等，挺急的"),  # 只看楼主 收藏 回复
        ("magic/forum-22b2f108fb7d.html", "2020专利直播课程正在筹备中，你期待改写哪个专利呢"),  # 精华
        ("magic/article-7e99760d0920.html", "绥德：33名退役军人被表彰"),  # og:title, empty <title>
        ("magic/article-777ddd63e01e.html", "静夜思•夜"),  # "-中国诗歌网"
    ],
    ids=lambda value: value if value.endswith(".html") else "",
)
def test_realworld_titles(path: str, title: str) -> None:
    page = next(p for p in load_pages(REALWORLD) if p.path == path)
    got = run_system(govcorpus_system(no_filter=True), page).title
    assert got is not None
    assert got.replace(" ", "") == title.replace(" ", "")


def test_every_realworld_page_with_a_stated_title_gets_it() -> None:
    """Against each page's reference title (benchmarks/realworld_pages.reference_title).

    The one page left out: its <title> is the site's name alone ("-铜雀历史网"), so it says
    nothing of the article's title.
    """
    system = govcorpus_system(no_filter=True)
    wrong = []
    for page in load_pages(REALWORLD):
        match = title_match(run_system(system, page).title, page.title, page.title_is_tag)
        if match not in (None, "exact") and page.path != "magic/article-2338d64a03dc.html":
            wrong.append((page.path, match))
    assert wrong == []


def test_title_match_allows_for_the_site_name_of_a_title_tag() -> None:
    assert title_match("雄安新区", "雄安新区 - 维基百科，自由的百科全书", is_tag=True) == "exact"
    assert title_match("雄安新区 - 维基百科，自由的百科全书", "雄安新区 - 维基百科，自由的百科全书", is_tag=True) == "contained"
    assert title_match("雄安新区[编辑]", "雄安新区 - 维基百科，自由的百科全书", is_tag=True) == "contained"
    assert title_match("网易商业", "埃洛普离职：微软卧底成弃儿？_网易财经", is_tag=True) == "wrong"
    assert title_match("1-10月德清县固定资产投资", "1-10月德清县固定资产投资") == "exact"
    assert title_match(None, "某标题") == "none"
    assert title_match("某标题", None) is None
