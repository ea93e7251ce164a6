"""Layout repair (TEXT_SPEC rule 3): page furniture, hard wraps and page splits.

Page furniture (page numbers, running headers) is dropped; paragraphs that a hard wrap or a
page split cut in two are joined again; headings always keep their own line.

Readers that know a line break from a paragraph break (an HTML <br> or a newline inside <pre>
against a new <p>) write the former as SOFT_BREAK; `join_soft_wraps` decides, from evidence of
a wrap width, whether those breaks are hard wraps to undo or lines to keep (a poem, an address).
"""

from __future__ import annotations

import re
import unicodedata
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
# U+2028 LINE SEPARATOR: a line break inside a paragraph, as opposed to "\n" between paragraphs.
SOFT_BREAK = "\u2028"
# Evidence of a wrap width among soft-broken lines (each one followed by a soft break), measured
# in display columns (a CJK character is two): at least MIN_WRAPPED_LINES of them, MIN_FULL_SHARE
# within WRAP_TOLERANCE of the width, and MIN_CUT_SHARE of those cut inside a word (ending on a
# letter, digit or ideograph, not on punctuation).
MIN_WRAPPED_LINES = 5
MIN_WRAP_COLUMNS = 24
WRAP_TOLERANCE = 0.1
MIN_FULL_SHARE = 0.6
MIN_CUT_SHARE = 0.5


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


def join_soft_wraps(text: str) -> str:
    """Undo the hard wraps among SOFT_BREAK-separated lines, then make every soft break a line break.

    Lines are joined only where the text shows a wrap width: at least MIN_WRAPPED_LINES lines
    followed by a soft break, MIN_FULL_SHARE of them within WRAP_TOLERANCE of the width (the
    80th percentile of their display widths, at least MIN_WRAP_COLUMNS), and MIN_CUT_SHARE of
    those cut inside a word. Headings, list items, poems and addresses show no such width.
    With the evidence, a line reaching the width continues into the next unless the next is a
    heading or a subtitle, or starts a paragraph: by its indentation where the text indents
    paragraphs (U+3000 or two spaces), else when the line ends a sentence in a paragraph that
    also holds short lines (where every line but the last reaches the width, all are wraps).
    """
    if SOFT_BREAK not in text:
        return text
    paragraphs = [paragraph.split(SOFT_BREAK) for paragraph in text.split("\n")]
    width = wrap_width([piece.strip() for pieces in paragraphs for piece in pieces[:-1] if piece.strip()])
    if width is None:
        return text.replace(SOFT_BREAK, "\n")
    indents = sum(_indented(piece) for pieces in paragraphs for piece in pieces[1:]) >= 2
    return "\n".join("\n".join(_join_wrapped(pieces, width, indents)) for pieces in paragraphs)


def _indented(piece: str) -> bool:
    indent = piece[: len(piece) - len(piece.lstrip())]
    return "\u3000" in indent or len(indent) >= 2


def wrap_width(lines: list[str]) -> int | None:
    """The display width most `lines` (each followed by a soft break) were cut at; None without evidence."""
    if len(lines) < MIN_WRAPPED_LINES:
        return None
    widths = sorted(display_width(line) for line in lines)
    width = widths[int(0.8 * (len(widths) - 1))]
    if width < MIN_WRAP_COLUMNS:
        return None
    full = [line for line in lines if _reaches(line, width) and display_width(line) <= width * (1 + WRAP_TOLERANCE)]
    cut = [line for line in full if line[-1].isalnum()]
    if len(full) < MIN_FULL_SHARE * len(lines) or len(cut) < MIN_CUT_SHARE * len(full):
        return None
    return width


def _reaches(line: str, width: int) -> bool:
    return display_width(line) >= width * (1 - WRAP_TOLERANCE)


def display_width(line: str) -> int:
    """Columns the line takes in a fixed-width layout: two for wide and ambiguous (CJK) characters, spaces not counted."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line if not ch.isspace())


def _join_wrapped(raw: list[str], width: int, indents: bool) -> list[str]:
    """The lines of one paragraph's soft-broken pieces, hard wraps joined."""
    pieces = [piece.strip() for piece in raw]
    reaches = [_reaches(piece, width) for piece in pieces]
    one_paragraph = all(reaches[:-1])
    lines: list[str] = []
    for index, piece in enumerate(pieces):
        if not piece:
            continue
        previous = pieces[index - 1] if index else ""
        new_paragraph = _indented(raw[index]) if indents else not one_paragraph and ends_paragraph(previous)
        continues = (
            bool(previous)
            and reaches[index - 1]
            and not is_heading(piece)
            and not piece.startswith("——")
            and not new_paragraph
        )
        if continues and lines:
            # A wrap in CJK text cuts between characters, inside an ASCII word (A|I+监管) too.
            cjk_text = any(is_cjk(ch) for ch in previous)
            lines[-1] = lines[-1] + piece if cjk_text else glue(lines[-1], piece)
        else:
            lines.append(piece)
    return lines


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
    if (
        left
        and right
        and left[-1].isalnum()
        and right[0].isalnum()
        and not (is_cjk(left[-1]) or is_cjk(right[0]) or (left[-1].isdigit() and right[0].isdigit()))
    ):
        return f"{left} {right}"
    return left + right
