"""Discuz! threads in every view (full, touch, Archiver, printable), quotes, and the fallbacks.

The markup follows Discuz! X3's own templates: forum/viewthread (postmessage_<pid>),
touch/forum/viewthread (div.plc … div.message), source/archiver/forum/viewthread.php
(p.author runs) and forum/viewthread_printable (posts between <hr>s).
"""

from __future__ import annotations

import html

import pytest
from support import SHARED

import cleaners.extract
from cleaners.extract import FALLBACK_KEY, extract_html, fallback_stages
from cleaners.steps import clean_text

REPORT = (SHARED / "gold" / "001.txt").read_text(encoding="utf-8").splitlines()
SUBJECT = "2023年上海市静安区政府工作报告"
REPLY = "学习了，今年的民生实事项目很实在，谢谢楼主分享。"
OTHER_REPLY = "顶一下，报告里说的15分钟社区生活圈我们这边已经开始建设了。"


def brs(lines: list[str]) -> str:
    return "<br />\n".join(html.escape(line) for line in lines)


def cleaned(page: str) -> tuple[str | None, str, dict[str, str]]:
    extracted = extract_html(page, url="http://bbs.example.cn/thread-8123-1-1.html")
    return extracted.title, clean_text(extracted.text, title=extracted.title), extracted.metadata


def archiver(posts: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<p class="author"><strong>{author}</strong> 发表于 2023-1-6 10:21</p><h3>{subject}</h3>{message}<br />'
        for author, subject, message in posts
    )
    return f"""<html><head><title>{SUBJECT} - 政务交流 - 城市论坛 -  Powered by Discuz! Archiver</title>
    <meta name="generator" content="Discuz! X3.4" /></head><body>
    <center id="header"><h2>城市论坛's Archiver </h2></center>
    <div id="nav"><a href="./">城市论坛</a> &rsaquo; <a href="?fid-2.html">政务交流</a> &rsaquo; {SUBJECT}</div>
    <div id="content">{body}<div class="page"><strong>1</strong> <a href="?tid-8123-2.html">2</a></div></div>
    <div id="end"> 查看完整版本: <a href="../forum.php?mod=viewthread&amp;tid=8123"><strong>{SUBJECT}</strong></a></div>
    <div id="footer">Powered by <strong><a href="http://www.discuz.net">Discuz! Archiver</a></strong></div></body></html>"""


def test_archiver_view_keeps_the_starters_posts_only() -> None:
    page = archiver(
        [
            ("市民小张", SUBJECT, brs(REPORT[:12])),
            ("老城厢", "", REPLY),
            ("市民小张", "", brs(REPORT[12:])),
            ("江宁路居民", "", OTHER_REPLY),
        ]
    )
    title, text, metadata = cleaned(page)
    assert title == SUBJECT
    assert text == "\n".join(REPORT)
    assert metadata["forum_author"] == "市民小张" and FALLBACK_KEY not in metadata


def printable(posts: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<hr noshade size="2" width="100%" color="#808080">\n<b>作者: </b>{author}&nbsp; &nbsp; <b>时间: </b>2023-1-6 10:21\n'
        f"<br />\n{'<b>标题: </b>' + SUBJECT + '<br />' if i == 0 else ''}\n{message}\n"
        for i, (author, message) in enumerate(posts)
    )
    return f"""<html><head><title>{SUBJECT} - 城市论坛</title>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
    <script type="text/javascript">var discuz_uid = '0';</script></head><body>
    <h1>城市论坛</h1><b>标题: </b>{SUBJECT} <b><a href="###" onclick="window.print();">[打印本页]</a></b></span><br />
    {body}
    <br /><br /><br /><br /><hr noshade size="2" width="100%" color="#BBBBBB">
    <table><tr><td>欢迎光临 城市论坛 (http://bbs.example.cn/)</td><td align="right">Powered by Discuz! X3.4</td></tr></table>
    </body></html>"""


