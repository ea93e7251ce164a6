"""The main content of a page: which part of the tree holds the text, found by scoring its blocks.

The scoring is Arc90 Readability's, as Mozilla's Readability.js keeps it (`_grabArticle`,
`_initializeNode`, `_getClassWeight`, `_cleanConditionally`), adapted to Chinese text: Chinese
sentence punctuation (，。；！？、) counts where Readability counts commas, and lengths are in
characters with whitespace removed (a Chinese character carries about what two or three Latin
letters do, so the length thresholds are Readability's divided accordingly).

1. `drop_never_content`: scripts, styles, form controls, <nav> … go; hidden elements go too,
   unless one of them holds most of the page's text (a WeChat article's body is hidden in the
   saved HTML until a script reveals it).
2. `TreeStats`: one pass over the tree counts, for every element, its characters, the characters
   inside links and the sentence punctuation outside links, in its whole subtree and in its own
   text (the text not inside a nested block element).
3. Every paragraph — a block whose own text is long enough — scores 1 + punctuation +
   min(characters / 100, 3); its parent gets the score, its grandparent half, ancestors further
   up a third of it per level (five levels). A candidate starts from its tag and class/id weight;
   its final score is multiplied by 1 - link density.
4. The best candidate, moved up where Readability moves it (a shared ancestor of the other top
   candidates, a parent scoring higher), with the siblings that score near it.
5. `clean_conditionally`: inside the content, blocks that look like chrome (negative class
   weight, mostly links, few sentences among many list items, images or inputs) are removed.

Phrases and class-name patterns are data (`rules/content.toml`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from lxml import etree

from cleaners.htmltree import remove_keeping_tail
from cleaners.page_chrome import ads_and_media_boxes

RULES_PATH: Traversable = files("cleaners") / "rules" / "content.toml"  # works inside a zipped egg too

# Elements that start a block of text: own text is counted per block.
BLOCK_TAGS = frozenset(
    [
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody",
        "thead", "tfoot", "tr", "td", "th", "blockquote", "section", "article", "header", "footer", "aside",
        "main", "center", "pre", "address", "figure", "figcaption", "form", "fieldset", "legend", "hr", "body",
    ]
)
# Blocks whose own text is a paragraph that scores (Readability scores p, td, pre, and divs used as p).
PARAGRAPH_TAGS = frozenset(
    ["p", "pre", "td", "blockquote", "dd", "div", "section", "article", "center", "font", "span", "main", "body"]
)
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# Elements that are list items by their tag, with or without a class.
ITEM_TAGS = frozenset(["li", "dd", "dt", "tr", "article"])
_PUNCTUATION = "，。；！？、"
_ASCII_SENTENCE = re.compile(r"[,.;!?](?:\s|$)")
# How far up a paragraph's score reaches (Readability.js: 5 ancestors).
SCORE_LEVELS = 5


@dataclass(frozen=True)
class ContentRules:
    """The data of `rules/content.toml`, compiled."""

    never_content_tags: frozenset[str]
    negative: re.Pattern[str]
    positive: re.Pattern[str]
    unlikely: re.Pattern[str]
    chrome: re.Pattern[str]
    maybe: re.Pattern[str]
    min_paragraph_chars: int
    hidden_main_share: float
    teaser_end: re.Pattern[str]
    min_headline_chars: int
    min_repeated_items: int
    min_list_entries: int
    body_marks: re.Pattern[str]


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


@cache
def content_rules(path: Traversable = RULES_PATH) -> ContentRules:
    """The content-scoring rules, read and compiled once."""
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    return ContentRules(
        never_content_tags=frozenset(data["never_content_tags"]),
        negative=_pattern(data["class_weight"]["negative"]),
        positive=_pattern(data["class_weight"]["positive"]),
        unlikely=_pattern(data["class_weight"]["unlikely"]),
        chrome=_pattern(data["class_weight"]["chrome"]),
        maybe=_pattern(data["class_weight"]["maybe"]),
        min_paragraph_chars=data["min_paragraph_chars"],
        hidden_main_share=data["hidden_main_share"],
        teaser_end=re.compile(data["teaser_end"]),
        min_headline_chars=data["min_headline_chars"],
        min_repeated_items=data["min_repeated_items"],
        min_list_entries=data["min_list_entries"],
        body_marks=re.compile(data["body_marks"], re.IGNORECASE),
    )


# ---------------------------------------------------------------- never content


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def is_hidden(el: etree._Element) -> bool:
    """Hidden by the `hidden` attribute, aria-hidden, or an inline display:none / visibility:hidden."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return style is not None and bool(_HIDDEN_STYLE.search(style))


