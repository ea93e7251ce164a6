"""Radicals and compatibility ideographs that PDF fonts emit become ordinary characters, and only they.

TEXT_SPEC rule 4 stands (NFC, no NFKC): the fold touches four blocks, one character at a time.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from pdf_builder import HEIGHT, WIDTH, Text, flow, handmade
from support import SHARED

from cleaners.document import Fetched
from cleaners.normalize import fold_compatibility_ideographs, radical_equivalents
from cleaners.pdf import extract_pdf
from cleaners.pipeline import build_document, clean_title
from cleaners.steps import clean_text

GOLD = (SHARED / "gold" / "002.txt").read_text(encoding="utf-8").splitlines()
KANGXI = [chr(code) for code in range(0x2F00, 0x2FD6)]
RADICALS_SUPPLEMENT = [chr(code) for code in range(0x2E80, 0x2EF4) if unicodedata.name(chr(code), "")]
UNIFIED = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
# What a PDF font's ToUnicode map said instead of the ordinary characters, as on real reports.
PDF_FONT_SAYS = {"工": "⼯", "人": "⼈", "大": "⼤", "长": "⻓", "见": "⻅", "门": "⻔", "一": "⼀", "月": "⽉", "日": "⽇"}


def test_every_kangxi_radical_becomes_the_unified_ideograph_nfkc_names() -> None:
    for radical in KANGXI:
        folded = fold_compatibility_ideographs(radical)
        assert folded == unicodedata.normalize("NFKC", radical) and UNIFIED.fullmatch(folded), radical


def test_radicals_supplement_follow_the_unicode_equivalent_unified_ideograph_data() -> None:
    table = radical_equivalents()
    assert len(table) == 114  # EquivalentUnifiedIdeograph.txt (Unicode 15.0) lists U+2E81–U+2EF3
    assert fold_compatibility_ideographs("区⻓意⻅⻔") == "区长意见门"
    assert fold_compatibility_ideographs("⺟⻳") == unicodedata.normalize("NFKC", "⺟⻳") == "母龟"
    for radical in RADICALS_SUPPLEMENT:
        folded = fold_compatibility_ideographs(radical)
        assert folded == table.get(radical, radical)
        assert radical == "\u2e80" or UNIFIED.fullmatch(folded), radical  # U+2E80 has no equivalent


def test_compatibility_ideographs_become_their_canonical_ideographs() -> None:
    assert fold_compatibility_ideographs("\uf900\uf9dc\U0002f800") == "\u8c48\u9686\u4e3d"
    unified_in_compatibility_block = "\ufa0e\ufa0f\ufa11\ufa13\ufa14\ufa1f\ufa21\ufa23\ufa24\ufa27\ufa28\ufa29"
    assert fold_compatibility_ideographs(unified_in_compatibility_block) == unified_in_compatibility_block


def test_nothing_else_of_nfkc_is_applied() -> None:
    others = "，：（）①㈠ｱ²ﬁ™㎡\u3000Ａ１"  # all of these change under NFKC
    assert all(unicodedata.normalize("NFKC", ch) != ch for ch in others)
    assert fold_compatibility_ideographs(others) == others


def test_the_fold_is_idempotent_and_leaves_canonical_text_alone() -> None:
    text = "\n".join(GOLD)
    assert fold_compatibility_ideographs(text) == text
    once = fold_compatibility_ideographs("政府⼯作报告⻓⺀")
    assert fold_compatibility_ideographs(once) == once


@pytest.mark.parametrize("source_type", ["html", "pdf", "docx"])
def test_every_source_type_folds_text_and_title(source_type: str) -> None:
    assert clean_text("现在，我代表静安区⼈民政府，向⼤会作政府⼯作报告。", source_type=source_type) == (
        "现在，我代表静安区人民政府，向大会作政府工作报告。"
    )
    assert clean_title("2024年政府⼯作报告") == "2024年政府工作报告"


def fetched(body: bytes, content_type: str) -> Fetched:
    return Fetched(
        url="http://example.test/P020240118.pdf",
        final_url="http://example.test/P020240118.pdf",
        status=200,
        headers={"content-type": content_type},
        body=body,
        fetched_at=datetime.now(UTC).isoformat(),
    )


def test_a_pdf_whose_font_maps_to_radicals_reads_as_ordinary_text_title_and_metadata() -> None:
    paragraphs = ["——2024年1月17日在静安区第二届人民代表大会第四次会议上", "静安区区长王华", *GOLD[2:8]]
    pages = flow(paragraphs, chars=30, first_page_top=HEIGHT - 150)
    pages[0].insert(0, Text(WIDTH / 2, HEIGHT - 100, "政府工作报告", 22, centred=True))
    data = handmade(pages, to_unicode=PDF_FONT_SAYS, meta_title="政府⼯作报告")
    assert "⼯" in extract_pdf(data).text  # the text layer really says ⼯
    document = build_document(fetched(data, "application/pdf"))
    assert document.title == "政府工作报告"
    assert document.metadata["doc_type"] == "政府工作报告"
    assert document.metadata["speaker"] == "王华"
    assert document.metadata["meeting"] == "静安区第二届人民代表大会第四次会议"
    assert not re.search("[\u2e80-\u2eff\u2f00-\u2fdf]", document.text)
    assert document.text.split("\n")[3:] == GOLD[3:8]


def test_radicals_in_an_html_page_and_its_metadata_table_are_folded() -> None:
    html = (
        "<html><head><title>2024年静安区政府⼯作报告</title></head><body><article>"
        "<h1>2024年静安区政府⼯作报告</h1>"
        + "".join(f"<p>{p.replace('人', '⼈').replace('长', '⻓')}</p>" for p in GOLD[:12])
        + "</article></body></html>"
    )
    document = build_document(fetched(html.encode("utf-8"), "text/html; charset=utf-8"))
    assert document.title == "2024年静安区政府工作报告"
    assert document.metadata["doc_type"] == "政府工作报告"
    assert not re.search("[\u2e80-\u2eff\u2f00-\u2fdf]", document.text + str(document.metadata))
