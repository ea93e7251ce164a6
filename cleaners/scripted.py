"""Pages whose text a script puts in place: what their HTML really holds, or why there is nothing.

A single-page application sends an empty shell (`<div id="app"></div>` and a bundle of script);
a browser runs the script, a crawler without one sees no text. Two things are general enough to
rely on:
- schema.org JSON-LD (`<script type="application/ld+json">`), which search engines read: an
  Article, NewsArticle, BlogPosting, Report … with an `articleBody` (or a posting's `text`) holds
  the text itself. It is used when the page's markup gives no text of its own.
- the shell itself: a body with next to no visible text beside a mount point or a lot of script.
  Such a page is refused as `script_rendered`, with that said, rather than stored as junk.
Framework state blobs (`__NEXT_DATA__`, `__INITIAL_STATE__`) have a schema per site: not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

# schema.org types whose `articleBody` / `text` is the page's text.
TEXT_TYPES = frozenset(
    {
        "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "Report",
        "ScholarlyArticle", "TechArticle", "SocialMediaPosting", "DiscussionForumPosting", "LiveBlogPosting",
        "GovernmentService", "Legislation", "CreativeWork",
    }
)
TEXT_KEYS = ("articleBody", "text")
# An app shell: an empty element the script mounts into, by its id.
MOUNT_IDS = frozenset({"app", "root", "__next", "__nuxt", "main-app", "react-root", "vue-app", "application"})
# Fewer characters of visible text than this in the body, and the page is a shell...
SHELL_MAX_CHARS = 40
# ... when it has an empty mount point or at least this many characters of inline script.
SHELL_MIN_SCRIPT_CHARS = 2000
_TAGS = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def json_ld_objects(tree: etree._Element) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, @graph members included; broken JSON skipped."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def structured_text(tree: etree._Element) -> tuple[str | None, str] | None:
    """(headline, body) of the longest article body the page's JSON-LD holds, or None.

    The body is plain text, one paragraph per line; markup some sites leave in it is removed.
    """
    best: tuple[str | None, str] | None = None
    for item in json_ld_objects(tree):
        if not _types(item) & TEXT_TYPES:
            continue
        for key in TEXT_KEYS:
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                continue
            body = _BLANK_LINES.sub("\n", _TAGS.sub("\n", value)).strip()
            headline = item.get("headline") or item.get("name")
            if best is None or len(body) > len(best[1]):
                best = (headline if isinstance(headline, str) else None, body)
    return best


@dataclass(frozen=True)
class ScriptSignals:
    """What the page as served says about scripts, read before they are removed."""

    script_chars: int  # characters of inline script
    mounts: tuple[str, ...]  # ids of mount points (#app, #root …) in the body


def script_signals(tree: etree._Element) -> ScriptSignals:
    """Inline script size and mount points of the page as served (cheap: two filtered walks)."""
    script_chars = sum(len(script.text or "") for script in tree.iter("script"))
    body = tree.find("body")
    mounts = tuple(el.get("id") or "" for el in body.iter(etree.Element) if el.get("id") in MOUNT_IDS) if body is not None else ()
    return ScriptSignals(script_chars, mounts)


def shell_reason(signals: ScriptSignals, visible_chars: int) -> str | None:
    """Why a page whose body shows `visible_chars` characters (scripts removed) is an app shell, or None."""
    if visible_chars >= SHELL_MAX_CHARS:
        return None
    if signals.mounts:
        return f"the text is rendered by JavaScript into #{signals.mounts[0]}; the HTML holds {visible_chars} characters of text"
    if signals.script_chars >= SHELL_MIN_SCRIPT_CHARS:
        return f"the text is rendered by JavaScript ({signals.script_chars} characters of script, {visible_chars} of text)"
    return None
