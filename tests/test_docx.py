"""DOCX: accepted text (tracked changes, content controls, fields, smart tags), tables as TAB rows
and `metadata.tables`, no page furniture removal, and the real reports in ../shared/realworld."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import docx
import pytest
from office_docs import (
    ACCEPTED,
    BETWEEN,
    CLOSING,
    CONTROL_TEXT,
    DELETED,
    FIELD_INSTRUCTION,
    FIELD_RESULT,
    HIDDEN,
    LAYOUT_TEXT,
    SMART_TAG_TEXT,
    TABLE,
    TITLE,
    elements,
    features_docx,
    run,
)
from support import SHARED

from cleaners.document import Document, Fetched, Rejected
from cleaners.docx import extract_docx
from cleaners.pipeline import build_document

DOCUMENTS = SHARED / "realworld" / "documents"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def fetched(body: bytes, content_type: str | None = "application/octet-stream", url: str = "http://example.test/a.docx") -> Fetched:
    headers = {"content-type": content_type} if content_type else {}
    return Fetched(url, url, 200, headers, body, datetime.now(UTC).isoformat())


@pytest.fixture(scope="module")
def features() -> Document:
    return build_document(fetched(features_docx()))


def test_tracked_changes_are_accepted(features: Document) -> None:
    assert ACCEPTED in features.text.split("\n")
    assert DELETED not in features.text


def test_fields_keep_their_result_smart_tags_and_content_controls_their_text(features: Document) -> None:
    assert f"详见{FIELD_RESULT}{SMART_TAG_TEXT}的专题页面。" in features.text.split("\n")
    assert FIELD_INSTRUCTION not in features.text and "example.cn" not in features.text
    assert CONTROL_TEXT in features.text.split("\n")


def test_hidden_text_is_not_read(features: Document) -> None:
    assert HIDDEN not in features.text


def test_table_rows_are_tab_separated_lines_where_the_table_stood(features: Document) -> None:
    lines = features.text.split("\n")
    rows = ["\t".join(row) for row in TABLE]
    at = lines.index(rows[0])
    assert lines[at : at + len(rows)] == rows
    assert lines[at - 1] == CONTROL_TEXT and lines[at + len(rows)] == "备注\t甲乙\t无"  # nested table flattened
    assert lines[at + len(rows) + 1] == BETWEEN


def test_numbers_alone_in_cells_survive(features: Document) -> None:
    """A DOCX has no page numbers in its body: 页码 | 12 | 7 is a table row, not furniture."""
    assert "页码\t12\t7" in features.text.split("\n")


def test_tables_flow_into_metadata(features: Document) -> None:
    assert features.metadata["tables"] == [[*TABLE, ["备注", "甲乙", "无"]]]
    assert features.to_dict()["metadata"]["tables"][0][1] == ["地区生产总值", "1234.5", "5.2"]


def test_a_one_cell_layout_table_is_read_as_paragraphs(features: Document) -> None:
    lines = features.text.split("\n")
    assert lines[-2:] == [LAYOUT_TEXT, CLOSING]
    assert all(LAYOUT_TEXT not in row for table in features.metadata["tables"] for r in table for row in r)


def test_title_and_source_type(features: Document) -> None:
    assert features.title == TITLE and features.source_type == "docx"
    assert not features.text.startswith(TITLE)


def docx_with(body_xml: str) -> bytes:
    document = docx.Document()
    document.add_paragraph("2024年，全区经济运行总体平稳，稳中有进，各项工作取得新成效。")
    document.element.body.insert(1, elements(body_xml)[0])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_deleted_paragraph_mark_joins_the_paragraphs() -> None:
    data = docx_with(
        '<w:p><w:pPr><w:rPr><w:del w:id="9" w:author="a" w:date="2024-01-01T00:00:00Z"/></w:rPr></w:pPr>'
        + run("上半段，")
        + "</w:p>"
    )
    document = docx.Document(io.BytesIO(data))
    document.element.body.insert(2, elements(f"<w:p>{run('下半段。')}</w:p>")[0])
    buffer = io.BytesIO()
    document.save(buffer)
    assert "上半段，下半段。" in extract_docx(buffer.getvalue()).text.split("\n")


def test_moved_text_is_read_once_at_its_destination() -> None:
    data = docx_with(
        '<w:p><w:moveFrom w:id="3" w:author="a" w:date="2024-01-01T00:00:00Z">'
        + run("挪走的句子。")
        + "</w:moveFrom>"
        + run("留下的句子。")
        + '<w:moveTo w:id="4" w:author="a" w:date="2024-01-01T00:00:00Z">'
        + run("挪走的句子。")
        + "</w:moveTo></w:p>"
    )
    assert "留下的句子。挪走的句子。" in extract_docx(data).text.split("\n")


def test_a_broken_docx_is_unreadable_and_an_empty_one_has_no_text() -> None:
    with pytest.raises(Rejected) as caught:
        extract_docx(b"PK\x03\x04" + b"word/" + bytes(200))
    assert caught.value.reason == "unreadable"
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(Rejected) as caught:
        extract_docx(buffer.getvalue())
    assert caught.value.reason == "no_text"


def test_the_tracked_changes_case_reads_with_changes_accepted() -> None:
    data = (SHARED / "cases" / "docx-tracked-changes" / "summary.docx").read_bytes()
    built = build_document(fetched(data, DOCX_TYPE))
    assert "奋力完成年度各项目标任务。" in built.text and "努力完成" not in built.text
    assert "群众满意度达到百分之百" not in built.text
    assert any(line.startswith("（三）营商环境建设持续深化。") for line in built.text.split("\n"))


# ---------------------------------------------------------------- real documents
# (file, title, source, lines that must each be one whole line of the cleaned text)
REAL = [
    ("national-report-2016.docx", None, None, ["各位代表：", "一、2015年工作回顾"]),
    (
        "national-report-2017.docx",
        "政府工作报告",
        None,
        ["——2017年3月5日在第十二届全国人民代表大会第五次会议上", "国务院总理李克强", "各位代表："],
    ),
    ("national-report-2018.docx", None, None, ["一、过去五年工作回顾"]),
    (
        "national-report-2019.docx",
        "政府工作报告",
        None,
        ["——2019年3月5日在第十三届全国人民代表大会第二次会议上", "国务院总理李克强"],
    ),
    ("province-2025-beijing.docx", "2025年北京市政府工作报告", "北京日报", ["各位代表："]),
    ("province-2025-guangdong.docx", "2025年广东省政府工作报告", "南方日报", ["广东省省长王伟中"]),
    ("province-2025-heilongjiang.docx", "2025年黑龙江省政府工作报告", "黑龙江新闻网", ["省长梁惠玲"]),
    ("province-2025-henan.docx", "2025年河南省政府工作报告", None, ["各位代表："]),
    ("province-2025-shanghai.docx", "2025年上海市政府工作报告", "解放日报", ["各位代表："]),
    ("province-2025-sichuan.docx", "2025年四川省政府工作报告", "四川日报", ["四川省人民政府省长施小琳"]),
    ("province-2025-xizang.docx", "2025年西藏政府工作报告", "西藏日报", ["西藏自治区代理主席嘎玛泽登"]),
    ("province-2025-zhejiang.docx", "2025年浙江省政府工作报告", "浙江日报", ["各位代表："]),
    (
        "statbulletin-luoyang-2023-mislabelled.docx",
        "黔东南苗族侗族自治州2016年国民经济和社会发展统计公报",
        None,
        ["黔东南州统计局国家统计局黔东南调查队", "2017年3月16日", "一、综合"],
    ),
]
# Paragraphs (their openings) that must stand whole on one line, one per document.
OPENINGS = {
    "national-report-2016.docx": "过去一年，我国发展面临多重困难和严峻挑战。",
    "national-report-2017.docx": "现在，我代表国务院，向大会报告政府工作，请予审议，并请全国政协各位委员提出意见。",
    "national-report-2018.docx": "五年来，经济实力跃上新台阶。国内生产总值从54万亿元增加到82.7万亿元",
    "national-report-2019.docx": "现在，我代表国务院，向大会报告政府工作，请予审议，并请全国政协委员提出意见。",
    "province-2025-beijing.docx": "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。",
    "province-2025-guangdong.docx": "现在，我代表省人民政府，向大会报告工作，请予审议，并请各位政协委员和其他列席人员提出意见。",
    "province-2025-heilongjiang.docx": "（四）加快发展现代化大农业。坚持把农业科技摆在更加突出位置",
    "province-2025-henan.docx": "实施粮食产能提升工程。扛牢粮食安全重任，严守耕地红线",
    "province-2025-shanghai.docx": "全力稳外贸稳外资。深化内外贸一体化试点",
    "province-2025-sichuan.docx": "促进教育优质均衡发展。落实立德树人根本任务",
    "province-2025-xizang.docx": "着力强化政策支持。统筹中央及自治区各项政策措施",
    "province-2025-zhejiang.docx": "推进长三角高质量一体化发展。加强省际基础设施“硬联通、软衔接”",
    "statbulletin-luoyang-2023-mislabelled.docx": "初步核算，全年地区生产总值939.05亿元，比上年增长13.3%，增速位居全省第一。",
}


@pytest.mark.parametrize(("name", "title", "source", "whole_lines"), REAL, ids=[r[0] for r in REAL])
def test_real_docx_reports(name: str, title: str | None, source: str | None, whole_lines: list[str]) -> None:
    built = build_document(fetched((DOCUMENTS / name).read_bytes(), url=f"http://example.test/{name}"))
    lines = built.text.split("\n")
    assert built.title == title
    assert built.metadata.get("source") == source
    assert not any(line.startswith("来源") for line in lines[:5])
    if title:
        assert lines[0] != title
    for line in whole_lines:
        assert line in lines, line
    assert any(line.startswith(OPENINGS[name]) and line.endswith("。") for line in lines)
    assert len(built.text) > 9000


def test_real_statistics_bulletin_tables() -> None:
    name = "statbulletin-luoyang-2023-mislabelled.docx"
    built = build_document(fetched((DOCUMENTS / name).read_bytes()))
    lines = built.text.split("\n")
    assert "粮食\t1223474\t1.8" in lines
    assert "木材采伐\t万立方米\t135.23\t28.2" in lines
    assert lines.count("单位\t产量\t比上年增长（%）") == 3  # the same head row over three tables stays
    tables = built.metadata["tables"]
    assert len(tables) == 11
    assert ["居民消费价格总指数", "1.5"] in tables[0]
    at = lines.index("粮食\t1223474\t1.8")
    assert lines[at - 1] == "产量（吨）\t比上年增长（%）"  # the empty corner cell trimmed at the line's edge
