"""Report metadata on the real documents and pages of ../shared/realworld (values found by reading
each file), and one small made-up case per rule: the delivery and speaker lines of a 政府工作报告,
the year of a report, the municipality of a district, the date in a page's info bar and URL, a
PDF Title that is only a place, a category bar that is no subject."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from lxml import etree
from support import SHARED

from cleaners.document import Fetched
from cleaners.extract import extract_html
from cleaners.metadata import infer_metadata, region_of, year_of
from cleaners.page_date import info_bar_date
from cleaners.pdf import metadata_title
from cleaners.pipeline import build_document
from cleaners.report_head import delivery, heading_year

REALWORLD = SHARED / "realworld"


@cache
def built(path: str, url: str | None = None) -> tuple[str | None, dict[str, Any], str | None]:
    """Title, metadata and published date of a realworld file, its filters off."""
    address = url or f"http://example.test/{path}"
    document = build_document(Fetched(address, address, 200, {}, (REALWORLD / path).read_bytes(), ""), apply_filters=False)
    return document.title, document.metadata, document.published


# ---------------------------------------------------------------- delivery and speaker lines

CITY_MEETING = "示范市第五届人民代表大会第二次会议"
PROVINCE_MEETING = "示范省第五届人民代表大会第二次会议"
NATIONAL_MEETING = "第九届示范代表大会第二次会议"


@pytest.mark.parametrize(
    ("text", "date", "meeting", "speaker"),
    [
        (f"——2024年1月9日在{CITY_MEETING}上\n示范市市长 王某某\n各位代表：", "2024-01-09", CITY_MEETING, "王某某"),
        (f"2024年1月9日在{CITY_MEETING}上\n各位代表：", "2024-01-09", CITY_MEETING, None),
        (f"2024年1月9日在{PROVINCE_MEETING}上示范省省长 李某同志作政府工作报告。\n各位代表：", "2024-01-09", PROVINCE_MEETING, "李某"),
        (f"2024年1月9日在{PROVINCE_MEETING}上示范省代省长李某作政府工作报告\n各位代表：", "2024-01-09", PROVINCE_MEETING, "李某"),
        (f"----2024年1月9日张某某市长在{CITY_MEETING}的政府工作报告\n各位代表：", "2024-01-09", CITY_MEETING, "张某某"),
        ("——2024年3月5日在第九届示范代表大会第二次\n会议上\n国务院总理\u3000赵某\n各位代表：", "2024-03-05", NATIONAL_MEETING, "赵某"),
        ("2024年1月9日\n示范自治区代理主席 扎西某某\n各位代表：", None, None, "扎西某某"),
    ],
)
def test_delivery_and_speaker_lines_in_their_real_variants(text: str, date: str | None, meeting: str | None, speaker: str | None) -> None:
    head = delivery(text)
    assert head is not None
    assert (head.date, head.meeting, head.speaker.name if head.speaker else None) == (date, meeting, speaker)


def test_a_sentence_that_opens_with_a_date_is_no_delivery_line() -> None:
    assert delivery("2024年5月10日在示范市召开的全市工作会议上，王某指出，要抓好落实。\n第二段。") is None


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("各位代表：\n一、2015年工作回顾\n过去一年。\n二、“十三五”时期主要目标\n三、2016年重点工作", 2016),
        ("各位代表：\n一、过去五年工作回顾\n二、2018年经济社会发展总体要求和政策取向", 2018),
        ("各位代表：\n2023年工作回顾\n过去一年。", 2024),
        ("各位代表：\n2023年是关键一年。", None),  # a sentence, not a heading
    ],
)
def test_a_report_year_from_its_section_headings(text: str, year: int | None) -> None:
    assert heading_year(text) == year


def test_an_opening_phrase_names_the_kind_when_no_title_does() -> None:
    assert infer_metadata(None, "各位代表：\n现在，我代表示范市人民政府，向大会报告政府工作，请予审议。")["doc_type"] == "政府工作报告"
    assert "doc_type" not in infer_metadata(None, "各位代表：\n现在，我代表常委会向大会报告工作。")


def test_the_year_is_the_titles_then_the_delivery_dates_not_a_reviewed_year() -> None:
    assert year_of("2023年示范州国民经济和社会发展统计公报", None, "2024-04-01", "", "2024-03-20") == 2023
    assert year_of(None, "2024-01-09", None, "一、2023年工作回顾") == 2024
    assert year_of(None, None, None, "各位代表：\n一、2023年工作回顾\n过去一年。") == 2024


# ---------------------------------------------------------------- region


@pytest.mark.parametrize(
    ("title", "text", "region"),
    [
        ("示范新区", "示范新区在北京以南。北京、天津与示范新区……北京", "示范新区"),  # mentions place nothing
        ("2024年朝阳区政府工作报告", "我们在北京市朝阳区……", "北京市朝阳区"),  # written under the municipality
        ("2024年静安区政府工作报告", "上海……上海", "上海市静安区"),  # one of 上海's districts, 上海 named
        ("2024年朝阳区政府工作报告", "长春……", "朝阳区"),  # 朝阳区 of another city: no municipality named
    ],
)
def test_a_district_gets_a_municipality_only_when_the_text_puts_it_there(title: str, text: str, region: str) -> None:
    assert region_of(title, text, None) == region


def test_the_xiongan_wiki_page_is_not_placed_in_beijing() -> None:
    _, metadata, _ = built("magic/article-06586406af5a.html")
    assert metadata.get("region") == "雄安新区"


# ---------------------------------------------------------------- reports in realworld/documents

REPORTS = {
    # file: (year, delivered, meeting ends with, speaker)
    "national-report-2016.docx": (2016, None, None, None),
    "national-report-2017.docx": (2017, "2017-03-05", "第十二届全国人民代表大会第五次会议", "李克强"),
    "national-report-2018.docx": (2018, None, None, None),
    "national-report-2019.docx": (2019, "2019-03-05", "第十三届全国人民代表大会第二次会议", "李克强"),
    "province-2025-beijing.docx": (2025, "2025-01-14", "北京市第十六届人民代表大会第三次会议", "殷勇"),
    "province-2025-shanghai.docx": (2025, "2025-01-15", "上海市第十六届人民代表大会第三次会议", "龚正"),
    "province-2025-guangdong.docx": (2025, "2025-01-15", "广东省第十四届人民代表大会第三次会议", "王伟中"),
    "province-2025-sichuan.docx": (2025, "2025-01-20", "四川省第十四届人民代表大会第四次会议", "施小琳"),
    "province-2025-henan.docx": (2025, "2025-01-18", "河南省第十四届人民代表大会第三次会议", "王凯"),
    "province-2025-zhejiang.docx": (2025, "2025-01-14", "浙江省第十四届人民代表大会第三次会议", "刘捷"),
    "province-2025-heilongjiang.docx": (2025, "2025-01-13", "黑龙江省第十四届人民代表大会第三次会议", "梁惠玲"),
    "province-2025-xizang.docx": (2025, "2025-01-19", "西藏自治区第十二届人民代表大会第三次会议", "嘎玛泽登"),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_real_reports_give_year_delivery_meeting_and_speaker(name: str) -> None:
    _, metadata, _ = built(f"documents/{name}")
    fields = ("year", "delivered", "meeting", "speaker")
    assert tuple(metadata.get(field) for field in fields) == REPORTS[name]
    assert metadata["doc_type"] == "政府工作报告"  # 2016 and 2018 have no title: 向大会报告政府工作 says it


def test_a_bulletin_titled_by_an_image_gets_its_heading_type_and_year() -> None:
    title, metadata, _ = built("documents/statbulletin-2023-qiandongnan.pdf")
    assert title == "黔东南苗族侗族自治州2023年国民经济和社会发展统计公报"
    assert metadata["doc_type"] == "国民经济和社会发展统计公报" and metadata["year"] == 2023
    assert metadata["title_from"] == "ocr" and metadata["region"] == "黔东南苗族侗族自治州"


def test_a_pdf_title_that_is_only_a_place_or_organ_is_none() -> None:
    assert metadata_title({"Title": "示范苗族自治州"}) is None
    assert metadata_title({"Title": "示范市统计局"}) is None
    assert metadata_title({"Title": "2023年示范市统计公报"}) == "2023年示范市统计公报"


# ---------------------------------------------------------------- published


def page(body: str) -> etree._Element:
    return etree.HTML(f"<html><body>{body}</body></html>")


def test_the_date_time_under_the_headline_is_the_publication_date() -> None:
    html = "<div>菜单 2020-01-01 08:00</div><h1>示范标题新闻</h1><div>2024-05-20 09:47:48\u3000来源：示范报</div><p>正文。</p>"
    assert info_bar_date(page(html), "示范标题新闻") == "2024-05-20"
    assert info_bar_date(page("<h1>示范标题新闻</h1><span>示范网 ( 2012-6-4 19:20 )</span>"), "示范标题新闻") == "2012-06-04"


def test_a_bare_date_or_one_far_below_the_headline_is_not_taken() -> None:
    assert info_bar_date(page("<h1>示范标题新闻</h1><div>2024/05/20</div>"), "示范标题新闻") is None
    far = "<h1>示范标题新闻</h1><p>" + "正文" * 100 + "</p><div>2024-05-20 09:47</div>"
    assert info_bar_date(page(far), "示范标题新闻") is None
    assert info_bar_date(page("<h1>别的标题</h1><div>2024-05-20 09:47</div>"), "示范标题新闻") is None


def test_url_dates_with_mixed_separators_but_not_an_archive_timestamp() -> None:
    url = "https://web.archive.org/web/20120611024252/http://www.example.test/news/2012-06/04/content_1.htm"
    assert infer_metadata("x", "", url=url)["published"] == "2012-06-04"
    assert "published" not in infer_metadata("x", "", url="https://web.archive.org/web/20120611024252/http://example.test/a.htm")


def expected_dates() -> dict[str, str]:
    """Pages whose date is known: *.expect.json `date`, newspaper4k's metadata `publish_date`."""
    found = {}
    for expect in REALWORLD.glob("*/*.expect.json"):
        date = json.loads(expect.read_text(encoding="utf-8")).get("date")
        if date:
            found[str(expect.relative_to(REALWORLD)).replace(".expect.json", ".html")] = date
    for meta in REALWORLD.glob("newspaper4k/*.metadata.json"):
        date = json.loads(meta.read_text(encoding="utf-8")).get("publish_date")
        if date:
            found[str(meta.relative_to(REALWORLD)).replace(".metadata.json", ".html")] = date[:10]
    return found


