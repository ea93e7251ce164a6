"""Page geometry to lines in reading order: segments, column gutters, rows, page furniture.

Pure geometry (no PDF library): `cleaners/pdf.py` hands in the glyphs PDFium reports, in its own
text order, with their boxes in PDF points (origin bottom left, y grows upwards).

1. Segments. Consecutive glyphs of PDFium's text order that sit on one line with no wide gap
   between them form a segment. A wide gap (a column gutter, a table cell border) or a jump
   back to the left ends one, so a segment never straddles two columns or two cells.
2. Gutters first. A column gutter is a vertical strip of the page that (almost) no segment
   crosses while text lies on both sides of it (the projection profile of recursive X-Y cut,
   Nagy & Seth 1984, taken once per page). Only then are lines merged.
3. Rows and bands. Segments on one baseline form a row. A row that crosses a gutter (a title,
   a running header, a full-width table) is a band of its own; the rows between such rows form
   a band that is read column by column when each column holds running text, and row by row
   otherwise (a table: one line per row, cells joined by a tab).
4. Furniture. Running headers, footers and page numbers are the lines at the top or bottom of
   a page that recur at the same height on other pages (digits aside), or that are a page
   number (— 1 —, - 1 -, 第1页) at the top or bottom edge.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from itertools import pairwise
from statistics import median
from typing import NamedTuple

from cleaners.layout import is_page_number
from cleaners.normalize import is_cjk

# Two glyphs are on one line when their boxes overlap vertically by this share of the lower one.
SAME_LINE_OVERLAP = 0.5
# A horizontal gap this many glyph sizes wide ends a segment (gutter or cell border) …
SEGMENT_GAP_EMS = 1.0
# … and so does a step back to the left of more than this.
BACKTRACK_EMS = 0.5
# A gap this wide between two glyphs of a segment is a word space (PDFium's own spaces count too).
SPACE_GAP_EMS = 0.3
# A gutter is at least this many glyph sizes wide …
GUTTER_MIN_EMS = 1.0
# … of which at least this much is crossed by the fewest segments (punctuation may hang into it) …
GUTTER_CORE_MIN_EMS = 0.3
# … is crossed by at most this share of the lines beside it (titles, headers, page numbers) …
GUTTER_MAX_CROSSING_SHARE = 0.25
# … and has at least this many lines on each side.
MIN_COLUMN_LINES = 4
# A column of running text: its lines hold this many characters (median); table cells hold fewer.
TEXT_COLUMN_MIN_CHARS = 8
# Rows over a band's columns this many line pitches above the rest of their column head the band.
PREFACE_GAP_PITCHES = 1.6
# Furniture: how many lines from the top and from the bottom of a page are looked at …
FURNITURE_EDGE_LINES = 2
# … and how far (glyph sizes) the same header may move between pages.
FURNITURE_Y_TOLERANCE_EMS = 1.0
# Lines recurring at one height on this many pages are running headers or footers.
FURNITURE_MIN_PAGES = 2


class Glyph(NamedTuple):
    """One printed character: its loose box (font ascent to descent), baseline and size, in points."""

    char: str
    x0: float
    x1: float
    y0: float
    y1: float
    baseline: float
    size: float
    space_before: bool = False  # the text order had a space (printed or PDFium's) before it


@dataclass(frozen=True)
class Segment:
    """Glyphs printed one after another on one line with no wide gap: never two columns or cells."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    baseline: float
    size: float  # the size most of its characters have


@dataclass(frozen=True)
class Line:
    """One line of a page in reading order; table cells are joined by a tab."""

    text: str
    x0: float
    x1: float
    baseline: float
    size: float
    page: int
    frame: tuple[int, int] = (1, 0)  # (columns of its band, its column): whose margins apply
    cells: int = 1


# ---------------------------------------------------------------- segments


def _same_line(a: Glyph | Segment, b: Glyph | Segment) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    lower = min(a.y1 - a.y0, b.y1 - b.y0)
    if lower <= 0:  # a box without height: compare baselines
        return abs(a.baseline - b.baseline) <= 0.3 * max(a.size, b.size)
    return overlap >= SAME_LINE_OVERLAP * lower


