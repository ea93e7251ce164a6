"""Checks on the text a reader produced, for every source type: mojibake, and the source line of a reprint."""

from __future__ import annotations

import html
import io

import docx
import pytest
from support import SHARED

from cleaners.boilerplate import attribution_source, split_attribution
from cleaners.document import Fetched, Rejected
from cleaners.encoding import repair_extracted_text, repair_reference_mojibake
from cleaners.layout import SOFT_BREAK
from cleaners.pipeline import build_document

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def fetched(body: bytes, content_type: str = "text/html; charset=utf-8") -> Fetched:
    url = "http://www.example.gov.cn/zwgk/t20240202_1.html"
    return Fetched(url, url, 200, {"content-type": content_type}, body, "2024-01-01T00:00:00Z")


def ncr(text: str, encoding: str) -> str:
    """`text` as numeric character references of its bytes in `encoding`, read as Latin-1."""
    return "".join(f"&#{byte};" for byte in text.encode(encoding))


def html_page(paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    head = '<head><meta charset="utf-8"><title>新华路街道2023年工作总结</title></head>'
    return f'<html>{head}<body><div class="TRS_Editor">{body}</div></body></html>'.encode()


def docx_bytes(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_character_references_of_misread_bytes_are_repaired(encoding: str) -> None:
    page = html_page([REPORT[3], ncr(REPORT[4], encoding), REPORT[5]])
    document = build_document(fetched(page))
    assert document.text.split("\n") == REPORT[3:6]


def test_byte_references_are_repaired_only_into_chinese() -> None:
    gbk = ncr("经济运行2023年，", "gbk")  # the digits too, as &#50;&#48;…: ASCII, left as they are
    assert html.unescape(repair_reference_mojibake(f"<p>{gbk}</p>")) == "<p>经济运行2023年，</p>"
    untouched = "<p>&#169;&#174; 2024 &#233;t&#233; &#x4e2d;&#25991; &amp;&#60;</p>"  # ©®, été, 中文 as it should be written
    assert repair_reference_mojibake(untouched) == untouched


def test_mojibake_that_no_misreading_explains_is_rejected() -> None:
    garbage = "".join(chr(0xC0 + (i * 7) % 60) for i in range(400))
    with pytest.raises(Rejected) as caught:
        build_document(fetched(html_page([REPORT[3], garbage])))
    assert caught.value.reason == "mojibake"


def test_docx_text_is_checked_too() -> None:
    garbled = [line.encode("gbk").decode("latin-1") for line in REPORT[3:8]]
    document = build_document(fetched(docx_bytes(garbled), DOCX_TYPE))
    assert document.source_type == "docx"
    assert document.text.split("\n") == REPORT[3:8]


def test_clean_text_and_legitimate_latin1_are_left_alone() -> None:
    text = "\n".join(REPORT[3:6]) + "\n气温25°C，面积3×4米，Café与naïve的拼写。"
    assert repair_extracted_text(text) == text
    assert repair_extracted_text("") == ""


def test_source_lines_become_metadata() -> None:
    assert attribution_source("来源：解放日报") == "解放日报"
    assert attribution_source("来源 : 南方日报") == "南方日报"
    assert attribution_source("（来源：人民日报）") == "人民日报"
    assert attribution_source("文章来源：区政府办公室　发布时间：2024-01-01") == "区政府办公室"
    assert attribution_source("转载自：长宁区人民政府网") == "长宁区人民政府网"
    assert attribution_source("转自区政府门户网站，全文如下：") is None  # a sentence, not a source
    assert attribution_source("资金来源：区财政预算安排") is None
    assert split_attribution(f"标题\n来源：北京日报\n{REPORT[3]}") == (f"标题\n{REPORT[3]}", "北京日报")
    assert split_attribution(f"来源：新华社{SOFT_BREAK}{REPORT[3]}") == (REPORT[3], "新华社")
    body = f"{REPORT[3]}\n来源：新华社"  # not at the head: body, left to the edge rules
    assert split_attribution(body) == (body, None)


def test_a_reprint_source_line_goes_to_metadata_for_every_source_type() -> None:
    paragraphs = ["新华路街道2023年工作总结", "来源：解放日报", *REPORT[3:8]]
    built = build_document(fetched(docx_bytes(paragraphs), DOCX_TYPE))
    assert built.metadata["source"] == "解放日报"
    assert built.text.split("\n") == REPORT[3:8]

    page = html_page(["来源：解放日报", *REPORT[3:8]])
    built = build_document(fetched(page))
    assert built.metadata["source"] == "解放日报" and "来源" not in built.text


def test_the_real_provincial_reprints_name_their_newspaper() -> None:
    path = SHARED / "realworld" / "documents" / "province-2025-beijing.docx"
    built = build_document(fetched(path.read_bytes(), DOCX_TYPE))
    assert built.metadata["source"] == "北京日报"
    assert "来源" not in built.text.split("\n", 3)[0]
