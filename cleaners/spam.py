"""Injected gambling spam, judged from context: never one word alone.

Hacked and careless sites inject links to gambling sites into articles (`九游会J9官网`, a hidden
block of `澳门新葡京娱乐场` links). The words alone cannot tell spam from a report: casino brands
are also places (澳门, 金沙县, 永利村), and a report may speak of 打击网络赌博. So a piece of
text is spam only when gambling vocabulary comes with a second signal of its own kind:
  - a promotion (官网, 入口, 注册即送 …), or
  - a link to another site, or a link that names a gambling site in its address, or
  - a block whose whole text is links.
Casino brands that are also place names count as vocabulary only two together. The word lists
are data (`[spam]` in rules/sites.toml).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from urllib.parse import urljoin, urlsplit

from lxml import etree

from cleaners.htmltree import text_of, xpath

RULES_PATH: Traversable = files("cleaners") / "rules" / "sites.toml"


@dataclass(frozen=True)
class SpamWords:
    gambling: re.Pattern[str]  # never in a report except as a topic
    brands: tuple[str, ...]  # casino brands that are also places: 澳门, 金沙, 永利 …
    promotion: re.Pattern[str]
    min_brands: int


@cache
def spam_words(path: Traversable = RULES_PATH) -> SpamWords:
    """The `[spam]` word lists of the site rules, compiled once."""
    with path.open("rb") as fh:
        spec = tomllib.load(fh)["spam"]
    return SpamWords(
        gambling=_any_of(spec["gambling_words"]),
        brands=tuple(spec["brand_words"]),
        promotion=_any_of(spec["promotion_words"]),
        min_brands=spec["min_brand_words"],
    )


def _any_of(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)), re.IGNORECASE)


def has_vocabulary(text: str) -> bool:
    """Gambling words, or enough distinct casino brands (two place names do not make spam alone)."""
    words = spam_words()
    if words.gambling.search(text):
        return True
    return sum(brand in text for brand in words.brands) >= words.min_brands


def is_spam_text(text: str) -> bool:
    """Plain text that advertises gambling: vocabulary and a promotion together."""
    return has_vocabulary(text) and bool(spam_words().promotion.search(text))


def host_of(url: str | None) -> str | None:
    """The lower-cased host of an absolute http(s) URL, without a leading www."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().removeprefix("www.")


def is_offsite(href: str, site: str | None) -> bool:
    """Whether a link leaves the site: an absolute address on another host (any host when `site` is unknown)."""
    home = site.lower().removeprefix("www.") if site else None
    target = host_of(urljoin(f"http://{home}/", href) if home else href)
    return target is not None and target != home


def is_spam_link(link: etree._Element, site: str | None) -> bool:
    """A link advertising gambling: vocabulary in its text or address, and a second signal."""
    href = link.get("href") or ""
    text = text_of(link)
    if not has_vocabulary(f"{text} {href}"):
        return False
    address_names_it = has_vocabulary(host_of(href) or "")
    return is_offsite(href, site) or address_names_it or bool(spam_words().promotion.search(text))


def is_spam_block(block: etree._Element, site: str | None) -> bool:
    """A block advertising gambling: vocabulary, and links to elsewhere, only links, or a promotion."""
    text = text_of(block)
    if not has_vocabulary(text):
        return False
    links = xpath(block, ".//a[@href]")
    link_chars = sum(len(text_of(link).strip()) for link in links)
    only_links = bool(links) and link_chars >= len(re.sub(r"\s", "", text))
    return only_links or any(is_spam_link(link, site) for link in links) or is_spam_text(text)
