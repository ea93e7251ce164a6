"""How far OCR may go for one document: the options `build_document` takes and worker processes receive.

Apart from cleaners/ocr.py so that naming the options does not load PDFium and the OCR engine:
a process that only ever reads HTML never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrOptions:
    """How far OCR may go for one document (GOVCORPUS_OCR_* settings). Picklable: it travels to the workers."""

    enabled: bool = True
    max_pages: int = 50  # pages recognised per document; the rest are counted, not read
    page_timeout: float = 60.0  # seconds per page (render and recognition); an overrunning page is skipped
    dpi: int = 150  # the resolution pages are rendered at

    def __post_init__(self) -> None:
        if self.max_pages < 0 or self.page_timeout <= 0 or not 36 <= self.dpi <= 1200:
            raise ValueError(
                f"OCR options out of range: max_pages {self.max_pages} (≥ 0), page_timeout {self.page_timeout} s (> 0),"
                f" dpi {self.dpi} (36–1200); see GOVCORPUS_OCR_MAX_PAGES, GOVCORPUS_OCR_PAGE_TIMEOUT, GOVCORPUS_OCR_DPI"
            )


# The options of a caller that names none: OCR on, with the settings' defaults.
DEFAULT_OCR = OcrOptions()
