"""PDF engines side by side: correctness and seconds per page, on every PDF we can check.

Engines, each followed by `clean_text(source_type="pdf")`:
  pdfminer.six   pdfminer's layout analysis (LAParams defaults: lines, text boxes, box order)
  pypdfium2      PDFium's own text order (PdfTextPage.get_text_range, page after page)
  cleaners.pdf   govcorpus: PDFium glyphs, gutters first, bands, rows, furniture by position

Documents and what "correct" means for each:
  fixture PDFs (tests/fixtures/pages, family pdf)   F1 against gold and gold paragraphs verbatim
  fault cases ../shared/cases/pdf-*                 the case's must_contain and lines_contain
  ../shared/realworld/documents/*.pdf              sentences read off the page that must each sit
                                                    on one line (some across page breaks), table
                                                    rows as one line, and no page-number line
`checks` is the share of those checks passed; `title` whether the engine's own title is the
printed one ("-": the engine gives none). Seconds are the best of REPEATS runs, per page.

Run: .venv/bin/python benchmarks/pdf_engines.py   (the measurement behind cleaners/pdf.py's choice)
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium
from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams

from benchmarks.quality import PAGES_DIR, entry_field, gold_text, load_index, score_text
from cleaners.layout import is_page_number
from cleaners.pdf import extract_pdf
from cleaners.steps import clean_text

REPEATS = 3
SHARED = ROOT.parent / "shared"
CASES = ("pdf-two-column-gazette", "pdf-kangxi-radical-codepoints")
# Read off the two real bulletins (tests/test_pdf_realworld.py checks more of them).
REALWORLD: dict[str, list[str]] = {
    "statbulletin-2023-zhoukou.pdf": [
        "2023年，面对国内外复杂形势，在市委市政府的坚强领导下，全市上下以深入开展主题教育强动力",
        "初步核算，全年全市地区生产总值同比增长4.8%。分产业看，第一产业增加值增长2.0%",
        "其中：城镇392.66 45.31",  # a table row
        "其中：0-15岁（含不满16周岁）212.60 24.53",
        "禽蛋产量49.48万吨，下降2.0%；牛奶产量4.32万吨，增长10.9%。",  # across a page break
        "在规模以上工业中，重工业增加值增长11.2%，轻工业增加值增长0.2%",  # across a page break
    ],
    "statbulletin-2023-qiandongnan.pdf": [
        "2023年，在省委省政府和州委州政府的坚强领导下，全州上下深入贯彻党的二十大精神",
        "全年全州生产总值[2]1329.65亿元，比上年增长4.0%，两年平均增长3.1%。",
        "#城镇1654272 33.8",  # a table row
        "全州总户籍人口4899310 100.0",
        "全年食用菌收获面积2.59万亩，比上年下降23.7%；食用菌产量4.25万吨",  # across a page break
        "实际利用外资金额60万美元，比上年下降94.2%。",  # across a page break
    ],
}


# The printed title; 黔东南's is an image, so its Title metadata is the best a reader can give.
REALWORLD_TITLES = {
    "statbulletin-2023-zhoukou.pdf": "2023年周口市国民经济和社会发展统计公报",
    "statbulletin-2023-qiandongnan.pdf": "黔东南苗族侗族自治州",
}


def with_pdfminer(data: bytes) -> tuple[str | None, str]:
    return None, extract_text(io.BytesIO(data), laparams=LAParams()).replace("\f", "\n")


def with_pypdfium2(data: bytes) -> tuple[str | None, str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return None, "\n".join(page.get_textpage().get_text_range().replace("\r\n", "\n") for page in pdf)
    finally:
        pdf.close()


def with_govcorpus(data: bytes) -> tuple[str | None, str]:
    pdf = extract_pdf(data)
    return pdf.title, pdf.text


ENGINES: dict[str, Callable[[bytes], tuple[str | None, str]]] = {
    "pdfminer.six": with_pdfminer,
    "pypdfium2": with_pypdfium2,
    "cleaners.pdf": with_govcorpus,
}


@dataclass(frozen=True)
class Document:
    name: str
    data: bytes
    pages: int
    title: str | None
    score: Callable[[str], str]  # cleaned text → the correctness cell


def page_count(data: bytes) -> int:
    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def checks(text: str, inside_one_line: list[str], anywhere: list[str]) -> str:
    lines = text.split("\n")
    passed = sum(any(piece in line for line in lines) for piece in inside_one_line)
    passed += sum(piece in text for piece in anywhere)
    passed += not any(is_page_number(line) for line in lines)
    total = len(inside_one_line) + len(anywhere) + 1
    return f"checks {passed}/{total}"


def documents() -> list[Document]:
    found = []
    for entry in load_index():
        if entry.get("family") == "pdf" and entry.get("expect") == "document":
            data = (PAGES_DIR / entry["file"]).read_bytes()
            gold = gold_text(entry_field(entry, "gold", "gold_id")) or ""

            def fixture_score(text: str, gold: str = gold) -> str:
                score = score_text(text, gold)
                return f"F1 {score.f1:.4f} para {score.paragraphs:4.0%}"

            title = entry_field(entry, "title", "expected_title")
            found.append(Document(entry["file"], data, page_count(data), title, fixture_score))
    for slug in CASES:
        expected = json.loads((SHARED / "cases" / slug / "expected.json").read_text(encoding="utf-8"))
        data = (SHARED / "cases" / slug / expected["fetch"]).read_bytes()

        def case_score(text: str, expected: dict[str, Any] = expected) -> str:
            return checks(text, expected.get("lines_contain", []), expected.get("must_contain", []))

        found.append(Document(f"case {slug}", data, page_count(data), expected.get("title"), case_score))
    for name, sentences in REALWORLD.items():
        data = (SHARED / "realworld" / "documents" / name).read_bytes()

        def real_score(text: str, sentences: list[str] = sentences) -> str:
            return checks(text, sentences, [])

        found.append(Document(f"realworld {name}", data, page_count(data), REALWORLD_TITLES[name], real_score))
    return found


def measure(document: Document, engine: Callable[[bytes], tuple[str | None, str]]) -> tuple[str, str, float]:
    """(the correctness cell, the title cell, best seconds per page of REPEATS runs).

    An engine that gives no title is cleaned with the expected one, so only its text is judged.
    """
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        title, raw = engine(document.data)
        seconds.append(time.perf_counter() - started)
    text = clean_text(raw, source_type="pdf", title=title or document.title)
    title_cell = "-" if title is None else "right" if clean_text(title).replace("\n", "") == document.title else "wrong"
    return document.score(text), title_cell if document.title else "-", min(seconds) / document.pages


def main() -> None:
    print(f"{'document':<52} {'pages':>5}  {'engine':<13} {'correctness':<22} {'title':<6} {'s/page':>7}")
    totals: dict[str, list[float]] = {name: [0.0, 0.0] for name in ENGINES}
    for document in documents():
        for name, engine in ENGINES.items():
            cell, title, per_page = measure(document, engine)
            totals[name][0] += per_page * document.pages
            totals[name][1] += document.pages
            print(f"{document.name[:52]:<52} {document.pages:>5}  {name:<13} {cell:<22} {title:<6} {per_page:7.4f}")
    print("seconds per page over all documents: " + ", ".join(f"{n} {s / p:.4f}" for n, (s, p) in totals.items()))


if __name__ == "__main__":
    main()
