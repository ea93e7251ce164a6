"""DOCX bytes to report lines (one per paragraph, tables included) and a title, with python-docx."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from cleaners.document import Rejected
from cleaners.titles import is_title_line

TITLE_STYLES = ("title", "标题", "heading 1", "标题 1")
MIN_TEXT_CHARS = 20


@dataclass(frozen=True)
class DocxText:
    title: str | None
    text: str


def blocks(document: DocxDocument) -> Iterator[Paragraph]:
    """Body paragraphs in reading order, the paragraphs of table cells in place."""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                for cell in row.cells:
                    yield from cell.paragraphs
        else:
            yield item


def styled_title(paragraphs: list[Paragraph]) -> str | None:
    for paragraph in paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        if paragraph.text.strip() and style.startswith(TITLE_STYLES):
            return paragraph.text.strip()
    return None


def extract_docx(data: bytes) -> DocxText:
    """Paragraph text and title of a DOCX; a broken or empty file is Rejected."""
    try:
        document = docx.Document(BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise Rejected("unreadable", f"DOCX cannot be opened: {error}") from error
    paragraphs = [p for p in blocks(document) if p.text.strip()]
    text = "\n".join(p.text.strip() for p in paragraphs)
    if sum(ch.isalnum() for ch in text) < MIN_TEXT_CHARS:
        raise Rejected("no_text", "the DOCX holds no paragraph text")
    first_line = paragraphs[0].text.strip()
    title = (
        styled_title(paragraphs)
        or document.core_properties.title
        or (first_line if len(paragraphs) > 1 and is_title_line(first_line) else None)
    )
    return DocxText(title=title, text=text)
