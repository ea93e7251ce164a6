"""OCR of scanned PDFs: character F1 of the OCR'd text against the text layer's, and seconds per page.

Scans are made, not found: every page of a text PDF is rendered with PDFium at --dpi (150),
stored as a grey JPEG (quality --quality, 60) on an image-only page of the same size, and the
image-only PDF goes through `cleaners.pdf.extract_pdf` as any fetched PDF would (scan detection,
OCR, the layout of cleaners/pdf_layout.py, paragraphs). The reference is what extract_pdf makes
of the original PDF's text layer; both are compared after `clean_text(source_type="pdf")` by
character F1 over letters and digits (exact LCS, benchmarks.quality.char_scores). Seconds per
page (wall, and CPU of all the process's threads) are printed beside the text-layer path's (best
of TEXT_REPEATS) on the same document in the same run; OCR's are one run, engine loaded before.

Documents: ../shared/realworld/documents/*.pdf (fonts embedded) and the fixture PDFs of
tests/fixtures (family pdf). The fixture PDFs are written with STSong-Light, a CID font they do
not embed: PDFium draws it only with a CJK font to stand in for it, which a machine without CJK
fonts lacks, and then the scans hold no Chinese at all. Such documents are listed as not
rasterisable unless --fonts DIR names a folder with a CJK font (e.g. NotoSerifCJK-Regular.ttc
out of Debian's fonts-noto-cjk); PDFium then looks for fonts there instead of the system's.

Run: .venv/bin/python benchmarks/ocr.py [--fonts DIR] [--pages N] [--only NAME,…] [--json OUT]
Target (issue #15): F1 ≥ 0.97 on every document.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from benchmarks.quality import char_scores
from cleaners.document import Rejected
from cleaners.ocr import engine
from cleaners.ocr_options import OcrOptions
from cleaners.pdf import extract_pdf
from cleaners.steps import clean_text

SHARED = ROOT.parent / "shared"
REALWORLD = SHARED / "realworld" / "documents"
FIXTURES = ROOT / "tests" / "fixtures"
TARGET_F1 = 0.97
DPI = 150
JPEG_QUALITY = 60
BILEVEL_THRESHOLD = 160
TEXT_REPEATS = 3


# ---------------------------------------------------------------- making scans


def scan_pdf(
    data: bytes, *, dpi: int = DPI, quality: int = JPEG_QUALITY, pages: Iterable[int] | None = None, bilevel: bool = False
) -> bytes:
    """An image-only PDF of `data`'s pages (all, or the 0-based `pages`), each rendered at `dpi`.

    Each page becomes a grey JPEG of `quality`, or with `bilevel` a black-and-white image (grey
    below BILEVEL_THRESHOLD is black, as a fax-mode scanner makes it) that PDFium stores with
    Flate: a third of the bytes. The pages keep their size in points; nothing of the text layer
    survives.
    """
    source = pdfium.PdfDocument(data)
    scan = pdfium.PdfDocument.new()
    try:
        for number in range(len(source)) if pages is None else pages:
            page = source[number]
            width, height = page.get_size()
            picture = page.render(scale=dpi / 72, grayscale=True).to_pil()
            page.close()
            image = pdfium.PdfImage.new(scan)
            if bilevel:
                image.set_bitmap(pdfium.PdfBitmap.from_pil(picture.point(lambda v: 255 if v >= BILEVEL_THRESHOLD else 0)))
            else:
                jpeg = io.BytesIO()
                picture.save(jpeg, "JPEG", quality=quality)
                jpeg.seek(0)
                image.load_jpeg(jpeg, inline=True)
            image.set_matrix(pdfium.PdfMatrix().scale(width, height))
            new = scan.new_page(width, height)
            new.insert_obj(image)
            new.gen_content()
            new.close()
        out = io.BytesIO()
        scan.save(out)
        return out.getvalue()
    finally:
        scan.close()
        source.close()


def use_font_directory(directory: Path) -> None:
    """Have PDFium look for the fonts a PDF does not embed in `directory` instead of the system's.

    PDFium reads its font paths when the library starts, so this restarts it: call it before any
    document is opened.
    """
    path = ctypes.create_string_buffer(str(directory).encode())
    paths = (ctypes.POINTER(ctypes.c_char) * 2)()  # NULL-terminated
    paths[0] = ctypes.cast(path, ctypes.POINTER(ctypes.c_char))
    config = pdfium_c.FPDF_LIBRARY_CONFIG(
        version=2,
        m_pUserFontPaths=ctypes.cast(paths, ctypes.POINTER(ctypes.POINTER(ctypes.c_char))),
        m_pIsolate=None,
        m_v8EmbedderSlot=0,
    )
    pdfium_c.FPDF_DestroyLibrary()
    pdfium_c.FPDF_InitLibraryWithConfig(config)
    use_font_directory.keep = (path, paths)  # type: ignore[attr-defined]  # PDFium keeps the pointers


def unembedded_fonts(data: bytes) -> list[str]:
    """Names of the fonts a PDF's text uses without embedding them (first page)."""
    pdf = pdfium.PdfDocument(data)
    names: set[str] = set()
    try:
        page = pdf[0]
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=4):
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            if font and not pdfium_c.FPDFFont_GetIsEmbedded(font):
                buffer = ctypes.create_string_buffer(256)
                pdfium_c.FPDFFont_GetBaseFontName(font, buffer, 256)
                names.add(buffer.value.decode("latin-1"))
        page.close()
    finally:
        pdf.close()
    return sorted(names)


# ---------------------------------------------------------------- scoring


def ocr_f1(ocr_text: str, reference: str) -> float:
    """Character F1 (letters and digits, exact LCS) of OCR'd text against the text layer's."""
    return char_scores(clean_text(ocr_text, source_type="pdf"), clean_text(reference, source_type="pdf"))[2]


