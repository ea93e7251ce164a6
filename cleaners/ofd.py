"""OFD bytes to report paragraphs, title and metadata: the package read with zipfile and lxml.

OFD (GB/T 33190-2016, 电子文件存储与交换格式 版式文档) is a zip package: `OFD.xml` at the root
names each document's `Document.xml` (DocBody/DocRoot) and carries its DocInfo (Title, Author,
CreationDate, CustomDatas …); `Document.xml` lists the pages in order (Pages/Page@BaseLoc) and
the page templates (CommonData/TemplatePage); each page's `Content.xml` holds layers of
graphic units. Text is in `TextObject`s: the object's `Boundary` places its own coordinate
space on the page (millimetres, y downwards), an optional `CTM` maps into it, and each
`TextCode` gives a start point (X, Y: the baseline) and the advances between its characters
(DeltaX, DeltaY, where `g N v` repeats v N times).

No PyPI package reads these files reliably (measured: easyofd loses reading order, fails on
`testImageOverridePage.ofd` and pulls in PyMuPDF; ofdparser is its unmaintained predecessor),
so this is a small reader of the standard's text model. Every character is placed on its page,
lines are rebuilt by baseline, a wide gap inside a line is a table cell boundary (TAB), and
hard-wrapped lines are joined into paragraphs by geometry, as for PDF. Page templates (the
background of a form) are read with the page they sit under.

Text codes that are private-use glyph codes rather than Unicode (a producer that wrote glyph
ids with a subset font) cannot be turned back into text: such a file is Rejected as
`unreadable` with detail `ofd_glyph_codes: …`, never stored as garbage.
"""

from __future__ import annotations

import posixpath
import re
import statistics
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from itertools import pairwise

from lxml import etree

from cleaners.dates import iso_date
from cleaners.document import ZIP_READ_ERRORS, Rejected
from cleaners.head_fields import split_head_fields
from cleaners.layout import glue, is_heading
from cleaners.official import document_number, issuer_mark
from cleaners.titles import PAGE_NUMBER_RE, is_title_line

MIN_TEXT_CHARS = 20
# Glyph codes: refuse when this share of the letters (and digits) is in a Private Use Area.
MAX_PRIVATE_USE_SHARE = 0.05
MIN_PRIVATE_USE_CHARS = 10
# Characters whose baselines are this many font sizes apart or less stand on one line.
BASELINE_TOLERANCE_EMS = 0.35
# A gap this many font sizes wide inside a line separates two table cells (written as a TAB) …
CELL_GAP_EMS = 2.0
# … and a gap this wide separates two words.
WORD_GAP_EMS = 0.3
# A second copy of a character this close to the first is overprinting (fake bold), not text.
OVERPRINT_EMS = 0.2
# Paragraph geometry, in font sizes and line pitches (as cleaners/pdf.py).
FULL_LINE_SLACK_EMS = 1.5
FLUSH_SLACK_EMS = 0.5
BODY_INDENT_EMS = 4.0
PARAGRAPH_GAP_PITCHES = 1.6
SAME_SIZE_EMS = 0.1
TITLE_LINES_SCANNED = 12
USELESS_DOCINFO_TITLE_RE = re.compile(r"^(untitled|无标题|.*\.(ofd|docx?|wps|pdf|txt))$", re.IGNORECASE)
DOCINFO_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
DOCINFO_FIELDS = {"Title": "title", "Author": "author", "Subject": "subject", "Keywords": "keywords",
                  "CreationDate": "created", "ModDate": "modified", "Creator": "creator"}


@dataclass(frozen=True)
class Glyph:
    char: str
    x: float  # left edge on the page, mm
    baseline: float  # mm from the top of the page
    size: float  # font size on the page, mm
    advance: float  # width taken by the character, mm


@dataclass
class Line:
    text: str  # cells separated by TABs
    x0: float
    x1: float
    baseline: float
    size: float
    page: int
    cell_sizes: tuple[float, ...] = ()  # the font size of each cell of `text`

    @property
    def is_row(self) -> bool:
        return "\t" in self.text


@dataclass(frozen=True)
class OfdText:
    title: str | None
    text: str  # one paragraph (or table row) per line; page numbers still there
    pages: int
    metadata: dict[str, str] = field(default_factory=dict)
    tables: list[list[list[str]]] = field(default_factory=list)


# ---------------------------------------------------------------- the package


def local(element: etree._Element) -> str:
    return etree.QName(element.tag).localname if isinstance(element.tag, str) else ""


def numbers(value: str | None) -> list[float]:
    """The numbers of an attribute such as `Boundary` or `CTM`; [] when absent or broken."""
    try:
        return [float(part) for part in (value or "").split()]
    except ValueError:
        return []


