"""HTML to report text: detect the site family, read title and metadata, keep the body.

The rules of each family (markers, selectors, chrome phrases) are data in `rules/sites.toml`.
Output text is one paragraph per line but not yet canonical: `steps.clean_text` does that.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from configparser import ConfigParser
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import use_config

RULES_PATH: Traversable = files("cleaners") / "rules" / "sites.toml"  # works inside a zipped egg too

# Elements that start a new line of text (HTML, plus trafilatura's own body vocabulary).
BLOCK_TAGS = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 table tbody thead tfoot tr blockquote section article "
    "header footer aside main center pre address figure figcaption form fieldset legend hr "
    "head item list row quote code".split()
)
CELL_TAGS = frozenset({"td", "th", "cell"})
# Their newlines are line breaks (trafilatura turns <pre> into <quote> or <code>).
PREFORMATTED_TAGS = frozenset({"pre", "code", "quote"})
MAX_META_CELL_CHARS = 200
# A link with this much text names a document (a list entry), not a menu item.
MIN_ENTRY_CHARS = 6
MAX_TITLE_CHARS = 80
# A content container must hold at least this many characters to be believed.
MIN_CONTAINER_CHARS = 60
# Trafilatura's defaults are tuned for alphabetic languages: 250 characters is a long Chinese notice.
TRAFILATURA_SETTINGS = {
    "MIN_EXTRACTED_SIZE": "40",
    "MIN_EXTRACTED_COMM_SIZE": "20",
    "MIN_OUTPUT_SIZE": "20",
    "MIN_OUTPUT_COMM_SIZE": "20",
    "MIN_DUPLCHECK_SIZE": "40",
    "EXTENSIVE_DATE_SEARCH": "off",
}

DATE_RE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
TITLE_SEPARATORS_RE = re.compile(r"\s+[-|—–]+\s+|\s*[_|｜]\s*|\s+--\s+")
TITLE_PREFIX_RE = re.compile(r"^\s*[\[【［][^\]】］]{1,12}[\]】］]\s*")
# A metadata value ends at a wide gap, a bar, or the next "label：" on the same line.
VALUE_END_RE = re.compile(r"\s{2,}|\u3000|\s[|｜]\s|\s+\S{1,6}[:：]")
SPACE_RE = re.compile(r"[ \t\r\n\f\v]+")
LOGO_RE = re.compile(r"logo|site-?name|banner", re.I)
# Text outside the label and value cells that a metadata block may still hold (separators, 字号 …).
META_SLACK_CHARS = 20


@dataclass(frozen=True)
class Extracted:
    """What an HTML page yields before canonical cleaning."""

    title: str | None
    text: str  # one paragraph per line, raw
    family: str  # discuz | gov_portal | aggregator | generic
    metadata: dict[str, str] = field(default_factory=dict)
    link_entries: int = 0  # links long enough to name a document (list entries)
    link_share: float = 0.0  # share of the page's visible text inside such links
    login_share: float = 0.0  # share of the visible text inside a form with a password field


# ---------------------------------------------------------------- rules


@cache
def rules() -> dict[str, Any]:
    """The site rules, read once."""
    with RULES_PATH.open("rb") as fh:
        return tomllib.load(fh)


@cache
def chrome_patterns(family: str) -> tuple[re.Pattern[str], ...]:
    data = rules()
    phrases = data["common"]["chrome_lines"] + data.get(family, {}).get("chrome_lines", [])
    return tuple(re.compile(p) for p in phrases)


@cache
def spam_re() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in rules()["common"]["spam_words"]))


@cache
def label_re() -> re.Pattern[str]:
    """Any metadata label followed by a colon, or standing alone in a cell."""
    labels = sorted(
        (label for names in rules()["metadata"]["labels"].values() for label in names), key=len, reverse=True
    )
    spaced = (r"\s*".join(map(re.escape, label)) for label in labels)
    return re.compile(r"(?P<label>" + "|".join(spaced) + r")\s*[:：]")


@cache
def field_of_label() -> dict[str, str]:
    return {
        label: name for name, labels in rules()["metadata"]["labels"].items() for label in labels
    }


@cache
def trafilatura_config() -> ConfigParser:
    """Trafilatura settings with length thresholds that suit Chinese text."""
    config = use_config()
    for key, value in TRAFILATURA_SETTINGS.items():
        config.set("DEFAULT", key, value)
    return config


# ---------------------------------------------------------------- small helpers


def squash(text: str | None) -> str:
    """Collapse HTML whitespace runs to one space and strip."""
    return SPACE_RE.sub(" ", text or "").strip()


def element_text(el: etree._Element) -> str:
    return squash(el.text_content() if hasattr(el, "text_content") else "".join(el.itertext()))


def drop(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    if el.getparent() is not None:
        el.drop_tree() if hasattr(el, "drop_tree") else el.getparent().remove(el)


def xpath_all(node: etree._Element, expressions: Iterable[str]) -> Iterator[Any]:
    for expression in expressions:
        yield from node.xpath(expression)


def is_chrome(text: str, family: str) -> bool:
    """A short run of text that is site chrome by its phrasing or its spam words."""
    limit = rules()["common"]["chrome_max_chars"]
    if not text or len(text) > limit:
        return False
    return any(p.search(text) for p in chrome_patterns(family)) or bool(spam_re().search(text))


def iso_date(value: str) -> str | None:
    match = DATE_RE.search(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def normalize_title(title: str | None) -> str | None:
    if not title:
        return None
    title = squash(unicodedata.normalize("NFKC", title).replace("\u3000", " "))
    return title or None


# ---------------------------------------------------------------- parsing and family


def parse(html: str) -> etree._Element:
    # lxml refuses str input that carries an XML encoding declaration
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)
    return lxml.html.document_fromstring(html or "<html></html>")


def detect_family(html: str, tree: etree._Element) -> str:
    """The first family in rules order with enough of its markers present."""
    data = rules()
    for family in data["order"]:
        spec = data[family]
        found = sum(1 for marker in spec.get("markers_html", []) if marker in html)
        found += sum(1 for expression in spec.get("markers_xpath", []) if tree.xpath(expression))
        if found >= spec.get("min_markers", 1):
            return family
    return "generic"


# ---------------------------------------------------------------- metadata


def label_pairs(text: str) -> list[tuple[str, str]]:
    """(field, value) pairs in one short text such as '发布日期：2024-02-02 来源：长宁区'."""
    matches = list(label_re().finditer(text))
    pairs = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = VALUE_END_RE.split(text[match.end() : end].strip())[0].strip(" ：:|｜")
        pairs.append((field_of_label()[re.sub(r"\s", "", match.group("label"))], value))
    return pairs


def next_cell_text(el: etree._Element) -> str:
    sibling = el.getnext()
    return element_text(sibling) if sibling is not None else ""


def label_cells(tree: etree._Element) -> Iterator[tuple[etree._Element, list[tuple[str, str]]]]:
    """Innermost elements whose text starts with a metadata label, with what they say."""
    labels = field_of_label()
    for el in tree.iter(etree.Element):
        text = element_text(el)
        if not text or len(text) > MAX_META_CELL_CHARS or el.tag in ("html", "body", "head"):
            continue
        if any(element_text(child) == text for child in el):
            continue  # a child holds the same text: let the innermost element answer
        bare = re.sub(r"\s", "", text).rstrip(":：")
        if bare in labels:  # <th>索引号</th><td>…</td>
            yield el, [(labels[bare], next_cell_text(el))]
        elif label_re().match(text):
            pairs = label_pairs(text)
            if len(pairs) == 1 and not pairs[0][1]:
                pairs = [(pairs[0][0], next_cell_text(el))]
            yield el, pairs


def dense_len(el: etree._Element) -> int:
    return len(re.sub(r"\s", "", el.text_content()))


def metadata_blocks(cells: list[etree._Element]) -> list[etree._Element]:
    """For each label cell, the largest ancestor that holds nothing but metadata: what leaves the text."""
    meta = set(cells) | {c.getnext() for c in cells if c.getnext() is not None and c.getnext().tag in CELL_TAGS | {"dd"}}
    blocks = []
    for cell in cells:
        block = cell
        for ancestor in cell.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            inside = sum(dense_len(m) for m in meta if m is ancestor or ancestor in m.iterancestors())
            if dense_len(ancestor) - inside > META_SLACK_CHARS:
                break
            block = ancestor
        blocks.append(block)
    return blocks


def read_metadata(tree: etree._Element) -> tuple[dict[str, str], list[etree._Element]]:
    """The metadata table's fields, and the elements that hold it."""
    found: dict[str, str] = {}
    cells = []
    for cell, pairs in list(label_cells(tree)):
        for name, value in pairs:
            if value and name not in found:
                found[name] = value
        cells.append(cell)
    for name in ("published", "written"):
        if name in found:
            found[name] = iso_date(found[name]) or found[name]
    return found, metadata_blocks(cells)


