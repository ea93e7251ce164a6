"""DOCX bytes to report lines, tables and a title: the WordprocessingML body walked with lxml.

python-docx opens the package and resolves styles; the text comes from our own walk of the
body (ECMA-376 Part 1, §17), because `Paragraph.text` drops what sits inside `w:ins`, `w:sdt`,
`w:smartTag` and fields. The walk gives the document as it reads with every tracked change
accepted:

- `w:ins` and `w:moveTo` are kept; `w:del`, `w:delText` and `w:moveFrom` are dropped; a
  paragraph whose mark was deleted runs on into the next one.
- Content controls (`w:sdt`, block and inline), smart tags, custom XML and hyperlinks are
  transparent: their text is kept where it stands.
- Fields keep their displayed result; the instruction (`w:instrText` between the `begin` and
  `separate` field characters) is dropped. Hidden text (`w:vanish`) is not displayed: dropped.
- A table is one line per row, cells separated by a TAB, where it stood. A table whose rows
  hold at most one non-empty cell lays out a page rather than data: its cells are read as
  paragraphs. A table nested inside a data cell is flattened into that cell's text.
- Markup-compatibility blocks (`mc:AlternateContent`) are read once, from their first choice,
  so a text box is not read twice; ruby annotations (pinyin over characters) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import OpcError
from lxml import etree

from cleaners.document import ZIP_READ_ERRORS, Rejected
from cleaners.head_fields import split_head_fields
from cleaners.titles import is_title_line

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TITLE_STYLES = ("title", "标题", "heading 1", "标题 1")
MIN_TEXT_CHARS = 20
# A title set in the core properties that names nothing (a template's leftover, a file name).
USELESS_CORE_TITLES = ("", "untitled", "无标题", "标题", "title", "1")
# Inline containers whose content is read as if they were not there.
TRANSPARENT = {"ins", "moveTo", "hyperlink", "smartTag", "customXml", "fldSimple", "dir", "bdo", "rubyBase"}
# Everything else inline (w:del, w:moveFrom, w:delText, w:instrText, w:rt, properties) is not read.
# Symbol-font code points (Wingdings, Symbol) live in this private-use range: no text there.
SYMBOL_FONT_RANGE = range(0xF000, 0xF100)
TableRows = list[list[str]]


@dataclass
class Block:
    """One line of the document: a paragraph, or a table row (then `cells` is set)."""

    text: str
    cells: list[str] | None = None
    centered: bool = False
    size: float | None = None  # the largest font size in the paragraph, in points


@dataclass(frozen=True)
class DocxText:
    title: str | None
    text: str  # one paragraph or table row per line, not yet canonical
    tables: list[TableRows] = field(default_factory=list)  # each a list of rows of cell strings
    metadata: dict[str, str] = field(default_factory=dict)  # fields from head lines (来源：… → source)


def local(element: Any) -> str:
    """The local name of an element; '' for comments and processing instructions."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def first_choice(alternate: etree._Element) -> etree._Element | None:
    """The content of an `mc:AlternateContent` to read: its first Choice, else its Fallback."""
    for child in alternate:
        if local(child) in ("Choice", "Fallback"):
            return child
    return None