URLS = {entry["path"]: entry.get("url") for entry in json.loads((REALWORLD / "index.json").read_text(encoding="utf-8"))["files"]}


@pytest.mark.parametrize(("path", "date"), sorted(expected_dates().items()))
def test_real_pages_give_their_known_date(path: str, date: str) -> None:
    assert built(path, URLS.get(path))[2] == date


@pytest.mark.parametrize(("number", "date"), [(1, "2015-05-21"), (2, "2015-06-19"), (10, "2015-07-02"), (20, "2015-07-03")])
def test_netease_pages_give_the_date_of_their_info_bar(number: int, date: str) -> None:
    assert built(f"gbk-originals/{number}.html")[2] == date


# ---------------------------------------------------------------- subject


def test_a_category_bar_is_no_subject() -> None:
    items = '<li><a href="/c/1">甲类</a></li><li><a href="/c/2">乙类</a></li>'
    bar = f'<div id="cats"><a href="/wiki/Special:Categories">分类</a>：<ul>{items}</ul></div>'
    table = "<table><tr><td>主题分类：</td><td>综合政务</td></tr></table>"
    html = f"<html><head><title>示范页</title></head><body><h1>示范页</h1><p>{'正文内容。' * 40}</p>{table}{bar}</body></html>"
    assert extract_html(html).metadata.get("subject") == "综合政务"
    assert "subject" not in extract_html(html.replace(table, "")).metadata
    assert "subject" not in built("magic/article-06586406af5a.html")[1]