def segments(glyphs: list[Glyph]) -> list[Segment]:
    """Cut the text order into segments: a new one at a line change, a wide gap or a step back."""
    runs: list[list[Glyph]] = []
    for glyph in glyphs:
        run = runs[-1] if runs else None
        if run is not None:
            last = run[-1]
            em = max(last.size, glyph.size)
            gap = glyph.x0 - last.x1
            if _same_line(last, glyph) and -BACKTRACK_EMS * em <= gap <= SEGMENT_GAP_EMS * em:
                run.append(glyph)
                continue
        runs.append([glyph])
    return [_segment(run) for run in runs]


def _segment(run: list[Glyph]) -> Segment:
    parts = [run[0].char]
    for last, glyph in pairwise(run):
        spaced = glyph.space_before or glyph.x0 - last.x1 >= SPACE_GAP_EMS * max(last.size, glyph.size)
        if spaced and not (is_cjk(last.char) or is_cjk(glyph.char)):
            parts.append(" ")
        parts.append(glyph.char)
    sizes = Counter(round(g.size, 1) for g in run)
    size = sizes.most_common(1)[0][0]
    main = [g for g in run if round(g.size, 1) == size]
    return Segment(
        text="".join(parts),
        x0=min(g.x0 for g in run),
        x1=max(g.x1 for g in run),
        y0=min(g.y0 for g in main),
        y1=max(g.y1 for g in main),
        baseline=median(g.baseline for g in main),
        size=size,
    )


# ---------------------------------------------------------------- rows, gutters, bands


def rows(items: list[Segment]) -> list[list[Segment]]:
    """Segments grouped by line, top to bottom; each row left to right."""
    found: list[list[Segment]] = []
    for segment in sorted(items, key=lambda s: (-s.baseline, s.x0)):
        if found and _same_line(found[-1][0], segment):
            found[-1].append(segment)
        else:
            found.append([segment])
    return [sorted(row, key=lambda s: s.x0) for row in found]


def gutters(items: list[Segment]) -> list[tuple[float, float]]:
    """Vertical strips with text on both sides that (almost) no segment crosses, left to right."""
    if len(items) < 2 * MIN_COLUMN_LINES:
        return []
    em = median(s.size for s in items)
    start = int(min(s.x0 for s in items))
    cover = [0] * (int(max(s.x1 for s in items)) + 2 - start)
    for s in items:  # a segment covers the whole points inside its box
        for x in range(math.ceil(s.x0) - start, math.floor(s.x1) - start):
            cover[x] += 1
    ceiling = GUTTER_MAX_CROSSING_SHARE * max(cover)
    low = [count <= ceiling for count in cover]
    found: list[tuple[float, float]] = []
    x = 0
    while x < len(cover):
        if not low[x]:
            x += 1
            continue
        end = x
        while end < len(cover) and low[end]:
            end += 1
        beside = min(max(cover[:x], default=0), max(cover[end:], default=0))
        if (
            end - x >= GUTTER_MIN_EMS * em
            and beside >= MIN_COLUMN_LINES
            and max(cover[x:end]) <= GUTTER_MAX_CROSSING_SHARE * beside
        ):
            core_start, core_end = _core(cover, x, end)
            if core_end - core_start >= GUTTER_CORE_MIN_EMS * em:
                found.append((float(start + core_start), float(start + core_end)))
        x = end
    return found


def _core(cover: list[int], start: int, end: int) -> tuple[int, int]:
    """The widest run of the strip [start, end) that the fewest segments cross.

    Lines whose closing punctuation hangs into the gutter (标点悬挂) narrow it but do not cross it.
    """
    least = min(cover[start:end])
    best = (start, start)
    x = start
    while x < end:
        if cover[x] != least:
            x += 1
            continue
        run_end = x
        while run_end < end and cover[run_end] == least:
            run_end += 1
        if run_end - x > best[1] - best[0]:
            best = (x, run_end)
        x = run_end
    return best


def document_gutters(pages: list[list[Segment]]) -> list[list[tuple[float, float]]]:
    """Each page's gutters; a page with none of its own borrows those of other pages that fit it.

    A column that holds only a few lines (the end of an article) gives too little evidence on
    its own page, but the gutter the other pages show still lies empty between its lines.
    """
    own = [gutters(items) for items in pages]
    known = sorted({gutter for found in own for gutter in found})
    return [found or [g for g in known if _fits(g, items)] for found, items in zip(own, pages, strict=True)]