def deltas(value: str | None) -> list[float]:
    """DeltaX/DeltaY with the `g N v` shorthand (N copies of v) expanded."""
    out: list[float] = []
    parts = (value or "").split()
    i = 0
    try:
        while i < len(parts):
            if parts[i] == "g" and i + 2 < len(parts):
                out += [float(parts[i + 2])] * int(parts[i + 1])
                i += 3
            else:
                out.append(float(parts[i]))
                i += 1
    except ValueError:
        return out
    return out


_PART_ERRORS: tuple[type[Exception], ...] = (etree.XMLSyntaxError, ValueError, *ZIP_READ_ERRORS)


class Package:
    """The zip package and its XML parts, read by path relative to the part that names them."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(BytesIO(data))
        except ZIP_READ_ERRORS as error:
            raise Rejected("unreadable", f"OFD cannot be opened: {error}") from error
        self.names = {name.lower(): name for name in self.zip.namelist()}
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

    def xml(self, path: str) -> etree._Element | None:
        name = self.names.get(path.lstrip("/").lower())
        if name is None:
            return None
        try:
            return etree.fromstring(self.zip.read(name), self.parser)
        except _PART_ERRORS:
            return None  # a damaged part reads as a missing one

    @staticmethod
    def resolve(base_dir: str, location: str) -> str:
        location = location.strip().replace("\\", "/")
        return posixpath.normpath(location.lstrip("/") if location.startswith("/") else posixpath.join(base_dir, location))


def doc_info(info: etree._Element | None) -> dict[str, str]:
    """DocInfo fields under metadata names; CustomData entries as `ofd.<Name>`."""
    fields: dict[str, str] = {}
    if info is None:
        return fields
    for child in info:
        name = local(child)
        text = " ".join((child.text or "").split())
        if name in DOCINFO_FIELDS and text:
            # xs:date written without its zeros (2023-7-12) becomes ISO; a dateTime stays as it is.
            fields[DOCINFO_FIELDS[name]] = (iso_date(text) or text) if DOCINFO_DATE_RE.fullmatch(text) else text
        elif name == "CustomDatas":
            for data in child:
                key, value = data.get("Name"), " ".join((data.text or "").split())
                if key and value:
                    fields[f"ofd.{key}"] = value
    return fields


# ---------------------------------------------------------------- characters on a page


def text_glyphs(obj: etree._Element) -> Iterator[Glyph]:
    """The characters of one TextObject, placed on the page."""
    box = numbers(obj.get("Boundary"))
    if len(box) != 4:
        return
    ctm = numbers(obj.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    scale = abs(a * d - b * c) ** 0.5 or 1.0
    try:
        size = float(obj.get("Size") or 0) * scale
        hscale = float(obj.get("HScale") or 1)
    except ValueError:
        return
    if size <= 0:
        return
    x, y = 0.0, 0.0
    for code in obj:
        if local(code) != "TextCode" or not code.text:
            continue
        start = numbers(f"{code.get('X', x)} {code.get('Y', y)}")
        if len(start) == 2:
            x, y = start
        dx, dy = deltas(code.get("DeltaX")), deltas(code.get("DeltaY"))
        chars = list(code.text)
        for i, char in enumerate(chars):
            step_x = dx[i] if i < len(dx) else None
            step_y = dy[i] if i < len(dy) else 0.0
            width = wide(char) * size * hscale
            advance = step_x * scale if step_x is not None and step_x * scale > 0 and step_y == 0 else width
            if not char.isspace():
                yield Glyph(char, box[0] + a * x + c * y + e, box[1] + b * x + d * y + f, size, advance)
            if i + 1 < len(chars):
                x += step_x if step_x is not None else width / scale
                y += step_y


def wide(char: str) -> float:
    """Width of a character in font sizes, when the file does not say: CJK is square."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5


def graphic_units(container: etree._Element) -> Iterator[etree._Element]:
    """The TextObjects of a page, its layers and page blocks, in drawing order."""
    for child in container:
        name = local(child)
        if name == "TextObject":
            yield child
        elif name in ("Content", "Layer", "PageBlock"):
            yield from graphic_units(child)


def page_glyphs(package: Package, page: etree._Element, templates: dict[str, etree._Element]) -> list[Glyph]:
    """Characters of a page with its templates: background first, foreground last."""
    below: list[etree._Element] = []
    above: list[etree._Element] = []
    for used in page.iterfind("{*}Template"):
        template = templates.get(used.get("TemplateID") or "")
        if template is not None:
            (above if used.get("ZOrder") == "Foreground" else below).append(template)
    glyphs: list[Glyph] = []
    for part in (*below, page, *above):
        for unit in graphic_units(part):
            glyphs.extend(text_glyphs(unit))
    return glyphs


# ---------------------------------------------------------------- lines and paragraphs