def test_printable_view_keeps_the_starters_posts_only() -> None:
    page = printable([("市民小张", brs(REPORT[:12])), ("老城厢", REPLY), ("市民小张", brs(REPORT[12:]))])
    title, text, metadata = cleaned(page)
    assert title == SUBJECT
    assert text == "\n".join(REPORT)
    assert metadata["forum_author"] == "市民小张"


def touch(posts: list[tuple[int, str, str]]) -> str:
    body = "".join(
        f"""<div class="plc cl"><span class="avatar"><img src="avatar.php?uid={uid}" /></span>
        <div class="display pi" href="#replybtn_{i}"><ul class="authi"><li class="grey"><em>{i}#</em>
        <b><a href="home.php?mod=space&amp;uid={uid}" class="blue">{name}</a></b></li>
        <li class="grey rela">2023-1-6 10:21</li></ul><div class="message">{message}</div></div></div>"""
        for i, (uid, name, message) in enumerate(posts, 1)
    )
    return f"""<html><head><title>{SUBJECT} - 手机版 - 城市论坛</title><meta name="generator" content="Discuz! X3.4" />
    </head><body><header class="header"><div class="nav"><span class="name">政务交流</span></div></header>
    <div class="postlist"><h2>{SUBJECT}</h2>{body}</div><a href="javascript:;" class="scrolltop bottom"></a>
    <div class="footer">Powered by Discuz!</div></body></html>"""


def test_touch_view_keeps_the_starters_posts_only() -> None:
    page = touch([(1001, "市民小张", brs(REPORT[:12])), (2002, "老城厢", REPLY), (1001, "市民小张", brs(REPORT[12:]))])
    _, text, metadata = cleaned(page)
    assert text == "\n".join(REPORT)
    assert metadata["forum_author"] == "uid:1001"


def full_view(posts: list[tuple[int, int, str, str]]) -> str:
    body = "".join(
        f"""<div id="post_{pid}"><table id="pid{pid}" class="plhin"><tr><td class="pls"><div class="pi">
        <div class="authi"><a href="home.php?mod=space&amp;uid={uid}" class="xw1">{name}</a></div></div></td>
        <td class="plc"><div class="pi"><div class="authi"><em id="authorposton{pid}">发表于 2023-1-6 10:21</em>
        <a href="forum.php?mod=viewthread&amp;tid=8123&amp;authorid={uid}">只看该作者</a></div></div>
        <div class="pct"><table><tr><td class="t_f" id="postmessage_{pid}">{message}</td></tr></table></div></td></tr></table></div>"""
        for pid, uid, name, message in posts
    )
    return f"""<html><head><title>{SUBJECT} - 政务交流 - 城市论坛 - Powered by Discuz!</title>
    <meta name="generator" content="Discuz! X3.4" /></head><body><div id="postlist">
    <h1 class="ts"><span id="thread_subject">{SUBJECT}</span></h1>{body}</div></body></html>"""


def quote_of(pid: int, name: str, text: str) -> str:
    """A quote of another post, as Discuz! X writes it when one replies with 引用."""
    return (
        f'<div class="quote"><blockquote><font size="2"><a href="forum.php?mod=redirect&amp;goto=findpost&amp;pid={pid}'
        f'&amp;ptid=8123" target="_blank"><font color="#999999">{name} 发表于 2023-1-6 10:21</font></a></font><br />'
        f"{html.escape(text)}</blockquote></div><br />"
    )


def test_a_starter_reposting_the_report_inside_a_quote_keeps_it() -> None:
    starter = f'转自区政府门户网站，全文如下：<br /><div class="quote"><blockquote>{brs(REPORT)}</blockquote></div>欢迎大家学习讨论。'
    page = full_view([(1, 1001, "市民小张", starter), (2, 2002, "老城厢", quote_of(1, "市民小张", "转自区政府门户网站") + REPLY)])
    _, text, _ = cleaned(page)
    assert "\n".join(REPORT) in text
    assert REPLY not in text