def dense_chars(text: str | None) -> int:
    """Characters of `text` other than whitespace."""
    return len("".join(text.split())) if text else 0


def text_chars(el: etree._Element) -> int:
    """Non-whitespace characters of the text below `el` (its tail excluded)."""
    return sum(dense_chars(t) for t in el.itertext())


# Elements that may be hidden; `is_hidden` decides (an XPath pre-selection is much cheaper than a walk).
_MAYBE_HIDDEN = etree.XPath(
    ".//*[@hidden or @aria-hidden='true' or contains(@style, 'none') or contains(@style, 'hidden')"
    " or contains(@style, 'NONE') or contains(@style, 'HIDDEN')]"
)


def drop_never_content(root: etree._Element) -> None:
    """Remove what is never text: scripts, styles, form controls, <nav>, and hidden elements.

    A hidden element that holds at least `hidden_main_share` of the page's text stays: the page
    hides its own body until a script shows it (WeChat's `#js_content`), and the body is the page.
    A <noscript> is judged the same way: what a browser without JavaScript shows instead of an
    app (a forum engine's server-rendered posts) is the page; "please enable JavaScript" is not.
    """
    rules = content_rules()
    etree.strip_elements(root, *rules.never_content_tags, with_tail=False)
    hidden = [el for el in _MAYBE_HIDDEN(root) if is_hidden(el)]
    hidden.extend(root.iter("noscript"))
    if not hidden:
        return
    total = text_chars(root)
    hidden_set = set(hidden)
    for el in hidden:
        if any(ancestor in hidden_set for ancestor in el.iterancestors()):
            continue  # judged with its hidden ancestor
        if total and text_chars(el) >= rules.hidden_main_share * total:
            for inner in el.iterdescendants(etree.Element):
                hidden_set.discard(inner)  # judged on their own, inside the kept body
            continue
        remove_keeping_tail(el)


# ---------------------------------------------------------------- counting


def punctuation(text: str) -> int:
    """Sentence punctuation in `text`: Chinese marks, and ASCII marks followed by a space."""
    count = sum(text.count(mark) for mark in _PUNCTUATION)
    if "," in text or "." in text or ";" in text or "!" in text or "?" in text:
        count += len(_ASCII_SENTENCE.findall(text))
    return count


