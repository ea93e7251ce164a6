"""The ordered cleaning steps after extraction, and `clean_text` that runs them.

A step is a small pure `str -> str` function. `TITLE_SLOT` marks where the per-document title
line is dropped; `steps_for` fills it in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final

from cleaners.boilerplate import drop_leading_title, strip_edge_boilerplate
from cleaners.layout import (
    join_broken_paragraphs,
    join_punctuation_led_lines,
    join_soft_wraps,
    join_split_subtitles,
    remove_page_numbers,
    remove_running_headers,
)
from cleaners.normalize import (
    drop_blank_lines,
    fold_compatibility_ideographs,
    halfwidth_ascii_alnum,
    remove_invisible_characters,
    remove_space_next_to_cjk,
    tidy_line_whitespace,
    to_nfc,
    unify_line_breaks,
    widen_ascii_punctuation,
)

Step = Callable[[str], str]


def TITLE_SLOT(text: str) -> str:  # a marker, named like the constant it is
    """Placeholder for dropping the title line; replaced per call by `steps_for`."""
    return text


# Soft breaks (<br> inside a paragraph) are wraps to undo or lines to keep: decided first, on raw lines.
CHARACTERS: Final[tuple[Step, ...]] = (
    join_soft_wraps,
    unify_line_breaks,
    remove_invisible_characters,
    # Half-width first: a full-width letter with a combining mark (Ａ + U+0300) composes only
    # once it is ASCII, and NFC must see the pair then or a second pass would compose it.
    halfwidth_ascii_alnum,
    to_nfc,
    fold_compatibility_ideographs,
    tidy_line_whitespace,
)
# Run again after joining: a join makes new neighbours for punctuation and spaces.
INLINE_FORM: Final[tuple[Step, ...]] = (
    widen_ascii_punctuation,
    remove_space_next_to_cjk,
    drop_blank_lines,
)
PAGE_FURNITURE: Final[tuple[Step, ...]] = (remove_page_numbers, remove_running_headers)
EDGES: Final[tuple[Step, ...]] = (TITLE_SLOT, strip_edge_boilerplate)

# Edges go before the joins, so a second pass joins exactly the same lines as the first.
HTML_STEPS: Final[tuple[Step, ...]] = (
    *CHARACTERS,
    *INLINE_FORM,
    *EDGES,
    join_punctuation_led_lines,
    join_split_subtitles,
    *INLINE_FORM,
)
PAGED_STEPS: Final[tuple[Step, ...]] = (
    *CHARACTERS,
    *PAGE_FURNITURE,
    *INLINE_FORM,
    *EDGES,
    join_punctuation_led_lines,
    join_split_subtitles,
    join_broken_paragraphs,
    *INLINE_FORM,
)
# Word files have no pages in their text: page numbers and running headers live in header and
# footer parts, which are not read, so a number alone in a table cell or a repeated table head
# is body. A paragraph is a paragraph by construction: no hard wraps to join.
WORD_STEPS: Final[tuple[Step, ...]] = (
    *CHARACTERS,
    *INLINE_FORM,
    *EDGES,
    join_punctuation_led_lines,
    join_split_subtitles,
    *INLINE_FORM,
)
# OFD pages carry page numbers and running headers, but the reader has already joined hard
# wraps from the positions of the characters (cleaners/ofd.py), which text alone cannot
# better: a table row (cells split by TABs) must never be joined to the line after it.
LAID_OUT_STEPS: Final[tuple[Step, ...]] = tuple(step for step in PAGED_STEPS if step is not join_broken_paragraphs)
STEPS_BY_SOURCE: Final[dict[str, tuple[Step, ...]]] = {
    "html": HTML_STEPS,
    "pdf": PAGED_STEPS,
    "ofd": LAID_OUT_STEPS,
    "docx": WORD_STEPS,
    "doc": WORD_STEPS,
}


def steps_for(source_type: str = "html", title: str | None = None) -> tuple[Step, ...]:
    """The steps for one document: its source type's list with the title slot filled."""
    try:
        steps = STEPS_BY_SOURCE[source_type]
    except KeyError:
        raise ValueError(f"unknown source_type {source_type!r}") from None
    title_line = canonical_line(title)
    drop_title = partial(drop_leading_title, title=title_line)
    return tuple(drop_title if step is TITLE_SLOT else step for step in steps)


def clean_text(text: str, *, source_type: str = "html", title: str | None = None) -> str:
    """Extracted text → canonical report body (TEXT_SPEC rules 2–7 and the chrome of rule 1)."""
    for step in steps_for(source_type, title):
        text = step(text)
    return text


def canonical_line(line: str | None) -> str | None:
    """A title or a table cell in the form a cleaned line has, so it can be compared with one."""
    if line is None:
        return None
    for step in (*CHARACTERS, *INLINE_FORM):
        line = step(line)
    return line.replace("\n", "") or None
