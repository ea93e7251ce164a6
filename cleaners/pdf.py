"""PDF bytes to report paragraphs and a title, with pypdfium2.

Reading order. PDFium hands out every character with its loose box, baseline origin and font
size, in its own text order; `cleaners/pdf_layout.py` cuts that order into segments at wide
gaps, finds the column gutters of each page before any line is merged, and reads each band of
the page column by column (running text) or row by row (tables, one line per row). Running
headers, footers and page numbers are dropped by their place on the page.

Why pypdfium2 and not pdfminer.six (`benchmarks/pdf_engines.py` prints the comparison on the
fixture PDFs, the PDF fault cases and the real bulletins in ../shared/realworld/documents):
pdfminer's layout analysis (LAParams) reads a table column by column, so the cells of one row end
up far apart (4 of 7 and 5 of 7 checks on the two real bulletins, against 7 of 7), and it
interleaves the lines of the two-column gazette (1 of 6 checks); both engines decode the fonts
to the same characters. pdfminer takes about 0.12 s a page, cleaners.pdf 0.02 s (PDFium's text
layer alone 0.005 s), which matters for 100-page yearbooks. PDFium's own text order follows the
content stream, which is the producer's choice (right on the bulletins and the gazette, not on
a page written across its columns or with its header drawn last), and as plain text it loses
where lines end, so hard wraps cannot be told from paragraph ends (2 of 6 on the gazette, 71 %
of the fixture paragraphs whole): the order and the paragraphs here come from the boxes.

Scanned pages. A page without a usable text layer (a scan, or glyph codes instead of text) is
rendered and recognised (`cleaners/ocr.py`); its recognised characters, with their boxes, take
the place of the text layer's glyphs, so OCR'd lines go through the same segments, columns,
furniture and paragraphs as printed ones, and `PdfText.ocr` says what OCR did.

Paragraphs are rebuilt from geometry: a line that starts flush at the left margin of its column
continues the body line before it when that one ran to the right margin of its own column (also
across a column or a page break). Indented, centred and short lines start or end paragraphs;
table rows are never joined. The title is the largest text above the body on the first page,
else a heading image above the first page's text, recognised (cleaners/pdf_heading.py), else
the document's Title metadata unless that is only a place or an organ's name.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import reduce
from itertools import pairwise
from statistics import median
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from cleaners.document import Rejected
from cleaners.layout import glue, is_heading
from cleaners.metadata import is_place_name
from cleaners.ocr import OcrRun, needs_ocr
from cleaners.ocr_options import DEFAULT_OCR, OcrOptions
from cleaners.official import is_organ
from cleaners.pdf_heading import image_heading
from cleaners.pdf_layout import (
    Glyph,
    Line,
    Segment,
    document_gutters,
    furniture,
    page_lines,
    segments,
)
from cleaners.titles import is_title_line

# Fewer letters than this in the whole file: a scan or a form without a text layer.
MIN_TEXT_CHARS = 20
# A title is printed at least this much larger than the body text.
TITLE_MIN_SIZE_RATIO = 1.15
# A line of body size with this many characters is where the body begins.
BODY_LINE_MIN_CHARS = 10
# A line ending within this many character widths of the right margin ran to the margin.
FULL_LINE_SLACK_EMS = 2.5
# The right margin: where this share of the lines of running text end (a few hang punctuation out).
RIGHT_MARGIN_SHARE = 0.95
# A line starting within this many character widths of the left margin is flush.
FLUSH_SLACK_EMS = 0.5
# A gap this many times the usual line pitch separates paragraphs.
PARAGRAPH_GAP_PITCHES = 1.6
# Lines of different sizes (beyond this ratio) are not one paragraph.
SAME_SIZE_RATIO = 0.15
# A column with fewer lines than this has no margins worth measuring: its lines are never joined.
MIN_FRAME_LINES = 3
# Sizes below this (points) are taken as this: a glyph without a size still has a place.
MIN_GLYPH_SIZE = 0.5
# Metadata titles that say nothing: empty, tool defaults, file names.
USELESS_META_TITLE_RE = re.compile(r"^(untitled|无标题|microsoft word\b.*|.*\.(docx?|wps|pdf|txt))$", re.IGNORECASE)
# PDFium reports a hyphen at the end of a line as U+0002 or U+FFFE (a possible soft hyphen); in
# Chinese text it is a printed one (石门二路-01).
PDFIUM_HYPHENS = (0x02, 0xFFFE)
HYPHEN = "-"


@dataclass(frozen=True)
class Layout:
    """One column frame of a document: where flush lines start and full lines end."""

    left: float
    right: float
    em: float
    pitch: float
    full_chars: int  # characters (indent included) on a line that runs to the margin
    lines: int

    def chars_to_margin(self, line: Line) -> int:
        return len(line.text.rstrip()) + max(0, round((line.x0 - self.left) / self.em))

    def ran_to_margin(self, line: Line) -> bool:
        """Ends at the right margin, or holds a full line's characters (narrow digits end short)."""
        return line.x1 >= self.right - FULL_LINE_SLACK_EMS * self.em or self.chars_to_margin(line) >= self.full_chars - 1


