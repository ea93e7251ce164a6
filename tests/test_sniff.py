"""Markup sniffing for bodies served without a usable Content-Type."""

from __future__ import annotations

import codecs

import pytest
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.pipeline import sniff_source_type
from cleaners.sniff import looks_like_html

REALWORLD = SHARED / "realworld"


def fetched(body: bytes, content_type: str | None = None) -> Fetched:
    headers = {"content-type": content_type} if content_type else {}
    return Fetched("http://e.test/a", "http://e.test/a", 200, headers, body, "2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    "body",
    [
        b"<head><meta charset='utf-8'><title>t</title></head><body><p>x</p>",  # no <html> at all
        b"\n\n   <HEAD>",
        b"<!DOCTYPE html><html>",
        b"<!doctype HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">",
        codecs.BOM_UTF8 + b"<html><body>",
        "<html><body>正文</body></html>".encode("utf-16"),  # BOM, then UTF-16 markup
        b"<!-- " + b"CMS banner " * 500 + b"-->\n" + b" " * 3000 + b"<html>",  # <html> far past 2 KB
        b"<!--<![endif]--><head>",
        b"<!--[if lt IE 9]><html class='ie'><![endif]-->",
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"><html>',
        b"<meta http-equiv='Content-Type' content='text/html; charset=gb2312'><div>",
        b"<div id=main><p>tag soup</p></div>",
        b"<p>",
        "正文开始<br>第二行<p>第二段</p><div>页脚</div>".encode("gbk"),  # text first, then several tags
    ],
)
def test_markup_is_html(body: bytes) -> None:
    assert looks_like_html(body)
    assert sniff_source_type(fetched(body)) == "html"


@pytest.mark.parametrize(
    "body",
    [
        b"just some plain text, no markup at all\n" * 20,
        "这是一段纯文本，里面提到了<p>标签。".encode(),  # one tag in prose
        b'<?xml version="1.0"?><rss version="2.0"><channel><description><![CDATA[<p>a</p><div>b</div><br>]]></description></channel></rss>',
        b'<?xml version="1.0"?>\n<!-- generator --><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><p>',
        b"\x00\x01\x02\x03<p>x</p><div>y</div><br>",  # binary bytes first
        b"GIF89a<html>",
        bytes(range(256)) * 8,
        b"User-agent: *\nDisallow: /private/\n",
        b"{\"html\": \"<p>x</p>\"}",
    ],
)
def test_text_binary_and_other_xml_are_not_html(body: bytes) -> None:
    assert not looks_like_html(body)
    with pytest.raises(Rejected) as caught:
        sniff_source_type(fetched(body))
    assert caught.value.reason == "not_html"


def test_a_declared_html_type_wins_and_pdf_magic_wins_over_it() -> None:
    assert sniff_source_type(fetched(b"plain words", "text/html; charset=utf-8")) == "html"
    assert sniff_source_type(fetched(b"%PDF-1.7\n", "text/html")) == "pdf"


def test_every_real_page_is_sniffed_as_html() -> None:
    """The public pages are mostly served here without <html> in their first 2 KB."""
    pages = sorted(REALWORLD.glob("*/*.html")) + sorted(REALWORLD.glob("readability/*/source.html"))
    assert len(pages) >= 70
    assert [page.name for page in pages if not looks_like_html(page.read_bytes())] == []
    documents = [path for path in (REALWORLD / "documents").iterdir() if path.suffix in (".pdf", ".docx", ".ofd", ".txt")]
    assert documents and [d.name for d in documents if looks_like_html(d.read_bytes())] == []
