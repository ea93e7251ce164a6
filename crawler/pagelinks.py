"""The links of an HTML page as Scrapy's LinkExtractor finds them, without loading Scrapy.

The crawl follows the links of list pages and, for the generic family, of every page. Parsing a
big real page for them in the crawl process cost that process both time and memory: on the
realworld crawl benchmark (740 real pages), leaving article pages unparsed took its peak RSS from
176 to 151 MB and the crawl from 70 to 56 s. So the document workers find the links while they
decode the page (crawler/decoding.py) and hand them over with the text.

What is found is what `LinkExtractor(deny_extensions=DENY_EXTENSIONS, unique=False)` returns for
the same response (tests/test_pagelinks.py compares them on real pages): every `href` of an `<a>`
or `<area>` element, whitespace-stripped (HTML5), joined with the page's `<base href>`, made a safe
URL in the page's encoding, joined with the page URL; text is the element's string value; only
http(s)/ftp/file URLs whose path does not end in a denied extension. Uses parsel, the parser
Scrapy's selectors use, with the same options, so the tree is the one Scrapy would build.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

from lxml import etree
from parsel import Selector
from w3lib.html import get_base_url, strip_html5_whitespace
from w3lib.url import safe_url_string

from cleaners.encoding import Decoded, decode_html

# Request meta: the spider will follow this page's links, so the workers find them while decoding.
WANTS_LINKS = "govcorpus_links"

# scrapy.linkextractors.IGNORED_EXTENSIONS, copied: importing Scrapy would cost every worker ~23 MB
# (tests/test_pagelinks.py checks the copy). DENY_EXTENSIONS keeps the formats reports come in.
IGNORED_EXTENSIONS = (
    # archives
    "7z", "7zip", "bz2", "rar", "tar", "tar.gz", "xz", "zip",
    # images
    "mng", "pct", "bmp", "gif", "jpg", "jpeg", "png", "pst", "psp", "tif", "tiff", "ai", "drw", "dxf",
    "eps", "ps", "svg", "cdr", "ico", "webp",
    # audio
    "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff",
    # video
    "3gp", "asf", "asx", "avi", "mov", "mp4", "mpg", "qt", "rm", "swf", "wmv", "m4a", "m4v", "flv", "webm",
    # office suites
    "xls", "xlsm", "xlsx", "xltm", "xltx", "potm", "potx", "ppt", "pptm", "pptx", "pps", "doc", "docb",
    "docm", "docx", "dotm", "dotx", "odt", "ods", "odg", "odp",
    # other
    "css", "pdf", "exe", "bin", "rss", "dmg", "iso", "apk", "jar", "sh", "rb", "js", "hta", "bat", "cpl",
    "msi", "msp", "py",
)
KEPT_EXTENSIONS = frozenset({"pdf", "doc", "docx", "wps"})
DENY_EXTENSIONS = tuple(ext for ext in IGNORED_EXTENSIONS if ext not in KEPT_EXTENSIONS)
_DENIED_SUFFIXES = tuple("." + ext for ext in DENY_EXTENSIONS)
_SCHEMES = frozenset({"http", "https", "file", "ftp"})
_TAGS = frozenset({"a", "area"})
_XHTML = "{http://www.w3.org/1999/xhtml}"
_STRING = etree.XPath("string()", smart_strings=False)  # plain str: no reference back to the tree


def page_links(text: str, url: str, encoding: str) -> list[tuple[str, str]]:
    """(absolute URL, link text) of every followable link of the HTML `text` fetched from `url`, in page order.

    `encoding`: the codec the page was decoded with (query strings are percent-encoded in it, as a
    browser does). Duplicates are kept; links the extractor skips as bogus raise nothing.
    """
    base_url = get_base_url(text[:4096], url, encoding)
    root = Selector(text=text, type="html", base_url=base_url).root
    links: list[tuple[str, str]] = []
    for element in root.iter(etree.Element):
        tag = element.tag
        if isinstance(tag, str) and tag.startswith(_XHTML):
            tag = tag[len(_XHTML):]
        if tag not in _TAGS or "href" not in element.attrib:
            continue
        try:
            found = urljoin(base_url, strip_html5_whitespace(element.attrib["href"]))
            found = safe_url_string(found, encoding=encoding)
        except ValueError:
            continue  # a bogus URL (an invalid IPv6 host …), as the extractor skips it
        found = urljoin(url, found)
        if found.split("://", 1)[0] not in _SCHEMES or urlparse(found).path.lower().endswith(_DENIED_SUFFIXES):
            continue
        links.append((found, _STRING(element) or ""))
    return links


def decode_with_links(body: bytes, content_type: str | None, url: str | None) -> tuple[Decoded, list[tuple[str, str]] | None]:
    """The document workers' job for a downloaded page: `decode_html(body, content_type)`, and the page's
    links when `url` is given (None: the crawl does not follow this page's links). The decoding
    comes back without its text where the body rebuilds it (`Decoded.without_text`): the text
    would cross to the crawl process and back to a build as one to two times the body's bytes.
    Raises Rejected when the body cannot be decoded."""
    decoded = decode_html(body, content_type)
    return decoded.without_text(), (page_links(decoded.text, url, decoded.used) if url is not None else None)
