"""Hard wraps inside HTML paragraphs (<br>-separated PDF text, <pre>) are undone; real short lines stay.

TEXT_SPEC rule 3 for every source: a paragraph a fixed wrap width cut into lines is one line
again, judged from evidence of the width; headings, list items, poems and addresses keep theirs.
"""

from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SHARED

from cleaners.extract import extract_html
from cleaners.layout import SOFT_BREAK, display_width, join_soft_wraps, wrap_width
from cleaners.steps import clean_text

GOLD = [line for key in ("002", "003") for line in (SHARED / "gold" / f"{key}.txt").read_text("utf-8").splitlines()]
LONG = sorted({line for line in GOLD if len(line) >= 80})
HEADINGS = [line for line in GOLD if line.startswith(("一、", "二、", "三、", "（一）", "（二）")) and len(line) < 30]


def wrap(paragraph: str, width: int) -> list[str]:
    """Cut a paragraph into lines of at most `width` display columns, as a PDF layout would."""
    lines, line = [], ""
    for ch in paragraph:
        if display_width(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


def test_a_br_wrapped_reprint_comes_back_one_paragraph_per_line() -> None:
    paragraphs = LONG[:6]
    body = "".join(f"<p>{'<br />'.join(html.escape(piece) for piece in wrap(p, 52))}</p>" for p in paragraphs)
    page = f"<html><head><title>t</title></head><body><h1>t</h1><div class='content'>{body}</div></body></html>"
    extracted = extract_html(page)
    assert SOFT_BREAK in extracted.text
    assert clean_text(extracted.text, title=extracted.title).split("\n") == paragraphs


def test_a_preformatted_pdf_paste_is_rejoined_by_its_indentation_and_its_headings_stay() -> None:
    """A <pre> holds all paragraphs; the paste's paragraph indentation (U+3000) tells where each starts."""
    lines = [HEADINGS[0]]
    for paragraph in LONG[:5]:
        lines += wrap("\u3000\u3000" + paragraph, 60)
    lines += [HEADINGS[1], *wrap("\u3000\u3000" + LONG[5], 60)]
    page = f"<html><head><title>t</title></head><body><pre>{html.escape(chr(10).join(lines))}</pre></body></html>"
    extracted = extract_html(page)
    assert clean_text(extracted.text, title=extracted.title).split("\n") == [HEADINGS[0], *LONG[:5], HEADINGS[1], LONG[5]]


def test_without_indentation_a_sentence_end_short_of_the_margin_ends_the_paragraph() -> None:
    paragraphs = [p for p in LONG if display_width(wrap(p, 60)[-1]) < 50][:5]
    text = SOFT_BREAK.join(piece for p in paragraphs for piece in wrap(p, 60))
    joined = join_soft_wraps(text).split("\n")
    # Where a sentence inside a paragraph ends right at the margin, the paragraph stays cut there.
    assert "".join(joined) == "".join(paragraphs)
    assert all(any(line.startswith(p[:20]) for line in joined) for p in paragraphs)


def test_short_lines_show_no_wrap_width_and_stay() -> None:
    poem = ["床前明月光，", "疑是地上霜。", "举头望明月，", "低头思故乡。"] * 2
    address = [
        "上海市长宁区人民政府新华路街道办事处", "地址：上海市长宁区番禺路100号", "邮编：200052", "电话：021-62800000", "传真：021-62800001"
    ]
    titles = ["全面推进城市更新", "做强做优数字经济", "持续保障改善民生", "提升城区治理效能", "加强政府自身建设"]
    items = [f"{i}．{title}" for i, title in enumerate(titles, 1)]
    table = [
        "项目 2023年 2024年 增长",
        "地区生产总值 2846.03 3012.50 5.8%",
        "一般公共预算收入 287.80 296.40 3.0%",
        "税收总收入 847.50 880.10 3.8%",
        "社会消费品零售总额 1500 1580 5.3%",
    ]
    for block in (poem, address, items, table):
        text = SOFT_BREAK.join(block)
        assert wrap_width(block[:-1]) is None
        assert join_soft_wraps(text).split("\n") == block


def test_whole_paragraph_wraps_join_even_at_a_sentence_end_on_the_margin() -> None:
    """In a paragraph whose every line but the last reaches the width, every soft break is a wrap."""
    paragraph = "（二）持续优化第二轮工作机制。按照行动蓝图五年一滚动行动计划一年一更新要求" + LONG[0]
    pieces = ["（二）持续优化第二轮工作机制。", *wrap(paragraph[len("（二）持续优化第二轮工作机制。"):], 30)]
    assert display_width(pieces[0]) == 30
    text = SOFT_BREAK.join(pieces) + "\n" + SOFT_BREAK.join(wrap(LONG[1], 30))
    assert join_soft_wraps(text).split("\n") == [paragraph, LONG[1]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paragraphs=st.lists(st.sampled_from(LONG), min_size=2, max_size=6, unique=True),
    width=st.integers(24, 80),
    headings=st.lists(st.sampled_from(HEADINGS), max_size=3),
)
def test_wrapped_gold_paragraphs_survive_and_cleaning_stays_idempotent(
    paragraphs: list[str], width: int, headings: list[str]
) -> None:
    blocks = [SOFT_BREAK.join(wrap(p, width)) for p in paragraphs]
    for index, heading in enumerate(headings):
        blocks.insert(2 * index, heading)
    text = "\n".join(blocks)
    cleaned = clean_text(text)
    assert all(p in cleaned.split("\n") for p in paragraphs + headings)
    assert clean_text(cleaned) == cleaned
