"""Character- and line-level normalisation: TEXT_SPEC rules 2, 4, 5 and 6.

Every function here is a pure `str -> str` step that leaves already-canonical text unchanged.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

HAN = (
    "\u3400-\u4dbf"  # Extension A
    "\u4e00-\u9fff"  # Unified Ideographs
    "\uf900-\ufaff"  # Compatibility Ideographs
    "\U00020000-\U0003134f"  # Extensions B–H
)
# Chinese typesetting treats quotes, dashes, ellipsis and the interpunct as full-width marks.
CJK_PUNCTUATION = (
    "\u3001-\u303f"  # 、。〈〉《》「」『』【】〔〕… (U+3000, the ideographic space, is whitespace)
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"  # ！＂＃…，．／：；＜＝＞？＠［＼］｛｜｝～
    "\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"  # ‘’“”—…·
)
CJK = HAN + CJK_PUNCTUATION

_LINE_BREAKS = re.compile(r"\r\n|[\r\f\v\x1c\x1d\x1e\x85\u2028\u2029]")
# Control characters other than \n and \t, and invisible marks that only break matching.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff]")
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")
# Every character str.isspace() accepts but LF and TAB (tests/test_normalize.py checks the list):
# spelt out, a character class is matched by ranges, not by a Unicode lookup per character.
INLINE_WHITESPACE = "\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INLINE_SPACE = re.compile(f"[{INLINE_WHITESPACE}]+")
# A TAB is the cell separator of a table row: the spaces around it go, the TAB stays.
_SPACE_AROUND_TAB = re.compile(f"[{INLINE_WHITESPACE}]*\t[{INLINE_WHITESPACE}]*")
# Runs of spaces are found by their literal and their neighbours looked at: a lookbehind in the
# pattern would be tried at every character (2.5x slower on the gold and real texts).
_SPACES = re.compile(" +")
_IS_CJK = re.compile(rf"[{CJK}]")

# Blocks of look-alike code points that PDF fonts' ToUnicode maps emit for ordinary ideographs.
_COMPATIBILITY_IDEOGRAPHS = re.compile(
    "["
    "\u2e80-\u2eff"  # CJK Radicals Supplement (⻓ for 长): Unicode's Equivalent_Unified_Ideograph
    "\u2f00-\u2fdf"  # Kangxi Radicals (⼯ for 工): their NFKC decompositions
    "\uf900-\ufaff"  # CJK Compatibility Ideographs: their decompositions (12 unified ones have none)
    "\U0002f800-\U0002fa1f"  # CJK Compatibility Ideographs Supplement
    "]"
)
RADICALS_PATH: Traversable = files("cleaners") / "rules" / "radicals.toml"

ASCII_DIGITS = "0123456789"
FULLWIDTH_OF = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_PAREN_PAIR = re.compile(r"\(([^()（）\n]*)\)")
_WIDENABLE = re.compile("[" + re.escape("".join(FULLWIDTH_OF)) + "]")


def unify_line_breaks(text: str) -> str:
    """Every line separator (CRLF, CR, form feed, U+2028 …) becomes `\\n`."""
    return _LINE_BREAKS.sub("\n", text)


def remove_invisible_characters(text: str) -> str:
    """Drop control characters (keeping `\\n` and `\\t`), zero-width spaces and BOMs."""
    return _INVISIBLE.sub("", text)


def to_nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold_compatibility_ideographs(text: str) -> str:
    """Radicals and compatibility ideographs become the ordinary ideograph (⼯ → 工, ⻓ → 长).

    Only these four blocks are touched, one character at a time; nothing else of NFKC is applied
    (TEXT_SPEC rule 4: NFC only). Kangxi radicals and compatibility ideographs fold by their
    Unicode decomposition (NFKC of the single character); CJK Radicals Supplement characters
    mostly have none, so they fold by the UCD's EquivalentUnifiedIdeograph.txt
    (`rules/radicals.toml`, made by tools/make_radicals_table.py). A radical with no ordinary
    equivalent (U+2E80) stays as it is.
    """
    return _COMPATIBILITY_IDEOGRAPHS.sub(_fold_ideograph, text)


def _fold_ideograph(match: re.Match[str]) -> str:
    char = match.group()
    return radical_equivalents().get(char) or unicodedata.normalize("NFKC", char)


@cache
def radical_equivalents() -> dict[str, str]:
    """CJK Radicals Supplement character → its equivalent unified ideograph, from rules/radicals.toml."""
    with RADICALS_PATH.open("rb") as fh:
        table: dict[str, str] = tomllib.load(fh)["equivalent"]
    return table


def halfwidth_ascii_alnum(text: str) -> str:
    """Full-width ASCII letters and digits become half-width (２０２３ → 2023); nothing else does."""
    return _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)


def tidy_line_whitespace(text: str) -> str:
    """Strip every line (U+3000 included), collapse inner runs of whitespace to one space.

    A TAB inside a line separates two cells of a table row (one row per line, as readers of
    tables emit it): it survives, without the spaces around it, one TAB per cell boundary.
    """
    # Neither substitution crosses a line break, so each runs once over the whole text.
    if "\t" in text:
        text = _SPACE_AROUND_TAB.sub("\t", text)
    return "\n".join(line.strip() for line in _INLINE_SPACE.sub(" ", text).split("\n"))


def remove_space_next_to_cjk(text: str) -> str:
    """No space touches a CJK character or CJK punctuation (2846.03 亿元 → 2846.03亿元)."""
    text = tidy_line_whitespace(text)
    return _SPACES.sub(_unless_next_to_cjk, text) if " " in text else text


def _unless_next_to_cjk(run: re.Match[str]) -> str:
    """A run of spaces, or nothing when a CJK character is its neighbour on either side."""
    text, start, end = run.string, run.start(), run.end()
    if (start and _IS_CJK.match(text, start - 1)) or (end < len(text) and _IS_CJK.match(text, end)):
        return ""
    return run.group()


def drop_blank_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip())


def widen_ascii_punctuation(text: str) -> str:
    """ASCII `, : ; ( ) ? !` next to CJK become full-width, unless they sit between two digits."""
    return "\n".join(_widen_line(line) for line in text.split("\n"))


def _widen_line(line: str) -> str:
    if not _WIDENABLE.search(line):
        return line
    # Widening makes new CJK neighbours ("(一),区域"), so repeat until nothing changes.
    while True:
        widened = _widen_singles(_widen_paren_pairs(line))
        if widened == line:
            return line
        line = widened


def _widen_paren_pairs(line: str) -> str:
    """A pair of parentheses is widened as a whole, so `(1)加快` never becomes `(1）加快`."""

    def widen(match: re.Match[str]) -> str:
        inside_cjk = _IS_CJK.search(match.group(1)) is not None
        if inside_cjk or _cjk_before(line, match.start()) or _cjk_after(line, match.end() - 1):
            return f"（{match.group(1)}）"
        return match.group()

    return _PAREN_PAIR.sub(widen, line)


def _widen_singles(line: str) -> str:
    paired = {i for m in _PAREN_PAIR.finditer(line) for i in (m.start(), m.end() - 1)}
    chars = list(line)
    for match in _WIDENABLE.finditer(line):
        i = match.start()
        if i not in paired and not _between_digits(line, i) and (_cjk_before(line, i) or _cjk_after(line, i)):
            chars[i] = FULLWIDTH_OF[match.group()]
    return "".join(chars)


def _between_digits(line: str, i: int) -> bool:
    return 0 < i < len(line) - 1 and line[i - 1] in ASCII_DIGITS and line[i + 1] in ASCII_DIGITS


def _cjk_before(line: str, i: int) -> bool:
    """Whether the nearest non-space character left of `i` is CJK."""
    i -= 1
    while i >= 0 and line[i].isspace():
        i -= 1
    return i >= 0 and is_cjk(line[i])


def _cjk_after(line: str, i: int) -> bool:
    i += 1
    while i < len(line) and line[i].isspace():
        i += 1
    return i < len(line) and is_cjk(line[i])


def is_cjk(char: str) -> bool:
    return _IS_CJK.match(char) is not None
