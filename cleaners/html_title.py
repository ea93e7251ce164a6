"""The title of an HTML page: the heading that agrees with what the page declares as its title.

A page declares its title in `<title>`, `og:title` and `twitter:title`, usually with the site's
name after a separator ("X_网易财经", "X - 维基百科，自由的百科全书", "X-中国科普网"). Its headings
name the article, but a page has many: the site logo in an `<h1>`, section heads of link lists
("更多 全部文章"), navigation ("热门"), and the article's own heading often carries chrome after
its text (a Wikipedia "[编辑]" link, a read-aloud button, a word count, a forum's 只看楼主 收藏 回复).

So the title is chosen in tiers (`find_title`):
1. a heading or title-classed element whose text is a whole declared title;
2. one whose *leading text*, ending where a child element starts or ends, is a declared title
   or its part before a separator: the agreeing part is the title, and what follows it in the
   element (buttons, counters, edit links) is not;
3. a heading that starts a declared title or that a declared title starts (titles get cut);
4. the first heading (of the family's and the common `title_xpath`) that is not page chrome: a
   logo, a navigation label, a link list's head, a heading that is only a link to the home page;
5. the declared title without its site suffix.
Within a tier the family's own title rules come first (rules/sites.toml `title_xpath`), then the
common ones, then the title-classed elements and plain headings (`title_hint_xpath`).
The rules (XPath, separators, chrome class names and link phrases) are data in rules/sites.toml.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from cleaners.htmltree import is_element, squashed_text, xpath

MAX_TITLE_CHARS = 80
# A declared title's leading part shorter than this (letters, digits, Han) says too little to confirm.
MIN_AGREEING_CHARS = 4
TITLE_PREFIX_RE = re.compile(r"^\s*[\[【［][^\]】］]{1,12}[\]】］]\s*")
SPACE_RE = re.compile(r"\s+")
TRAILING_ELLIPSIS_RE = re.compile(r"(\.{2,}|…+)\s*$")
ROOT_PATH_RE = re.compile(r"^/?(index\.[a-z]+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class TitleRules:
    """The `[common]` title rules of rules/sites.toml, compiled."""

    declared_xpath: tuple[str, ...]
    hint_xpath: tuple[str, ...]
    separators: re.Pattern[str]  # between a title and the site's name: where the title's core ends
    part_separators: re.Pattern[str]  # also places where a part that a heading may confirm ends
    chrome_class: re.Pattern[str]  # class/id of a heading (or its parts) that is page chrome
    chrome_link: re.Pattern[str]  # text of a link that makes its heading a link list's head


@cache
def title_rules() -> TitleRules:
    """The title rules, read once from rules/sites.toml."""
    from cleaners.extract import rules  # the one reader of sites.toml

    common = rules()["common"]
    return TitleRules(
        declared_xpath=tuple(common["title_declared_xpath"]),
        hint_xpath=tuple(common["title_hint_xpath"]),
        separators=re.compile("|".join(f"(?:{p})" for p in common["title_separators"])),
        part_separators=re.compile(
            "|".join(f"(?:{p})" for p in [*common["title_separators"], *common["title_part_separators"]])
        ),
        chrome_class=re.compile("|".join(f"(?:{p})" for p in common["title_chrome_class"]), re.IGNORECASE),
        chrome_link=re.compile("|".join(f"(?:{p})" for p in common["title_chrome_link"]), re.IGNORECASE),
    )


def squash(text: str | None) -> str:
    return SPACE_RE.sub(" ", text or "").strip()


def normalize_title(title: str | None) -> str | None:
    """NFKC, ideographic spaces as spaces, whitespace runs collapsed; None when nothing is left."""
    if not title:
        return None
    title = squash(unicodedata.normalize("NFKC", title).replace("\u3000", " "))
    return title or None


def key(text: str) -> str:
    """What two titles are compared on: NFKC, no whitespace, no trailing ellipsis of a cut title."""
    text = unicodedata.normalize("NFKC", text)
    return SPACE_RE.sub("", TRAILING_ELLIPSIS_RE.sub("", text))


def page_title(tree: etree._Element) -> str | None:
    """The <title> without site suffix or forum prefix ('[上海] X - 论坛 - Powered by Discuz!' -> X)."""
    return title_core(tree.findtext(".//title"))


def title_core(raw: str | None) -> str | None:
    """A declared title's first part before a site separator, less a 【…】/[…] prefix; None if empty."""
    raw = squash(raw)
    if not raw:
        return None
    parts = [p for p in title_rules().separators.split(raw) if p and p.strip() and "powered by" not in p.lower()]
    if not parts:
        return None
    return TITLE_PREFIX_RE.sub("", parts[0]).strip() or None


@dataclass(frozen=True)
class Declared:
    """The keys a page's declared titles agree with.

    `wholes`: the whole declared titles; `parts`: those and their leading parts that end at a
    separator ("X" of "X_网易财经"); `raw`: every declared title and its core, for the start-of
    rule (tier 3).
    """

    wholes: frozenset[str]
    parts: frozenset[str]
    raw: tuple[str, ...]


def declared_titles(tree: etree._Element) -> list[str]:
    """The page's own statements of its title (<title>, og:title, twitter:title), normalized."""
    found = []
    for value in xpath_all(tree, title_rules().declared_xpath):
        text = normalize_title(value if isinstance(value, str) else squashed_text(value))
        if text and text not in found:
            found.append(text)
    return found


