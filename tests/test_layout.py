"""TEXT_SPEC rule 3: layout repair of PDF-derived text."""

from __future__ import annotations

import pytest
from support import SHARED

from cleaners.layout import (
    glue,
    is_heading,
    is_page_number,
    join_broken_paragraphs,
    join_punctuation_led_lines,
    join_split_subtitles,
    remove_running_headers,
)
from cleaners.steps import clean_text

GOLD_002 = (SHARED / "gold" / "002.txt").read_text(
    "utf-8"
).rstrip("\n")


@pytest.mark.parametrize(
    "line", ["— 3 —", "- 3 -", "－12－", "3", "第3页", "第 3 页 共 20 页", "共20页 第3页", "3 / 20", "Page 3 of 20"]
)
def test_page_numbers_are_recognised(line: str) -> None:
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["2023年工作回顾", "第三章", "3.5万", "附件3：名单", "12-13"])
def test_body_lines_are_not_page_numbers(line: str) -> None:
    assert not is_page_number(line)


@pytest.mark.parametrize(
    "line",
    ["一、2023年工作回顾", "（一）经济运行稳中有进", "(二)城区功能", "（3）加强", "1.总体要求", "附件", "附件2：清单", "第二章 总则"],
)
def test_headings(line: str) -> None:
    assert is_heading(line)


@pytest.mark.parametrize("line", ["2023年是贯彻党的二十大精神开局之年", "1.59亿元", "一年来，我们"])
def test_not_headings(line: str) -> None:
    assert not is_heading(line)


def test_page_split_is_joined() -> None:
    text = "经济指标持续向好。全年实现地区生产总值2846.03亿元。实现税收总\n收入847.50亿元，同比增长7.05%。"
    assert join_broken_paragraphs(text) == (
        "经济指标持续向好。全年实现地区生产总值2846.03亿元。实现税收总收入847.50亿元，同比增长7.05%。"
    )


def test_finished_paragraphs_headings_and_short_lines_stay_apart() -> None:
    text = "\n".join(
        [
            "静安区区长王华",
            "各位代表：",
            "现在，我代表静安区人民政府，向大会作政府工作报告，请予审议。",
            "一、2023年工作回顾",
            "（一）经济运行稳中有进，彰显韧性活力",
            "经济指标持续向好。区域经济呈现恢复增长、回升向好态势。",
            "附件",
            "2024年静安区为民办实事项目",
            "一、推进“美丽家园”建设。",
        ]
    )
    assert join_broken_paragraphs(text) == text


def test_list_item_cut_after_a_comma_is_joined() -> None:
    text = "一、推进“美丽家园”建设，实施各类旧住房修缮改造（包括屋面翻修、“平改坡”、\n外立面修缮等）100万平方米。"
    assert "\n" not in join_broken_paragraphs(text)


def test_running_header_recurring_every_page_is_removed() -> None:
    pages = [f"静安区人民政府公报 第{n}期\n正文第{n}页的内容。" for n in range(1, 5)]
    assert remove_running_headers("\n".join(pages)) == "\n".join(
        f"正文第{n}页的内容。" for n in range(1, 5)
    )


def test_a_line_seen_twice_is_not_a_running_header() -> None:
    text = "附件\n甲。\n静安区\n乙。\n静安区"
    assert remove_running_headers(text) == text


def test_punctuation_pushed_to_line_start_is_rejoined() -> None:
    assert join_punctuation_led_lines("推进“一网通办\n”改革\n，提升效能\n。") == "推进“一网通办”改革，提升效能。"


def test_two_line_subtitle_is_joined_and_speaker_stays() -> None:
    text = "——2024年1月17日在静安区第二届\n人民代表大会第四次会议上\n静安区区长王华"
    assert join_split_subtitles(text) == (
        "——2024年1月17日在静安区第二届人民代表大会第四次会议上\n静安区区长王华"
    )


def test_complete_subtitle_is_left_alone() -> None:
    text = "——在全区工作会议上的讲话\n同志们："
    assert join_split_subtitles(text) == text


def test_glue_puts_a_space_only_between_two_words() -> None:
    assert glue("实现税收总", "收入") == "实现税收总收入"
    assert glue("Powered", "by") == "Powered by"
    assert glue("2846", "03") == "284603"


def _as_hard_wrapped_pdf(text: str, width: int = 38, lines_per_page: int = 40) -> str:
    """Lay text out like pdftotext: fixed-width lines, a header and a page number per page."""
    wrapped = [para[i : i + width] for para in text.split("\n") for i in range(0, len(para), width)]
    pages = [wrapped[i : i + lines_per_page] for i in range(0, len(wrapped), lines_per_page)]
    return "\f".join(
        "\n".join(["  静安区人民政府公报  2024年第1期", *page, "", f"— {n} —"])
        for n, page in enumerate(pages, 1)
    )


def test_hard_wrapped_pdf_is_mostly_restored() -> None:
    gold = GOLD_002.split("\n")
    cleaned = clean_text(_as_hard_wrapped_pdf(GOLD_002), source_type="pdf").split("\n")
    assert "静安区人民政府公报2024年第1期" not in cleaned
    assert not any(is_page_number(line) for line in cleaned)
    restored = sum(paragraph in cleaned for paragraph in gold)
    # A paragraph that ends exactly at the right margin cannot be told from a wrapped one.
    assert restored >= 0.85 * len(gold)
    assert clean_text("\n".join(cleaned), source_type="pdf") == "\n".join(cleaned)


def test_html_paragraphs_are_not_joined() -> None:
    text = "深入学习贯彻习近平新时代中国特色社会主义思想和党的二十大精神，不断提高运用党的\n创新理论解决问题的能力。"
    assert clean_text(text, source_type="html") == text
    assert clean_text(text, source_type="pdf") == text.replace("\n", "")
