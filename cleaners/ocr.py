"""Scanned PDF pages to glyphs: rendered with PDFium, recognised with RapidOCR (PP-OCR models).

Which pages. A page is recognised when its text layer is no use: it holds fewer than
MIN_PAGE_LETTERS letters while images cover at least MIN_IMAGE_SHARE of it (a scan, perhaps
under a portal's stamp), or most of what it holds is glyph codes — private-use code points,
U+FFFD, control characters, or Latin-1 letters where Chinese was meant (GBK bytes read as
Latin-1) — so the page is read as it looks. A page drawn with outlines and no image is not a
scan and is left alone.

The engine. `rapidocr` runs the PP-OCRv6 detection and recognition models (PaddleOCR, Apache-2.0)
that its wheel ships, on onnxruntime; they are named by path, so nothing is ever downloaded. The
engine is loaded once per process, on the first page that needs it (the document workers of a
crawl each load their own). A page is rendered at `OcrOptions.dpi` (150: text of a printed page
is 25–35 px high, where PP-OCR reads best) and recognised as one image; each recognised line
gives its characters' boxes, so an OCR'd page becomes glyphs like a text layer's and goes through
the same segments, gutters, rows, furniture and paragraphs (`cleaners/pdf_layout.py`).

Bounds. At most `max_pages` pages of a document are recognised; the rest are counted. Each page
has `page_timeout` seconds: a timer sets onnxruntime's `RunOptions.terminate`, which stops the
model between two of its operators, and no model call starts after the deadline, so an
overrunning page is abandoned within milliseconds, on whatever thread it runs, and recorded.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from statistics import median
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from cleaners.normalize import is_cjk
from cleaners.ocr_options import OcrOptions
from cleaners.pdf_layout import Glyph

# A page with fewer letters than this in its text layer …
MIN_PAGE_LETTERS = 50
# … and images over this share of its area is a scan.
MIN_IMAGE_SHARE = 0.5
# A text layer with this many glyph codes, making up this share of its characters, is garbage.
GARBAGE_MIN_CHARS = 10
GARBAGE_SHARE = 0.3
# Rendering: no side of the page image longer than this (a poster at 150 dpi would be huge).
MAX_RENDER_SIDE_PX = 3000
# Detection runs on the page image scaled to this longest side; recognition reads the full image.
DETECTION_SIDE_PX = 1280
# Lines the recogniser is less sure of than this are dropped (RapidOCR's own default).
MIN_LINE_SCORE = 0.5
# A line's size comes from the distances between this many pairs of Han characters, or more …
MIN_PITCHES = 3
# … else from its Han characters' boxes (ink), about this share of the font size.
HAN_INK_SHARE = 0.9
# Measured sizes of body lines wander by up to this share; within it of the body size, they are it.
SIZE_NOISE = 0.12
# A line box (detection adds margins) is about this many font sizes high.
LINE_BOX_EMS = 1.25
# Where the baseline sits in a line box, from its bottom (share of the box height).
BASELINE_SHARE = 0.2

MODEL_FILES = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
}
MODEL_NAME = "PP-OCRv6 small"


class PageTimeout(Exception):
    """A page ran past its time limit; what was recognised of it is dropped."""


class OcrUnavailable(Exception):
    """The OCR engine cannot be loaded (package or model files missing)."""


# ---------------------------------------------------------------- which pages


def glyph_codes(text: str) -> tuple[int, int]:
    """(letters, glyph codes) among a text layer's characters: codes are what no reader can use.

    Glyph codes: private-use, unassigned, surrogate and control code points (whitespace aside),
    U+FFFD, and letters of Latin-1 Supplement and Latin Extended-A/B (GBK bytes read as Latin-1).
    """
    letters = codes = 0
    for char in text:
        if char.isspace():
            continue
        latin_letter = char.isalpha() and "\u0080" <= char <= "\u024f"
        if latin_letter or char == "\ufffd" or unicodedata.category(char) in ("Co", "Cn", "Cs", "Cc"):
            codes += 1
        elif char.isalnum():
            letters += 1
    return letters, codes


def image_share(page: pdfium.PdfPage) -> float:
    """The share of the page's area that images cover (form XObjects included; overlaps count twice, capped at 1)."""
    left, bottom, right, top = page.get_mediabox()
    area = (right - left) * (top - bottom)
    if area <= 0:
        return 0.0
    covered = 0.0
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        x0, y0, x1, y1 = image.get_bounds()
        width = min(x1, right) - max(x0, left)
        height = min(y1, top) - max(y0, bottom)
        if width > 0 and height > 0:
            covered += width * height
    return min(covered / area, 1.0)


