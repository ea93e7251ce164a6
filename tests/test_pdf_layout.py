"""PDF reading order on generated PDFs: columns, running headers and page numbers, tables, titles.

Each PDF is drawn by reportlab (tests/pdf_builder.py) from the gold report's own paragraphs; the
content-stream order is chosen by the test, so reading order has to come from the geometry.
"""

from __future__ import annotations

import random

import pytest
from pdf_builder import (
    HEIGHT,
    WIDTH,
    Text,
    flow,
    handmade,
    rows_first,
    spelled_out,
    typeset,
    with_furniture,
)
from support import SHARED

from cleaners.pdf import extract_pdf
from cleaners.steps import clean_text

GOLD = (SHARED / "gold" / "002.txt").read_text(encoding="utf-8").splitlines()
BODY = GOLD[3:12]  # long paragraphs, short ones, headings: about two pages of two columns


def lines_of(data: bytes) -> list[str]:
    return extract_pdf(data).text.split("\n")


def cleaned(data: bytes) -> list[str]:
    pdf = extract_pdf(data)
    return clean_text(pdf.text, source_type="pdf", title=pdf.title).split("\n")


# ---------------------------------------------------------------- columns


@pytest.mark.parametrize("gutter_ems", [1.5, 3.0])
@pytest.mark.parametrize("stream", ["columns", "rows"])
def test_two_columns_are_read_column_by_column(gutter_ems: float, stream: str) -> None:
    pages = flow(BODY, columns=2, chars=16, size=11, gutter_ems=gutter_ems, left=56)
    assert len(pages) >= 2 and len({round(t.x) for t in pages[0]}) >= 3  # really two columns, two pages
    if stream == "rows":  # a producer that writes each line across both columns
        pages = [rows_first(page) for page in pages]
    assert lines_of(typeset(pages)) == BODY


def test_punctuation_hanging_into_the_gutter_does_not_join_the_columns() -> None:
    pages = flow(BODY, columns=2, chars=16, size=11, gutter_ems=2.5, left=56, hang=True)
    assert any(piece.x + len(piece.text) * 11 > 56 + 16 * 11 for piece in pages[0])  # some lines hang
    assert lines_of(typeset([rows_first(page) for page in pages])) == BODY


def test_a_short_last_column_is_read_after_the_first_one() -> None:
    # two lines in the last page's second column show no gutter of their own; the first page's does
    text = "".join(GOLD[5:16])
    for length in range(1500, len(text)):
        pages = flow([text[:length]], columns=2, chars=16, size=11, left=56)
        if len(pages) == 2 and sum(1 for piece in pages[1] if piece.x > 200) == 2:
            break
    else:
        pytest.fail("no length puts two lines in the last column")
    assert lines_of(typeset([rows_first(page) for page in pages])) == [text[:length]]


def test_a_title_across_both_columns_comes_first_and_columns_follow() -> None:
    pages = flow(BODY, columns=2, chars=16, size=11, left=56, first_page_top=HEIGHT - 180)
    pages[0] = [Text(WIDTH / 2, HEIGHT - 110, "新华路街道2023年工作总结", 16, centred=True), *rows_first(pages[0])]
    data = typeset(pages)
    assert extract_pdf(data).title == "新华路街道2023年工作总结"
    assert lines_of(data) == ["新华路街道2023年工作总结", *BODY]


def test_three_columns() -> None:
    pages = flow(BODY, columns=3, chars=12, size=10, gutter_ems=2, left=40)
    assert lines_of(typeset([rows_first(page) for page in pages])) == BODY


def test_single_column_text_beside_a_narrow_margin_note_is_not_split_into_columns() -> None:
    # a short label in the left margin on a few lines is no column: the body reads as before
    pages = flow(BODY[:2], chars=30, size=12, left=120)
    notes = [Text(40, piece.y, "注") for piece in pages[0][:3]]
    lines = lines_of(typeset([notes + pages[0], *pages[1:]]))
    assert "".join(lines).replace("注", "") == "".join(BODY[:2])


# ---------------------------------------------------------------- running headers and page numbers

PAGE_LABELS = {
    "em dashes": lambda n, total: f"— {n} —",
    "hyphens": lambda n, total: f"- {n} -",
    "第N页": lambda n, total: f"第{n}页",
    "第N页共M页": lambda n, total: f"第 {n} 页 共 {total} 页",
    "N/M": lambda n, total: f"{n}/{total}",
}


@pytest.mark.parametrize("label", PAGE_LABELS)
@pytest.mark.parametrize("mirrored", [False, True])
def test_running_headers_and_page_numbers_are_removed_by_position(label: str, mirrored: bool) -> None:
    def furniture(number: int, total: int) -> list[Text]:
        x = WIDTH / 2 if not mirrored else (WIDTH - 90 if number % 2 else 90)
        header = [Text(WIDTH / 2, HEIGHT - 60, "静安区人民政府公报", 10, centred=True)] if number > 1 else []
        return [*header, Text(x, 45, PAGE_LABELS[label](number, total), 10, centred=True)]

    pages = with_furniture(flow(GOLD[3:12], chars=24), furniture)
    assert len(pages) >= 3
    assert lines_of(typeset(pages)) == GOLD[3:12]  # before clean_text: geometry alone removed them


