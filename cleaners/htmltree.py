"""Decoded HTML to an lxml tree that every walk in cleaners/ can trust, and node helpers that never raise.

What a browser does and libxml2 does not, repaired here so no text is lost:
- comments, processing instructions (`<?php … ?>`, MS Word's `<?xml:namespace … />`) and CDATA
  sections are never text: the parser drops them, keeping the text around them;
- a stray `</body>` or `</html>` does not end the document (the HTML Standard's "after body"
  insertion mode keeps appending to <body>); libxml2 drops everything after it;
- nesting deeper than MAX_TREE_DEPTH is flattened before parsing. libxml2 stops at 256 levels
  (2,048 with `huge_tree`) and silently discards the rest of the page, and trafilatura re-parses
  without `huge_tree`; elements below the limit lose their tags, never their text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser as Tokenizer
from typing import Any

from lxml import etree

# Below libxml2's default limit of 256, which trafilatura's own parse still applies.
MAX_TREE_DEPTH = 180
_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml[^>]*>", re.IGNORECASE)
_DOCUMENT_END_TAGS = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
# Void elements never take content, so they never deepen the tree.
_VOID = frozenset(
    [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr",
    ]
)
# A start tag of one of these closes an open element of the same name (<p>…<p>, <li>…<li>).
_SELF_CLOSING_SIBLINGS = frozenset(["p", "li", "dt", "dd", "tr", "td", "th", "option"])
# Elements HTML never nests in themselves: kept at any depth.
_ANY_DEPTH = frozenset(["p", "h1", "h2", "h3", "h4", "h5", "h6"])
_BLOCKS = frozenset(
    [
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
        "tbody", "thead", "tfoot", "tr", "blockquote", "section", "article", "header", "footer",
        "aside", "main", "center", "pre", "address", "figure", "figcaption", "form", "fieldset",
        "legend",
    ]
)
_SPACE = re.compile(r"[ \t\r\n\f\v]+")


@cache
def compiled_xpath(expression: str) -> etree.XPath:
    """`expression` compiled once for the process (lxml's `XPath`, which locks itself for threads)."""
    return etree.XPath(expression)


def xpath(node: etree._Element, expression: str) -> Any:
    """`node.xpath(expression)`, the expression compiled once: `.xpath()` compiles its string on every
    call, a quarter of the time the extraction rules' expressions take on a page."""
    return compiled_xpath(expression)(node)


def parser() -> etree.HTMLParser:
    """A fresh HTML parser: comments and processing instructions dropped, deep trees allowed.

    lxml's plain elements, not `lxml.html`'s: its element classes are looked up in Python for
    every element a walk touches, a tenth of the time of a whole extraction; nothing here uses
    their extra methods.
    """
    return etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)


def parse(html: str) -> etree._Element:
    """The document tree of `html`; an empty or unparsable string gives an empty document.

    Never raises. The tree holds only elements and their text: no comments, no PIs.
    """
    markup = _DOCUMENT_END_TAGS.sub("", _XML_DECLARATION.sub("", html))
    tree = _parse_or_empty(markup)
    if tree_depth(tree) >= MAX_TREE_DEPTH:
        tree = _parse_or_empty(flatten_deep_nesting(markup, MAX_TREE_DEPTH - 10))
    return tree


def _parse_or_empty(markup: str) -> etree._Element:
    try:
        root = etree.fromstring(markup, parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # nothing but whitespace or comments
        root = None
    return root if root is not None else etree.fromstring("<html><body></body></html>", parser())


def tree_depth(tree: etree._Element) -> int:
    """The number of element levels from `tree` down to its deepest element (a lone element is 1)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


class _Flattener(Tokenizer):
    """Re-emits markup with the tags of elements below `limit` levels removed (their text kept).

    Paragraphs and headings keep their tags at any depth (HTML cannot nest them, so they add one
    level at most); a removed block element's edge becomes one <br> before the next text.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, emitted)
        self.depth = 0  # emitted elements open
        self.pending_break = False

    def emit(self, markup: str) -> None:
        if self.pending_break:
            self.out.append("<br>")
            self.pending_break = False
        self.out.append(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.emit(self.get_starttag_text() or "")
            return
        if tag in _SELF_CLOSING_SIBLINGS and self.open and self.open[-1][0] == tag:
            self._close_to(len(self.open) - 1)
        kept = self.depth < self.limit or tag in _ANY_DEPTH
        if kept:
            self.emit(self.get_starttag_text() or "")
            self.depth += 1
        elif tag in _BLOCKS:
            self.pending_break = True
        self.open.append((tag, kept))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.emit(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                self._close_to(index)
                return

    def _close_to(self, index: int) -> None:
        while len(self.open) > index:
            tag, emitted = self.open.pop()
            if emitted:
                self.pending_break = False
                self.out.append(f"</{tag}>")
                self.depth -= 1
            elif tag in _BLOCKS:
                self.pending_break = True

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.emit(data)
        else:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.emit(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def flatten_deep_nesting(markup: str, limit: int) -> str:
    """`markup` with the tags of elements nested deeper than `limit` removed and their text kept.

    A removed block element leaves a <br>, so its text still starts a line of its own; <p> and
    headings keep their tags at any depth.
    """
    flattener = _Flattener(limit)
    flattener.feed(markup)
    flattener.close()
    return "".join(flattener.out)


# ---------------------------------------------------------------- nodes


def is_element(node: object) -> bool:
    """True for an element; False for comments, processing instructions, entities and strings."""
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def child_elements(node: etree._Element) -> Iterator[etree._Element]:
    """The element children of `node`, skipping comments, PIs and entities."""
    return (child for child in node if isinstance(child.tag, str))


def text_of(node: etree._Element) -> str:
    """The visible text below `node` (its tail excluded); "" for a comment or a PI."""
    if not is_element(node):
        return ""
    # The element's string-value, as XPath string() gives it, serialised in C: joining the XPath
    # result copied it one character at a time, and text_of runs on every candidate block.
    return etree.tostring(node, method="text", encoding="unicode", with_tail=False)


def squashed_text(node: etree._Element) -> str:
    """`text_of` with HTML whitespace runs collapsed to one space and stripped."""
    return _SPACE.sub(" ", text_of(node)).strip()


_HTML_SPACE_CHARS = " \t\r\n\f\v"


def short_squashed_text(node: etree._Element, limit: int) -> str | None:
    """`squashed_text(node)` if it is at most `limit` characters long, else None.

    A long text is not squashed: squashing keeps every character but the HTML whitespace, so a
    text with more than `limit` others cannot come out short. (Stripping first changes nothing:
    the squashed text is stripped too, and its inner runs do not touch the ends.)
    """
    core = text_of(node).strip()
    if len(core) - sum(core.count(char) for char in _HTML_SPACE_CHARS) > limit:
        return None
    text = _SPACE.sub(" ", core)
    return text if len(text) <= limit else None


# Characters XML 1.0 does not allow (§2.2 Char): lxml refuses text that holds them.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def remove_keeping_tail(node: etree._Element) -> None:
    """Remove `node` and what it holds; the text that follows it stays where it was."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    previous = node.getprevious()
    if tail:
        # libxml2's HTML parser keeps control characters (\x1f) that lxml refuses to set again.
        if previous is not None:
            previous.tail = _XML_INCOMPATIBLE.sub("", (previous.tail or "") + tail)
        else:
            parent.text = _XML_INCOMPATIBLE.sub("", (parent.text or "") + tail)
    parent.remove(node)
