"""Navigation inside an article's container: tag lists and headed lists of links to other articles.

A blog or news page often puts, inside the element that holds the article, the post's tags
(`<a rel="tag">`, HTML Living Standard §4.6.7.22 "Link type tag") and a "上一篇/下一篇" or "相关阅读"
section whose items are nothing but links to other articles. Their lines are short and carry no
chrome phrase, so line rules miss them; their structure gives them away. The rules are data
(`rules/navigation.toml`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from lxml import etree

from cleaners.htmltree import is_element, remove_keeping_tail, text_of

RULES_PATH: Traversable = files("cleaners") / "rules" / "navigation.toml"
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NavigationRules:
    tag_rels: frozenset[str]
    max_label_chars: int
    headings: tuple[re.Pattern[str], ...]
    max_heading_chars: int
    min_link_share: float


@cache
def rules() -> NavigationRules:
    """The navigation rules, read once."""
    with RULES_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    return NavigationRules(
        tag_rels=frozenset(rel.lower() for rel in data["tags"]["link_rels"]),
        max_label_chars=int(data["tags"]["max_label_chars"]),
        headings=tuple(re.compile(pattern) for pattern in data["sections"]["headings"]),
        max_heading_chars=int(data["sections"]["max_heading_chars"]),
        min_link_share=float(data["sections"]["min_link_share"]),
    )


def _bare(text: str) -> str:
    return _SPACE.sub("", text)


def _link_chars(node: etree._Element) -> int:
    return sum(len(_bare(text_of(link))) for link in node.iter("a"))


def _is_tag_link(link: etree._Element, spec: NavigationRules) -> bool:
    return bool(spec.tag_rels & set((link.get("rel") or "").lower().split()))


def _is_tag_list(node: etree._Element, spec: NavigationRules) -> bool:
    """Every link in `node` is a tag link, and its other text is at most a short label."""
    links = list(node.iter("a"))
    if not links or not all(_is_tag_link(link, spec) for link in links):
        return False
    other = len(re.sub(r"[\W_]", "", text_of(node))) - sum(len(re.sub(r"[\W_]", "", text_of(link))) for link in links)
    return other <= spec.max_label_chars


def drop_tag_lists(container: etree._Element) -> int:
    """Remove the blocks below `container` that list the document's tags; return how many.

    A block is the largest ancestor of a `rel="tag"` link (below `container`) whose links are
    all tag links and whose other text is at most `max_label_chars` letters ("标签：", "Tags:").
    """
    spec = rules()
    dropped = 0
    for link in list(container.iter("a")):
        if link.getparent() is None or not _is_tag_link(link, spec) or not _below(link, container):
            continue
        block = link
        for ancestor in link.iterancestors():
            if ancestor is container or not _is_tag_list(ancestor, spec):
                break
            block = ancestor
        remove_keeping_tail(block)
        dropped += 1
    return dropped


def _is_last(heading: etree._Element, after: etree._Element | None) -> bool:
    """Nothing with text follows `heading` in its parent (`after`: its first following element)."""
    if (heading.tail or "").strip():
        return False
    while after is not None:
        if (is_element(after) and text_of(after).strip()) or (after.tail or "").strip():
            return False
        after = after.getnext()
    return True


def _below(node: etree._Element, container: etree._Element) -> bool:
    return any(ancestor is container for ancestor in node.iterancestors())


def is_section_heading(node: etree._Element, spec: NavigationRules | None = None) -> bool:
    """A heading, or a short block of its own, that announces a list of links to other articles."""
    spec = spec or rules()
    text = _bare(text_of(node))
    if not text or len(text) > spec.max_heading_chars:
        return False
    if node.tag not in HEADING_TAGS and _link_chars(node) >= len(text):
        return False  # a link is an item of the list, not its heading
    return any(pattern.search(text) for pattern in spec.headings)


def is_link_list(node: etree._Element, spec: NavigationRules | None = None) -> bool:
    """A block whose text is (almost) all link text, holding at least one link."""
    spec = spec or rules()
    text = len(_bare(text_of(node)))
    return text > 0 and _link_chars(node) >= spec.min_link_share * text


def drop_headed_link_lists(container: etree._Element) -> int:
    """Remove "上一篇/下一篇", "相关阅读" … sections below `container`: the heading and the link lists after it.

    Returns how many sections were removed. A heading with nothing after it in its parent goes
    too (its list was removed as link-dense before); one followed by text stays.
    """
    spec = rules()
    dropped = 0
    for node in list(container.iter(etree.Element)):
        if node is container or node.getparent() is None or not is_element(node) or not is_section_heading(node, spec):
            continue
        lists = []
        sibling = node.getnext()
        while sibling is not None and (not is_element(sibling) or is_link_list(sibling, spec)):
            if is_element(sibling):
                lists.append(sibling)
            sibling = sibling.getnext()
        if not lists and not _is_last(node, sibling):
            continue  # text follows: a heading over body text, or a line the line rules judge
        if (node.tail or "").strip() or any((item.tail or "").strip() for item in lists[:-1]):
            continue  # text between them: not a heading over a list
        for item in (node, *lists):
            remove_keeping_tail(item)
        dropped += 1
    return dropped
