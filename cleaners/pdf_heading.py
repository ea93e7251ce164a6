"""A PDF's title set as a picture: the heading image above the first page's text, read by OCR.

Bulletins exported from a word processor often carry their heading as an image (a WordArt or a
pasted banner: 黔东南苗族侗族自治州 / 2023年国民经济和社会发展统计公报) while the rest of the page is
text. The text layer then starts at the 署名 or the body, and the file's Title metadata may hold
only part of the heading. When images stand above the first page's first text line, the page is
recognised (cleaners/ocr.py, within the document's OCR options) and the recognised lines above
that text line are the heading.
"""

from __future__ import annotations

import re
from functools import reduce

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from cleaners.layout import glue
from cleaners.ocr import OcrUnavailable, PageTimeout, recognise
from cleaners.ocr_options import OcrOptions
from cleaners.titles import is_title_line

# A heading is recognised with at least this confidence (RapidOCR's line score) and has this many characters.
MIN_HEADING_SCORE = 0.9
MIN_HEADING_CHARS = 4
# A footnote mark set after a heading ([1], 1], ［2］): OCR reads the superscript into the line.
FOOTNOTE_MARK_RE = re.compile(r"\s*[\[［(（]?\d{1,2}[\]］)）]$")


def images_above(page: pdfium.PdfPage, top: float) -> bool:
    """Whether an image lies wholly above the height `top` (page points, origin bottom left)."""
    return any(image.get_bounds()[1] >= top for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4))


def image_heading(data: bytes, page_number: int, top: float, options: OcrOptions) -> str | None:
    """The heading recognised above the height `top` of page `page_number` (0-based), else None.

    `top` is the top of the page's first text line. None when no image stands above it, OCR is
    off or unavailable or runs out of time, or what it reads there is no title line.
    """
    if not options.enabled:
        return None
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[page_number]
        try:
            if not images_above(page, top):
                return None
            try:
                lines = recognise(page, options)
            except (OcrUnavailable, PageTimeout):
                return None
        finally:
            page.close()
    finally:
        pdf.close()
    above = sorted((line for line in lines if line.y0 >= top), key=lambda line: -line.y1)
    heading = FOOTNOTE_MARK_RE.sub("", reduce(glue, (line.text.strip() for line in above), ""))
    if not above or min(line.score for line in above) < MIN_HEADING_SCORE or len(heading) < MIN_HEADING_CHARS:
        return None
    return heading if is_title_line(heading) else None
