"""Ads and media-player boxes inside an article's content (cleaners/page_chrome.py)."""

from __future__ import annotations

from support import SHARED

from benchmarks.realworld_pages import load_pages
from benchmarks.realworld_systems import govcorpus_system, run_system
from cleaners.extract import extract_html

REALWORLD = SHARED / "realworld"
PARAGRAPHS = [
    "全区上下坚持稳中求进工作总基调，经济运行总体平稳、稳中有进，地区生产总值增长百分之五点五。",
    "广告代言收入不计入财政收入，全年一般公共预算收入完成预算的百分之一百零二。",
    "城乡居民人均可支配收入稳步增长，就业形势总体稳定，民生保障持续加强。",
    "生态环境质量持续改善，空气质量优良天数比例达到百分之八十五以上。",
]


def article(inner: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2]) + inner + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    return f"""<html><head><title>某区经济运行情况_某某网</title></head><body>
    <div class="article"><h1>某区经济运行情况</h1><div class="article-content">{body}</div></div></body></html>"""


def text_of(page: str) -> str:
    return extract_html(page).text


def test_a_link_that_opens_with_an_ad_label_is_dropped() -> None:
    text = text_of(article('<a class="textgg" href="https://ads.example/x"><i>广告</i><span>留学申请一站式服务</span><div>×</div></a><br>'))
    assert "留学申请" not in text and "广告\n" not in text
    assert all(p in text for p in PARAGRAPHS)  # 广告代言… starts with the word, as prose: kept


def test_a_link_whose_first_child_is_an_english_ad_label_is_dropped() -> None:
    card = """<a class="card" href="https://shop.example/1"><span class="badge">AD</span>
    <div class="name">家庭便携急救包，地震火灾逃生必备，一包十件</div><div>¥18.00</div></a>"""
    text = text_of(article(card))
    assert "急救包" not in text
    assert all(p in text for p in PARAGRAPHS)


def test_a_paragraph_that_begins_with_the_word_ad_is_kept() -> None:
    prose = "<p><b>广告</b>是本次会议讨论的议题之一，会议要求依法规范户外广告设置。</p>"
    assert "会议要求依法规范户外广告设置" in text_of(article(prose))


def test_a_video_box_with_its_title_duration_and_controls_is_dropped() -> None:
    box = """<div class="pic-video"><div class="video-fold"><a href="/v/1.shtml"><img src="t.jpg"></a>
    <div class="pic-info"><span class="video-title">区长解读经济运行情况</span><span>时长：01:45</span></div>
    <div class="unfold"><a>展开</a></div></div>
    <div class="video-unfold"><h4 class="video-title"><span>区长解读经济运行情况</span><a class="fold">收起</a></h4>
    <div class="video-player"><span class="clockTime">00:00</span></div></div></div>"""
    text = text_of(article(box))
    assert "区长解读" not in text and "时长" not in text and "收起" not in text
    assert all(p in text for p in PARAGRAPHS)


def test_an_article_whose_container_is_named_video_keeps_its_text() -> None:
    # The box is dropped only when short and not most of the content it sits in.
    page = f"""<html><head><title>视频新闻_某某网</title></head><body><div class="video-content">
    {"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}</div></body></html>"""
    assert all(p in text_of(page) for p in PARAGRAPHS)


def test_realworld_ads_and_player_lines_are_gone() -> None:
    pages = {p.path: p for p in load_pages(REALWORLD, ("magic-article",))}
    system = govcorpus_system(no_filter=True)
    ads = run_system(system, pages["magic/article-0eebc3efd179.html"]).text or ""
    assert "英国的大学排名全知晓" not in ads and "魔兽世界公益服" not in ads
    assert "通过广告代言等赚得盆满钵满" in ads  # the word in prose stays
    player = run_system(system, pages["magic/article-3e863fa9ac34.html"]).text or ""
    assert "时长" not in player and "收起" not in player
    assert "1905电影网讯" in player


def _eager_ads_and_media_boxes(node, blocks):
    """The definition, read before the cheap marks were tested first: every candidate's whole text, then its marks."""
    from cleaners.htmltree import is_element, squashed_text
    from cleaners.page_chrome import chrome_rules, is_media_box, opens_with_ad_label

    total = len(squashed_text(node))
    skip: set[object] = set()
    for el in node.iterdescendants():
        if not is_element(el) or el in skip or (el.tag not in blocks and el.tag != "a"):
            continue
        text = squashed_text(el)
        if not text or len(text) > chrome_rules().max_chars or 2 * len(text) > total:
            continue
        if (el.tag == "a" and opens_with_ad_label(el)) or (el.tag in blocks and is_media_box(el)):
            skip.update(el.iterdescendants())
            yield el


def test_testing_the_marks_first_finds_the_boxes_the_whole_definition_finds() -> None:
    """Reading a candidate's text only once it bears an ad label or a player's class changes no answer, on real pages
    and on boxes too long, empty, nested or holding most of the content."""
    from cleaners.extract import BLOCK_TAGS, CELL_TAGS
    from cleaners.htmltree import parse
    from cleaners.page_chrome import ads_and_media_boxes

    blocks = BLOCK_TAGS | CELL_TAGS
    made = [
        article(
            '<a href="/x"><i>广告</i><span>留学申请一站式服务</span></a>'
            '<div class="video-box"><a href="/v"><i>AD</i>短片</a>时长 03:12</div>'
        ),
        article('<div class="player">' + "长" * 200 + "</div>" + '<div id="audio"></div>'),
        '<html><body><div class="video">' + PARAGRAPHS[0] + "</div></body></html>",
    ]
    pages = [*made, *(p.read_bytes().decode("utf-8", "replace") for p in sorted(REALWORLD.rglob("*.html")))]
    found = 0
    for page in pages:
        tree = parse(page)
        for node in (tree, *tree.iter("div"))[:20]:
            expected = list(_eager_ads_and_media_boxes(node, blocks))
            assert list(ads_and_media_boxes(node, blocks)) == expected
            found += len(expected)
    assert found >= 3
