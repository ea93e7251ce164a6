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
import zipfile
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
CLOSING = (
    "2025年，示范区将继续深化改革，扩大开放，推动高质量发展取得新成效。坚持把发展经济的着力点放在实体经济上，"
    "加快建设现代化产业体系，持续优化营商环境，用心用情办好民生实事，全力以赴稳就业、促消费、扩投资、防风险，"
    "切实保障和改善民生，不断增强人民群众的获得感、幸福感、安全感。"
)


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


# ---------------------------------------------------------------- OFD (GB/T 33190)

OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
OFD_ISSUER = "示范区人民政府"
OFD_NUMBER = "示政发〔2024〕12号"
OFD_TITLE = "关于印发示范区2024年工作要点的通知"
OFD_ADDRESSEE = "各街道办事处，区政府各委、办、局："
OFD_PARAGRAPHS = [
    "现将《示范区2024年工作要点》印发给你们，请结合实际认真贯彻落实。各单位要把工作要点确定的目标任务细化分解到具体项目，明确责任人和完成时限，确保各项工作按期推进、取得实效。",
    "2024年是实现“十四五”规划目标任务的关键一年。全区上下要坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，着力推动高质量发展，扎实做好稳增长、促改革、调结构、惠民生、防风险各项工作，以优异成绩迎接新中国成立75周年。",
    "各单位要在每季度末向区政府办公室报送工作进展情况，年底前报送全年工作总结。",
]
OFD_TABLE = [["项目", "目标", "责任单位"], ["地区生产总值增长", "6%", "区发展改革委"], ["新增就业", "1.2万人", "区人力社保局"]]
OFD_DATE = "2024年2月2日"
LINE_CHARS, SIZE, LEFT, PITCH = 28, 5.5, 28.0, 10.0


def ofd_text(unit: int, x: float, y: float, text: str, size: float = SIZE, ctm: str | None = None) -> str:
    """A TextObject whose TextCode starts at (x, baseline y) with square characters."""
    scale = 0.5 if ctm else 1.0
    advance = size / scale
    box = f"{x} {y - size} {len(text) * size + 1} {size * 1.3}"
    deltas = f"g {len(text) - 1} {advance}" if len(text) > 1 else ""
    ctm_attr = f' CTM="{ctm}"' if ctm else ""
    return (
        f'<ofd:TextObject ID="{unit}" Boundary="{box}" Font="1" Size="{size / scale}"{ctm_attr}>'
        f'<ofd:TextCode X="0" Y="{size / scale}" DeltaX="{deltas}">{text}</ofd:TextCode></ofd:TextObject>'
    )


def wrapped(text: str, first_indent: int = 2) -> list[tuple[float, str]]:
    """A paragraph hard-wrapped as a typesetter would: (x, line) pairs, the first line indented."""
    lines, rest, width = [], text, LINE_CHARS - first_indent
    x = LEFT + first_indent * SIZE
    while rest:
        lines.append((x, rest[:width]))
        rest, width, x = rest[width:], LINE_CHARS, LEFT
    return lines


def make_ofd() -> bytes:
    """A two-page red-header 公文 as OFD: 发文机关标志, 发文字号, title, hard-wrapped paragraphs
    (one running on across the page break), a table, page numbers from a page template."""
    pages: list[list[str]] = [[], []]
    unit = 100
    y = 40.0

    def put(page: int, x: float, text: str, size: float = SIZE, ctm: str | None = None) -> None:
        nonlocal unit
        unit += 1
        pages[page].append(ofd_text(unit, x, y, text, size, ctm))

    put(0, 40.0, OFD_ISSUER + "文件", size=14.0)
    y += 20
    put(0, 80.0, OFD_NUMBER)
    y += 20
    put(0, 50.0, OFD_TITLE, size=6.6, ctm="0.5 0 0 0.5 0 0")
    y += 16
    put(0, LEFT, OFD_ADDRESSEE)
    page = 0
    for paragraph in OFD_PARAGRAPHS:
        for x, line in wrapped(paragraph):
            y += PITCH
            if y > 150:  # the second paragraph runs on onto page 2
                page, y = 1, 40.0
            put(page, x, line)
    y += PITCH * 2
    for row in OFD_TABLE:
        for column, cell in enumerate(row):
            put(page, LEFT + column * 55.0, cell)
        y += PITCH
    y += PITCH
    put(page, 120.0, OFD_DATE)
    number_template = (
        '<ofd:Page {ns}><ofd:Content><ofd:Layer ID="{id}">'
        '<ofd:TextObject ID="{id}1" Boundary="95 270 20 8" Font="1" Size="4.9">'
        '<ofd:TextCode X="0" Y="5" DeltaX="4.9 2.45 2.45 2.45">— {n} —</ofd:TextCode>'
        "</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
    )
    files = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {OFD_NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
            "<ofd:DocInfo><ofd:DocID>0001</ofd:DocID><ofd:Title>示范区人民政府</ofd:Title>"
            "<ofd:Author>示范区人民政府办公室</ofd:Author><ofd:CreationDate>2024-02-02</ofd:CreationDate>"
            '<ofd:CustomDatas><ofd:CustomData Name="密级">公开</ofd:CustomData></ofd:CustomDatas></ofd:DocInfo>'
            "<ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {OFD_NS}><ofd:CommonData>'
            '<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
            '<ofd:TemplatePage ID="7" BaseLoc="Tpls/Tpl_0.xml"/><ofd:TemplatePage ID="8" BaseLoc="Tpls/Tpl_1.xml"/>'
            '</ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
            '<ofd:Page ID="2" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages></ofd:Document>'
        ),
        "Doc_0/Tpls/Tpl_0.xml": number_template.format(ns=OFD_NS, id=70, n=1),
        "Doc_0/Tpls/Tpl_1.xml": number_template.format(ns=OFD_NS, id=80, n=2),
    }
    for number, objects in enumerate(pages):
        files[f"Doc_0/Pages/Page_{number}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {OFD_NS}>'
            f'<ofd:Template TemplateID="{7 + number}" ZOrder="Background"/>'
            f'<ofd:Content><ofd:Layer ID="{number + 10}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in files.items():
            package.writestr(name, xml.encode("utf-8"))
    return buffer.getvalue()
