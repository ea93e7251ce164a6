"""Word 97–2003 binary documents (.doc, and .wps files saved in that format) to text and tables.

The file is an OLE2 compound file (olefile reads the container); the text is read as [MS-DOC]
specifies, with no converter and no service:

- The FIB at the start of the `WordDocument` stream says which table stream holds the
  document's tables (`0Table`/`1Table`, FibBase.fWhichTblStm), how many characters the main
  text has (FibRgLw97.ccpText) and where the piece table is (FibRgFcLcb97.fcClx/lcbClx).
- The piece table (Clx → Pcdt → PlcPcd) maps character positions to file offsets; a piece is
  either 8-bit (cp1252, FcCompressed.fCompressed) or UTF-16LE, which is how CJK text is stored.
- Paragraph properties (PlcBtePapx → PapxFkp) mark table cells and row ends (sprmPFInTable,
  sprmPFTtp, sprmPItap, sprmPFInnerTtp), centring (sprmPJc); character properties (PlcBteChpx →
  ChpxFkp) mark deleted revisions (sprmCFRMarkDel), hidden text (sprmCFVanish) and font size
  (sprmCHps). Deleted and hidden text is left out: the text is the document with its tracked
  changes accepted, as for DOCX.
- Fields (0x13 instruction 0x14 result 0x15) keep their result.

Why our own reader (measured on the realworld DOCX converted to .doc, `benchmarks/doc_readers.py`):
antiword wraps lines and mangles tables, catdoc garbles CJK pieces, and no maintained Python
package reads the format; the piece table is small and fully specified.
"""

from __future__ import annotations

import bisect
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO

import olefile

from cleaners.document import Rejected
from cleaners.docx import Block, cell_text, enough_letters, heading_block
from cleaners.head_fields import split_head_fields

WORD_MAGIC = 0xA5EC  # FibBase.wIdent
MIN_NFIB = 0x00C1  # Word 97 and later; Word 6/95 files have no piece table
MIN_TEXT_CHARS = 20
FKP_SIZE = 512
# Streams that name what else an OLE2 file may be.
OTHER_FORMATS = (
    ("Workbook", "an Excel workbook (.xls)"),
    ("Book", "an Excel 5/95 workbook (.xls)"),
    ("PowerPoint Document", "a PowerPoint presentation (.ppt)"),
    ("CONTENTS", "a Microsoft Works or WPS 2000 document"),
    ("VisioDocument", "a Visio drawing (.vsd)"),
    ("__properties_version1.0", "an Outlook message (.msg)"),
    ("EncryptedPackage", "an encrypted Office Open XML file"),
)
# Sprms ([MS-DOC] 2.6) this reader looks at.
SPRM_P_JC80, SPRM_P_JC = 0x2403, 0x2461
SPRM_P_IN_TABLE, SPRM_P_TTP, SPRM_P_ITAP, SPRM_P_INNER_TTP = 0x2416, 0x2417, 0x6649, 0x244C
SPRM_C_DELETED, SPRM_C_VANISH, SPRM_C_HPS = 0x0800, 0x083C, 0x4A43
SPRM_T_DEF_TABLE, SPRM_P_CHG_TABS = 0xD608, 0xC615
OPERAND_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by spra, the sprm's top 3 bits
CELL_MARK, PARAGRAPH_MARK = "\x07", "\r"
FIELD_BEGIN, FIELD_SEPARATOR, FIELD_END = "\x13", "\x14", "\x15"
# Marks that end paragraphs and cells, delimit fields or stand for objects: below U+0020.
SPECIAL_RE = re.compile(r"[\x00-\x1f]")
LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n", "\x0e": "\n", "\x09": " ", "\x1e": "-", "\xa0": "\xa0"}


