"""Main content by scoring (cleaners/content.py) and forum threads on any engine (cleaners/threads.py).

Pages are built here from the shared gold text; a few real pages of ../shared/realworld are read
at test time and checked with short snippets.
"""

from __future__ import annotations

import html
import re

import pytest
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.encoding import decode_html
from cleaners.extract import extract_html
from cleaners.pipeline import build_document
from cleaners.steps import clean_text

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
REALWORLD = SHARED / "realworld"
HEADLINES = [
    f"{district}区召开{topic}推进会部署下阶段重点工作"
    for district in "东西南北中"
    for topic in ("营商环境", "城市更新", "民生实事", "安全生产")
]


def paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines)


def fetched(page: str, url: str = "http://www.example.gov.cn/art/2024/2/2/art_1.html") -> Fetched:
    return Fetched(url, url, 200, {"content-type": "text/html; charset=utf-8"}, page.encode("utf-8"), "2024-01-01T00:00:00Z")


def text_of(page: str, **kwargs: object) -> str:
    extracted = extract_html(page, **kwargs)  # type: ignore[arg-type]
    return clean_text(extracted.text, title=extracted.title)


def menu(count: int = 20) -> str:
    """A navigation block of document-naming links, in a <div> (not <nav>): what portals put on every page."""
    items = "".join(f"<li><a href='/n/{i}.html'>{HEADLINES[i % len(HEADLINES)]}</a></li>" for i in range(count))
    return f"<div class='topmenu'><ul>{items}</ul></div>"


# ---------------------------------------------------------------- list or article


def test_an_article_with_heavy_navigation_is_not_a_list_page() -> None:
    """The links of its chrome outnumber its text; its main content is the article."""
    page = f"""<html><head><title>新华路街道2023年工作总结</title></head><body>{menu(40)}
    <div class="main"><h1>新华路街道2023年工作总结</h1><div class="text">{paragraphs(REPORT[:3])}</div></div>
    <div class="side"><h3>热点</h3>{menu(30)}</div></body></html>"""
    document = build_document(fetched(page))
    assert document.text == "\n".join(REPORT[:3])


def test_a_column_page_is_a_list_page_and_its_list_is_its_text_without_filters() -> None:
    items = "".join(f"<li><a href='/a/{i}.html'>{HEADLINES[i]}</a><span>2024-01-{i + 1:02d}</span></li>" for i in range(20))
    page = f"<html><head><title>工作动态</title></head><body>{menu(8)}<div class='list'><ul>{items}</ul></div></body></html>"
    with pytest.raises(Rejected) as caught:
        build_document(fetched(page))
    assert caught.value.reason == "list_page" and "main content" in caught.value.detail
    document = build_document(fetched(page), apply_filters=False)
    assert document.filter_verdict and document.filter_verdict["reason"] == "list_page"
    assert HEADLINES[5] in document.text


def test_a_news_feed_beside_a_short_article_is_not_its_text() -> None:
    """Teasers (a headline link and a summary, repeated) score nothing however long the summaries."""
    feed = "".join(
        f"<li class='feed-item'><h3><a href='/n/{i}.html'>{HEADLINES[i]}</a></h3><p>{REPORT[3 + i]}</p><span>2024-05-2{i}</span></li>"
        for i in range(6)
    )
    page = f"""<html><head><title>短讯</title></head><body><div class="story">{paragraphs(REPORT[:1])}</div>
    <div class="more"><h2>你可能还想看</h2><ul class="stream">{feed}</ul></div></body></html>"""
    assert text_of(page) == REPORT[0]


def test_a_video_player_inside_the_article_is_not_text() -> None:
    player = """<div class="video-player"><div class="playerBottom"><span>正在为您切换到高清480P，请稍候...</span>
    <ul class="rates"><li>2.0X</li><li>1.5X</li><li>1.0X</li></ul><div class="error">很抱歉，当前视频播放失败</div></div></div>"""
    page = f"<html><head><title>t</title></head><body><div class='article'>{player}{paragraphs(REPORT[:2])}</div></body></html>"
    assert text_of(page) == "\n".join(REPORT[:2])


def test_a_body_hidden_until_a_script_shows_it_is_the_text() -> None:
    """WeChat's saved pages hide #js_content with visibility:hidden; small hidden blocks stay chrome."""
    page = f"""<html><head><title>t</title></head><body><div class="popup" style="display:none">扫一扫关注公众号，获取更多精彩内容</div>
    <div id="js_content" style="visibility: hidden; opacity: 0;">{paragraphs(REPORT[:4])}</div></body></html>"""
    assert text_of(page) == "\n".join(REPORT[:4])


def test_a_real_article_once_refused_as_a_list_page_is_a_document() -> None:
    """39.net: 119 entry links once held 51% of the page's text; the article is a few hundred characters."""
    page = REALWORLD / "magic" / "article-0987b0ff61a8.html"
    url = "http://food.39.net/a/210120/8605520.html"
    document = build_document(Fetched(url, url, 200, {}, page.read_bytes(), "2024-01-01T00:00:00Z"))
    assert "腊八节要吃腊八粥" in document.text
    assert "小窍门" in document.text


def test_a_real_wechat_article_hidden_in_the_saved_html_is_extracted() -> None:
    page = REALWORLD / "magic" / "article-7e99760d0920.html"
    extracted = extract_html(decode_html(page.read_bytes(), None).text)
    assert "庆“八一”双拥文艺汇演" in re.sub(r"\s", "", extracted.text)


# ---------------------------------------------------------------- forums on any engine