class TreeStats:
    """Counts for every element below a root, in one pass.

    `chars`, `link_chars`, `punct`: in the element's whole subtree (punctuation outside links);
    `own_chars`, `own_link_chars`, `own_punct`: in its own text, the text not inside a nested
    block element (meaningful for block elements). Elements are numbered in document order.
    """

    def __init__(self, root: etree._Element) -> None:
        els = [root, *root.iterdescendants(etree.Element)]
        index = {el: i for i, el in enumerate(els)}
        n = len(els)
        parent = [-1] * n
        block = [0] * n  # index of the nearest block element (itself if it is one)
        in_link = [False] * n
        own_chars = [0] * n
        own_link = [0] * n
        own_punct = [0] * n
        for i, el in enumerate(els):
            tag = el.tag
            if i:
                parent_el = el.getparent()
                assert parent_el is not None  # els[0] is the root: every later element has a parent
                p = index[parent_el]
                parent[i] = p
                block[i] = i if tag in BLOCK_TAGS else block[p]
                in_link[i] = tag == "a" or in_link[p]
            text = el.text
            if text and (c := dense_chars(text)):
                b = block[i]
                own_chars[b] += c
                if in_link[i]:
                    own_link[b] += c
                else:
                    own_punct[b] += punctuation(text)
            if i:
                tail = el.tail
                if tail and (c := dense_chars(tail)):
                    p = parent[i]
                    b = block[p]
                    own_chars[b] += c
                    if in_link[p]:
                        own_link[b] += c
                    else:
                        own_punct[b] += punctuation(tail)
        chars = own_chars[:]
        link_chars = own_link[:]
        punct = own_punct[:]
        for i in range(n - 1, 0, -1):
            if block[i] == i:
                p = block[parent[i]]
                chars[p] += chars[i]
                link_chars[p] += link_chars[i]
                punct[p] += punct[i]
        self.els = els
        self.index = index
        self.parent = parent
        self.block = block
        self.own_chars = own_chars
        self.own_link_chars = own_link
        self.own_punct = own_punct
        self.chars = chars
        self.link_chars = link_chars
        self.punct = punct
        # (unlikely, chrome, teaser items): element numbers, judged once by score_candidates
        self.marked: tuple[set[int], set[int], set[int]] | None = None

    def of(self, el: etree._Element) -> int:
        return self.index[el]

    def block_totals(self, i: int) -> tuple[int, int, int]:
        """(chars, link chars, punctuation) of element i's subtree, whether or not it is a block."""
        if self.block[i] == i:
            return self.chars[i], self.link_chars[i], self.punct[i]
        # An inline element: its own subtree's text is counted in its block; count it directly.
        el = self.els[i]
        chars = links = punct = 0
        for node in el.iter(etree.Element):
            for text, is_tail in ((node.text, False), (node.tail if node is not el else None, True)):
                if not text:
                    continue
                c = dense_chars(text)
                chars += c
                linked = (node.tag == "a" and not is_tail) or any(a.tag == "a" for a in node.iterancestors())
                if linked:
                    links += c
                else:
                    punct += punctuation(text)
        return chars, links, punct

    def link_density(self, i: int) -> float:
        chars, links, _ = self.block_totals(i)
        return links / chars if chars else 0.0


# ---------------------------------------------------------------- scoring


def class_weight(el: etree._Element) -> int:
    """Readability's class weight: ±25 for each of class and id that looks like content or chrome."""
    rules = content_rules()
    weight = 0
    for value in (el.get("class"), el.get("id")):
        if not value:
            continue
        if rules.negative.search(value):
            weight -= 25
        if rules.positive.search(value):
            weight += 25
    return weight


def tag_weight(tag: str) -> int:
    """Readability's `_initializeNode` score by tag."""
    if tag in ("div", "article", "section", "main"):
        return 5
    if tag in ("pre", "td", "blockquote"):
        return 3
    if tag in ("address", "ol", "ul", "dl", "dd", "dt", "li", "form"):
        return -3
    if tag in HEADING_TAGS or tag == "th":
        return -5
    return 0


def is_unlikely(el: etree._Element, strict: bool = True) -> bool:
    """Readability's unlikely candidate: its class or id names chrome and nothing that may be content.

    With `strict` False only what is chrome on any page counts (a dialog, a player, comments).
    """
    rules = content_rules()
    marks = f"{el.get('class') or ''} {el.get('id') or ''}"
    if not marks.strip() or el.tag in ("body", "a", "html"):
        return False
    if rules.maybe.search(marks):
        return False
    return bool(rules.chrome.search(marks)) or (strict and bool(rules.unlikely.search(marks)))


def paragraph_score(stats: TreeStats, i: int) -> float:
    """The score a block's own text earns as a paragraph; 0 if it is too short or only links."""
    rules = content_rules()
    chars = stats.own_chars[i] - stats.own_link_chars[i]
    if chars < rules.min_paragraph_chars:
        return 0.0
    marks = stats.own_punct[i]
    if stats.els[i].tag == "pre":  # code and verbatim text: its lines are its sentences
        marks = max(marks, "".join(stats.els[i].itertext()).strip().count("\n"))
    return 1.0 + marks + min(chars / 100.0, 3.0)


@dataclass
class Candidates:
    """Candidate containers and their scores (before link density)."""

    stats: TreeStats
    raw: dict[int, float]
    excluded: set[int]  # unlikely subtrees, left out of scoring
    holds_paragraph: set[int] = field(default_factory=set)  # elements holding a scored paragraph of plain text

    def score(self, i: int) -> float:
        """The final score: raw score × (1 - link density)."""
        return self.raw.get(i, 0.0) * (1.0 - self.stats.link_density(i))


