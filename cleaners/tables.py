"""HTML data tables: told from layout tables, read as rows of cells.

A page built with <table> for positioning (old portals lay out whole pages in nested tables) is
not data: its cells are read as paragraphs. A data table comes out as one line per row with the
cells separated by a TAB, where it stood, and as rows in `metadata.tables`, as the DOCX, DOC and
OFD readers give tables.

Which tables hold data is Readability's `_markDataTables` (Mozilla Readability.js), with the
DOCX reader's rule added (cleaners/docx.py): a table whose rows hold at most one non-empty cell
lays out a page.
1. role="presentation" or datatable="0": layout; a summary, a <caption>, a <th>, <thead>,
   <tfoot>, <colgroup> or <col>: data;
2. a table nested in it: layout;
3. rows holding at most one non-empty cell: layout;
4. at least 10 rows, or more than 4 columns, or more than 10 cells: data; else layout.
"""

from __future__ import annotations

import re

from lxml import etree

CELL_TAGS = frozenset({"td", "th"})
ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_SPACE = re.compile(r"\s+")
DATA_MARKERS = frozenset({"caption", "th", "thead", "tfoot", "colgroup", "col"})
MIN_DATA_ROWS = 10
MAX_LAYOUT_COLUMNS = 4
MAX_LAYOUT_CELLS = 10


def rows_of(table: etree._Element) -> list[etree._Element]:
    """The table's own rows (<tr> children, also inside thead/tbody/tfoot), not those of nested tables."""
    rows = []
    for child in table.iterchildren(etree.Element):
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ROW_GROUPS:
            rows.extend(row for row in child.iterchildren(etree.Element) if row.tag == "tr")
    return rows


def cells_of(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row.iterchildren(etree.Element) if cell.tag in CELL_TAGS]


def cell_text(cell: etree._Element) -> str:
    """A cell's text on one line: whitespace (line breaks included) collapsed to one space."""
    return _SPACE.sub(" ", "".join(cell.itertext())).strip()


def is_data_table(table: etree._Element) -> bool:
    """Whether a <table> holds data (rows of cells) rather than laying out a page."""
    if table.get("role") == "presentation" or table.get("datatable") == "0":
        return False
    rows = rows_of(table)
    if not rows or any(inner.tag == "table" for inner in table.iterdescendants(etree.Element)):
        return False
    texts = [[cell_text(cell) for cell in cells_of(row)] for row in rows]
    if all(sum(1 for text in row if text) <= 1 for row in texts):
        return False
    if table.get("summary") or any(el.tag in DATA_MARKERS for el in table.iterdescendants(etree.Element)):
        return True
    columns = max(len(row) for row in texts)
    return len(rows) >= MIN_DATA_ROWS or columns > MAX_LAYOUT_COLUMNS or len(rows) * columns > MAX_LAYOUT_CELLS


def table_rows(table: etree._Element) -> list[list[str]]:
    """A data table's rows, each the list of its cells' texts; rows without any text left out."""
    rows = [[cell_text(cell) for cell in cells_of(row)] for row in rows_of(table)]
    return [row for row in rows if any(row)]