@dataclass(frozen=True)
class PdfText:
    title: str | None
    text: str  # one paragraph (or table row) per line; page furniture removed
    pages: int
    ocr: dict[str, Any] | None = None  # what OCR did (`OcrRun.metadata`), None when no page was recognised
    damaged_pages: list[int] = field(default_factory=list)  # 1-based numbers of pages PDFium could not load
    title_from_ocr: bool = False  # the title is a heading image on the first page, recognised (cleaners/pdf_heading.py)


# ---------------------------------------------------------------- reading


def page_glyphs(textpage: pdfium.PdfTextPage) -> list[Glyph]:
    """The printed characters of a page in PDFium's text order; spaces become `space_before`.

    PDFium's own spaces and line breaks (generated characters) are whitespace like printed ones.
    """
    glyphs: list[Glyph] = []
    handle = textpage.raw
    box = pdfium_c.FS_RECTF()
    matrix = pdfium_c.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    unicode_of, loose_box, origin = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetCharOrigin
    font_size, char_matrix = pdfium_c.FPDFText_GetFontSize, pdfium_c.FPDFText_GetMatrix
    space = False
    count = pdfium_c.FPDFText_CountChars(handle)
    index = 0
    while index < count:
        at = index
        code = unicode_of(handle, at)
        index += 1
        if 0xD800 <= code <= 0xDBFF and index < count:  # a character outside the BMP comes in two halves
            low = unicode_of(handle, index)
            if 0xDC00 <= low <= 0xDFFF:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                index += 1
        if code in PDFIUM_HYPHENS and pdfium_c.FPDFText_IsHyphen(handle, at):
            char = HYPHEN
        else:
            char = chr(code)
            if char.isspace() or not char.isprintable() or code in (0xFFFE, 0xFFFF):
                space = True
                continue
        loose_box(handle, at, box)
        origin(handle, at, x, y)
        char_matrix(handle, at, matrix)
        size = font_size(handle, at) * (math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)) or 1.0)
        if size <= 0:
            size = box.top - box.bottom
        size = max(size, MIN_GLYPH_SIZE)
        glyphs.append(Glyph(char, box.left, box.right, box.bottom, box.top, y.value, size, space))
        space = False
    return glyphs


def read_pages(data: bytes, ocr: OcrRun, damaged: list[int]) -> tuple[list[list[Line]], dict[str, str]]:
    """Each page's lines in reading order, and the document's metadata; Rejected('unreadable').

    A page whose text layer is no use (`needs_ocr`) gets its glyphs from `ocr` instead. A page
    PDFium cannot load is read as empty and its number (1-based) appended to `damaged`.
    """
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Rejected("unreadable", f"PDF cannot be opened: {error}") from error
    try:
        pieces: list[list[Segment]] = []
        for number in range(len(pdf)):
            try:
                page = pdf[number]
            except pdfium.PdfiumError:
                damaged.append(number + 1)  # a damaged page costs its own text, not the document's
                pieces.append([])
                continue
            textpage = page.get_textpage()
            try:
                glyphs = ocr.page_glyphs(page, number) if needs_ocr(page, textpage.get_text_range()) else page_glyphs(textpage)
                pieces.append(segments(glyphs))
            finally:
                textpage.close()
                page.close()
        gutters = document_gutters(pieces)
        pages = [page_lines(items, number, gutters[number]) for number, items in enumerate(pieces)]
        return pages, pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()


# ---------------------------------------------------------------- title


def body_size(lines: list[Line]) -> float:
    """The font size most characters are printed in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def title_lines(first_page: list[Line], size: float) -> list[int]:
    """Indexes of the title's lines: the largest text above the body on the first page."""
    above: list[int] = []
    for index, line in enumerate(first_page):
        if abs(line.size - size) <= SAME_SIZE_RATIO * size and len(line.text) >= BODY_LINE_MIN_CHARS:
            break
        above.append(index)
    if not above:
        return []
    largest = max(first_page[i].size for i in above)
    if largest < TITLE_MIN_SIZE_RATIO * size:
        return []
    first = next(i for i in above if first_page[i].size >= largest - 0.5)
    chosen = [first]
    while chosen[-1] + 1 in above and first_page[chosen[-1] + 1].size >= largest - 0.5:
        chosen.append(chosen[-1] + 1)
    return chosen


def metadata_title(meta: dict[str, str]) -> str | None:
    """The file's Title metadata when it can be a title: not a tool default or a file name, and
    not a bare place or organ name (黔东南苗族侗族自治州: the first line of a heading, set as an
    image, that the exporting tool took for the title)."""
    title = (meta.get("Title") or "").strip()
    if not title or USELESS_META_TITLE_RE.match(title) or is_place_name(title) or is_organ(title):
        return None
    return title


# ---------------------------------------------------------------- paragraphs