def _fits(gutter: tuple[float, float], items: list[Segment]) -> bool:
    left = sum(1 for s in items if s.x1 <= gutter[0] + 0.5)
    right = sum(1 for s in items if s.x0 >= gutter[1] - 0.5)
    crossing = len(items) - left - right
    return min(left, right) >= 1 and crossing <= GUTTER_MAX_CROSSING_SHARE * (left + right)


def _crosses(segment: Segment, gutter: tuple[float, float]) -> bool:
    return segment.x0 < gutter[1] - 0.5 and segment.x1 > gutter[0] + 0.5


def _column(segment: Segment, found: list[tuple[float, float]]) -> int:
    return sum(1 for gutter in found if segment.x0 >= gutter[1] - 0.5)


def page_lines(items: list[Segment], page: int, found: list[tuple[float, float]]) -> list[Line]:
    """The page's lines in reading order: bands top to bottom, columns left to right within a band.

    `found` are the page's column gutters (`document_gutters`), left to right.
    """
    lines: list[Line] = []
    band: list[list[Segment]] = []
    for row in rows(items):
        if found and not any(_crosses(s, g) for s in row for g in found):
            band.append(row)
            continue
        lines += _band_lines(band, found, page)
        band = []
        lines.append(_row_line(row, page))
    lines += _band_lines(band, found, page)
    return untable_lone_rows(lines)


def untable_lone_rows(lines: list[Line]) -> list[Line]:
    """A line with cells but no table row above or below it is letter-spaced text, not a table.

    Chinese typesetting spreads short headings over a wider measure (综　　合); their gaps look
    like cell gaps, but a table has at least two rows whose cells line up.
    """
    out = list(lines)
    for index, line in enumerate(lines):
        if line.cells < 2:
            continue
        neighbours = [lines[i] for i in (index - 1, index + 1) if 0 <= i < len(lines)]
        if not any(other.cells > 1 for other in neighbours):
            out[index] = replace(line, text=_unspread(line.text), cells=1)
        elif (joined := join_spread_stub(line.text)) != line.text:
            out[index] = replace(line, text=joined, cells=joined.count("\t") + 1)
    return out


@cache
def unit_cells() -> frozenset[str]:
    """Units of measure that stand alone in a table's unit column (rules/pdf_tables.toml)."""
    with (files("cleaners") / "rules" / "pdf_tables.toml").open("rb") as fh:
        return frozenset(tomllib.load(fh)["unit_cells"])


# A row's stub cell that is one character, after an optional marker (#粮 食: "of which" rows).
_ONE_CHAR_STUB = re.compile(r"^[#＃*＊]?\S$")


def join_spread_stub(text: str) -> str:
    """A table row whose first cell was spread over several (鲜\t菜\t91.9 → 鲜菜\t91.9).

    Chinese tables spread a short row label over the stub column's width (指　　标, 鲜　菜); its
    gaps look like cell gaps. A first cell of one CJK character (after an optional # marker) takes
    the one-CJK-character cells after it, except units of measure (纱 | 吨 | 1440.63: the unit
    column; rules/pdf_tables.toml); at least one other cell must remain, so a row of two
    one-character values is left alone.
    """
    parts = text.split("\t")
    if len(parts) < 3 or not _ONE_CHAR_STUB.match(parts[0]) or not is_cjk(parts[0][-1]):
        return text
    units = unit_cells()
    count = 1
    while count < len(parts) - 1 and len(parts[count]) == 1 and is_cjk(parts[count]) and parts[count] not in units:
        count += 1
    if count == 1:
        return text
    return "\t".join(["".join(parts[:count]), *parts[count:]])


def _unspread(text: str) -> str:
    parts = text.split("\t")
    joined = parts[0]
    for part in parts[1:]:
        cjk_join = joined and part and (is_cjk(joined[-1]) or is_cjk(part[0]))
        joined += part if cjk_join else " " + part
    return joined


