"""Calendar dates as Chinese documents and portals write them, to ISO 8601 (YYYY-MM-DD).

Written forms: 2024年1月5日, 2024-01-05 (with a time after it or not), 2024/1/5, 2024.01.05,
full-width digits (２０２４年), and Chinese numerals as older 公文 set the 成文日期
(二〇二四年一月五日, 二○二四年十二月三十一日, 二零二四年元月五日). GB/T 9704-2012 7.3.5.1 asks for
Arabic numerals (年份标全称，月、日不编虚位); documents written before it use Chinese numerals.
Only whole dates are dates here: 2024年1月 (no day) is not one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# 〇 (U+3007), ○ (U+25CB, the circle typists use for it), 零, and the Latin O/o and zero it is mistyped as.
_ZERO = "〇○零OoΟ0"
_DIGITS = {**dict.fromkeys(_ZERO, 0), "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DIGIT = "[" + "".join(_DIGITS) + "]"
_CN_SMALL = "[" + "".join(_DIGITS) + "十廿卅元]"  # month and day: 十二, 二十五, 廿五, 元月
_SEP = r"\s*"
ARABIC_DATE_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})(?!\d)\s*日?"
)
CHINESE_DATE_RE = re.compile(
    rf"(?P<y>{_CN_DIGIT}{{4}}){_SEP}年{_SEP}(?P<m>{_CN_SMALL}{{1,3}}){_SEP}月{_SEP}(?P<d>{_CN_SMALL}{{1,3}}){_SEP}日"
)


def chinese_number(text: str) -> int | None:
    """1–99 written in Chinese numerals (五, 十二, 二十五, 廿五, 卅一, 元 for the first month); None otherwise."""
    if text == "元":
        return 1
    text = text.replace("廿", "二十").replace("卅", "三十")
    if "十" not in text:
        return _DIGITS.get(text) if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or (tens and tens not in _DIGITS) or (units and units not in _DIGITS):
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def iso_date(text: str | None) -> str | None:
    """The first whole calendar date in `text` as YYYY-MM-DD, or None.

    Arabic and Chinese numerals, full-width digits and the usual separators are read; an
    impossible date (2024-02-30) is no date.
    """
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    arabic = ARABIC_DATE_RE.search(text)
    chinese = CHINESE_DATE_RE.search(text)
    if arabic and (not chinese or arabic.start() <= chinese.start()):
        return _valid(int(arabic["y"]), int(arabic["m"]), int(arabic["d"]))
    if chinese:
        year = int("".join(str(_DIGITS[ch]) for ch in chinese["y"]))
        month, day = chinese_number(chinese["m"]), chinese_number(chinese["d"])
        if month is not None and day is not None:
            return _valid(year, month, day)
    return None


# Longer than any whole date with spaces around its parts (二〇二四年十二月三十一日, 2024 年 12 月 31 日).
MAX_DATE_LINE_CHARS = 40


def is_date_line(line: str) -> bool:
    """A line that is one whole date and nothing else (the 成文日期 line of a 公文)."""
    if len(line) > MAX_DATE_LINE_CHARS:
        return False  # most lines are sentences: no need to normalise them first
    line = unicodedata.normalize("NFKC", line).strip()
    for pattern in (ARABIC_DATE_RE, CHINESE_DATE_RE):
        match = pattern.fullmatch(line)
        if match and iso_date(line):
            return True
    return False
