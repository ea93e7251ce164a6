"""Metadata a portal page declares in its `<meta>` tags: the site's name, the publication date, the source.

Chinese government sites tag each content page (the 政府网站发展指引, 国办发〔2017〕47号, asks for
`SiteName`, `SiteIDCode`, `ColumnName`, `ArticleTitle`, `PubDate`, `ContentSource` …). Which tag
names give which field is data: `rules/sites.toml` `[metadata.meta_tags]`. Only the document's
head is read, with the standard library's tolerant HTML tokenizer.
"""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser

from cleaners.extract import rules

# The head ends at </head> or at the first element of the body; a page without either is read this far.
MAX_HEAD_CHARS = 65536
BODY_TAGS = frozenset({"body", "div", "p", "table", "h1", "h2", "article", "section", "main"})


@cache
def field_of_tag() -> dict[str, str]:
    """Lower-cased tag name -> field name."""
    tags = rules()["metadata"].get("meta_tags", {})
    return {tag.lower(): name for name, names in tags.items() for tag in names}


class _HeadMeta(HTMLParser):
    """Collects (name, content) of the <meta> tags before the body starts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag in BODY_TAGS:
            self.done = True
            return
        if tag != "meta":
            return
        values = {key.lower(): value or "" for key, value in attrs}
        name = values.get("name") or values.get("property") or values.get("itemprop") or ""
        content = " ".join(values.get("content", "").split())
        if name and content:
            self.found.append((name.lower(), content))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.done = True


def meta_fields(html: str) -> dict[str, str]:
    """Fields from the page's <meta> tags under their standard names; the first tag of a field wins.

    Values are as the page wrote them (dates are made ISO with the other fields, in
    cleaners/metadata.py). Never raises on bad markup.
    """
    parser = _HeadMeta()
    end = html.find("</head")
    parser.feed(html[: end if 0 <= end < MAX_HEAD_CHARS else MAX_HEAD_CHARS])
    fields: dict[str, str] = {}
    for name, content in parser.found:
        field = field_of_tag().get(name)
        if field is not None:
            fields.setdefault(field, content)
    return fields