# ---------------------------------------------------------------- title


def page_title(tree: etree._Element) -> str | None:
    """The <title> without site suffix or forum prefix ('[上海] X - 论坛 - Powered by Discuz!' -> X)."""
    raw = squash(tree.findtext(".//title"))
    if not raw:
        return None
    parts = [p for p in TITLE_SEPARATORS_RE.split(raw) if p.strip() and "powered by" not in p.lower()]
    if not parts:
        return None
    return TITLE_PREFIX_RE.sub("", parts[0]).strip() or None


def title_candidates(tree: etree._Element, family: str, metadata: dict[str, str]) -> list[str]:
    """Headings and declared titles, most specific first; logo headings are not candidates."""
    found = [metadata.get("title", "")]
    expressions = rules()[family].get("title_xpath", []) + rules()["common"]["title_xpath"]
    for result in xpath_all(tree, expressions):
        if isinstance(result, str):
            found.append(result)
        elif not result.xpath(".//img") and not any(
            LOGO_RE.search(a.get("class", "") + " " + a.get("id", "")) for a in [result, *result.iterancestors()]
        ):
            found.append(element_text(result))
    found.extend(tree.xpath("//meta[@property='og:title']/@content"))
    return [t for t in (normalize_title(TITLE_PREFIX_RE.sub("", c)) for c in found) if t]


