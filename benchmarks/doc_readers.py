"""Readers of Word-binary .doc files: character F1 against the DOCX each .doc was saved from, and speed.

Each realworld DOCX (../shared/realworld/documents) is saved as Word 97–2003 by LibreOffice
when `soffice` is installed (cached in a temporary folder); otherwise only the committed
fixtures (tests/fixtures/office) are measured. The reference is the DOCX's text through
cleaners.docx and clean_text; every reader's output goes through the same clean_text.

Readers: cleaners.doc (olefile + the [MS-DOC] piece table), and antiword and catdoc when they
are installed (Debian packages) — the command-line tools a .doc pipeline usually shells out to.

Run: .venv/bin/python benchmarks/doc_readers.py   (the measurement behind cleaners/doc.py)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.quality import char_scores
from cleaners.doc import extract_doc
from cleaners.docx import extract_docx
from cleaners.steps import clean_text

DOCUMENTS = ROOT.parent / "shared" / "realworld" / "documents"
FIXTURES = ROOT / "tests" / "fixtures" / "office"
REPEATS = 3


def with_govcorpus(path: Path) -> str:
    return extract_doc(path.read_bytes()).text


def with_antiword(path: Path) -> str:
    done = subprocess.run(["antiword", "-w", "0", "-m", "UTF-8.txt", str(path)], capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def with_catdoc(path: Path) -> str:
    return subprocess.run(["catdoc", "-d", "utf-8", "-w", str(path)], capture_output=True, check=True).stdout.decode("utf-8", "replace")


def readers() -> dict[str, Callable[[Path], str]]:
    found: dict[str, Callable[[Path], str]] = {"cleaners.doc": with_govcorpus}
    if shutil.which("antiword"):
        found["antiword"] = with_antiword
    if shutil.which("catdoc"):
        found["catdoc"] = with_catdoc
    return found


def pairs(work: Path) -> list[tuple[Path, Path]]:
    """(docx, doc) pairs: every realworld DOCX converted when LibreOffice is here, else the fixture."""
    sources = sorted(DOCUMENTS.glob("*.docx"))
    soffice = shutil.which("soffice")
    if soffice is None:
        print("soffice not found: measuring the committed fixture only")
        return [(DOCUMENTS / "national-report-2019.docx", FIXTURES / "national-report-2019.doc")]
    subprocess.run(
        [soffice, "--headless", "--norestore", "--convert-to", "doc:MS Word 97", "--outdir", str(work), *map(str, sources)],
        check=True, capture_output=True, timeout=900,
    )
    return [(source, work / f"{source.stem}.doc") for source in sources]


def main() -> None:
    engines = readers()
    with tempfile.TemporaryDirectory() as work:
        rows = pairs(Path(work))
        print(f"{'document':<44}" + "".join(f"{name:>22}" for name in engines))
        totals = {name: [0.0, 0.0] for name in engines}
        for source, converted in rows:
            reference = clean_text(extract_docx(source.read_bytes()).text, source_type="docx")
            cells = []
            for name, engine in engines.items():
                seconds = []
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    raw = engine(converted)
                    seconds.append(time.perf_counter() - started)
                f1 = char_scores(clean_text(raw, source_type="doc"), reference)[2]
                totals[name][0] += f1
                totals[name][1] += min(seconds)
                cells.append(f"F1 {f1:.3f} {min(seconds) * 1000:6.1f} ms")
            print(f"{source.stem:<44}" + "".join(f"{cell:>22}" for cell in cells))
        n = len(rows)
        print(f"{'mean':<44}" + "".join(f"F1 {f1 / n:.3f} {s / n * 1000:6.1f} ms".rjust(22) for f1, s in totals.values()))


if __name__ == "__main__":
    main()
