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


def TITLE_SLOT(text: str) -> str:  # noqa: N802 - a marker, named like the constant it is
    """Placeholder for dropping the title line; replaced per call by `steps_for`."""
    return text


CHARACTERS: Final[tuple[Step, ...]] = (
    unify_line_breaks,
    remove_invisible_characters,
    to_nfc,
    fold_compatibility_ideographs,
    halfwidth_ascii_alnum,
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
STEPS_BY_SOURCE: Final[dict[str, tuple[Step, ...]]] = {
    "html": HTML_STEPS,
    "pdf": PAGED_STEPS,
    "docx": PAGED_STEPS,
}


def steps_for(source_type: str = "html", title: str | None = None) -> tuple[Step, ...]:
    """The steps for one document: its source type's list with the title slot filled."""
    try:
        steps = STEPS_BY_SOURCE[source_type]
    except KeyError:
        raise ValueError(f"unknown source_type {source_type!r}") from None
    title_line = _canonical_title(title)
    drop_title = partial(drop_leading_title, title=title_line)
    return tuple(drop_title if step is TITLE_SLOT else step for step in steps)


def clean_text(text: str, *, source_type: str = "html", title: str | None = None) -> str:
    """Extracted text → canonical report body (TEXT_SPEC rules 2–7 and the chrome of rule 1)."""
    for step in steps_for(source_type, title):
        text = step(text)
    return text


def _canonical_title(title: str | None) -> str | None:
    """The title in the form a cleaned line has, so it can be compared with one."""
    if title is None:
        return None
    for step in (*CHARACTERS, *INLINE_FORM):
        title = step(title)
    return title.replace("\n", "") or None
