"""The two real statistical bulletins in ../shared/realworld/documents read in order, checked by reading them.

周口 (13 pages): title in a larger font, tables between paragraphs, page numbers `- N -`.
黔东南 (21 pages): the printed title is an image (only the Title metadata names it), tables,
footnote marks [2], page numbers `— N —` at the right.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

import pytest
from support import SHARED

from cleaners.document import Fetched
from cleaners.layout import is_page_number
from cleaners.ocr_options import OcrOptions
from cleaners.pdf import PdfText, extract_pdf
from cleaners.pipeline import build_document
from cleaners.steps import clean_text

DOCUMENTS = SHARED / "realworld" / "documents"
ZHOUKOU = "statbulletin-2023-zhoukou.pdf"
QIANDONGNAN = "statbulletin-2023-qiandongnan.pdf"


@cache
def read(name: str) -> PdfText:
    return extract_pdf((DOCUMENTS / name).read_bytes())


def body(name: str) -> list[str]:
    pdf = read(name)
    return clean_text(pdf.text, source_type="pdf", title=pdf.title).split("\n")


def one_line_holds(lines: list[str], sentence: str) -> bool:
    return any(sentence in line for line in lines)


def test_zhoukou_title_comes_from_the_largest_text() -> None:
    assert read(ZHOUKOU).title == "2023年周口市国民经济和社会发展统计公报"
    assert read(ZHOUKOU).pages == 13


def test_qiandongnan_title_is_its_heading_image_recognised_not_the_place_in_its_metadata() -> None:
    assert read(QIANDONGNAN).title == "黔东南苗族侗族自治州2023年国民经济和社会发展统计公报"  # Title metadata: 黔东南苗族侗族自治州
    assert read(QIANDONGNAN).title_from_ocr
    without_ocr = extract_pdf((DOCUMENTS / QIANDONGNAN).read_bytes(), OcrOptions(enabled=False))
    assert without_ocr.title is None and not without_ocr.title_from_ocr


@pytest.mark.parametrize(
    ("name", "opening"),
    [
        (
            ZHOUKOU,
            ["周口市统计局", "2024年4月29日", "2023年，面对国内外复杂形势，在市委市政府的坚强领导下，全市上下以深入开展主题教育强动力"],
        ),
        (QIANDONGNAN, ["黔东南州统计局", "2024年5月7日", "2023年，在省委省政府和州委州政府的坚强领导下，全州上下深入贯彻党的二十大精神"]),
    ],
)
def test_the_text_opens_in_reading_order(name: str, opening: list[str]) -> None:
    lines = body(name)
    assert lines[:2] == opening[:2]
    assert lines[2].startswith(opening[2])


ZHOUKOU_SENTENCES = [
    "坚持稳字当头、稳中求进工作总基调，锚定“两个确保”，加快实施“十大战略”三年行动计划",
    "初步核算，全年全市地区生产总值同比增长4.8%。分产业看，第一产业增加值增长2.0%，第二产业增加值增长6.0%",
    "全年全市居民消费价格（CPI）涨幅与上年持平。其中，城市下降0.1%，农村上涨0.1%。",
    "禽蛋产量49.48万吨，下降2.0%；牛奶产量4.32万吨，增长10.9%。",  # across the break of pages 3 and 4
    "在规模以上工业中，重工业增加值增长11.2%，轻工业增加值增长0.2%，六大支柱产业增加值增长7.2%。",  # pages 4 and 5
]
QIANDONGNAN_SENTENCES = [
    "围绕“四新”主攻“四化”，着力扬优势强产业、补短板惠民生、防风险保稳定，加快推进“桥头堡”建设",
    "全年全州生产总值[2]1329.65亿元，比上年增长4.0%，两年平均增长3.1%。",
    "全年食用菌收获面积2.59万亩，比上年下降23.7%；食用菌产量4.25万吨",  # across the break of pages 3 and 4
    "其中：出口90065万元，进口46万元。实际利用外资金额60万美元，比上年下降94.2%。",  # pages 11 and 12
    "全州有风景名胜区10个，总面积20.43万公顷，占全州国土面积6.8",  # pages 16 and 17
]


@pytest.mark.parametrize(
    ("name", "sentence"),
    [(ZHOUKOU, s) for s in ZHOUKOU_SENTENCES] + [(QIANDONGNAN, s) for s in QIANDONGNAN_SENTENCES],
)
def test_sentences_are_intact_on_one_line_also_across_page_breaks(name: str, sentence: str) -> None:
    assert one_line_holds(body(name), sentence)


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        # 指　标, 鲜　菜: a row label spread over the stub column is one cell (cleaners.pdf_layout.join_spread_stub)
        (ZHOUKOU, ["指标\t年末数（万人）\t比重（%）", "其中：城镇\t392.66\t45.31", "#粮食\t101.9", "鲜菜\t91.9"]),
        (QIANDONGNAN, ["全州总户籍人口\t4899310\t100.0", "#城镇\t1654272\t33.8", "乡村\t3245038\t66.2"]),
    ],
)
def test_table_rows_are_one_line_each_with_cells_in_order(name: str, rows: list[str]) -> None:
    lines = read(name).text.split("\n")
    found = [lines.index(row) for row in rows]
    assert found == sorted(found)


@pytest.mark.parametrize("name", [ZHOUKOU, QIANDONGNAN])
def test_no_page_number_or_running_line_is_left(name: str) -> None:
    lines = read(name).text.split("\n")
    assert not [line for line in lines if is_page_number(line)]
    assert not [line for line in lines if re.fullmatch(r"[-—–\s]*\d+[-—–\s]*", line)]


@pytest.mark.parametrize(
    ("name", "headings"),
    [
        (ZHOUKOU, ["一、综合", "二、农业", "三、工业和建筑业", "四、固定资产投资", "十、人民生活和社会保障", "注释："]),
        (QIANDONGNAN, ["一、综合", "三、工业和建筑业", "七、财政和金融", "十一、卫生和社会服务", "注释：", "资料来源："]),
    ],
)
def test_headings_are_lines_of_their_own_in_document_order(name: str, headings: list[str]) -> None:
    lines = body(name)
    found = [lines.index(heading) for heading in headings]
    assert found == sorted(found)


def test_the_whole_pipeline_gives_title_type_and_region() -> None:
    data = (DOCUMENTS / ZHOUKOU).read_bytes()
    document = build_document(
        Fetched(
            url="http://example.test/zhoukou.pdf",
            final_url="http://example.test/zhoukou.pdf",
            status=200,
            headers={"content-type": "application/pdf"},
            body=data,
            fetched_at=datetime.now(UTC).isoformat(),
        )
    )
    assert document.title == "2023年周口市国民经济和社会发展统计公报"
    assert document.metadata["doc_type"] == "国民经济和社会发展统计公报"
    assert document.metadata["region"] == "周口市"
    assert document.metadata["year"] == 2023
    assert document.text.startswith("周口市统计局\n2024年4月29日\n2023年，面对国内外复杂形势")
