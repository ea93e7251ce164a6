"""The publication date a news or portal page prints in the info bar under its headline.

Article pages of Chinese news sites and portals set an info bar right under the headline: the
date and time of publication, the source, sometimes the author, often with no label at all
(网易: `2015-05-21 05:03:58　来源: …`; 新华网: `新华网河北频道 ( 2012-06-04 09:20:26 )`). A labelled
line (发布时间：…) is read with the disclosure table (cleaners/extract.py); this reads the unlabelled
form: the first date *with a time of day* in the little text that follows the title's element.
The time of day is what tells the publication stamp from other dates (a related-article list
prints bare dates), and only text right after the title counts, so a date in the body or in a
side list is never taken. GeneralNewsExtractor's time extractor reads the same date-time patterns
from a page's whole text; this keeps only those in the headline's info bar.
"""

from __future__ import annotations

import re
import unicodedata

from lxml import etree

from cleaners.dates import iso_date
from cleaners.htmltree import xpath

# How many characters (whitespace left out) after the title the info bar may take.
INFO_BAR_CHARS = 120
# A whole date followed by a time of day: 2015-05-21 05:03:58, 2012年6月4日 09:20, 2024/5/20 8:00.
DATE_TIME_RE = re.compile(
    r"(?<!\d)(?P<date>(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)\s*\d{1,2}\s*[:：]\s*\d{2}(?!\d)"
)
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


_SKIPPED = frozenset({"head", "title", "meta", "script", "style", "noscript", "template"})


HEADINGS = ("h1", "h2", "h3", "h4")


def _text(el: etree._Element) -> str:
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def title_element(tree: etree._Element, title: str) -> etree._Element | None:
    """The element whose whole text is the title (the headline), the innermost first; else None.

    The first heading (h1–h4) whose text is the title, else the first such element of any kind
    in document order. That search leaves out the subtrees whose text is shorter than the title,
    which cannot hold it.
    """
    wanted = _squash(title)
    if not wanted:
        return None
    shortest = len(wanted) // 2  # NFKC may fold a few characters into fewer; never by half

    def innermost(el: etree._Element) -> etree._Element:
        inner = next((child for child in el if isinstance(child.tag, str)), None)
        # An <a> inside the <h1> is as good, and nearer the info bar.
        return innermost(inner) if inner is not None and _squash(_text(inner)) == wanted else el

    for heading in tree.iter(*HEADINGS):
        if _squash(_text(heading)) == wanted:
            return innermost(heading)

    def visit(el: etree._Element) -> etree._Element | None:
        if not isinstance(el.tag, str) or el.tag in _SKIPPED:
            return None
        text = _text(el)
        if len(_SPACE.sub("", text)) < shortest:
            return None
        if _squash(text) == wanted:
            return innermost(el)
        for child in el:
            if (found := visit(child)) is not None:
                return found
        return None

    return visit(tree)


def info_bar_date(tree: etree._Element, title: str | None) -> str | None:
    """The date (YYYY-MM-DD) of the date-time printed right after the page's headline, else None.

    `title` is the page's title as found; its element in `tree` is the headline. Only the
    first INFO_BAR_CHARS characters of text after it are read.
    """
    headline = title_element(tree, title) if title else None
    if headline is None:
        return None
    after = ""
    for text in xpath(headline, "following::text()"):
        parent = text.getparent()
        if parent is not None and parent.tag in ("script", "style"):
            continue
        after += " " + _SPACE.sub(" ", unicodedata.normalize("NFKC", str(text))).strip()
        if len(_squash(after)) > INFO_BAR_CHARS:
            break
    match = DATE_TIME_RE.search(after)
    if match is None or len(_squash(after[: match.start()])) > INFO_BAR_CHARS:
        return None
    return iso_date(match["date"])
