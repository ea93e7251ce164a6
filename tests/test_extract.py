"""HTML extraction by site family, titles, metadata tables, and build_document's reject reasons."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.extract import extract_html, page_title, parse
from cleaners.pipeline import build_document
from cleaners.steps import clean_text

GOLD = SHARED / "gold"
REPORT = (GOLD / "001.txt").read_text(encoding="utf-8").splitlines()


def paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)


def fetched(body: bytes | str, content_type: str | None = "text/html; charset=utf-8") -> Fetched:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Fetched(
        url="http://example.test/a.html",
        final_url="http://example.test/a.html",
        status=200,
        headers={"content-type": content_type} if content_type else {},
        body=data,
        fetched_at=datetime.now(UTC).isoformat(),
    )


def cleaned(page: str) -> tuple[str | None, str]:
    extracted = extract_html(page)
    return extracted.title, clean_text(extracted.text, title=extracted.title)


# ---------------------------------------------------------------- government portal

GOV_PAGE = f"""<html><head><meta charset="utf-8"><title>新华路街道2023年工作总结_长宁区人民政府</title></head><body>
<div class="header"><h1 class="logo"><a href="/">上海市长宁区人民政府</a></h1></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/x">政务公开</a></div>
<table class="xxgk-meta">
<tr><th>索引号：</th><td>SY0000-2024-0001</td><th>主题分类：</th><td>综合政务</td></tr>
<tr><th>发布机构：</th><td>上海市长宁区人民政府新华路街道办事处</td><th>发文日期：</th><td>2024年2月2日</td></tr>
<tr><th>名　　称：</th><td colspan="3">新华路街道2023年工作总结</td></tr>
<tr><th>文　　号：</th><td>长新办〔2024〕1号</td><th>有 效 性：</th><td>有效</td></tr>
</table>
<h1 class="article-title">新华路街道2023年工作总结</h1>
<div class="article-info">发布时间：2024-02-02　　来源：新华路街道　　字号：[<a>大</a> <a>中</a> <a>小</a>]</div>
<div class="TRS_Editor">{paragraphs(REPORT[3:8])}</div>
<div class="article-tools"><a>【打印本页】</a> <a>【关闭窗口】</a></div>
<div class="bdsharebuttonbox">分享到：<a>微信</a><a>微博</a></div>
<div class="related"><h3>相关链接</h3><ul><li><a href="/1">新华路街道2022年工作总结</a></li></ul></div>
<div class="footer"><p>主办单位：上海市长宁区人民政府办公室</p><p>沪ICP备05017658号　网站标识码：3101050001</p></div>
</body></html>"""


def test_gov_portal_metadata_becomes_fields_not_text() -> None:
    extracted = extract_html(GOV_PAGE)
    assert extracted.family == "gov_portal"
    assert extracted.metadata["index_number"] == "SY0000-2024-0001"
    assert extracted.metadata["issuer"] == "上海市长宁区人民政府新华路街道办事处"
    assert extracted.metadata["published"] == "2024-02-02"
    assert extracted.metadata["written_date"] == "2024-02-02"  # 发文日期：2024年2月2日
    assert extracted.metadata["subject"] == "综合政务"
    assert extracted.metadata["document_number"] == "长新办〔2024〕1号"
    for chrome in ("索引号", "发布机构", "当前位置", "打印本页", "分享到", "相关链接", "ICP", "网站标识码", "字号"):
        assert chrome not in extracted.text


def test_gov_portal_body_and_title() -> None:
    title, text = cleaned(GOV_PAGE)
    assert title == "新华路街道2023年工作总结"  # the article heading, not the logo heading
    assert text == "\n".join(REPORT[3:8])


def test_metadata_as_inline_line_and_list() -> None:
    page = f"""<html><head><title>某某报告</title></head><body>
    <ul class="meta"><li>发文机构:上海市长宁区人民政府新华路街道办事处</li><li>发布日期:2024-02-02</li></ul>
    <div id="Zoom">{paragraphs(REPORT[3:6])}</div></body></html>"""
    extracted = extract_html(page)
    assert extracted.metadata["issuer"] == "上海市长宁区人民政府新华路街道办事处"
    assert extracted.metadata["published"] == "2024-02-02"
    assert "发文机构" not in extracted.text and "2024-02-02" not in extracted.text


def test_a_body_paragraph_with_a_label_word_stays() -> None:
    body = [*REPORT[3:6], "全年新增注册企业120家，网上登录办事率达到95%，群众回复满意率99%，主题分类推进各项工作。"]
    page = f"""<html><head><title>t</title></head><body><table><tr><th>索引号：</th><td>1</td></tr>
    <tr><th>发布机构：</th><td>某区政府</td></tr></table><div class="TRS_Editor">{paragraphs(body)}</div></body></html>"""
    _, text = cleaned(page)
    assert text.endswith(body[-1])


# ---------------------------------------------------------------- Discuz!


def discuz_post(pid: int, uid: int, name: str, message: str, extra: str = "") -> str:
    return f"""<div id="post_{pid}"><table id="pid{pid}" class="plhin"><tr>
    <td class="pls"><div class="pi"><div class="authi"><a href="space-uid-{uid}.html" class="xw1">{name}</a></div></div>
    <dl class="pil cl"><dt>积分</dt><dd>147971</dd><dt>帖子</dt><dd>1万</dd></dl></td>
    <td class="plc"><div class="authi"><em id="authorposton{pid}">发表于 2023-5-23 17:06:50</em>
    <a href="forum.php?mod=viewthread&amp;tid=1&amp;authorid={uid}">只看该作者</a></div>
    <div class="pct"><table><tr><td class="t_f" id="postmessage_{pid}">{message}</td></tr></table></div>
    {extra}<div class="po"><a class="fastre">回复</a><a class="repquote">引用</a><a>举报</a></div></td></tr></table></div>"""


def brs(lines: list[str]) -> str:
    return "<br />\r\n".join("&nbsp; &nbsp; " + html.escape(line) for line in lines)


def test_discuz_keeps_every_floor_of_the_thread_starter_only() -> None:
    subject = "2023年上海市静安区政府工作报告"
    posts = (
        discuz_post(1, 7, "区域数据", brs([subject, *REPORT[:20]]), '<div class="sign">数据来源：区域数据论坛</div>')
        + discuz_post(
            2, 9, "路人甲",
            f'<div class="quote"><blockquote>{html.escape(REPORT[25])}</blockquote></div>{html.escape(REPORT[26])}<br />好报告，支持！',
        )
        + discuz_post(3, 7, "区域数据", '<i class="pstatus"> 本帖最后由 区域数据 于 2023-5-24 09:00 编辑 </i><br />' + brs(REPORT[20:]))
    )
    page = f"""<html><head><meta name="generator" content="Discuz! X3.4" />
    <title>[上海] {subject} - 政府工作报告 - 区域数据论坛 - Powered by Discuz!</title></head><body>
    <form><input type="text" name="username"><input type="password" name="password"><button>登录</button></form>
    <div id="postlist"><h1 class="ts"><a>[上海]</a> <span id="thread_subject">{subject}</span></h1>{posts}</div>
    <div class="pt hm">您需要登录后才可以回帖 <a>登录</a> | <a>立即注册</a></div></body></html>"""
    extracted = extract_html(page)
    assert extracted.family == "discuz"
    assert extracted.title == subject
    assert clean_text(extracted.text, title=extracted.title) == "\n".join(REPORT)


def test_page_title_strips_forum_prefix_and_site_suffix() -> None:
    def of(raw: str) -> str | None:
        return page_title(parse(f"<html><head><title>{raw}</title></head><body></body></html>"))

    assert of("[上海] 2023年上海市静安区政府工作报告 - 区域数据论坛 - Powered by Discuz!") == "2023年上海市静安区政府工作报告"
    assert of("新华路街道2023年工作总结_长宁区人民政府") == "新华路街道2023年工作总结"
    assert of("2024年长宁区政府工作报告 | 博县网") == "2024年长宁区政府工作报告"


# ---------------------------------------------------------------- aggregators

AGGREGATOR_PAGE = f"""<html><head><meta charset="utf-8"><title>2024年长宁区政府工作报告 - 博县网</title></head><body>
<div class="top"><a href="/login">登录</a> <a href="/reg">注册</a></div>
<div class="place"><strong>当前位置:</strong> <a href="/">主页</a> &gt; <a href="/baogao/">政府工作报告</a></div>
<div class="viewbox"><div class="title"><h2>2024年长宁区政府工作报告</h2></div>
<div class="info">时间:2024-03-01 来源:博县网 作者:佚名</div>
<div class="content">{paragraphs(REPORT[3:6])}
<p>强化科技创新引领带动。深入推进“虹桥智谷”建设，详见<a href="http://j9.example/">九游会J9官网</a>，获评全国科普示范区。</p>
<p>（责任编辑：王小明）</p></div>
<div class="context"><ul><li>上一篇：<a href="/a">2023年长宁区政府工作报告</a></li>\
<li>下一篇：<a href="/b">2024年徐汇区政府工作报告</a></li></ul></div>
<div class="disclaimer"><p>本文仅代表作者观点,不代表本站立场。 凡注明为博县网原创作品的,未经许可,不得转载;\
报告、公报、规划等总结类或文件类信息,本站展示并非全部都完整,为了您更加全面、更有实效的查询学习,\
建议您到相关地区政府九游会俱乐部j9入口官网浏览或下载完整版本;源于网络的作品,若对您造成了侵权,\
请联系本站,我们会第一时间予以处理。</p>
<p>本文地址:/baogao/huadong/9817.html</p><p>责任编辑：博县网编辑部</p></div></div>
<div class="commentbox"><strong>留言与评论(共有 0 条评论)</strong>\
<form><textarea></textarea>验证码:<input type="text"><button>发表评论</button></form></div>
<div class="copyright">Copyright &copy; 2015-2024 博县网 版权所有 豫ICP备16012345号</div></body></html>"""


def test_aggregator_drops_disclaimer_spam_and_prev_next() -> None:
    extracted = extract_html(AGGREGATOR_PAGE)
    assert extracted.family == "aggregator"
    title, text = cleaned(AGGREGATOR_PAGE)
    assert title == "2024年长宁区政府工作报告"
    for chrome in ("九游", "J9", "本文仅代表", "本文地址", "上一篇", "下一篇", "责任编辑", "验证码", "ICP", "当前位置"):
        assert chrome not in text
    assert text.startswith("\n".join(REPORT[3:6]))
    assert "深入推进“虹桥智谷”建设，详见，获评全国科普示范区。" in text


# ---------------------------------------------------------------- generic pages


def test_a_short_generic_page_keeps_its_one_paragraph() -> None:
    short = "区政府召开常务会议，研究部署今冬明春安全生产工作，要求各部门压实责任、排查隐患、确保平稳。"
    page = f"<html><head><title>通知</title></head><body><div><p>{short}</p></div></body></html>"
    extracted = extract_html(page)
    assert extracted.family == "generic"
    assert extracted.text == short  # 45 characters: trafilatura's default 250 would drop it
    assert "extraction_fallback" not in extracted.metadata


def test_a_page_without_a_scoring_paragraph_falls_back_to_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    seen: list[object] = []
    real = trafilatura.bare_extraction

    def spy(content: Any, **kwargs: Any) -> Any:
        seen.append(content)
        return real(content, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)
    page = "<html><head><title>通知</title></head><body><div><p>下午三点开会。</p><p>请准时。</p></div></body></html>"
    extracted = extract_html(page)
    assert "下午三点开会" in extracted.text
    assert extracted.metadata["extraction_fallback"] == "generic:empty"
    assert seen and all(isinstance(content, str) for content in seen)  # never bytes


def test_preformatted_mirror_keeps_one_paragraph_per_line() -> None:
    page = f"""<html><head><title>快照</title></head><body><div id="snap-head">这是网页快照，保存时间 2024年01月21日 11:08:02。
    原网页可能已经更改。<br>您查询的关键词：静安区 政府工作报告</div>\
