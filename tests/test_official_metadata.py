"""Metadata of official documents under standard names: disclosure tables, <meta> tags, the 公文's
版头/主送机关/成文日期 (GB/T 9704-2012), on generated documents and on the real ones in
../shared/realworld (expected values written by reading each file)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from official_docs import (
    DOCX_GONGWEN,
    LAYOUTS,
    PAGE_BODY,
    PAGE_FIELDS,
    PAGE_TITLE,
    PDF_GONGWEN,
    Gongwen,
    disclosure_page,
    gongwen_docx,
    gongwen_pdf,
)
from support import SHARED

from cleaners.dates import is_date_line, iso_date
from cleaners.document import Document, Fetched
from cleaners.metadata import infer_metadata, standard_metadata
from cleaners.official import (
    addressee,
    document_number,
    head_title,
    issuer_mark,
    official_fields,
    title_issuer,
)
from cleaners.pipeline import (
    READERS,
    build_document,
    clean_title,
    sniff_source_type,
    with_official_fields,
)
from cleaners.steps import clean_text

REALWORLD = SHARED / "realworld"
OFFICIAL = ("issuer", "document_number", "written_date", "addressee", "index_number", "subject", "signer")


def fetched(body: bytes, content_type: str = "application/octet-stream", url: str = "http://example.test/a") -> Fetched:
    return Fetched(url, url, 200, {"content-type": content_type}, body, datetime.now(UTC).isoformat())


def metadata_of(path: str, url: str = "http://example.test/doc") -> tuple[str | None, dict[str, Any]]:
    """Title and metadata of a realworld file as build_document makes them, without its filters
    (most of these files are too short to pass as reports)."""
    item = fetched((REALWORLD / path).read_bytes(), "text/html" if path.endswith(".html") else "application/octet-stream", url)
    page = with_official_fields(READERS[sniff_source_type(item)](item))
    title = clean_title(page.title)
    metadata = standard_metadata(page.metadata)
    text = clean_text(page.text, source_type=page.source_type, title=title)
    return title, {**metadata, **infer_metadata(title, text, metadata, url)}


# ---------------------------------------------------------------- the parts, one by one


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024年1月5日", "2024-01-05"),
        ("成文日期：2024-01-05 09:30", "2024-01-05"),
        ("2024/1/5", "2024-01-05"),
        ("２０２４年１２月３１日", "2024-12-31"),
        ("二〇二四年一月五日", "2024-01-05"),
        ("二○二三年十二月三十一日", "2023-12-31"),
        ("二零二四年元月二十日", "2024-01-20"),
        ("二〇二四年二月廿九日", "2024-02-29"),
        ("2007-08-20-23:59:59", "2007-08-20"),
        ("2024年2月30日", None),
        ("2024年3月", None),
        ("二〇二四年十三月一日", None),
        ("第12345号", None),
    ],
)
def test_dates_become_iso(text: str, iso: str | None) -> None:
    assert iso_date(text) == iso


def test_a_date_line_is_a_date_and_nothing_else() -> None:
    assert is_date_line("2024年1月5日") and is_date_line(" 二〇二四年一月五日 ")
    assert not is_date_line("2024年1月5日印发") and not is_date_line("截至2024年1月5日，全县")


@pytest.mark.parametrize(
    ("line", "canonical"),
    [
        ("路卫发〔2011〕76号", "路卫发〔2011〕76号"),
        ("临翔发改复[2018]172号", "临翔发改复〔2018〕172号"),
        ("示政办发（2024）3号", "示政办发〔2024〕3号"),
        ("国发［2024］第05号", "国发〔2024〕5号"),
        ("京政发〔2024〕12号　　签发人：张三", "京政发〔2024〕12号"),
        ("你院《关于给张阿三同志辞职的请示》（路中医发〔2011〕10号）收悉。", None),
        ("2024年12号", None),
    ],
)
def test_document_numbers_take_the_form_of_gb_t_9704(line: str, canonical: str | None) -> None:
    assert document_number(line) == canonical


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("各乡镇人民政府，县政府各部门：", "各乡镇人民政府，县政府各部门"),
        ("各街道办事处，区政府各委、办、局：", "各街道办事处，区政府各委、办、局"),
        ("国务院各部委、各直属机构:", "国务院各部委、各直属机构"),
        ("区中医院：", "区中医院"),
        ("各位代表：", None),
        ("女士们、先生们：", None),
        ("现将有关事项通知如下：", None),
        ("各乡镇人民政府，县政府各部门：现将有关事项通知如下。", None),
    ],
)
def test_an_addressee_is_a_list_of_organs_ending_in_a_colon(line: str, names: str | None) -> None:
    assert addressee(line) == names


def test_issuer_marks_and_titles_name_organs() -> None:
    assert issuer_mark("示范县人民政府文件") == "示范县人民政府"
    assert issuer_mark("中共示范县委员会　示范县人民政府文件") == "中共示范县委员会、示范县人民政府"
    assert issuer_mark("关于印发的文件") is None and issuer_mark("有关文件") is None
    assert title_issuer("国务院关于印发2024年重点工作的通知") == "国务院"
    assert title_issuer("关于2023年度工作的报告") is None and title_issuer("2023年示范区关于工作的报告") is None


def test_head_and_tail_of_a_gongwen() -> None:
    lines = [
        "示范区人民政府文件", "示政发〔2024〕12号\u3000\u3000签发人：王五", "示范区人民政府关于", "做好春季农业生产工作的通知",
        "各街道办事处：", "现将有关事项通知如下。请认真贯彻落实。", "附件：工作任务分工", "示范区人民政府",
        "二〇二四年一月五日", "（此件公开发布）", "附件", "2023年12月20日", "抄送：区委办公室。",
    ]
    text = "\n".join(lines)
    assert official_fields(text) == {
        "issuer": "示范区人民政府", "document_number": "示政发〔2024〕12号", "signer": "王五",
        "addressee": "各街道办事处", "written_date": "2024-01-05",
    }
    assert head_title(text) == "示范区人民政府关于做好春季农业生产工作的通知"


def test_a_date_in_the_colophon_or_the_body_is_no_written_date() -> None:
    body = "区中医院：\n你院请示收悉。经研究，同意。\n抄送：区卫生局。\n示范区卫生局办公室  2024年1月5日印发"
    assert "written_date" not in official_fields(body)
    assert "written_date" not in official_fields("2024年6月24日\n新闻发言人武平\n女士们、先生们：\n很高兴又一次和大家见面。")


def test_a_caption_gives_the_date_a_resolution_was_adopted() -> None:
    text = "关于某事项的决议\n（2024年3月11日第十四届全国人民代表大会第二次会议通过）\n会议决定，批准该事项。"
    assert official_fields(text, "全国人民代表大会关于某事项的决议") == {
        "written_date": "2024-03-11", "issuer": "全国人民代表大会",
    }


def test_placeholders_and_dates_in_labelled_fields() -> None:
    standard = standard_metadata({
        "document_number": "无", "written_date": "二〇二四年一月五日", "published": "2024-1-7", "index_number": "001 / 2024-1",
        "subject": " 综合政务 ", "tables": [["a"]], "pages": "0",
    })
    assert standard == {
        "written_date": "2024-01-05", "published": "2024-01-07", "index_number": "001/2024-1", "subject": "综合政务",
        "tables": [["a"]], "pages": "0",
    }


# ---------------------------------------------------------------- generated documents


@pytest.mark.parametrize(("make", "gongwen"), [(gongwen_docx, DOCX_GONGWEN), (gongwen_pdf, PDF_GONGWEN)], ids=["docx", "pdf"])
def test_generated_gongwen(make: Any, gongwen: Gongwen) -> None:
    document = build_document(fetched(make(gongwen)))
    assert document.title == gongwen.title  # not the 发文机关标志, which is larger
    assert {field: document.metadata.get(field) for field in ("issuer", "document_number", "addressee", "written_date")} == {
        "issuer": gongwen.issuer,
        "document_number": gongwen.canonical_number,
        "addressee": gongwen.addressee,
        "written_date": gongwen.written_date,  # the 成文日期, not the attachment's date nor the 印发 date
    }
    lines = document.text.split("\n")
    assert lines[0] == gongwen.addressee + "：" and gongwen.number not in lines and gongwen.date in lines


@pytest.mark.parametrize("layout", LAYOUTS)
def test_disclosure_table_in_every_layout(layout: str) -> None:
    url = "http://example.test/art/2024/2/9/art_1_2.html"  # a URL date that loses to the page's own
    document = build_document(fetched(disclosure_page(layout).encode("utf-8"), "text/html", url))
    assert document.title == PAGE_TITLE
    assert {field: document.metadata.get(field) for field in PAGE_FIELDS} == PAGE_FIELDS
    assert document.published == PAGE_FIELDS["published"]
    assert document.metadata["publisher"] == "示范县人民政府门户网站"  # the site (SiteName), not the issuer
    assert document.metadata["addressee"] == "各乡镇人民政府，县政府各部门"
    assert document.text == "\n".join(PAGE_BODY)
    for label in ("索引号", "主题分类", "发布机构", "成文日期", "发文字号", "二〇二四"):
        assert label not in document.text


def test_an_attachment_keeps_its_own_head_and_takes_the_rest_from_its_page() -> None:
    page = fetched(disclosure_page("table").encode("utf-8"), "text/html", "http://example.test/art/1.html")
    document = build_document(fetched(gongwen_docx()), parent=page)
    assert document.metadata["document_number"] == DOCX_GONGWEN.canonical_number  # its own, not the page's
    assert document.metadata["issuer"] == DOCX_GONGWEN.issuer and document.metadata["written_date"] == "2024-01-05"
    assert document.metadata["index_number"] == PAGE_FIELDS["index_number"]  # what it lacks
    assert document.metadata["publisher"] == "示范县人民政府门户网站"


# ---------------------------------------------------------------- real pages and documents

REAL = {
    # 国务院公报: a 决议 whose title opens with the issuing organ, with its 题注 (…会议通过).
    "gne/other-1.html": {"issuer": "全国人民代表大会常务委员会", "written_date": "2007-06-29", "published": "2007-08-20"},
    # News pages of government sites: site name and date from the page tags, source from the info line.
    "gne/shanxi-1.html": {"publisher": "山西省人民政府门户网站", "published": "2019-09-18", "source": "山西日报"},
    "gne/gzggw-1.html": {"publisher": "浙江省发展和改革委员会", "published": "2016-11-22", "source": "省发改委"},
    "gne/cmse-1.html": {"published": "2012-06-24"},
    # A red-header 公文.
    "documents/ofdrw-n.ofd": {
        "issuer": "测试符路桥区卫生局", "document_number": "路卫发〔2011〕76号", "addressee": "区中医院", "written_date": "2011-03-10",
    },
    # A 函 without 版头; its issuer is only in the seal, an image.
    "documents/ofdrw-testPathFillOpacity.ofd": {"addressee": "蚌山区政府", "written_date": "2023-07-12"},
    # A processing slip: its 来文文号/来文单位 describe another document, so nothing here.
    "documents/ofdrw-signout.ofd": {},
    # Bulletins: issuing bureau(s) and date set under the title.
    "documents/statbulletin-2023-zhoukou.pdf": {"issuer": "周口市统计局", "written_date": "2024-04-29"},
    "documents/statbulletin-2023-qiandongnan.pdf": {"issuer": "黔东南州统计局", "written_date": "2024-05-07"},
    "documents/statbulletin-luoyang-2023-mislabelled.docx": {
        "issuer": "黔东南州统计局、国家统计局黔东南调查队", "written_date": "2017-03-16",
    },
    # Speeches (政府工作报告): no 版头, no 主送机关 (各位代表： is a salutation), no 成文日期 line.
    "documents/national-report-2017.docx": {},
    "documents/national-report-2019.docx": {},
    "documents/province-2025-guangdong.docx": {},
    "documents/province-2025-henan.docx": {},
}
PAGE_DATA = ("publisher", "published", "source")


@pytest.mark.parametrize("path", sorted(REAL))
def test_realworld_metadata(path: str) -> None:
    """Every official field found is expected (none made up); the page fields expected are found."""
    expected = REAL[path]
    _, metadata = metadata_of(path)
    found = {field: metadata[field] for field in OFFICIAL if field in metadata}
    found |= {field: metadata.get(field) for field in PAGE_DATA if field in expected}
    assert found == expected


def test_realworld_report_goes_through_the_whole_pipeline() -> None:
    url = "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml"
    document: Document = build_document(fetched((REALWORLD / "gne" / "shanxi-1.html").read_bytes(), "text/html", url))
    assert document.published == "2019-09-18" and document.metadata["publisher"] == "山西省人民政府门户网站"
    assert not set(OFFICIAL) & set(document.metadata)