def page_lines(glyphs: list[Glyph], number: int) -> list[Line]:
    """Characters grouped into lines by baseline, top to bottom, each line left to right."""
    rows: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.baseline, g.x)):
        row = rows[-1] if rows else None
        if row is not None and abs(glyph.baseline - row[0].baseline) <= BASELINE_TOLERANCE_EMS * max(glyph.size, row[0].size):
            row.append(glyph)
        else:
            rows.append([glyph])
    return [line_of(row, number) for row in rows]


def line_of(row: list[Glyph], number: int) -> Line:
    row = sorted(row, key=lambda g: g.x)
    size = statistics.median(g.size for g in row)
    pieces: list[str] = []
    kept: list[Glyph] = []
    cells: list[list[float]] = [[]]
    for glyph in row:
        if kept:
            last = kept[-1]
            if glyph.char == last.char and abs(glyph.x - last.x) <= OVERPRINT_EMS * size:
                continue
            gap = glyph.x - (last.x + last.advance)
            if gap >= CELL_GAP_EMS * size:
                pieces.append("\t")
                cells.append([])
            elif gap >= WORD_GAP_EMS * size:
                pieces.append(" ")
        pieces.append(glyph.char)
        kept.append(glyph)
        cells[-1].append(glyph.size)
    sizes = tuple(statistics.median(cell) for cell in cells)
    return Line("".join(pieces), kept[0].x, kept[-1].x + kept[-1].advance, row[0].baseline, size, number, sizes)


@dataclass(frozen=True)
class Layout:
    left: float
    right: float
    em: float
    pitch: float


def measure(body: list[Line]) -> Layout:
    """Left margin, right margin, character size and line pitch of the body text."""
    em = statistics.median(line.size for line in body)
    starts = Counter(round(line.x0) for line in body)
    left = min((x for x, n in starts.items() if n >= 2), default=min(starts))
    flush = [line for line in body if abs(line.x0 - left) <= em]
    ends = sorted(line.x1 for line in flush or body)
    right = ends[int(0.9 * (len(ends) - 1))]
    gaps = [b.baseline - a.baseline for a, b in pairwise(body) if a.page == b.page and b.baseline > a.baseline]
    return Layout(left, right, em, statistics.median(gaps) if gaps else em * 1.5)


def is_furniture(line: Line) -> bool:
    return bool(PAGE_NUMBER_RE.match(line.text))


def continues(previous: Line, line: Line, layout: Layout) -> bool:
    """`line` is a hard-wrapped continuation of `previous` (also across a page break)."""
    if previous.is_row or line.is_row or is_heading(line.text):
        return False
    if abs(previous.size - line.size) > SAME_SIZE_EMS * layout.em:
        return False  # a title over the salutation, a note under a paragraph
    flush = abs(line.x0 - layout.left) <= FLUSH_SLACK_EMS * layout.em
    ran_to_margin = previous.x1 >= layout.right - FULL_LINE_SLACK_EMS * layout.em
    body = abs(previous.x0 - layout.left) <= BODY_INDENT_EMS * layout.em
    spaced = line.page == previous.page and line.baseline - previous.baseline > PARAGRAPH_GAP_PITCHES * layout.pitch
    return flush and ran_to_margin and body and not spaced


def paragraphs(lines: list[Line]) -> list[Line]:
    """Lines joined into paragraphs; page numbers kept in place but never joined across."""
    body = [line for line in lines if not is_furniture(line) and not line.is_row]
    if not body:
        return lines
    layout = measure(body)
    out: list[Line] = []
    previous: Line | None = None
    open_at = -1
    for line in lines:
        if is_furniture(line):
            out.append(line)
        elif previous is not None and continues(previous, line, layout):
            joined = out[open_at]
            out[open_at] = Line(
                glue(joined.text, line.text), joined.x0, line.x1, joined.baseline, joined.size, joined.page, joined.cell_sizes
            )
            previous = line
        else:
            out.append(line)
            previous, open_at = line, len(out) - 1
    return out


def tables_of(lines: list[Line]) -> list[list[list[str]]]:
    """Runs of two or more consecutive table rows, as lists of cells."""
    tables: list[list[list[str]]] = []
    run: list[list[str]] = []
    for line in [*lines, None]:
        if line is not None and line.is_row:
            run.append(line.text.split("\t"))
            continue
        if len(run) >= 2:
            tables.append(run)
        run = []
    return tables


# ---------------------------------------------------------------- title and head


