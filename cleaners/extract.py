"""HTML to report text: detect the site family, read title and metadata, keep the body.

The rules of each family (markers, selectors, chrome phrases) are data in `rules/sites.toml`.
Output text is one paragraph per line but not yet canonical: `steps.clean_text` does that.
A `<br>` (or a newline inside `<pre>`) is a line break inside a paragraph and comes out as
`layout.SOFT_BREAK`, so that hard-wrapped paragraphs can be told from paragraphs.

Every stage has a safety net: an unexpected exception in a stage is logged, recorded on the
result (`metadata["extraction_fallback"]`, "stage:ExceptionType; …") and the stage's fallback
is used: a family extractor falls back to the generic extraction (trafilatura), which falls back
to the plain text of the page's body. A family extractor that finds nothing falls back too.
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from configparser import ConfigParser
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import lxml.html
from lxml import etree

from cleaners import html_title
from cleaners.content import (
    MainContent,
    TreeStats,
    dense_chars,
    drop_never_content,
    main_content,
    text_chars,
)
from cleaners.encoding import repair_reference_mojibake
from cleaners.html_title import page_title as page_title  # re-exported: tests and callers read it here
from cleaners.htmltree import (
    child_elements,
    is_element,
    parse,
    remove_keeping_tail,
    short_squashed_text,
    squashed_text,
    text_of,
    xpath,
)
from cleaners.layout import SOFT_BREAK
from cleaners.navigation import drop_headed_link_lists, drop_tag_lists
from cleaners.page_chrome import ads_and_media_boxes, without_ads_and_media_boxes
from cleaners.page_date import info_bar_date
from cleaners.page_kind import declares_article, names_news_source
from cleaners.scripted import (
    SHELL_MAX_CHARS,
    ScriptSignals,
    script_signals,
    shell_reason,
    structured_text,
)
from cleaners.spam import host_of, is_spam_block, is_spam_link, is_spam_text
from cleaners.tables import is_data_table, table_rows
from cleaners.threads import Thread, find_thread, message_of

log = logging.getLogger(__name__)
T = TypeVar("T")

RULES_PATH: Traversable = files("cleaners") / "rules" / "sites.toml"  # works inside a zipped egg too
FALLBACK_KEY = "extraction_fallback"

# Elements that start a new line of text (HTML, plus trafilatura's own body vocabulary).
BLOCK_TAGS = frozenset(
    [
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody",
        "thead", "tfoot", "tr", "blockquote", "section", "article", "header", "footer", "aside", "main", "center",
        "pre", "address", "figure", "figcaption", "form", "fieldset", "legend", "hr",
        "head", "item", "list", "row", "quote", "code",
    ]
)
CELL_TAGS = frozenset({"td", "th", "cell"})
# Their newlines are line breaks (trafilatura turns <pre> into <quote> or <code>).
PREFORMATTED_TAGS = frozenset({"pre", "code", "quote"})
LINE_BREAK_TAGS = frozenset({"br", "lb"})
MAX_META_CELL_CHARS = 200
# A link with this much text names a document (a list entry), not a menu item.
MIN_ENTRY_CHARS = 6
# A content container must hold at least this many characters to be believed.
MIN_CONTAINER_CHARS = 60
# A family's container stands beside the scored article when it holds it and at most this many
# times its text, or lies inside it and holds this share of it (cleaners/extract.py family_or_scored).
FAMILY_SLACK = 1.5
FAMILY_SHARE = 0.7
# Document-naming links beside the article that make a family's container a wrapper of link lists.
LIST_MIN_ENTRIES = 8
# Before a thread's posts, a page's own text of this many characters is the topic they reply to.
MIN_TOPIC_CHARS = 20
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
# A metadata value ends at a wide gap, a bar, or the next "label：" on the same line.
VALUE_END_RE = re.compile(r"\s{2,}|\u3000|\s[|｜]\s|\s+\S{1,6}[:：]")
SPACE_RE = re.compile(r"[ \t\r\n\f\v]+")
VERBATIM_BREAK_RE = re.compile(r"\r\n|[\r\n]")
# Text outside the label and value cells that a metadata block may still hold (separators, 字号 …).
META_SLACK_CHARS = 20
# A label cell is the element holding the label's text node, or one up to this many levels above it.
LABEL_CELL_LEVELS = 4


@dataclass(frozen=True)
class Extracted:
    """What an HTML page yields before canonical cleaning."""

    title: str | None
    text: str  # one paragraph per line (line breaks inside one as SOFT_BREAK), raw
    family: str  # discuz | gov_portal | aggregator | generic
    metadata: dict[str, str] = field(default_factory=dict)
    link_entries: int = 0  # links long enough to name a document (list entries) in the main content
    link_share: float = 0.0  # share of the main content's text inside such links, before chrome is pruned
    login_share: float = 0.0  # share of the visible text inside a form with a password field
    tables: list[list[list[str]]] = field(default_factory=list)  # data tables: rows of cell texts
    script_rendered: str | None = None  # why the page is an app shell whose text a script renders


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
def discuz_patterns(key: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in rules()["discuz"][key])


@cache
def trafilatura_config() -> ConfigParser:
    """Trafilatura settings with length thresholds that suit Chinese text."""
    from trafilatura.settings import use_config  # on first use, as trafilatura itself: see extract_with_trafilatura

    config = use_config()
    for key, value in TRAFILATURA_SETTINGS.items():
        config.set("DEFAULT", key, value)
    return config


# ---------------------------------------------------------------- small helpers


def squash(text: str | None) -> str:
    """Collapse HTML whitespace runs to one space and strip."""
    return SPACE_RE.sub(" ", text or "").strip()


def element_text(el: etree._Element) -> str:
    """The visible text of an element, whitespace collapsed; "" for comments and PIs."""
    return squashed_text(el)


def drop(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    remove_keeping_tail(el)


def xpath_all(node: etree._Element, expressions: Iterable[str]) -> Iterator[Any]:
    for expression in expressions:
        yield from xpath(node, expression)


def elements_of(node: etree._Element, expressions: Iterable[str]) -> list[etree._Element]:
    """The elements the expressions select below `node` (strings and non-element nodes left out)."""
    return [found for found in xpath_all(node, expressions) if is_element(found)]


def is_chrome(text: str, family: str) -> bool:
    """A short run of text that is site chrome by its phrasing, or that advertises gambling."""
    limit = rules()["common"]["chrome_max_chars"]
    if not text or len(text) > limit:
        return False
    return any(p.search(text) for p in chrome_patterns(family)) or is_spam_text(text)


def iso_date(value: str) -> str | None:
    match = DATE_RE.search(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def attempt(stage: str, fallbacks: list[str], run: Callable[[], T], fallback: T) -> T:
    """`run()`, or `fallback` when it raises; the failure is logged and recorded in `fallbacks`."""
    try:
        return run()
    except Exception as exc:  # the safety net: one stage's bug must not cost the page
        record_fallback(fallbacks, stage, exc)
        return fallback


def try_stage(stage: str, fallbacks: list[str], run: Callable[[], T | None]) -> tuple[T | None, bool]:
    """`run()` and False, or None and True when it raised (logged and recorded in `fallbacks`)."""
    try:
        return run(), False
    except Exception as exc:  # the safety net, as in `attempt`
        record_fallback(fallbacks, stage, exc)
        return None, True


def fallback_stages(metadata: dict[str, Any]) -> list[str]:
    """The extraction stages that fell back on a document, from its `metadata["extraction_fallback"]`."""
    entries = str(metadata.get(FALLBACK_KEY) or "").split(";")
    return [stage for stage in (entry.split(":", 1)[0].strip() for entry in entries) if stage]


def record_fallback(fallbacks: list[str], stage: str, exc: BaseException | None) -> None:
    """Note that `stage` fell back, because of `exc` (None: it found nothing)."""
    fallbacks.append(f"{stage}:{type(exc).__name__ if exc is not None else 'empty'}")
    if exc is not None:
        log.warning("extraction stage %s failed; falling back", stage, exc_info=exc)


# ---------------------------------------------------------------- family


def detect_family(html: str, tree: etree._Element) -> str:
    """The first family in rules order with enough of its markers present.

    An XPath marker is only evaluated when one of its string literals occurs in the page
    (case-insensitively): every marker matches through one of them, and most pages hold none.
    """
    data = rules()
    lowered = html.lower()
    for family in data["order"]:
        spec = data[family]
        if _has_markers(spec, html, lowered, tree):
            return family
    return "generic"


def _has_markers(spec: dict[str, Any], html: str, lowered: str, tree: etree._Element) -> bool:
    """Whether at least `min_markers` of the family's markers are present; the counting stops there,
    as every XPath marker walks the whole tree."""
    needed = spec.get("min_markers", 1)
    present = itertools.chain(
        (marker in html for marker in spec.get("markers_html", [])),
        (
            any(literal in lowered for literal in xpath_literals(expression)) and bool(xpath(tree, expression))
            for expression in spec.get("markers_xpath", [])
        ),
    )
    found = 0
    for hit in present:
        if found >= needed:
            break
        found += hit
    return found >= needed


@cache
def xpath_literals(expression: str) -> tuple[str, ...]:
    """The string literals of an XPath expression, lower-cased; ('',) when it has none (always evaluated)."""
    literals = tuple(literal.lower() for literal in re.findall(r"'([^']*)'|\"([^\"]*)\"", expression) for literal in literal if literal)
    return literals or ("",)


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


def next_element(el: etree._Element) -> etree._Element | None:
    """The next sibling that is an element (comments and PIs skipped)."""
    return next((sibling for sibling in el.itersiblings() if is_element(sibling)), None)


def next_cell_text(el: etree._Element) -> str:
    sibling = next_element(el)
    return element_text(sibling) if sibling is not None else ""


@cache
def label_anywhere_re() -> re.Pattern[str]:
    """Any metadata label, spaced or not, colon or not: a text node that could start a label cell."""
    labels = sorted(field_of_label(), key=len, reverse=True)
    return re.compile("|".join(r"\s*".join(map(re.escape, label)) for label in labels))


@cache
def label_first_chars() -> re.Pattern[str]:
    """The characters labels start with: a text node without any of them holds no label (a cheap first test)."""
    return re.compile("[" + re.escape("".join(sorted({label[0] for label in field_of_label()}))) + "]")


def label_candidates(tree: etree._Element) -> set[etree._Element]:
    """The elements whose text could start with a metadata label: those around a text node holding one.

    A label cell's text starts in a text node of its own or of an element up to LABEL_CELL_LEVELS
    below it; the rest of the page is never read as a metadata cell, which keeps big pages cheap.
    """
    anywhere = label_anywhere_re()
    first = label_first_chars()
    found: set[etree._Element] = set()
    for el in tree.iter(etree.Element):
        for text, owner in ((el.text, el), (el.tail, el.getparent())):
            if not text or owner is None or not first.search(text) or not anywhere.search(text):
                continue
            node: etree._Element | None = owner
            for _ in range(LABEL_CELL_LEVELS):
                if node is None or node.tag in ("html", "body", "head"):
                    break
                found.add(node)
                node = node.getparent()
    return found


def is_link_list_cell(el: etree._Element) -> bool:
    """A labelled list of links, not a field: a wiki's category bar (<a>分类</a>：<ul><li><a>…</a></li>…</ul>).

    A field has one value; a cell holding a list (ul/ol), or whose label is itself a link, is
    navigation, whatever its label says.
    """
    if el.find(".//ul") is not None or el.find(".//ol") is not None:
        return True
    first = next((node for node in el.iter(etree.Element) if (node.text or "").strip()), None)
    return first is not None and first.tag == "a"


def label_cells(tree: etree._Element) -> Iterator[tuple[etree._Element, list[tuple[str, str]]]]:
    """Innermost elements whose text starts with a metadata label, with what they say, in page order.

    A labelled list of links (is_link_list_cell) is no metadata cell.
    """
    labels = field_of_label()
    candidates = label_candidates(tree)
    if not candidates:
        return
    for el in tree.iter(etree.Element):
        if el not in candidates:
            continue
        # Most candidates are big containers around a label: their text is never squashed whole.
        text = short_squashed_text(el, MAX_META_CELL_CHARS)
        if not text:
            continue
        if any(short_squashed_text(child, len(text)) == text for child in child_elements(el)):
            continue  # a child holds the same text: let the innermost element answer
        if is_link_list_cell(el):
            continue
        bare = re.sub(r"\s", "", text).rstrip(":：")
        if bare in labels:  # <th>索引号</th><td>…</td>
            yield el, [(labels[bare], next_cell_text(el))]
        elif label_re().match(text):
            pairs = label_pairs(text)
            if len(pairs) == 1 and not pairs[0][1]:
                pairs = [(pairs[0][0], next_cell_text(el))]
            yield el, pairs


def dense_len(el: etree._Element) -> int:
    return len(re.sub(r"\s", "", text_of(el)))


def metadata_blocks(cells: list[etree._Element]) -> list[etree._Element]:
    """For each label cell, the largest ancestor that holds nothing but metadata: what leaves the text."""
    values = (next_element(c) for c in cells)
    meta = set(cells) | {v for v in values if v is not None and v.tag in CELL_TAGS | {"dd"}}
    lengths: dict[etree._Element, int] = {}  # the cells of one table share their ancestors

    def length(el: etree._Element) -> int:
        if el not in lengths:
            lengths[el] = dense_len(el)
        return lengths[el]

    blocks = []
    for cell in cells:
        block = cell
        for ancestor in cell.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            inside = sum(length(m) for m in meta if m is ancestor or ancestor in m.iterancestors())
            if length(ancestor) - inside > META_SLACK_CHARS:
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
    for name in ("published", "written_date"):
        if name in found:
            found[name] = iso_date(found[name]) or found[name]
    return found, metadata_blocks(cells)


# ---------------------------------------------------------------- title


def find_title(tree: etree._Element, family: str, metadata: dict[str, str]) -> str | None:
    """The page's title (cleaners/html_title.py) by the family's and the common title rules."""
    expressions = rules()[family].get("title_xpath", []) + rules()["common"]["title_xpath"]
    return html_title.find_title(tree, expressions, metadata.get("title"))


# ---------------------------------------------------------------- tree to text


def block_lines(node: etree._Element, tables: list[list[list[str]]] | None = None) -> list[str]:
    """The text of `node`, one line per block element, empty lines dropped.

    Within a line, a <br> (and a newline inside <pre>) is a SOFT_BREAK; two breaks in a row
    (an empty line) end the paragraph. A data table (cleaners/tables.py) is one line per row,
    its cells separated by a TAB, and its rows are appended to `tables`; a layout table's cells
    are read as text. Any depth, any node type: the walk keeps its own stack.
    """
    parts: list[str] = []

    def flow(text: str | None, verbatim: bool) -> None:
        if text:
            # A no-break space is a space that HTML does not collapse: kept as one space each, so that
            # &nbsp; indentation still marks where a paragraph starts.
            text = VERBATIM_BREAK_RE.sub(SOFT_BREAK, text) if verbatim else SPACE_RE.sub(" ", text)
            parts.append(text.replace("\xa0", " "))

    # (node, verbatim as inherited from the parent, closing)
    stack: list[tuple[etree._Element, bool, bool]] = [(node, False, False)]
    while stack:
        el, verbatim, closing = stack.pop()
        if not is_element(el):  # comment, processing instruction, entity: only the tail is text
            flow(el.tail, verbatim)
            continue
        tag = el.tag
        if closing:
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if el is not node:
                flow(el.tail, verbatim)
            continue
        if tag == "table" and is_data_table(el):
            rows = table_rows(el)
            parts.append("\n" + "\n".join("\t".join(row) for row in rows) + "\n")
            if tables is not None and rows:
                tables.append(rows)
            if el is not node:
                flow(el.tail, verbatim)
            continue
        if tag in BLOCK_TAGS:
            parts.append("\n")
        elif tag in LINE_BREAK_TAGS:
            parts.append(SOFT_BREAK)
        elif tag in CELL_TAGS:
            parts.append(" ")
        inner = verbatim or tag in PREFORMATTED_TAGS
        flow(el.text, inner)
        stack.append((el, verbatim, True))
        stack.extend((child, inner, False) for child in reversed(el))
    return [line for raw in "".join(parts).split("\n") for line in _paragraphs(raw)]


def _paragraphs(line: str) -> list[str]:
    """One serialised line as paragraphs: soft-broken pieces, split at empty pieces.

    A piece keeps its leading whitespace (paragraph indentation tells paragraphs from wraps);
    the line as a whole is stripped.
    """
    paragraphs: list[list[str]] = [[]]
    for piece in line.split(SOFT_BREAK):
        if piece.strip():
            paragraphs[-1].append(piece.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [SOFT_BREAK.join(pieces).strip() for pieces in paragraphs if pieces]


_BARE_TAG = re.compile(r"\.?//([A-Za-z][A-Za-z0-9]*)")


@cache
def drop_rules(family: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The common and the family's `drop_xpath` rules, as (tag names, other XPath expressions).

    A rule that only names a tag (`//script`) is found by one lxml `iter` over all such tags, a
    single walk of the tree in C, where each XPath `//` rule walks it again. Expressions are made
    relative to the node pruned (`.//`). Raises KeyError for a family the rules do not define.
    """
    spec = rules()
    tags: list[str] = []
    expressions: list[str] = []
    for expression in [*spec["common"]["drop_xpath"], *spec[family].get("drop_xpath", [])]:
        if bare := _BARE_TAG.fullmatch(expression):
            tags.append(bare.group(1))
        else:
            expressions.append(expression if expression.startswith(".") else "." + expression)
    return tuple(dict.fromkeys(tags)), tuple(expressions)


