"""Generated PDFs for the PDF tests: text placed where a test says, in the order it says.

`typeset` draws pieces of text with reportlab (STSong-Light, a CID font PDF readers know without
embedding it); the order of the list is the order of the content stream, so a test can write a
page in an order other than the reading order. `flow` lays paragraphs out the way government
PDFs are set: hard-wrapped lines, first lines indented, columns filled top to bottom. `handmade`
writes a PDF by hand with embedded Type 3 fonts, whose ToUnicode map can send characters to
other code points, as the fonts that emit Kangxi radicals do.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
WIDTH, HEIGHT = A4


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline, points from the bottom of the page
    text: str
    size: float = 12.0
    centred: bool = False  # x is then the centre


def typeset(pages: list[list[Text]], *, meta_title: str | None = None) -> bytes:
    """A PDF with one page per list, each piece drawn in list order."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    if meta_title:
        pdf.setTitle(meta_title)
    for page in pages:
        for piece in page:
            pdf.setFont(FONT, piece.size)
            if piece.centred:
                pdf.drawCentredString(piece.x, piece.y, piece.text)
            else:
                pdf.drawString(piece.x, piece.y, piece.text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


NO_LINE_START = set("，。、；：？！”）》")


def wrap(paragraph: str, chars: int, indent: int, hang: bool = False) -> list[str]:
    """Hard wraps every `chars` characters; the first line is `indent` characters shorter.

    Closing punctuation is kept off the start of a line, as typesetters do: the line before
    hangs it into the margin (`hang`, 标点悬挂) or gives up its last character to the next line.
    """
    lines, room = [], chars - indent
    while paragraph:
        cut = room
        if paragraph[room : room + 1] and paragraph[room] in NO_LINE_START:
            cut = room + 1 if hang else room - 1
        if len(paragraph) - cut == 1:  # no line of one character (PDFium drops a lone glyph of a
            cut -= 1  # font it cannot measure, as STSong-Light is on a machine without CJK fonts)
        lines.append(paragraph[:cut])
        paragraph, room = paragraph[cut:], chars
    return lines


def flow(
    paragraphs: list[str],
    *,
    columns: int = 1,
    chars: int = 30,
    size: float = 12.0,
    gutter_ems: float = 3.0,
    left: float = 72.0,
    top: float = HEIGHT - 110,
    bottom: float = 90.0,
    pitch_ems: float = 1.7,
    indent_ems: int = 2,
    first_page_top: float | None = None,
    hang: bool = False,
) -> list[list[Text]]:
    """Paragraphs hard-wrapped into `columns` columns of `chars` characters, page after page."""
    column_width = chars * size
    pages: list[list[Text]] = [[]]
    column = 0

    def column_top() -> float:
        return first_page_top if first_page_top is not None and len(pages) == 1 else top

    y = column_top()
    for paragraph in paragraphs:
        for number, line in enumerate(wrap(paragraph, chars, indent_ems, hang)):
            if y < bottom:
                column += 1
                if column == columns:
                    pages.append([])
                    column = 0
                y = column_top()
            x = left + column * (column_width + gutter_ems * size) + (indent_ems * size if number == 0 else 0)
            pages[-1].append(Text(x, y, line, size))
            y -= pitch_ems * size
    return pages


def with_furniture(pages: list[list[Text]], furniture: Callable[[int, int], list[Text]]) -> list[list[Text]]:
    """Each page with `furniture(page_number, page_count)` drawn first (headers, footers)."""
    return [furniture(number, len(pages)) + page for number, page in enumerate(pages, start=1)]


def spelled_out(x: float, y: float, text: str, size: float, *, em_wide: bool = False) -> list[Text]:
    """`text` drawn one character at a time at its advance: each character its own run.

    `em_wide`: every character advances one em, as in `handmade`'s fonts.
    """
    pieces = []
    for char in text:
        pieces.append(Text(x, y, char, size))
        x += size if em_wide else pdfmetrics.stringWidth(char, FONT, size)
    return pieces


def rows_first(page: list[Text]) -> list[Text]:
    """The page's pieces in the order a producer that writes across columns uses: top to bottom."""
    return sorted(page, key=lambda piece: (-piece.y, piece.x))


# ---------------------------------------------------------------- hand-made PDFs with Type 3 fonts


def handmade(pages: list[list[Text]], *, to_unicode: dict[str, str] | None = None, meta_title: str = "") -> bytes:
    """A PDF written by hand with Type 3 fonts whose glyphs are filled squares, one em wide.

    Unlike a font that is not embedded, every glyph has a real box, so PDFium keeps a text
    object of one character. The ToUnicode map sends each character to
    `to_unicode.get(char, char)`: with {"工": "⼯"} the page shows a glyph the text layer calls ⼯.
    """
    mapping = to_unicode or {}
    chars = sorted({ch for page in pages for piece in page for ch in piece.text})
    slot = {ch: (i // 255, i % 255 + 1) for i, ch in enumerate(chars)}  # (font, code 1..255)
    fonts = [chars[i : i + 255] for i in range(0, len(chars), 255)]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    glyph = add(_stream(b"1000 0 0 -140 1000 860 d1 60 -80 880 860 re f"))
    font_refs = []
    for members in fonts:
        names = b" ".join(b"/g%d" % (i + 1) for i in range(len(members)))
        procs = b" ".join(b"/g%d %d 0 R" % (i + 1, glyph) for i in range(len(members)))
        cmap = _to_unicode({i + 1: mapping.get(ch, ch) for i, ch in enumerate(members)})
        font_refs.append(
            add(
                b"<< /Type /Font /Subtype /Type3 /FontBBox [0 -140 1000 860] /FontMatrix [0.001 0 0 0.001 0 0]"
                b" /CharProcs << %s >> /Encoding << /Type /Encoding /Differences [1 %s] >>" % (procs, names)
                + b" /FirstChar 1 /LastChar %d /Widths [%s]" % (len(members), b" ".join([b"1000"] * len(members)))
                + b" /ToUnicode %d 0 R /Resources << >> >>" % add(_stream(cmap))
            )
        )
    resources = b"<< /Font << %s >> >>" % b" ".join(b"/F%d %d 0 R" % (i, ref) for i, ref in enumerate(font_refs))
    page_refs = []
    pages_ref = len(objects) + 2 * len(pages) + 1  # the /Pages object comes after the pages
    for page in pages:
        content = []
        for piece in page:
            x = piece.x - (len(piece.text) * piece.size / 2 if piece.centred else 0)
            runs, font = [], None
            for ch in piece.text:
                number, code = slot[ch]
                if number != font:
                    runs.append(f"/F{number} {piece.size:g} Tf <")
                    font = number
                    runs.append("")
                runs[-1] += f"{code:02X}"
            shows = "".join(part if part.startswith("/") else f"{part}> Tj " for part in runs)
            content.append(f"BT {x:.2f} {piece.y:.2f} Td {shows}ET")
        contents = add(_stream("\n".join(content).encode("ascii")))
        page_refs.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
                % (pages_ref, WIDTH, HEIGHT, resources, contents)
            )
        )
    kids = b" ".join(b"%d 0 R" % ref for ref in page_refs)
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_refs))) == pages_ref
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_ref)
    info = add(b"<< /Title <FEFF%s> >>" % _utf16_hex(meta_title).encode("ascii")) if meta_title else None
    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"/Size %d /Root %d 0 R" % (len(objects) + 1, catalog) + (b" /Info %d 0 R" % info if info else b"")
    out += b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"


def _to_unicode(codes: dict[int, str]) -> bytes:
    entries = "\n".join(f"<{code:02X}> <{_utf16_hex(text)}>" for code, text in codes.items())
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(codes)} beginbfchar\n{entries}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode("ascii")


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()
