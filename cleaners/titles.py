"""What a title line looks like, for formats whose title is just the first line (PDF, DOCX)."""

from __future__ import annotations

import re

MAX_TITLE_CHARS = 60
# A title does not end like a sentence or a clause, nor like a salutation (各位代表：).
SENTENCE_END_RE = re.compile(r"[。；;，,：:！？!?、]$")
PAGE_NUMBER_RE = re.compile(r"^[\s\-‐‑‒–—―－─]*(第\s*)?\d{1,4}(\s*页)?[\s\-‐‑‒–—―－─]*$")


def is_title_line(line: str) -> bool:
    line = line.strip()
    return (
        0 < len(line) <= MAX_TITLE_CHARS
        and not SENTENCE_END_RE.search(line)
        and not PAGE_NUMBER_RE.match(line)
        and not line.startswith("——")  # a subtitle (——2024年1月17日在…会议上)
    )