def teaser_items(stats: TreeStats) -> set[int]:
    """List entries that announce other pages: repeated siblings that each hold a headline link.

    An item is an element with at least `min_repeated_items` siblings of the same tag and class
    (a <li> of a feed, a card of a "more stories" stream) that holds a link of at least
    `min_headline_chars` characters. Its paragraphs are summaries of other pages, not this one's
    text, however long they are.
    """
    rules = content_rules()
    most = stats.chars[0] / 2  # an "item" holding half the page is the page
    headline_items: set[int] = set()
    for i, el in enumerate(stats.els):
        if el.tag != "a" or stats.chars[stats.block[i]] == 0:
            continue
        if dense_chars("".join(el.itertext())) < rules.min_headline_chars:
            continue
        p = stats.parent[i]
        while p >= 0:
            headline_items.add(p)
            p = stats.parent[p]
    teasers: set[int] = set()
    for parent in {stats.parent[i] for i in headline_items if i}:
        if parent < 0:
            continue
        children = [c for c in stats.els[parent].iterchildren(etree.Element)]
        if len(children) < rules.min_repeated_items:
            continue
        signatures: dict[tuple[str, str], list[int]] = {}
        for child in children:
            kind = child.get("class") or ""
            if kind or child.tag in ITEM_TAGS:  # <div>s without a class are not alike, just unnamed
                signatures.setdefault((str(child.tag), kind), []).append(stats.index[child])
        for members in signatures.values():
            holding = [m for m in members if m in headline_items and stats.block_totals(m)[0] < most]
            if len(members) >= rules.min_repeated_items and len(holding) >= rules.min_repeated_items:
                teasers.update(holding)
    return teasers


def score_candidates(stats: TreeStats, skip_unlikely: bool, exclude: frozenset[int] = frozenset()) -> Candidates:
    """Every paragraph's score given to its ancestors; candidates start from tag and class weight.

    Paragraphs inside unlikely subtrees (all of them when `skip_unlikely`, else only those that
    are chrome on any page), inside `exclude` (element numbers) and inside teaser items do not score.
    """
    els = stats.els
    if stats.marked is None:  # the same for both passes: judged once
        # Inside code, a class names a token (Prism's "token comment"), never a part of the page.
        in_code = [False] * len(els)
        for i in range(1, len(els)):
            in_code[i] = in_code[stats.parent[i]] or els[stats.parent[i]].tag in ("pre", "code")
        named = [i for i, el in enumerate(els) if i and not in_code[i] and (el.get("class") or el.get("id"))]
        stats.marked = (
            {i for i in named if is_unlikely(els[i])},
            {i for i in named if is_unlikely(els[i], strict=False)},
            teaser_items(stats),
        )
    unlikely, chrome, teasers = stats.marked
    marked = unlikely if skip_unlikely else chrome
    excluded: set[int] = set()
    for i in range(len(els)):
        if stats.parent[i] in excluded or i in exclude or i in marked:
            excluded.add(i)
    raw: dict[int, float] = {}
    holds_paragraph: set[int] = set()
    for i, el in enumerate(els):
        if i in excluded or stats.block[i] != i or el.tag not in PARAGRAPH_TAGS:
            continue
        score = paragraph_score(stats, i)
        if not score:
            continue
        if teasers and any(a in teasers for a in ancestors(stats, i)):
            continue
        if stats.own_link_chars[i] * 2 < stats.own_chars[i]:
            holds_paragraph.add(i)
            holds_paragraph.update(ancestors(stats, i))
        ancestor = stats.parent[i]
        level = 0
        while ancestor >= 0 and level < SCORE_LEVELS:
            if ancestor not in raw:
                raw[ancestor] = tag_weight(str(els[ancestor].tag)) + class_weight(els[ancestor])
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            raw[ancestor] += score / divider
            ancestor = stats.parent[ancestor]
            level += 1
    return Candidates(stats, raw, excluded, holds_paragraph)


