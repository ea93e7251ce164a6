"""Parsing and walking HTML: every node type lxml produces, stray document ends, any depth."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from support import SHARED

from cleaners.document import Fetched
from cleaners.extract import (
    block_lines,
    element_text,
    extract_html,
    label_cells,
    read_metadata,
)
from cleaners.htmltree import (
    MAX_TREE_DEPTH,
    flatten_deep_nesting,
    parse,
    text_of,
    tree_depth,
    xpath,
)
from cleaners.layout import SOFT_BREAK
from cleaners.pipeline import build_document

REPORT = (SHARED / "gold" / "001.txt").read_text(encoding="utf-8").splitlines()


def page(body: str, title: str = "2023年上海市静安区政府工作报告") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def fetched(html: str) -> Fetched:
    url = "http://www.example.gov.cn/art/2024/2/2/art_1.html"
    return Fetched(url, url, 200, {"content-type": "text/html; charset=utf-8"}, html.encode("utf-8"), "2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    "odd",
    [
        "<!-- 注释 -->",
        "<?php echo 1; ?>",
        '<?xml:namespace prefix = o ns = "urn:schemas-microsoft-com:office:office" />',
        "<![CDATA[ x ]]>",
        "<!--[if gte mso 9]><xml><o:DocumentProperties></o:DocumentProperties></xml><![endif]-->",
    ],
)
def test_comments_pis_and_cdata_never_reach_the_text_and_keep_their_neighbours(odd: str) -> None:
    tree = parse(page(f"<p>前{odd}后<o:p></o:p></p><table><tr><td>索引号：{odd}ZW-1</td></tr></table>"))
    assert [type(node).__name__ for node in tree.iter() if not isinstance(node.tag, str)] == []
    body = tree.find("body")
    assert body is not None
    assert block_lines(body) == ["前后", "索引号：ZW-1"]


def test_every_walk_accepts_comment_nodes_built_into_a_tree() -> None:
    """Trees built elsewhere (trafilatura, a test) may still hold comments: the walks skip them."""
    root: etree._Element = lxml.html.fragment_fromstring("<div><p>甲</p></div>")
    root[0].append(etree.Comment("c"))
    root[0][0].tail = "乙"
    root.insert(0, etree.ProcessingInstruction("php", "x"))
    root[0].tail = "丙"
    root[1].append(etree.Entity("nbsp"))
    root[1][-1].tail = "丁"
    cell: etree._Element = lxml.html.fragment_fromstring("<td>发布日期：</td>")
    cell.append(etree.Comment("date"))
    cell[0].tail = "2024-02-02"
    root.append(cell)
    assert element_text(root[1][0]) == "" and element_text(root[1][-1]) == ""  # the comment, the entity
    assert text_of(etree.Comment("x")) == ""
    assert block_lines(root) == ["丙", "甲乙丁", "发布日期：2024-02-02"]
    assert dict(pairs for _, found in label_cells(root) for pairs in found) == {"published": "2024-02-02"}


def test_metadata_cells_holding_comments_are_read() -> None:
    tree = parse(page("<table><tr><td>发布机构：<!--org-->某区人民政府</td><td>发布日期：<!-- d -->2024-02-02</td></tr></table>"))
    metadata, _ = read_metadata(tree)
    assert metadata == {"issuer": "某区人民政府", "published": "2024-02-02"}


def test_a_stray_document_end_does_not_end_the_document() -> None:
    """Browsers keep appending to <body> after </html> (HTML Standard, "after body"); libxml2 stopped."""
    html = page(f"<div>页头</div></body></html><div class='TRS_Editor'><p>{REPORT[5]}</p><p>{REPORT[6]}</p></div>")
    assert REPORT[6] in text_of(parse(html))


@pytest.mark.parametrize("depth", [300, 2_500, 10_000])
def test_deep_nesting_keeps_every_word(depth: int) -> None:
    body = "<div>" * depth + "".join(f"<p>{line}</p>" for line in REPORT[3:9]) + "</div>" * depth
    html = page(f"<p>{REPORT[2]}</p>{body}<p>{REPORT[9]}</p>")
    tree = parse(html)
    assert tree_depth(tree) < MAX_TREE_DEPTH
    for line in REPORT[2:10]:
        assert line in text_of(tree)
    document = build_document(fetched(html))
    assert all(line in document.text.split("\n") for line in REPORT[3:9])


def test_flattening_keeps_tags_above_the_limit_and_lines_below_it() -> None:
    markup = "<div id='a'>" + "<div>" * 5 + "<p>一</p><p>二</p>" + "</div>" * 5 + "</div>"
    flat = flatten_deep_nesting(markup, 3)
    tree = parse(page(flat))
    assert tree.xpath("//div[@id='a']") and tree_depth(tree) <= 3 + 3
    body = tree.find("body")
    assert body is not None
    assert block_lines(body) == ["一", "二"]


def test_block_lines_walks_any_depth_without_recursion() -> None:
    root = etree.Element("div")
    node = root
    for _ in range(5_000):  # deeper than Python's recursion limit
        node = etree.SubElement(node, "span")
    node.text = "底"
    assert block_lines(root) == ["底"]


def test_br_is_a_soft_break_and_two_in_a_row_end_a_paragraph() -> None:
    body = etree.fromstring("<div><p>一行<br/>二行<br/><br/>三行</p><pre>甲\n乙\n\n丙</pre></div>")
    assert block_lines(body) == [f"一行{SOFT_BREAK}二行", "三行", f"甲{SOFT_BREAK}乙", "丙"]


def test_empty_and_comment_only_documents_parse_to_an_empty_page() -> None:
    for html in ("", "   ", "<!-- nothing -->", '<?xml version="1.0" encoding="utf-8"?>'):
        assert text_of(parse(html)) == ""
    assert extract_html("<!-- nothing -->").text == ""


@given(
    st.lists(st.sampled_from(["甲", "a", " ", "\n", "\t", "\r", "\f", "\u3000", "\xa0", "<b>乙</b>", "<br>", "<!-- c -->"]), max_size=30),
    st.integers(min_value=0, max_value=12),
)
@settings(max_examples=400, deadline=None)
def test_a_short_text_is_the_squashed_text_and_a_long_one_is_none(pieces: list[str], limit: int) -> None:
    from cleaners.htmltree import parse, short_squashed_text, squashed_text

    for block in parse(f"<html><body><div>{''.join(pieces)}</div></body></html>").iter("div"):
        full = squashed_text(block)
        assert short_squashed_text(block, limit) == (full if len(full) <= limit else None)


def test_compiled_rule_expressions_select_what_xpath_strings_select() -> None:
    """Every XPath of the extraction rules, compiled once, finds on real pages what lxml finds from the string."""
    from cleaners.extract import rules

    expressions = sorted({
        expression
        for spec in rules().values() if isinstance(spec, dict)
        for key, values in spec.items() if key.endswith("xpath") and isinstance(values, list)
        for expression in values
    })
    assert len(expressions) > 20
    pages = sorted((SHARED / "realworld").rglob("*.html"))[::6]
    for path in pages:
        tree = parse(path.read_bytes().decode("utf-8", "replace"))
        for node in (tree, *tree.iter("div"))[:5]:
            for expression in expressions:
                assert xpath(node, expression) == node.xpath(expression), (path.name, expression)


def test_label_cells_read_short_texts_only_and_find_what_reading_every_text_finds() -> None:
    """Label cells squash only texts that can be short enough; the cells and fields found on real pages are the
    ones found when every candidate's whole text was read."""
    import re

    from cleaners.extract import (
        MAX_META_CELL_CHARS,
        field_of_label,
        label_candidates,
        label_pairs,
        label_re,
        next_cell_text,
    )
    from cleaners.extract import is_link_list_cell as is_list
    from cleaners.htmltree import child_elements

    def eager(tree: etree._Element) -> list[tuple[etree._Element, list[tuple[str, str]]]]:
        labels, candidates, found = field_of_label(), label_candidates(tree), []
        for el in tree.iter(etree.Element):
            if el not in candidates:
                continue
            text = element_text(el)
            if not text or len(text) > MAX_META_CELL_CHARS or any(element_text(c) == text for c in child_elements(el)):
                continue
            if is_list(el):
                continue
            bare = re.sub(r"\s", "", text).rstrip(":：")
            if bare in labels:
                found.append((el, [(labels[bare], next_cell_text(el))]))
            elif label_re().match(text):
                pairs = label_pairs(text)
                found.append((el, [(pairs[0][0], next_cell_text(el))] if len(pairs) == 1 and not pairs[0][1] else pairs))
        return found

    cells = 0
    for path in sorted((SHARED / "realworld").rglob("*.html")):
        tree = parse(path.read_bytes().decode("utf-8", "replace"))
        expected = eager(tree)
        assert list(label_cells(tree)) == expected, path.name
        cells += len(expected)
    assert cells > 20
