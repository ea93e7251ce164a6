"""pdfminer.six against pypdfium2 on the fixture PDFs: F1 against gold after clean_text, and speed.

Both engines as plain text extractors, then cleaners.pdf (pypdfium2 plus paragraphs from geometry).

Run: .venv/bin/python benchmarks/pdf_engines.py   (the measurement behind cleaners/pdf.py's choice)
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402
from pdfminer.high_level import extract_text  # noqa: E402

from benchmarks.quality import PAGES_DIR, entry_field, gold_text, load_index, score_text  # noqa: E402
from cleaners.pdf import extract_pdf  # noqa: E402
from cleaners.steps import clean_text  # noqa: E402

REPEATS = 3


def with_pdfminer(data: bytes) -> str:
    return extract_text(io.BytesIO(data)).replace("\f", "\n")


def with_pypdfium2(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_bounded().replace("\r\n", "\n") for page in pdf)
    finally:
        pdf.close()


def with_govcorpus(data: bytes) -> str:
    """cleaners.pdf: pypdfium2 text runs, paragraphs rebuilt from their positions."""
    return extract_pdf(data).text


ENGINES: dict[str, Callable[[bytes], str]] = {
    "pdfminer.six": with_pdfminer,
    "pypdfium2": with_pypdfium2,
    "cleaners.pdf": with_govcorpus,
}


def measure(data: bytes, gold: str, engine: Callable[[bytes], str], title: str | None) -> tuple[float, float, float]:
    """(F1, share of gold paragraphs verbatim, best seconds of REPEATS runs)."""
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        raw = engine(data)
        seconds.append(time.perf_counter() - started)
    score = score_text(clean_text(raw, source_type="pdf", title=title), gold)
    return score.f1, score.paragraphs, min(seconds)


def main() -> None:
    pdfs = [e for e in load_index() if e.get("family") == "pdf" and e.get("expect") == "document"]
    print(f"{'file':<36} {'engine':<13} {'F1':>6} {'para':>5} {'seconds':>8}")
    totals: dict[str, float] = {name: 0.0 for name in ENGINES}
    for entry in pdfs:
        data = (PAGES_DIR / entry["file"]).read_bytes()
        gold = gold_text(entry_field(entry, "gold", "gold_id"))
        for name, engine in ENGINES.items():
            f1, paragraphs, seconds = measure(data, gold, engine, entry_field(entry, "title", "expected_title"))
            totals[name] += seconds
            print(f"{entry['file'][:36]:<36} {name:<13} {f1:6.4f} {paragraphs:5.0%} {seconds:8.3f}")
    print("total seconds: " + ", ".join(f"{name} {s:.3f}" for name, s in totals.items()))


if __name__ == "__main__":
    main()
