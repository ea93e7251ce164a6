"""Navigation inside an article's container (cleaners/navigation.py): tag lists and headed link lists."""

from __future__ import annotations

import html

import pytest
from lxml import etree
from support import SHARED

from cleaners.document import Fetched
from cleaners.extract import extract_html
from cleaners.navigation import drop_headed_link_lists, drop_tag_lists, is_section_heading
from cleaners.pipeline import build_document
from cleaners.steps import clean_text

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
BODY = "".join(f"<p>{html.escape(line)}</p>" for line in REPORT[:4])


def text_of(inner: str) -> str:
    page = f"<html><head><title>t</title></head><body><div class='article'>{BODY}{inner}</div></body></html>"
    return clean_text(extract_html(page).text)


def fragment(markup: str) -> etree._Element:
    node = etree.fromstring(f"<div>{markup}</div>", etree.HTMLParser()).find(".//body/div")
    assert node is not None
    return node


def heading(text: str) -> etree._Element:
    node = fragment(f"<h4>{text}</h4>").find("h4")
    assert node is not None
    return node


@pytest.mark.parametrize(
    "tags",
    [
        '<div class="keywords">标签：<a rel="tag" href="/t/1">政府工作报告</a>, <a rel="tag" href="/t/2">经济运行</a></div>',
        '<p><a rel="tag" href="/t/1">民生</a> <a rel="nofollow tag" href="/t/2">就业</a> <a rel="tag" href="/t/3">社保</a></p>',
        '<div><img src="tag.gif"><a href="/t/1" rel="tag">玉峰道路</a>, <a href="/t/2" rel="tag">美樹營地</a></div>',
    ],
)
def test_a_list_of_the_documents_tags_is_not_body(tags: str) -> None:
    assert text_of(tags) == "\n".join(REPORT[:4])


def test_a_tag_link_inside_a_sentence_goes_but_the_sentence_stays() -> None:
    sentence = "全年完成固定资产投资增长百分之八，其中重点项目投资占比超过六成，为经济稳定增长提供了有力支撑。"
    node = fragment(f'<p>{sentence[:10]}<a rel="tag" href="/t/1">固定资产</a>{sentence[10:]}</p>')
    drop_tag_lists(node)
    assert sentence[:10] in etree.tostring(node, method="text", encoding="unicode")
    assert sentence[10:] in etree.tostring(node, method="text", encoding="unicode")


@pytest.mark.parametrize(
    ("heading", "items"),
    [
        ("<h5>上一篇文章與下一篇文章</h5>", ["愛上喜翁露營_歡慶聖誕夜市趴", "走進莫內遇見落羽松_菁芳園"]),
        ("<h3>相关阅读</h3>", ["关于进一步优化营商环境的若干措施", "2023年全区经济运行情况分析"]),
        ("<div class='title'>您可能感兴趣的文章</div>", ["市政府召开第十二次常务会议", "全市安全生产工作会议召开"]),
        ("<h4>相關新聞：</h4>", ["市府公布年度施政報告全文", "議會審議預算案"]),
    ],
)
def test_a_headed_list_of_links_to_other_articles_is_not_body(heading: str, items: list[str]) -> None:
    links = "".join(f'<li><a href="/a/{n}.html"><span>{html.escape(item)}</span></a></li>' for n, item in enumerate(items))
    text = text_of(f"{heading}<ul>{links}</ul>")
    assert text == "\n".join(REPORT[:4])
    assert not any(item in text for item in items)


def test_a_section_heading_over_body_text_stays() -> None:
    """A heading that reads like one is kept when what follows is text, not links."""
    node = fragment("<h3>相关链接</h3><p>本报告所称重点项目，是指列入年度计划的市级重大项目。</p>")
    assert drop_headed_link_lists(node) == 0
    assert "重点项目" in etree.tostring(node, method="text", encoding="unicode")


def test_a_link_list_without_a_heading_is_left_to_the_other_rules() -> None:
    node = fragment('<ul><li><a href="/a/1.html">关于印发实施方案的通知</a></li></ul>')
    assert drop_headed_link_lists(node) == 0


@pytest.mark.parametrize("text", ["上一篇", "下一篇：", "上一篇文章与下一篇文章", "相关文章", "推荐阅读", "猜你喜欢", "你可能也喜欢"])
def test_section_headings_are_recognised(text: str) -> None:
    assert is_section_heading(heading(text))


@pytest.mark.parametrize("text", ["相关工作进展顺利，各项指标稳中有升", "一、上一年度工作回顾"])
def test_body_headings_are_not_navigation(text: str) -> None:
    assert not is_section_heading(heading(text))


def test_real_blog_post_loses_its_tags_and_its_previous_and_next_posts() -> None:
    """Mozilla Readability's pixnet page: a zh-TW blog post with a tag line and a 上一篇/下一篇 box."""
    path = SHARED / "realworld" / "readability" / "pixnet" / "source.html"
    fetched = Fetched(str(path), str(path), 200, {"content-type": "text/html"}, path.read_bytes(), "")
    text = build_document(fetched, apply_filters=False).text
    assert text.rstrip().endswith("內文有不定期的更新旅遊、露營圖文訊息謝謝！")
    for navigation in ("愛上喜翁露營_歡慶聖誕夜市趴", "走進莫內遇見落羽松_菁芳園", "玉峰道路，上宇老觀景台"):
        assert navigation not in text
    assert "營地地址：新竹縣尖石鄉玉峰村6鄰20號" in text