class BodyReader:
    """Walks the body once; field state carries across runs and paragraphs, as fields do."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.fields: list[bool] = []  # per open field: True once its result is showing
        self.tables: list[TableRows] = []
        self.default_size = self._default_size()

    # ------------------------------------------------------------ blocks

    def blocks(self, container: etree._Element) -> Iterator[Block]:
        """The paragraphs and table rows of a body, cell, content control or text box, in order."""
        pending = ""  # text of paragraphs whose mark was deleted: it runs on into the next
        for child in container:
            name = local(child)
            if name == "p":
                block, floating = self.paragraph(child)
                if self._mark_deleted(child):
                    pending += block.text
                else:
                    block.text = pending + block.text
                    pending = ""
                    yield block
                yield from floating
            elif name == "tbl":
                yield from self.table(child)
            elif name in ("sdt", "customXml", "AlternateContent"):
                inner = self._inner(child)
                if inner is not None:
                    yield from self.blocks(inner)
        if pending:
            yield Block(pending)

    def paragraph(self, p: etree._Element) -> tuple[Block, list[Block]]:
        """The paragraph's accepted text, and the paragraphs of text boxes anchored in it."""
        pieces: list[str] = []
        floating: list[Block] = []
        self.inline(p, pieces, floating)
        block = Block("".join(pieces), centered=self._centered(p), size=self._size(p))
        return block, floating

    def table(self, tbl: etree._Element) -> Iterator[Block]:
        registered = len(self.tables)  # tables nested in a data table's cells are flattened, not listed
        rows: list[list[list[Block]]] = []
        for tr in self._children(tbl, "tr"):
            if tr.find(f"{W}trPr/{W}del") is not None:
                continue  # a deleted row
            cells = []
            for tc in self._children(tr, "tc"):
                if tc.find(f"{W}tcPr/{W}cellDel") is not None:
                    continue
                cells.append(list(self.blocks(tc)))
            rows.append(cells)
        if all(sum(1 for cell in row if any(b.text.strip() for b in cell)) <= 1 for row in rows):
            for row in rows:  # a layout table: its cells are paragraphs
                for cell in row:
                    yield from cell
            return
        del self.tables[registered:]
        table: TableRows = []
        for row in rows:
            texts = [cell_text(cell) for cell in row]
            if any(texts):
                table.append(texts)
                yield Block("\t".join(texts), cells=texts)
        if table:
            self.tables.append(table)

    # ------------------------------------------------------------ inline content

    def inline(self, element: etree._Element, pieces: list[str], floating: list[Block]) -> None:
        for child in element:
            name = local(child)
            if name == "r":
                self.run(child, pieces, floating)
            elif name in TRANSPARENT:
                self.inline(child, pieces, floating)
            elif name in ("sdt", "AlternateContent"):
                inner = self._inner(child)
                if inner is not None:
                    self.inline(inner, pieces, floating)
            elif name == "ruby":
                self.inline(child, pieces, floating)
            elif name in ("oMath", "oMathPara"):
                pieces.append("".join(t.text or "" for t in child.iter() if local(t) == "t"))

    def run(self, r: etree._Element, pieces: list[str], floating: list[Block]) -> None:
        vanish = r.find(f"{W}rPr/{W}vanish")
        hidden = vanish is not None and vanish.get(f"{W}val") not in ("0", "false", "off")
        for child in r:
            name = local(child)
            if name == "fldChar":
                self._field_char(child.get(f"{W}fldCharType"))
            elif hidden or not all(self.fields):
                continue  # hidden text, or inside a field instruction
            elif name == "t":
                pieces.append(child.text or "")
            elif name in ("tab", "ptab"):
                pieces.append(" ")
            elif name in ("br", "cr"):
                pieces.append("\n")
            elif name == "noBreakHyphen":
                pieces.append("-")
            elif name == "sym":
                code = int(child.get(f"{W}char") or "0", 16)
                if code and code not in SYMBOL_FONT_RANGE:
                    pieces.append(chr(code))
            elif name in ("drawing", "pict", "object", "AlternateContent"):
                floating.extend(self.text_boxes(child))

    def text_boxes(self, element: etree._Element) -> Iterator[Block]:
        """Paragraphs of the text boxes inside a drawing, each box read once."""
        if local(element) == "AlternateContent":
            inner = first_choice(element)
            if inner is None:
                return
            element = inner
        for box in element.iter(f"{W}txbxContent"):
            if not any(local(a) == "txbxContent" for a in box.iterancestors()):
                yield from self.blocks(box)

    def _field_char(self, kind: str | None) -> None:
        if kind == "begin":
            self.fields.append(False)
        elif kind == "separate" and self.fields:
            self.fields[-1] = True
        elif kind == "end" and self.fields:
            self.fields.pop()

    # ------------------------------------------------------------ structure helpers

    @staticmethod
    def _inner(element: etree._Element) -> etree._Element | None:
        name = local(element)
        if name == "sdt":
            return element.find(f"{W}sdtContent")
        if name == "AlternateContent":
            return first_choice(element)
        return element

    def _children(self, element: etree._Element, wanted: str) -> Iterator[etree._Element]:
        """Children named `wanted`, also those wrapped in content controls or custom XML."""
        for child in element:
            name = local(child)
            if name == wanted:
                yield child
            elif name in ("sdt", "customXml"):
                inner = self._inner(child)
                if inner is not None:
                    yield from self._children(inner, wanted)

    @staticmethod
    def _mark_deleted(p: etree._Element) -> bool:
        return p.find(f"{W}pPr/{W}rPr/{W}del") is not None

    def _style(self, p: etree._Element) -> Any:
        style_id = p.find(f"{W}pPr/{W}pStyle")
        try:
            return self.document.part.get_style(
                style_id.get(f"{W}val") if style_id is not None else None, WD_STYLE_TYPE.PARAGRAPH
            )
        except (KeyError, ValueError):
            return None

    def _centered(self, p: etree._Element) -> bool:
        jc = p.find(f"{W}pPr/{W}jc")
        if jc is not None:
            return jc.get(f"{W}val") == "center"
        style = self._style(p)
        while style is not None:
            if style.paragraph_format.alignment is not None:
                return bool(style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER)
            style = style.base_style
        return False

    def _size(self, p: etree._Element) -> float | None:
        values = (sz.get(f"{W}val") or "" for sz in p.iterfind(f".//{W}r/{W}rPr/{W}sz"))
        sizes = [int(value) / 2 for value in values if value.isdigit()]
        if sizes:
            return max(sizes)
        style = self._style(p)
        while style is not None:
            if style.font.size is not None:
                return float(style.font.size.pt)
            style = style.base_style
        return self.default_size

    def _default_size(self) -> float | None:
        sz = self.document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
        value = sz.get(f"{W}val") if sz is not None else None
        return int(value) / 2 if value and value.isdigit() else None


