"""Gambling spam is judged from context; place names that are also casino brands stay."""

from __future__ import annotations

import html

import lxml.html
import pytest
from support import SHARED

from cleaners.extract import extract_html
from cleaners.spam import (
    has_vocabulary,
    is_offsite,
    is_spam_block,
    is_spam_link,
    is_spam_text,
)
from cleaners.steps import clean_text

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
PLACES = [
    "（一）金沙酱香白酒产业提质增效",
    "组织县内酒企赴澳门参加美食文化节，与澳门中华总商会签订经贸合作备忘录。",
    "永利村、新化村入选省级乡村振兴示范村。",
    "金沙县与澳门特别行政区开展旅游合作。",
    "依法打击网络赌博、跨境赌场招赌等违法犯罪活动，全年破获案件12起。",
]


def link(markup: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(markup)


def page(body: str) -> str:
    return f"""<html><head><title>金沙县2024年政府工作报告</title></head><body>
    <div class="TRS_Editor">{body}</div><div class="foot">网站标识码：5205000001</div></body></html>"""


def test_one_word_never_makes_spam() -> None:
    for line in PLACES:
        assert not is_spam_text(line)
        assert not is_spam_block(link(f"<p>{line}</p>"), "www.jinsha.gov.cn")


def test_place_names_in_report_paragraphs_and_headings_stay() -> None:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in REPORT[3:8] + PLACES)
    extracted = extract_html(page(body), url="http://www.jinsha.gov.cn/zwgk/2024/t1.html")
    assert clean_text(extracted.text, title=extracted.title).split("\n") == REPORT[3:8] + PLACES


def test_on_site_links_naming_places_stay() -> None:
    body = f'<p>{REPORT[3]}</p><p>详见<a href="/zt/amzl/">澳门招商推介会</a>专题。</p><p><a href="http://www.jinsha.gov.cn/x.html">金沙县概况</a></p>'
    extracted = extract_html(page(body), url="http://www.jinsha.gov.cn/zwgk/t1.html")
    assert "详见澳门招商推介会专题。" in extracted.text and "金沙县概况" in extracted.text


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="http://j9.example/">九游会J9官网</a>',  # gambling words, off-site
        '<a href="http://www.amxpj-yl.example/">澳门新葡京娱乐场</a>',  # two brands and a gambling word
        '<a href="/go?u=1"><font color="red">九游会ⅲ真人娱乐官网入口 注册即送38元</font></a>',  # on-site, but a promotion
        '<a href="http://www.j9-casino.example/"><img alt="banner"></a>',  # the address names it
    ],
)
def test_spam_links_go(markup: str) -> None:
    assert is_spam_link(link(markup), "www.example.gov.cn")


def test_spam_needs_a_second_signal() -> None:
    assert has_vocabulary("九游会") and has_vocabulary("澳门葡京") and not has_vocabulary("澳门")
    assert not is_spam_link(link('<a href="/a.html">百家乐的历史</a>'), "www.example.cn")  # on-site, no promotion
    assert is_spam_text("澳门金沙官网入口")
    assert not is_spam_text("澳门金沙")  # two brands, nothing sold
    links_only = link('<div><a href="/a">澳门葡京</a> <a href="/b">金沙娱乐城</a></div>')
    assert is_spam_block(links_only, "www.example.cn")
    assert is_offsite("http://other.example/", "www.example.cn") and not is_offsite("/a", "www.example.cn")
    assert is_offsite("http://other.example/", None) and not is_offsite("a.html", None)


def test_injected_spam_in_an_article_goes_and_the_sentence_around_it_stays() -> None:
    body = (
        f"<p>{REPORT[3]}</p>"
        '<p>强化科技创新引领带动，详见<a href="http://j9.example/">九游会J9官网</a>，获评全国科普示范区。</p>'
        '<p><a href="http://www.j9-yule-casino.example/?aff=1"><font color="red">九游会真人娱乐官网入口 注册即送38元</font></a></p>'
        '<div><a href="http://bet.example/">bet365体育在线投注</a> <a href="http://am.example/">澳门新葡京娱乐场</a></div>'
        f"<p>{REPORT[4]}</p>"
    )
    extracted = extract_html(page(body), url="http://www.example.gov.cn/a.html")
    text = clean_text(extracted.text, title=extracted.title)
    assert text.split("\n") == [REPORT[3], "强化科技创新引领带动，详见，获评全国科普示范区。", REPORT[4]]
