"""Is a body without a usable Content-Type an HTML page? Markup sniffing on the raw bytes.

The first rule is the HTML row of the WHATWG MIME Sniffing Standard, §7.1 "Identifying a
resource with an unknown MIME type": after leading whitespace, a known HTML tag (`<html`,
`<head`, `<div`, `<p` …, here a few more that real pages start with, such as `<meta`) followed by
a space, `>` or `/`. Before that tag a byte-order mark, an XML declaration, a doctype and any
number of comments (CMS banners, IE conditional comments) are skipped, however long.

Tag soup that starts with text gets a second chance: several distinct HTML tags in the first
SCAN_BYTES and no binary bytes. A body that starts with some other tag (an RSS or sitemap
root, an SVG image) is never HTML, and neither is text without tags or binary data.
"""

from __future__ import annotations

import codecs
import re

SCAN_BYTES = 64 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file's signature ([MS-CFB] 2.2)
BINARY_SCAN_BYTES = 512
MIN_SOUP_TAGS = 3
# WHATWG's list, then tags that pages served as fragments or tag soup begin with.
HTML_TAGS = frozenset(
    [
        "html", "head", "script", "iframe", "h1", "div", "font", "table", "a", "style", "title", "b",
        "body", "br", "p", "meta", "link", "base", "center", "span", "img", "ul", "ol", "li",
        "section", "article", "header", "nav", "main", "noscript", "form", "h2", "h3", "h4", "h5",
        "h6", "hr", "pre", "strong", "em", "tr", "td",
    ]
)
_WHITESPACE = b"\t\n\x0c\r "
_TAG = re.compile(rb"<([a-zA-Z][a-zA-Z0-9]*)[\s/>]")
_FIRST_TAG = re.compile(rb"<([a-zA-Z][a-zA-Z0-9:_.-]*)")
_DOCTYPE_HTML = re.compile(rb"<!doctype\s+html", re.IGNORECASE)
# WHATWG's binary data bytes: controls other than TAB, LF, FF, CR and ESC.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def looks_like_html(body: bytes) -> bool:
    """Whether `body` is HTML markup, judged from its bytes alone."""
    head = _as_utf8(body[:SCAN_BYTES])
    position = _skip_prolog(head)
    if position is None:  # a comment or a doctype that says html
        return True
    rest = head[position:]
    if rest.startswith(b"<"):
        match = _FIRST_TAG.match(rest)
        if match is None:
            return False
        return match.group(1).lower().decode("ascii") in HTML_TAGS and bool(_TAG.match(rest))
    if _BINARY.search(head[:BINARY_SCAN_BYTES]):
        return False
    tags = {m.group(1).lower() for m in _TAG.finditer(head)}
    return len({t.decode("ascii") for t in tags} & HTML_TAGS) >= MIN_SOUP_TAGS


def _as_utf8(head: bytes) -> bytes:
    """The sniffed bytes without a BOM, UTF-16/32 transcoded so ASCII markup can be matched."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, None),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            rest = head[len(bom) :]
            text = rest if codec is None else rest.decode(codec, errors="ignore").encode("utf-8")
            return _as_utf8(text) if text.startswith(codecs.BOM_UTF8) else text
    return head


def _skip_prolog(head: bytes) -> int | None:
    """Where the first tag or text after whitespace, comments, XML declarations and doctypes begins.

    None when the prolog already shows HTML: an HTML doctype, or comments (too long to see past,
    or all there is) that are not inside an XML document (WHATWG's `<!--` row).
    """
    position = 0
    xml = comment = False
    while True:
        while position < len(head) and head[position] in _WHITESPACE:
            position += 1
        if position >= len(head) and comment and not xml:  # nothing but comments: WHATWG's `<!--` row
            return None
        if _DOCTYPE_HTML.match(head, position):
            return None
        if head.startswith(b"<!--", position):
            end = head.find(b"-->", position + 4)
            if end < 0:
                return position if xml else None
            position, comment = end + 3, True
            continue
        if head.startswith((b"<?", b"<!"), position):  # XML declaration, processing instruction, doctype
            xml = xml or head.startswith(b"<?xml", position)
            end = head.find(b">", position)
            if end < 0:
                return position
            position = end + 1
            continue
        return position