def needs_ocr(page: pdfium.PdfPage, text: str) -> str | None:
    """Why a page is to be recognised ('scan' or 'glyph_codes'), or None when its text layer serves.

    `text` is the page's text layer as PDFium reads it (PdfTextPage.get_text_range()).
    """
    letters, codes = glyph_codes(text)
    if codes >= GARBAGE_MIN_CHARS and codes >= GARBAGE_SHARE * (letters + codes):
        return "glyph_codes"
    if letters < MIN_PAGE_LETTERS and image_share(page) >= MIN_IMAGE_SHARE:
        return "scan"
    return None


# ---------------------------------------------------------------- the engine


@dataclass
class _Clock:
    """The deadline of the page being recognised, and the run options a timer can terminate."""

    deadline: float = float("inf")
    run_options: Any = None

    def expired(self) -> bool:
        terminated = self.run_options is not None and self.run_options.terminate
        return terminated or time.monotonic() >= self.deadline


class _BoundedSession:
    """An onnxruntime InferenceSession that runs under the current page's deadline."""

    def __init__(self, session: Any, clock: _Clock) -> None:
        self._session = session
        self._clock = clock

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        if self._clock.expired():
            raise PageTimeout("the page's time limit was reached")
        return self._session.run(output_names, input_feed, self._clock.run_options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


@dataclass
class Engine:
    """RapidOCR loaded with the models of its wheel, every model call bounded by `clock`."""

    ocr: Any
    clock: _Clock
    name: str  # engine, models and runtime with their versions, for metadata.ocr
    lock: threading.Lock = field(default_factory=threading.Lock)  # one page at a time: the clock is the engine's


def model_dir() -> Path:
    """Where the installed rapidocr keeps the models its wheel ships; OcrUnavailable if it is not installed."""
    try:
        import rapidocr
    except ImportError as error:
        raise OcrUnavailable(f"the OCR engine is not installed ({error}): pip install rapidocr onnxruntime") from error
    return Path(rapidocr.__file__).resolve().parent / "models"


@cache
def engine() -> Engine:
    """The process's OCR engine, loaded on first use. Raises OcrUnavailable.

    The models are named by path, so RapidOCR never looks for (or downloads) anything else;
    the text-direction classifier is off (pages are rendered upright).
    """
    directory = model_dir()
    paths = {task: directory / name for task, name in MODEL_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise OcrUnavailable(f"OCR model files missing: {', '.join(missing)} (reinstall rapidocr)")
    from rapidocr import RapidOCR

    ocr = RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": MIN_LINE_SCORE,
            "Global.max_side_len": MAX_RENDER_SIDE_PX,
            "Det.model_path": str(paths["det"]),
            "Det.limit_type": "max",
            "Det.limit_side_len": DETECTION_SIDE_PX,
            "Rec.model_path": str(paths["rec"]),
        }
    )
    clock = _Clock()
    try:
        # Load both models now and put every onnxruntime call of theirs under the page clock.
        for model in (ocr._load_det_model(), ocr._load_rec_model()):
            model.session.session = _BoundedSession(model.session.session, clock)
    except AttributeError as error:
        raise OcrUnavailable(f"rapidocr {metadata.version('rapidocr')} is not a version govcorpus knows: {error}") from error
    name = f"rapidocr {metadata.version('rapidocr')} ({MODEL_NAME}, onnxruntime {metadata.version('onnxruntime')})"
    return Engine(ocr, clock, name)