def declared_keys(declared: Iterable[str]) -> Declared:
    """The keys of `Declared` for these declared titles."""
    separators = title_rules().part_separators
    wholes: set[str] = set()
    parts: set[str] = set()
    raw: list[str] = []
    for title in declared:
        raw.append(title)
        if core := title_core(title):
            raw.append(core)
        wholes.update(key(t) for t in (title, TITLE_PREFIX_RE.sub("", title)))
        for cut in (m.start() for m in separators.finditer(title) if m.start() > 0):
            for head in (title[:cut], TITLE_PREFIX_RE.sub("", title[:cut])):
                if len(key(head)) >= MIN_AGREEING_CHARS:
                    parts.add(key(head))
    return Declared(frozenset(wholes), frozenset(parts | wholes), tuple(raw))


def leading_texts(el: etree._Element) -> list[str]:
    """The element's text up to each place where a child element starts or ends, shortest first.

    Only texts of at most MAX_TITLE_CHARS characters: a title is never longer.
    """
    found: list[str] = []
    sofar = ""
    for piece in el.itertext():
        sofar += piece
        text = normalize_title(TITLE_PREFIX_RE.sub("", sofar))
        if text and len(text) > MAX_TITLE_CHARS:
            break
        if text and (not found or text != found[-1]):
            found.append(text)
    return found


def same_title(heading: str, declared: str) -> bool:
    """A heading and a declared title name the same page when one starts the other (titles get cut)."""
    short, long = sorted((key(heading), key(declared)), key=len)
    return len(short) >= MIN_AGREEING_CHARS and long.startswith(short)


def agreement(candidate: str | etree._Element, declared: Declared) -> tuple[int, str] | None:
    """(tier, title) of a candidate that agrees with the declared titles (tiers 1–3), else None."""
    if isinstance(candidate, str):
        whole = normalize_title(TITLE_PREFIX_RE.sub("", candidate))
        texts = [whole] if whole else []
    else:
        whole = normalize_title(TITLE_PREFIX_RE.sub("", squashed_text(candidate)))
        texts = leading_texts(candidate)
    if whole and len(whole) <= MAX_TITLE_CHARS and key(whole) in declared.wholes:
        return 1, whole
    for text in reversed(texts):  # the longest agreeing part
        if key(text) in declared.parts:
            return 2, text
    if whole and len(whole) <= MAX_TITLE_CHARS and any(same_title(whole, d) for d in declared.raw):
        return 3, whole
    return None
    if key(whole) in declared.wholes:
        return 2, whole
    if any(same_title(whole, d) for d in declared.raw):
        return 3, whole
    return None


def is_chrome_heading(el: etree._Element) -> bool:
    """A heading that is page chrome: a logo, navigation, a link list's head, a home-page link.

    Its class or id (or that of an ancestor or a part of it) names a logo, banner, site name or
    navigation; or it holds an image (a logo); or one of its links reads "更多"/"more"; or all its
    text is inside links to the site's home page.
    """
    rules = title_rules()
    for node in [el, *el.iterancestors(), *el.iterdescendants()]:
        if is_element(node) and rules.chrome_class.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    if xpath(el, ".//img"):
        return True
    links = xpath(el, ".//a")
    if any(rules.chrome_link.fullmatch(squashed_text(a)) for a in links):
        return True
    home = [a for a in links if is_home_link(a.get("href"))]
    return bool(home) and sum(len(key(squashed_text(a))) for a in home) >= len(key(squashed_text(el)))


def is_home_link(href: str | None) -> bool:
    """Whether a link points at a site's home page ("/", "http://host/", "index.html")."""
    if href is None:
        return False
    parts = urlsplit(href.strip())
    return not parts.query and not parts.fragment and bool(ROOT_PATH_RE.match(parts.path)) and (
        bool(parts.netloc) or parts.path.startswith("/") or parts.path.lower().startswith("index.")
    )


def xpath_all(node: etree._Element, expressions: Iterable[str]) -> list[Any]:
    found: list[Any] = []
    for expression in expressions:
        found.extend(xpath(node, expression))
    return found


def find_title(tree: etree._Element, expressions: Sequence[str], metadata_title: str | None = None) -> str | None:
    """The page's title by the tiers of this module's docstring; None when the page names none.

    `expressions` are the family's and the common `title_xpath` rules (elements or strings), in
    order; `metadata_title` is a title read from the page's metadata table (标题：…), tried first.
    """
    rules = title_rules()
    declared = declared_titles(tree)
    keys = declared_keys(declared)
    headings: list[str | etree._Element] = [metadata_title] if metadata_title else []
    headings.extend(r for r in xpath_all(tree, expressions) if isinstance(r, str) or is_element(r))
    hints = [el for el in xpath_all(tree, rules.hint_xpath) if is_element(el)]
    agreeing = [a for a in (agreement(c, keys) for c in [*headings, *hints]) if a]
    if agreeing:
        return min(agreeing, key=lambda a: a[0])[1]  # min keeps the first of the best tier
    for candidate in headings:
        if isinstance(candidate, str):
            text = normalize_title(TITLE_PREFIX_RE.sub("", candidate))
        elif is_chrome_heading(candidate):
            continue
        else:
            text = normalize_title(TITLE_PREFIX_RE.sub("", squashed_text(candidate)))
        if text and len(text) <= MAX_TITLE_CHARS:
            return text
    cores = [title_core(d) for d in reversed(declared)]  # og:title, twitter:title before <title>
    return next((normalize_title(c) for c in cores if c), None)