def test_quotes_of_other_posts_in_the_starters_posts_are_chrome() -> None:
    later = quote_of(2, "老城厢", REPLY) + brs(REPORT[12:])
    old_style = (
        '<div class="quote"><h5>引用:</h5><blockquote>原帖由 <i>江宁路居民</i> 于 2023-1-6 13:45 发表<br />'
        f"{OTHER_REPLY}</blockquote></div>"
    )
    page = full_view(
        [
            (1, 1001, "市民小张", brs(REPORT[:12])),
            (2, 2002, "老城厢", REPLY),
            (3, 1001, "市民小张", later),
            (4, 1001, "市民小张", old_style + "谢谢支持。"),
        ]
    )
    _, text, _ = cleaned(page)
    assert text == "\n".join([*REPORT, "谢谢支持。"])


def test_stripping_never_empties_the_starters_post() -> None:
    """A first post that is nothing but a quote with an attribution line is still the starter's content."""
    only_quote = f'<div class="quote"><blockquote>市民小张 发表于 2023-1-5 09:00<br />{brs(REPORT[3:12])}</blockquote></div>'
    page = full_view([(1, 1001, "市民小张", only_quote), (2, 2002, "老城厢", REPLY)])
    _, text, _ = cleaned(page)
    assert "\n".join(REPORT[3:12]) in text and REPLY not in text


def test_a_forum_page_without_posts_falls_back_to_the_generic_extraction() -> None:
    """A Discuz! portal article (portal.php?mod=view) carries the forum's markers but no posts."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in REPORT[3:12])
    page = f"""<html><head><title>{SUBJECT} - 门户 - 城市论坛 - Powered by Discuz!</title>
    <script>var discuz_uid = '0';</script></head><body><div id="ct"><div class="h hm"><h1 class="ph">{SUBJECT}</h1></div>
    <div class="d"><table><tr><td id="article_content">{paragraphs}</td></tr></table></div></div></body></html>"""
    extracted = extract_html(page)
    assert extracted.family == "discuz"
    assert clean_text(extracted.text, title=extracted.title) == "\n".join(REPORT[3:12])
    assert extracted.metadata[FALLBACK_KEY] == "discuz:empty"
    assert fallback_stages(extracted.metadata) == ["discuz"]


def test_an_extractor_that_raises_falls_back_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """The safety net: a bug in a family extractor costs the family's rules, never the page."""

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    page = full_view([(1, 1001, "市民小张", brs(REPORT[3:12]))])
    monkeypatch.setattr(cleaners.extract, "extract_discuz", broken)
    extracted = extract_html(page)
    assert extracted.metadata[FALLBACK_KEY] == "discuz:RuntimeError"
    assert REPORT[5] in extracted.text

    body = "".join(f"<p>{line}</p>" for line in REPORT[3:12])
    gov = f"""<html><head><title>t</title></head><body><table><tr><td>索引号：</td><td>1</td></tr>
    <tr><td>发布机构：</td><td>某区政府</td></tr></table><div class="TRS_Editor">{body}</div></body></html>"""
    monkeypatch.setattr(cleaners.extract, "extract_container", broken)
    extracted = extract_html(gov)
    assert extracted.family == "gov_portal"
    assert extracted.metadata[FALLBACK_KEY] == "gov_portal:RuntimeError"
    assert extracted.metadata["issuer"] == "某区政府"
    assert REPORT[5] in extracted.text and "索引号" not in extracted.text

    monkeypatch.setattr(cleaners.extract, "extract_generic", broken)
    extracted = extract_html(gov)
    assert extracted.metadata[FALLBACK_KEY] == "gov_portal:RuntimeError; generic:RuntimeError"
    assert fallback_stages(extracted.metadata) == ["gov_portal", "generic"]
    assert REPORT[5] in extracted.text and "索引号" not in extracted.text  # trafilatura's guess, the next resort

    monkeypatch.setattr(cleaners.extract, "extract_with_trafilatura", broken)
    extracted = extract_html(gov)
    assert extracted.metadata[FALLBACK_KEY] == "gov_portal:RuntimeError; generic:RuntimeError; trafilatura:RuntimeError"
    assert REPORT[5] in extracted.text  # the plain text of the body, the last resort