def test_a_header_with_a_page_number_beside_it_on_every_page() -> None:
    def furniture(number: int, total: int) -> list[Text]:
        return [Text(72, HEIGHT - 60, "2024年第3期", 9), Text(WIDTH - 72 - 9 * 8, HEIGHT - 60, f"城区政府公报·{number}", 9)]

    pages = with_furniture(flow(GOLD[3:12], chars=24), furniture)
    assert len(pages) >= 3
    assert lines_of(typeset(pages)) == GOLD[3:12]


def test_a_number_alone_inside_the_body_stays() -> None:
    pages = flow(["以下为指标数值：", "2023", GOLD[5]], chars=30)
    pages[0].append(Text(WIDTH / 2, 45, "- 1 -", 10, centred=True))
    assert lines_of(typeset(pages)) == ["以下为指标数值：", "2023", GOLD[5]]


# ---------------------------------------------------------------- tables

TABLE = [
    ("指标", "年末数（万人）", "比重（%）"),
    ("全市常住人口", "866.60", "100.0"),
    ("其中：城镇", "392.66", "45.31"),
    ("乡村", "473.94", "54.69"),
    ("其中：0-15岁（含不满16周岁）", "212.60", "24.53"),
]


def table_pieces(top: float, cell_order: str) -> list[Text]:
    pieces = [Text(72 + 180 * column, top - 22 * row, cell, 11) for row, cells in enumerate(TABLE) for column, cell in enumerate(cells)]
    if cell_order == "columns":  # cells written column by column, as some producers do
        pieces.sort(key=lambda piece: (piece.x, -piece.y))
    return pieces


@pytest.mark.parametrize("cell_order", ["rows", "columns"])
def test_a_table_is_one_line_per_row_with_cells_in_order(cell_order: str) -> None:
    before = flow([GOLD[5]], chars=30)[0]
    top = before[-1].y - 40
    after = flow([GOLD[8]], chars=30, first_page_top=top - 22 * len(TABLE) - 20)[0]
    data = typeset([before + table_pieces(top, cell_order) + after])
    assert lines_of(data) == [GOLD[5], *("\t".join(row) for row in TABLE), GOLD[8]]


def test_a_table_row_that_reaches_the_right_margin_is_not_joined_to_the_next_row() -> None:
    body = flow([GOLD[3], GOLD[5]], chars=30)[0]
    top = body[-1].y - 40
    rows = [Text(x, top - 22 * r, cell) for r in range(4) for x, cell in ((72, f"第{r + 1}行指标"), (380, f"{r + 1}23.45"))]
    lines = lines_of(typeset([body + rows]))
    assert lines[-4:] == [f"第{r + 1}行指标\t{r + 1}23.45" for r in range(4)]


# ---------------------------------------------------------------- hard wraps and page breaks


def test_a_paragraph_split_by_a_page_break_past_header_and_footer_is_one_line() -> None:
    def furniture(number: int, total: int) -> list[Text]:
        return [Text(WIDTH / 2, HEIGHT - 60, "静安区人民政府", 10, centred=True), Text(WIDTH / 2, 45, f"— {number} —", 12, centred=True)]

    pages = with_furniture(flow(GOLD[3:12], chars=28), furniture)
    assert len(pages) >= 2
    last_line_of_page_one, first_line_of_page_two = pages[0][-1].text, pages[1][2].text
    assert any(last_line_of_page_one + first_line_of_page_two in paragraph for paragraph in GOLD[3:12])
    assert cleaned(typeset(pages)) == GOLD[3:12]


def test_a_line_ending_on_a_full_stop_short_of_the_margin_ends_the_paragraph() -> None:
    pages = flow(["第一段只有一行。", "第二段也很短。", GOLD[5]], chars=30)
    assert lines_of(typeset(pages)) == ["第一段只有一行。", "第二段也很短。", GOLD[5]]


# ---------------------------------------------------------------- titles


def test_title_is_the_largest_text_above_the_body_even_when_drawn_out_of_order() -> None:
    title = "2023年静安区国民经济和社会发展统计公报"
    pages = flow(GOLD[3:6], chars=30, first_page_top=HEIGHT - 200)
    pieces = spelled_out(72, HEIGHT - 110, title, 20, em_wide=True)
    random.Random(11).shuffle(pieces)  # every character its own run, in a scrambled order
    subtitle = Text(WIDTH / 2, HEIGHT - 150, "静安区统计局", 12, centred=True)
    pages[0] = [subtitle, *pieces, *pages[0]]
    data = handmade(pages, meta_title="统计公报")  # embedded glyphs: PDFium keeps one-character runs
    assert extract_pdf(data).title == title
    assert cleaned(data) == ["静安区统计局", *GOLD[3:6]]


def test_a_title_on_two_lines_is_one_title_and_one_line() -> None:
    pages = flow(GOLD[3:6], chars=30, first_page_top=HEIGHT - 200)
    pages[0][:0] = [
        Text(WIDTH / 2, HEIGHT - 110, "黔东南苗族侗族自治州", 18, centred=True),
        Text(WIDTH / 2, HEIGHT - 136, "2023年国民经济和社会发展统计公报", 18, centred=True),
    ]
    data = typeset(pages)
    assert extract_pdf(data).title == "黔东南苗族侗族自治州2023年国民经济和社会发展统计公报"
    assert cleaned(data) == GOLD[3:6]


def test_a_large_heading_below_the_body_start_is_not_the_title() -> None:
    pages = flow(GOLD[3:6], chars=30)
    pages[0].append(Text(72, 120, "一、综合", 16))
    data = typeset(pages, meta_title="2024年静安区政府工作报告")
    assert extract_pdf(data).title == "2024年静安区政府工作报告"
