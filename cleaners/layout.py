"""Layout repair (TEXT_SPEC rule 3), mostly for PDF-derived text.

Page furniture (page numbers, running headers) is dropped; paragraphs that a hard wrap or a
page split cut in two are joined again; headings always keep their own line.
"""

from __future__ import annotations

import re
from collections import Counter

from cleaners.normalize import is_cjk

_DASHES = "-‐‑‒–—―－─"
_PAGE_NUMBER = re.compile(
    "|".join(
        (
            rf"[{_DASHES}]*\s*\d{{1,4}}\s*[{_DASHES}]*",  # — 3 —, - 3 -, a bare 3
            r"第\s*\d{1,4}\s*页(\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?",  # 第3页, 第 3 页 共 20 页
            r"共\s*\d{1,4}\s*页\s*[,，]?\s*第\s*\d{1,4}\s*页",
            r"\d{1,4}\s*[/／]\s*\d{1,4}",  # 3 / 20
            r"(?i:page\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?)",
        )
    )
)
_HEADING = re.compile(
    "|".join(
        (
            r"[一二三四五六七八九十百零〇]+、",  # 一、
            r"[（(][一二三四五六七八九十百零〇]+[）)]",  # （一）
            r"[（(]\d{1,2}[）)]",  # （1）
            r"\d{1,2}(、|\.(?!\d)|．)",  # 1、 1.
            r"[①-⑳]",
            r"第[一二三四五六七八九十百零〇\d]+[章节条部篇]",
            r"附件\s*\d*\s*[:：]?",  # 附件, 附件1：
        )
    )
)
# A line with one of these inside that does not end on one was cut mid-paragraph.
SENTENCE_END = "。！？；!?;"
_ENDS_PARAGRAPH = re.compile(r"[。！？；：…!?;:][”’」』）)》]*$")
_CLAUSE_PUNCTUATION = "，、,"
CLOSING_PUNCTUATION = "，。、；：？！）》」』”’…,.;:?!)"
_SUBTITLE_COMPLETE = re.compile(r"(上|讲话|发言|致辞|报告|[）)])$")
RUNNING_HEADER_MIN_REPEATS = 3
RUNNING_HEADER_MAX_CHARS = 40
MIN_WRAP_WIDTH = 20
FULL_LINE_SHARE = 0.85


def is_heading(line: str) -> bool:
    return _HEADING.match(line) is not None


def is_page_number(line: str) -> bool:
    return _PAGE_NUMBER.fullmatch(line.strip()) is not None


def ends_paragraph(line: str) -> bool:
    return _ENDS_PARAGRAPH.search(line) is not None


def remove_page_numbers(text: str) -> str:
    """Drop lines that are only a page number (— 3 —, - 3 -, 第3页, 第 3 页 共 20 页, 3/20)."""
    return "\n".join(line for line in text.split("\n") if not is_page_number(line))


def remove_running_headers(text: str) -> str:
    """Drop a short line that recurs on every page (its page number may change)."""
    lines = text.split("\n")
    counts = Counter(_header_key(line) for line in lines if _could_be_header(line))
    repeated = {key for key, count in counts.items() if count >= RUNNING_HEADER_MIN_REPEATS}
    return "\n".join(
        line for line in lines if not (_could_be_header(line) and _header_key(line) in repeated)
    )


def _could_be_header(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < len(stripped) <= RUNNING_HEADER_MAX_CHARS
        and not is_heading(stripped)
        and not any(mark in stripped for mark in SENTENCE_END)
    )


def _header_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def join_punctuation_led_lines(text: str) -> str:
    """A line that starts with closing punctuation belongs to the line before it."""
    joined: list[str] = []
    for line in text.split("\n"):
        if joined and line and line[0] in CLOSING_PUNCTUATION:
            joined[-1] = glue(joined[-1], line)
        else:
            joined.append(line)
    return "\n".join(joined)


def join_split_subtitles(text: str) -> str:
    """——2024年1月17日在静安区第二届 / 人民代表大会第四次会议上 → one line."""
    joined: list[str] = []
    open_subtitle = False
    for line in text.split("\n"):
        if open_subtitle and line and not is_heading(line) and not ends_paragraph(line):
            joined[-1] = glue(joined[-1], line)
            open_subtitle = False
            continue
        joined.append(line)
        open_subtitle = line.startswith("——") and not _SUBTITLE_COMPLETE.search(line)
    return "\n".join(joined)


def join_broken_paragraphs(text: str) -> str:
    """Join a line cut by a hard wrap or a page split to the line that continues it."""
    lines = [line for line in text.split("\n") if line]
    full_width = _full_line_width(lines)
    joined: list[str] = []
    for line in lines:
        if joined and _continues(joined[-1], line, full_width):
            joined[-1] = glue(joined[-1], line)
        else:
            joined.append(line)
    return "\n".join(joined)


def _continues(previous: str, line: str, full_width: int) -> bool:
    if ends_paragraph(previous) or is_heading(line) or line.startswith("——"):
        return False
    if previous.startswith("——"):
        return False  # subtitles are join_split_subtitles' business
    cut_mid_sentence = any(mark in previous[:-1] for mark in SENTENCE_END)
    cut_mid_clause = previous[-1] in _CLAUSE_PUNCTUATION  # no heading ends on a comma
    if cut_mid_sentence or cut_mid_clause:
        return True
    return not is_heading(previous) and len(previous) >= full_width


def _full_line_width(lines: list[str]) -> int:
    """The length from which a line counts as running to the right margin.

    Taken from the line length that holds the median character, not the median line: joining
    lines only ever moves characters into longer lines, so this never shrinks on a second pass
    (which keeps cleaning idempotent) and short headings cannot drag it down.
    """
    lengths = sorted(len(line) for line in lines)
    half, seen = sum(lengths) / 2, 0
    for length in lengths:
        seen += length
        if seen >= half:
            return max(MIN_WRAP_WIDTH, round(length * FULL_LINE_SHARE))
    return MIN_WRAP_WIDTH


def glue(left: str, right: str) -> str:
    """Join two pieces of one paragraph: a space only between two non-CJK words."""
    if left and right and left[-1].isalnum() and right[0].isalnum():
        if not (is_cjk(left[-1]) or is_cjk(right[0]) or left[-1].isdigit() and right[0].isdigit()):
            return f"{left} {right}"
    return left + right