def same_title(heading: str, from_tag: str) -> bool:
    """A heading and a <title> name the same page when one starts the other (titles get cut)."""
    short, long = sorted((heading, from_tag), key=len)
    return len(short) >= 4 and long.startswith(short)


def title_hints(tree: etree._Element) -> list[str]:
    """Short texts of title-classed elements: believed only when <title> confirms them."""
    found = (element_text(el) for el in xpath_all(tree, rules()["common"]["title_hint_xpath"]))
    return [t for t in (normalize_title(f) for f in found if len(f) <= MAX_TITLE_CHARS) if t]


def find_title(tree: etree._Element, family: str, metadata: dict[str, str]) -> str | None:
    """A heading confirmed by <title>, else the best heading, else the cleaned <title>."""
    from_tag = normalize_title(page_title(tree))
    raw_tag = normalize_title(tree.findtext(".//title"))
    candidates = title_candidates(tree, family, metadata)
    tags = [t for t in (from_tag, raw_tag) if t]
    confirmed = [c for c in candidates + title_hints(tree) if any(same_title(c, t) for t in tags)]
    return (confirmed or candidates or [from_tag])[0]


# ---------------------------------------------------------------- tree to text


def block_lines(node: etree._Element) -> list[str]:
    """The text of `node`, one line per block element or <br>, empty lines dropped."""
    parts: list[str] = []

    def flow(text: str | None, verbatim: bool) -> None:
        if text:
            parts.append(text if verbatim else SPACE_RE.sub(" ", text))

    def walk(el: etree._Element, verbatim: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is not None:
            block = tag in BLOCK_TAGS
            if block or tag in ("br", "lb"):
                parts.append("\n")
            elif tag in CELL_TAGS:
                parts.append(" ")
            inner = verbatim or tag in PREFORMATTED_TAGS
            flow(el.text, inner)
            for child in el:
                walk(child, inner)
            if block:
                parts.append("\n")
        flow(el.tail, verbatim)

    walk(node, False)
    return [line.strip() for line in "".join(parts).split("\n") if line.strip()]


def prune(node: etree._Element, family: str) -> None:
    """Remove chrome below `node`: rule selectors, spam links and short chrome blocks."""
    spec = rules()
    expressions = [e if e.startswith(".") else "." + e for e in spec["common"]["drop_xpath"]]
    for el in list(xpath_all(node, expressions + spec[family].get("drop_xpath", []))):
        if el is not node:
            drop(el)
    for link in list(node.iter("a")):
        if spam_re().search(link.text_content() + " " + link.get("href", "")):
            drop(link)
    # innermost first, so a chrome line inside a body block goes without the block
    for el in reversed(list(node.iter(etree.Element))):
        if el is node or el.getparent() is None:
            continue
        if (el.tag in BLOCK_TAGS or el.tag in CELL_TAGS) and is_chrome(element_text(el), family):
            drop(el)


def body_lines(node: etree._Element, family: str) -> list[str]:
    return [line for line in block_lines(node) if not is_chrome(line, family)]


# ---------------------------------------------------------------- families


def author_key(link: etree._Element) -> str:
    """A post author's user id from the link's href, else the name it shows."""
    match = re.search(rules()["discuz"]["author_id_pattern"], link.get("href", ""))
    return f"uid:{match.group(1)}" if match else element_text(link)


def discuz_posts(tree: etree._Element) -> list[tuple[str | None, etree._Element]]:
    """(author, message element) for each post, in thread order."""
    spec = rules()["discuz"]
    posts = []
    for message in tree.xpath(spec["message_xpath"]):
        author = None
        for ancestor in message.iterancestors():
            if len(ancestor.xpath(spec["message_xpath"])) > 1:
                break  # climbed out of this post
            if keys := [k for k in map(author_key, xpath_all(ancestor, spec["author_xpath"])) if k]:
                author = keys[0]
                break
        posts.append((author, message))
    return posts


def extract_discuz(tree: etree._Element, starter: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The thread starter's posts, in order; everyone else's replies are not the document.

    The starter is the author of the first post, unless a thread's first page named it already.
    """
    posts = discuz_posts(tree)
    if not posts:
        return [], {}
    starter = starter or posts[0][0]
    lines: list[str] = []
    for author, message in posts:
        if author != starter or (starter is None and message is not posts[0][1]):
            continue
        prune(message, "discuz")
        lines.extend(body_lines(message, "discuz"))
    return lines, {"forum_author": starter} if starter else {}


def content_node(tree: etree._Element, family: str) -> etree._Element | None:
    """The first container named by the family's rules that holds real text."""
    for el in xpath_all(tree, rules()[family].get("content_xpath", [])):
        if isinstance(el, etree._Element) and len(element_text(el)) >= MIN_CONTAINER_CHARS:
            return el
    return None


def extract_with_trafilatura(tree: etree._Element, family: str) -> list[str]:
    """Trafilatura's main-content guess over a pruned copy of the page, serialised by block."""
    body = tree.find("body")
    if body is not None:
        prune(body, family)
    html = lxml.html.tostring(tree, encoding="unicode")
    result = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        deduplicate=False,
        with_metadata=False,
        config=trafilatura_config(),
    )
    if result is None or getattr(result, "body", None) is None:
        return []
    return body_lines(result.body, family)


def extract_container(tree: etree._Element, family: str) -> list[str]:
    """The family's content container, pruned; trafilatura when there is none (always for generic)."""
    node = content_node(tree, family)
    if node is None:
        return extract_with_trafilatura(tree, family)
    prune(node, family)
    return body_lines(node, family)


def visible_chars(el: etree._Element) -> int:
    return sum(len(t.strip()) for t in el.xpath(".//text()[not(ancestor::script or ancestor::style)]"))


def link_entries(tree: etree._Element) -> tuple[int, float]:
    """How many links name a document, and what share of the page's visible text they hold."""
    body = tree.find("body")
    if body is None:
        return 0, 0.0
    entries = [len(t) for t in (element_text(a) for a in body.iter("a")) if len(t) >= MIN_ENTRY_CHARS]
    total = visible_chars(body)
    return len(entries), (sum(entries) / total if total else 0.0)


def login_share(tree: etree._Element) -> float:
    """The largest share of the page's visible text that one password form holds."""
    body = tree.find("body")
    total = visible_chars(body) if body is not None else 0
    forms = tree.xpath("//form[.//input[@type='password']]")
    return max((visible_chars(form) / total for form in forms), default=0.0) if total else 0.0


def extract_html(html: str, starter: str | None = None) -> Extracted:
    """Title, body lines, family and metadata of one decoded HTML page.

    `starter` is the forum author whose posts make the document, on a thread's later pages.
    """
    tree = parse(html)
    family = detect_family(html, tree)
    entries, share = link_entries(tree)
    login = login_share(tree)
    metadata: dict[str, str] = {}
    if family == "discuz":
        title = find_title(tree, family, metadata)
        lines, metadata = extract_discuz(tree, starter)
    else:
        metadata, blocks = read_metadata(tree)
        title = find_title(tree, family, metadata)
        for block in blocks:
            drop(block)
        lines = extract_container(tree, family)
    return Extracted(
        title=title,
        text="\n".join(lines),
        family=family,
        metadata=metadata,
        link_entries=entries,
        link_share=share,
        login_share=login,
    )
