"""Redirect stubs and frame shells as a browser without JavaScript sees them (crawler/clientside.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SHARED

from crawler.clientside import (
    Navigation,
    find_navigation,
    parse_refresh,
    same_site,
    script_targets,
)

URL = "http://www.example.gov.cn/zwgk/index.html"
REPORT = "".join(f"<p>{line}</p>" for line in (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()[:6])
NAV = '<div class="nav">' + " | ".join(f'<a href="/c{i}/">栏目{i}</a>' for i in range(30)) + "</div>"
FOOTER = '<div class="foot"><p>主办：区人民政府办公室　网站标识码：3101000000</p><p>沪ICP备00000000号</p></div>'


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>页面跳转</title>{head}</head><body>{body}</body></html>"


def refresh(content: str) -> str:
    return f'<meta http-equiv="refresh" content="{content}">'


# ---------------------------------------------------------------- the refresh attribute (WHATWG HTML)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0;URL='./a.html'", (0.0, "./a.html")),
        ('0; url="b.html"', (0.0, "b.html")),
        ("0;url=c.html", (0.0, "c.html")),
        ("3, http://x.cn/d", (3.0, "http://x.cn/d")),
        ("1 e.html", (1.0, "e.html")),
        ("0; URL = f.html ", (0.0, "f.html")),
        ("5.5;url=g.html", (5.0, "g.html")),
        ("300", (300.0, None)),
        ("0;", (0.0, None)),
        ("", None),
        ("url=h.html", None),
        ("abc", None),
    ],
)
def test_refresh_content_is_read_as_the_html_standard_says(content: str, expected: tuple[float, str | None] | None) -> None:
    assert parse_refresh(content) == expected


# ---------------------------------------------------------------- stubs, wherever the refresh sits


@pytest.mark.parametrize(
    "html",
    [
        page(head=refresh("0;url=/wz/t1.html")),
        page(head="<style>" + ".x{color:red}\n" * 3000 + "</style>" + refresh("0;url=/wz/t1.html")),  # after a long head
        page(head="<script>var a=1;\n" * 1 + "x=1;\n" * 5000 + "</script>" + refresh("0;url=/wz/t1.html")),
        page(body=NAV + "<div><div><div><p>页面正在跳转</p>" + refresh("0; url=/wz/t1.html") + "</div></div></div>" + FOOTER),
        page(head="<noscript>" + refresh("0;URL='/wz/t1.html'") + "</noscript>"),
        page(body="<noscript>" + refresh("2;URL=/wz/t1.html") + "<p>请点击</p></noscript>"),
        page(head='<META HTTP-EQUIV="Refresh" CONTENT="0; URL=/wz/t1.html">'),
        page(head="<meta http-equiv=refresh content=0;url=/wz/t1.html>"),
        "<?xml version='1.0' encoding='utf-8'?>" + page(head=refresh("0;url=/wz/t1.html")),
    ],
    ids=["head", "after-long-style", "after-long-script", "deep-in-body", "noscript-head", "noscript-body",
         "uppercase", "unquoted", "xhtml-declaration"],
)
def test_a_meta_refresh_stub_is_followed_wherever_the_refresh_sits(html: str) -> None:
    navigation = find_navigation(html, URL)
    assert navigation is not None and navigation.kind == "meta_refresh"
    assert navigation.url == "http://www.example.gov.cn/wz/t1.html"


def test_only_the_first_refresh_counts_as_in_a_browser() -> None:
    html = page(head=refresh("0;url=/first.html") + refresh("0;url=/second.html"))
    assert find_navigation(html, URL) == Navigation("http://www.example.gov.cn/first.html", "meta_refresh", 0.0)


def test_a_refresh_inside_an_ignored_tag_is_not_followed() -> None:
    html = page(head="<noscript>" + refresh("0;url=/wz/t1.html") + "</noscript>")
    assert find_navigation(html, URL, ignore_tags=["noscript"]) is None


def test_a_refresh_too_slow_is_not_followed() -> None:
    assert find_navigation(page(head=refresh("100;url=/wz/t1.html")), URL, max_delay=100) is None
    assert find_navigation(page(head=refresh("99;url=/wz/t1.html")), URL, max_delay=100) is not None


def test_targets_resolve_against_base_and_are_encoded_as_a_browser_does() -> None:
    html = page(head='<base href="http://www.example.gov.cn/xxgk/">' + refresh("0;url=报告.html?q=a&amp;b=1"))
    navigation = find_navigation(html, URL)
    assert navigation is not None
    assert navigation.url == "http://www.example.gov.cn/xxgk/%E6%8A%A5%E5%91%8A.html?q=a&b=1"


# ---------------------------------------------------------------- what is not a stub


def test_an_article_that_reloads_itself_is_not_a_stub() -> None:
    assert find_navigation(page(head=refresh("300"), body=REPORT), URL) is None
    assert find_navigation(page(head=refresh(f"0;url={URL}")), URL) is None  # to itself: a reload
    assert find_navigation(page(head=refresh("0;url=index.html#top")), URL) is None


def test_an_article_with_a_redirect_beside_real_text_is_not_a_stub() -> None:
    assert find_navigation(page(head=refresh("0;url=/wz/t1.html"), body=REPORT), URL) is None
    assert find_navigation(page(body=REPORT + "<script>location.href='/wz/t1.html'</script>"), URL) is None


def test_a_not_found_page_that_sends_visitors_home_stays_a_soft_404() -> None:
    html = page(head=refresh("5;url=/"), body="<p>您访问的页面不存在，5秒后返回首页</p>")
    assert find_navigation(html, URL) is None


def test_navigation_text_does_not_make_a_stub_an_article() -> None:
    # Thirty menu links and a footer: chrome, not content.
    assert find_navigation(page(body=NAV + FOOTER + refresh("0;url=/wz/t1.html")), URL) is not None


# ---------------------------------------------------------------- trivial scripts


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("window.location.replace('./a.html');", ["./a.html"]),
        ('location.href = "/b.html"', ["/b.html"]),
        ("window.location = '/c.html';", ["/c.html"]),
        ('document.location.href="/d.html";', ["/d.html"]),
        ("top.location.assign('/e.html')", ["/e.html"]),
        ("<!--\nself.location='/f.html'\n//-->", ["/f.html"]),
        ("setTimeout(function(){ window.location.href = '/g.html'; }, 3000);", ["/g.html"]),
        ("setTimeout(() => { location.replace('/h.html') }, 0)", ["/h.html"]),
        ('setTimeout("location.href=\'/i.html\'", 1000)', ["/i.html"]),
        ("window.onload = function() { location.href = '/j.html' }", ["/j.html"]),
        ("// location.href='/no.html'\nlocation.href='/k.html'", ["/k.html"]),
        ("if (isMobile) location.href = '/m.html';", []),
        ("if (a) { x() } else { location.href = '/m.html' }", []),
        ("function go() { location.href = '/m.html' }", []),
        ("var u = 'x'; location.href = '/m.html' + u;", []),
        ("location.href = base + '/m.html';", []),
        ("a = b || location.replace('/m.html')", []),
        ("$(function(){ location.href = '/m.html' })", []),
        ("var s = \"location.href='/m.html'\";", []),
        ("/* location.href='/m.html' */", []),
        ("if (location.href == '/m.html') {}", []),
    ],
)
def test_only_unconditional_trivial_scripts_redirect(code: str, expected: list[str]) -> None:
    assert list(script_targets(code)) == expected


def test_a_script_stub_is_followed_and_a_refresh_wins_over_it() -> None:
    script = "<script>window.location.replace('/by-script.html');</script>"
    assert find_navigation(page(head=script), URL) == Navigation("http://www.example.gov.cn/by-script.html", "script")
    both = page(head=script + "<noscript>" + refresh("0;url=/by-refresh.html") + "</noscript>")
    assert find_navigation(both, URL) == Navigation("http://www.example.gov.cn/by-refresh.html", "meta_refresh", 0.0)
    onload = page().replace("<body>", "<body onload=\"location.href='/onload.html'\">")
    assert find_navigation(onload, URL) == Navigation("http://www.example.gov.cn/onload.html", "script")


def test_external_and_non_javascript_scripts_are_not_read() -> None:
    assert find_navigation(page(head="<script type='text/template'>location.href='/t.html'</script>"), URL) is None
    assert find_navigation(page(head="<script src='/x.js'>location.href='/t.html'</script>"), URL) is None
    assert find_navigation(page(head="<script>location.href='javascript:void(0)'</script>"), URL) is None


def test_other_schemes_are_reported_for_the_caller_to_refuse() -> None:
    navigation = find_navigation(page(head=refresh("0;url=ftp://files.example.gov.cn/a.pdf")), URL)
    assert navigation is not None and navigation.url.startswith("ftp://")


# ---------------------------------------------------------------- frame shells


def shell(frames: str, body: str = "") -> str:
    return page(body=f"<h1>新华路街道2023年工作总结</h1>{body}<div id='zoom'>{frames}</div>{FOOTER}")


def test_a_shell_is_read_from_its_same_site_content_frame() -> None:
    html = shell('<iframe src="./content_1.html" width="100%" height="3200" frameborder="0"></iframe>')
    assert find_navigation(html, URL) == Navigation("http://www.example.gov.cn/zwgk/content_1.html", "frame")
    other_host = shell('<iframe src="http://zwgk.example.gov.cn/c/1.html" height="800"></iframe>')
    assert find_navigation(other_host, URL) == Navigation("http://zwgk.example.gov.cn/c/1.html", "frame")


def test_the_content_frame_is_the_largest_visible_one() -> None:
    frames = ('<iframe src="/stat.html" width="0" height="0"></iframe>'
              '<iframe src="/weather.html" height="40"></iframe>'
              '<iframe src="/hidden.html" style="display: none" height="4000"></iframe>'
              '<iframe src="/content.html" height="2000"></iframe>')
    assert find_navigation(shell(frames), URL) == Navigation("http://www.example.gov.cn/content.html", "frame")
    frameset = ("<html><head><title>报告</title></head><frameset rows='80,*,40'><frame src='/top.html'>"
                "<frame src='/main.html'><frame src='/bottom.html'></frameset></html>")
    assert find_navigation(frameset, URL) == Navigation("http://www.example.gov.cn/main.html", "frame")


def test_frames_off_site_or_in_pages_with_content_are_not_followed() -> None:
    assert find_navigation(shell('<iframe src="http://video.other.com/p.html" height="600"></iframe>'), URL) is None
    assert find_navigation(shell('<iframe src="/c.html" height="600"></iframe>', body=REPORT), URL) is None
    entries = "".join(f'<li><a href="/t{i}.html">关于2023年第{i}季度工作情况的通报</a></li>' for i in range(12))
    assert find_navigation(shell('<iframe src="/c.html" height="600"></iframe>', body=f"<ul>{entries}</ul>"), URL) is None
    assert find_navigation(shell('<iframe src="/c.html" height="600"></iframe>'), URL, frames=False) is None


def test_same_site_means_the_same_registrable_domain() -> None:
    assert same_site("http://www.jingan.gov.cn/a", "https://zwgk.jingan.gov.cn/b")
    assert not same_site("http://www.jingan.gov.cn/a", "http://www.changning.gov.cn/b")
    assert same_site("http://127.0.0.1:8000/a", "http://127.0.0.1:9000/b")
    assert not same_site("http://127.0.0.1/a", "http://127.0.0.2/b")


# ---------------------------------------------------------------- hostile input


def test_hostile_markup_is_read_without_error() -> None:
    deep = "<div>" * 2000 + refresh("0;url=/deep.html") + "</div>" * 2000
    assert find_navigation(page(body=deep), URL) == Navigation("http://www.example.gov.cn/deep.html", "meta_refresh", 0.0)
    deeper = "<div>" * 10000 + refresh("0;url=/deep.html") + "</div>" * 10000  # past what libxml2 keeps
    assert find_navigation(page(body=deeper), URL) in (None, Navigation("http://www.example.gov.cn/deep.html", "meta_refresh", 0.0))
    odd = page(head="<!-- c --><?php x ?>" + refresh("0;url=/a.html"), body="<![CDATA[x]]>&nbsp;<?xml:namespace prefix=o?>")
    assert find_navigation(odd, URL) is not None
    assert find_navigation("", URL) is None
    assert find_navigation("<html>", URL) is None
    assert find_navigation(page(head=refresh("0;url=http://[::1")), URL) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' ;:.{}()hrefmtalocinsupwdxq0123456789页跳转\n")), max_size=300))
def test_any_text_gives_a_navigation_or_none(html: str) -> None:
    result = find_navigation(html, URL)
    assert result is None or isinstance(result, Navigation)
