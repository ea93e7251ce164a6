"""cleaners/pdf_layout.py on boxes placed by hand: segments, gutters, bands, furniture."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.pdf_layout import (
    Glyph,
    Line,
    Segment,
    document_gutters,
    furniture,
    gutters,
    page_lines,
    segments,
)

SIZE = 12.0


def glyphs(text: str, x: float, baseline: float, size: float = SIZE, advance: float | None = None) -> list[Glyph]:
    step = advance or size
    return [
        Glyph(ch, x + i * step, x + i * step + step, baseline - 0.2 * size, baseline + 0.8 * size, baseline, size)
        for i, ch in enumerate(text)
    ]


def segment(text: str, x: float, baseline: float, size: float = SIZE) -> Segment:
    return Segment(text, x, x + len(text) * size, baseline - 0.2 * size, baseline + 0.8 * size, baseline, size)


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


# ---------------------------------------------------------------- segments


def test_a_line_of_glyphs_is_one_segment_and_a_wide_gap_starts_another() -> None:
    found = segments(glyphs("左栏的一行文字", 56, 700) + glyphs("右栏的一行文字", 56 + 7 * SIZE + 2 * SIZE, 700))
    assert [s.text for s in found] == ["左栏的一行文字", "右栏的一行文字"]


def test_a_step_back_to_the_left_or_down_a_line_starts_a_new_segment() -> None:
    found = segments(glyphs("第二个", 120, 700) + glyphs("第一个", 60, 700) + glyphs("下一行", 60, 680))
    assert [s.text for s in found] == ["第二个", "第一个", "下一行"]


def test_a_raised_footnote_mark_stays_in_its_segment() -> None:
    mark = [Glyph(ch, 84 + i * 4, 88 + i * 4, 703, 711, 704, 7) for i, ch in enumerate("[2]")]
    found = segments(glyphs("总值", 60, 700) + mark + glyphs("1329.65亿元", 96, 700, advance=6))
    assert [s.text for s in found] == ["总值[2]1329.65亿元"]
    assert found[0].size == SIZE and found[0].baseline == 700


def test_words_get_a_space_but_chinese_characters_never_do() -> None:
    latin = glyphs("Hello", 60, 700, advance=6) + [g._replace(x0=g.x0 + 4, x1=g.x1 + 4) for g in glyphs("world", 90, 700, advance=6)]
    chinese = glyphs("你好", 60, 680) + [g._replace(space_before=True) for g in glyphs("世界", 84, 680)]
    assert [s.text for s in segments(latin + chinese)] == ["Hello world", "你好世界"]


# ---------------------------------------------------------------- gutters and bands


def two_columns(
    rows: int, top: float = 700, left_text: str = "左栏正文共有十六个字的一行文字啊", right_text: str = "右栏正文共有十六个字的一行文字啊"
) -> list[Segment]:
    left = [segment(left_text, 56, top - 18 * i) for i in range(rows)]
    right = [segment(right_text, 56 + 16 * SIZE + 30, top - 18 * i) for i in range(rows)]
    return left + right


def test_the_gutter_between_two_columns_is_found_under_a_title_across_them() -> None:
    items = [segment("横跨两栏的标题", 200, 760), *two_columns(10)]
    assert gutters(items) == [(56 + 16 * SIZE, 56 + 16 * SIZE + 30)]


def test_one_column_has_no_gutter_and_too_few_lines_show_none() -> None:
    assert gutters([segment("单栏正文一行文字", 56, 700 - 18 * i) for i in range(20)]) == []
    assert gutters(two_columns(3)) == []


def test_columns_are_read_one_after_the_other_below_a_title() -> None:
    items = [segment("标题", 280, 760), *two_columns(6)]
    lines = page_lines(items, 0, gutters(items))
    assert texts(lines) == ["标题", *["左栏正文共有十六个字的一行文字啊"] * 6, *["右栏正文共有十六个字的一行文字啊"] * 6]
    assert [line.frame for line in lines] == [(1, 0), *[(2, 0)] * 6, *[(2, 1)] * 6]


def test_a_table_between_gutters_is_read_row_by_row() -> None:
    cells = [(f"指标{i}", f"{i}.5", f"{i * 3}.0") for i in range(8)]
    items = [segment(cell, 60 + 150 * c, 700 - 20 * r) for r, row in enumerate(cells) for c, cell in enumerate(row)]
    found = gutters(items)
    assert found  # the cell borders look like gutters …
    assert texts(page_lines(items, 0, found)) == ["\t".join(row) for row in cells]  # … but cells are no text


def test_a_page_borrows_a_gutter_that_lies_empty_on_it() -> None:
    full = two_columns(10)
    short = [segment("左栏正文共有十六个字的一行文字啊", 56, 700 - 18 * i) for i in range(10)]
    short += [segment("右栏只有两行文字而已的最后部分啊", 56 + 16 * SIZE + 30, 700 - 18 * i) for i in range(2)]
    single = [segment("单栏页面的文字一行又一行地排下去一直到右边的页边为止", 56, 700 - 18 * i) for i in range(10)]
    own, borrowed, none = document_gutters([full, short, single])
    assert own and borrowed == own and none == []


# ---------------------------------------------------------------- furniture


def page(number: int, body: int = 6, header: str | None = "城区人民政府公报", footer: str = "— {} —", footer_y: float = 40) -> list[Line]:
    lines = []
    if header:
        lines.append(Line(header, 250, 350, 800, 10, number))
    lines += [Line(f"正文{'甲乙丙丁'[number]}第{i}行的文字", 72, 500, 740 - 20 * i, 12, number) for i in range(body)]
    lines.append(Line(footer.format(number + 1), 280, 310, footer_y, 10, number))
    return lines


def test_headers_and_page_numbers_repeating_at_one_height_are_furniture() -> None:
    pages = [page(n) for n in range(3)]
    found = furniture(pages)
    assert found == {(n, i) for n in range(3) for i in (0, len(pages[n]) - 1)}


def test_a_repeated_line_at_another_height_is_not_furniture() -> None:
    pages = [page(0), page(1, header=None)]
    pages[1].insert(0, Line("城区人民政府公报", 250, 350, 500, 10, 1))  # mid-page on page 2
    pages[1].append(Line("本页结束", 72, 120, 30, 10, 1))
    found = furniture(pages)
    assert (1, 0) not in found and (0, 0) not in found  # two pages, but not at the same height


def test_a_page_number_alone_is_furniture_but_a_number_inside_the_body_is_not() -> None:
    lines = page(0, header=None, footer="第{}页")
    lines.insert(2, Line("2023", 72, 96, 705, 12, 0))
    assert furniture([lines]) == {(0, len(lines) - 1)}


# ---------------------------------------------------------------- nothing is lost

PRINTABLE = st.sampled_from("政府工作报告全年实现地区生产总值亿元，。、：（）0123456789.%ABCabc")


@st.composite
def scattered_glyphs(draw: st.DrawFn) -> list[Glyph]:
    """Glyphs anywhere on a page, of any size, in any order: whatever a content stream may hold."""
    count = draw(st.integers(min_value=0, max_value=120))
    found = []
    for _ in range(count):
        size = draw(st.floats(min_value=0.5, max_value=40))
        x = draw(st.floats(min_value=0, max_value=580))
        baseline = draw(st.floats(min_value=0, max_value=840))
        width = draw(st.floats(min_value=0, max_value=2)) * size
        found.append(Glyph(draw(PRINTABLE), x, x + width, baseline - 0.2 * size, baseline + 0.8 * size, baseline, size))
    return found


@settings(max_examples=60, deadline=None)
@given(st.lists(scattered_glyphs(), min_size=1, max_size=3))
def test_reading_order_keeps_every_character_exactly_once(pages: list[list[Glyph]]) -> None:
    pieces = [segments(page) for page in pages]
    found = document_gutters(pieces)
    for number, (page, items) in enumerate(zip(pages, pieces, strict=True)):
        lines = page_lines(items, number, found[number])
        printed = sorted(ch for line in lines for ch in line.text if not ch.isspace())
        assert printed == sorted(glyph.char for glyph in page)