@contextmanager
def time_limit(clock: _Clock, seconds: float) -> Iterator[None]:
    """Within the block, model calls stop `seconds` from now: a timer terminates the running one."""
    import onnxruntime

    clock.deadline = time.monotonic() + seconds
    clock.run_options = onnxruntime.RunOptions()
    timer = threading.Timer(seconds, lambda options=clock.run_options: setattr(options, "terminate", True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        clock.deadline = float("inf")
        clock.run_options = None


# ---------------------------------------------------------------- recognising a page


@dataclass(frozen=True)
class OcrChar:
    char: str
    x0: float  # left and right edge in page points
    x1: float
    space_before: bool
    score: float


@dataclass(frozen=True)
class OcrLine:
    """One recognised line in page points (origin bottom left, as the page is shown)."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    score: float
    chars: tuple[OcrChar, ...]


def render(page: pdfium.PdfPage, dpi: int) -> tuple[Any, float]:
    """The page as shown (rotation applied), grey, at `dpi` (less for a page too large): (image, pixels per point)."""
    width, height = page.get_size()
    scale = min(dpi / 72, MAX_RENDER_SIDE_PX / max(width, height, 1.0))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_numpy().copy(), scale
    finally:
        bitmap.close()


def recognise(page: pdfium.PdfPage, options: OcrOptions) -> list[OcrLine]:
    """The page's text lines, top to bottom. Raises PageTimeout past `options.page_timeout`, OcrUnavailable."""
    loaded = engine()
    with loaded.lock, time_limit(loaded.clock, options.page_timeout):
        image, scale = render(page, options.dpi)
        try:
            result = loaded.ocr(image, return_word_box=True, return_single_char_box=True)
        except Exception:
            if loaded.clock.expired():  # RapidOCR wraps onnxruntime's errors in its own
                raise PageTimeout(f"no result within {options.page_timeout:g} s") from None
            raise
    if not getattr(result, "txts", None):
        return []
    page_height = image.shape[0] / scale
    lines = []
    # word_results is a single placeholder when word boxes were not asked for: zip stops at the shortest
    for box, text, score, words in zip(result.boxes, result.txts, result.scores, result.word_results, strict=False):
        xs, ys = [float(p[0]) / scale for p in box], [float(p[1]) / scale for p in box]
        x0, x1 = min(xs), max(xs)
        chars = _chars(text, words, scale, x0, x1, float(score))
        if chars:
            lines.append(OcrLine(text, x0, x1, page_height - max(ys), page_height - min(ys), float(score), chars))
    return lines


def _chars(text: str, words: Any, scale: float, x0: float, x1: float, score: float) -> tuple[OcrChar, ...]:
    """The line's characters with their left and right edges.

    RapidOCR boxes each character it read (`words`: (char, score, quad) in reading order, spaces
    left out); when its characters and the line's text disagree, the line's width is shared out
    instead, half a share for a narrow (ASCII) character.
    """
    visible = [(char, index > 0 and text[index - 1].isspace()) for index, char in enumerate(text) if not char.isspace()]
    boxes = [w for w in words or () if len(w) == 3 and w[2] is not None]
    if len(boxes) == len(visible) and all(w[0] == char for w, (char, _) in zip(boxes, visible, strict=True)):
        return tuple(
            OcrChar(char, min(p[0] for p in w[2]) / scale, max(p[0] for p in w[2]) / scale, spaced, float(w[1]))
            for w, (char, spaced) in zip(boxes, visible, strict=True)
        )
    units = [0.5 if char.isascii() else 1.0 for char, _ in visible]
    step = (x1 - x0) / (sum(units) or 1.0)
    out, at = [], x0
    for (char, spaced), unit in zip(visible, units, strict=True):
        out.append(OcrChar(char, at, at + unit * step, spaced, score))
        at += unit * step
    return tuple(out)


def _is_han(char: str) -> bool:
    return is_cjk(char) and unicodedata.category(char) == "Lo"


def line_size(line: OcrLine) -> float:
    """The font size of a line in points.

    Han characters are set one em apart, so the size is the median distance between the centres
    of neighbouring Han characters (the boxes' edges wander more than their centres); a line with
    too few of them takes its Han characters' widths, else its height.
    """
    chars = line.chars
    pitches = [
        (b.x0 + b.x1 - a.x0 - a.x1) / 2 for a, b in pairwise(chars) if _is_han(a.char) and _is_han(b.char)
    ]
    if len(pitches) >= MIN_PITCHES:
        return median(pitches)
    widths = [c.x1 - c.x0 for c in chars if _is_han(c.char)]
    if widths:
        return median(widths) / HAN_INK_SHARE
    return (line.y1 - line.y0) / LINE_BOX_EMS


def page_sizes(lines: list[OcrLine]) -> list[float]:
    """Each line's size, the measuring noise taken out: a size within SIZE_NOISE of the page's
    body size (the size most characters have) is the body size, so that body lines are alike."""
    sizes = [line_size(line) for line in lines]
    if not sizes:
        return []
    weighted = sorted((size, len(line.chars)) for size, line in zip(sizes, lines, strict=True))
    half, seen = sum(count for _, count in weighted) / 2, 0
    body = weighted[-1][0]
    for size, count in weighted:
        seen += count
        if seen >= half:
            body = size
            break
    return [body if abs(size - body) <= SIZE_NOISE * body else size for size in sizes]


def line_glyphs(lines: list[OcrLine]) -> list[Glyph]:
    """A page's recognised lines as glyphs of a text layer, line after line (the order `segments` expects).

    Every character of a line gets the line's box vertically and the line's size.
    """
    glyphs: list[Glyph] = []
    for line, size in zip(lines, page_sizes(lines), strict=True):
        baseline = line.y0 + BASELINE_SHARE * (line.y1 - line.y0)
        glyphs += [Glyph(c.char, c.x0, c.x1, line.y0, line.y1, baseline, size, c.space_before) for c in line.chars]
    return glyphs


# ---------------------------------------------------------------- one document


@dataclass
class OcrRun:
    """The OCR of one document: which pages were read, how sure the engine was, what was left out.

    `page_glyphs` is called for each page that `needs_ocr`, in page order; it returns the
    page's glyphs (none when OCR is off, unavailable, over `max_pages` or out of time).
    """

    options: OcrOptions
    wanted: list[int] = field(default_factory=list)  # 1-based numbers of the pages that needed OCR
    pages: list[int] = field(default_factory=list)  # … and of those recognised
    timed_out: list[int] = field(default_factory=list)
    over_max_pages: int = 0
    unavailable: str | None = None
    chars: int = 0
    score_sum: float = 0.0
    seconds: float = 0.0

    def page_glyphs(self, page: pdfium.PdfPage, number: int) -> list[Glyph]:
        self.wanted.append(number + 1)
        if not self.options.enabled or self.unavailable:
            return []
        if len(self.pages) + len(self.timed_out) >= self.options.max_pages:
            self.over_max_pages += 1
            return []
        started = time.monotonic()
        try:
            lines = recognise(page, self.options)
        except OcrUnavailable as error:
            self.unavailable = str(error)
            return []
        except PageTimeout:
            self.timed_out.append(number + 1)
            return []
        finally:
            self.seconds += time.monotonic() - started
        self.pages.append(number + 1)
        for line in lines:
            self.chars += len(line.chars)
            self.score_sum += sum(c.score for c in line.chars)
        return line_glyphs(lines)

    def metadata(self) -> dict[str, Any] | None:
        """`metadata.ocr` of the document; None when no page needed OCR or none was attempted."""
        if not self.pages and not self.timed_out:
            return None
        found: dict[str, Any] = {
            "pages": len(self.pages),
            "page_numbers": self.pages,
            "confidence": round(self.score_sum / self.chars, 4) if self.chars else 0.0,
            "chars": self.chars,
            "engine": engine().name,
            "dpi": self.options.dpi,
            "seconds": round(self.seconds, 2),
        }
        if self.timed_out:
            found["timed_out"] = self.timed_out
        if self.over_max_pages:
            found["not_ocred_over_max_pages"] = self.over_max_pages
        return found

    def why_no_text(self) -> str:
        """What a `no_text` refusal says about OCR."""
        if not self.wanted:
            return "no page is a scanned image to recognise"
        if not self.options.enabled:
            return "OCR is off (GOVCORPUS_OCR_ENABLED)"
        if self.unavailable:
            return f"OCR unavailable: {self.unavailable}"
        said = [f"OCR read {len(self.pages)} of {len(self.wanted)} scanned pages and found no text"]
        if self.timed_out:
            said.append(f"pages {', '.join(map(str, self.timed_out))} ran past {self.options.page_timeout:g} s")
        if self.over_max_pages:
            said.append(f"{self.over_max_pages} pages beyond GOVCORPUS_OCR_MAX_PAGES={self.options.max_pages}")
        return "; ".join(said)
