"""TEXT_SPEC rules 2, 4, 5, 6 and 7, one normalisation step at a time and through `clean_text`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.normalize import (
    drop_blank_lines,
    halfwidth_ascii_alnum,
    remove_invisible_characters,
    remove_space_next_to_cjk,
    tidy_line_whitespace,
    to_nfc,
    unify_line_breaks,
    widen_ascii_punctuation,
)
from cleaners.steps import clean_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("２０２３年", "2023年"),
        ("ＡＩ监管ｎｏ．１", "AI监管no．1"),  # letters and digits only: the full-width ． stays
        ("，。：；（）！？", "，。：；（）！？"),
    ],
)
def test_full_width_letters_and_digits_become_half_width(raw: str, expected: str) -> None:
    assert halfwidth_ascii_alnum(raw) == expected


def test_nfc_composes_but_keeps_compatibility_characters() -> None:
    assert to_nfc("cafe\u0301") == "café"
    assert to_nfc("优ⅲ比例") == "优ⅲ比例"  # NFC, not NFKC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2846.03 亿元", "2846.03亿元"),
        ("区长  王华", "区长王华"),
        ("思想 and 党的", "思想and党的"),
        ("ai 监管", "ai监管"),
        ("95 街坊 C 地块", "95街坊C地块"),
        ("增长 7.0% 。", "增长7.0%。"),
        ("“ 一网通办 ”", "“一网通办”"),
        ("Powered by  X3.4 \u3000Inc.", "Powered by X3.4 Inc."),
    ],
)
def test_no_space_next_to_cjk(raw: str, expected: str) -> None:
    assert remove_space_next_to_cjk(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("粮食 \t 1223474\t1.8", "粮食\t1223474\t1.8"),  # spaces around a cell boundary go
        ("一般公共预算支出\t\t5.2", "一般公共预算支出\t\t5.2"),  # an empty cell keeps its boundary
        ("\t单位\t产量 \t", "单位\t产量"),  # no leading or trailing whitespace, TABs included
        ("木材  采伐\t万立方米", "木材采伐\t万立方米"),
    ],
)
def test_a_tab_between_table_cells_survives(raw: str, expected: str) -> None:
    assert remove_space_next_to_cjk(raw) == expected
    assert clean_text(raw, source_type="docx") == expected
    assert tidy_line_whitespace(expected) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(一)全力加快,区域", "（一）全力加快，区域"),
        ("(1)加快推进", "（1）加快推进"),
        ("行动方案(2023-2025年)", "行动方案（2023-2025年）"),
        ("各位代表:", "各位代表："),
        ("好吗?好!", "好吗？好！"),
        ("达到99.98%,较上年", "达到99.98%，较上年"),
        ("“赋能行动”,系统", "“赋能行动”，系统"),
        ("惠及1,500户", "惠及1,500户"),
        ("上午9:00开始", "上午9:00开始"),
        ("增长1.5%;下降", "增长1.5%；下降"),
        ("Rank: 7, Inc. (c)", "Rank: 7, Inc. (c)"),
        ("http://www.gov.cn", "http://www.gov.cn"),
    ],
)
def test_ascii_punctuation_next_to_cjk_becomes_full_width(raw: str, expected: str) -> None:
    assert widen_ascii_punctuation(raw) == expected


def test_line_structure() -> None:
    raw = "\u3000\u3000第一段。  \r\n\r\n\n  第二段。\t\f第三段。\u2028\ufeff第四段\u200b。\x07"
    text = remove_invisible_characters(unify_line_breaks(raw))
    assert drop_blank_lines(tidy_line_whitespace(text)) == "第一段。\n第二段。\n第三段。\n第四段。"


@pytest.mark.parametrize(
    "untouched",
    [
        "上海硅巷no.1",  # no case change, no spelling fix
        "全区景观照明led灯具使用率超过95%",
        "AI+监管",
        "優化營商環境",  # no traditional → simplified
        "优ⅲ比例达100%",
        "i百联一刻钟生活圈",
    ],
)
def test_nothing_else_is_rewritten(untouched: str) -> None:
    assert clean_text(untouched) == untouched


def test_clean_text_applies_rules_together() -> None:
    raw = "  （一）经济运行稳中有进 , 彰显韧性活力  \n\n\u3000\u3000全年实现地区生产总值 ２８４６.03 亿元 ,同比增长 7.0% 。\n"
    assert clean_text(raw) == "（一）经济运行稳中有进，彰显韧性活力\n全年实现地区生产总值2846.03亿元，同比增长7.0%。"


def _tidy_line_by_line(text: str) -> str:
    """The rule as first written: each line stripped, its inner space runs collapsed, spaces around TABs dropped."""
    import re

    inline, around_tab = re.compile(r"[^\S\n\t]+"), re.compile(r"[^\S\n\t]*\t[^\S\n\t]*")
    return "\n".join(inline.sub(" ", around_tab.sub("\t", line)).strip() for line in text.split("\n"))


def test_inline_whitespace_is_every_space_but_line_feed_and_tab() -> None:
    import re

    from cleaners.normalize import INLINE_WHITESPACE

    spelt = {chr(c) for c in range(0x110000) if re.fullmatch(f"[{INLINE_WHITESPACE}]", chr(c))}
    assert spelt == {chr(c) for c in range(0x110000) if chr(c).isspace()} - {"\n", "\t"}


@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2009\u2028\u3000\u200b甲乙a1，")), max_size=60))
@settings(max_examples=500, deadline=None)
def test_whole_text_tidying_is_the_line_by_line_rule(text: str) -> None:
    from cleaners.normalize import tidy_line_whitespace

    assert tidy_line_whitespace(text) == _tidy_line_by_line(text)


def _without_space_next_to_cjk_char_by_char(text: str) -> str:
    """TEXT_SPEC rule 5 spelt out: a run of spaces goes when a CJK character is on either side of it."""
    import re

    from cleaners.normalize import CJK

    def cjk(char: str) -> bool:
        return bool(re.fullmatch(f"[{CJK}]", char))

    out = []
    for run in re.finditer(r" +|[^ ]+", text):
        before, after = text[run.start() - 1 : run.start()], text[run.end() : run.end() + 1]
        touches_cjk = (bool(before) and cjk(before)) or (bool(after) and cjk(after))
        if not (run.group(0).startswith(" ") and touches_cjk):
            out.append(run.group(0))
    return "".join(out)


@given(st.text(alphabet=st.sampled_from(list("  甲乙a1，.“”—（")), max_size=40))
@settings(max_examples=500, deadline=None)
def test_space_next_to_cjk_goes_whichever_side_the_cjk_is(text: str) -> None:
    from cleaners.normalize import _SPACES, _unless_next_to_cjk

    assert _SPACES.sub(_unless_next_to_cjk, text) == _without_space_next_to_cjk_char_by_char(text)
    assert remove_space_next_to_cjk(text) == _without_space_next_to_cjk_char_by_char(tidy_line_whitespace(text))