def prune(node: etree._Element, family: str, site: str | None = None, drop_quotes: bool = False) -> None:
    """Remove chrome below `node`: rule selectors, ads and media boxes (cleaners/page_chrome.py),
    navigation (cleaners/navigation.py), gambling spam and short chrome blocks.

    `site` is the page's host (links elsewhere are a spam signal); `drop_quotes` removes the
    quotes of other posts in a forum message.
    """
    tags, expressions = drop_rules(family)
    for el in [*node.iter(*tags), *elements_of(node, expressions)] if tags else elements_of(node, expressions):
        if el is not node:
            drop(el)
    for el in list(ads_and_media_boxes(node, BLOCK_TAGS | CELL_TAGS)):
        drop(el)
    if drop_quotes:
        drop_quotes_of_other_posts(node)
    drop_tag_lists(node)
    drop_headed_link_lists(node)
    for link in list(node.iter("a")):
        if is_spam_link(link, site):
            drop(link)
    limit = rules()["common"]["chrome_max_chars"]
    # innermost first, so a chrome line inside a body block goes without the block
    for el in reversed(list(node.iter(etree.Element))):
        if el is node or not is_element(el) or el.getparent() is None:
            continue
        if el.tag in BLOCK_TAGS or el.tag in CELL_TAGS:
            # Only a short block can be chrome or a spam block; most blocks are long.
            text = short_squashed_text(el, limit)
            if text is not None and (is_chrome(text, family) or is_spam_block(el, site)):
                drop(el)


