"""OCR of scanned PDFs (cleaners/ocr.py), on scans made by rasterising real and fixture PDFs.

A scan is a text PDF rendered at 150 dpi onto image-only pages (`benchmarks.ocr.scan_pdf`); its
OCR'd text is scored against the original's text layer by character F1. The real bulletin's scan
is made here from ../shared/realworld; the fixture report's is committed (tests/fixtures/ocr,
rebuilt by tests/fixtures/build_ocr_scan.py), as rendering its non-embedded font needs a CJK font
this machine may not have. Thresholds are the F1 measured on these pages (0.9996 and 0.9995) less
a margin for onnxruntime's numerics on other CPUs; benchmarks/ocr.py measures every page.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from scrapy.settings import Settings
from support import REPO, SHARED

from benchmarks.ocr import first_pages, ocr_f1, scan_pdf
from cleaners.document import Rejected
from cleaners.layout import is_page_number
from cleaners.ocr import (
    MODEL_FILES,
    _BoundedSession,
    _Clock,
    glyph_codes,
    model_dir,
    needs_ocr,
    time_limit,
)
from cleaners.ocr_options import OcrOptions
from cleaners.pdf import PdfText, extract_pdf
from cleaners.steps import clean_text
from crawler import settings as project_settings
from crawler.workers import ocr_options

ZHOUKOU = SHARED / "realworld" / "documents" / "statbulletin-2023-zhoukou.pdf"
JINGAN = REPO / "tests" / "fixtures" / "pages" / "pdf" / "jingan_gzbg_2024.pdf"
JINGAN_SCAN = REPO / "tests" / "fixtures" / "ocr" / "jingan_gzbg_2024_p1-2_scan.pdf"  # its pages 1–2
MIN_F1 = 0.99


def lines_of(pdf: PdfText) -> list[str]:
    return clean_text(pdf.text, source_type="pdf", title=pdf.title).split("\n")


@cache
def zhoukou() -> tuple[PdfText, PdfText]:
    """The first two pages of the 周口 bulletin: (its text layer, the OCR of their scan)."""
    data = first_pages(ZHOUKOU.read_bytes(), 2)
    return extract_pdf(data), extract_pdf(scan_pdf(data))


@cache
def jingan() -> tuple[PdfText, PdfText]:
    """Pages 1–2 of the fixture report: (its text layer, the OCR of the committed black-and-white scan)."""
    return extract_pdf(first_pages(JINGAN.read_bytes(), 2)), extract_pdf(JINGAN_SCAN.read_bytes())


def joined(*documents: bytes) -> bytes:
    """One PDF holding the pages of each of `documents`, in order."""
    out = pdfium.PdfDocument.new()
    sources = [pdfium.PdfDocument(data) for data in documents]
    for source in sources:
        out.import_pages(source)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- which pages are scans


def test_glyph_codes_are_counted_apart_from_letters() -> None:
    assert glyph_codes("政府工作报告 2024") == (10, 0)
    assert glyph_codes("\ue000\ue001\ufffd\x01ÕþÎñ") == (0, 8)  # private use, U+FFFD, a control, GBK read as Latin-1


def test_a_scan_a_text_page_and_a_page_of_glyph_codes_are_told_apart() -> None:
    def verdict(data: bytes) -> str | None:
        page = pdfium.PdfDocument(data)[0]
        return needs_ocr(page, page.get_textpage().get_text_range())

    text_page = first_pages(ZHOUKOU.read_bytes(), 1)
    assert verdict(text_page) is None
    assert verdict(scan_pdf(text_page)) == "scan"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("Helvetica", 12)
    for row in range(20):  # 政府工作报告 as GBK bytes read as Latin-1, a line after line
        pdf.drawString(72, 760 - 18 * row, "ÕþžªÖ¤×÷±¨¸æ ÕþžªÖ¤×÷±¨¸æ")
    pdf.showPage()
    pdf.save()
    assert verdict(buffer.getvalue()) == "glyph_codes"


def test_a_picture_with_a_caption_is_not_a_scan() -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    page = pdfium.PdfDocument(scan_pdf(first_pages(ZHOUKOU.read_bytes(), 1)))[0]
    image = page.render(scale=0.5).to_pil()
    from reportlab.lib.utils import ImageReader

    pdf.drawImage(ImageReader(image), 100, 400, width=200, height=280)  # a fifth of the page
    pdf.drawString(100, 380, "Figure 1")
    pdf.showPage()
    pdf.save()
    scan = pdfium.PdfDocument(buffer.getvalue())[0]
    assert needs_ocr(scan, scan.get_textpage().get_text_range()) is None


# ---------------------------------------------------------------- reading scans


def test_a_scanned_real_bulletin_reads_like_its_text_layer() -> None:
    layer, ocr = zhoukou()
    assert ocr_f1(ocr.text, layer.text) >= MIN_F1
    assert ocr.title == layer.title == "2023年周口市国民经济和社会发展统计公报"
    lines = lines_of(ocr)
    # A paragraph hard-wrapped over three lines of the scan comes out whole.
    assert (
        "初步核算，全年全市地区生产总值同比增长4.8%。分产业看，第一产业增加值增长2.0%，"
        "第二产业增加值增长6.0%，第三产业增加值增长4.8%。全年人均地区生产总值增长5.9%。"
    ) in lines
    assert "周口市统计局" in lines and "2024年4月29日" in lines


def test_metadata_ocr_names_the_pages_the_confidence_and_the_engine() -> None:
    layer, ocr = zhoukou()
    assert layer.ocr is None
    assert ocr.ocr is not None
    assert ocr.ocr["pages"] == 2 and ocr.ocr["page_numbers"] == [1, 2]
    assert 0.9 <= ocr.ocr["confidence"] <= 1.0
    assert ocr.ocr["engine"].startswith("rapidocr ") and "PP-OCRv6" in ocr.ocr["engine"] and "onnxruntime" in ocr.ocr["engine"]
    assert ocr.ocr["dpi"] == 150


def test_a_scanned_fixture_report_keeps_its_paragraphs_title_and_drops_its_page_numbers() -> None:
    layer, ocr = jingan()
    assert ocr_f1(ocr.text, layer.text) >= MIN_F1
    assert ocr.title == layer.title == "政府工作报告"
    wanted, got = lines_of(layer), lines_of(ocr)
    assert sum(line in got for line in wanted) >= len(wanted) - 1  # one may carry a misread character
    assert not any(is_page_number(line) for line in got)
    # The paragraph that runs from page 1 onto page 2 is joined across the page break.
    assert any(line.startswith("经济指标持续向好。区域经济呈现恢复增长、回升向好态势。") and "同比增长7.05%" in line for line in got)


def test_a_mixed_document_recognises_only_its_scanned_pages_and_at_most_max_pages() -> None:
    text_page = first_pages(ZHOUKOU.read_bytes(), 1)
    document = joined(text_page, JINGAN_SCAN.read_bytes())  # a text page, then two scanned pages
    pdf = extract_pdf(document, OcrOptions(max_pages=1))
    assert pdf.ocr is not None
    assert pdf.ocr["page_numbers"] == [2] and pdf.ocr["not_ocred_over_max_pages"] == 1
    lines = lines_of(pdf)
    assert "周口市统计局" in lines  # the text layer of page 1
    assert "各位代表：" in lines  # the OCR of page 2
    assert not any("投资建设势头强劲" in line for line in lines)  # page 3 was not read


def test_a_page_past_its_time_limit_is_skipped_and_recorded() -> None:
    document = joined(first_pages(ZHOUKOU.read_bytes(), 1), JINGAN_SCAN.read_bytes())
    pdf = extract_pdf(document, OcrOptions(page_timeout=0.001))
    assert pdf.ocr is not None and pdf.ocr["pages"] == 0 and pdf.ocr["timed_out"] == [2, 3]
    assert "周口市统计局" in lines_of(pdf)
    with pytest.raises(Rejected) as caught:
        extract_pdf(JINGAN_SCAN.read_bytes(), OcrOptions(page_timeout=0.001))
    assert caught.value.reason == "no_text" and "pages 1, 2 ran past 0.001 s" in caught.value.detail


def test_the_time_limit_stops_a_model_in_the_middle_of_its_run() -> None:
    """The timer terminates a running onnxruntime call; it does not wait for the call to end."""
    session = onnxruntime.InferenceSession(str(model_dir() / MODEL_FILES["det"]), providers=["CPUExecutionProvider"])
    clock = _Clock()
    bounded = _BoundedSession(session, clock)
    name = session.get_inputs()[0].name
    big = np.zeros((1, 3, 2048, 2048), dtype=np.float32)  # seconds of work on any CPU
    with time_limit(clock, 0.05), pytest.raises(Exception, match="terminate"):
        bounded.run(None, {name: big})


def test_ocr_off_refuses_a_scan_as_no_text_and_says_so() -> None:
    with pytest.raises(Rejected) as caught:
        extract_pdf(JINGAN_SCAN.read_bytes(), OcrOptions(enabled=False))
    assert caught.value.reason == "no_text" and "OCR is off" in caught.value.detail


def test_a_blank_scan_is_still_no_text() -> None:
    with pytest.raises(Rejected) as caught:
        extract_pdf((REPO / "tests" / "fixtures" / "pages" / "pdf" / "scan_P020240118.pdf").read_bytes())
    assert caught.value.reason == "no_text" and "OCR read 1 of 1 scanned pages and found no text" in caught.value.detail


# ---------------------------------------------------------------- settings and the engine


def test_ocr_settings_reach_the_options_build_document_takes() -> None:
    defaults = ocr_options(Settings({name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}))
    assert defaults == OcrOptions()
    chosen = ocr_options(
        Settings(
            {
                "GOVCORPUS_OCR_ENABLED": "False",
                "GOVCORPUS_OCR_MAX_PAGES": "3",
                "GOVCORPUS_OCR_PAGE_TIMEOUT": "2.5",
                "GOVCORPUS_OCR_DPI": "200",
            }
        )
    )
    assert chosen == OcrOptions(enabled=False, max_pages=3, page_timeout=2.5, dpi=200)


NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network use while loading or running OCR")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import pypdfium2 as pdfium
from cleaners.ocr import engine, model_dir, recognise
from cleaners.ocr_options import OcrOptions
loaded = engine()
page = pdfium.PdfDocument(sys.argv[2])[0]
lines = recognise(page, OcrOptions())
sessions = [m.session.session._session for m in (loaded.ocr.text_det, loaded.ocr.text_rec)]
print(json.dumps({"models": [s._model_path for s in sessions], "dir": str(model_dir()), "text": [l.text for l in lines]}))
"""


def test_the_engine_loads_its_models_from_the_installed_package_without_network(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf(first_pages(ZHOUKOU.read_bytes(), 1)))
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "HF_HOME": str(home / "hf")}
    shipped = sorted(path.name for path in model_dir().iterdir())
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + NO_NETWORK, str(REPO), str(scan)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(Path(model).parent == Path(found["dir"]) for model in found["models"])
    assert "site-packages" in found["dir"] or ".venv" in found["dir"]
    assert "周口市统计局" in found["text"]
    # Nothing fetched: no model under HOME (onnxruntime leaves only a device id there), none added to the package.
    assert not [path for path in home.rglob("*") if path.suffix in (".onnx", ".txt", ".yaml", ".pdmodel")]
    assert sorted(path.name for path in model_dir().iterdir()) == shipped