def head_of_first_page(lines: list[Line]) -> tuple[str | None, dict[str, str]]:
    """The title (the largest title-like text on the first page) and the 公文 head fields.

    A red-header 公文 opens with its 发文机关标志 (路桥区卫生局文件, the largest type; GB/T
    9704-2012 7.2.3) and its 发文字号 (7.2.4); they are recorded as `issuer` and
    `document_number` (canonical: cleaners.official.document_number), and the title is the
    largest text after them. The rest of the 公文's parts (主送机关, 成文日期) are read from the
    text like any document's (cleaners.official.official_fields).
    """
    fields: dict[str, str] = {}
    candidates: list[tuple[str, float]] = []  # (text, size) of the cells of the first lines
    first_page = lines[0].page if lines else 0
    for line in [ln for ln in lines if ln.page == first_page][:TITLE_LINES_SCANNED]:
        for text, size in zip(line.text.split("\t"), line.cell_sizes or (line.size,), strict=False):
            if (mark := issuer_mark(text)) and not candidates and "issuer" not in fields:
                fields["issuer"] = mark
            elif (number := document_number(text)) and "document_number" not in fields:
                fields["document_number"] = number
            elif is_title_line(text) and not PAGE_NUMBER_RE.match(text):
                candidates.append((text, size))
    body_size = statistics.median(ln.size for ln in lines) if lines else 0.0
    best = max(candidates, key=lambda c: c[1], default=None)
    if best is None or best[1] <= body_size:
        return None, fields  # nothing set larger than the body text: no title
    return best[0], fields


def docinfo_title(info: dict[str, str]) -> str | None:
    title = info.get("title")
    return title if title and not USELESS_DOCINFO_TITLE_RE.match(title) else None


# ---------------------------------------------------------------- entry point


def refuse_glyph_codes(glyphs: list[Glyph]) -> None:
    """Rejected('unreadable', 'ofd_glyph_codes: …') when letters are private-use glyph codes."""
    categories = Counter(unicodedata.category(g.char)[0] if unicodedata.category(g.char) != "Co" else "Co" for g in glyphs)
    private, letters = categories["Co"], categories["L"] + categories["N"]
    if private >= MIN_PRIVATE_USE_CHARS and private > MAX_PRIVATE_USE_SHARE * (private + letters):
        raise Rejected(
            "unreadable",
            f"ofd_glyph_codes: {private} of {private + letters} letters are private-use glyph codes, not Unicode text",
        )


def read_documents(package: Package) -> tuple[list[list[Glyph]], dict[str, str]]:
    """Characters of every page of every document in the package, and the first DocInfo."""
    root = package.xml("OFD.xml")
    if root is None or local(root) != "OFD":
        raise Rejected("unreadable", "OFD package without a readable OFD.xml")
    pages: list[list[Glyph]] = []
    info: dict[str, str] = {}
    for body in root.iterfind("{*}DocBody"):
        info = info or doc_info(body.find("{*}DocInfo"))
        doc_root = body.findtext("{*}DocRoot") or ""
        document = package.xml(Package.resolve("", doc_root)) if doc_root.strip() else None
        if document is None:
            continue
        base = posixpath.dirname(Package.resolve("", doc_root))
        templates = {}
        for template in document.iterfind("{*}CommonData/{*}TemplatePage"):
            part = package.xml(Package.resolve(base, template.get("BaseLoc") or ""))
            if part is not None:
                templates[template.get("ID") or ""] = part
        for page in document.iterfind("{*}Pages/{*}Page"):
            part = package.xml(Package.resolve(base, page.get("BaseLoc") or ""))
            pages.append(page_glyphs(package, part, templates) if part is not None else [])
    if not pages:
        raise Rejected("unreadable", "OFD package without pages (DocBody/DocRoot/Pages)")
    return pages, info


def extract_ofd(data: bytes) -> OfdText:
    """Paragraphs, title and metadata of an OFD file.

    Raises Rejected('unreadable') for a broken package or glyph-code text (detail
    `ofd_glyph_codes: …`), Rejected('no_text') when the pages carry no text (a scan).
    """
    package = Package(data)
    pages, info = read_documents(package)
    glyphs = [g for page in pages for g in page]
    if sum(g.char.isalnum() for g in glyphs) < MIN_TEXT_CHARS:
        raise Rejected("no_text", f"{len(glyphs)} characters in {len(pages)} pages: scanned or image-only OFD")
    refuse_glyph_codes(glyphs)
    lines = [line for number, page in enumerate(pages) for line in page_lines(page, number)]
    lines = paragraphs(lines)
    keep, fields = split_head_fields([line.text for line in lines])
    lines = [line for line, kept in zip(lines, keep, strict=True) if kept]
    title, head = head_of_first_page(lines)
    metadata = {**{k: v for k, v in info.items() if k != "title"}, **head, **fields}
    return OfdText(
        title=title or docinfo_title(info),
        text="\n".join(line.text for line in lines),
        pages=len(pages),
        metadata=metadata,
        tables=tables_of(lines),
    )