<pre>\n{html.escape(chr(10).join(REPORT[3:9]))}\n</pre></body></html>"""
    _, text = cleaned(page)
    assert text == "\n".join(REPORT[3:9])


# ---------------------------------------------------------------- build_document


def test_build_document_sets_fields() -> None:
    body = GOV_PAGE.replace('<meta charset="utf-8">', '<meta charset="gbk">').encode("gbk")
    document = build_document(fetched(body, "text/html"))
    assert document.title == "新华路街道2023年工作总结"
    assert document.family == "gov_portal"
    assert document.published == "2024-02-02"
    assert document.metadata["issuer"] == "上海市长宁区人民政府新华路街道办事处"
    assert document.encoding == "gb18030" and document.encoding_declared == "gbk"
    assert document.text == "\n".join(REPORT[3:8])


def reason(body: bytes | str, content_type: str | None = "text/html; charset=utf-8") -> str:
    with pytest.raises(Rejected) as caught:
        build_document(fetched(body, content_type))
    return caught.value.reason


def reason_with_status(status: int) -> str:
    with pytest.raises(Rejected) as caught:
        build_document(Fetched("http://e.test/", "http://e.test/", status, {}, b"<html>x</html>", "2024-01-01T00:00:00Z"))
    return caught.value.reason


def test_reject_reasons() -> None:
    assert reason(b"") == "empty"
    # A page without any text is empty, whatever the report filters would say of it (it was not_report).
    assert reason("<html><head><title>政府工作报告</title></head><body><div> </div></body></html>") == "empty"
    assert reason(b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png") == "not_html"
    assert reason_with_status(404) == "http_404"
    notice = "<html><head><title>通知</title></head><body><p>今天下午三点召开全体会议，请准时参加。</p></body></html>"
    assert reason(notice) == "not_report"
    gone = "<html><head><title>页面不存在</title></head><body><p>抱歉，您访问的页面不存在或已被删除！</p></body></html>"
    assert reason(gone) == "soft_404"
    sentence = "<p>The district government held a meeting on the economy and social development today.</p>"
    english = "<html><head><title>News</title></head><body>" + sentence * 12 + "</body></html>"
    assert reason(english) == "not_chinese"
    login = """<html><head><title>用户登录</title></head><body><form><p>用户名：<input name="u"></p>
    <p>密码：<input type="password" name="p"></p><p>验证码：<input name="c"></p><button>登录</button></form>
    <p>没有帐号？<a href="/reg">立即注册</a></p></body></html>"""
    assert reason(login) == "login_page"
    items = "".join(
        f'<li><a href="/a/{i}.html">2024年第{i}季度区政府工作报告全文发布</a><span>2024-0{i % 9 + 1}-01</span></li>' for i in range(20)
    )
    listing = f'<html><head><title>政务公开</title></head><body><div class="list"><ul>{items}</ul></div></body></html>'
    assert reason(listing) == "list_page"


def test_docx_is_read_paragraph_by_paragraph() -> None:
    import docx

    document = docx.Document()
    document.add_heading("2023年上海市静安区政府工作报告", level=0)
    for line in REPORT[:10]:
        document.add_paragraph("\u3000\u3000" + line)
    buffer = io.BytesIO()
    document.save(buffer)
    built = build_document(fetched(buffer.getvalue(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    assert built.source_type == "docx"
    assert built.title == "2023年上海市静安区政府工作报告"
    assert built.text == "\n".join(REPORT[:10])


# --- drop rules: one walk for the tag rules, the hidden-element rules in one expression ---------

HIDDEN_RULES_ONE_BY_ONE = [
    ".//*[@hidden]",
    ".//*[contains(translate(@style, ' ', ''), 'display:none')]",
    ".//*[contains(translate(@style, ' ', ''), 'visibility:hidden')]",
    ".//*[@aria-hidden='true']",
]


def _real_trees() -> list[Any]:
    from cleaners.encoding import decode_html

    pages = sorted((SHARED / "realworld").rglob("*.htm*")) + sorted((SHARED / "cases").rglob("*.htm*"))
    trees = []
    for page in pages:
        try:
            trees.append(parse(decode_html(page.read_bytes(), "text/html").text))
        except Rejected:
            continue  # some cases are undecodable on purpose
    assert len(trees) > 50
    return trees


def _paths(tree: Any, elements: list[Any]) -> set[str]:
    return {tree.getroottree().getpath(el) for el in elements if el is not tree}


@pytest.mark.parametrize("family", ["generic", "gov_portal", "discuz", "aggregator"])
def test_drop_rules_select_what_each_rule_selects_as_xpath(family: str) -> None:
    from cleaners.extract import drop_rules, elements_of, rules

    spec = rules()
    one_by_one = [e if e.startswith(".") else "." + e for e in [*spec["common"]["drop_xpath"], *spec[family].get("drop_xpath", [])]]
    tags, expressions = drop_rules(family)
    assert "script" in tags and not any(e.startswith(".//script") for e in expressions)
    for tree in _real_trees():
        assert _paths(tree, [*tree.iter(*tags), *elements_of(tree, expressions)]) == _paths(tree, elements_of(tree, one_by_one))


def test_the_hidden_element_rule_is_the_four_rules_in_one() -> None:
    from cleaners.extract import elements_of, rules

    (hidden,) = [e for e in rules()["common"]["drop_xpath"] if "@hidden" in e]
    page = parse(
        "<html><body><p hidden>a</p><p style='display: none'>b</p><p style='VISIBILITY:hidden'>c</p>"
        "<p aria-hidden='true'>d</p><p aria-hidden='false'>e</p><p style='color:red'>f</p><p>g</p></body></html>"
    )
    assert [el.text for el in page.xpath(hidden)] == ["a", "b", "d"]  # XPath's contains() is case-sensitive
    for tree in [page, *_real_trees()]:
        assert _paths(tree, tree.xpath("." + hidden)) == _paths(tree, elements_of(tree, HIDDEN_RULES_ONE_BY_ONE))


@pytest.mark.parametrize("family", ["gov_portal", "aggregator"])
def test_title_rule_of_an_h1_inside_a_content_block_selects_as_the_descendant_path_would(family: str) -> None:
    # //h1[ancestor::*[P]] is //*[P]//h1 walked from the few h1s instead of from every element.
    from cleaners.extract import rules

    (rule,) = [e for e in rules()[family]["title_xpath"] if e.startswith("//h1[ancestor::*[")]
    descendant_path = "//*[" + rule.removeprefix("//h1[ancestor::*[").removesuffix("]]") + "]//h1"
    trees = _real_trees()
    assert sum(bool(tree.xpath(rule)) for tree in trees) > 10
    for tree in trees:
        assert tree.xpath(rule) == tree.xpath(descendant_path)