def top_candidate(candidates: Candidates) -> int | None:
    """The best candidate, moved up as Readability moves it; None if nothing scored."""
    stats = candidates.stats
    if not candidates.raw:
        return None
    ranked = sorted(candidates.raw, key=candidates.score, reverse=True)
    top = ranked[0]
    top_score = candidates.score(top)
    if top_score <= 0:
        return None
    # Several strong candidates inside one ancestor: the content is that ancestor (split articles).
    close = [c for c in ranked[1:5] if candidates.score(c) >= 0.75 * top_score]
    if len(close) >= 2:
        ancestors_of = [set(ancestors(stats, c)) for c in close]
        for ancestor in ancestors(stats, top):
            if sum(ancestor in chain for chain in ancestors_of) >= 2:
                top = ancestor
                break
    # A parent that scores higher holds more of the content.
    last = candidates.score(top)
    threshold = last / 3
    parent = stats.parent[top]
    while parent > 0:
        if parent not in candidates.raw:
            parent = stats.parent[parent]
            continue
        parent_score = candidates.score(parent)
        if parent_score < threshold:
            break
        if parent_score > last:
            top = parent
            break
        last = parent_score
        parent = stats.parent[parent]
    # An only child is its parent's content.
    while top > 0:
        parent_el = stats.els[stats.parent[top]]
        if parent_el.tag == "body" or sum(1 for _ in parent_el.iterchildren(etree.Element)) != 1:
            break
        top = stats.parent[top]
    return top


def ancestors(stats: TreeStats, i: int) -> list[int]:
    found = []
    p = stats.parent[i]
    while p >= 0:
        found.append(p)
        p = stats.parent[p]
    return found


def with_siblings(candidates: Candidates, top: int) -> list[etree._Element]:
    """The top candidate and the siblings that belong with it (Readability's sibling step)."""
    stats = candidates.stats
    top_el = stats.els[top]
    parent = top_el.getparent()
    if parent is None or top_el.tag == "body":
        return [top_el]
    top_score = candidates.score(top)
    threshold = max(10.0, top_score * 0.2)
    top_class = top_el.get("class")
    chosen = []
    for sibling in parent.iterchildren(etree.Element):
        if sibling is top_el:
            chosen.append(sibling)
            continue
        i = stats.index.get(sibling)
        if i is None or i in candidates.excluded:
            continue
        bonus = top_score * 0.2 if top_class and sibling.get("class") == top_class else 0.0
        if i in candidates.raw and candidates.score(i) + bonus >= threshold:
            chosen.append(sibling)
            continue
        if is_paragraph_sibling(stats, i):
            chosen.append(sibling)
    return chosen


def is_paragraph_sibling(stats: TreeStats, i: int) -> bool:
    """Readability's test for a paragraph beside the content: long with few links, or a short sentence.

    Only a block without blocks inside it is a paragraph; a teaser (ending in … or 【详细】) is not.
    """
    el = stats.els[i]
    if el.tag != "p" and (el.tag not in PARAGRAPH_TAGS or stats.block[i] != i or has_blocks(el)):
        return False
    chars, links, _ = stats.block_totals(i)
    density = links / chars if chars else 1.0
    text = element_text(el)
    if chars >= 40:
        return density < 0.25 and not content_rules().teaser_end.search(text)
    return chars > 0 and density == 0 and bool(re.search(r"[。！？.!?]$", text))


def element_text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()


# ---------------------------------------------------------------- cleaning inside the content


CONDITIONAL_TAGS = frozenset(
    ["form", "fieldset", "table", "ul", "ol", "div", "section", "aside", "header", "footer", "dl"]
)


