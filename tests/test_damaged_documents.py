"""Damaged documents end as a document or a clear reason, never an internal error.

Real files arrive cut short or with flipped bytes (a flaky mirror, a bad disk). A corrupt deflate
stream in a DOCX or OFD part raised zlib.error, and a PDF page PDFium cannot load raised
PdfiumError: both escaped the readers and cost the URL as `internal_error`.
"""

from __future__ import annotations

import contextlib
import io
import random
import zipfile

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.pipeline import build_document

DOCUMENTS = SHARED / "realworld" / "documents"
REPORT = [
    line for path in sorted((SHARED / "gold").glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines() if len(line) >= 30
][:36]


def fetched(body: bytes, name: str) -> Fetched:
    return Fetched(f"http://127.0.0.1/{name}", f"http://127.0.0.1/{name}", 200, {}, body, "2024-01-01T00:00:00Z")


def three_page_pdf() -> bytes:
    """Three pages of distinct short lines (repeated lines would be taken for running headers)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for page in range(3):
        pdf.setFont("STSong-Light", 12)
        for line, text in enumerate(REPORT[page * 12 : page * 12 + 12]):
            pdf.drawString(72, 760 - line * 18, f"{text[:30]}。")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def damage_page_objects(data: bytes, pages: list[int]) -> bytes:
    """The PDF with the page dictionaries of `pages` (0-based) made unreadable (PDFium: "Failed to load page")."""
    marker = b"/Type /Page\n"
    starts = [i for i in range(len(data)) if data.startswith(b"/Type /Page", i) and not data.startswith(b"/Type /Pages", i)]
    assert len(starts) == 3, marker
    damaged = bytearray(data)
    for page in pages:
        damaged[starts[page] + len(b"/Type /Pag")] = 0
    return bytes(damaged)


def test_a_pdf_page_that_cannot_be_loaded_costs_its_own_text_only() -> None:
    document = build_document(fetched(damage_page_objects(three_page_pdf(), [1]), "report.pdf"), apply_filters=False)
    bare = document.text.replace("\n", "")
    assert REPORT[5][:30] in bare and REPORT[29][:30] in bare  # pages 1 and 3
    assert not any(line[:30] in bare for line in REPORT[12:24])  # page 2
    assert document.metadata["damaged_pages"] == [2]


def test_a_pdf_none_of_whose_pages_loads_is_unreadable() -> None:
    with pytest.raises(Rejected) as refused:
        build_document(fetched(damage_page_objects(three_page_pdf(), [0, 1, 2]), "report.pdf"), apply_filters=False)
    assert refused.value.reason == "unreadable" and "damaged" in refused.value.detail


def corrupt_member(data: bytes, member: str) -> bytes:
    """The zip with the middle of `member`'s compressed bytes overwritten (a corrupt deflate stream)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        info = package.getinfo(member)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    header = data[info.header_offset : info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    middle = start + info.compress_size // 2
    return data[:middle] + b"\xff" * 64 + data[middle + 64 :]


def test_a_docx_whose_body_part_is_corrupt_is_unreadable_not_a_crash() -> None:
    data = corrupt_member((DOCUMENTS / "province-2025-beijing.docx").read_bytes(), "word/document.xml")
    with pytest.raises(Rejected) as refused:
        build_document(fetched(data, "report.docx"), apply_filters=False)
    assert refused.value.reason == "unreadable" and "DOCX cannot be opened" in refused.value.detail


def test_an_ofd_whose_page_part_is_corrupt_is_read_without_it() -> None:
    original = (DOCUMENTS / "ofdrw-zsbk.ofd").read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as package:
        parts = [info.filename for info in package.infolist() if info.filename.lower().endswith("content.xml")
                 and info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > 256]
    assert parts
    try:
        document = build_document(fetched(corrupt_member(original, parts[0]), "report.ofd"), apply_filters=False)
    except Rejected as refused:
        assert refused.reason in ("unreadable", "no_text", "too_short"), refused
    else:
        assert document.text


@pytest.mark.parametrize("name", ["province-2025-sichuan.docx", "ofdrw-zsbk.ofd", "statbulletin-2023-zhoukou.pdf"])
def test_flipped_bytes_end_as_a_document_or_a_reason(name: str) -> None:
    original = (DOCUMENTS / name).read_bytes()
    for seed in range(8):
        rng = random.Random(seed)
        damaged = bytearray(original)
        for _ in range(rng.choice([1, 3, 10, 50])):
            damaged[rng.randrange(len(damaged))] ^= rng.randrange(1, 256)
        with contextlib.suppress(Rejected):  # any other exception fails the test: it was an internal_error
            build_document(fetched(bytes(damaged), name), apply_filters=False)
