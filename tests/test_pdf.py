"""PDF reading: paragraphs from geometry across lines and pages, titles, scans and broken files rejected.

Columns, running headers, tables and per-character runs: tests/test_pdf_layout.py; the real
bulletins: tests/test_pdf_realworld.py; boxes placed by hand: tests/test_pdf_geometry.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.pdf import extract_pdf
from cleaners.pdf_layout import join_spread_stub
from cleaners.pipeline import build_document
from cleaners.steps import clean_text

GOLD = (SHARED / "gold" / "002.txt").read_text(encoding="utf-8").splitlines()
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def make_pdf(
    paragraphs: list[str],
    *,
    title: str | None = "政府工作报告",
    chars_per_line: int = 30,
    indent: str = "x",  # "x": first line drawn further right; "u3000": two ideographic spaces
    header: str | None = "静安区人民政府",
    meta_title: str | None = None,
) -> bytes:
    """A report typeset like a government PDF: hard wraps, indents, running header, — N — footers."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if meta_title:
        pdf.setTitle(meta_title)
    width, height = A4
    size, left = 14, 72
    state = {"y": height - 90.0, "page": 1}

    def furniture() -> None:
        pdf.setFont(FONT, 10)
        if header and state["page"] > 1:
            pdf.drawCentredString(width / 2, height - 50, header)
        pdf.drawCentredString(width / 2, 40, f"— {state['page']} —")

    def advance() -> None:
        state["y"] -= size * 1.8
        if state["y"] < 70:
            furniture()
            pdf.showPage()
            state["page"] += 1
            state["y"] = height - 90.0

    if title:
        pdf.setFont(FONT, 20)
        pdf.drawCentredString(width / 2, state["y"], title)
        advance()
    for paragraph in paragraphs:
        first = True
        while paragraph:
            room = chars_per_line - (2 if first else 0)
            chunk, paragraph = paragraph[:room], paragraph[room:]
            pdf.setFont(FONT, size)
            if first and indent == "u3000":
                pdf.drawString(left, state["y"], "\u3000\u3000" + chunk)
            else:
                pdf.drawString(left + (2 * size if first and indent == "x" else 0), state["y"], chunk)
            first = False
            advance()
    furniture()
    pdf.save()
    return buffer.getvalue()


def body_of(data: bytes) -> tuple[str | None, str]:
    pdf = extract_pdf(data)
    return pdf.title, clean_text(pdf.text, source_type="pdf", title=pdf.title)


@pytest.mark.parametrize("indent", ["x", "u3000"])
def test_paragraphs_come_back_whole_across_lines_and_pages(indent: str) -> None:
    wanted = GOLD[2:40]
    title, text = body_of(make_pdf(wanted, indent=indent))
    assert title == "政府工作报告"
    assert text == "\n".join(wanted)


def test_a_line_ending_on_a_full_stop_at_the_margin_does_not_end_the_paragraph() -> None:
    # 29 characters ending in 。 fill the 29-character first line exactly: only geometry can tell
    paragraph = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八。" + "后面还有同一段落的文字，直到这里才真正结束。"
    first_paragraph = "各位代表：这是前一段话，单独成段，并不很长，但足以让页面有内容。"
    _, text = body_of(make_pdf([first_paragraph, paragraph], chars_per_line=30, title=None, header=None))
    assert text.split("\n") == [first_paragraph, paragraph]


def test_title_skips_running_header_and_junk_metadata() -> None:
    data = make_pdf(GOLD[2:30], meta_title="Microsoft Word - 附件1：2024年政府工作报告（定稿）.docx")
    assert extract_pdf(data).title == "政府工作报告"


def test_metadata_title_when_the_first_line_is_body() -> None:
    data = make_pdf(GOLD[3:20], title=None, meta_title="2024年静安区政府工作报告")
    assert extract_pdf(data).title == "2024年静安区政府工作报告"


def test_scanned_pdf_is_rejected_as_no_text() -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.rect(50, 50, 400, 600, fill=1)  # a page that is only a picture
    pdf.showPage()
    pdf.save()
    with pytest.raises(Rejected) as caught:
        extract_pdf(buffer.getvalue())
    assert caught.value.reason == "no_text"


def test_broken_pdf_is_unreadable() -> None:
    with pytest.raises(Rejected) as caught:
        extract_pdf(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    assert caught.value.reason == "unreadable"


def test_build_document_reads_a_pdf_served_as_octet_stream() -> None:
    data = make_pdf(GOLD[2:25])
    document = build_document(
        Fetched(
            url="http://example.test/P020240118.pdf",
            final_url="http://example.test/P020240118.pdf",
            status=200,
            headers={"content-type": "application/octet-stream"},
            body=data,
            fetched_at=datetime.now(UTC).isoformat(),
        )
    )
    assert (document.source_type, document.family, document.title) == ("pdf", "pdf", "政府工作报告")
    assert document.text == "\n".join(GOLD[2:25])
    assert document.encoding is None


@pytest.mark.parametrize(
    ("row", "joined"),
    [
        ("鲜\t菜\t91.9", "鲜菜\t91.9"),
        ("#粮\t食\t101.9", "#粮食\t101.9"),
        ("指\t标\t年末数（万人）\t比重（%）", "指标\t年末数（万人）\t比重（%）"),
        ("水\t产\t品\t96.8", "水产品\t96.8"),
        ("蛋\t97.9", "蛋\t97.9"),  # a one-character label before its value
        ("纱\t吨\t1440.63\t8.3", "纱\t吨\t1440.63\t8.3"),  # a label, then the unit column
        ("男\t女", "男\t女"),  # two one-character values: nothing to join them to
        ("城市\t男\t女", "城市\t男\t女"),  # columns after a label of their own
        ("A\tB\tC", "A\tB\tC"),
    ],
)
def test_a_row_label_spread_over_the_stub_column_is_one_cell(row: str, joined: str) -> None:
    assert join_spread_stub(row) == joined