def body_lines(node: etree._Element, family: str, tables: list[list[list[str]]] | None = None) -> list[str]:
    """The lines of `node` without chrome lines (judged piece by piece inside soft-broken lines).

    The rows of its data tables are appended to `tables`.
    """
    lines = []
    for line in block_lines(node, tables):
        kept = [piece for piece in line.split(SOFT_BREAK) if not is_chrome(piece, family)]
        if kept:
            lines.append(SOFT_BREAK.join(kept))
    return lines


def plain_lines(tree: etree._Element) -> list[str]:
    """The last resort: every line of the page's body with the common chrome pruned."""
    body = tree.find("body")
    node = body if body is not None else tree
    prune(node, "generic")
    return body_lines(node, "generic")


# ---------------------------------------------------------------- forums (Discuz!)


def author_key(link: etree._Element) -> str:
    """A post author's user id from the link's href, else the name it shows."""
    match = re.search(rules()["discuz"]["author_id_pattern"], link.get("href", ""))
    return f"uid:{match.group(1)}" if match else element_text(link)


def discuz_messages(tree: etree._Element) -> tuple[str, list[etree._Element]]:
    """The message elements of the first message expression that finds any, with that expression."""
    for expression in rules()["discuz"]["message_xpath"]:
        messages = [m for m in xpath(tree, expression) if is_element(m)]
        if messages:
            return expression, messages
    return "", []


