"""What a page declares itself to be: an article (a news story, a blog post) or something else.

Two standard declarations are read, both written for crawlers and search engines:
- the Open Graph protocol's `og:type` (https://ogp.me/#types; Chinese news sites also write
  "news"), in a <meta property> or <meta name>;
- schema.org types (https://schema.org/Article), in JSON-LD `@type` or in a microdata `itemtype`
  on the page's root, <body> or main element.

A news story also says so in its text: reposted news must name its source and the editor
responsible (互联网新闻信息服务管理规定, 2017, art. 15), which Chinese news sites print under every
story (来源：…, 责任编辑：…); forum posts do not.

A list of posts beside the text of a page that declares itself an article, or whose text names
a news source, is the article's comment list, not a forum thread (cleaners/extract.py). The
values are data (`[page_kind]` in rules/content.toml).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from cleaners.content import RULES_PATH
from cleaners.htmltree import xpath
from cleaners.scripted import json_ld_objects


@dataclass(frozen=True)
class KindRules:
    article_og_types: frozenset[str]  # lower-case og:type values
    article_schema_types: frozenset[str]  # schema.org type names
    news_source_line: re.Pattern[str]  # a line naming a news story's source or editor


@cache
def kind_rules() -> KindRules:
    """The `[page_kind]` rules of rules/content.toml, read once."""
    with RULES_PATH.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)["page_kind"]
    return KindRules(
        article_og_types=frozenset(v.lower() for v in data["article_og_types"]),
        article_schema_types=frozenset(data["article_schema_types"]),
        news_source_line=re.compile(data["news_source_line"]),
    )


def _schema_names(value: object) -> set[str]:
    values = value if isinstance(value, list) else str(value or "").split()
    return {v.rstrip("/").rsplit("/", 1)[-1] for v in values if isinstance(v, str) and v}


def declares_article(tree: etree._Element) -> bool:
    """Whether the page says it is an article: og:type, JSON-LD @type or a top-level microdata itemtype.

    Read the tree before scripts are removed (JSON-LD lives in <script> elements). Never raises
    on broken markup: undecodable JSON-LD is skipped.
    """
    rules = kind_rules()
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key == "og:type" and (meta.get("content") or "").strip().lower() in rules.article_og_types:
            return True
    for item in json_ld_objects(tree):
        if _schema_names(item.get("@type")) & rules.article_schema_types:
            return True
    for el in xpath(tree, "/html | /html/body | //*[@itemscope][@itemtype][not(ancestor::*[@itemscope])]"):
        if isinstance(el.tag, str) and _schema_names(el.get("itemtype")) & rules.article_schema_types:
            return True
    return False


def names_news_source(lines: Iterable[str]) -> bool:
    """Whether a text names a news story's source or its responsible editor on a line of its own (来源：…)."""
    pattern = kind_rules().news_source_line
    return any(pattern.match(line) for line in lines)