def percentile(values: list[float], share: float) -> float:
    """The value `share` of the way up the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def measure(body: list[Line]) -> Layout:
    """Left margin, right margin, character width, line pitch and characters per full line.

    Table rows (several cells) say nothing about the margins of running text and are left out.
    """
    text = [line for line in body if line.cells == 1] or body
    starts = Counter(round(line.x0) for line in text)
    left = min((x for x, n in starts.items() if n >= 2), default=min(starts))
    widths = [(line.x1 - line.x0) / len(line.text.strip()) for line in text if len(line.text.strip()) >= 10]
    em = max(median(widths) if widths else median(line.size for line in text), MIN_GLYPH_SIZE)
    flush = [line for line in text if abs(line.x0 - left) <= em]
    right = percentile([line.x1 for line in text], RIGHT_MARGIN_SHARE)
    gaps = [
        a.baseline - b.baseline
        for a, b in pairwise(body)
        if a.page == b.page and a.baseline > b.baseline and a.size == b.size
    ]
    pitch = median(gaps) if gaps else em * 1.5
    layout = Layout(left=left, right=right, em=em, pitch=pitch, full_chars=0, lines=len(body))
    full_chars = percentile([layout.chars_to_margin(line) for line in flush or text], 0.9)
    return replace(layout, full_chars=int(full_chars))


def continues(previous: Line, line: Line, layouts: dict[tuple[int, int], Layout]) -> bool:
    """`line` is a hard-wrapped continuation of `previous` (also across a column or page break)."""
    before, layout = layouts[previous.frame], layouts[line.frame]
    if min(before.lines, layout.lines) < MIN_FRAME_LINES or previous.cells > 1 or line.cells > 1:
        return False
    if abs(line.size - previous.size) > SAME_SIZE_RATIO * max(line.size, previous.size):
        return False
    flush = abs(line.x0 - layout.left) <= FLUSH_SLACK_EMS * layout.em
    previous_is_body = abs(previous.x0 - before.left) <= 4 * before.em  # flush or indented, not centred
    same_column = line.page == previous.page and line.frame == previous.frame
    spaced = same_column and previous.baseline - line.baseline > PARAGRAPH_GAP_PITCHES * layout.pitch
    return (
        flush
        and before.ran_to_margin(previous)
        and previous_is_body
        and not spaced
        and not is_heading(line.text.strip())
    )


def paragraphs(lines: list[Line]) -> list[str]:
    """Lines joined into paragraphs by geometry, each column measured on its own."""
    frames: dict[tuple[int, int], list[Line]] = defaultdict(list)
    for line in lines:
        frames[line.frame].append(line)
    layouts = {frame: measure(members) for frame, members in frames.items()}
    out: list[str] = []
    previous: Line | None = None
    for line in lines:
        text = line.text.strip()
        if previous is not None and continues(previous, line, layouts):
            out[-1] = glue(out[-1], text)
        else:
            out.append(text)
        previous = line
    return out


# ---------------------------------------------------------------- the whole


def extract_pdf(data: bytes, ocr: OcrOptions = DEFAULT_OCR) -> PdfText:
    """Paragraphs and title of a PDF, scanned pages recognised as `ocr` allows.

    Raises Rejected('no_text') when neither the text layer nor OCR gives text (the detail says
    what OCR did), Rejected('unreadable') for a file PDFium cannot open or none of whose pages
    it can load. Pages it cannot load are left out and named in `damaged_pages`.
    """
    run = OcrRun(ocr)
    damaged: list[int] = []
    pages, meta = read_pages(data, run, damaged)
    if pages and len(damaged) == len(pages):
        raise Rejected("unreadable", f"none of the PDF's {len(pages)} pages can be loaded: the file is damaged")
    letters = sum(ch.isalnum() for lines in pages for line in lines for ch in line.text)
    if letters < MIN_TEXT_CHARS:
        raise Rejected("no_text", f"{letters} letters in {len(pages)} pages: scanned or image-only PDF; {run.why_no_text()}")
    dropped = furniture(pages)
    pages = [[line for i, line in enumerate(lines) if (n, i) not in dropped] for n, lines in enumerate(pages)]
    title = None
    first = next((n for n, lines in enumerate(pages) if lines), None)
    if first is not None:
        page = pages[first]
        chosen = title_lines(page, body_size([line for lines in pages for line in lines]))
        heading = reduce(glue, (page[i].text.strip() for i in chosen), "")
        if chosen and is_title_line(heading):
            title = heading
            one_line = replace(page[chosen[0]], text=heading, cells=1)
            pages[first] = [one_line if i == chosen[0] else line for i, line in enumerate(page) if i not in chosen[1:]]
    from_ocr = False
    if title is None and first is not None:
        top_line = pages[first][0]
        title = image_heading(data, first, top_line.baseline + top_line.size, ocr)
        from_ocr = title is not None
    body = paragraphs([line for lines in pages for line in lines])
    return PdfText(
        title=title or metadata_title(meta),
        text="\n".join(body),
        pages=len(pages),
        ocr=run.metadata(),
        damaged_pages=damaged,
        title_from_ocr=from_ocr,
    )