def discuz_posts(tree: etree._Element) -> list[tuple[str | None, etree._Element]]:
    """(author, message element) for each post, in thread order (full and touch views)."""
    spec = rules()["discuz"]
    expression, messages = discuz_messages(tree)
    posts = []
    for message in messages:
        author = None
        for ancestor in message.iterancestors():
            if len(xpath(ancestor, expression)) > 1:
                break  # climbed out of this post
            if keys := [k for k in map(author_key, elements_of(ancestor, spec["author_xpath"])) if k]:
                author = keys[0]
                break
        posts.append((author, message))
    return posts


def segmented_posts(tree: etree._Element) -> list[tuple[str | None, etree._Element]]:
    """(author, post) for the Archiver and printable views, where a post is a run of siblings.

    Each post is copied into a <div> of its own, from its author line up to the next author
    line or the first element that ends a post; the author line is left out.
    """
    spec = rules()["discuz"]
    starts = next((found for found in (elements_of(tree, [e]) for e in spec["post_start_xpath"]) if found), [])
    is_start = set(starts)
    posts: list[tuple[str | None, etree._Element]] = []
    for start in starts:
        post: etree._Element = lxml.html.Element("div")
        node: etree._Element | None = start
        while node is not None:
            if node is not start and (node in is_start or (is_element(node) and xpath(node, spec["post_end_xpath"]))):
                break
            post.append(copy.deepcopy(node))
            node = node.getnext()
        author, author_line = segment_author(post)
        if author_line is not None:
            remove_author_line(post, author_line)
        posts.append((author, post))
    return posts