def post(number: int, user: str, message: str) -> str:
    return f"""<div class="topic-post"><div class="post-header"><a class="username" href="/u/{user}">{user}</a>
    <time datetime="2024-05-{number:02d}T10:00:00">2024-05-{number:02d} 10:00</time><span class="floor">#{number}</span></div>
    <div class="post-body">{message}</div><div class="post-actions"><a href="#">回复</a> <a href="#">举报</a></div></div>"""


def thread_page(posts: str, before: str = "") -> str:
    return f"""<html><head><title>2023年工作总结</title></head><body><div class="header"><a href="/login">登录</a></div>
    {before}<div class="posts">{posts}</div></body></html>"""


def test_a_forum_thread_keeps_the_starters_posts_only() -> None:
    posts = (
        post(1, "starter", paragraphs(REPORT[:3]))
        + post(2, "reader", "<p>写得很好，学习了，感谢楼主分享这份总结。</p>")
        + post(3, "starter", paragraphs(REPORT[3:5]))
        + post(4, "another", "<p>请问有没有去年的版本可以对照着看一下？</p>")
    )
    extracted = extract_html(thread_page(posts))
    assert clean_text(extracted.text) == "\n".join(REPORT[:5])
    assert extracted.metadata["forum_author"] == "/u/starter"
    everything = clean_text(extract_html(thread_page(posts), replies=True).text)
    assert "写得很好" in everything and "去年的版本" in everything and REPORT[4] in everything


def test_a_later_page_of_a_thread_keeps_the_named_starters_posts() -> None:
    posts = post(21, "reader", "<p>顶一下，这个总结写得很全面，值得学习。</p>") + post(22, "starter", paragraphs(REPORT[5:7]))
    assert clean_text(extract_html(thread_page(posts), starter="/u/starter").text) == "\n".join(REPORT[5:7])


def test_comments_under_an_article_are_not_its_text() -> None:
    comments = post(1, "reader", "<p>说得好，支持政府的工作，希望明年更好。</p>") + post(
        2, "other", "<p>我们小区的加装电梯什么时候能落实？</p>"
    )
    page = thread_page(comments, before=f"<div class='article'>{paragraphs(REPORT[:4])}</div>")
    assert text_of(page) == "\n".join(REPORT[:4])


def test_a_list_of_dated_links_is_not_a_thread() -> None:
    """News lists carry dates but name no authors: not posts."""
    items = "".join(f"<li class='item'><a href='/n/{i}.html'>{HEADLINES[i]}</a><span>2024-05-{i + 1:02d}</span></li>" for i in range(5))
    page = (
        f"<html><head><title>t</title></head><body><div class='article'>{paragraphs(REPORT[:3])}</div>"
        f"<ul class='rel'>{items}</ul></body></html>"
    )
    assert text_of(page) == "\n".join(REPORT[:3])


def test_a_real_non_discuz_thread_gives_its_starters_posts() -> None:
    """A Flarum thread: the starter asked, and later wrote back; the other user's replies are left out."""
    page = REALWORLD / "magic" / "forum-3a43c342657c.html"
    extracted = extract_html(decode_html(page.read_bytes(), None).text)
    assert extracted.family == "generic"
    assert "访问flarum社区，自动弹出登录窗口" in extracted.text
    assert "Private Forum Facade 这个插件可以实现" not in extracted.text  # the other user's reply
    assert extracted.metadata["forum_author"] == "/u/bnazxc1"


# ---------------------------------------------------------------- family containers checked by scoring


def test_a_family_container_that_wraps_the_whole_page_loses_to_the_scored_article() -> None:
    """A portal's rule names #content; on this template #content also holds the menus and a news rail."""
    news = "".join(f"<li><a href='/n/{i}'>{HEADLINES[i]}</a><p>{HEADLINES[i]}。</p></li>" for i in range(12))
    page = f"""<html><head><title>新华路街道2023年工作总结</title><meta name="SiteName" content="某区政府">
    <meta name="ColumnName" content="工作总结"></head><body><div id="content">{menu(20)}
    <div class="art"><h1>新华路街道2023年工作总结</h1><div class="txt">{paragraphs(REPORT[:4])}</div></div>
    <div class="news"><h3>要闻</h3><ul>{news}</ul></div>
    </div><div class="foot">网站标识码：3101050001</div></body></html>"""
    extracted = extract_html(page)
    assert extracted.family == "gov_portal"
    assert clean_text(extracted.text, title=extracted.title) == "\n".join(REPORT[:4])


def test_a_family_container_that_is_the_article_stands() -> None:
    page = f"""<html><head><title>t</title><meta name="SiteName" content="某区政府"><meta name="ColumnName" content="c"></head>
    <body><div class="box"><h1>新华路街道2023年工作总结</h1><div class="TRS_Editor">{paragraphs(REPORT[:5])}</div>
    <div class="source">来源：新华路街道</div></div></body></html>"""
    extracted = extract_html(page)
    assert extracted.family == "gov_portal" and extracted.text == "\n".join(REPORT[:5])


def test_what_a_browser_without_javascript_shows_is_the_text_of_an_app() -> None:
    """A forum engine renders its posts into <noscript> for browsers and crawlers without JavaScript."""
    page = f"""<html><head><title>t</title></head><body><div id="app"></div>
    <noscript><div class="post">{paragraphs(REPORT[:3])}</div></noscript>
    <noscript>请开启浏览器的 JavaScript 功能后访问本站</noscript></body></html>"""
    assert text_of(page) == "\n".join(REPORT[:3])