@dataclass(frozen=True)
class DocText:
    title: str | None
    text: str  # one paragraph or table row per line, not yet canonical
    tables: list[list[list[str]]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Paragraph:
    text: str
    end: str  # the mark that ends it: \r or the cell mark \x07
    in_table: bool = False
    row_end: bool = False  # the TTP paragraph that closes a table row
    depth: int = 0  # table nesting depth (sprmPItap)
    inner_row_end: bool = False
    centered: bool = False
    size: float | None = None


# ---------------------------------------------------------------- the container


def open_ole(data: bytes) -> olefile.OleFileIO:
    try:
        return olefile.OleFileIO(BytesIO(data))
    except OSError as error:  # olefile's own verdict on a broken container
        raise Rejected("unreadable", f"OLE2 file cannot be opened: {error}") from error
    except (ValueError, struct.error) as error:  # olefile tripped over garbage in the header tables
        raise Rejected("unreadable", "OLE2 file cannot be opened: its compound-file tables are damaged") from error


def ole_format(data: bytes) -> str:
    """'word' for a Word 97+ binary; otherwise raise Rejected('unsupported_type') naming the format."""
    ole = open_ole(data)
    try:
        if ole.exists("WordDocument"):
            return "word"
        named = next((what for stream, what in OTHER_FORMATS if ole.exists(stream)), None)
        streams = ", ".join(sorted("/".join(path) for path in ole.listdir()))[:200]
        what = named or f"an OLE2 compound file that is not a Word document (streams: {streams or 'none'})"
        raise Rejected("unsupported_type", f"{what}: only Word-binary .doc/.wps files are read")
    finally:
        ole.close()


# ---------------------------------------------------------------- property runs (FKPs)


def sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """(sprm, operand) pairs of a grpprl ([MS-DOC] 2.2.5 Sprm, 2.2.5.1 operand sizes)."""
    i = 0
    while i + 2 <= len(grpprl):
        sprm = struct.unpack_from("<H", grpprl, i)[0]
        i += 2
        spra = sprm >> 13
        if spra != 6:
            size = OPERAND_SIZE[spra]
        elif sprm == SPRM_T_DEF_TABLE and i + 2 <= len(grpprl):
            size = struct.unpack_from("<H", grpprl, i)[0] + 1
        elif sprm == SPRM_P_CHG_TABS and i < len(grpprl) and grpprl[i] == 255:
            return  # a variable layout this reader does not need: stop at it
        elif i < len(grpprl):
            size = grpprl[i] + 1
        else:
            return
        yield sprm, grpprl[i : i + size]
        i += size


class Runs:
    """Sorted (fc_start, fc_end, grpprl) runs, looked up by file offset."""

    def __init__(self, runs: list[tuple[int, int, bytes]]) -> None:
        self.runs = sorted(runs)
        self.starts = [start for start, _, _ in self.runs]

    def at(self, fc: int) -> bytes:
        return self.run_at(fc)[0]

    def run_at(self, fc: int) -> tuple[bytes, int | None]:
        """The grpprl in force at `fc`, and the offset where it stops (None: to the end)."""
        i = bisect.bisect_right(self.starts, fc) - 1
        if i >= 0 and self.runs[i][0] <= fc < self.runs[i][1]:
            return self.runs[i][2], self.runs[i][1]
        return b"", self.starts[i + 1] if i + 1 < len(self.starts) else None


def fkp_runs(word: bytes, table: bytes, fc: int, lcb: int, paragraph: bool) -> Runs:
    """The runs of a PlcBtePapx (paragraph) or PlcBteChpx (character) and its FKP pages."""
    runs: list[tuple[int, int, bytes]] = []
    if lcb < 12 or fc + lcb > len(table):
        return Runs(runs)
    count = (lcb - 4) // 8
    pages = struct.unpack_from(f"<{count}I", table, fc + 4 * (count + 1))
    for pn in pages:
        page = word[(pn & 0x3FFFFF) * FKP_SIZE : (pn & 0x3FFFFF) * FKP_SIZE + FKP_SIZE]
        if len(page) < FKP_SIZE:
            continue
        crun = page[511]
        fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
        for i in range(crun):
            if paragraph:
                offset = 2 * page[4 * (crun + 1) + 13 * i]
                grpprl = papx_grpprl(page, offset) if offset else b""
            else:
                offset = 2 * page[4 * (crun + 1) + i]
                grpprl = page[offset + 1 : offset + 1 + page[offset]] if offset else b""
            runs.append((fcs[i], fcs[i + 1], grpprl))
    return Runs(runs)


def papx_grpprl(page: bytes, offset: int) -> bytes:
    """The sprms of a PapxInFkp (its istd left off)."""
    cb = page[offset]
    body = page[offset + 2 : offset + 2 + 2 * page[offset + 1]] if cb == 0 else page[offset + 1 : offset + 2 * cb]
    return body[2:]


# ---------------------------------------------------------------- the document


class WordBinary:
    """The main text of a Word 97+ binary document, with paragraph and character properties."""

    def __init__(self, word: bytes, table: bytes, summary_title: str | None = None) -> None:
        """`word` and `table` are the WordDocument and 0Table/1Table streams."""
        self.word, self.table, self.summary_title = word, table, summary_title
        self._read_fib()

    def _read_fib(self) -> None:
        try:
            csw = struct.unpack_from("<H", self.word, 32)[0]
            lw_at = 34 + 2 * csw
            cslw = struct.unpack_from("<H", self.word, lw_at)[0]
            self.ccp_text = struct.unpack_from("<i", self.word, lw_at + 2 + 12)[0]
            blob = lw_at + 2 + 4 * cslw + 2

            def pair(index: int) -> tuple[int, int]:
                return struct.unpack_from("<II", self.word, blob + 8 * index)

            self.clx = pair(33)
            self.chpx = fkp_runs(self.word, self.table, *pair(12), paragraph=False)
            self.papx = fkp_runs(self.word, self.table, *pair(13), paragraph=True)
        except struct.error as error:
            raise Rejected("unreadable", f"the .doc FIB is truncated: {error}") from error

    def pieces(self) -> Iterator[tuple[int, int, int, bool]]:
        """(cp_start, cp_end, fc, compressed) for each piece of the piece table."""
        fc, lcb = self.clx
        clx = self.table[fc : fc + lcb]
        i = 0
        while i < len(clx) and clx[i] == 0x01:  # Prc: skip its grpprl
            i += 3 + struct.unpack_from("<h", clx, i + 1)[0]
        if i >= len(clx) or clx[i] != 0x02:
            raise Rejected("unreadable", "the .doc piece table is missing")
        size = struct.unpack_from("<I", clx, i + 1)[0]
        plc = clx[i + 5 : i + 5 + size]
        count = (len(plc) - 4) // 12
        cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
        for n in range(count):
            raw = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * n + 2)[0]
            compressed = bool(raw & 0x40000000)
            offset = (raw & 0x3FFFFFFF) // 2 if compressed else raw & 0x3FFFFFFF
            yield cps[n], cps[n + 1], offset, compressed

    def runs(self) -> Iterator[tuple[str, int, int, bytes]]:
        """The main text in runs of like characters: (text, file offset, bytes per character, chpx).

        A piece is cut where its character properties change, so properties are looked up
        once per run and not once per character.
        """
        for cp_start, cp_end, fc, compressed in self.pieces():
            if cp_start >= self.ccp_text:
                break
            count = min(cp_end, self.ccp_text) - cp_start
            width = 1 if compressed else 2
            raw = self.word[fc : fc + count * width]
            text = raw.decode("cp1252", errors="replace") if compressed else raw.decode("utf-16-le", errors="surrogatepass")
            at = 0
            while at < len(text):
                start = fc + at * width
                chpx, end = self.chpx.run_at(start)
                length = max(1, -(-(end - start) // width)) if end is not None else len(text) - at
                yield text[at : at + length], start, width, chpx
                at += length

    def paragraphs(self) -> Iterator[Paragraph]:
        """Paragraphs with deleted and hidden text left out and fields reduced to their result."""
        pieces: list[str] = []
        fields: list[bool] = []  # per open field: True once its result is showing
        size: float | None = None
        for text, fc, width, chpx in self.runs():
            character = dict(sprms(chpx))
            skip = character.get(SPRM_C_DELETED, b"\0")[:1] != b"\0" or character.get(SPRM_C_VANISH, b"\0")[:1] not in (b"\0", b"")
            if SPRM_C_HPS in character and len(character[SPRM_C_HPS]) == 2 and not skip:
                size = max(size or 0.0, struct.unpack("<H", character[SPRM_C_HPS])[0] / 2)
            if not fields and not skip and not SPECIAL_RE.search(text):
                pieces.append(text)  # the common case: plain text, no marks
                continue
            for k, char in enumerate(text):
                if char in (PARAGRAPH_MARK, CELL_MARK):
                    yield self._paragraph("".join(pieces), char, fc + k * width, size)
                    pieces, size = [], None
                elif char == FIELD_BEGIN:
                    fields.append(False)
                elif char == FIELD_SEPARATOR and fields:
                    fields[-1] = True
                elif char == FIELD_END and fields:
                    fields.pop()
                elif skip or not all(fields):
                    continue
                elif char in LINE_BREAKS:
                    pieces.append(LINE_BREAKS[char])
                elif char >= " ":
                    pieces.append(char)
        if pieces:
            yield self._paragraph("".join(pieces), PARAGRAPH_MARK, -1, size)

    def _paragraph(self, text: str, end: str, fc: int, size: float | None) -> Paragraph:
        props = dict(sprms(self.papx.at(fc))) if fc >= 0 else {}
        text = text.encode("utf-16-le", errors="surrogatepass").decode("utf-16-le", errors="replace")
        itap = props.get(SPRM_P_ITAP, b"")
        depth = struct.unpack("<i", itap)[0] if len(itap) == 4 else int(props.get(SPRM_P_IN_TABLE, b"\0")[:1] != b"\0")
        justification = props.get(SPRM_P_JC, props.get(SPRM_P_JC80, b"\0"))
        return Paragraph(
            text=text,
            end=end,
            in_table=depth > 0 or props.get(SPRM_P_IN_TABLE, b"\0")[:1] != b"\0",
            row_end=props.get(SPRM_P_TTP, b"\0")[:1] != b"\0",
            depth=depth,
            inner_row_end=props.get(SPRM_P_INNER_TTP, b"\0")[:1] != b"\0",
            centered=justification[:1] == b"\x01",
            size=size,
        )


def summary_title(ole: olefile.OleFileIO) -> str | None:
    """The title of the SummaryInformation property set, decoded with its code page."""
    try:
        meta = ole.get_metadata()
    except (OSError, ValueError, struct.error, KeyError):
        return None
    title, codepage = getattr(meta, "title", None), getattr(meta, "codepage", None)
    if isinstance(title, bytes):
        try:
            title = title.decode(f"cp{codepage}" if codepage and codepage != 1200 else "utf-16-le")
        except (LookupError, UnicodeDecodeError):
            return None
    title = " ".join((title or "").replace("\x00", "").split())
    return title or None


def read_word_binary(data: bytes) -> WordBinary:
    """The Word document in an OLE2 file: its streams checked and handed to WordBinary."""
    ole = open_ole(data)
    try:
        word = ole.openstream("WordDocument").read()
        ident, nfib = struct.unpack_from("<HH", word, 0)
        flags = struct.unpack_from("<H", word, 0x0A)[0]
        if ident != WORD_MAGIC:
            raise Rejected("unreadable", "the WordDocument stream has no Word FIB")
        if flags & 0x0100:
            raise Rejected("unreadable", "the .doc file is encrypted (password protected)")
        if nfib < MIN_NFIB:
            raise Rejected("unsupported_type", f"a Word 6.0/95 document (nFib {nfib}): only Word 97 and later are read")
        table_name = "1Table" if flags & 0x0200 else "0Table"
        if not ole.exists(table_name):
            raise Rejected("unreadable", f"the .doc file has no {table_name} stream")
        return WordBinary(word, ole.openstream(table_name).read(), summary_title(ole))
    except (OSError, struct.error) as error:
        raise Rejected("unreadable", f".doc streams cannot be read: {error}") from error
    finally:
        ole.close()


# ---------------------------------------------------------------- blocks and tables


def blocks(paragraphs: Iterator[Paragraph], tables: list[list[list[str]]]) -> Iterator[Block]:
    """Paragraphs and table rows in reading order; the tables' rows also go to `tables`."""
    rows: list[list[list[Block]]] = []
    cells: list[list[Block]] = []
    cell: list[Block] = []
    for paragraph in paragraphs:
        block = Block(paragraph.text, centered=paragraph.centered, size=paragraph.size)
        if paragraph.in_table:
            if paragraph.inner_row_end:
                continue  # a nested table's row end: its text is already in the cell
            if paragraph.row_end:
                rows.append(cells)
                cells, cell = [], []
            elif paragraph.end == CELL_MARK and paragraph.depth <= 1:
                cells.append([*cell, block])
                cell = []
            else:
                cell.append(block)  # a paragraph inside a cell, or a nested table's cell
            continue
        if rows or cells or cell:
            yield from table_blocks([*rows, [*cells, cell]] if cells or cell else rows, tables)
            rows, cells, cell = [], [], []
        yield block
    if rows or cells or cell:
        yield from table_blocks([*rows, [*cells, cell]] if cells or cell else rows, tables)


def table_blocks(rows: list[list[list[Block]]], tables: list[list[list[str]]]) -> Iterator[Block]:
    """A data table as TAB-separated rows; a layout table (one filled cell a row) as paragraphs."""
    if all(sum(1 for cell in row if any(b.text.strip() for b in cell)) <= 1 for row in rows):
        for row in rows:
            for cell in row:
                yield from cell
        return
    table = []
    for row in rows:
        texts = [cell_text(cell) for cell in row]
        if any(texts):
            table.append(texts)
            yield Block("\t".join(texts), cells=texts)
    if table:
        tables.append(table)


def extract_doc(data: bytes) -> DocText:
    """Accepted text, tables and title of a Word 97+ binary document.

    Raises Rejected('unsupported_type') for OLE2 files that are not Word documents (the format
    named) and for Word 6/95 files, Rejected('unreadable') for broken or encrypted files,
    Rejected('no_text') when there are fewer than MIN_TEXT_CHARS letters.
    """
    ole_format(data)
    document = read_word_binary(data)
    tables: list[list[list[str]]] = []
    found = [b for b in blocks(document.paragraphs(), tables) if b.text.strip()]
    for block in found:
        if block.cells is None:
            block.text = block.text.strip()
    if not enough_letters([b.text for b in found], MIN_TEXT_CHARS):
        raise Rejected("no_text", "the .doc file holds no paragraph text")
    keep, fields = split_head_fields([b.text for b in found])
    found = [b for b, kept in zip(found, keep, strict=True) if kept]
    title = None
    if count := heading_block(found):
        title = "".join(b.text for b in found[:count])
        found = [Block(title), *found[count:]]
    title = title or document.summary_title
    return DocText(title=title, text="\n".join(b.text for b in found), tables=tables, metadata=fields)