def segment_author(post: etree._Element) -> tuple[str | None, str | None]:
    """The author a post's first line names, and that line; author links win over the line's text."""
    lines = block_lines(post)
    line = lines[0].split(SOFT_BREAK)[0] if lines else None
    first = next(child_elements(post), None)
    links = elements_of(first, rules()["discuz"]["author_xpath"]) if first is not None else []
    if keys := [k for k in map(author_key, links) if k]:
        return keys[0], line
    for pattern in discuz_patterns("author_line_patterns"):
        if line is not None and (match := pattern.match(line)):
            return match.group("author"), line
    return None, None


def remove_author_line(post: etree._Element, author_line: str) -> None:
    """Take the author line out of a segmented post: its element if it is a block, else its text."""
    first = next(child_elements(post), None)
    if first is not None and first.tag in BLOCK_TAGS and element_text(first) == squash(author_line):
        drop(first)
        return
    # Printable view: <b>作者: </b>name <b>时间: </b>date<br>: all before the first break goes.
    post.text = None
    for child in list(post):
        if is_element(child) and child.tag in LINE_BREAK_TAGS:
            drop(child)
            return
        post.remove(child)  # with its tail, which is the author line's text


def quotes_another_post(quote: etree._Element) -> bool:
    """Whether a quote block quotes another post (it links to it, or opens with its attribution)."""
    if elements_of(quote, rules()["discuz"]["quoted_post_xpath"]):
        return True
    pieces = [piece for line in block_lines(quote)[:2] for piece in line.split(SOFT_BREAK)]
    if pieces and any(p.match(pieces[0]) for p in discuz_patterns("quote_labels")):
        pieces = pieces[1:]
    return bool(pieces) and any(p.match(pieces[0]) for p in discuz_patterns("quoted_post_patterns"))


def drop_quotes_of_other_posts(message: etree._Element) -> None:
    for quote in elements_of(message, rules()["discuz"]["quote_xpath"]):
        attached = any(ancestor is message for ancestor in quote.iterancestors())
        if attached and quotes_another_post(quote):
            drop(quote)


