"""Which of two versions of the same report is the better one to keep as canonical."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from cleaners.document import Document
from storage.dedup.fingerprint import normalise

OFFICIAL_SOURCE_TYPES = frozenset({"pdf", "docx"})
OFFICIAL_FAMILIES = frozenset({"gov_portal"})
REPRINT_FAMILIES = frozenset({"discuz", "forum", "aggregator", "mirror"})

# U+FFFD, the classic GBK/UTF-8 mojibake, private-use code points and stray control characters.
_DAMAGE = re.compile(r"\ufffd|锟斤拷|烫烫烫|[\ue000-\uf8ff]|[\x00-\x08\x0b-\x1f\x7f]")


def source_priority(source_type: str | None = None, family: str | None = None, url: str | None = None) -> int:
    """2 = official (PDF/DOCX, government portal, .gov.cn host), 1 = unknown, 0 = reprint (forum, aggregator, mirror)."""
    host = (urlparse(url).hostname or "") if url else ""
    if source_type in OFFICIAL_SOURCE_TYPES or family in OFFICIAL_FAMILIES or host == "gov.cn" or host.endswith(".gov.cn"):
        return 2
    if family in REPRINT_FAMILIES:
        return 0
    return 1


def damage_signals(text: str) -> int:
    return len(_DAMAGE.findall(text))


def rank_for(text: str, source_type: str | None = None, family: str | None = None, url: str | None = None) -> tuple[int, int, int]:
    """Higher is better: official source first, then fewer damage signals, then more text.

    Completeness against fragments needs no rank: a fragment always points at what contains it.
    """
    return (source_priority(source_type, family, url), -damage_signals(text), len(normalise(text)))


def rank_for_document(doc: Document) -> tuple[int, int, int]:
    return rank_for(doc.text, doc.source_type, doc.family, doc.final_url or doc.url)