def clean_conditionally(nodes: list[etree._Element], candidates: Candidates) -> None:
    """Remove blocks inside the content that look like chrome (Readability's `_cleanConditionally`).

    A block goes when its class weight and score are negative, or, when it holds fewer than 10
    sentence marks, when it is mostly links, a list with fewer paragraphs than items, a gallery,
    a form, or almost empty.
    """
    stats = candidates.stats
    rules = content_rules()
    for node in nodes:
        node_chars = stats.block_totals(stats.index[node])[0] if node in stats.index else 0
        for el in reversed(list(node.iterdescendants(etree.Element))):
            if el.tag not in CONDITIONAL_TAGS or el.getparent() is None:
                continue
            if any(a.tag in ("pre", "code") for a in el.iterancestors()):
                continue
            i = stats.index.get(el)
            if i is None:
                continue
            chars, links, punct = stats.block_totals(i)
            if chars * 2 > node_chars:
                continue  # it holds most of the content: the content, not chrome inside it
            weight = class_weight(el)
            if weight + candidates.raw.get(i, 0.0) < 0:
                remove_keeping_tail(el)
                continue
            if punct >= 10 or i in candidates.holds_paragraph:
                continue  # sentences, or a paragraph of the page's own: text, whatever links it holds
            density = links / chars if chars else 0.0
            paragraphs = sum(1 for _ in el.iter("p"))
            images = sum(1 for _ in el.iter("img"))
            items = sum(1 for _ in el.iter("li")) - 100 if el.tag not in ("ul", "ol") else 0
            inputs = sum(1 for _ in el.iter("input"))
            is_list = el.tag in ("ul", "ol")
            if (
                (images > 1 and paragraphs / images < 0.5 and chars < 2 * rules.min_paragraph_chars * images)
                or (not is_list and items > paragraphs)
                or (inputs > paragraphs // 3 + 0 and inputs > 0)
                or (chars < rules.min_paragraph_chars and images == 0 and el.tag != "table" and has_blocks(el))
                or (weight < 25 and density > 0.2 and chars < 500)
                or (weight >= 25 and density > 0.5)
            ):
                remove_keeping_tail(el)


def has_blocks(el: etree._Element) -> bool:
    """Whether a block holds other blocks (a container), rather than only text and inline elements."""
    return any(child.tag in BLOCK_TAGS for child in el.iterdescendants(etree.Element))


# ---------------------------------------------------------------- lists


def entry_link_chars(stats: TreeStats, excluded: set[int], min_entry_chars: int) -> tuple[list[int], list[int]]:
    """Per element: characters and number of the entry links below it (links of `min_entry_chars` or more).

    Links inside excluded (chrome) subtrees do not count.
    """
    n = len(stats.els)
    chars = [0] * n
    count = [0] * n
    for i, el in enumerate(stats.els):
        if el.tag != "a" or i in excluded:
            continue
        c = text_chars(el)
        if c < min_entry_chars:
            continue
        p = i
        while p >= 0:
            chars[p] += c
            count[p] += 1
            p = stats.parent[p]
    return chars, count


def list_container(stats: TreeStats, entry_chars: list[int], share: float = 0.8) -> int:
    """The lowest element that holds `share` of the entry-link characters below the root."""
    node = 0
    while True:
        wanted = entry_chars[node] * share
        child = next(
            (stats.index[c] for c in stats.els[node].iterchildren(etree.Element) if entry_chars[stats.index[c]] >= wanted),
            None,
        )
        if child is None or entry_chars[node] == 0:
            return node
        node = child


# ---------------------------------------------------------------- the step


@dataclass(frozen=True)
class MainContent:
    """The elements that hold a page's main content, in document order.

    `kind` is "article" (scored paragraphs) or "list" (the page has no text of its own, and its
    main content is the container of its entry links). `entries` and `entry_share` are the entry
    links in the main content before cleaning, and the share of its characters they hold: what a
    list_page verdict is judged on. `text_chars` counts its characters outside links.
    `candidates` are the scores it was chosen by (for `clean`).
    """

    nodes: list[etree._Element]
    kind: str
    entries: int
    entry_share: float
    text_chars: int = 0
    candidates: Candidates | None = None

    def clean(self) -> None:
        """Remove the chrome blocks inside the content, in place (an article's unlikely blocks, `clean_conditionally`)."""
        if self.candidates is None:
            return
        stats = self.candidates.stats
        for node in self.nodes:  # before the scores' cleaning, which can take an ad's label alone
            for el in list(ads_and_media_boxes(node, BLOCK_TAGS)):
                remove_keeping_tail(el)
        inside = set(self.nodes)
        for excluded in sorted(self.candidates.excluded):
            el = stats.els[excluded]
            if stats.parent[excluded] not in self.candidates.excluded and any(a in inside for a in el.iterancestors()):
                remove_keeping_tail(el)  # an unlikely block inside the content: chrome
        clean_conditionally(self.nodes, self.candidates)


def main_content(
    root: etree._Element,
    min_entry_chars: int = 6,
    stats: TreeStats | None = None,
    exclude: Iterable[etree._Element] = (),
    clean: bool = True,
) -> MainContent | None:
    """The main content below `root` (a page's <body>), cleaned in place unless `clean` is False
    (`MainContent.clean` does it later); None if the page has no text.

    `root` must have been through `drop_never_content`. Unlikely candidates (comment boxes,
    sidebars, footers by their class or id) are left out of scoring, unless that leaves too
    little text: then they are scored too (Readability's retry). A page whose best content holds
    fewer than two paragraphs' worth of text outside links is judged by its entry links instead:
    their container is its main content (a list page), whatever links its chrome holds elsewhere.
    `min_entry_chars`: a link with this many characters names a document (an entry of a list).
    `stats` are the counts of `root` if already made; `exclude` are elements that are not the
    content (a thread's posts): they do not score and are removed from the content.
    """
    rules = content_rules()
    stats = stats or TreeStats(root)
    left_out = frozenset(stats.index[el] for el in exclude if el in stats.index)
    chosen: tuple[Candidates, list[etree._Element]] | None = None
    for skip_unlikely in (True, False):
        candidates = score_candidates(stats, skip_unlikely, left_out)
        top = top_candidate(candidates)
        if top is None:
            continue
        nodes = with_siblings(candidates, top)
        total = sum(stats.block_totals(stats.index[n])[0] for n in nodes)
        if skip_unlikely and total < 0.2 * stats.chars[0] and total < 10 * rules.min_paragraph_chars:
            continue
        chosen = candidates, nodes
        break
    excluded = chosen[0].excluded if chosen else set()
    entry_chars, entry_count = entry_link_chars(stats, excluded, min_entry_chars)
    text = 0
    if chosen:
        text = sum(stats.block_totals(stats.index[n])[0] - stats.block_totals(stats.index[n])[1] for n in chosen[1])
    found: MainContent | None = None
    if chosen is None or text < 2 * rules.min_paragraph_chars:
        box = list_container(stats, entry_chars)
        if entry_count[box] >= rules.min_list_entries:
            body = marked_body(stats, box, entry_count, excluded)
            if body is None:
                chars, links, _ = stats.block_totals(box)
                share = entry_chars[box] / chars if chars else 0.0
                return MainContent([stats.els[box]], "list", entry_count[box], share, chars - links)
            chosen = candidates, [stats.els[body]]
    if chosen is not None:
        found = article(stats, *chosen, entry_chars, entry_count)
        if clean:
            found.clean()
    return found


def marked_body(stats: TreeStats, box: int, entry_count: list[int], excluded: set[int]) -> int | None:
    """A short body the page marks as its text (`body_marks`: post-content, markdown-body …) beside a link list.

    A forum post of one line and an attachment holds too little text to score as paragraphs; a
    list of links beside it (the author's latest posts) would then pass for the page's content.
    The element whose class names the body wins, when it holds text outside links, is neither
    inside the list `box` nor around it, and holds no list of its own. None when there is none.
    """
    rules = content_rules()
    best: tuple[int, int] | None = None
    for i, el in enumerate(stats.els):
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if not marks.strip() or not rules.body_marks.search(marks) or i in excluded:
            continue
        chars, links, _ = stats.block_totals(i)
        line = ancestors(stats, i)
        if chars - links <= 0 or box in line or i in ancestors(stats, box) or i == box:
            continue
        if entry_count[i] >= rules.min_list_entries or any(a in excluded for a in line):
            continue
        if best is None or chars - links > best[0]:
            best = chars - links, i
    return best[1] if best else None


def article(
    stats: TreeStats, candidates: Candidates, nodes: list[etree._Element], entry_chars: list[int], entry_count: list[int]
) -> MainContent:
    """The chosen article nodes, with their entry-link counts (not cleaned yet)."""
    indices = [stats.index[n] for n in nodes]
    chars = sum(stats.block_totals(i)[0] for i in indices)
    links = sum(stats.block_totals(i)[1] for i in indices)
    entries = sum(entry_count[i] for i in indices)
    share = sum(entry_chars[i] for i in indices) / chars if chars else 0.0
    return MainContent(nodes, "article", entries, share, chars - links, candidates)
