"""Official documents and portal pages in our own words, for the metadata tests.

`gongwen_docx()` and `gongwen_pdf()` are a red-header 公文 laid out as GB/T 9704-2012 sets one:
版头 (发文机关标志, 发文字号), title, 主送机关, body, 附件说明, 署名, 成文日期, 附注, an attachment,
版记 (抄送, 印发机关和印发日期). `disclosure_page(layout)` is a portal article whose
information-disclosure table (索引号, 主题分类, 发布机构, 成文日期, 发文字号, 发布日期) is set as a
<table>, a <dl> or one line of `label：value` spans.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from pdf_builder import HEIGHT, WIDTH, Text, flow, typeset


@dataclass(frozen=True)
class Gongwen:
    """What a generated 公文 says, and so what its metadata must be."""

    issuer: str
    number: str  # as printed
    title: str
    addressee: str  # without its colon
    date: str  # the 成文日期 as printed
    written_date: str  # ISO
    canonical_number: str


BODY = [
    "为认真落实县委经济工作会议部署，推动全县经济社会持续健康发展，现将《示范县2024年重点工作任务分工》印发给你们，请结合实际认真抓好落实。",
    "各责任单位要把重点工作任务细化分解到具体项目，明确责任人和完成时限，建立工作台账，实行清单化管理，确保各项任务按期推进、取得实效。",
    "县政府办公室要加强统筹协调和跟踪督办，每季度末汇总通报工作进展情况，对推进不力的单位及时提醒督促，年底前将全年完成情况报县政府。",
]
ATTACHMENT_NOTE = "附件：示范县2024年重点工作任务分工"
NOTE = "（此件公开发布）"
ATTACHMENT = [
    "附件",
    "示范县2024年重点工作任务分工",
    "一、稳住经济增长基本盘。牵头单位：县发展改革局。2023年12月20日前完成年度项目储备。",
    "二、持续改善民生福祉。牵头单位：县民政局、县人力资源社会保障局。",
]
COPY_TO = "抄送：县委办公室，县人大常委会办公室，县政协办公室。"

DOCX_GONGWEN = Gongwen(
    issuer="示范县人民政府",
    number="示政发〔2024〕12号",
    title="示范县人民政府关于印发示范县2024年重点工作任务分工的通知",
    addressee="各乡镇人民政府，县政府各部门",
    date="2024年1月5日",
    written_date="2024-01-05",
    canonical_number="示政发〔2024〕12号",
)
# The same document as an older office sets it: Chinese numerals in the date, [ ] around the year.
PDF_GONGWEN = Gongwen(
    issuer="示范县人民政府",
    number="示政发[2024]12号",
    title="示范县人民政府关于印发示范县2024年重点工作任务分工的通知",
    addressee="各乡镇人民政府，县政府各部门",
    date="二〇二四年一月五日",
    written_date="2024-01-05",
    canonical_number="示政发〔2024〕12号",
)


def printed(gongwen: Gongwen) -> str:
    """The 印发机关和印发日期 line of the 版记 (its date is not the 成文日期)."""
    return f"{gongwen.issuer}办公室\u3000\u3000{gongwen.date}印发"


def gongwen_docx(gongwen: Gongwen = DOCX_GONGWEN) -> bytes:
    """The 公文 as a DOCX in the type sizes GB/T 9704-2012 asks for (no Title style, no core title)."""
    document = docx.Document()

    def paragraph(text: str, size: float = 16, centred: bool = False, right: bool = False, red: bool = False) -> None:
        p = document.add_paragraph()
        if centred:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif right:
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(text)
        run.font.size = Pt(size)
        if red:
            run.font.color.rgb = RGBColor(0xFF, 0, 0)

    paragraph(gongwen.issuer + "文件", size=36, centred=True, red=True)
    paragraph(gongwen.number, centred=True)
    paragraph(gongwen.title, size=22, centred=True)
    paragraph(gongwen.addressee + "：")
    for text in BODY:
        paragraph("\u3000\u3000" + text)
    paragraph("\u3000\u3000" + ATTACHMENT_NOTE)
    paragraph(gongwen.issuer, right=True)
    paragraph(gongwen.date, right=True)
    paragraph("\u3000\u3000" + NOTE)
    for text in ATTACHMENT:
        paragraph(text)
    paragraph(COPY_TO, size=14)
    paragraph(printed(gongwen), size=14)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def gongwen_pdf(gongwen: Gongwen = PDF_GONGWEN) -> bytes:
    """The 公文 as a two-page PDF: 版头 and body on page 1, the attachment and 版记 on page 2."""
    size = 16.0
    head = [
        Text(WIDTH / 2, HEIGHT - 120, gongwen.issuer + "文件", 32, centred=True),
        Text(WIDTH / 2, HEIGHT - 175, gongwen.number, size, centred=True),
        Text(WIDTH / 2, HEIGHT - 225, gongwen.title[:20], 22, centred=True),
        Text(WIDTH / 2, HEIGHT - 255, gongwen.title[20:], 22, centred=True),
        Text(72, HEIGHT - 300, gongwen.addressee + "：", size),
    ]
    body = flow([*BODY, ATTACHMENT_NOTE], chars=28, size=size, top=HEIGHT - 330, left=72)[0]
    last = min(piece.y for piece in body)
    tail = [
        Text(WIDTH - 72 - len(gongwen.issuer) * size, last - 60, gongwen.issuer, size),
        Text(WIDTH - 72 - len(gongwen.date) * size, last - 85, gongwen.date, size),
        Text(72 + 2 * size, last - 125, NOTE, size),
    ]
    second = flow(ATTACHMENT, chars=28, size=size, top=HEIGHT - 90, left=72, indent_ems=0)[0]
    colophon = [Text(72, 140, COPY_TO, 14), Text(72, 110, printed(gongwen), 14)]
    return typeset([head + body + tail, second + colophon])


# ---------------------------------------------------------------- a portal page with a disclosure table

PAGE_TITLE = "示范县人民政府关于做好2024年春季农业生产工作的通知"
PAGE_FIELDS = {
    "index_number": "11330000MB1234567X/2024-00012",
    "subject": "农业、林业、水利",
    "issuer": "示范县人民政府办公室",
    "written_date": "2024-02-05",
    "document_number": "示政办发〔2024〕3号",
    "published": "2024-02-07",
}
# How each layout prints the fields: label, value as printed.
PAGE_LABELS = [
    ("索 引 号", "11330000MB1234567X/2024-00012"),
    ("主题分类", "农业、林业、水利"),
    ("发布机构", "示范县人民政府办公室"),
    ("成文日期", "二〇二四年二月五日"),
    ("发文字号", "示政办发（2024）3号"),
    ("发布日期", "2024年02月07日"),
]
PAGE_BODY = [
    "各乡镇人民政府，县政府各部门：",
    "当前正值春耕备耕关键时期。为切实抓好今年春季农业生产，确保粮食播种面积稳定、重要农产品有效供给，现就有关事项通知如下。",
    "一、抓好粮食生产。各乡镇要把粮食播种面积和产量目标分解落实到村到户，引导农户科学选种、适时播种，提高单产水平。",
    "二、保障农资供应。县农业农村局要会同有关部门加强种子、化肥、农药等农资市场监管，严厉打击制售假冒伪劣农资行为。",
    "三、强化技术服务。组织农技人员深入田间地头开展技术指导，推广节水灌溉、测土配方施肥等实用技术，帮助群众解决生产难题。",
]
LAYOUTS = ("table", "dl", "spans")


def disclosure_block(layout: str) -> str:
    """The disclosure table in one of LAYOUTS."""
    pairs = [(html.escape(label), html.escape(value)) for label, value in PAGE_LABELS]
    if layout == "table":
        rows = [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
        cells = ("".join(f"<th>{label}：</th><td>{value}</td>" for label, value in row) for row in rows)
        return '<table class="xxgk-table">' + "".join(f"<tr>{row}</tr>" for row in cells) + "</table>"
    if layout == "dl":
        return '<div class="xxgk-info">' + "".join(f"<dl><dt>{label}</dt><dd>{value}</dd></dl>" for label, value in pairs) + "</div>"
    if layout == "spans":
        return '<div class="article-info">' + "\u3000".join(f"<span>{label}：{value}</span>" for label, value in pairs) + "</div>"
    raise ValueError(f"unknown layout {layout!r}: use one of {LAYOUTS}")


def disclosure_page(layout: str) -> str:
    """A portal article: site name and date in <meta> tags, the disclosure table, title, body."""
    body = "".join(f"<p>\u3000\u3000{html.escape(line)}</p>" for line in PAGE_BODY)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="SiteName" content="示范县人民政府门户网站"><meta name="PubDate" content="2024-02-07 10:00">
<title>{PAGE_TITLE}_示范县人民政府门户网站</title></head><body>
<div class="top"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府文件</a></div>
{disclosure_block(layout)}
<h1 class="article-title">{PAGE_TITLE}</h1>
<div class="TRS_Editor">{body}</div>
<div class="footer">主办单位：示范县人民政府办公室　网站标识码：3300000001</div>
</body></html>"""