@dataclass
class Row:
    name: str
    pages: int
    f1: float | None
    precision: float | None
    recall: float | None
    confidence: float | None
    ocr_s_per_page: float | None
    text_s_per_page: float
    ocr_cpu_s_per_page: float | None = None  # CPU seconds of every thread of the process
    note: str = ""


def first_pages(data: bytes, count: int | None) -> bytes:
    """The document cut to its first `count` pages (all when None)."""
    if count is None:
        return data
    source = pdfium.PdfDocument(data)
    cut = pdfium.PdfDocument.new()
    try:
        cut.import_pages(source, list(range(min(count, len(source)))))
        out = io.BytesIO()
        cut.save(out)
        return out.getvalue()
    finally:
        cut.close()
        source.close()


def measure(name: str, data: bytes, *, dpi: int, quality: int, fonts: bool) -> Row:
    text_seconds = float("inf")
    for _ in range(TEXT_REPEATS):  # the best of a few: the first run also loads fonts
        started = time.perf_counter()
        reference = extract_pdf(data)
        text_seconds = min(text_seconds, time.perf_counter() - started)
    pages = reference.pages
    missing = unembedded_fonts(data)
    if missing and not fonts:
        note = f"not rasterisable here: {', '.join(missing)} not embedded (--fonts DIR)"
        return Row(name, pages, None, None, None, None, None, text_seconds / pages, note=note)
    scan = scan_pdf(data, dpi=dpi, quality=quality)
    options = OcrOptions(dpi=dpi, max_pages=10_000, page_timeout=600.0)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        recognised = extract_pdf(scan, options)
    except Rejected as rejected:
        return Row(name, pages, 0.0, 0.0, 0.0, None, None, text_seconds / pages, note=f"{rejected.reason}: {rejected.detail}")
    ocr_seconds, ocr_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    precision, recall, f1 = char_scores(
        clean_text(recognised.text, source_type="pdf"), clean_text(reference.text, source_type="pdf")
    )
    ocr = recognised.ocr or {}
    note = "" if ocr.get("pages") == pages else f"{ocr.get('pages', 0)} of {pages} pages OCR'd"
    return Row(
        name, pages, f1, precision, recall, ocr.get("confidence"), ocr_seconds / pages, text_seconds / pages, ocr_cpu / pages, note
    )


def documents(only: set[str] | None) -> list[tuple[str, bytes]]:
    found = sorted(REALWORLD.glob("*.pdf")) + sorted(FIXTURES.glob("pages/pdf/*.pdf")) + sorted(FIXTURES.glob("internet/**/*.pdf"))
    chosen = []
    for path in found:
        data = path.read_bytes()
        if only and path.name not in only:
            continue
        try:
            extract_pdf(data, OcrOptions(enabled=False))
        except Rejected:  # a scan already (the fixture decoy): no text layer to score against
            continue
        chosen.append((path.name, data))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fonts", type=Path, help="a folder with a CJK font, for PDFs that do not embed theirs")
    parser.add_argument("--dpi", type=int, default=DPI)
    parser.add_argument("--quality", type=int, default=JPEG_QUALITY, help="JPEG quality of the scans")
    parser.add_argument("--pages", type=int, help="only the first N pages of each document")
    parser.add_argument("--only", help="comma-separated file names")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args(argv)
    if args.fonts:
        use_font_directory(args.fonts)
    only = set(args.only.split(",")) if args.only else None
    loading = time.perf_counter()
    name = engine().name
    print(f"engine: {name} (loaded in {time.perf_counter() - loading:.1f} s); scans at {args.dpi} dpi, JPEG quality {args.quality}")
    rows = []
    header = (
        f"{'document':36} {'pages':>5} {'F1':>6} {'P':>6} {'R':>6} {'conf':>6}"
        f" {'OCR s/page':>10} {'OCR CPU s':>9} {'text s/page':>11}  note"
    )
    print(header)
    print("-" * len(header))
    for name, data in documents(only):
        row = measure(name, first_pages(data, args.pages), dpi=args.dpi, quality=args.quality, fonts=bool(args.fonts))
        rows.append(row)

        def cell(value: float | None, width: int, digits: int) -> str:
            return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

        print(
            f"{row.name:36} {row.pages:5d} {cell(row.f1, 6, 4)} {cell(row.precision, 6, 4)} {cell(row.recall, 6, 4)}"
            f" {cell(row.confidence, 6, 3)} {cell(row.ocr_s_per_page, 10, 2)} {cell(row.ocr_cpu_s_per_page, 9, 2)}"
            f" {row.text_s_per_page:11.4f}  {row.note}",
            flush=True,
        )
    scored = [row for row in rows if row.f1 is not None]
    if scored:
        pages = sum(row.pages for row in scored)
        mean = sum(row.f1 * row.pages for row in scored if row.f1 is not None) / pages
        ocr_time = sum((row.ocr_s_per_page or 0.0) * row.pages for row in scored) / pages
        ocr_cpu = sum((row.ocr_cpu_s_per_page or 0.0) * row.pages for row in scored) / pages
        text_time = sum(row.text_s_per_page * row.pages for row in scored) / pages
        worst = min(row.f1 for row in scored if row.f1 is not None)
        print("-" * len(header))
        print(
            f"{'all (page-weighted)':36} {pages:5d} {mean:6.4f} {'':6} {'':6} {'':6}"
            f" {ocr_time:10.2f} {ocr_cpu:9.2f} {text_time:11.4f}"
        )
        print(f"target F1 ≥ {TARGET_F1} on every document: {'met' if worst >= TARGET_F1 else 'NOT met'} (lowest {worst:.4f})")
    if args.json:
        args.json.write_text(json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
