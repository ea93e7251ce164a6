"""Which of two versions of the same report is the better one to keep as canonical."""

from __future__ import annotations

from urllib.parse import urlparse

import numpy as np

from cleaners.document import Document
from storage.dedup.fingerprint import normalise

OFFICIAL_SOURCE_TYPES = frozenset({"pdf", "docx"})
OFFICIAL_FAMILIES = frozenset({"gov_portal"})
REPRINT_FAMILIES = frozenset({"discuz", "forum", "aggregator", "mirror"})

# The classic GBK/UTF-8 mojibake runs; damaged single characters are counted in damage_signals.
_DAMAGED_RUNS = ("锟斤拷", "烫烫烫")


def source_priority(source_type: str | None = None, family: str | None = None, url: str | None = None) -> int:
    """2 = official (PDF/DOCX, government portal, .gov.cn host), 1 = unknown, 0 = reprint (forum, aggregator, mirror)."""
    host = (urlparse(url).hostname or "") if url else ""
    if source_type in OFFICIAL_SOURCE_TYPES or family in OFFICIAL_FAMILIES or host == "gov.cn" or host.endswith(".gov.cn"):
        return 2
    if family in REPRINT_FAMILIES:
        return 0
    return 1


def damage_signals(text: str) -> int:
    """U+FFFD, private-use code points (U+E000..U+F8FF) and stray control characters (not tab, newline), plus mojibake runs.

    Counted on the code points with numpy: a regular expression took ~60 ns a character.
    """
    codepoints = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    # Unsigned wrap-around: (c - lo) <= hi - lo is lo <= c <= hi in one comparison.
    damaged = (
        (codepoints == 0xFFFD)
        | (codepoints - np.uint32(0xE000) <= 0xF8FF - 0xE000)
        | (codepoints <= 0x08)
        | (codepoints - np.uint32(0x0B) <= 0x1F - 0x0B)
        | (codepoints == 0x7F)
    )
    return int(np.count_nonzero(damaged)) + sum(text.count(run) for run in _DAMAGED_RUNS)


def rank_for(text: str, source_type: str | None = None, family: str | None = None, url: str | None = None) -> tuple[int, int, int]:
    """Higher is better: official source first, then fewer damage signals, then more text.

    Completeness against fragments needs no rank: a fragment always points at what contains it.
    """
    return (source_priority(source_type, family, url), -damage_signals(text), len(normalise(text)))


def rank_for_document(doc: Document) -> tuple[int, int, int]:
    return rank_for(doc.text, doc.source_type, doc.family, doc.final_url or doc.url)
