"""HTML tables (issue #15): a data table is one line per row, cells split by a TAB, and rows in metadata.tables;
a table that lays out a page is read as text."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest

from cleaners.document import Fetched
from cleaners.pipeline import build_document
from cleaners.tables import is_data_table

BEFORE = "全年地区生产总值持续增长，经济运行稳中有进，主要指标好于预期，全年完成固定资产投资一千二百亿元。"
AFTER = "全年一般公共预算收入增长百分之六点五，税收收入占比提高，民生支出得到保障，财政运行总体平稳。"


def document(body: str) -> tuple[str, Any]:
    html = f"<html><head><meta charset='utf-8'><title>统计公报</title></head><body>{body}</body></html>"
    fetched = Fetched("http://stats.example.cn/a.html", "http://stats.example.cn/a.html", 200, {}, html.encode(), "2024-01-01T00:00:00Z")
    built = build_document(fetched, apply_filters=False)
    return built.text, built.metadata.get("tables")


def test_a_data_table_stands_where_it_stood_one_row_a_line() -> None:
    rows = "".join(f"<tr><td>{year}年</td><td>{3000 + year}亿元</td><td>{year % 7}.5%</td></tr>" for year in range(2015, 2024))
    text, tables = document(
        f"<div class='content'><p>{BEFORE}</p><table><thead><tr><th>年份</th><th>地区生产总值</th><th>增速</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><p>{AFTER}</p></div>"
    )
    lines = text.split("\n")
    assert lines[0] == BEFORE and lines[-1] == AFTER
    assert lines[1] == "年份\t地区生产总值\t增速"
    assert lines[2] == "2015年\t5015亿元\t6.5%"
    assert tables == [[["年份", "地区生产总值", "增速"], *[[f"{y}年", f"{3000 + y}亿元", f"{y % 7}.5%"] for y in range(2015, 2024)]]]


def test_a_cell_with_line_breaks_stays_one_cell() -> None:
    rows = "".join(f"<tr><td>项目{i}</td><td>第一期<br>第二期</td><td>{i}万元</td><td>完成</td><td>区发改委</td></tr>" for i in range(3))
    text, tables = document(f"<div class='content'><p>{BEFORE}</p><table>{rows}</table><p>{AFTER}</p></div>")
    assert "项目0\t第一期第二期\t0万元\t完成\t区发改委" in text.split("\n")
    assert tables and tables[0][0] == ["项目0", "第一期第二期", "0万元", "完成", "区发改委"]


def test_a_layout_table_is_read_as_paragraphs() -> None:
    page = f"""<table width="960"><tr><td><a href="/">首页</a> <a href="/x">政务公开</a></td></tr>
    <tr><td><table><tr><td class="content"><p>{BEFORE}</p><p>{AFTER}</p></td></tr></table></td></tr></table>"""
    text, tables = document(page)
    assert text == f"{BEFORE}\n{AFTER}"
    assert tables is None


@pytest.mark.parametrize(
    ("markup", "data"),
    [
        ("<table><tr><th>指标</th><th>数值</th></tr><tr><td>人口</td><td>100</td></tr></table>", True),  # a header cell
        ("<table><caption>表1</caption><tr><td>人口</td><td>100</td></tr><tr><td>面积</td><td>20</td></tr></table>", True),
        ("<table role='presentation'><tr><th>指标</th><th>数值</th></tr><tr><td>人口</td><td>100</td></tr></table>", False),
        ("<table><tr><td>正文第一段</td></tr><tr><td>正文第二段</td></tr><tr><td>正文第三段</td></tr></table>", False),  # one column
        ("<table><tr><td>导航</td><td><table><tr><td>a</td><td>b</td></tr></table></td></tr></table>", False),  # nested
        ("<table><tr><td>左</td><td>右</td></tr><tr><td>下左</td><td>下右</td></tr></table>", False),  # 2×2, no header
        ("<table>" + "<tr><td>a</td><td>b</td><td>c</td><td>d</td></tr>" * 3 + "</table>", True),  # more than 10 cells
    ],
)
def test_data_or_layout(markup: str, data: bool) -> None:
    assert is_data_table(lxml.html.fragment_fromstring(markup)) is data