def _band_lines(band: list[list[Segment]], found: list[tuple[float, float]], page: int) -> list[Line]:
    if not band:
        return []
    columns: dict[int, list[Segment]] = defaultdict(list)
    for row in band:
        for segment in row:
            columns[_column(segment, found)].append(segment)
    by_column = {index: rows(columns[index]) for index in sorted(columns)}
    preface = _preface(by_column)
    if len(by_column) > 1 and all(_is_running_text(column) for column in by_column.values() if column):
        count = len(found) + 1
        return [_row_line(row, page) for row in preface] + [
            _row_line(row, page, frame=(count, index)) for index, column in by_column.items() for row in column
        ]
    return [_row_line(row, page) for row in band]


def _preface(by_column: dict[int, list[list[Segment]]]) -> list[list[Segment]]:
    """Take out the rows that head a band from above its columns (a short title, a masthead).

    They are the leading rows of one column that stand above the top of every other column and
    a paragraph gap above the rest of their own column; left in, a title over the right column
    would be read after the whole left column.
    """
    if len(by_column) < 2:
        return []
    pitches = [a[0].baseline - b[0].baseline for column in by_column.values() for a, b in pairwise(column)]
    pitch = median(pitches) if pitches else 0.0
    taken: list[list[Segment]] = []
    for index, column in by_column.items():
        others_top = max(other[0][0].y1 for i, other in by_column.items() if i != index and other)
        block = 0
        while block < len(column) and column[block][0].y0 > others_top:
            block += 1
        if 0 < block < len(column) and column[block - 1][0].baseline - column[block][0].baseline > PREFACE_GAP_PITCHES * pitch:
            taken += column[:block]
            by_column[index] = column[block:]
    return sorted(taken, key=lambda row: -row[0].baseline)


def _is_running_text(column_rows: list[list[Segment]]) -> bool:
    lengths = [sum(len(s.text) for s in row) for row in column_rows]
    return median(lengths) >= TEXT_COLUMN_MIN_CHARS


def _row_line(row: list[Segment], page: int, frame: tuple[int, int] = (1, 0)) -> Line:
    parts = [row[0].text]
    cells = 1
    for last, segment in pairwise(row):
        gap = segment.x0 - last.x1
        if gap >= SEGMENT_GAP_EMS * max(last.size, segment.size):
            parts.append("\t")
            cells += 1
        elif gap >= SPACE_GAP_EMS * last.size and not (is_cjk(last.text[-1]) or is_cjk(segment.text[0])):
            parts.append(" ")
        parts.append(segment.text)
    sizes: Counter[float] = Counter()
    for segment in row:
        sizes[segment.size] += len(segment.text)
    return Line(
        text="".join(parts),
        x0=row[0].x0,
        x1=max(s.x1 for s in row),
        baseline=median(s.baseline for s in row),
        size=sizes.most_common(1)[0][0],
        page=page,
        frame=frame,
        cells=cells,
    )


# ---------------------------------------------------------------- furniture


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def furniture(pages: list[list[Line]]) -> set[tuple[int, int]]:
    """(page, index) of the running headers, footers and page numbers among the pages' lines.

    A line among the FURNITURE_EDGE_LINES highest or lowest of its page is furniture when the same
    text (digits aside) stands at about the same height on FURNITURE_MIN_PAGES pages or more, or
    when it is a page number and the highest or lowest line of its page.
    """
    found: set[tuple[int, int]] = set()
    at_edges: dict[str, list[tuple[int, int, Line]]] = defaultdict(list)
    for number, lines in enumerate(pages):
        order = sorted(range(len(lines)), key=lambda i: -lines[i].baseline)
        for index in {*order[:1], *order[-1:]}:
            if is_page_number(lines[index].text):
                found.add((number, index))
        for index in {*order[:FURNITURE_EDGE_LINES], *order[-FURNITURE_EDGE_LINES:]}:
            at_edges[_furniture_key(lines[index].text)].append((number, index, lines[index]))
    for entries in at_edges.values():
        for number, index, line in entries:
            tolerance = FURNITURE_Y_TOLERANCE_EMS * line.size
            pages_alike = {n for n, _, other in entries if abs(other.baseline - line.baseline) <= tolerance}
            if len(pages_alike) >= FURNITURE_MIN_PAGES:
                found.add((number, index))
    return found
