"""Word documents with every construct the DOCX and DOC readers must handle, in our own words.

`features_docx()` builds the DOCX with python-docx plus raw WordprocessingML (tracked changes,
fields, content controls, smart tags, hidden text, a table with an empty and a numbers-only
cell, a nested table, a one-cell layout table). `tests/fixtures/office/features.doc` is the same
document saved as Word 97–2003 by LibreOffice (`python tests/office_docs.py`, run once where
`soffice` is installed; the output is committed, nothing converts at test time).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.shared import Pt

FIXTURES = Path(__file__).parent / "fixtures" / "office"
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
TITLE = "示范区2024年工作总结"
OPENING = "2024年，示范区坚持稳中求进工作总基调，经济运行总体平稳、稳中有进，全年目标任务顺利完成。"
ACCEPTED = "全区上下团结奋斗，奋力完成各项任务，发展质量稳步提升。"
DELETED = "努力完成"
INSERTED = "奋力完成"
FIELD_RESULT = "示范区门户网站"
FIELD_INSTRUCTION = "HYPERLINK"
CONTROL_TEXT = "重点项目全部按期开工。"
SMART_TAG_TEXT = "城东片区"
HIDDEN = "此处为隐藏的修改说明"
TABLE = [
    ["指标", "2024年", "增长（%）"],
    ["地区生产总值", "1234.5", "5.2"],
    ["其中：工业", "", "3.1"],
    ["页码", "12", "7"],
]
NESTED = ["甲", "乙"]
BETWEEN = "注：增长速度按可比价格计算。"
LAYOUT_TEXT = "版式表格里的这一段是正文，不是表格的一行。"
CLOSING = "2025年，示范区将继续深化改革，扩大开放，推动高质量发展取得新成效。"


def run(text: str, extra: str = "") -> str:
    return f'<w:r><w:rPr>{extra}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def elements(fragment: str) -> list:
    """WordprocessingML elements from a fragment written without namespace declarations."""
    return list(parse_xml(f"<w:wrap {W_NS}>{fragment}</w:wrap>"))


def features_docx(content_control: bool = True) -> bytes:
    """The DOCX; without the content control for the .doc conversion (LibreOffice turns it into
    form fields that repeat their text)."""
    document = docx.Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(TITLE).font.size = Pt(22)
    document.add_paragraph(OPENING)
    before, after = ACCEPTED.split(INSERTED)
    revised = document.add_paragraph()._p
    revised.extend(elements(
        run(before)
        + f'<w:del w:id="1" w:author="审核人" w:date="2024-01-08T09:00:00Z"><w:r><w:delText>{DELETED}</w:delText></w:r></w:del>'
        + f'<w:ins w:id="2" w:author="审核人" w:date="2024-01-08T09:00:00Z">{run(INSERTED)}</w:ins>'
        + run(after)
    ))
    document.add_paragraph()._p.extend(elements(
        run("详见")
        + '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + f'<w:r><w:instrText xml:space="preserve"> {FIELD_INSTRUCTION} "http://www.example.cn/" </w:instrText></w:r>'
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + run(FIELD_RESULT)
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        + f'<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="place">{run(SMART_TAG_TEXT)}</w:smartTag>'
        + run("的专题页面。")
        + run(HIDDEN, "<w:vanish/>")
    ))
    body = document.element.body
    if content_control:
        body.insert(len(body) - 1, elements(
            f'<w:sdt><w:sdtPr><w:alias w:val="要点"/></w:sdtPr><w:sdtContent><w:p>{run(CONTROL_TEXT)}</w:p></w:sdtContent></w:sdt>'
        )[0])
    table = document.add_table(rows=len(TABLE) + 1, cols=3)
    table.style = "Table Grid"
    for r, row in enumerate(TABLE):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(len(TABLE), 0).text = "备注"
    nested = table.cell(len(TABLE), 1).add_table(rows=1, cols=2)
    for c, value in enumerate(NESTED):
        nested.cell(0, c).text = value
    table.cell(len(TABLE), 2).text = "无"
    document.add_paragraph(BETWEEN)
    layout = document.add_table(rows=1, cols=1)
    layout.cell(0, 0).text = LAYOUT_TEXT
    document.add_paragraph(CLOSING)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build() -> None:
    """Write features.docx and its Word 97 conversion features.doc (needs LibreOffice)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("soffice (LibreOffice) is needed once to convert the DOCX to .doc")
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "features.docx"
        source.write_bytes(features_docx(content_control=False))
        subprocess.run(
            [soffice, "--headless", "--norestore", "--convert-to", "doc:MS Word 97", "--outdir", work, str(source)],
            check=True, capture_output=True, timeout=300,
        )
        shutil.copyfile(Path(work) / "features.doc", FIXTURES / "features.doc")


if __name__ == "__main__":
    build()