def post_lines(message: etree._Element, site: str | None, keep_nonempty: bool) -> list[str]:
    """A post's lines without chrome and without quotes of other posts.

    With `keep_nonempty`, a post that stripping would empty keeps its quotes instead: a quote
    that is all the author wrote is their content.
    """
    untouched = copy.deepcopy(message) if keep_nonempty else None
    prune(message, "discuz", site, drop_quotes=True)
    lines = body_lines(message, "discuz")
    if not lines and untouched is not None:
        prune(untouched, "discuz", site)
        lines = body_lines(untouched, "discuz")
    return lines


def extract_discuz(
    tree: etree._Element, starter: str | None = None, site: str | None = None, replies: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The thread starter's posts, in order; everyone else's replies are not the document.

    The starter is the author of the first post, unless a thread's first page named it already.
    With `replies`, every post is kept (the whole thread, for comparison with whole-thread references).
    """
    posts = discuz_posts(tree) or segmented_posts(tree)
    if not posts:
        return [], {}
    starter = starter or posts[0][0]
    lines: list[str] = []
    for author, message in posts:
        if not replies and (author != starter or (starter is None and message is not posts[0][1])):
            continue
        lines.extend(post_lines(message, site, keep_nonempty=message is posts[0][1]))
    return lines, {"forum_author": starter} if starter else {}


# ---------------------------------------------------------------- articles


@dataclass(frozen=True)
class Body:
    """What a body extractor found: the lines, metadata it learnt, and the entry links of the main content."""

    lines: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    entries: int = 0  # links of MIN_ENTRY_CHARS or more in the main content, before chrome was pruned
    entry_share: float = 0.0  # the share of the main content's characters those links hold
    tables: list[list[list[str]]] = field(default_factory=list)  # the data tables' rows of cell texts


def content_node(tree: etree._Element, family: str) -> etree._Element | None:
    """The first container named by the family's rules that holds real text."""
    # Lazily, expression by expression: each walks the whole tree, and the first usually answers.
    for el in xpath_all(tree, rules()[family].get("content_xpath", [])):
        if is_element(el) and len(element_text(el)) >= MIN_CONTAINER_CHARS:
            return el
    return None


def entry_stats(node: etree._Element) -> tuple[int, float]:
    """How many links below `node` name a document, and the share of its characters they hold."""
    total = text_chars(node)
    entries = [c for c in (text_chars(a) for a in node.iter("a")) if c >= MIN_ENTRY_CHARS]
    return len(entries), (sum(entries) / total if total else 0.0)


def extract_container(tree: etree._Element, family: str, site: str | None = None) -> Body | None:
    """The family's content container, checked against content scoring, pruned; None when the page has none.

    The container a family's rules name is believed when it agrees with the scored content
    (`family_or_scored`); a rule that names a wrapper full of chrome, or some other box, loses
    to the scoring. Nothing is changed when None is returned.
    """
    node = content_node(tree, family)
    if node is None:
        return None
    body = tree.find("body")
    root = body if body is not None else tree
    stats = TreeStats(root)
    scored = main_content(root, MIN_ENTRY_CHARS, stats, clean=False)
    nodes = family_or_scored(node, scored, stats)
    if nodes is None or scored is None:
        entries, share = entry_stats(node)
        nodes = [node]
    else:
        scored.clean()
        entries, share = scored.entries, scored.entry_share
    lines: list[str] = []
    tables: list[list[list[str]]] = []
    for chosen in without_ads_and_media_boxes(nodes, BLOCK_TAGS | CELL_TAGS):
        prune(chosen, family, site)
        lines.extend(body_lines(chosen, family, tables))
    return Body(lines, {}, entries, share, tables)


def family_or_scored(container: etree._Element, scored: MainContent | None, stats: TreeStats) -> list[etree._Element] | None:
    """The scored article's nodes when they beat the family's container, else None (the container stands).

    The container stands when it holds the scored article and little else — fewer than
    LIST_MIN_ENTRIES document links and at most FAMILY_SLACK times the article's text — or lies
    inside the article and holds most of it (FAMILY_SHARE). A container full of menus and link
    rails, or another box of the page, loses to the scored article.
    """
    if scored is None or scored.kind != "article" or not scored.text_chars or container not in stats.index:
        return None
    chars, links, _ = stats.block_totals(stats.index[container])
    own = chars - links
    if all(node is container or container in node.iterancestors() for node in scored.nodes):
        extra_entries = entry_stats(container)[0] - scored.entries
        wrapper = extra_entries >= LIST_MIN_ENTRIES or own > FAMILY_SLACK * scored.text_chars
        return scored.nodes if wrapper else None
    if any(node is not container and node in container.iterancestors() for node in scored.nodes):
        return None if own >= FAMILY_SHARE * scored.text_chars else scored.nodes
    return scored.nodes


def extract_generic(
    tree: etree._Element,
    site: str | None = None,
    starter: str | None = None,
    replies: bool = False,
    article_declared: bool = False,
) -> Body | None:
    """The page's main content as cleaners/content.py scores it, pruned; None when no block holds text.

    A forum thread or a comment list on the page (cleaners/threads.py) is not scored with the
    rest: beside an article of the page's own it is comments, and is left out; without one it is
    the thread, and the starter's posts are the content (`starter`: the author a thread's first
    page named, on its later pages). With `replies` every post is kept, and the posts beside a
    topic are its replies, kept after it, unless the page declares itself an article
    (`article_declared`, cleaners/page_kind.py) or the topic names a news source (来源：…,
    责任编辑：…): then they are its comments all the same; the
    posts a page declares in microdata (a Q&A page's answers) count as a thread only then: they
    are many authors' answers, no starter's posts, and without replies the page's text is what
    the scoring finds.
    """
    body = tree.find("body")
    root = body if body is not None else tree
    stats = TreeStats(root)
    thread = find_thread(root, stats, declared=replies)
    found = main_content(root, MIN_ENTRY_CHARS, stats, thread.posts if thread else ())
    nodes = found.nodes if found is not None else []
    metadata: dict[str, str] = {}
    if thread is not None and not (
        found is not None and found.kind == "article" and root not in nodes and opens_thread(nodes, thread, stats)
    ):
        # No article of the page's own beside the thread (the scored "article" is the whole page
        # around it: its chrome): the thread is the content.
        posts = thread.posts if replies else thread.starter_posts(starter)
        nodes = [message_of(post, nested=replies) for post in posts]
        found = MainContent(nodes, "thread", 0, 0.0)
        if starter or thread.starter:
            metadata["forum_author"] = starter or thread.starter or ""
    elif thread is not None and replies and not article_declared and not names_news_source(
        line for node in nodes for line in block_lines(node)
    ):
        nodes = nodes + [message_of(post, nested=True) for post in thread.posts]
    if found is None:
        return None
    lines: list[str] = []
    tables: list[list[list[str]]] = []
    for node in without_ads_and_media_boxes(nodes, BLOCK_TAGS | CELL_TAGS):
        prune(node, "generic", site)
        lines.extend(body_lines(node, "generic", tables))
    return Body(lines, metadata, found.entries, found.entry_share, tables)


def opens_thread(nodes: list[etree._Element], thread: Thread, stats: TreeStats) -> bool:
    """Whether content found outside a thread's posts is its topic: text of its own, before the posts.

    A topic or an article comes before its replies and comments; text after them is the page's
    chrome, and the thread's first post is then its opening post.
    """
    own = sum(text_chars(node) - sum(text_chars(a) for a in node.iter("a")) for node in nodes)
    first_post = stats.index[thread.posts[0]]
    return own >= MIN_TOPIC_CHARS and any(stats.index.get(node, first_post) < first_post for node in nodes)


def extract_with_trafilatura(tree: etree._Element, site: str | None = None) -> Body:
    """Trafilatura's main-content guess over the pruned page, serialised by block: a fallback."""
    # Imported when a page first falls back to it (none of the 74 real pages does): trafilatura
    # and what it loads (htmldate, courlan, jusText …) are ~22 MB in every process otherwise.
    import trafilatura

    body = tree.find("body")
    if body is not None:
        prune(body, "generic", site)
    result = trafilatura.bare_extraction(
        lxml.html.tostring(tree, encoding="unicode"),  # type: ignore[call-overload]  # any element serialises; the stubs want HtmlElement
        fast=True,  # its own fallbacks (readability, jusText) are what our scoring already tried
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        deduplicate=False,
        with_metadata=False,
        config=trafilatura_config(),
    )
    found = getattr(result, "body", None)
    return Body(body_lines(found, "generic") if found is not None else [])


def login_share(tree: etree._Element) -> float:
    """The largest share of the page's visible text that one password form holds."""
    forms = xpath(tree, "//form[.//input[@type='password']]")
    body = tree.find("body")
    if not forms or body is None:
        return 0.0
    total = visible_chars(body)
    return max((visible_chars(form) / total for form in forms), default=0.0) if total else 0.0


def visible_chars(el: etree._Element) -> int:
    return sum(len(t.strip()) for t in xpath(el, ".//text()[not(ancestor::script or ancestor::style)]"))


# ---------------------------------------------------------------- the flow


def extract_body(
    html: str,
    tree: etree._Element,
    family: str,
    starter: str | None,
    site: str | None,
    fallbacks: list[str],
    replies: bool = False,
    structured: tuple[str | None, str] | None = None,
    article_declared: bool = False,
) -> Body:
    """The body by the family's extractor, else by content scoring, else from the page's JSON-LD
    (`structured`: headline and article body), else trafilatura's, else the plain text.
    `article_declared`: the page says it is an article (see `extract_generic`)."""
    if family == "discuz":
        posts = attempt("discuz", fallbacks, lambda: extract_discuz(tree, starter, site, replies), None)
        if posts is not None and posts[0]:
            return Body(*posts)
        if posts is not None:  # no post found: some other view of the thread
            record_fallback(fallbacks, "discuz", None)
        tree = fresh_tree(html, fallbacks)
    elif family != "generic":
        found, raised = try_stage(family, fallbacks, lambda: extract_container(tree, family, site))
        if found is not None and found.lines:
            return found
        if raised or found is not None:  # raised half-way, or pruned to nothing: start again from the page
            tree = fresh_tree(html, fallbacks)
    generic, raised = try_stage("generic", fallbacks, lambda: extract_generic(tree, site, starter, replies, article_declared))
    if generic is not None and sum(dense_chars(line) for line in generic.lines) >= SHELL_MAX_CHARS:
        return generic
    if structured is not None:  # the markup holds next to nothing, the JSON-LD holds the article
        return Body(structured[1].split("\n"), {"text_from": "json_ld"})
    if generic is not None and generic.lines:
        return generic
    if not raised:
        record_fallback(fallbacks, "generic", None)
    rescued = attempt("trafilatura", fallbacks, lambda: extract_with_trafilatura(fresh_tree(html, fallbacks), site), None)
    if rescued is not None and rescued.lines:
        return rescued
    return Body(attempt("plain", fallbacks, lambda: plain_lines(fresh_tree(html, fallbacks)), []))


def visible_text_chars(html: str) -> int:
    """Characters of text a browser without JavaScript shows in the page's body."""
    tree = parse(html)
    body = tree.find("body")
    root = body if body is not None else tree
    drop_never_content(root)
    return text_chars(root)


def fresh_tree(html: str, fallbacks: list[str]) -> etree._Element:
    """The page parsed again, its metadata table taken out: a failed extractor may have pruned the first."""
    tree = parse(html)
    body = tree.find("body")
    drop_never_content(body if body is not None else tree)
    none: tuple[dict[str, str], list[etree._Element]] = ({}, [])
    _, blocks = attempt("metadata", fallbacks, lambda: read_metadata(tree), none)
    for block in blocks:
        drop(block)
    return tree


def extract_html(html: str, starter: str | None = None, url: str | None = None, replies: bool = False) -> Extracted:
    """Title, body lines, family and metadata of one decoded HTML page. Never raises.

    `starter` is the forum author whose posts make the document, on a thread's later pages;
    `replies` keeps the other users' posts of a forum thread too (TEXT_SPEC rule 1 leaves them
    out: only for comparing with references that keep whole threads);
    `url` is where the page was found (links to other hosts are a spam signal). Character
    references that spell mis-decoded bytes are repaired first (encoding.repair_reference_mojibake).
    The page is parsed once; what is never text (scripts, styles, hidden chrome) is removed
    before anything else reads the tree.
    """
    fallbacks: list[str] = []
    site = host_of(url)
    html = repair_reference_mojibake(html)
    tree = parse(html)
    family = attempt("family", fallbacks, lambda: detect_family(html, tree), "generic")
    login = attempt("login_stats", fallbacks, lambda: login_share(tree), 0.0)
    signals = attempt("script_signals", fallbacks, lambda: script_signals(tree), ScriptSignals(0, ()))
    structured = attempt("json_ld", fallbacks, lambda: structured_text(tree), None)
    article_declared = attempt("page_kind", fallbacks, lambda: declares_article(tree), False)
    body = tree.find("body")
    attempt("never_content", fallbacks, lambda: drop_never_content(body if body is not None else tree), None)
    none: tuple[dict[str, str], list[etree._Element]] = ({}, [])
    metadata, blocks = none
    if family != "discuz":
        metadata, blocks = attempt("metadata", fallbacks, lambda: read_metadata(tree), none)
    title = attempt("title", fallbacks, lambda: find_title(tree, family, metadata), None)
    if title and "published" not in metadata:  # the unlabelled date-time under the headline
        stamp = attempt("info_bar_date", fallbacks, lambda: info_bar_date(tree, title), None)
        if stamp:
            metadata["published"] = stamp
    for block in blocks:
        drop(block)
    found = extract_body(html, tree, family, starter, site, fallbacks, replies, structured, article_declared)
    lines, rendered = found.lines, None
    if structured is None and sum(dense_chars(line) for line in lines) < SHELL_MAX_CHARS:  # next to nothing
        rendered = attempt("script_shell", fallbacks, lambda: shell_reason(signals, visible_text_chars(html)), None)
    if found.metadata.get("text_from") == "json_ld":
        title = title or (structured[0] if structured else None)
    metadata = {**metadata, **found.metadata}
    if fallbacks:
        metadata[FALLBACK_KEY] = "; ".join(fallbacks)
    return Extracted(
        title=title,
        text="\n".join(lines),
        script_rendered=rendered,
        family=family,
        metadata=metadata,
        link_entries=found.entries,
        link_share=found.entry_share,
        login_share=login,
        tables=found.tables,
    )
