"""Advertisements and media-player boxes inside an article's content, found by their structure.

Two kinds of block that sit between an article's paragraphs and are never its text:
- an **advertisement**: a link whose first child is an ad label, a badge before the ad's text
  (`<a><i>广告</i><span>…</span></a>`; labels 广告 / 推广 / AD …). Only a link, and only a label
  that is its first child's whole text, so a sentence that begins with the word (广告代言…,
  <p><b>广告</b>是…</p>) is untouched. Product cards whose label is an overlay on their image
  (知乎's mcn-link-card) are left alone: the magic/ forum gold keeps them, so dropping them cannot
  be measured as a gain;
- a **media box**: a short block whose class or id names a video or audio player, with the clip's
  title, duration and its 展开/收起 controls (a player's controls are never an article's text).
Both are judged only on blocks of at most `max_chars` characters that do not hold most of the
content they sit in. The labels, class names and size are data: rules/content.toml `[chrome_blocks]`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from lxml import etree

from cleaners.htmltree import is_element, short_squashed_text, squashed_text

RULES_PATH: Traversable = files("cleaners") / "rules" / "content.toml"


@dataclass(frozen=True)
class ChromeRules:
    ad_labels: frozenset[str]
    media_box_class: re.Pattern[str]
    max_chars: int


@cache
def chrome_rules(path: Traversable = RULES_PATH) -> ChromeRules:
    """The rules, read once from rules/content.toml `[chrome_blocks]`."""
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)["chrome_blocks"]
    return ChromeRules(
        ad_labels=frozenset(label.casefold() for label in data["ad_labels"]),
        media_box_class=re.compile("|".join(f"(?:{p})" for p in data["media_box_class"]), re.IGNORECASE),
        max_chars=int(data["max_chars"]),
    )


def opens_with_ad_label(el: etree._Element) -> bool:
    """Whether the element's first child is an ad label, with nothing before it (a badge before the ad's text)."""
    if (el.text or "").strip():
        return False
    first = next((child for child in el if is_element(child)), None)
    return first is not None and squashed_text(first).casefold() in chrome_rules().ad_labels


def is_media_box(el: etree._Element) -> bool:
    """Whether the element's class or id names a video or audio player or its box."""
    marks = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(marks.strip()) and bool(chrome_rules().media_box_class.search(marks))


def _has_ad_or_media_marks(el: etree._Element, blocks: frozenset[str]) -> bool:
    """A link opening with an ad label, or a block whose class or id names a player: cheap to test, and rare."""
    return (el.tag == "a" and opens_with_ad_label(el)) or (el.tag in blocks and is_media_box(el))


def _is_small_box(el: etree._Element, total: int) -> bool:
    """Whether `el` holds some text, at most max_chars of it and at most half of `total`."""
    text = short_squashed_text(el, chrome_rules().max_chars)
    return text is not None and text != "" and 2 * len(text) <= total


def is_ad_or_media_box(el: etree._Element, blocks: frozenset[str], total: int) -> bool:
    """Whether `el` is an ad or a media box among content of `total` characters (see the module)."""
    return _has_ad_or_media_marks(el, blocks) and _is_small_box(el, total)


def ads_and_media_boxes(node: etree._Element, blocks: frozenset[str]) -> Iterator[etree._Element]:
    """The ads (links) and media boxes (`blocks`) below `node`, outermost first.

    A candidate holding more than half of `node`'s text is the content itself and never yielded.
    """
    total: int | None = None  # node's text is read only once a marked candidate turns up
    skip: set[etree._Element] = set()
    for el in node.iterdescendants():
        if not is_element(el) or el in skip or not _has_ad_or_media_marks(el, blocks):
            continue
        if total is None:
            total = len(squashed_text(node))
        if _is_small_box(el, total):
            skip.update(el.iterdescendants())
            yield el


def without_ads_and_media_boxes(nodes: list[etree._Element], blocks: frozenset[str]) -> list[etree._Element]:
    """The content's nodes less those that are themselves an ad or a media box (a scored sibling)."""
    if len(nodes) < 2:
        return nodes
    total = sum(len(squashed_text(node)) for node in nodes)
    return [node for node in nodes if not is_ad_or_media_box(node, blocks, total)]
