"""Metadata lines at the head of a document file: `来源：北京日报`, `发布日期：2024-02-02`, `索引号：…`.

A reprint assembled into a DOCX, DOC or OFD often opens with the line its web page had above
the body. Such a line is metadata, not body and not the title: its fields (labels from
`rules/sites.toml` `[metadata.labels]`, the same the HTML disclosure table is read with, under
the same standard names: `source`, `published`, `index_number`, `issuer`, `document_number` …)
go to `metadata`, the line leaves the text. Values are put in standard form (ISO dates …) later,
with every field (cleaners.metadata.standard_metadata).
"""

from __future__ import annotations

import re

from cleaners.extract import label_pairs, label_re

# Only this many non-empty lines at the head are looked at: later ones are body.
HEAD_LINES = 6
MAX_FIELD_LINE_CHARS = 60
_SENTENCE_MARKS = re.compile(r"[。！？；，!?;]")


def head_fields(line: str) -> dict[str, str] | None:
    """The fields of a line made only of `label：value` pairs, or None for any other line."""
    line = line.strip()
    if len(line) > MAX_FIELD_LINE_CHARS or _SENTENCE_MARKS.search(line) or not label_re().match(line):
        return None
    pairs = [(name, value) for name, value in label_pairs(line) if value]
    return dict(reversed(pairs)) if pairs else None


def split_head_fields(lines: list[str], head: int = HEAD_LINES) -> tuple[list[bool], dict[str, str]]:
    """Which lines to keep, and the fields of the metadata lines among the first `head` lines.

    The first value of a field wins. Lines past the head are always kept.
    """
    keep = [True] * len(lines)
    fields: dict[str, str] = {}
    for index, line in enumerate(lines[:head]):
        found = head_fields(line)
        if found is not None:
            keep[index] = False
            fields = {**found, **fields}
    return keep, fields