def cell_text(blocks: list[Block]) -> str:
    """A table cell as one string: its paragraphs (and any nested table) joined by spaces."""
    return " ".join(" ".join(b.text.split()) for b in blocks if b.text.strip())


# ---------------------------------------------------------------- title


def styled_title(document: DocxDocument, blocks: list[Block]) -> str | None:
    """The first paragraph in a Title or Heading 1 style."""
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        text = " ".join(paragraph.text.split())
        if text and style.startswith(TITLE_STYLES) and any(text == b.text.strip() for b in blocks):
            return text
    return None


def core_title(document: DocxDocument) -> str | None:
    title = " ".join((document.core_properties.title or "").split())
    return None if title.lower() in USELESS_CORE_TITLES or title.lower().endswith((".doc", ".docx", ".wps")) else title


def body_text_size(blocks: list[Block]) -> float | None:
    """The font size most of the text is set in (the median over characters)."""
    weighted = sorted((b.size, len(b.text)) for b in blocks if b.size is not None and b.cells is None)
    half, seen = sum(n for _, n in weighted) / 2, 0
    for size, n in weighted:
        seen += n
        if seen >= half:
            return size
    return None


def enough_letters(texts: list[str], wanted: int = MIN_TEXT_CHARS) -> bool:
    """Whether the texts hold at least `wanted` letters or digits (stops counting once they do)."""
    count = 0
    for text in texts:
        count += sum(map(str.isalnum, text))
        if count >= wanted:
            return True
    return False


def heading_block(blocks: list[Block]) -> int:
    """How many leading paragraphs make up a title set in display type (0: none).

    A title broken over several paragraphs (黔东南苗族侗族自治州 / 2016年国民经济和社会发展统计公报)
    is centred, in the same size, larger than the body text.
    """
    if len(blocks) < 2 or blocks[0].cells is not None or not is_title_line(blocks[0].text):
        return 0
    first = blocks[0]
    count = 1
    body_size = body_text_size(blocks)
    if first.centered and first.size is not None and body_size is not None and first.size > body_size:
        for block in blocks[1:]:
            if block.cells is None and block.centered and block.size == first.size and is_title_line(block.text):
                count += 1
            else:
                break
    joined = "".join(b.text.strip() for b in blocks[:count])
    return count if is_title_line(joined) else 1


# ---------------------------------------------------------------- entry point


_OPEN_ERRORS: tuple[type[Exception], ...] = (KeyError, ValueError, OpcError, etree.XMLSyntaxError, *ZIP_READ_ERRORS)


def open_docx(data: bytes) -> DocxDocument:
    try:
        return docx.Document(BytesIO(data))
    except _OPEN_ERRORS as error:
        raise Rejected("unreadable", f"DOCX cannot be opened: {error}") from error


def extract_docx(data: bytes) -> DocxText:
    """Accepted text, tables and title of a DOCX; a broken or empty file is Rejected.

    Raises Rejected('unreadable') when the package cannot be opened, Rejected('no_text') when
    it holds fewer than MIN_TEXT_CHARS letters.
    """
    document = open_docx(data)
    reader = BodyReader(document)
    blocks = [b for b in reader.blocks(document.element.body) if b.text.strip()]
    for block in blocks:
        if block.cells is None:
            block.text = block.text.strip()
    if not enough_letters([b.text for b in blocks]):
        raise Rejected("no_text", "the DOCX holds no paragraph text")
    kept, fields = split_head_fields([b.text for b in blocks])
    blocks = [b for b, keep in zip(blocks, kept, strict=True) if keep]
    title = styled_title(document, blocks) or core_title(document)
    if title is None and (count := heading_block(blocks)):
        title = "".join(b.text for b in blocks[:count])
        blocks = [Block(title), *blocks[count:]]
    lines = [b.text for b in blocks]
    return DocxText(title=title, text="\n".join(lines), tables=reader.tables, metadata=fields)
